export * from './sample-records.js';
export * from './public-captures.js';
export * from './instruction-counts.js';
