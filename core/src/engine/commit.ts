import { rename, rm, stat } from 'node:fs/promises';
import type { CommitStep } from '../nodes/define.js';
import type { Db } from './db.js';
import { CaudalError } from '../util/errors.js';

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Executes a sink's commit or rollback steps. Renames stay on one file system (sinks stage next
 * to their target), so each file appears whole or not at all. A replaced folder is moved aside
 * first and removed only after the new one is in place.
 */
export async function runSteps(steps: CommitStep[], db: Db, nodeId: string): Promise<void> {
  for (const step of steps) {
    if (step.kind === 'sql') {
      try {
        await db.run(step.sql);
      } catch (e) {
        // A step may be a whole BEGIN … COMMIT; a failure inside it leaves the transaction open,
        // and the rollbacks that follow would run inside it and be discarded with it.
        await db.run('ROLLBACK').catch(() => {});
        throw e;
      }
    } else if (step.kind === 'remove') {
      await rm(step.path, { recursive: true, force: true });
    } else {
      if (await exists(step.to)) {
        if (!step.replace) {
          throw new CaudalError('execution', `sink '${nodeId}': ${step.to} already exists and the sink's if_exists is "fail"`, {
            nodeId,
            hint: 'set if_exists to "overwrite" or remove the file',
          });
        }
        const aside = `${step.to}.caudal-old-${process.pid}-${Date.now()}`;
        await rename(step.to, aside);
        try {
          await rename(step.from, step.to);
        } catch (e) {
          await rename(aside, step.to);
          throw e;
        }
        await rm(aside, { recursive: true, force: true });
      } else {
        await rename(step.from, step.to);
      }
    }
  }
}

/** Rollback must not hide the original failure: every step is tried, errors are returned. */
export async function runRollback(steps: CommitStep[], db: Db, nodeId: string): Promise<string[]> {
  const errors: string[] = [];
  for (const step of steps) {
    try {
      await runSteps([step], db, nodeId);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return errors;
}
