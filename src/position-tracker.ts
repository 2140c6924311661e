/**
 * A durable subscription's checkpoint on one shard: the highest position P
 * such that every event up to P has been handled (or did not match).
 * Events of different aggregates settle out of order, so settled positions
 * wait here until everything before them has settled too (at-least-once).
 */
export class PositionTracker {
  /** Every position up to this one is handled. */
  checkpoint: number;
  #positions: number[] = [];
  #settled: boolean[] = [];
  /** Absolute index of `#positions[0]`, so settle callbacks survive compaction. */
  #base = 0;
  #head = 0;

  constructor(start: number) {
    this.checkpoint = start;
  }

  /** Registers a position handed to the handler; call the returned function once it settled. */
  track(position: number): () => void {
    const index = this.#base + this.#positions.length;
    this.#positions.push(position);
    this.#settled.push(false);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#settled[index - this.#base] = true;
      this.#advance();
    };
  }

  /** A position that needs no handling (the event did not match). */
  skip(position: number): void {
    if (this.#head === this.#positions.length) {
      this.checkpoint = position;
      return;
    }
    this.track(position)();
  }

  #advance(): void {
    while (this.#head < this.#positions.length && this.#settled[this.#head]) {
      this.checkpoint = this.#positions[this.#head]!;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#positions.length) {
      this.#positions.splice(0, this.#head);
      this.#settled.splice(0, this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }
}
