import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConnectionsFile } from '../core/src/connections/file.js';
import { ConnectionService } from '../core/src/connections/service.js';
import { ConnectionsApi } from '../core/src/host/connections-api.js';
import { parseRulesFile } from '../core/src/nodes/transform.rules/rules-file.js';
import { loadProject } from '../core/src/scheduler/load-project.js';
import { MemoryStore } from './support/memory-store.js';
import { tempDir } from './support/pipeline.js';

/**
 * The studio can be asked to open any file as a project (Schedules), a rules file or a connections
 * file. Whatever the file holds, the error says where and what is wrong with it, never what it
 * holds: JSON.parse's own message quotes the text around the error, and a secret next to a typo
 * ended up in the page and in logs.
 */
const SECRET = 'SuperSecret-0123456789';

const messageOf = async (work: () => Promise<unknown> | unknown): Promise<string> => {
  try {
    await work();
  } catch (e) {
    const err = e as Error & { hint?: string; problems?: Array<{ message: string; hint?: string }> };
    return [err.message, err.hint ?? '', ...(err.problems ?? []).flatMap((p) => [p.message, p.hint ?? ''])].join('\n');
  }
  throw new Error('the file was accepted');
};

describe('a file opened as a project that is not one', () => {
  it('an env file: "not valid JSON" at its line and column, none of its text', async () => {
    const dir = await tempDir('caudal-not-a-project-');
    const file = path.join(dir, 'env');
    await writeFile(file, `user=bob\npassword=${SECRET}\n`);
    const message = await messageOf(() => loadProject(file));
    expect(message).toContain(`${file} is not valid JSON at line 1, column 1: unexpected character`);
    expect(message).not.toContain('Super');
    expect(message).not.toContain('bob');
  });

  it('a JSON file with a typo next to a secret: the position only', async () => {
    const dir = await tempDir('caudal-not-a-project-');
    const file = path.join(dir, 'creds.json');
    await writeFile(file, `{"user": "bob", "key": ${SECRET}}`);
    const message = await messageOf(() => loadProject(file));
    expect(message).toContain('is not valid JSON at line 1, column 24');
    expect(message).not.toContain('Super');
  });

  it('valid JSON that is no project: said so, without listing its keys', async () => {
    const dir = await tempDir('caudal-not-a-project-');
    const file = path.join(dir, 'aws.json');
    await writeFile(file, JSON.stringify({ aws_secret_access_key: SECRET, password: SECRET }));
    const message = await messageOf(() => loadProject(file));
    expect(message).toContain(`${file} is not a Caudal project file: it has no "format": "caudal.project/1"`);
    expect(message).not.toContain('aws_secret_access_key');
    expect(message).not.toContain('Super');
    const pipelineFile = path.join(dir, 'p.json');
    await writeFile(pipelineFile, JSON.stringify({ format: 'caudal.pipeline/1', name: 'p' }));
    expect(await messageOf(() => loadProject(pipelineFile))).toContain('this is a pipeline; schedule it from a project file whose jobs name it');
  });
});

describe('a rules file that is not valid JSON', () => {
  it('is named with the line and column of the error, none of its text', async () => {
    const message = await messageOf(() => parseRulesFile(`[\n  {"name": "a", "condition": ${SECRET}}\n]`, 'rules.json'));
    expect(message).toContain('rules.json is not valid JSON at line 2, column 30');
    expect(message).not.toContain('Super');
  });
});

describe('a connections file written by hand', () => {
  it('with a typo next to a password: the position only', async () => {
    const dir = await tempDir('caudal-connections-typo-');
    const file = path.join(dir, 'connections.json');
    await writeFile(file, `{"format": "caudal.connections/1", "connections": {"db": {"type": "postgres", "password": ${SECRET}}}}`);
    const message = await messageOf(() => readConnectionsFile(file));
    expect(message).toMatch(/connections\.json is not valid JSON at line 1, column \d+: unexpected character/);
    expect(message).not.toContain('Super');
  });

  it('with a credential header: the studio never gets the header, other headers it does', async () => {
    const config = await tempDir('caudal-connections-header-');
    await mkdir(config, { recursive: true });
    const env = { CAUDAL_CONFIG_DIR: config };
    await writeFile(
      path.join(config, 'connections.json'),
      JSON.stringify({ format: 'caudal.connections/1', connections: { api: { type: 'rest', base_url: 'http://127.0.0.1:9/', headers: { Authorization: `Bearer ${SECRET}`, 'X-Api-Key': SECRET, 'X-Team': 'data' } } } }),
    );
    const store = new MemoryStore();
    const api = new ConnectionsApi((projectDir) => new ConnectionService({ stores: [store], writeStore: store, projectDir, env }), env);
    const [listed] = await api.list();
    expect(listed!.fields.headers).toEqual({ 'X-Team': 'data' });
    expect(JSON.stringify(await api.list())).not.toContain('Super');
  });
});
