// Public surface of the dissector.
export { Dissector, DissectorMetrics, type DissectorInit } from './dissect.js';
export { DissectorBatchCodec } from './batch-codec.js';
export { MessageDissector, type DissectedMessage } from './message-dissector.js';
export { dissectorOptions, dissectorSettings, type DissectorConfig, type DissectorSettings } from './dissector-options.js';
export { classify, classifyTransport, type ClassifyContext } from './classify.js';
export { castOf, type Cast } from './cast.js';
export { APP_FRAME_TYPES, TRANSPORT_FRAME_TYPES, frameTypeFamily, type ClassifiedBy } from './frame-types.js';
export {
  dissectChapter10, Ch10Reassembler, ch10DataTypeName, ch10AssignedDataTypes, CH10_SEGMENT_FRAME_TYPE, CH10_FAMILY_FRAME_TYPE,
  type Ch10Context, type Ch10Result, type Ch10ReassemblerOptions, type Ch10ReassemblyStats,
} from './protocols/chapter10/index.js';
export { dissectPtp, isPtpPort, PTP_FRAME_TYPES, PTP_UNKNOWN_FRAME_TYPE, type PtpResult, type PtpTransport } from './protocols/ptp/index.js';
export {
  dissectIena, parseIenaKeyTypes, IenaSequenceTracker, type IenaConfig, type IenaResult, type IenaType,
} from './protocols/iena/index.js';
export { DissectorService, DissectorServiceMetrics, type BatchTransform, type DissectorServiceConfig } from './service/dissector-service.js';
export { dissectorServiceOptions } from './service/service-options.js';
export { dissectorCommand, dissectorCommandOptions } from './service/dissector-command.js';
export { EnrichedRouter, type RoutedMessage } from './enriched-router.js';
