/**
 * bench/cli: how long the README's commands take to start.
 *
 *   npm run build && node bench/cli/run.js [--reps 5] [--no-npx] [--checkout DIR]
 *
 * Each command runs in a fresh process, `reps` times (median wall time), beside bare Node
 * (`node -e 0`), the floor any Node CLI starts from:
 *   - `caudal --version` and `caudal --help` (should load almost nothing),
 *   - `caudal validate` of the e-commerce example (generated data, 10,000 orders, in a temp copy),
 *   - `npx caudal --version`, warm (npx's cache already holds this checkout) and cold (an empty npx
 *     cache, as on a fresh clone: the first `npx caudal` a user runs).
 * `--checkout DIR` times another built checkout instead (e.g. an older commit, for before/after).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateEcommerceData } from '../../resources/examples/ecommerce/generate-data.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' }, 'no-npx': { type: 'boolean' }, checkout: { type: 'string' } } });
const reps = Number(values.reps);
const root = path.resolve(values.checkout ?? path.join(import.meta.dirname, '../..'));
const bin = path.join(root, 'bin/caudal.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'caudal-bench-cli-'));

const example = path.join(work, 'ecommerce');
mkdirSync(example, { recursive: true });
copyFileSync(path.join(root, 'resources/examples/ecommerce/pipeline.json'), path.join(example, 'pipeline.json'));
await generateEcommerceData({ outDir: path.join(example, 'data'), orders: 10_000 });

function time(cmd, args, opts = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const rows = [];
function bench(label, run, n = reps) {
  const times = Array.from({ length: n }, run);
  rows.push({ label, median: median(times), min: Math.min(...times), n });
}

bench('node -e 0 (bare Node)', () => time(process.execPath, ['-e', '0']));
bench('caudal --version', () => time(process.execPath, [bin, '--version']));
bench('caudal --help', () => time(process.execPath, [bin, '--help']));
bench('caudal run --help', () => time(process.execPath, [bin, 'run', '--help']));
bench('caudal validate <example>', () => time(process.execPath, [bin, 'validate', path.join(example, 'pipeline.json')]));
if (!values['no-npx']) {
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const cache = path.join(work, 'npm-cache');
  // Cold: a new, empty npm cache each time, like the first `npx caudal` after a fresh clone.
  bench('npx caudal --version (cold npx cache)', () => {
    rmSync(cache, { recursive: true, force: true });
    return time(npx, ['--cache', cache, 'caudal', '--version']);
  }, Math.min(reps, 3));
  bench('npx caudal --version (warm)', () => time(npx, ['--cache', cache, 'caudal', '--version']));
}
rmSync(work, { recursive: true, force: true });

console.log(`${root}: node ${process.version}, ${os.cpus().length} cores, median of ${reps} runs (cold npx: ${Math.min(reps, 3)})\n`);
console.log('| command | median | fastest |');
console.log('| --- | ---: | ---: |');
for (const r of rows) console.log(`| ${r.label} | ${r.median.toFixed(0)} ms | ${r.min.toFixed(0)} ms |`);
