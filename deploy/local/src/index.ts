export * from './ports.js';
export * from './child-process.js';
export * from './bench-child.js';
export * from './kafka.js';
export * from './clickhouse.js';
export * from './dev-stack.js';
