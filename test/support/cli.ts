import { spawn } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../core/src/util/package-root.js';

const bin = path.join(packageRoot(), 'bin/caudal.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds dist/ first) the way a user would. */
export function caudal(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; onStdout?: (chunk: string, child: ReturnType<typeof spawn>) => void; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd, env: opts.env ? { ...process.env, ...opts.env } : process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(d.toString(), child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A command that should have ended long ago (e.g. a server) is stopped: its code is then null.
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
