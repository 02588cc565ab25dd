/**
 * Chapter 10 over UDP: detection and dissection of one datagram's payload
 * (protocols.md §1.2 rule 3, §2.2.5, §2.6). Stateless; the segmented-transfer
 * reassembler (reassembly.ts) works on top of the result.
 *
 * Detection: the transfer-header readers run in the order Format 1, Format 3,
 * Format 2 (strict BE length check), bare packet; the first whose data starts
 * with a packet header that validates (sync 0xEB25 + header checksum) wins, on
 * any UDP port. Format 1 is tried before Format 2 because a Format 1 sequence
 * such as 0x020000 puts a 2 in byte 3's low nibble (the looks-like-2 trap).
 * Without a validated header the payload is Chapter 10 only in context: the
 * flow was classified Chapter 10 before, or the port is pinned. That is how
 * continuation segments (no header), empty Format 1 messages and damaged
 * packets of a known stream are reported, with error codes, rather than
 * handed to weaker heuristics.
 */
import type { Ch10Info, Ch10Packet } from '@streamlens/common';
import { CH10_FAMILY_FRAME_TYPE, CH10_SEGMENT_FRAME_TYPE, CH10_TYPE } from './data-types.js';
import { PRIMARY_HEADER_LENGTH, PacketStatus, readCh10Packet, type PacketRead, type PacketReadOptions } from './packet-header.js';
import { decodeTmats, tmatsText } from './tmats.js';
import {
  emptyTransferHeader, readBare, readFormat1, readFormat2, readFormat3, syncAt, type TransferHeader,
} from './transfer-header.js';
import { headerChecksum } from './checksums.js';

export interface Ch10Context {
  /** This flow (src/dst/ports) was classified as Chapter 10 before (continuation segments have no header). */
  flowKnownCh10: boolean;
  /** The UDP port is configured as Chapter 10. */
  portPinned: boolean;
  /** Capture time, epoch ms: gives day-of-year time packets their year. Optional. */
  captureTimeMs?: number;
}

export interface Ch10Result {
  info: Ch10Info;
  /** Primary: TMATS | CH10-<Name> (first packet's type) | CH10-Segment (continuation) | CH10-Data (no packet validated). */
  frameType: string;
  /** One per entry of info.packets that started in this datagram; [frameType] when there is none. */
  frameTypes: string[];
  /** ['ch10'] or ['ch10', 'tmats']. */
  protocols: string[];
  /** Dotted error codes, each once. */
  errors: string[];
  /** Offset in the payload where the Chapter 10 data (first packet or the slice) starts. */
  dataOffset: number;
}

const HEADER_VALID = 2;
const HEADER_PLAUSIBLE = 1;
const HEADER_NONE = 0;

function firstPacketValid(p: Buffer, off: number): boolean {
  return syncAt(p, off) && headerChecksum(p, off) === (p[off + 22] | (p[off + 23] << 8));
}

/** Scratch state reused across calls: this module is synchronous and never re-entered. */
const candidate = emptyTransferHeader();
const chosen = emptyTransferHeader();
const readSlot: PacketRead = { packet: null, status: PacketStatus.OK };
const readOpts: PacketReadOptions = { partialExpected: false, captureTimeMs: undefined };

function copyHeader(from: TransferHeader, to: TransferHeader): void {
  to.format = from.format;
  to.msgType = from.msgType;
  to.seq = from.seq;
  to.seqBits = from.seqBits;
  to.sourceId = from.sourceId;
  to.segChannelId = from.segChannelId;
  to.segChannelSeq = from.segChannelSeq;
  to.segOffset = from.segOffset;
  to.dataOffset = from.dataOffset;
  to.continuation = from.continuation;
}

/** Grades the candidate just read: VALID when packet data follows and validates, PLAUSIBLE otherwise. */
function grade(p: Buffer, th: TransferHeader): number {
  if (th.continuation) return HEADER_PLAUSIBLE;
  return firstPacketValid(p, th.dataOffset) ? HEADER_VALID : HEADER_PLAUSIBLE;
}

/**
 * Finds the transfer header: the first candidate whose packet validates, else
 * the first plausible one (usable only with flow context), into `chosen`.
 */
function detect(p: Buffer): number {
  let best = HEADER_NONE;
  for (let i = 0; i < 4; i++) {
    const ok = i === 0 ? readFormat1(p, candidate)
      : i === 1 ? readFormat3(p, candidate)
        : i === 2 ? readFormat2(p, candidate)
          : readBare(p, candidate);
    if (!ok) continue;
    const g = grade(p, candidate);
    if (g > best) {
      best = g;
      copyHeader(candidate, chosen);
    }
    if (g === HEADER_VALID) break;
  }
  return best;
}

