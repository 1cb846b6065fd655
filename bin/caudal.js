#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in dist/ (built by `npm install` through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/core/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('caudal: the CLI is not built yet; run `npm run build` in the Caudal folder.\n');
  process.exit(2);
}
// A closed pipe (`caudal run … | head -1`, `2>&1 | head -1`) is not an error worth a stack trace,
// nor a reason to stop a run half way: exiting there left its temp folder and locks behind and
// published nothing (or, on stderr with no handler, aborted the process). Output to a closed pipe
// is dropped from then on; the command goes on to its end and exits with its own code.
for (const stream of [process.stdout, process.stderr]) {
  let closed = false;
  stream.on('error', (e) => {
    if (closed) return;
    if (e.code !== 'EPIPE') throw e;
    closed = true;
    stream.write = (_chunk, encoding, callback) => {
      const done = typeof encoding === 'function' ? encoding : callback;
      if (done) process.nextTick(done);
      return true;
    };
  });
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
