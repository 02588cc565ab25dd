export * from './chdb-store.js';
