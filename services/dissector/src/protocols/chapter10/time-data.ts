/**
 * Time data packets (protocols.md §2.9.2–2.9.3) and secondary-header times
 * (§2.4), decoded to epoch nanoseconds (bigint, exact) plus the packet's own
 * text. Time packets are rare (about one per second per recorder), so this
 * path may build strings; nothing here runs for other data types.
 */

export interface DecodedTime {
  /** ns since the Unix epoch; null when the year cannot be known (day-of-year format, no capture time). */
  epochNs: bigint | null;
  /** The time as the packet states it: "343 16:47:12.000" (day of year) or "2018-10-17 22:19:22.000". */
  text: string | null;
  /** The year came from the capture time, not from the packet (day-of-year formats). */
  yearFromCapture: boolean;
  /** Error code when the BCD digits are not a valid time. */
  error: string | null;
}

const NS_PER_MS = 1_000_000n;
/** Seconds between the NTP era 0 epoch (1900-01-01) and the Unix epoch. */
const NTP_UNIX_OFFSET_S = 2_208_988_800n;

function bcd(word: number, shift: number, bits: number): number {
  return (word >>> shift) & ((1 << bits) - 1);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Time data format 1 (0x11): `csdw` is the channel-specific data word, the
 * time words are the LE u16s at `off` (3 words day-of-year, 4 words month/year)
 * of which `avail` bytes exist. `captureTimeMs` resolves the year of a
 * day-of-year time: the capture's UTC year, or the adjacent one when the
 * capture and the packet sit on opposite sides of New Year.
 */
export function decodeTimeF1(buf: Buffer, off: number, avail: number, csdw: number, captureTimeMs: number | undefined): DecodedTime {
  const timeFormat = (csdw >>> 4) & 0xf;
  const monthYear = ((csdw >>> 9) & 1) === 1;
  if (timeFormat === 0xf) return { epochNs: null, text: null, yearFromCapture: false, error: null }; // "none": payload invalid by definition
  const need = monthYear ? 8 : 6;
  if (avail < need) return { epochNs: null, text: null, yearFromCapture: false, error: 'ch10.bad_time' };
  const w0 = buf.readUInt16LE(off);
  const w1 = buf.readUInt16LE(off + 2);
  const w2 = buf.readUInt16LE(off + 4);
  const tmn = bcd(w0, 0, 4), hmn = bcd(w0, 4, 4), sn = bcd(w0, 8, 4), tsn = bcd(w0, 12, 3);
  const mn = bcd(w1, 0, 4), tmin = bcd(w1, 4, 3), hn = bcd(w1, 8, 4), thn = bcd(w1, 12, 2);
  const dn = bcd(w2, 0, 4), tdn = bcd(w2, 4, 4);
  const digitsOk = tmn < 10 && hmn < 10 && sn < 10 && mn < 10 && hn < 10 && dn < 10 && tdn < 10;
  const ms = hmn * 100 + tmn * 10;
  const sec = tsn * 10 + sn;
  const min = tmin * 10 + mn;
  const hour = thn * 10 + hn;
  let ok = digitsOk && sec < 60 && min < 60 && hour < 24;
  if (!monthYear) {
    const hdn = bcd(w2, 8, 2);
    const doy = hdn * 100 + tdn * 10 + dn;
    ok = ok && doy >= 1 && doy <= 366;
    if (!ok) return { epochNs: null, text: null, yearFromCapture: false, error: 'ch10.bad_time' };
    const text = `${pad(doy, 3)} ${pad(hour, 2)}:${pad(min, 2)}:${pad(sec, 2)}.${pad(ms, 3)}`;
    if (captureTimeMs === undefined || !Number.isFinite(captureTimeMs)) {
      return { epochNs: null, text, yearFromCapture: false, error: null };
    }
    const cap = new Date(captureTimeMs);
    let year = cap.getUTCFullYear();
    const capDoy = Math.floor((captureTimeMs - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
    if (capDoy < 60 && doy > 300) year -= 1;
    else if (capDoy > 300 && doy < 60) year += 1;
    const ms0 = Date.UTC(year, 0, 1) + (doy - 1) * 86_400_000 + ((hour * 60 + min) * 60 + sec) * 1000 + ms;
    return { epochNs: BigInt(ms0) * NS_PER_MS, text, yearFromCapture: true, error: null };
  }
  const w3 = buf.readUInt16LE(off + 6);
  const on = bcd(w2, 8, 4), ton = bcd(w2, 12, 1);
  const yn = bcd(w3, 0, 4), tyn = bcd(w3, 4, 4), hyn = bcd(w3, 8, 4), oyn = bcd(w3, 12, 2);
  const day = tdn * 10 + dn;
  const month = ton * 10 + on;
  const year = oyn * 1000 + hyn * 100 + tyn * 10 + yn;
  ok = ok && on < 10 && yn < 10 && tyn < 10 && hyn < 10 && month >= 1 && month <= 12 && day >= 1 &&
    day <= daysInMonth(year, month);
  if (!ok) return { epochNs: null, text: null, yearFromCapture: false, error: 'ch10.bad_time' };
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, min, sec, ms);
  const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${pad(hour, 2)}:${pad(min, 2)}:${pad(sec, 2)}.${pad(ms, 3)}`;
  return { epochNs: BigInt(date.getTime()) * NS_PER_MS, text, yearFromCapture: false, error: null };
}

/**
 * Time data format 2 (0x12, network time): CSDW bits 3–0 status (1 = valid),
 * bits 7–4 format (0 NTP, 1 IEEE 1588-2002, 2 IEEE 1588-2008); data is u32 LE
 * seconds then u32 LE fraction (NTP, 2^-32 s, truncated to ns) or nanoseconds (PTP). PTP
 * seconds are reported as they are (TAI-based; no leap-second correction).
 */
export function decodeTimeF2(buf: Buffer, off: number, avail: number, csdw: number): DecodedTime {
  const status = csdw & 0xf;
  const format = (csdw >>> 4) & 0xf;
  if (status !== 1 || format > 2) return { epochNs: null, text: null, yearFromCapture: false, error: null }; // sender says not valid, or reserved format
  if (avail < 8) return { epochNs: null, text: null, yearFromCapture: false, error: 'ch10.bad_time' };
  const seconds = BigInt(buf.readUInt32LE(off));
  const sub = buf.readUInt32LE(off + 4);
  let epochNs: bigint;
  if (format === 0) {
    // NTP era rule (RFC 4330 §3): a clear top bit means era 1, i.e. after 2036-02-07.
    const ntpSeconds = seconds < 0x8000_0000n ? seconds + 0x1_0000_0000n : seconds;
    epochNs = (ntpSeconds - NTP_UNIX_OFFSET_S) * 1_000_000_000n + ((BigInt(sub) * 1_000_000_000n) >> 32n);
  } else {
    if (sub >= 1_000_000_000) return { epochNs: null, text: null, yearFromCapture: false, error: 'ch10.bad_time' };
    epochNs = seconds * 1_000_000_000n + BigInt(sub);
  }
  const ms = Number(epochNs / NS_PER_MS);
  const text = Number.isFinite(ms) && ms >= -8.64e15 && ms <= 8.64e15 ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : null;
  return { epochNs, text, yearFromCapture: false, error: null };
}
