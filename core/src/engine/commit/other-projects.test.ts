import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedConnection } from '../../nodes/define.js';
import { self } from '../../util/owner.js';
import { newJournal, type RunJournal, writeJournal } from './journal.js';
import { otherProjectsConnections } from './other-projects.js';

// This host, a process id no process has (the highest Linux gives out is lower).
const gone = { host: self.host, pid: 4_194_304 };
const serverLoad = (connection: string) => ({ kind: 'external' as const, nodeId: 'load', label: `${connection}.orders`, recovery: { connection, ref: { gid: 'caudal_x' } }, committed: false });

describe('the connections other projects\' killed runs need', () => {
  it('are resolved in each dead run\'s own folder, for its server loads only; this project, live runs and unknown names are left out', async () => {
    const runtime = await mkdtemp(path.join(os.tmpdir(), 'caudal-other-projects-'));
    const env = { CAUDAL_RUNTIME_DIR: runtime };
    const journal = (runId: string, baseDir: string, sinks: RunJournal['sinks'], owner: RunJournal['owner'] = gone): RunJournal => ({ ...newJournal(runId, runId, baseDir, undefined), owner, sinks });
    await writeJournal(journal('a', '/projects/a', [serverLoad('db'), serverLoad('db'), serverLoad('cache')]), env);
    await writeJournal(journal('b', '/projects/b', [{ kind: 'file', nodeId: 'f', target: '/x.csv', temp: '/.x.tmp', aside: '/.x.old', replace: true, createdFolders: [], stagingDirs: [] }]), env);
    await writeJournal(journal('here', '/projects/here', [serverLoad('db')]), env);
    await writeJournal(journal('live', '/projects/live', [serverLoad('db')], self), env);
    const asked: string[] = [];
    const resolve = async (dir: string, name: string): Promise<ResolvedConnection | undefined> => {
      asked.push(`${dir}:${name}`);
      if (name === 'cache') throw new Error('no such connection');
      return { name, type: 'postgres', config: { host: dir } };
    };
    const found = await otherProjectsConnections('/projects/here', resolve, env);
    expect(found).toEqual({ '/projects/a': { db: { name: 'db', type: 'postgres', config: { host: '/projects/a' } } } });
    expect(asked.sort()).toEqual(['/projects/a:cache', '/projects/a:db']);
  });
});
