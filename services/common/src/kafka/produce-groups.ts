/**
 * Splitting a send into requests the broker accepts. kafkajs makes one
 * record batch of a send's messages to one partition, and the broker refuses
 * a batch above message.max.bytes (1 MiB by default) with MESSAGE_TOO_LARGE,
 * which no retry cures: a worker that sends a whole fetched batch's output
 * at once stalls its partition for good.
 */

/** Bytes of messages to one partition per produce request, below the broker's default message.max.bytes. */
export const DEFAULT_PRODUCE_BATCH_BYTES = 900 * 1024;
/** Record overhead per message (length, attributes, deltas, key and value lengths, header count), with room to spare. */
const MESSAGE_OVERHEAD = 32;

export interface SizedMessage {
  partition?: number;
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer | undefined>;
}

/** Bytes a message adds to its record batch (upper bound, uncompressed). */
export function messageBytes(m: SizedMessage): number {
  let size = (m.value?.length ?? 0) + (m.key?.length ?? 0) + MESSAGE_OVERHEAD;
  if (m.headers) for (const h in m.headers) size += Buffer.byteLength(h) + (m.headers[h]?.length ?? 0) + 8;
  return size;
}

/**
 * `messages` cut, in order, into consecutive groups whose messages to any one
 * partition add up to at most `limit` bytes; a message larger than `limit`
 * goes alone. Messages without a partition (placed by key) count as one
 * partition, so the bound holds whatever the partitioner picks.
 */
export function produceGroups<M extends SizedMessage>(messages: M[], limit = DEFAULT_PRODUCE_BATCH_BYTES): M[][] {
  const groups: M[][] = [];
  const bytes = new Map<number, number>();
  let start = 0;
  for (let i = 0; i < messages.length; i++) {
    const p = messages[i].partition ?? -1;
    const size = messageBytes(messages[i]);
    const b = bytes.get(p) ?? 0;
    if (b > 0 && b + size > limit) {
      groups.push(messages.slice(start, i));
      start = i;
      bytes.clear();
    }
    bytes.set(p, (bytes.get(p) ?? 0) + size);
  }
  if (start < messages.length) groups.push(start === 0 ? messages : messages.slice(start));
  return groups;
}
