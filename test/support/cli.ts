import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../core/src/util/package-root.js';

const bin = path.join(packageRoot(), 'bin/caudal.js');

export interface CliResult {
  code: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The exit status a shell reports (`$?`): the exit code, or 128 + the signal's number when a signal
 * ended the process. After Ctrl-C pressed twice, Node may be ended by the second one while it tears
 * itself down once everything is cleaned up; a shell sees 130 either way.
 */
export function shellStatus(r: CliResult): number | null {
  if (r.code !== null) return r.code;
  return r.signal ? 128 + constants.signals[r.signal] : null;
}

interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onStdout?: (chunk: string, child: ChildProcess) => void;
  onStderr?: (chunk: string, child: ChildProcess) => void;
  /** A command that should have ended long ago (e.g. a server) is killed then: its code is null. */
  timeoutMs?: number;
  /** In a process group of its own, so a test can kill it with every process it started. */
  detached?: boolean;
}

/** Starts the built CLI (npm test builds dist/ first) and hands back the process, to signal or kill it. */
export function startCaudal(args: string[], opts: CliOptions = {}): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd, env: opts.env ? { ...process.env, ...opts.env } : process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached });
  const result = new Promise<CliResult>((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(d.toString(), child);
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(d.toString(), child);
    });
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, result };
}

/** Runs the built CLI the way a user would. */
export function caudal(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCaudal(args, opts).result;
}

/**
 * Starts `caudal run … --watch --json` and resolves `running` at its first event: from then on the
 * run handles SIGINT/SIGTERM (a signal during start-up, before the handlers exist, just kills node,
 * and an "exit 130" assertion would race with it).
 */
export function startWatching(args: string[], opts: CliOptions = {}): { child: ChildProcess; result: Promise<CliResult>; running: Promise<void> } {
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const started$ = startCaudal([...args, '--json'], {
    ...opts,
    onStdout: (chunk, child) => {
      started();
      opts.onStdout?.(chunk, child);
    },
  });
  return { ...started$, running: Promise.race([running, started$.result.then(() => {})]) };
}
