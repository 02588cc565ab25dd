#!/bin/sh
":" //; case " $NODE_OPTIONS " in *" --max-semi-space-size"*) ;; *) NODE_OPTIONS="--max-semi-space-size=64${NODE_OPTIONS:+ $NODE_OPTIONS}"; export NODE_OPTIONS;; esac; exec node "$0" "$@"
// Committed launcher (executable in git) for the compiled CLI in ../dist.
//
// The line above is shell and JavaScript at once: run as a command, sh gives
// Node a 64 MiB young-generation semi-space unless NODE_OPTIONS already sets
// one, then re-runs this file with node (for JavaScript it is a string and a
// comment). The aggregator and the dissector allocate per record and keep
// state until a seal; the default 16 MiB made scavenges copy that state over
// and over (docs/benchmarks.md, "Young generation"). `node streamlens.js`
// skips the line and runs with Node's defaults.
import('../dist/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/dist/main.js')) {
    process.stderr.write('streamlens: not built yet: run `npm run build` in the repository\n');
    process.exit(1);
  }
  throw err;
});
