/**
 * TMATS setup records (computer-generated format 1, data type 0x01;
 * protocols.md §2.9.1, §2.10). The text is a list of `CODE:VALUE;` attributes
 * (IRIG 106 Chapter 9); this module exposes the text and the attributes a
 * stream user needs first: the G group (program, test article, edition, data
 * sources) and the R group channels (channel ID = TK1, data type, source,
 * enabled). TMATS packets are rare (about one per second per recorder), so
 * building strings here is fine.
 */
import type { TmatsInfo } from '@streamlens/common';

/** One `CODE:VALUE;` attribute, in text order. */
export interface TmatsAttribute {
  code: string;
  value: string;
}

/**
 * Splits TMATS text into attributes: split on `;`, CR/LF and blanks before a
 * code ignored; the code is everything before the first `:` (values may contain
 * `:`). A trailing attribute without its `;` (text cut by segmentation or
 * truncation) is left out, as are fragments without a `:`.
 */
export function parseTmatsAttributes(text: string): TmatsAttribute[] {
  const out: TmatsAttribute[] = [];
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    const semi = text.indexOf(';', pos);
    if (semi < 0) break;
    let s = pos;
    while (s < semi) {
      const c = text.charCodeAt(s);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a && c !== 0x00) break;
      s++;
    }
    const colon = text.indexOf(':', s);
    if (colon >= 0 && colon < semi && colon > s) {
      out.push({ code: text.slice(s, colon).trimEnd(), value: text.slice(colon + 1, semi) });
    }
    pos = semi + 1;
  }
  return out;
}

const G_SOURCE = /^G\\(DSI|DST)-(\d+)$/;
const R_ATTR = /^R-(\d+)\\(ID|TK1|DSI|CDT|CHE|CDLN)(?:-(\d+))?$/;

interface ChannelDraft { group: number; index: number; tk1: string; dsi: string; cdt: string; che: string; name: string }

/** TMATS CSDW bits (§2.9.1): 7–0 IRIG 106 release, 8 setup record changed, 9 XML format. */
export function decodeTmats(text: string, csdw: number, complete: boolean): TmatsInfo {
  const xml = ((csdw >>> 9) & 1) === 1;
  const info: TmatsInfo = {
    irig106_release: csdw & 0xff,
    format: xml ? 'xml' : 'ascii',
    config_changed: ((csdw >>> 8) & 1) === 1,
    program_name: '',
    test_article: '',
    irig106_edition: '',
    origination_date: '',
    data_sources: [],
    channels: [],
    attribute_count: 0,
    text,
    complete,
  };
  if (xml) return info; // XML TMATS: text only (see docs/protocols/chapter10.md, limits)
  const attrs = parseTmatsAttributes(text);
  info.attribute_count = attrs.length;
  const sources = new Map<number, { id: string; type: string }>();
  const recorderIds = new Map<number, string>();
  const channels = new Map<string, ChannelDraft>();
  for (const { code, value } of attrs) {
    if (code.charCodeAt(0) === 0x47 /* G */) {
      if (code === 'G\\PN') info.program_name ||= value;
      else if (code === 'G\\TA') info.test_article ||= value;
      else if (code === 'G\\106') info.irig106_edition ||= value.trim();
      else if (code === 'G\\OD') info.origination_date ||= value;
      else {
        const m = G_SOURCE.exec(code);
        if (m) {
          const i = Number(m[2]);
          let s = sources.get(i);
          if (!s) sources.set(i, (s = { id: '', type: '' }));
          if (m[1] === 'DSI') s.id = value; else s.type = value;
        }
      }
      continue;
    }
    const m = R_ATTR.exec(code);
    if (!m) continue;
    const group = Number(m[1]);
    if (m[2] === 'ID') {
      if (m[3] === undefined && !recorderIds.has(group)) recorderIds.set(group, value);
      continue;
    }
    if (m[3] === undefined) continue;
    const index = Number(m[3]);
    const key = `${group}/${index}`;
    let ch = channels.get(key);
    if (!ch) channels.set(key, (ch = { group, index, tk1: '', dsi: '', cdt: '', che: '', name: '' }));
    switch (m[2]) {
      case 'TK1': ch.tk1 = value; break;
      case 'DSI': ch.dsi = value; break;
      case 'CDT': ch.cdt = value; break;
      case 'CHE': ch.che = value; break;
      case 'CDLN': ch.name = value; break;
    }
  }
  info.data_sources = [...sources.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  info.channels = [...channels.values()]
    .sort((a, b) => a.group - b.group || a.index - b.index)
    .map((c) => {
      const tk1 = c.tk1.trim();
      return {
        recorder_id: recorderIds.get(c.group) ?? '',
        channel_id: /^\d{1,5}$/.test(tk1) && Number(tk1) <= 0xffff ? Number(tk1) : -1,
        data_source_id: c.dsi,
        data_type: c.cdt.trim(),
        enabled: c.che.trim().toUpperCase() === 'T',
        name: c.name,
      };
    });
  return info;
}

/**
 * The text of a TMATS body: ASCII TMATS is decoded as latin1 (byte-preserving;
 * the standard says ASCII), XML as UTF-8; trailing NUL padding is dropped.
 */
export function tmatsText(buf: Buffer, start: number, end: number, csdw: number): string {
  let e = end;
  while (e > start && buf[e - 1] === 0) e--;
  return buf.toString(((csdw >>> 9) & 1) === 1 ? 'utf8' : 'latin1', start, e);
}
