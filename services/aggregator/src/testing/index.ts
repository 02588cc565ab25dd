// Test and benchmark support (import from '@streamlens/aggregator/testing').
export * from './synthetic-traffic.js';
export * from './aggregator-harness.js';
export * from './enriched-topic.js';
export * from './table-snapshot.js';
