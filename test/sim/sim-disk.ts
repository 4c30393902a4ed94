/**
 * `SimDisk`: one node's simulated storage medium, and `SimEngine`, the
 * `StorageEngine` one node incarnation opens over it.
 *
 * The disk holds two states: what is durable (fsynced) and what is visible
 * (durable plus written-but-unsynced transactions, in order). `write(fn)` runs
 * `fn` at once against the visible state, then waits for the next simulated
 * fsync (a latency drawn from the rng, with occasional slow-disk stalls; one
 * fsync carries every transaction written before it started: group commit)
 * and resolves once durable. A crash keeps only the durable state (whole
 * transactions: the engine contract makes them atomic), except that the first
 * unsynced one may reach the medium with a torn page (one value cut short).
 * Corruption flips one bit of one durable value. Either way the layers above
 * must report CORRUPTION rather than serve it; the simulator then restores
 * the block (`repair`), as an operator would from a replica.
 *
 * Each incarnation gets its own `SimEngine`; once the disk crashed, the old
 * engine is fenced: its writes are ignored and never resolve, so a dead
 * node's leftover promise jobs cannot touch the disk of its successor.
 */
import { assert, equalBytes } from "../../src/lib/index.js";
import type {
  EngineDb,
  EngineEntry,
  EngineRangeOptions,
  EngineReadView,
  StorageEngine,
} from "../../src/storage/index.js";
import { SortedBytesMap } from "./sorted-bytes-map.js";
import type { World } from "./world.js";

export interface DiskFaults {
  fsyncMedianMs: number;
  /** Probability that one fsync stalls for `stallMs`. */
  stallRate: number;
  stallMs: number;
  /** Probability that a crash tears the first unsynced transaction. */
  tornWriteRate: number;
  /**
   * Sub-databases whose values torn writes and corruption leave alone: those
   * whose records carry no checksum yet (user data, the store identity), where
   * damage would go undetected — a known gap, run with `--damage-all` to see it.
   */
  damageDbsExcluded: readonly string[];
}

type Op = { db: string; key: Uint8Array; value: Uint8Array | undefined };

interface Txn {
  readonly ops: Op[];
  readonly resolve: () => void;
}

export class SimDisk {
  private durable = new Map<string, SortedBytesMap>();
  private visible = new Map<string, SortedBytesMap>();
  private unsynced: Txn[] = [];
  private syncing: Txn[] = [];
  private epoch = 0;
  /** Bumped when a synchronous write overtook an fsync in flight (which then finds nothing to do). */
  private epochFsync = 0;
  private txnOps: Op[] | undefined;
  /** The corrupted value and what it held, so the simulator can restore the block. */
  private corrupted: { db: string; key: Uint8Array; original: Uint8Array } | undefined;
  fsyncsTotal = 0;
  tornTotal = 0;

  constructor(
    private readonly world: World,
    private readonly owner: string,
    readonly faults: DiskFaults,
  ) {}

  /** A new engine for a new incarnation of the node. */
  open(): SimEngine {
    return new SimEngine(this, this.epoch);
  }

  /** The machine lost power: unsynced writes are gone (the first one maybe torn). */
  crash(): void {
    this.epoch++;
    const lost = [...this.syncing, ...this.unsynced];
    this.syncing = [];
    this.unsynced = [];
    const first = lost[0];
    // The engine contract makes a transaction atomic, so a crash loses whole transactions; what it
    // may tear is a page: the first lost transaction reaches the medium with one value cut short.
    if (
      first !== undefined &&
      !this.corrupted &&
      this.world.rng.float() < this.faults.tornWriteRate
    ) {
      const puts = first.ops.filter(
        (op) => op.value !== undefined && op.value.length > 1 && this.damageable(op.db),
      );
      const victim = puts[this.world.rng.intn(Math.max(1, puts.length))];
      if (victim?.value !== undefined) {
        for (const op of first.ops) applyOp(this.durable, op);
        const cut = victim.value.subarray(0, 1 + this.world.rng.intn(victim.value.length - 1));
        applyOp(this.durable, { ...victim, value: cut });
        this.corrupted = { db: victim.db, key: victim.key, original: victim.value };
        this.tornTotal++;
        this.world.note(
          this.owner,
          `disk lost ${lost.length - 1} unsynced txns, tore a value in ${victim.db}`,
        );
      }
    } else if (lost.length > 0) {
      this.world.note(this.owner, `disk lost ${lost.length} unsynced txns`);
    }
    this.visible = cloneDbs(this.durable);
  }

