/**
 * Channel-specific data words and body layouts (protocols.md §2.9): the
 * message count a CSDW declares, and an allocation-free walk over the
 * per-message intra-packet headers of the common types that checks the
 * messages tile the body. A body that does not tile is `ch10.bad_body`.
 */
import { u16le } from './byte-reads.js';
import { CH10_TYPE as T } from './data-types.js';

/** The walk found a layout that does not fit the body. */
export const BODY_BAD = -1;
/** This data type's body is not walked (opaque, or no public layout to check). */
export const BODY_NOT_WALKED = -2;

/** Messages/words/frames counted by the CSDW for the types whose CSDW carries a count; null otherwise. */
export function csdwMessageCount(dataType: number, csdw: number): number | null {
  switch (dataType) {
    case T.MS1553_F1: return csdw & 0xffffff;
    case T.MS1553_F2: return csdw >>> 0;
    case T.MESSAGE_F0:
    case T.ARINC429_F0:
    case T.ETHERNET_F0:
    case T.ETHERNET_F1:
    case T.INDEX:
    case T.CAN_F0: return csdw & 0xffff;
    case T.VIDEO_F1:
    case T.VIDEO_F2:
    case T.EVENT: return csdw & 0xfff;
    default: return null;
  }
}

/**
 * Walks the messages of a complete body. `start` is the first byte after the
 * CSDW, `end` the end of the valid data (headers + data_length). Returns the
 * number of messages found, BODY_BAD, or BODY_NOT_WALKED. Every step advances,
 * so the work is bounded by the body size whatever the lengths claim.
 */
export function walkBody(buf: Buffer, start: number, end: number, dataType: number, csdw: number): number {
  const size = end - start;
  switch (dataType) {
    case T.MS1553_F1: {
      // 8-byte IPTS, u16 block status, u8 gap1, u8 gap2, u16 length, then `length` bytes of words.
      const count = csdw & 0xffffff;
      let pos = start;
      for (let i = 0; i < count; i++) {
        if (pos + 14 > end) return BODY_BAD;
        const len = u16le(buf, pos + 12);
        pos += 14 + len;
        if (pos > end) return BODY_BAD;
      }
      return pos === end ? count : BODY_BAD;
    }
    case T.ARINC429_F0: {
      const count = csdw & 0xffff;
      return count * 8 === size ? count : BODY_BAD;
    }
    case T.DISCRETE_F1:
      return size % 12 === 0 ? size / 12 : BODY_BAD;
    case T.VIDEO_F0: {
      const unit = (csdw >>> 30) & 1 ? 196 : 188;
      return size % unit === 0 ? size / unit : BODY_BAD;
    }
    case T.MESSAGE_F0: {
      // 8-byte IPTS + u32 (15–0 length), data padded to even.
      const count = csdw & 0xffff;
      let pos = start;
      for (let i = 0; i < count; i++) {
        if (pos + 12 > end) return BODY_BAD;
        const len = u16le(buf, pos + 8);
        pos += 12 + len + (len & 1);
        if (pos > end) return BODY_BAD;
      }
      return pos === end ? count : BODY_BAD;
    }
    case T.UART_F0: {
      // [8-byte IPTS when CSDW bit 31] + u32 (15–0 length), data padded to even; no count in the CSDW.
      const iph = (csdw >>> 31) & 1 ? 8 : 0;
      let pos = start;
      let count = 0;
      while (pos < end) {
        if (pos + iph + 4 > end) return BODY_BAD;
        const len = u16le(buf, pos + iph);
        pos += iph + 4 + len + (len & 1);
        if (pos > end) return BODY_BAD;
        count++;
      }
      return count;
    }
    case T.ETHERNET_F0: {
      // 8-byte IPTS + u32 frame ID word (13–0 length), frame padded to even.
      const count = csdw & 0xffff;
      let pos = start;
      for (let i = 0; i < count; i++) {
        if (pos + 12 > end) return BODY_BAD;
        const len = u16le(buf, pos + 8) & 0x3fff;
        pos += 12 + len + (len & 1);
        if (pos > end) return BODY_BAD;
      }
      return pos === end ? count : BODY_BAD;
    }
    case T.ETHERNET_F1: {
      // IPH of CSDW bits 31–16 bytes (IPTS included); its u32 at +8 carries the data length in bits 31–16.
      const count = csdw & 0xffff;
      const iphLen = csdw >>> 16;
      if (iphLen < 12) return count === 0 && start === end ? 0 : BODY_BAD;
      let pos = start;
      for (let i = 0; i < count; i++) {
        if (pos + iphLen > end) return BODY_BAD;
        const len = u16le(buf, pos + 10);
        pos += iphLen + len + (len & 1);
        if (pos > end) return BODY_BAD;
      }
      return pos === end ? count : BODY_BAD;
    }
    case T.EVENT: {
      // 8-byte IPTS [+ 8-byte IPDH when CSDW bit 31] + u32 event word. Older recorders write the IPDH
      // without setting the bit (pychapter10_event.c10, a 106-07 recorder), so 20-byte entries pass too.
      const count = csdw & 0xfff;
      if ((csdw >>> 31) & 1) return count * 20 === size ? count : BODY_BAD;
      return count * 12 === size || count * 20 === size ? count : BODY_BAD;
    }
    default:
      return BODY_NOT_WALKED;
  }
}
