/**
 * A stream's (or PTP clock's) typical interval and its silence threshold.
 *
 * The typical interval is a moving average (1/8 weight) of the intervals
 * between its packets, each sample capped at 4 times the current value: one
 * long outage hardly moves it, while a stream slower than the first guess
 * adapts within a few packets. The stream is silent when nothing came for
 * the larger of the configured minimum (--stream-silence) and 8 typical
 * intervals, so a 1 Hz stream is silent after 8 s and a 100 Hz one after the
 * minimum.
 */

export function typicalAfter(typical: number, d: number): number {
  if (typical === 0) return d;
  const x = d > 4 * typical ? 4 * typical : d;
  return typical + (x - typical) / 8;
}

export function silenceThreshold(typical: number, minimumNs: number): number {
  const t = 8 * typical;
  return t > minimumNs ? t : minimumNs;
}
