/**
 * The in-process bus of the embedded mode: named topics with partitions and
 * offsets, like Kafka's, delivering every message synchronously to the
 * topic's subscribers in publish order. The stages exchange the same Avro
 * messages they exchange through Kafka, so the embedded mode runs the same
 * stage code on the same bytes.
 */
export type BusSubscriber = (partition: number, offset: number, value: Buffer) => void;

export class BusTopic {
  private readonly offsets: number[];
  private readonly subscribers: BusSubscriber[] = [];
  /** Messages and bytes published, for the summary. */
  messages = 0;
  bytes = 0;

  constructor(readonly name: string, readonly partitions: number) {
    if (!(partitions >= 1)) throw new RangeError(`topic ${name} needs at least one partition`);
    this.offsets = new Array(partitions).fill(0);
  }

  subscribe(fn: BusSubscriber): void {
    this.subscribers.push(fn);
  }

  publish(partition: number, value: Buffer): number {
    if (partition < 0 || partition >= this.partitions) throw new RangeError(`topic ${this.name} has no partition ${partition}`);
    const offset = this.offsets[partition]++;
    this.messages++;
    this.bytes += value.length;
    for (const s of this.subscribers) s(partition, offset, value);
    return offset;
  }

  /** The next offset of each partition (the end of the log). */
  endOffsets(): readonly number[] {
    return this.offsets;
  }
}

export class InProcessBus {
  private readonly topics = new Map<string, BusTopic>();

  topic(name: string, partitions: number): BusTopic {
    let t = this.topics.get(name);
    if (!t) this.topics.set(name, (t = new BusTopic(name, partitions)));
    else if (t.partitions !== partitions) throw new Error(`topic ${name} exists with ${t.partitions} partitions, not ${partitions}`);
    return t;
  }
}
