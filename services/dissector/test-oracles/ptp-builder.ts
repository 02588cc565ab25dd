/**
 * Test-only PTP message builder, written from protocols.md §3 (not from the
 * dissector), for crafted messages that tshark then checks: Signaling with
 * unicast-negotiation and gPTP TLVs (no public capture has them), Management
 * error status, Announce with PATH_TRACE, negative corrections, PTPv1.
 */

export interface PtpHeaderSpec {
  type: number;
  sdo?: number;
  minor?: number;
  domain?: number;
  minorSdo?: number;
  flags?: number;
  /** correctionField, ns x 2^16 (signed). */
  correction?: bigint;
  messageTypeSpecific?: number;
  clock?: string;
  port?: number;
  seq?: number;
  control?: number;
  logInterval?: number;
  /** Override messageLength (default: the real length). */
  length?: number;
}

/** 34-byte header + body + TLVs, messageLength filled in. */
export function ptpMessage(h: PtpHeaderSpec, body: Buffer, tlvs: Buffer[] = []): Buffer {
  const rest = Buffer.concat([body, ...tlvs]);
  const b = Buffer.alloc(34);
  b[0] = ((h.sdo ?? 0) << 4) | h.type;
  b[1] = ((h.minor ?? 0) << 4) | 2;
  b.writeUInt16BE(h.length ?? 34 + rest.length, 2);
  b[4] = h.domain ?? 0;
  b[5] = h.minorSdo ?? 0;
  b.writeUInt16BE(h.flags ?? 0, 6);
  b.writeBigInt64BE(h.correction ?? 0n, 8);
  b.writeUInt32BE(h.messageTypeSpecific ?? 0, 16);
  Buffer.from(h.clock ?? '001122fffe334455', 'hex').copy(b, 20);
  b.writeUInt16BE(h.port ?? 1, 28);
  b.writeUInt16BE(h.seq ?? 0, 30);
  b[32] = h.control ?? 5;
  b.writeInt8(h.logInterval ?? 127, 33);
  return Buffer.concat([b, rest]);
}

/** Timestamp: u48 seconds + u32 nanoseconds. */
export function timestamp(seconds: number, ns: number): Buffer {
  const b = Buffer.alloc(10);
  b.writeUIntBE(seconds, 0, 6);
  b.writeUInt32BE(ns, 6);
  return b;
}

export function portIdentity(clock: string, port: number): Buffer {
  const b = Buffer.alloc(10);
  Buffer.from(clock, 'hex').copy(b, 0);
  b.writeUInt16BE(port, 8);
  return b;
}

export function tlv(type: number, value: Buffer, lengthOverride?: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(lengthOverride ?? value.length, 2);
  return Buffer.concat([b, value]);
}

/** REQUEST (4) / GRANT (5) UNICAST_TRANSMISSION value. */
export function unicastValue(messageType: number, logPeriod: number, durationS: number, renewal?: boolean): Buffer {
  const b = Buffer.alloc(renewal === undefined ? 6 : 8);
  b[0] = messageType << 4;
  b.writeInt8(logPeriod, 1);
  b.writeUInt32BE(durationS, 2);
  if (renewal !== undefined) b[7] = renewal ? 1 : 0;
  return b;
}

/** CANCEL (6) / ACKNOWLEDGE_CANCEL (7) UNICAST_TRANSMISSION value. */
export function cancelValue(messageType: number): Buffer {
  return Buffer.from([messageType << 4, 0]);
}

/** Organization extension value: organizationId, subtype, data. */
export function orgValue(orgId: number, subtype: number, data: Buffer): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(orgId, 0, 3);
  b.writeUIntBE(subtype, 3, 3);
  return Buffer.concat([b, data]);
}

/** 802.1AS message interval request TLV data (after org id/subtype). */
export function intervalRequestData(linkDelay: number, timeSync: number, announce: number, flags: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeInt8(linkDelay, 0);
  b.writeInt8(timeSync, 1);
  b.writeInt8(announce, 2);
  b[3] = flags;
  return b;
}

/** 802.1AS Follow_Up information TLV data (after org id/subtype). */
export function followUpInfoData(csro: number, gmTimeBase: number, scaledFreqChange: number): Buffer {
  const b = Buffer.alloc(22);
  b.writeInt32BE(csro, 0);
  b.writeUInt16BE(gmTimeBase, 4);
  b.fill(0x11, 6, 18); // lastGmPhaseChange
  b.writeInt32BE(scaledFreqChange, 18);
  return b;
}

/** Announce body (30 bytes, from originTimestamp through timeSource). */
export function announceBody(o: {
  ts: Buffer; utcOffset: number; p1: number; clockClass: number; accuracy: number; variance: number;
  p2: number; gm: string; steps: number; timeSource: number;
}): Buffer {
  const b = Buffer.alloc(20);
  b.writeInt16BE(o.utcOffset, 0);
  b[3] = o.p1;
  b[4] = o.clockClass;
  b[5] = o.accuracy;
  b.writeUInt16BE(o.variance, 6);
  b[8] = o.p2;
  Buffer.from(o.gm, 'hex').copy(b, 9);
  b.writeUInt16BE(o.steps, 17);
  b[19] = o.timeSource;
  return Buffer.concat([o.ts, b]);
}

/** Management fixed part after the header: target port, hops, action, reserved. */
export function managementBody(target: Buffer, action: number): Buffer {
  return Buffer.concat([target, Buffer.from([1, 1, action, 0])]);
}

/** A PTPv1 (IEEE 1588-2002) message: 40-byte header + body. */
export function ptpV1Message(control: number, uuid: string, port: number, seq: number, body: Buffer): Buffer {
  const b = Buffer.alloc(40);
  b.writeUInt16BE(1, 0);
  b.writeUInt16BE(1, 2);
  b.write('_DFLT', 4, 'ascii');
  b[20] = control === 0 || control === 1 ? 1 : 2; // event / general message type
  b[21] = 1; // ethernet
  Buffer.from(uuid, 'hex').copy(b, 22);
  b.writeUInt16BE(port, 28);
  b.writeUInt16BE(seq, 30);
  b[32] = control;
  b.writeUInt16BE(0x0008, 34);
  return Buffer.concat([b, body]);
}
