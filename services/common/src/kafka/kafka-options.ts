/**
 * Kafka connection options shared by every service: brokers, client id,
 * TLS and SASL (PLAIN, SCRAM-SHA-256/512), and the topic names.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { opt, type ConfigOf } from '../config/options.js';
import type { Logger } from '../logger.js';

export const kafkaOptions = {
  kafkaBrokers: opt.list({ doc: 'Kafka bootstrap brokers, host:port', default: ['127.0.0.1:9092'], env: 'STREAMLENS_KAFKA_BROKERS', envAliases: ['KAFKA_BROKERS'], placeholder: 'HOST:PORT' }),
  topicPrefix: opt.string({ doc: 'prefix of the topic names (<prefix>.packets, .enriched, .dlq, .alerts)', default: 'streamlens' }),
  kafkaClientId: opt.string({ doc: 'Kafka client id (default: the service name and agent id)' }),
  kafkaTls: opt.bool({ doc: 'connect to Kafka with TLS', default: false }),
  kafkaTlsCa: opt.string({ doc: 'PEM file of the CA that signed the brokers\' certificates (default: system CAs)', placeholder: 'FILE' }),
  kafkaTlsCert: opt.string({ doc: 'PEM client certificate for mutual TLS', placeholder: 'FILE' }),
  kafkaTlsKey: opt.string({ doc: 'PEM client key for mutual TLS', placeholder: 'FILE' }),
  kafkaTlsInsecure: opt.bool({ doc: 'do not verify the brokers\' certificates (testing only)', default: false }),
  kafkaSaslMechanism: opt.enum({ doc: 'SASL mechanism', choices: ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const, default: 'none' }),
  kafkaSaslUsername: opt.string({ doc: 'SASL user name' }),
  kafkaSaslPassword: opt.string({ doc: 'SASL password', secret: true }),
};

export type KafkaOptions = ConfigOf<typeof kafkaOptions>;

export interface TopicNames {
  packets: string;
  enriched: string;
  dlq: string;
  alerts: string;
}

export function topicNames(prefix: string): TopicNames {
  return { packets: `${prefix}.packets`, enriched: `${prefix}.enriched`, dlq: `${prefix}.dlq`, alerts: `${prefix}.alerts` };
}

function readPem(path: string | undefined, what: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** kafkajs log lines go to our logger (WARN and above by default: retried first-use errors are noise). */
function logCreator(logger: Logger | undefined) {
  return () => ({ level, log }: { level: logLevel; log: { message: string; [k: string]: unknown } }) => {
    if (!logger) return;
    const { message, timestamp: _t, logger: _l, ...extra } = log;
    const fields = { kafka: extra };
    if (level === logLevel.ERROR) logger.error(fields, `kafka: ${message}`);
    else if (level === logLevel.WARN) logger.warn(fields, `kafka: ${message}`);
    else if (level === logLevel.INFO) logger.info(fields, `kafka: ${message}`);
    else logger.debug(fields, `kafka: ${message}`);
  };
}

/** `overrides` tunes the client (e.g. `retry`, `connectionTimeout`) for services that run their own retry loop. */
export function createKafka(o: KafkaOptions, clientId: string, logger?: Logger, level: logLevel = logLevel.WARN, overrides: Partial<KafkaConfig> = {}): Kafka {
  let sasl: SASLOptions | undefined;
  if (o.kafkaSaslMechanism !== 'none') {
    if (!o.kafkaSaslUsername || o.kafkaSaslPassword === undefined) {
      throw new Error(`--kafka-sasl-mechanism ${o.kafkaSaslMechanism} needs --kafka-sasl-username and --kafka-sasl-password`);
    }
    sasl = { mechanism: o.kafkaSaslMechanism, username: o.kafkaSaslUsername, password: o.kafkaSaslPassword } as SASLOptions;
  }
  const ca = readPem(o.kafkaTlsCa, 'Kafka CA file');
  const cert = readPem(o.kafkaTlsCert, 'Kafka client certificate');
  const key = readPem(o.kafkaTlsKey, 'Kafka client key');
  const ssl = o.kafkaTls || ca || cert
    ? { rejectUnauthorized: !o.kafkaTlsInsecure, ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) }
    : undefined;
  const config: KafkaConfig = {
    clientId: o.kafkaClientId ?? clientId,
    brokers: o.kafkaBrokers,
    ssl,
    sasl,
    logLevel: level,
    logCreator: logCreator(logger) as KafkaConfig['logCreator'],
    ...overrides,
  };
  return new Kafka(config);
}
