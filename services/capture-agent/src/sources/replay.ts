/**
 * File replay: the frames of one or more pcap/pcapng files, one file after
 * another, as fast as the pipeline takes them (pace 0) or at the recorded
 * pace times N. Frames are handed over synchronously, straight from the
 * reader's chunk. The replay waits while the publisher is congested (a file
 * can wait; a wire cannot), and stops between two frames when asked.
 *
 * A damaged or truncated file is reported (every frame before the damage is
 * replayed) and the replay goes on with the next file.
 */
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@streamlens/common';
import { CaptureFileError, CaptureFileReader, type CaptureInterfaceInfo, type RawFrame } from './capture-file.js';
import { ProgressLine } from './progress.js';

export interface ReplayOptions {
  files: string[];
  /** 0 = as fast as possible, else the recorded pace times this factor. */
  pace: number;
  /** True when onFrame is done with a frame's bytes when it returns (the reader may then reuse them). */
  framesConsumed?: boolean;
  /** Called for every frame; `iface` describes the interface the frame was captured on. */
  onFrame: (frame: RawFrame, iface: CaptureInterfaceInfo, file: number) => void;
  /** True while the consumer cannot take more (checked every few frames). */
  congested: () => boolean;
  /** Resolves when the consumer can take more. */
  room: () => Promise<void>;
  logger: Logger;
  /** Where the progress line goes when it is a terminal, and whether to draw it at all. */
  progress?: { out: NodeJS.WritableStream & { isTTY?: boolean }; mode: 'auto' | 'never' };
}

export interface ReplayResult {
  frames: number;
  files: number;
  /** Files that could not be read to their end (the error is logged). */
  failedFiles: { file: string; error: string }[];
  stopped: boolean;
}

const CONGESTION_CHECK = 256;

export class FileReplay {
  private stopRequested = false;
  private framesN = 0;
  private bytesBefore = 0;
  private reader: CaptureFileReader | undefined;
  private fileNo = 0;
  private wake: (() => void) | undefined;
  private stopSignal: () => void = () => {};
  private readonly stopped = new Promise<void>((resolve) => { this.stopSignal = resolve; });

  constructor(private readonly o: ReplayOptions) {}

  get frames(): number {
    return this.framesN;
  }

  /** Ask the replay to stop after the frame in hand. */
  stop(): void {
    this.stopRequested = true;
    this.wake?.();
    this.stopSignal();
  }

  async run(): Promise<ReplayResult> {
    const sizes: number[] = [];
    for (const f of this.o.files) sizes.push(await stat(f).then((s) => s.size, () => 0));
    const total = sizes.reduce((a, b) => a + b, 0);
    const progress = this.o.progress && ProgressLine.wanted(this.o.progress.out, this.o.progress.mode)
      ? new ProgressLine(this.o.progress.out, {
        frames: () => this.framesN,
        bytesRead: () => this.bytesBefore + (this.reader?.bytesRead ?? 0),
        file: () => this.fileNo,
      }, total, this.o.files.length)
      : undefined;
    progress?.begin();
    const result: ReplayResult = { frames: 0, files: 0, failedFiles: [], stopped: false };
    try {
      for (let i = 0; i < this.o.files.length && !this.stopRequested; i++) {
        this.fileNo = i + 1;
        const file = this.o.files[i];
        try {
          await this.replayFile(file, i);
          result.files++;
        } catch (err) {
          const message = (err as Error).message;
          result.failedFiles.push({ file, error: message });
          const e = err as CaptureFileError;
          this.o.logger.error({ file, code: e.code, offset: e.offset, framesBefore: e.framesRead, err: message },
            err instanceof CaptureFileError && e.code === 'truncated'
              ? 'capture file ends inside a record: every complete frame before it was replayed'
              : 'cannot read the capture file to its end: the frames before the damage were replayed');
        }
        this.bytesBefore += sizes[i];
        this.reader = undefined;
      }
    } finally {
      progress?.finish();
    }
    result.frames = this.framesN;
    result.stopped = this.stopRequested;
    return result;
  }

  private async replayFile(file: string, index: number): Promise<void> {
    const reader = await CaptureFileReader.open(file);
    this.reader = reader;
    const pace = this.o.pace;
    let baseSec = -1;
    let baseNs = 0;
    let wallStart = 0;
    let sinceCheck = 0;
    let lastFrameNo = 0;
    try {
      const ifaces = reader.interfaces();
      do {
        for (let f = reader.next(); f !== null; f = reader.next()) {
          if (this.stopRequested) return;
          if (pace > 0) {
            if (baseSec < 0) {
              baseSec = f.tsSec;
              baseNs = f.tsNs;
              wallStart = performance.now();
            } else {
              const dueMs = ((f.tsSec - baseSec) * 1e3 + (f.tsNs - baseNs) / 1e6) / pace;
              const aheadMs = dueMs - (performance.now() - wallStart);
              if (aheadMs >= 2) await this.sleep(aheadMs);
            }
          }
          if (this.stopRequested) return;
          this.o.onFrame(f, ifaces[f.interfaceIndex], index);
          this.framesN++;
          lastFrameNo = f.frameNo;
          if (++sinceCheck >= CONGESTION_CHECK) {
            sinceCheck = 0;
            if (this.o.congested()) {
              const waitStart = performance.now();
              await Promise.race([this.o.room(), this.stopped]);
              // Keep the recorded pace from here on instead of bursting to catch up.
              wallStart += performance.now() - waitStart;
            }
            if (this.stopRequested) return;
          }
        }
        // Frames are encoded as they are handed over: the reader may reuse their chunks.
        if (this.o.framesConsumed && lastFrameNo) reader.releaseFramesBefore(lastFrameNo + 1);
      } while (!this.stopRequested && (await reader.fill()));
    } finally {
      await reader.close();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
