/** An output Buffer that doubles when a write needs more room (binary encoders: RowBinary bodies, checkpoints). */
export class GrowableBuffer {
  buf: Buffer;
  pos = 0;

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(Math.max(64, initial));
  }

  /** Room for `n` more bytes at `pos`. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far (a view of the buffer). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
