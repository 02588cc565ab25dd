/**
 * Chapter 10 data types (packet header byte 15) and their frame-type names,
 * per protocols.md §2.8. The names are the `frame_type` vocabulary: `TMATS`
 * for the setup record, `CH10-<Name>` for every other assigned type, and
 * `CH10-Reserved-0xNN` for anything unassigned (never dropped).
 */

export const CH10_TYPE = {
  COMPUTER_F0: 0x00,
  TMATS: 0x01,
  EVENT: 0x02,
  INDEX: 0x03,
  STREAM_CONFIG: 0x04,
  PCM_F1: 0x09,
  TIME_F1: 0x11,
  TIME_F2: 0x12,
  MS1553_F1: 0x19,
  MS1553_F2: 0x1a,
  ANALOG_F1: 0x21,
  DISCRETE_F1: 0x29,
  MESSAGE_F0: 0x30,
  ARINC429_F0: 0x38,
  VIDEO_F0: 0x40,
  VIDEO_F1: 0x41,
  VIDEO_F2: 0x42,
  UART_F0: 0x50,
  ETHERNET_F0: 0x68,
  ETHERNET_F1: 0x69,
  CAN_F0: 0x78,
} as const;

/** Names of the assigned data types; every other value is reserved. */
const ASSIGNED: ReadonlyArray<readonly [number, string]> = [
  [0x00, 'CH10-Computer-F0'],
  [0x01, 'TMATS'],
  [0x02, 'CH10-Event'],
  [0x03, 'CH10-Index'],
  [0x04, 'CH10-StreamConfig'],
  [0x05, 'CH10-Computer-F5'],
  [0x06, 'CH10-Computer-F6'],
  [0x07, 'CH10-Computer-F7'],
  [0x08, 'CH10-PCM-F0'],
  [0x09, 'CH10-PCM'],
  [0x11, 'CH10-Time'],
  [0x12, 'CH10-Time-F2'],
  [0x19, 'CH10-1553'],
  [0x1a, 'CH10-16PP194'],
  [0x21, 'CH10-Analog'],
  [0x29, 'CH10-Discrete'],
  [0x30, 'CH10-Message'],
  [0x38, 'CH10-ARINC429'],
  [0x40, 'CH10-Video-F0'],
  [0x41, 'CH10-Video-F1'],
  [0x42, 'CH10-Video-F2'],
  [0x43, 'CH10-Video-F3'],
  [0x44, 'CH10-Video-F4'],
  [0x48, 'CH10-Image-F0'],
  [0x49, 'CH10-Image-F1'],
  [0x4a, 'CH10-Image-F2'],
  [0x50, 'CH10-UART'],
  [0x58, 'CH10-1394-F0'],
  [0x59, 'CH10-1394-F1'],
  [0x60, 'CH10-Parallel'],
  [0x68, 'CH10-Ethernet-F0'],
  [0x69, 'CH10-Ethernet-F1'],
  [0x70, 'CH10-TSPI-F0'],
  [0x71, 'CH10-TSPI-F1'],
  [0x72, 'CH10-ACTTS'],
  [0x78, 'CH10-CAN'],
  [0x79, 'CH10-FibreChannel-F0'],
  [0x7a, 'CH10-FibreChannel-F1'],
];

const NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (let t = 0; t < 256; t++) names.push(`CH10-Reserved-0x${t.toString(16).toUpperCase().padStart(2, '0')}`);
  for (const [t, name] of ASSIGNED) names[t] = name;
  return names;
})();

/** Frame-type name of a data type byte (precomputed; no string building per packet). */
export function ch10DataTypeName(dataType: number): string {
  return NAMES[dataType & 0xff];
}

/** Every assigned data type with its name, in data-type order (for docs and tests). */
export function ch10AssignedDataTypes(): ReadonlyArray<readonly [number, string]> {
  return ASSIGNED;
}

/** Frame type of a continuation datagram of a segmented transfer (no packet header in it). */
export const CH10_SEGMENT_FRAME_TYPE = 'CH10-Segment';
/** Family frame type: a Chapter 10 datagram without a packet that validated (e.g. an empty Format 1 message). */
export const CH10_FAMILY_FRAME_TYPE = 'CH10-Data';
