/**
 * A 52-bit number naming a directional UDP/TCP flow (source and destination
 * address and port), for the bounded "flows known as Chapter 10" memory.
 * Two independent 32-bit FNV-1a variants are combined, so a map keyed by it
 * costs no string building per record; two flows share a key with
 * probability ~2^-52, and a collision could at worst let one continuation
 * datagram of an unrelated flow be read as a Chapter 10 segment.
 */
import type { PacketRecord } from '@streamlens/common';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SECOND_OFFSET = 0x050c5d1f;

export function flowHash(p: PacketRecord): number {
  let a = FNV_OFFSET;
  let b = SECOND_OFFSET;
  const s = p.src_ip;
  const d = p.dst_ip;
  for (let i = 0; i < s.length; i++) {
    a = Math.imul(a ^ s[i], FNV_PRIME);
    b = Math.imul(b ^ s[i], 0x2127599b) ^ (b >>> 15);
  }
  a = Math.imul(a ^ 0xfe, FNV_PRIME); // separator: addresses of different lengths never align
  for (let i = 0; i < d.length; i++) {
    a = Math.imul(a ^ d[i], FNV_PRIME);
    b = Math.imul(b ^ d[i], 0x2127599b) ^ (b >>> 15);
  }
  const ports = p.src_port * 65536 + p.dst_port;
  a = Math.imul(a ^ (ports >>> 16), FNV_PRIME);
  a = Math.imul(a ^ (ports & 0xffff), FNV_PRIME);
  b = Math.imul(b ^ ports, 0x2127599b) ^ (b >>> 15);
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

/** Readable flow name for keyed state that needs a string (the Ch10 reassembler). */
export function flowKeyText(p: PacketRecord): string {
  return `${p.src_ip.toString('hex')}:${p.src_port}>${p.dst_ip.toString('hex')}:${p.dst_port}`;
}
