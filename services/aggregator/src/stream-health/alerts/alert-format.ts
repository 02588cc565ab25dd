/** One alert as a line of text (what `streamlens run` prints as alerts fire and resolve). */
import type { AlertRow } from './alert-evaluator.js';

function utc(ns: string): string {
  const n = BigInt(ns);
  const iso = new Date(Number(n / 1_000_000n)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

/**
 * `2024-11-19 07:06:43.000 FIRING   iena-loss [warning] IENA key 0x2CFA 192.168.28.8 → 235.0.0.1 (tlm-1/eth0): loss_rate 0.02913 > 0.02 over 1 s`
 */
export function formatAlertLine(r: AlertRow): string {
  const state = r.state === 'firing' ? 'FIRING  ' : 'RESOLVED';
  const cmp = r.comparison === 'above' ? (r.state === 'firing' ? '>' : '<=') : (r.state === 'firing' ? '<' : '>=');
  return `${utc(r.ts_ns)} ${state} ${r.rule} [${r.severity}] ${r.stream} (${r.agent_id}/${r.interface}): ` +
    `${r.metric} ${num(r.value)} ${cmp} ${num(r.threshold)} over ${num(r.window_ns / 1e9)} s`;
}
