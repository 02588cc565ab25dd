/**
 * Event-time watermark of one capture point within one source partition.
 *
 *   watermark = max event time seen - allowed lateness   (never decreases)
 *
 * A record earlier than the watermark is too late: it is counted and routed
 * to the DLQ, never merged into a window. A record at or after it is
 * accepted; its window and bucket are still open because a slot closes only
 * once its end is at or before the watermark. So records up to `lateness`
 * behind the newest one update their windows.
 *
 * When a capture point has sent nothing for the idle timeout (processing
 * time), the watermark jumps to the end of the newest window and bucket so
 * the last windows of a capture close; the value used is recorded with the
 * epoch, so a replay after a crash closes exactly the same windows.
 */
import { addOffset, compareTime, type SplitTime, type TimeGrid } from './event-time.js';

const scratch: SplitTime = { sec: 0, ns: 0 };

export class Watermark {
  hasMax = false;
  maxSec = 0;
  maxNs = 0;
  hasWm = false;
  wmSec = 0;
  wmNs = 0;

  constructor(private readonly latenessNs: number) {}

  /** True when (sec, ns) is earlier than the watermark. */
  isLate(sec: number, ns: number): boolean {
    return this.hasWm && (sec < this.wmSec || (sec === this.wmSec && ns < this.wmNs));
  }

  /** Account an accepted record's time. */
  observe(sec: number, ns: number): void {
    if (this.hasMax && (sec < this.maxSec || (sec === this.maxSec && ns <= this.maxNs))) return;
    this.hasMax = true;
    this.maxSec = sec;
    this.maxNs = ns;
    addOffset(sec, ns, -this.latenessNs, scratch);
    this.raise(scratch.sec, scratch.ns);
  }

  /** Move the watermark up to (sec, ns) if that is later. */
  raise(sec: number, ns: number): void {
    if (!this.hasWm || compareTime(sec, ns, this.wmSec, this.wmNs) > 0) {
      this.hasWm = true;
      this.wmSec = sec;
      this.wmNs = ns;
    }
  }

  /** Idle capture point: close every slot up to and including the one holding the newest record. */
  closeAll(grids: readonly TimeGrid[]): void {
    if (!this.hasMax) return;
    for (const g of grids) {
      g.start(g.index(this.maxSec, this.maxNs) + 1, scratch);
      this.raise(scratch.sec, scratch.ns);
    }
  }
}
