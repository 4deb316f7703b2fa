// The cross-thread extent protocol of the embedded log: once reading is handed to a follower on
// another thread (queue/log-follower.ts), the writer's thread tells it how far the durable log
// reaches, but only when asked, so however many writes it makes it sends nothing unasked.
import type { ReadPosition, SegmentExtent } from './segment-reader.js';

/** The durable part of the log: its segments and one past its last durable record. */
export interface LogExtent {
  segments: SegmentExtent[];
  end: number;
}

/** What a reader on another thread needs to continue where this log's reader stands. */
export interface LogHandOff {
  start: ReadPosition;
  committed: number;
  extent: LogExtent;
}

/** The writer's side: answers the follower's requests for the extent. */
export class ExtentChannel {
  /** The follower asked for an extent the log does not have yet. */
  private wanted = false;

  constructor(
    private readonly post: (extent: LogExtent) => void,
    private readonly extent: () => LogExtent,
  ) {}

  /** The follower knows the log up to `after`: post now if the log holds more, else after the next durable write. */
  request(after: number): void {
    const extent = this.extent();
    if (extent.end > after) this.post(extent);
    else this.wanted = true;
  }

  /** After each durable write. */
  durable(): void {
    if (!this.wanted) return;
    // Posting concerns that reader alone: if it ever failed, the next group commit tries again,
    // and the log stays writable. (Cleared before posting: the answer may ask for the next extent at once.)
    this.wanted = false;
    try {
      this.post(this.extent());
    } catch {
      this.wanted = true;
    }
  }

  /** Closing: nothing more is posted. */
  stop(): void {
    this.wanted = false;
  }
}
