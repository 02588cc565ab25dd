#!/usr/bin/env node
// Committed launcher (executable in git) for the compiled CLI in ../dist.
import('../dist/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/dist/main.js')) {
    process.stderr.write('streamlens: not built yet: run `npm run build` in the repository\n');
    process.exit(1);
  }
  throw err;
});
