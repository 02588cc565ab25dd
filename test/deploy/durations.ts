/** systemd time spans as the units write them ("5s", "150s", "1min 30s", "500ms", bare seconds) → milliseconds. */
const UNITS: Record<string, number> = {
  us: 0.001, ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000,
};

export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  let total = 0;
  let rest = t;
  while (rest.length) {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*/.exec(rest);
    if (!m || UNITS[m[2]] === undefined) throw new Error(`not a systemd time span: "${text}"`);
    total += Number(m[1]) * UNITS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}
