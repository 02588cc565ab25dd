export * from './options.js';
export * from './parse-values.js';
export * from './load-config.js';
export * from './help-text.js';
