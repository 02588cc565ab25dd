/**
 * What the agent needs to know about the packets topic: that it exists (or
 * creating it when allowed), its partition count (routing) and its
 * max.message.bytes (how many batches fit in one produce request). The last
 * partition count seen is kept in the spool directory, so an agent that
 * starts while Kafka is down routes as it did before.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs, { type Admin, type Kafka } from 'kafkajs';

// ConfigResourceTypes is not among kafkajs' ESM named exports.
const { ConfigResourceTypes } = kafkajs;

export class TopicMissingError extends Error {
  override name = 'TopicMissingError';
}

export interface TopicInfo {
  partitions: number;
  maxMessageBytes: number;
}

export interface PacketsTopicOptions {
  topic: string;
  create: boolean;
  partitions: number;
  replication: number;
}

/** Kafka's default max.message.bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

function errorType(err: unknown): string | undefined {
  for (let e = err as { type?: string; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.type === 'string') return e.type;
  }
  return undefined;
}

export class PacketsTopic {
  private admin: Admin | undefined;

  constructor(private readonly kafka: Kafka, private readonly o: PacketsTopicOptions) {}

  /**
   * Look the topic up (creating it if allowed). Throws TopicMissingError when
   * it does not exist and may not be created, other errors when Kafka cannot
   * be asked.
   */
  async describe(): Promise<TopicInfo> {
    if (!this.admin) {
      this.admin = this.kafka.admin({ retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 } });
      await this.admin.connect();
    }
    const admin = this.admin;
    const topics = await admin.listTopics();
    if (!topics.includes(this.o.topic)) {
      if (!this.o.create) {
        throw new TopicMissingError(`Kafka topic ${this.o.topic} does not exist: create it (see docs/topics.md) or start the agent with --create-topics`);
      }
      try {
        await admin.createTopics({
          topics: [{ topic: this.o.topic, numPartitions: this.o.partitions, replicationFactor: this.o.replication }],
          waitForLeaders: true,
        });
      } catch (err) {
        if (errorType(err) !== 'TOPIC_ALREADY_EXISTS') throw err; // another agent won the race
      }
    }
    const meta = await admin.fetchTopicMetadata({ topics: [this.o.topic] });
    const partitions = meta.topics[0]?.partitions.length ?? 0;
    if (partitions < 1) throw new Error(`Kafka reports no partitions for topic ${this.o.topic}`);
    let maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    try {
      const cfg = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: this.o.topic, configNames: ['max.message.bytes'] }],
        includeSynonyms: false,
      });
      const v = Number(cfg.resources[0]?.configEntries.find((c) => c.configName === 'max.message.bytes')?.configValue);
      if (Number.isFinite(v) && v > 0) maxMessageBytes = v;
    } catch {
      // Not allowed to describe configs (ACLs): keep Kafka's default.
    }
    return { partitions, maxMessageBytes };
  }

  async close(): Promise<void> {
    const a = this.admin;
    this.admin = undefined;
    await a?.disconnect().catch(() => {});
  }
}

/** The partition count last seen for `topic`, kept next to the spool. */
export function readRememberedPartitions(dir: string, topic: string): number | undefined {
  const f = join(dir, 'topic.json');
  if (!existsSync(f)) return undefined;
  try {
    const j = JSON.parse(readFileSync(f, 'utf8')) as { topic?: string; partitions?: number };
    return j.topic === topic && Number.isInteger(j.partitions) && j.partitions! > 0 ? j.partitions : undefined;
  } catch {
    return undefined;
  }
}

export function rememberPartitions(dir: string, topic: string, partitions: number): void {
  const f = join(dir, 'topic.json');
  writeFileSync(`${f}.tmp`, `${JSON.stringify({ topic, partitions })}\n`);
  renameSync(`${f}.tmp`, f);
}

export { errorType as kafkaErrorType };
