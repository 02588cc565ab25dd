/**
 * The encoded bytes of the packet records of a decoded PacketBatch body,
 * copied into an enriched message instead of re-encoded: whole, or without
 * the payload's bytes (a zero-length payload in their place, as the Dissector
 * drops it). `spans` holds [start, payloadStart, payloadEnd, end] per record
 * (body offsets), as the compiled reader notes them.
 */
import { copyByWords } from '@streamlens/common';

export class PacketBytes {
  private src: DataView;
  /** The last target buffer and a view of it (a writer keeps its buffer until it grows). */
  private dst: Buffer = EMPTY;
  private dstView: DataView = viewOf(EMPTY);
  private start = 0;
  private head = 0;
  private tailStart = 0;
  private tail = -1;

  constructor(private body: Buffer, private spans: readonly number[]) {
    this.src = viewOf(body);
  }

  /** Point at another body (the spans array may be the reader's, reused). */
  reset(body: Buffer, spans: readonly number[]): void {
    this.body = body;
    this.src = viewOf(body);
    this.spans = spans;
  }

  /** Select record `i`, whole or without its payload; returns the length `write` will put out. */
  select(i: number, dropPayload: boolean): number {
    const s = this.spans;
    const o = 4 * i;
    this.start = s[o];
    if (dropPayload && s[o + 2] - s[o + 1] > 1) {
      this.head = s[o + 1] - s[o];
      this.tailStart = s[o + 2];
      this.tail = s[o + 3] - s[o + 2];
      return this.head + 1 + this.tail;
    }
    this.head = s[o + 3] - s[o];
    this.tail = -1;
    return this.head;
  }

  /** Copy the selected bytes to buf[at...]. */
  write(buf: Buffer, at: number): void {
    if (buf !== this.dst) {
      this.dst = buf;
      this.dstView = viewOf(buf);
    }
    copy(this.body, this.src, this.start, this.head, buf, this.dstView, at);
    if (this.tail >= 0) {
      buf[at + this.head] = 0; // zero-length payload
      copy(this.body, this.src, this.tailStart, this.tail, buf, this.dstView, at + this.head + 1);
    }
  }
}

const EMPTY = Buffer.alloc(0);

function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.length);
}

/** n bytes from src[from...] to dst[at...] (sv and dv: views of the same bytes): short runs by words, long ones by Buffer#copy. */
function copy(src: Buffer, sv: DataView, from: number, n: number, dst: Buffer, dv: DataView, at: number): void {
  if (n < 160) copyByWords(src, sv, from, dst, dv, at, n);
  else src.copy(dst, at, from, from + n);
}
