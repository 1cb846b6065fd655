#!/usr/bin/env node
/**
 * Bundles the engine worker (dist/core/src/engine/worker.js, every module of ours it imports and the
 * pure-JS packages it needs most: zod, @duckdb/node-api, axios, jsonc-parser, jsonpath-plus,
 * csv-parse, parse-link-header) into one CommonJS file, worker.bundle.cjs, after tsc built dist/,
 * and the worker's boot file (worker-boot.js) into worker-boot.cjs. Every run,
 * preview and profile starts a worker; one file instead of ~300 modules and zod's ~60 starts it
 * sooner, and `engine/worker-boot.ts` runs the file with a V8 code cache, which a CommonJS script
 * allows on Node 20 (ES modules get no code cache before Node 22). Other packages stay external:
 * native ones (DuckDB's binding, the keychain) and the large clients loaded on first use (pg, mssql,
 * redis, kafkajs, the AWS SDK, …) are resolved from node_modules as before.
 *
 * core/src/engine/engine.ts starts the bundle only when it is at least as new as worker.js (a
 * plain `tsc` build leaves it older, so it is skipped rather than run stale), else worker.js.
 * Without esbuild (an install without dev dependencies) there is no bundle and nothing else changes.
 */
import { readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const entry = path.join(root, 'dist/core/src/engine/worker.js');
const outfile = path.join(root, 'dist/core/src/engine/worker.bundle.cjs');
const INLINE = new Set(['zod', 'jsonc-parser', 'jsonpath-plus', 'csv-parse', 'parse-link-header', '@duckdb/node-api', 'axios']);

/**
 * Our modules load CommonJS packages with `createRequire(import.meta.url)('pkg')` (no ES-module
 * named-export scan; inside a function, on first use). In the bundle that becomes `require('pkg')`,
 * so the packages listed above are bundled too (still evaluated on first use) and the others stay
 * external.
 */
const createRequireCalls = {
  name: 'create-require-calls',
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/]core[\\/].*\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replace(/createRequire\(import\.meta\.url\)\((['"][^'"]+['"])\)/g, 'require($1)'), loader: 'js' };
    });
  },
};

/**
 * axios's Node build calls its fetch adapter's `getFetch()` once when it loads, only to warm a
 * cache: that touches `Request`/`Response`, which makes Node load its bundled undici (~25 ms of a
 * worker's first request). Caudal's HTTP client always uses axios's http adapter
 * (connectors/http/client.ts sets `adapter: 'http'`), and `getFetch` still runs, lazily, for anyone
 * who asks for the fetch adapter. If a new axios no longer has the call, nothing is changed.
 */
const skipAxiosFetchProbe = {
  name: 'skip-axios-fetch-probe',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]axios[\\/]dist[\\/]node[\\/]axios\.cjs$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const probe = /\ngetFetch\(\);\n/;
      if (!probe.test(text)) console.log('bundle-worker: axios no longer warms its fetch adapter on load; nothing to skip');
      return { contents: text.replace(probe, '\n'), loader: 'js' };
    });
  },
};

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.log('bundle-worker: esbuild is not installed; the engine starts dist/core/src/engine/worker.js');
  process.exit(0);
}
const deps = Object.keys(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies ?? {});
// The bundle of earlier versions (ES module): removed so nothing starts it stale.
rmSync(path.join(root, 'dist/core/src/engine/worker.bundle.js'), { force: true });
await esbuild.build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Prefer packages' ES module builds (jsonc-parser's UMD build hides its requires from the bundler).
  mainFields: ['module', 'main'],
  // DuckDB's native binding (a dependency of @duckdb/node-api) is loaded from node_modules.
  external: [...deps.filter((d) => !INLINE.has(d)).flatMap((d) => [d, `${d}/*`]), '@duckdb/node-bindings'],
  // import() of an external package becomes require(): the code-cached script has no module loader of its own.
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__caudalBundleUrl', 'import.meta.dirname': '__dirname' },
  banner: { js: 'const __caudalBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [createRequireCalls, skipAxiosFetchProbe],
  logLevel: 'warning',
});
// The worker's first file, as CommonJS too: a worker started on an ES module loads Node's ES module
// loader first (~10 ms of every worker's start), one started on a .cjs file does not.
await esbuild.build({
  entryPoints: [path.join(root, 'dist/core/src/engine/worker-boot.js')],
  outfile: path.join(root, 'dist/core/src/engine/worker-boot.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  define: { 'import.meta.url': '__caudalBootUrl' },
  banner: { js: 'const __caudalBootUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});
