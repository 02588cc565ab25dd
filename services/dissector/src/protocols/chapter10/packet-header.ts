/**
 * One Chapter 10 packet (protocols.md §2.3–2.6): primary header, secondary
 * header, lengths, data checksum, CSDW, message count and the data-type
 * specific decoding that records carry (time packets). The checklist order of
 * §2.6 decides which error a packet gets; nothing here throws, and every read
 * is bounds-checked against `end` (the bytes actually available).
 */
import type { Ch10Packet } from '@streamlens/common';
import { u32le, u48le } from './byte-reads.js';
import { dataChecksumOk, dataChecksumSize, headerChecksum, secondaryChecksumKind } from './checksums.js';
import { BODY_BAD, BODY_NOT_WALKED, csdwMessageCount, walkBody } from './csdw.js';
import { CH10_TYPE, ch10DataTypeName } from './data-types.js';
import { decodeTimeF1, decodeTimeF2, type DecodedTime } from './time-data.js';

export const CH10_SYNC = 0xeb25;
export const PRIMARY_HEADER_LENGTH = 24;
export const SECONDARY_HEADER_LENGTH = 12;

/** How a packet parse ended; the walker goes on only after OK. */
export const PacketStatus = {
  /** Complete and structurally sound: the next packet starts packet_length bytes on. */
  OK: 0,
  /** Header fine, the rest of the packet lies beyond the available bytes. */
  PARTIAL: 1,
  /** Header unusable (checksum or lengths): stop walking. */
  BAD_HEADER: 2,
} as const;
export type PacketStatus = (typeof PacketStatus)[keyof typeof PacketStatus];

export interface PacketReadOptions {
  /** A partial packet is expected (first slice of a segmented transfer, Format 3 spill): no ch10.truncated. */
  partialExpected: boolean;
  /** Epoch ms of the capture, to give day-of-year time packets their year. */
  captureTimeMs: number | undefined;
}

/** Result slot reused by the walker: the packet plus how the parse ended. */
export interface PacketRead {
  packet: Ch10Packet | null;
  status: PacketStatus;
}

/**
 * Reads the packet at `off`; `end` is one past the last available byte. At
 * least 24 bytes must be available and the sync present (the caller checks,
 * so a missing sync is reported by the walker as ch10.bad_sync). Errors are
 * pushed to `errors` as dotted codes.
 */
