#!/usr/bin/env node
// Fetches the Kafka broker jars (KAFKA_VERSION, default the 4.1 line) into the
// cache once, so the first test run does not wait for Maven.
import { fetchKafka, DEFAULT_KAFKA_VERSION } from '@streamlens/local-infra';

const version = process.env.KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
const libs = await fetchKafka(version, (m) => console.log(m));
console.log(`Kafka ${version} jars in ${libs}`);
