export { decodeFrame, decodeFrameAt, DEFAULT_PAYLOAD_CAP } from './decode-frame.js';
export { DECODE_ERROR_CODES, type DecodeErrorCode } from './decode-errors.js';
export { LINKTYPE, isSupportedLinkType, linkTypeName } from './link-types.js';
export { TCP_FLAG_NAMES, TCP_FLAG_STRINGS } from './tcp-flags.js';
export { resetDecodedFields } from './record-fields.js';
