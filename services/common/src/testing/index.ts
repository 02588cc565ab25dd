export * from './sample-records.js';
export * from './public-captures.js';
