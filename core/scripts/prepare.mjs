#!/usr/bin/env node
/**
 * npm's `prepare` hook: builds the CLI (tsc → dist/, then the bundled engine worker) after `npm
 * install` in a checkout.
 *
 * npm also runs `prepare` when `npx caudal` / `npm exec caudal` is used inside the checkout: npm 11
 * sees that the project itself provides the `caudal` bin and links the checkout into its npx cache,
 * which runs this hook. Rebuilding there cost ~20 s on the first `npx caudal` and changed nothing
 * (the link points at this very folder), so an exec reuses the build that `npm install` made.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const built = existsSync(path.join(root, 'dist/core/src/cli/main.js'));
if (process.env.npm_command === 'exec' && built) process.exit(0);
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const b = spawnSync(process.execPath, [path.join(root, 'core/scripts/bundle-worker.mjs')], { cwd: root, stdio: 'inherit' });
process.exit(b.status ?? 1);