  /** Flips one byte of a random durable value; returns a description, or undefined if the disk is empty. */
  corruptOne(): string | undefined {
    const rng = this.world.rng;
    const names = [...this.durable.keys()]
      .filter((n) => (this.durable.get(n)?.size ?? 0) > 0 && this.damageable(n))
      .sort();
    if (names.length === 0 || this.corrupted) return undefined;
    const db = names[rng.intn(names.length)] as string;
    const entries = (this.durable.get(db) as SortedBytesMap)
      .entries()
      .filter((e) => e.value.length > 0);
    if (entries.length === 0) return undefined;
    const e = entries[rng.intn(entries.length)] as EngineEntry;
    const bad = new Uint8Array(e.value);
    const at = rng.intn(bad.length);
    bad[at] = (bad[at] as number) ^ (1 << rng.intn(8));
    (this.durable.get(db) as SortedBytesMap).set(e.key, bad);
    this.visible = cloneDbs(this.durable);
    this.corrupted = { db, key: e.key, original: e.value };
    return `${db} key ${Buffer.from(e.key).toString("hex")} byte ${at}`;
  }

  /** Whether faults may damage values of sub-database `name` (see `DiskFaults.damageDbsExcluded`). */
  private damageable(name: string): boolean {
    return !this.faults.damageDbsExcluded.includes(name);
  }

  /** Restores a corrupted value (the operator replaced the block from a replica). */
  repair(): boolean {
    const c = this.corrupted;
    if (c === undefined) return false;
    this.corrupted = undefined;
    this.durable.get(c.db)?.set(c.key, c.original);
    this.visible = cloneDbs(this.durable);
    return true;
  }

  /**
   * A read-only engine over what is durable now (what a crash this instant
   * would leave), with any damaged value shown as it was meant to be: the
   * durability checks ask what was synced, not whether the medium kept it.
   */
  durableView(): StorageEngine {
    let durable = this.durable;
    const c = this.corrupted;
    if (c) {
      durable = cloneDbs(durable);
      durable.get(c.db)?.set(c.key, c.original);
    }
    const refuse = (): never => {
      throw new Error("the durable view of a simulated disk is read-only");
    };
    const empty = new SortedBytesMap();
    return {
      db: (name) => ({
        get: (key) => (durable.get(name) ?? empty).get(key),
        range: (o) => (durable.get(name) ?? empty).range(o),
        put: refuse,
        remove: refuse,
        clear: refuse,
      }),
      // Checks read it synchronously, so the maps stand for one moment.
      readView: () => ({
        get: (db, key) => (durable.get(db) ?? empty).get(key),
        range: (db, o) => (durable.get(db) ?? empty).range(o),
        release: () => {},
      }),
      write: refuse,
      writeSync: refuse,
      sizeBytes: () => 0,
      close: () => Promise.resolve(),
    };
  }

  get isCorrupted(): boolean {
    return this.corrupted !== undefined;
  }

  // ---- for SimEngine ----------------------------------------------------------

  live(epoch: number): boolean {
    return epoch === this.epoch;
  }

  /** Names of the sub-databases reads can see. */
  names(): string[] {
    return [...this.visible.keys()];
  }

  map(name: string): SortedBytesMap {
    let m = this.visible.get(name);
    if (m === undefined) {
      m = new SortedBytesMap();
      this.visible.set(name, m);
    }
    return m;
  }

  record(op: Op): void {
    assert(this.txnOps !== undefined, "a put or remove outside a write transaction");
    const m = this.map(op.db);
    this.txnOps.push({ ...op, value: m.get(op.key) });
    if (op.value === undefined) m.delete(op.key);
    else m.set(op.key, op.value);
  }

  /** Runs `fn` as one transaction; returns its ops, or rethrows after undoing them. */
  transact(fn: () => void): Op[] {
    assert(this.txnOps === undefined, "nested write transactions");
    const undo: Op[] = [];
    this.txnOps = undo;
    try {
      fn();
    } catch (e) {
      for (const op of undo.reverse()) applyOp(this.visible, op);
      throw e;
    } finally {
      this.txnOps = undefined;
    }
    // The undo log holds old values; the ops to replay are the new values, read back.
    return undo.map((op) => ({ db: op.db, key: op.key, value: this.map(op.db).get(op.key) }));
  }

  enqueue(ops: Op[], resolve: () => void): void {
    this.unsynced.push({ ops, resolve });
    if (this.syncing.length === 0) this.startFsync();
  }

