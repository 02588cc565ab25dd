// Public surface of the capture agent; each module re-exported here as it lands.
export * from './decode/index.js';
export {
  CaptureFileReader, CaptureFileError, DEFAULT_CHUNK_SIZE,
  type CaptureFileErrorCode, type CaptureFileFormat, type CaptureFileOptions, type CaptureInterfaceInfo, type RawFrame,
} from './sources/capture-file.js';
