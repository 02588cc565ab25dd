/**
 * Walks a buffer of back-to-back Chapter 10 packets: the bytes of a .c10
 * recording (IRIG 106 Chapter 10 file) or a reassembled packet. After a packet
 * whose header does not validate it resynchronises on the next sync pattern
 * with a valid header checksum, as file readers do.
 */
import type { Ch10Packet, TmatsInfo } from '@streamlens/common';
import { headerChecksum } from './checksums.js';
import { attachTmats } from './dissect-chapter10.js';
import { PacketStatus, readCh10Packet, type PacketRead } from './packet-header.js';

export interface Ch10PacketAt {
  /** Byte offset of the packet in the buffer. */
  offset: number;
  packet: Ch10Packet;
  /** Error codes of this packet (ch10.truncated for a packet cut by the end of the buffer). */
  errors: string[];
  /** TMATS attributes when the packet is a setup record. */
  tmats: TmatsInfo | null;
}

function validHeaderAt(buf: Buffer, off: number): boolean {
  return off + 24 <= buf.length && buf[off] === 0x25 && buf[off + 1] === 0xeb &&
    headerChecksum(buf, off) === (buf[off + 22] | (buf[off + 23] << 8));
}

/** Every packet in `buf`, in order; bytes that are not a packet are skipped (and reported on the next packet as ch10.resync). */
export function* readCh10Packets(buf: Buffer, options: { captureTimeMs?: number } = {}): Generator<Ch10PacketAt> {
  const slot: PacketRead = { packet: null, status: PacketStatus.OK };
  const opts = { partialExpected: false, captureTimeMs: options.captureTimeMs };
  let off = 0;
  let skipped = false;
  while (off + 24 <= buf.length) {
    if (!validHeaderAt(buf, off)) {
      skipped = true;
      off++;
      continue;
    }
    const errors: string[] = skipped ? ['ch10.resync'] : [];
    skipped = false;
    readCh10Packet(buf, off, buf.length, opts, errors, slot);
    const packet = slot.packet as Ch10Packet;
    const holder = { packets: [], tmats: null as TmatsInfo | null, udp_format: 0, udp_msg_type: 0, udp_seq: null,
      udp_seq_bits: 0, source_id: null, seg_channel_id: null, seg_channel_seq: null, seg_offset: null };
    if (packet.data_type === 0x01) attachTmats(holder, buf, off, buf.length, packet);
    yield { offset: off, packet, errors, tmats: holder.tmats };
    if (slot.status !== PacketStatus.OK) {
      // Lengths unusable or the packet runs past the end: look for the next header after this one.
      if (slot.status === PacketStatus.PARTIAL) return;
      skipped = true;
      off++;
      continue;
    }
    off += packet.packet_length;
  }
}
