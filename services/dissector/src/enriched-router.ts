/**
 * Where enriched records go: the same RecordRouter the agent uses, so the
 * enriched topic keeps every flow in one partition whatever its partition
 * count. Shared by the Kafka service and the embedded mode.
 */
import { RecordRouter, type EnrichedBatch, type EnrichedRecord, type PacketBatch } from '@streamlens/common';
import { DissectorBatchCodec } from './batch-codec.js';

export interface RoutedMessage {
  partition: number;
  key: string;
  value: Buffer;
}

export class EnrichedRouter {
  private readonly routers = new Map<string, RecordRouter>();

  constructor(private readonly codec: DissectorBatchCodec, public partitionCount: number) {}

  /** The router of one capture point (made once, kept). */
  routerFor(agentId: string, iface: string): RecordRouter {
    const key = `${agentId}\u0000${iface}`;
    let r = this.routers.get(key);
    if (!r) {
      r = new RecordRouter(agentId, iface);
      this.routers.set(key, r);
    }
    return r;
  }

  /**
   * The messages of one enriched batch, split by target partition, records in
   * order. A batch whose records all go to one partition (the usual case: the
   * agent routed them with the same router) is written whole, its packet
   * records copied from the input message `from` instead of re-encoded.
   */
  route(enriched: EnrichedBatch, from?: PacketBatch): RoutedMessage[] {
    const { records, ...header } = enriched;
    const router = this.routerFor(enriched.agent_id, enriched.interface);
    const n = this.partitionCount;
    const key = `${enriched.agent_id}/${enriched.interface}`;
    const first = records.length ? router.partitionOf(records[0].packet, n) : 0;
    let split = false;
    for (let i = 1; i < records.length && !split; i++) split = router.partitionOf(records[i].packet, n) !== first;
    if (!split) return [{ partition: first, key, value: this.codec.encodeEnrichedBatch(enriched, from) }];
    const parts = new Map<number, EnrichedRecord[]>();
    for (const r of records) {
      const p = router.partitionOf(r.packet, n);
      let list = parts.get(p);
      if (!list) parts.set(p, (list = []));
      list.push(r);
    }
    return [...parts].map(([partition, recs]) => ({ partition, key, value: this.codec.encodeEnrichedBatch({ ...header, records: recs }) }));
  }
}
