/**
 * Test helper: compares decoded Chapter 10 packets with pychapter10's dump of
 * the same bytes, field by field (ch10_dump.py says which fields).
 */
import { expect } from 'vitest';
import type { Ch10Packet, TmatsInfo } from '@streamlens/common';
import { parseTmatsAttributes } from '../src/protocols/chapter10/tmats.js';
import type { OraclePacket } from './pychapter10.js';

export interface DecodedPacket {
  packet: Ch10Packet;
  tmats: TmatsInfo | null;
}

export interface CompareStats { packets: number; times: number; counted: number; tmats: number }

function timeText(o: NonNullable<OraclePacket['time']>): string {
  const p = (n: number, w: number) => String(n).padStart(w, '0');
  return o.date_format === 0 ? `${p(o.day_of_year, 3)} ${o.hms_ms}` : `${p(o.year, 4)}-${p(o.month, 2)}-${p(o.day, 2)} ${o.hms_ms}`;
}

/** `mine[i]` must be the packet pychapter10 found at `oracle[i]`. */
export function expectMatchesOracle(mine: DecodedPacket[], oracle: OraclePacket[], label: string): CompareStats {
  expect(mine.length, `${label}: packet count`).toBe(oracle.length);
  const stats: CompareStats = { packets: oracle.length, times: 0, counted: 0, tmats: 0 };
  for (let i = 0; i < oracle.length; i++) {
    const o = oracle[i];
    const m = mine[i].packet;
    const where = `${label} packet ${i} @${o.offset}`;
    expect({
      channel_id: m.channel_id, packet_length: m.packet_length, data_length: m.data_length,
      data_type_version: m.data_type_version, seq: m.seq, flags: m.flags,
      data_type: m.data_type, rtc: m.rtc, header_checksum_ok: m.header_checksum_ok, complete: m.complete,
    }, where).toEqual({
      channel_id: o.channel_id, packet_length: o.packet_length, data_length: o.data_length,
      data_type_version: o.data_type_version, seq: o.seq, flags: o.flags,
      data_type: o.data_type, rtc: o.rtc, header_checksum_ok: o.header_checksum_ok, complete: true,
    });
    // Every data checksum in the public recordings is valid (captures/README.md).
    expect(m.data_checksum, where).toBe((o.flags & 3) === 0 ? 'none' : 'ok');
    if (o.csdw_count !== undefined) {
      expect(m.message_count, where).toBe(o.csdw_count);
      stats.counted++;
    }
    if (o.messages !== undefined) {
      expect(m.message_count, where).toBe(o.messages);
      stats.counted++;
    }
    if (o.time) {
      expect(m.time_text, where).toBe(timeText(o.time));
      expect(m.csdw! & 0xf, where).toBe(o.time.time_source);
      expect((m.csdw! >>> 4) & 0xf, where).toBe(o.time.time_format);
      expect((m.csdw! >>> 9) & 1, where).toBe(o.time.date_format);
      stats.times++;
    }
    if (o.tmats) {
      stats.tmats++;
      const t = mine[i].tmats;
      expect(t, where).not.toBeNull();
      expect(t!.complete, where).toBe(true);
      expect(t!.text, where).toBe(o.tmats.text.replace(/\0+$/, ''));
      expect(t!.irig106_release, where).toBe(o.tmats.version);
      const attrs = new Map<string, string>();
      for (const a of parseTmatsAttributes(t!.text)) attrs.set(a.code, a.value);
      const keys = Object.keys(o.tmats.attributes);
      expect(keys.length, where).toBeGreaterThan(100);
      for (const k of keys) expect(attrs.get(k), `${where} ${k}`).toBe(o.tmats.attributes[k]);
      for (const [code, field] of [['G\\PN', 'program_name'], ['G\\TA', 'test_article'], ['G\\106', 'irig106_edition']] as const) {
        if (o.tmats.attributes[code] !== undefined) expect(t![field], where).toBe(field === 'irig106_edition' ? o.tmats.attributes[code].trim() : o.tmats.attributes[code]);
      }
    }
  }
  return stats;
}
