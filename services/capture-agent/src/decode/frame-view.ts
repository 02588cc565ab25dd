/**
 * The frame being decoded: a region of a (possibly larger) buffer, so a
 * reader can hand its chunk over without making a view per frame. Offsets in
 * the decoders are absolute positions in `buf`.
 */
export interface FrameView {
  buf: Buffer;
  /** Where the frame starts in buf. */
  start: number;
  /** Where the captured bytes end in buf. */
  end: number;
  /** Where the frame ends as sent on the wire (>= end; beyond buf when the snap length cut it). */
  wireEnd: number;
  /** Most payload bytes to keep. */
  cap: number;
}
