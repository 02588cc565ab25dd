// Public surface of the capture agent; each module re-exported here as it lands.
export * from './decode/index.js';
export {
  CaptureFileReader, CaptureFileError, DEFAULT_CHUNK_SIZE,
  type CaptureFileErrorCode, type CaptureFileFormat, type CaptureFileOptions, type CaptureInterfaceInfo, type RawFrame,
} from './sources/capture-file.js';
export { AgentService, type AgentOutcome, type AgentServiceDeps } from './agent-service.js';
export { agentOptions, checkAgentConfig, defaultSpoolDir, paceFactor, type AgentConfig } from './agent-options.js';
export { AgentMetrics } from './agent-metrics.js';
export { CAP_INSTALL_HINT, PERMISSION_HINT } from './sources/live-capture.js';
export { Batcher, type SealedBatch } from './batcher.js';
export { FrameScan, scanFrameAt } from './decode/frame-scan.js';
export { FrameBatchWriter } from './frame-batch-writer.js';
export { MessageBuffers, messageBuffers, MIN_MESSAGE_BUFFER } from './message-buffers.js';
export { FramePipeline, type CoarseClock, type PipelineOptions } from './frame-pipeline.js';
export { FileReplay, type ReplayOptions, type ReplayResult } from './sources/replay.js';
export { LiveCapture, type FrameHandler } from './sources/live-capture.js';
export { replayInterfaceName } from './sources/interface-name.js';
