/**
 * Recycled memory for the agent's PacketBatch messages.
 *
 * The FrameBatchWriter writes a batch into a working buffer of 64 KiB-1 MiB
 * and hands that buffer out as the message. Taking fresh memory for every
 * next batch costs a page fault per 4 KiB written on top of the writing
 * (the kernel maps and zeroes every page): about a third of the agent's
 * page faults and ~10 % of its time per frame on mixed traffic
 * (docs/benchmarks.md, "Message buffers recycled"). So the writer takes its
 * buffers from here, and whoever is done with a message — the publisher once
 * Kafka acknowledged it — gives it back with `release`.
 *
 * Releasing is only ever an optimisation: a message nobody releases is
 * collected as any Buffer is. A release must come after the last read of
 * the message, so only the one owner that knows it does it. Buffers this
 * pool did not lend (a message decoded from the spool, one re-encoded by a
 * split) are ignored, as is a second release of the same buffer.
 */

/** Size class (log2) of the smallest buffer lent. */
const MIN_CLASS = 16;
/** Smallest buffer lent (a writer's first working buffer). */
export const MIN_MESSAGE_BUFFER = 2 ** MIN_CLASS;
/** Free bytes kept for reuse at most; beyond that a released buffer is left to the collector. */
const MAX_FREE_BYTES = 16 << 20;

export class MessageBuffers {
  /** Free buffers by size class (log2 of the size). */
  private readonly free: ArrayBuffer[][] = [];
  private readonly lent = new WeakSet<ArrayBuffer>();
  private freeBytes = 0;
  /** Buffers lent from the free lists and freshly allocated (for tests). */
  reused = 0;
  allocated = 0;

  constructor(private readonly maxFreeBytes = MAX_FREE_BYTES) {}

  /** A buffer of at least `size` bytes (a power of two, at least MIN_MESSAGE_BUFFER); its contents are arbitrary. */
  acquire(size: number): Buffer {
    // (2 ** cls, not 1 << cls: a shift overflows at 2^31)
    let cls = MIN_CLASS;
    while (2 ** cls < size) cls++;
    const list = this.free[cls];
    let mem: ArrayBuffer;
    if (list !== undefined && list.length > 0) {
      mem = list.pop()!;
      this.freeBytes -= mem.byteLength;
      this.reused++;
    } else {
      mem = Buffer.allocUnsafeSlow(2 ** cls).buffer as ArrayBuffer;
      this.allocated++;
    }
    this.lent.add(mem);
    return Buffer.from(mem);
  }

  /**
   * Give back the memory under `message` (any view of a lent buffer). The
   * caller must not read the message afterwards. Returns whether the memory
   * was this pool's and is now free for reuse.
   */
  release(message: Buffer): boolean {
    const mem = message.buffer as ArrayBuffer;
    if (!this.lent.delete(mem)) return false;
    if (this.freeBytes + mem.byteLength > this.maxFreeBytes) return false;
    const cls = Math.log2(mem.byteLength);
    (this.free[cls] ??= []).push(mem);
    this.freeBytes += mem.byteLength;
    return true;
  }

  /** Whether `message` is a view of a buffer this pool lent and nobody released yet. */
  owns(message: Buffer): boolean {
    return this.lent.has(message.buffer as ArrayBuffer);
  }

  /** Bytes held for reuse. */
  get idleBytes(): number {
    return this.freeBytes;
  }
}

/** The process's pool: every FrameBatchWriter takes from it, the publisher gives back to it. */
export const messageBuffers = new MessageBuffers();
