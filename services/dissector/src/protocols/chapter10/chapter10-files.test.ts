/**
 * The packet parser against pychapter10 (independent oracle) on the five
 * public .c10 recordings: every packet, field by field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { oracleMissing, pychapter10Dump, type OraclePacket } from '../../../test-oracles/pychapter10.js';
import { readCh10Packets, type Ch10PacketAt } from './packet-stream.js';
import { parseTmatsAttributes } from './tmats.js';

const DIR = '/work/shared/captures/ch10files';
export const C10_FILES = ['discrete', 'ethernet', 'event', 'pcm', 'sample'].map((n) => `${DIR}/pychapter10_${n}.c10`);

const missing = oracleMissing();

function timeText(o: NonNullable<OraclePacket['time']>): string {
  const p = (n: number, w: number) => String(n).padStart(w, '0');
  return o.date_format === 0 ? `${p(o.day_of_year, 3)} ${o.hms_ms}` : `${p(o.year, 4)}-${p(o.month, 2)}-${p(o.day, 2)} ${o.hms_ms}`;
}

describe.skipIf(missing !== null)(`Chapter 10 files against pychapter10${missing ? ` (skipped: ${missing})` : ''}`, () => {
  for (const file of C10_FILES) {
    it(file.split('/').pop() as string, () => {
      const buf = readFileSync(file);
      const oracle = pychapter10Dump(file);
      const mine: Ch10PacketAt[] = [...readCh10Packets(buf)];
      const complete = mine.filter((m) => m.packet.complete);
      expect(complete.length).toBe(oracle.length);
      expect(oracle.length).toBeGreaterThan(50);
      let times = 0;
      let counted = 0;
      let tmats = 0;
      for (let i = 0; i < oracle.length; i++) {
        const o = oracle[i];
        const m = complete[i];
        const where = `${file} packet ${i} @${o.offset}`;
        expect(m.offset, where).toBe(o.offset);
        expect({
          channel_id: m.packet.channel_id, packet_length: m.packet.packet_length, data_length: m.packet.data_length,
          data_type_version: m.packet.data_type_version, seq: m.packet.seq, flags: m.packet.flags,
          data_type: m.packet.data_type, rtc: m.packet.rtc, header_checksum_ok: m.packet.header_checksum_ok,
        }, where).toEqual({
          channel_id: o.channel_id, packet_length: o.packet_length, data_length: o.data_length,
          data_type_version: o.data_type_version, seq: o.seq, flags: o.flags,
          data_type: o.data_type, rtc: o.rtc, header_checksum_ok: o.header_checksum_ok,
        });
        // Every header and data checksum in these files is valid (captures/README.md).
        expect(m.errors, where).toEqual([]);
        expect(m.packet.data_checksum, where).toBe((o.flags & 3) === 0 ? 'none' : 'ok');
        if (o.csdw_count !== undefined) {
          expect(m.packet.message_count, where).toBe(o.csdw_count);
          counted++;
        }
        if (o.messages !== undefined) {
          expect(m.packet.message_count, where).toBe(o.messages);
          counted++;
        }
        if (o.time) {
          expect(m.packet.time_text, where).toBe(timeText(o.time));
          expect(m.packet.csdw! & 0xf, where).toBe(o.time.time_source);
          expect((m.packet.csdw! >>> 4) & 0xf, where).toBe(o.time.time_format);
          expect((m.packet.csdw! >>> 9) & 1, where).toBe(o.time.date_format);
          times++;
        }
        if (o.tmats) {
          tmats++;
          expect(m.tmats, where).not.toBeNull();
          expect(m.tmats!.text, where).toBe(o.tmats.text.replace(/\0+$/, ''));
          expect(m.tmats!.irig106_release, where).toBe(o.tmats.version);
          const attrs = new Map<string, string>();
          for (const a of parseTmatsAttributes(m.tmats!.text)) attrs.set(a.code, a.value);
          const keys = Object.keys(o.tmats.attributes);
          expect(keys.length, where).toBeGreaterThan(100);
          for (const k of keys) expect(attrs.get(k), `${where} ${k}`).toBe(o.tmats.attributes[k]);
          for (const [code, field] of [['G\\PN', 'program_name'], ['G\\TA', 'test_article'], ['G\\106', 'irig106_edition']] as const) {
            if (o.tmats.attributes[code] !== undefined) expect(m.tmats![field], where).toBe(o.tmats.attributes[code].trim());
          }
        }
      }
      expect(times).toBeGreaterThan(0);
      expect(tmats).toBe(1);
      expect(counted).toBeGreaterThan(0);
      // Whatever follows the last whole packet is a packet cut by the end of the file.
      const rest = mine.slice(mine.indexOf(complete[complete.length - 1]) + 1);
      for (const r of rest) {
        expect(r.packet.complete).toBe(false);
        expect(r.errors).toContain('ch10.truncated');
      }
    });
  }
});
