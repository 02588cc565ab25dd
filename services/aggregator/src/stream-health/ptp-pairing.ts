/**
 * PTP pairing: requests waiting for their answer, per request stream.
 *
 *   two-step Sync   ← Follow_Up               same sourcePortIdentity, sequenceId
 *   Delay_Req       ← Delay_Resp              requestingPortIdentity = the requester, sequenceId
 *   Pdelay_Req      ← Pdelay_Resp (← Pdelay_Resp_Follow_Up when the response is two-step)
 *
 * A request is answered when its answer arrives within the response timeout
 * (event time); otherwise it counts as unanswered (a Sync: Follow_Up
 * missing) in the window of the request. Waiting requests sit in a small
 * ring in arrival order (typed arrays, no allocation per message); a full
 * ring gives up its oldest entry, which then counts as unanswered.
 */

export const enum Waiting {
  /** A response (Follow_Up for a Sync, Delay_Resp, Pdelay_Resp). */
  Response = 0,
  /** A Pdelay_Resp_Follow_Up after a two-step Pdelay_Resp. */
  FollowUp = 1,
}

export const PENDING_CAPACITY = 32;

export class PendingRequests {
  readonly seq = new Int32Array(PENDING_CAPACITY);
  readonly sec = new Float64Array(PENDING_CAPACITY);
  readonly ns = new Float64Array(PENDING_CAPACITY);
  /** Window index of the request (where its outcome is counted). */
  readonly widx = new Float64Array(PENDING_CAPACITY);
  readonly state = new Uint8Array(PENDING_CAPACITY);
  head = 0;
  count = 0;

  /** Physical slot of the i-th oldest entry. */
  slot(i: number): number {
    const s = this.head + i;
    return s >= PENDING_CAPACITY ? s - PENDING_CAPACITY : s;
  }

  get full(): boolean {
    return this.count === PENDING_CAPACITY;
  }

  push(seq: number, sec: number, ns: number, widx: number, state: Waiting): void {
    const s = this.slot(this.count);
    this.seq[s] = seq;
    this.sec[s] = sec;
    this.ns[s] = ns;
    this.widx[s] = widx;
    this.state[s] = state;
    this.count++;
  }

  /** Logical index of the oldest entry for `seq` in `state`, or -1. */
  find(seq: number, state: Waiting): number {
    for (let i = 0; i < this.count; i++) {
      const s = this.slot(i);
      if (this.seq[s] === seq && this.state[s] === state) return i;
    }
    return -1;
  }

  /** Remove the i-th oldest entry (the later ones move down; the ring is small). */
  removeAt(i: number): void {
    if (i === 0) {
      this.head = this.slot(1);
      this.count--;
      return;
    }
    for (let j = i; j < this.count - 1; j++) {
      const a = this.slot(j);
      const b = this.slot(j + 1);
      this.seq[a] = this.seq[b];
      this.sec[a] = this.sec[b];
      this.ns[a] = this.ns[b];
      this.widx[a] = this.widx[b];
      this.state[a] = this.state[b];
    }
    this.count--;
  }
}
