/**
 * The packet parser against pychapter10 (independent oracle) on the five
 * public .c10 recordings: every packet, field by field.
 */
import { CAPTURES_DIR } from '@streamlens/common/testing';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectMatchesOracle } from '../../../test-oracles/ch10-compare.js';
import { oracleMissing, pychapter10Dump } from '../../../test-oracles/pychapter10.js';
import { readCh10Packets } from './packet-stream.js';

const DIR = `${CAPTURES_DIR}/ch10files`;
const FILES = ['discrete', 'ethernet', 'event', 'pcm', 'sample'];

const missing = oracleMissing();

describe.skipIf(missing !== null)(`Chapter 10 files against pychapter10${missing ? ` (skipped: ${missing})` : ''}`, () => {
  for (const name of FILES) {
    it(`pychapter10_${name}.c10: every packet`, () => {
      const file = `${DIR}/pychapter10_${name}.c10`;
      const oracle = pychapter10Dump(file);
      const mine = [...readCh10Packets(readFileSync(file))];
      const complete = mine.filter((m) => m.packet.complete);
      expect(complete.map((m) => m.offset)).toEqual(oracle.map((o) => o.offset));
      for (const m of complete) expect(m.errors, `@${m.offset}`).toEqual([]);
      const stats = expectMatchesOracle(complete, oracle, file);
      expect(stats.packets).toBeGreaterThan(50);
      expect(stats.times).toBeGreaterThan(0);
      expect(stats.tmats).toBe(1);
      expect(stats.counted).toBeGreaterThan(0);
      // Whatever follows the last whole packet is a packet cut by the end of the file.
      for (const r of mine.slice(complete.length)) {
        expect(r.packet.complete).toBe(false);
        expect(r.errors).toContain('ch10.truncated');
      }
    });
  }
});
