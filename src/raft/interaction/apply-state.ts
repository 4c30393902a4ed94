/**
 * The toy state machine of a scenario node: the data of every normal entry it
 * has applied, in order, and the index of the last one. A snapshot of it is
 * that list joined with commas, so a follower that installs a snapshot ends up
 * with exactly the values the leader had applied at the snapshot's index.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ApplyState {
  values: string[] = [];
  appliedIndex = 0;

  apply(index: number, data: Uint8Array | undefined): void {
    this.appliedIndex = index;
    if (data !== undefined && data.length > 0) this.values.push(decoder.decode(data));
  }

  encode(): Uint8Array {
    return encoder.encode(this.values.join(","));
  }

  restore(index: number, data: Uint8Array): void {
    const text = decoder.decode(data);
    this.values = text === "" ? [] : text.split(",");
    this.appliedIndex = index;
  }

  describe(): string {
    return `applied:${this.appliedIndex} values:[${this.values.join(" ")}]`;
  }
}
