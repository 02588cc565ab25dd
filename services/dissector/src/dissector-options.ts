/**
 * The dissector's own options (classification and its memories), declared
 * once with `opt.*`; the Kafka service adds its options beside these. From
 * the parsed values, `dissectorSettings()` builds what the Dissector takes.
 */
import { ConfigError, opt, type ConfigOf } from '@streamlens/common';
import { parseIenaKeyTypes, validateIenaKeyTypes, type IenaType } from './protocols/iena/index.js';

function portProblem(values: string[]): string | undefined {
  for (const v of values) {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < 1 || n > 65535) return `"${v}" is not a UDP port (1-65535)`;
  }
  return undefined;
}

export const dissectorOptions = {
  ch10Port: opt.list({
    doc: 'UDP port that carries IRIG 106 Chapter 10 (repeatable): datagrams to or from it are read as Chapter 10 first, and continuation segments are accepted without flow history. Chapter 10 is detected on any port without this',
    default: [] as string[], placeholder: 'PORT', validate: portProblem,
  }),
  ienaPort: opt.list({
    doc: 'UDP port that carries IENA (repeatable): datagrams to or from it are read as IENA first. IENA is detected on any port by its size and trailer without this',
    default: [] as string[], placeholder: 'PORT', validate: portProblem,
  }),
  ptpPort: opt.list({
    doc: 'extra UDP port that carries PTP besides 319/320 (repeatable)',
    default: [] as string[], placeholder: 'PORT', validate: portProblem,
  }),
  ienaKeyTypes: opt.object<unknown>({
    doc: 'IENA key → packet type map (config file only), e.g. {"0x2cfa": D, "41789": M}; keys not listed are typed from the key status bits, then by body layout',
    validate: validateIenaKeyTypes,
  }),
  keepPayload: opt.bool({
    doc: 'keep the payload bytes in enriched records; by default they are dropped (payload_len stays) because the packets topic already has them',
    default: false,
  }),
  ch10FlowMemory: opt.int({
    doc: 'flows remembered as Chapter 10 so their continuation segments (no header) are recognised; least recently seen forgotten first',
    default: 4096, min: 0, max: 1_000_000,
  }),
  ch10Reassembly: opt.bool({
    doc: 'reassemble segmented Chapter 10 transfers: the datagram completing a packet also carries the whole decoded packet',
    default: true,
  }),
  ch10ReassemblyTransfers: opt.int({ doc: 'open segmented transfers kept at most', default: 1024, min: 1 }),
  ch10ReassemblyBytes: opt.size({ doc: 'bytes buffered by open segmented transfers at most', default: 64 * 1024 * 1024, min: 65536 }),
  ch10ReassemblyTimeout: opt.duration({ doc: 'an open transfer with no new segment for this long (capture time) is dropped', default: 5000, min: 1 }),
  ienaSequenceMemory: opt.int({
    doc: 'IENA (flow, key) sequence numbers remembered for the "sequence + 1" detection signal (0 = off)',
    default: 8192, min: 0, max: 1_000_000,
  }),
  tftpMemory: opt.int({
    doc: 'TFTP client endpoints remembered after a read/write request, so the transfer between ephemeral ports is recognised',
    default: 1024, min: 0, max: 1_000_000,
  }),
};

export type DissectorConfig = ConfigOf<typeof dissectorOptions>;

/** What the Dissector takes (see Dissector in dissect.ts). */
export interface DissectorSettings {
  ch10Ports: number[];
  ienaPorts: number[];
  ptpPorts: number[];
  ienaKeyTypes: Map<number, IenaType>;
  keepPayload: boolean;
  ch10FlowMemory: number;
  ienaSequenceMemory: number;
  /** null: no reassembly. */
  ch10Reassembly: { maxOpenTransfers: number; maxBytes: number; timeoutMs: number } | null;
  tftpMemory: number;
}

export function dissectorSettings(c: Partial<DissectorConfig> = {}): DissectorSettings {
  const ports = (l: string[] | undefined) => [...new Set((l ?? []).map((v) => Number(v)))];
  const settings: DissectorSettings = {
    ch10Ports: ports(c.ch10Port),
    ienaPorts: ports(c.ienaPort),
    ptpPorts: ports(c.ptpPort),
    ienaKeyTypes: c.ienaKeyTypes === undefined ? new Map() : parseIenaKeyTypes(c.ienaKeyTypes),
    keepPayload: c.keepPayload ?? false,
    ch10FlowMemory: c.ch10FlowMemory ?? 4096,
    ienaSequenceMemory: c.ienaSequenceMemory ?? 8192,
    ch10Reassembly: (c.ch10Reassembly ?? true)
      ? {
        maxOpenTransfers: c.ch10ReassemblyTransfers ?? 1024,
        maxBytes: c.ch10ReassemblyBytes ?? 64 * 1024 * 1024,
        timeoutMs: c.ch10ReassemblyTimeout ?? 5000,
      }
      : null,
    tftpMemory: c.tftpMemory ?? 1024,
  };
  const pinned = new Map<number, string>();
  for (const [name, list] of [['--ch10-port', settings.ch10Ports], ['--iena-port', settings.ienaPorts], ['--ptp-port', settings.ptpPorts]] as const) {
    for (const port of list) {
      const other = pinned.get(port);
      if (other !== undefined && other !== name) throw new ConfigError(`port ${port} is pinned twice: by ${other} and by ${name}`);
      pinned.set(port, name);
    }
  }
  return settings;
}
