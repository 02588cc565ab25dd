export type { Command, CommandEntry } from './command.js';
export { COMMANDS } from './registry.js';
