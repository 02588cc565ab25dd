/**
 * IRIG 106 Chapter 10 / 11 over UDP (protocols.md §2): the public surface.
 *
 * - `dissectChapter10(payload, ctx)`: detects and dissects one UDP payload
 *   (stateless); null when it is not Chapter 10.
 * - `Ch10Reassembler`: keyed reassembly of Format 1 segmented transfers on top
 *   of the results, for a worker that sees every datagram of a flow.
 * - `readCh10Packets(buf)`: walks a buffer of back-to-back packets (a .c10
 *   file's bytes, or a reassembled packet).
 *
 * Semantics, frame types and error codes: docs/protocols/chapter10.md.
 */
export { dissectChapter10, type Ch10Context, type Ch10Result } from './dissect-chapter10.js';
export { Ch10Reassembler, type Ch10ReassemblerOptions, type Ch10ReassemblyStats } from './reassembly.js';
export { readCh10Packets, type Ch10PacketAt } from './packet-stream.js';
export { ch10DataTypeName, ch10AssignedDataTypes, CH10_SEGMENT_FRAME_TYPE, CH10_FAMILY_FRAME_TYPE } from './data-types.js';
export { parseTmatsAttributes, decodeTmats, type TmatsAttribute } from './tmats.js';
