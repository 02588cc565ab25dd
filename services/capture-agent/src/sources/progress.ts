/**
 * The replay progress line on a terminal: frames, rate, bytes read as a
 * percentage of the input, and the time left at the current rate. Redrawn in
 * place (carriage return) a few times a second, on stderr, only when stderr is
 * a terminal: logs and pipes never see it.
 */
import { performance } from 'node:perf_hooks';

export interface ProgressState {
  frames: number;
  /** Bytes of all input read so far, and their total. */
  bytesRead: number;
  bytesTotal: number;
  /** File being read (1-based) and how many there are. */
  file: number;
  files: number;
  elapsedMs: number;
  /** Frames per second over the last interval. */
  rate: number;
}

function si(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

function clock(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '--:--';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The text of one progress line. */
export function formatProgress(p: ProgressState): string {
  const frac = p.bytesTotal > 0 ? Math.min(1, p.bytesRead / p.bytesTotal) : 0;
  const byteRate = p.elapsedMs > 0 ? p.bytesRead / (p.elapsedMs / 1000) : 0;
  const eta = byteRate > 0 ? (p.bytesTotal - p.bytesRead) / byteRate : NaN;
  const files = p.files > 1 ? ` file ${p.file}/${p.files}` : '';
  return `replay${files}: ${(frac * 100).toFixed(1).padStart(5)}%  ${si(p.frames)} frames  ${si(p.rate)} frames/s  ${si(p.bytesRead)}B of ${si(p.bytesTotal)}B  ETA ${clock(eta)}`;
}

export interface ProgressSource {
  frames(): number;
  bytesRead(): number;
  file(): number;
}

/** Redraws the progress line every `intervalMs` until `finish()`. */
export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  private readonly start = performance.now();
  private lastFrames = 0;
  private lastAt = this.start;
  private width = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly src: ProgressSource,
    private readonly bytesTotal: number,
    private readonly files: number,
    private readonly intervalMs = 250,
  ) {}

  /** Whether a progress line belongs on this stream (a terminal). */
  static wanted(out: { isTTY?: boolean }, mode: 'auto' | 'never'): boolean {
    return mode === 'auto' && out.isTTY === true;
  }

  begin(): void {
    this.timer = setInterval(() => this.draw(), this.intervalMs);
    this.timer.unref();
  }

  private draw(): void {
    const now = performance.now();
    const frames = this.src.frames();
    const rate = now > this.lastAt ? ((frames - this.lastFrames) * 1000) / (now - this.lastAt) : 0;
    this.lastFrames = frames;
    this.lastAt = now;
    const line = formatProgress({
      frames, bytesRead: this.src.bytesRead(), bytesTotal: this.bytesTotal, file: this.src.file(), files: this.files,
      elapsedMs: now - this.start, rate,
    });
    this.width = Math.max(this.width, line.length);
    this.out.write(`\r${line.padEnd(this.width)}`);
  }

  /** Draw the final state and end the line. */
  finish(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    this.out.write('\n');
  }
}