  /** A synchronous write: it syncs every transaction before it too (they commit in order). */
  writeDurable(ops: Op[]): void {
    const before = [...this.syncing, ...this.unsynced];
    this.syncing = [];
    this.unsynced = [];
    this.epochFsync++;
    for (const t of before) for (const op of t.ops) this.sync(op);
    for (const op of ops) this.sync(op);
    for (const t of before) t.resolve();
  }

  sizeBytes(): number {
    let n = 0;
    for (const m of this.visible.values()) n += m.bytes();
    return n;
  }

  /**
   * Makes one write durable. A write over the damaged value replaces it: the
   * medium holds good bytes there again, so the damage (and what `repair` and
   * the durable view would put back) is gone. Keeping it made the durable view
   * show a torn log entry's old value after the entry had been truncated and
   * rewritten, so the durability check saw the overwritten term there.
   */
  private sync(op: Op): void {
    applyOp(this.durable, op);
    const c = this.corrupted;
    if (c !== undefined && c.db === op.db && equalBytes(c.key, op.key)) this.corrupted = undefined;
  }

  private startFsync(): void {
    const rng = this.world.rng;
    this.syncing = this.unsynced;
    this.unsynced = [];
    const epoch = this.epoch;
    const fsyncEpoch = this.epochFsync;
    let ms = this.faults.fsyncMedianMs * (0.5 + rng.float());
    if (rng.float() < this.faults.stallRate) ms += this.faults.stallMs;
    this.world.after(ms, this.owner, `fsync ${this.syncing.length} txns`, () => {
      if (epoch !== this.epoch || fsyncEpoch !== this.epochFsync) {
        if (epoch === this.epoch && this.syncing.length === 0 && this.unsynced.length > 0)
          this.startFsync();
        return;
      }
      this.fsyncsTotal++;
      const done = this.syncing;
      this.syncing = [];
      for (const t of done) for (const op of t.ops) this.sync(op);
      for (const t of done) t.resolve();
      if (this.unsynced.length > 0) this.startFsync();
    });
  }
}

export class SimEngine implements StorageEngine {
  constructor(
    private readonly disk: SimDisk,
    private readonly epoch: number,
  ) {}

  db(name: string): EngineDb {
    const disk = this.disk;
    return {
      get: (key) => disk.map(name).get(key),
      range: (o: EngineRangeOptions) => disk.map(name).range(o),
      put: (key, value) => {
        if (disk.live(this.epoch))
          disk.record({ db: name, key: new Uint8Array(key), value: new Uint8Array(value) });
      },
      remove: (key) => {
        if (disk.live(this.epoch))
          disk.record({ db: name, key: new Uint8Array(key), value: undefined });
      },
      clear: () => {
        if (!disk.live(this.epoch)) return;
        for (const { key } of [...disk.map(name).range({})])
          disk.record({ db: name, key: new Uint8Array(key), value: undefined });
      },
    };
  }

  /** A copy of what reads see now (key and value arrays; the bytes are shared, never changed). */
  readView(): EngineReadView {
    const maps = new Map<string, SortedBytesMap>();
    for (const name of this.disk.names()) maps.set(name, this.disk.map(name).clone());
    let released = false;
    const map = (name: string): SortedBytesMap => {
      assert(!released, "read view used after release");
      return maps.get(name) ?? new SortedBytesMap();
    };
    return {
      get: (db, key) => map(db).get(key),
      range: (db, o) => map(db).range(o),
      release: () => {
        released = true;
      },
    };
  }

  write(fn: () => void, onRan?: () => void): Promise<void> {
    // A dead incarnation's write never happens and never resolves.
    if (!this.disk.live(this.epoch)) return new Promise(() => {});
    const ops = this.disk.transact(fn);
    // Ran, not yet synced: a crash before the sync loses it.
    onRan?.();
    return new Promise((resolve) => this.disk.enqueue(ops, resolve));
  }

  writeSync(fn: () => void): void {
    if (!this.disk.live(this.epoch)) return;
    this.disk.writeDurable(this.disk.transact(fn));
  }

  sizeBytes(): number {
    return this.disk.sizeBytes();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function applyOp(dbs: Map<string, SortedBytesMap>, op: Op): void {
  let m = dbs.get(op.db);
  if (m === undefined) {
    m = new SortedBytesMap();
    dbs.set(op.db, m);
  }
  if (op.value === undefined) m.delete(op.key);
  else m.set(op.key, op.value);
}

function cloneDbs(dbs: Map<string, SortedBytesMap>): Map<string, SortedBytesMap> {
  const c = new Map<string, SortedBytesMap>();
  for (const [k, v] of dbs) c.set(k, v.clone());
  return c;
}
