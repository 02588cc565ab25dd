export * from './chdb-store.js';
export * from './bus.js';
export * from './embedded-pipeline.js';
export * from './embedded-options.js';
export * from './ingest-runs.js';
export * from './summary.js';
export { analyzeCommand } from './commands/analyze.js';
export { runCommand } from './commands/run.js';
