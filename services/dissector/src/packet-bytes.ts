/**
 * The encoded bytes of the packet records of a decoded PacketBatch body,
 * copied into an enriched message instead of re-encoded: whole, or without
 * the payload's bytes (a zero-length payload in their place, as the Dissector
 * drops it). `spans` holds [start, payloadStart, payloadEnd, end] per record
 * (body offsets), as the compiled reader notes them.
 */
import { copyByWords } from '@streamlens/common';

export class PacketBytes {
  private body!: Buffer;
  private spans!: readonly number[];
  private src!: DataView;
  /** The body's memory and offset in it (a Buffer's `buffer` getter is a runtime call). */
  private srcMem!: ArrayBuffer;
  private srcOffset = 0;
  /** The last target buffer and a view of it (a writer keeps its buffer until it grows). */
  private dst: Buffer = EMPTY;
  private dstView: DataView = viewOf(EMPTY);
  private start = 0;
  private head = 0;
  private tailStart = 0;
  private tail = -1;

  constructor(body: Buffer, spans: readonly number[]) {
    this.reset(body, spans);
  }

  /** Point at another body (the spans array may be the reader's, reused). */
  reset(body: Buffer, spans: readonly number[]): void {
    this.body = body;
    this.src = viewOf(body);
    this.srcMem = body.buffer as ArrayBuffer;
    this.srcOffset = body.byteOffset;
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
    this.copy(this.start, this.head, buf, at);
    if (this.tail >= 0) {
      buf[at + this.head] = 0; // zero-length payload
      this.copy(this.tailStart, this.tail, buf, at + this.head + 1);
    }
  }

  /** n bytes of the body from `from` to dst[at...]: short runs by words, longer ones by TypedArray#set of a view. */
  private copy(from: number, n: number, dst: Buffer, at: number): void {
    if (n < COPY_BY_WORDS_BELOW) copyByWords(this.body, this.src, from, dst, this.dstView, at, n);
    else dst.set(new Uint8Array(this.srcMem, this.srcOffset + from, n), at);
  }
}

const EMPTY = Buffer.alloc(0);

function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.length);
}

/**
 * Runs shorter than this go by words. A DataView word costs ~45 instructions
 * in V8's optimized code (it re-checks the view on every access), so a
 * record's head (71 bytes on average) took ~800 by words against ~400 for a
 * view and TypedArray#set (docs/benchmarks.md, "Dissector").
 */
const COPY_BY_WORDS_BELOW = 32;
