export * from './records.js';
export * from './avro/codec.js';
export * from './avro/rabin.js';
export * from './avro/schema-files.js';
export * from './clickhouse/sql-client.js';
export * from './clickhouse/server-client.js';
export * from './clickhouse/migrations.js';
