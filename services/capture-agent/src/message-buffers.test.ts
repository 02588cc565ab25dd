import { describe, expect, it } from 'vitest';
import { MessageBuffers, MIN_MESSAGE_BUFFER } from './message-buffers.js';

describe('MessageBuffers', () => {
  it('lends power-of-two buffers of at least the size asked, and the same memory again once released', () => {
    const pool = new MessageBuffers();
    const a = pool.acquire(1);
    expect(a.length).toBe(MIN_MESSAGE_BUFFER);
    const b = pool.acquire(300_000);
    expect(b.length).toBe(512 << 10);
    expect(pool.allocated).toBe(2);
    expect(pool.owns(b.subarray(100, 200))).toBe(true);
    expect(pool.release(b.subarray(512, 4096))).toBe(true);
    expect(pool.owns(b)).toBe(false);
    expect(pool.idleBytes).toBe(512 << 10);
    // A smaller request of the same class gets it back; another class does not.
    expect(pool.acquire(1 << 20).buffer).not.toBe(b.buffer);
    const c = pool.acquire(262_145);
    expect(c.buffer).toBe(b.buffer);
    expect(pool.reused).toBe(1);
    expect(pool.idleBytes).toBe(0);
  });

  it('ignores memory it did not lend and a second release of the same buffer', () => {
    const pool = new MessageBuffers();
    expect(pool.release(Buffer.allocUnsafe(100))).toBe(false); // Node's shared slab: must never be handed out again
    expect(pool.release(Buffer.allocUnsafeSlow(1 << 16))).toBe(false);
    const a = pool.acquire(1 << 16);
    expect(pool.release(a)).toBe(true);
    expect(pool.release(a)).toBe(false);
    expect(pool.idleBytes).toBe(1 << 16);
    const b = pool.acquire(1 << 16);
    const c = pool.acquire(1 << 16);
    expect(b.buffer).not.toBe(c.buffer); // lent once only
  });

  it('keeps at most its bound of free bytes', () => {
    const pool = new MessageBuffers(3 << 16);
    const lent = Array.from({ length: 5 }, () => pool.acquire(1 << 16));
    expect(lent.map((b) => pool.release(b))).toEqual([true, true, true, false, false]);
    expect(pool.idleBytes).toBe(3 << 16);
    expect(lent.every((b) => !pool.owns(b))).toBe(true);
  });
});
