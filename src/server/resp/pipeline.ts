/**
 * A connection's pipeline: the commands parsed from it, in arrival order, each
 * started as soon as the scheduling rule of command-spec.ts allows and replied
 * strictly in arrival order, however their asynchronous work completes.
 *
 * Invariants: entries start in order; an entry starts only when every earlier
 * unfinished entry has its kind and that kind is not `local` (so writes overlap
 * writes and reads overlap reads, while a local command runs alone); replies
 * leave in order, each exactly once.
 */
import { assert } from "../../lib/index.js";
import type { CommandKind } from "./command-spec.js";
import type { Reply } from "./reply.js";

export interface PipelineEntry {
  readonly kind: CommandKind;
  /** Runs the command; called once, when the entry may start. */
  readonly run: () => Reply | Promise<Reply>;
  /** Close the connection once this entry's reply is written (QUIT, protocol errors). */
  readonly closeAfter: boolean;
}

interface Slot {
  readonly entry: PipelineEntry;
  started: boolean;
  reply: Reply | undefined;
  /** The connection's protocol when the reply was made (HELLO may change it later). */
  proto: 2 | 3;
}

export interface FinishedReply {
  readonly reply: Reply;
  readonly proto: 2 | 3;
}

export class Pipeline {
  private slots: Slot[] = [];
  /** Index of the first slot not yet started. */
  private nextToStart = 0;
  private readonly inflightByKind: Record<CommandKind, number> = { read: 0, write: 0, local: 0 };
  private inflight = 0;
  private discarded = false;
  /** True while startReady runs, so a synchronous finish does not re-enter it. */
  private starting = false;

  constructor(
    /** Called whenever a reply at the head may be ready to write. */
    private readonly onProgress: () => void,
    /** The connection's current protocol version. */
    private readonly protoNow: () => 2 | 3 = () => 2,
  ) {}

  /** Commands queued and not yet replied. */
  get length(): number {
    return this.slots.length;
  }

  push(entry: PipelineEntry): void {
    this.slots.push({ entry, started: false, reply: undefined, proto: 2 });
    this.startReady();
  }

  /**
   * Removes and returns the finished replies at the head, in order, and whether
   * one of them asked to close the connection (nothing after it is returned).
   */
  takeReplies(): { replies: FinishedReply[]; close: boolean } {
    const replies: FinishedReply[] = [];
    let n = 0;
    let close = false;
    while (n < this.slots.length) {
      const slot = this.slots[n] as Slot;
      if (slot.reply === undefined) break;
      replies.push({ reply: slot.reply, proto: slot.proto });
      n++;
      if (slot.entry.closeAfter) {
        close = true;
        break;
      }
    }
    if (n > 0) {
      this.slots = this.slots.slice(n);
      this.nextToStart -= n;
      assert(this.nextToStart >= 0, "pipeline replied an entry that had not started");
    }
    return { replies, close };
  }

  /** Drops everything: the connection is gone; late completions are ignored. */
  discard(): void {
    this.discarded = true;
    this.slots = [];
    this.nextToStart = 0;
  }

  private mayStart(kind: CommandKind): boolean {
    if (this.inflight === 0) return true;
    return kind !== "local" && this.inflightByKind[kind] === this.inflight;
  }

  private startReady(): void {
    if (this.starting) return;
    this.starting = true;
    try {
      this.startLoop();
    } finally {
      this.starting = false;
    }
  }

  private startLoop(): void {
    while (this.nextToStart < this.slots.length) {
      const slot = this.slots[this.nextToStart] as Slot;
      if (!this.mayStart(slot.entry.kind)) return;
      this.nextToStart++;
      slot.started = true;
      this.inflight++;
      this.inflightByKind[slot.entry.kind]++;
      const result = slot.entry.run();
      if (result instanceof Promise) {
        result.then((reply) => this.finish(slot, reply));
      } else {
        this.finish(slot, result);
      }
      if (this.discarded) return;
    }
  }

  private finish(slot: Slot, reply: Reply): void {
    if (this.discarded) return;
    assert(slot.started && slot.reply === undefined, "pipeline entry finished twice");
    slot.reply = reply;
    slot.proto = this.protoNow();
    this.inflight--;
    this.inflightByKind[slot.entry.kind]--;
    this.startReady();
    this.onProgress();
  }
}
