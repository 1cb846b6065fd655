import { execFileSync } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll } from 'vitest';

/**
 * Small tmpfs file systems for specs of full, read-only or vanishing disks. Mounting needs root:
 * `canMount` says whether this machine allows it, so a file can skip itself with the reason. Every
 * mount of a file is undone after it, whatever failed (`useTmpfs` registers the hook).
 */
export const canMount = (() => {
  try {
    const probe = execFileSync('mktemp', ['-d']).toString().trim();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
      execFileSync('umount', [probe]);
      return true;
    } finally {
      execFileSync('rmdir', [probe]);
    }
  } catch {
    return false;
  }
})();

export function useTmpfs() {
  const mounts: string[] = [];
  afterAll(async () => {
    for (const m of mounts.splice(0).reverse()) {
      try {
        execFileSync('umount', ['-l', m]);
      } catch {
        // already gone
      }
    }
  });
  return {
    /** A tmpfs of `size` (`1m`) at `parent/name`, read-only from the start with `ro`. */
    async mount(parent: string, name: string, size: string, opts: { ro?: boolean } = {}): Promise<string> {
      const dir = path.join(parent, name);
      await mkdir(dir, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${opts.ro ? ',ro' : ''}`, 'tmpfs', dir]);
      mounts.push(dir);
      return dir;
    },
    /** Mounts `dir` again with `options` (`ro`, `rw`, `size=16m`). */
    remount(dir: string, options: string): void {
      execFileSync('mount', ['-o', `remount,${options}`, dir]);
    },
  };
}

/** Fills the file system holding `dir` to the last byte. */
export async function fill(dir: string): Promise<void> {
  const f = await open(path.join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) await f.write(chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    await f.close().catch(() => undefined);
  }
  // The last partial chunk: a byte at a time.
  const g = await open(path.join(dir, 'filler2'), 'w');
  try {
    for (;;) await g.write(Buffer.alloc(512, 1));
  } catch {
    // full
  } finally {
    await g.close().catch(() => undefined);
  }
}
