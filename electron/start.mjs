#!/usr/bin/env node
/**
 * `npm start`: the desktop studio. npm never downloads the Electron binary (package.json
 * allowScripts keeps its postinstall off, so `npm install` needs nothing but the npm registry); this
 * checks for the binary first and says how to get it, or how to use the browser studio instead.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let binary;
try {
  binary = require('electron'); // the path of the binary; throws when it was never downloaded
} catch {
  console.error(
    [
      'The Electron binary is not installed: `npm install` skips its download so that it works offline.',
      '',
      '  npm run install:electron   fetch it (needs access to github.com), then `npm start` again',
      '  npx caudal serve --open    or use the same studio in your browser, no download needed',
    ].join('\n'),
  );
  process.exit(1);
}
console.log(`Electron: ${binary}`);
const run = (args) => spawnSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', args, { stdio: 'inherit' }).status ?? 1;
const built = run(['tsc', '-p', 'tsconfig.build.json']);
process.exit(built !== 0 ? built : run(['electron-vite', 'preview', '--entry', 'out/main/index.js']));
