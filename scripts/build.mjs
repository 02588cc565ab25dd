#!/usr/bin/env node
// Compiles the TypeScript workspaces (tsc -b). A full install builds all of
// them; an agent-only install (no chdb, see README) builds the CLI and the
// services it runs, and skips the embedded engine and the local test servers.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let full = true;
try { require.resolve('chdb/package.json', { paths: [process.cwd() + '/services/embedded'] }); } catch { full = false; }
const projects = full ? [] : ['services/cli'];
const tsc = require.resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-b', ...projects], { stdio: 'inherit' });
if (!full) console.log('agent-only build: chdb is not installed, so the embedded mode (analyze, run, sql on a data dir) is not built');