export function readCh10Packet(buf: Buffer, off: number, end: number, opts: PacketReadOptions, errors: string[], out: PacketRead): void {
  const channelId = buf[off + 2] | (buf[off + 3] << 8);
  const packetLength = u32le(buf, off + 4);
  const dataLength = u32le(buf, off + 8);
  const flags = buf[off + 14];
  const dataType = buf[off + 15];
  const checksumOk = headerChecksum(buf, off) === (buf[off + 22] | (buf[off + 23] << 8));
  const packet: Ch10Packet = {
    channel_id: channelId,
    packet_length: packetLength,
    data_length: dataLength,
    data_type_version: buf[off + 12],
    seq: buf[off + 13],
    flags,
    data_type: dataType,
    data_type_name: ch10DataTypeName(dataType),
    rtc: u48le(buf, off + 16),
    header_checksum_ok: checksumOk,
    secondary_time_format: null,
    secondary_time_s: null,
    secondary_time_ns: null,
    secondary_checksum: 'none',
    data_checksum: (flags & 3) === 0 ? 'none' : 'unchecked',
    complete: false,
    csdw: null,
    message_count: null,
    time_ns: null,
    time_text: null,
    time_year_from_capture: false,
    reassembled: false,
  };
  out.packet = packet;
  if (!checksumOk) {
    errors.push('ch10.bad_header_checksum');
    out.status = PacketStatus.BAD_HEADER;
    return;
  }
  const headerLength = flags & 0x80 ? PRIMARY_HEADER_LENGTH + SECONDARY_HEADER_LENGTH : PRIMARY_HEADER_LENGTH;
  const checksumSize = dataChecksumSize(flags);
  if (packetLength % 4 !== 0 || packetLength < headerLength || dataLength + headerLength + checksumSize > packetLength ||
      (dataLength > 0 && dataLength < 4)) {
    errors.push('ch10.bad_length');
    out.status = PacketStatus.BAD_HEADER;
    return;
  }
  const avail = end - off;
  const complete = packetLength <= avail;
  packet.complete = complete;

  if (flags & 0x80) {
    if (avail >= headerLength) readSecondaryHeader(buf, off + PRIMARY_HEADER_LENGTH, flags, packet, errors);
  }

  const bodyStart = off + headerLength;
  const dataEnd = bodyStart + dataLength;
  const availEnd = complete ? dataEnd : Math.min(dataEnd, end);
  if (dataLength >= 4 && bodyStart + 4 <= end) {
    const csdw = u32le(buf, bodyStart);
    packet.csdw = csdw;
    packet.message_count = csdwMessageCount(dataType, csdw);
    // A partial time packet whose time words lie beyond the datagram is not an error: they come later.
    const timeBytes = availEnd - bodyStart - 4;
    if (dataType === CH10_TYPE.TIME_F1 && (complete || timeBytes >= 8)) {
      applyTime(packet, decodeTimeF1(buf, bodyStart + 4, timeBytes, csdw, opts.captureTimeMs), errors);
    } else if (dataType === CH10_TYPE.TIME_F2 && (complete || timeBytes >= 8)) {
      applyTime(packet, decodeTimeF2(buf, bodyStart + 4, timeBytes, csdw), errors);
    }
    if (complete) {
      const walked = walkBody(buf, bodyStart + 4, dataEnd, dataType, csdw);
      if (walked === BODY_BAD) errors.push('ch10.bad_body');
      else if (walked !== BODY_NOT_WALKED && packet.message_count === null) packet.message_count = walked;
    }
  }

  if (complete) {
    if (checksumSize > 0) {
      const ok = dataChecksumOk(buf, bodyStart, off + packetLength - checksumSize, flags);
      packet.data_checksum = ok ? 'ok' : 'bad';
      if (!ok) errors.push('ch10.bad_data_checksum');
    }
    out.status = PacketStatus.OK;
    return;
  }
  if (!opts.partialExpected) errors.push('ch10.truncated');
  out.status = PacketStatus.PARTIAL;
}

function applyTime(packet: Ch10Packet, t: DecodedTime, errors: string[]): void {
  packet.time_ns = t.epochNs;
  packet.time_text = t.text;
  packet.time_year_from_capture = t.yearFromCapture;
  if (t.error) errors.push(t.error);
}

/**
 * Secondary header (§2.4) at `off`: 8 bytes of time in the format of flags
 * bits 3–2, 2 reserved, the checksum (byte or word sum, both accepted).
 */
function readSecondaryHeader(buf: Buffer, off: number, flags: number, packet: Ch10Packet, errors: string[]): void {
  const format = (flags >>> 2) & 3;
  packet.secondary_time_format = format;
  const kind = secondaryChecksumKind(buf, off);
  packet.secondary_checksum = kind;
  if (kind === 'bad') errors.push('ch10.bad_secondary_checksum');
  if (format === 1) {
    // IEEE 1588: u32 nanoseconds, then u32 seconds.
    packet.secondary_time_ns = buf.readUInt32LE(off);
    packet.secondary_time_s = buf.readUInt32LE(off + 4);
  } else if (format === 0) {
    // Chapter 4 binary-weighted time (irig106lib's reading, unverified): u16 high (LSB 655.36 s),
    // u16 low (LSB 10 ms), u16 microseconds, 2 unused bytes.
    const tenMs = buf.readUInt16LE(off) * 65536 + buf.readUInt16LE(off + 2);
    packet.secondary_time_s = Math.floor(tenMs / 100);
    packet.secondary_time_ns = (tenMs % 100) * 10_000_000 + buf.readUInt16LE(off + 4) * 1000;
  } else if (format === 2) {
    // ERTC: 64-bit counter (u32 low, u32 high); the low 53 bits fit a long without loss of meaning here.
    packet.secondary_time_ns = (buf.readUInt32LE(off + 4) & 0x1fffff) * 2 ** 32 + buf.readUInt32LE(off);
  }
}