function newInfo(th: TransferHeader): Ch10Info {
  return {
    udp_format: th.format,
    udp_msg_type: th.msgType,
    udp_seq: th.seq,
    udp_seq_bits: th.seqBits,
    source_id: th.sourceId,
    seg_channel_id: th.segChannelId,
    seg_channel_seq: th.segChannelSeq,
    seg_offset: th.segOffset,
    packets: [],
    tmats: null,
  };
}

/** Drops repeated codes (several packets in one datagram can fail the same way). */
function uniqueErrors(errors: string[]): string[] {
  if (errors.length < 2) return errors;
  return errors.filter((e, i) => errors.indexOf(e) === i);
}

/** Fills info.tmats from a TMATS packet at `off` (first setup record wins). */
export function attachTmats(info: Ch10Info, p: Buffer, off: number, end: number, packet: Ch10Packet): void {
  if (info.tmats !== null || packet.csdw === null) return;
  const bodyStart = off + (packet.flags & 0x80 ? 36 : 24) + 4;
  const textEnd = Math.min(off + (packet.flags & 0x80 ? 36 : 24) + packet.data_length, end);
  if (textEnd < bodyStart) return;
  info.tmats = decodeTmats(tmatsText(p, bodyStart, textEnd, packet.csdw), packet.csdw, packet.complete);
}

/**
 * Walks the packets from `start` to `end`, appending to info.packets and
 * frameTypes; stops at the first packet that is partial or whose header fails.
 * `single`: at most one packet (a segment carries one packet's bytes).
 */
export function walkPackets(p: Buffer, start: number, end: number, info: Ch10Info, frameTypes: string[], errors: string[],
  partialExpected: boolean, single: boolean, captureTimeMs: number | undefined): void {
  readOpts.partialExpected = partialExpected;
  readOpts.captureTimeMs = captureTimeMs;
  let off = start;
  while (off < end) {
    if (end - off < PRIMARY_HEADER_LENGTH) {
      if (!partialExpected) errors.push('ch10.leftover_bytes');
      return;
    }
    if ((p[off] | (p[off + 1] << 8)) !== 0xeb25) {
      errors.push(off === start ? 'ch10.bad_sync' : 'ch10.leftover_bytes');
      return;
    }
    readCh10Packet(p, off, end, readOpts, errors, readSlot);
    const packet = readSlot.packet as Ch10Packet;
    info.packets.push(packet);
    frameTypes.push(packet.header_checksum_ok ? packet.data_type_name : CH10_FAMILY_FRAME_TYPE);
    if (packet.header_checksum_ok && packet.data_type === CH10_TYPE.TMATS) attachTmats(info, p, off, end, packet);
    if (readSlot.status !== PacketStatus.OK) return;
    off += packet.packet_length;
    if (single) {
      if (off < end) errors.push('ch10.leftover_bytes');
      return;
    }
  }
}

/** null when the payload is not Chapter 10 (never throws). */
export function dissectChapter10(payload: Buffer, ctx: Ch10Context): Ch10Result | null {
  if (payload.length < 4) return null;
  const grade = detect(payload);
  const context = ctx.flowKnownCh10 || ctx.portPinned;
  if (grade === HEADER_NONE) {
    if (!ctx.portPinned) return null;
    // A pinned port says this is Chapter 10 whatever the bytes say.
    const info = newInfo(emptyTransferHeader());
    return { info, frameType: CH10_FAMILY_FRAME_TYPE, frameTypes: [CH10_FAMILY_FRAME_TYPE], protocols: ['ch10'],
      errors: ['ch10.bad_transfer_header'], dataOffset: 0 };
  }
  if (grade !== HEADER_VALID && !context) return null;

  const th = chosen;
  const info = newInfo(th);
  const frameTypes: string[] = [];
  const errors: string[] = [];
  if (th.continuation) {
    frameTypes.push(CH10_SEGMENT_FRAME_TYPE);
  } else {
    const segmented = th.segOffset !== null;
    walkPackets(payload, th.dataOffset, payload.length, info, frameTypes, errors,
      segmented || th.format === 3, segmented, ctx.captureTimeMs);
    if (frameTypes.length === 0) frameTypes.push(CH10_FAMILY_FRAME_TYPE);
  }
  return {
    info,
    frameType: frameTypes[0],
    frameTypes,
    protocols: info.tmats !== null ? ['ch10', 'tmats'] : ['ch10'],
    errors: uniqueErrors(errors),
    dataOffset: th.dataOffset,
  };
}
