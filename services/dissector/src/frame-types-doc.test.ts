/**
 * docs/frame-types.md is the one table of the frame-type vocabulary: it must
 * list exactly the names the code can emit, and its configuration and metrics
 * tables must be what the declarations generate.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatMarkdown } from '@streamlens/common';
import { Dissector } from './dissect.js';
import { dissectorOptions } from './dissector-options.js';
import { APP_FRAME_TYPES, TRANSPORT_FRAME_TYPES } from './frame-types.js';
import { CH10_FAMILY_FRAME_TYPE, CH10_SEGMENT_FRAME_TYPE, ch10AssignedDataTypes, ch10DataTypeName } from './protocols/chapter10/index.js';
import { PTP_FRAME_TYPES, PTP_UNKNOWN_FRAME_TYPE } from './protocols/ptp/index.js';

const DOC = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../docs/frame-types.md'), 'utf8');

function between(begin: string, end: string): string {
  const a = DOC.indexOf(begin);
  const b = DOC.indexOf(end);
  expect(a, begin).toBeGreaterThan(0);
  return DOC.slice(a + begin.length, b).trim();
}

describe('docs/frame-types.md', () => {
  it('lists exactly the frame types the code emits', () => {
    const section = DOC.slice(DOC.indexOf('## The frame types'), DOC.indexOf('Decisions worth knowing'));
    const documented = new Set([...section.matchAll(/^\| [a-zA-Z0-9 ]+ \| `([^`]+)` \|/gm)].map((m) => m[1]));
    const emitted = new Set<string>([
      ...ch10AssignedDataTypes().map(([, name]) => name), 'CH10-Reserved-0xNN', CH10_SEGMENT_FRAME_TYPE, CH10_FAMILY_FRAME_TYPE,
      ...PTP_FRAME_TYPES, PTP_UNKNOWN_FRAME_TYPE,
      ...['P', 'D', 'N', 'M', 'Q', 'Unknown'].map((t) => `IENA-${t}`),
      ...Object.values(APP_FRAME_TYPES), ...Object.values(TRANSPORT_FRAME_TYPES),
    ]);
    expect([...documented].sort()).toEqual([...emitted].sort());
    // Unassigned data types follow the documented pattern.
    expect(ch10DataTypeName(0x7f)).toBe('CH10-Reserved-0x7F');
  });

  it('its configuration table is generated from the option declarations', () => {
    expect(between('<!-- dissector-options:begin -->', '<!-- dissector-options:end -->')).toBe(formatMarkdown(dissectorOptions));
  });

  it('its metrics table is the registry\'s own description', () => {
    const rows = new Dissector().metrics.registry.describe()
      .map((m) => `| \`${m.name}\` | ${m.type} | ${m.labels.join(', ')} | ${m.help} |`);
    expect(between('<!-- dissector-metrics:begin -->', '<!-- dissector-metrics:end -->'))
      .toBe(['| metric | type | labels | meaning |', '|---|---|---|---|', ...rows].join('\n'));
  });
});
