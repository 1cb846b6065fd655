import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type HostCallError, hostMethods, type HostClient, type HostRunEvent, type PipelineDocument } from '../core/src/host-api/contract.js';
import { ConnectionService } from '../core/src/connections/service.js';
import { HostService } from '../core/src/host/host-service.js';
import { resolveDeclaredConnections } from '../core/src/host/resolve-connections.js';
import { inProcessClient } from '../core/src/host/in-process.js';
import type { DialogPort } from '../core/src/host/ports.js';
import { loadPipelineFile } from '../core/src/model/load.js';
import { serializePipeline } from '../core/src/model/serialize.js';
import { nodeTypes } from '../core/src/nodes/index.js';
import { tempDir } from './support/pipeline.js';
import { PG, pgLoginRole } from './support/postgres.js';
import { MemoryStore } from './support/memory-store.js';

/** The host contract called in-process: the same HostService the HTTP and IPC transports wrap. */

const SECRET = 'hunter2-very-secret';
let dir: string;
let store: MemoryStore;
let service: HostService;
let host: HostClient;
/** Every answer the host gave, to check no secret ever left it. */
const answers: string[] = [];
const dialogAnswers: Array<string | null> = [];

function pipelineDoc(): PipelineDocument {
  return {
    format: 'caudal.pipeline/1',
    name: 'host test',
    params: { min_amount: { type: 'number', default: 10 } },
    connections: {},
    nodes: [
      { id: 'orders', type: 'source.csv', params: { path: 'orders.csv' } },
      { id: 'big', type: 'transform.filter', params: { condition: 'amount >= $min_amount' } },
      { id: 'out', type: 'sink.csv', params: { path: 'out/big.csv' } },
    ],
    edges: [
      { from: 'orders:out', to: 'big:in' },
      { from: 'big:out', to: 'out:in' },
    ],
    layout: { nodes: { orders: { x: 0, y: 0 }, big: { x: 200, y: 0 }, out: { x: 400, y: 0 } } },
  };
}

beforeAll(async () => {
  dir = await tempDir('caudal-host-');
  const rows = ['id,customer,amount', ...Array.from({ length: 50 }, (_, i) => `${i + 1},c${i % 7},${i * 2}`)];
  await writeFile(path.join(dir, 'orders.csv'), rows.join('\n') + '\n');
  store = new MemoryStore();
  const dialogs: DialogPort = { openFile: async () => dialogAnswers.shift() ?? null, saveFile: async () => dialogAnswers.shift() ?? null };
  service = new HostService({
    mode: 'in-process',
    dialogs,
    env: { CAUDAL_CONFIG_DIR: path.join(dir, 'config') },
    secrets: { stores: [store], writeStore: store },
    paths: { userDataDir: path.join(dir, 'config'), workspaceDir: dir, homeDir: dir },
  });
  const raw = inProcessClient(service);
  // Record every answer (and error) for the secrets check at the end.
  host = new Proxy(raw, {
    get(target, key) {
      const v = (target as unknown as Record<string | symbol, unknown>)[key];
      if (typeof v !== 'function' || key === 'on') return v;
      return async (...args: unknown[]) => {
        try {
          const r = await (v as (...a: unknown[]) => Promise<unknown>)(...args);
          answers.push(JSON.stringify(r));
          return r;
        } catch (e) {
          answers.push(JSON.stringify((e as HostCallError).error ?? String(e)));
          throw e;
        }
      };
    },
  });
});

describe('host contract in-process', () => {
  it('nodes.list gives the whole registry with param JSON Schemas carrying the UI metadata', async () => {
    const { nodes } = await host['nodes.list']({});
    expect(nodes.map((n) => n.type)).toEqual(nodeTypes());
    const filter = nodes.find((n) => n.type === 'transform.filter')!;
    expect(filter).toMatchObject({ category: 'transform', inputs: [{ name: 'in' }], outputs: [{ name: 'out' }] });
    expect((filter.paramsSchema.properties as Record<string, Record<string, unknown>>).condition).toMatchObject({ type: 'string', widget: 'sql', label: 'Keep rows where' });
    // The studio offers "Run continuously" for pipelines with one of these.
    expect(nodes.filter((n) => n.streaming).map((n) => n.type).sort()).toEqual(['source.kafka', 'source.postgres_cdc', 'source.rabbitmq']);
  });

  it('unknown methods and bad input fail with what to fix', async () => {
    expect(await service.call('pipeline.delete', {})).toMatchObject({ ok: false, error: { kind: 'usage', message: "unknown host method 'pipeline.delete'" } });
    const bad = pipelineDoc();
    bad.nodes[1]!.id = '1bad';
    const r = await service.call('pipeline.validate', { document: bad, path: null });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.problems?.[0]).toMatchObject({ path: 'nodes[1].id', nodeId: '1bad' });
  });

  it('save writes the canonical file, open reads it back, and saving again gives the same bytes', async () => {
    const file = path.join(dir, 'p.json');
    const saved = await host['pipeline.save']({ document: pipelineDoc(), path: file });
    const text = await readFile(file, 'utf8');
    expect(saved.text).toBe(text);
    expect(text).toBe(serializePipeline((await loadPipelineFile(file)).pipeline!));
    const opened = await host['pipeline.open']({ path: file });
    expect(opened).toMatchObject({ path: file, problems: [], migrationsApplied: [] });
    const again = await host['pipeline.save']({ document: opened!.document!, path: file });
    expect(again.text).toBe(text);
    expect((await host['pipeline.recent']({})).files[0]).toMatchObject({ path: file, name: 'host test' });
  });

  it('saves node params in their schema order, whatever order the edits came in: the same content, the same text', async () => {
    const withCheck = (check: Record<string, unknown>, params: Record<string, unknown>) => {
      const doc = pipelineDoc();
      doc.nodes.splice(2, 0, { id: 'qc', type: 'quality.check', params: { ...params, checks: [check] } });
      doc.edges = [{ from: 'orders:out', to: 'big:in' }, { from: 'big:out', to: 'qc:in' }, { from: 'qc:out', to: 'out:in' }];
      return doc;
    };
    const a = await host['pipeline.save']({ document: withCheck({ kind: 'not_null', name: 'c', column: 'customer', mostly: 0.9, weight: 2, description: 'd' }, { samples: 5, min_score: 80 }), path: path.join(dir, 'order-a.json') });
    const b = await host['pipeline.save']({ document: withCheck({ description: 'd', weight: 2, mostly: 0.9, column: 'customer', name: 'c', kind: 'not_null' }, { min_score: 80, samples: 5 }), path: path.join(dir, 'order-b.json') });
    expect(b.text).toBe(a.text);
    const qc = JSON.parse(a.text).nodes.find((n: { id: string }) => n.id === 'qc').params;
    const schema = (await host['nodes.list']({})).nodes.find((n) => n.type === 'quality.check')!.paramsSchema as { properties: Record<string, unknown> };
    const schemaOrder = Object.keys(schema.properties).filter((k) => k in qc);
    expect(Object.keys(qc)).toEqual(schemaOrder);
  });

  it('open and saveAs use the dialog port; a cancelled dialog answers null', async () => {
    const target = path.join(dir, 'chosen.json');
    dialogAnswers.push(target);
    expect(await host['pipeline.saveAs']({ document: pipelineDoc() })).toMatchObject({ path: target });
    dialogAnswers.push(null);
    expect(await host['pipeline.open']({})).toBeNull();
    dialogAnswers.push(target);
    expect((await host['pipeline.open']({}))!.document!.name).toBe('host test');
  });

  it('save and saveAs replace a file that is not a pipeline only with overwrite: true', async () => {
    const notes = path.join(dir, 'notes.json');
    const original = '{"diary": "dear diary, the vault code is 0451"}\n';
    await writeFile(notes, original);
    for (const attempt of [() => host['pipeline.save']({ document: pipelineDoc(), path: notes }), () => host['pipeline.saveAs']({ document: pipelineDoc(), path: notes })]) {
      const e = (await attempt().catch((x: unknown) => x)) as HostCallError;
      expect(e.error).toMatchObject({ kind: 'usage', message: `${notes} exists and is not a Caudal pipeline (expected a JSON object with format caudal.pipeline/1): saving would replace it`, problems: [{ code: 'would_overwrite' }] });
      expect(JSON.stringify(e.error)).not.toContain('0451');
      expect(await readFile(notes, 'utf8')).toBe(original);
    }
    const folder = await host['pipeline.save']({ document: pipelineDoc(), path: dir }).catch((x: HostCallError) => x.error);
    expect(folder).toMatchObject({ message: `${dir} is a folder` });
    expect((await host['pipeline.save']({ document: pipelineDoc(), path: notes, overwrite: true })).path).toBe(notes);
    expect((await loadPipelineFile(notes)).pipeline?.name).toBe('host test');
    // Now a pipeline: saving over it needs no confirmation.
    expect((await host['pipeline.save']({ document: { ...pipelineDoc(), name: 'again' }, path: notes })).path).toBe(notes);
    // A native dialog asked the user itself ("replace?"), so its answer counts as the confirmation.
    const other = path.join(dir, 'other.txt');
    await writeFile(other, 'plain text\n');
    dialogAnswers.push(other);
    expect(await host['pipeline.saveAs']({ document: pipelineDoc() })).toMatchObject({ path: other });
  });

  it('save does not discard changes another program made to the file since it was opened or saved', async () => {
    const file = path.join(dir, 'shared.json');
    await host['pipeline.save']({ document: pipelineDoc(), path: file });
    const opened = (await host['pipeline.open']({ path: file }))!;
    // Saving what was opened, then saving again with the hash that save gave back: no questions.
    const first = await host['pipeline.save']({ document: { ...opened.document!, name: 'mine 1' }, path: file, expectedHash: opened.fileHash });
    const second = await host['pipeline.save']({ document: { ...opened.document!, name: 'mine 2' }, path: file, expectedHash: first.fileHash });
    expect(second.fileHash).not.toBe(first.fileHash);

    expect(await host['pipeline.fileHash']({ path: file })).toEqual({ fileHash: second.fileHash });
    // A teammate's change arrives (git pull, an editor, another studio window).
    const theirs = serializePipeline({ ...pipelineDoc(), name: 'their edit' });
    await writeFile(file, theirs);
    expect((await host['pipeline.fileHash']({ path: file })).fileHash).not.toBe(second.fileHash);
    const e = (await host['pipeline.save']({ document: { ...opened.document!, name: 'mine 3' }, path: file, expectedHash: second.fileHash }).catch((x: unknown) => x)) as HostCallError;
    expect(e.error).toMatchObject({
      kind: 'usage',
      message: `${file} was changed by another program since you opened or last saved it: saving would discard those changes`,
      problems: [{ code: 'changed_on_disk' }],
    });
    expect(await readFile(file, 'utf8')).toBe(theirs);
    // The user confirmed: their version replaces the file.
    await host['pipeline.save']({ document: { ...opened.document!, name: 'mine 3' }, path: file, expectedHash: second.fileHash, overwrite: true });
    expect((await loadPipelineFile(file)).pipeline?.name).toBe('mine 3');

    // A file removed since is written again: there is nothing to lose.
    await rm(file);
    expect(await host['pipeline.fileHash']({ path: file })).toEqual({ fileHash: null });
    expect((await host['pipeline.save']({ document: opened.document!, path: file, expectedHash: second.fileHash })).path).toBe(file);
  });

  it('keeps copies of unsaved edits until they are dropped, newest first, one per document, outside any pipeline folder', async () => {
    expect(await host['pipeline.unsaved']({})).toEqual({ copies: [] });
    const file = path.join(dir, 'draft.json');
    await host['pipeline.keepUnsaved']({ key: `file:${file}`, session: 's1', path: file, fileHash: 'abc', document: { ...pipelineDoc(), name: 'edit 1' } });
    await host['pipeline.keepUnsaved']({ key: 'new:s1:2', session: 's1', path: null, fileHash: null, document: { ...pipelineDoc(), name: 'never saved' } });
    // A later edit of the same document replaces its copy (a moment later: copies are ordered by time).
    await new Promise((r) => setTimeout(r, 20));
    await host['pipeline.keepUnsaved']({ key: `file:${file}`, session: 's1', path: file, fileHash: 'abc', document: { ...pipelineDoc(), name: 'edit 2' } });
    const { copies } = await host['pipeline.unsaved']({});
    expect(copies.map((c) => [c.key, c.document.name, c.path, c.fileHash])).toEqual([
      [`file:${file}`, 'edit 2', file, 'abc'],
      ['new:s1:2', 'never saved', null, null],
    ]);
    expect(Date.parse(copies[0]!.at)).toBeGreaterThan(Date.now() - 60_000);
    // In the user's data folder, private to the user; nothing next to the pipeline.
    const kept = await readdir(path.join(dir, 'config', 'unsaved'));
    expect(kept).toHaveLength(2);
    expect((await stat(path.join(dir, 'config', 'unsaved', kept[0]!))).mode & 0o777).toBe(0o600);
    expect(existsSync(file)).toBe(false);
    await host['pipeline.dropUnsaved']({ key: `file:${file}` });
    await host['pipeline.dropUnsaved']({ key: 'new:s1:2' });
    await host['pipeline.dropUnsaved']({ key: 'never kept' });
    expect(await host['pipeline.unsaved']({})).toEqual({ copies: [] });
  });

  it('save as to a typed path and export ask before replacing any existing file; a native dialog asked already', async () => {
    const existing = path.join(dir, 'teammate.json');
    const theirs = serializePipeline({ ...pipelineDoc(), name: 'teammate' });
    await writeFile(existing, theirs);
    const asAttempt = (await host['pipeline.saveAs']({ document: pipelineDoc(), path: existing }).catch((x: unknown) => x)) as HostCallError;
    expect(asAttempt.error).toMatchObject({ message: `${existing} exists: saving would replace the pipeline in it`, problems: [{ code: 'would_overwrite' }] });
    const data = path.join(dir, 'ledger.csv');
    await writeFile(data, 'id,amount\n1,10\n');
    for (const format of ['json', 'sql'] as const) {
      const exported = (await host['pipeline.export']({ document: pipelineDoc(), path: null, format, to: data }).catch((x: unknown) => x)) as HostCallError;
      expect(exported.error).toMatchObject({ message: `${data} exists: exporting would replace it`, problems: [{ code: 'would_overwrite' }] });
    }
    expect(await readFile(existing, 'utf8')).toBe(theirs);
    expect(await readFile(data, 'utf8')).toBe('id,amount\n1,10\n');

    expect((await host['pipeline.saveAs']({ document: pipelineDoc(), path: existing, overwrite: true }))?.path).toBe(existing);
    expect((await host['pipeline.export']({ document: pipelineDoc(), path: null, format: 'json', to: data, overwrite: true }))?.path).toBe(data);
    expect(await readFile(data, 'utf8')).toBe(serializePipeline(pipelineDoc()));
    dialogAnswers.push(data);
    expect(await host['pipeline.export']({ document: pipelineDoc(), path: null, format: 'json' })).toMatchObject({ path: data });
  });

  it('open reads regular files only and never echoes a file that is not a pipeline', async () => {
    const secret = path.join(dir, 'credentials.txt');
    await writeFile(secret, 'aws_secret_access_key = wJalrXUtnFEMI0451\n');
    const opened = await host['pipeline.open']({ path: secret });
    expect(opened).toMatchObject({ path: secret, document: null, problems: [{ code: 'invalid_json', message: `${secret} is not a Caudal pipeline (expected a JSON object with format caudal.pipeline/1): it is not JSON at line 1, column 1` }] });
    expect(JSON.stringify(opened)).not.toContain('0451');
    await expect(host['pipeline.open']({ path: dir })).rejects.toMatchObject({ error: { message: `${dir} is a folder` } });
    if (process.platform === 'linux') await expect(host['pipeline.open']({ path: '/dev/zero' })).rejects.toMatchObject({ error: { message: '/dev/zero is not a regular file' } });
  });

  it('new gives an empty valid document', async () => {
    const { document } = await host['pipeline.new']({ name: 'Fresh' });
    expect(document).toMatchObject({ format: 'caudal.pipeline/1', name: 'Fresh', nodes: [], edges: [] });
  });

  it('validate reports problems per node and field', async () => {
    const doc = pipelineDoc();
    doc.nodes[1]!.params = { condition: 'amont > 1' };
    const r = await host['pipeline.validate']({ document: doc, path: path.join(dir, 'p.json') });
    expect(r.valid).toBe(false);
    expect(r.problems[0]).toMatchObject({ code: 'unknown_column', nodeId: 'big', field: 'condition' });
    expect(r.byNode.big).toHaveLength(1);
    expect((await host['pipeline.validate']({ document: pipelineDoc(), path: path.join(dir, 'p.json') })).valid).toBe(true);
  });

  it('schemas gives input and output columns per node', async () => {
    const r = await host['pipeline.schemas']({ document: pipelineDoc(), path: path.join(dir, 'p.json'), nodeIds: ['big'] });
    expect(r.problems).toEqual([]);
    expect(r.nodes).toHaveLength(1);
    const big = r.nodes[0]!;
    expect(big.inputs).toEqual([{ port: 'in', from: 'orders:out', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'customer', type: 'VARCHAR' }, { name: 'amount', type: 'BIGINT' }] }]);
    expect(big.outputs[0]).toMatchObject({ port: 'out', columns: big.inputs[0]!.columns });
  });

  it('preview.node reads rows with params; a sink cannot be previewed', async () => {
    const p = await host['preview.node']({ document: pipelineDoc(), path: path.join(dir, 'p.json'), nodeId: 'big', limit: 3, params: { min_amount: 90 } });
    expect(p.rows).toEqual([
      // BIGINT values travel as strings (JSON numbers lose precision past 2^53).
      { id: '46', customer: 'c3', amount: '90' },
      { id: '47', customer: 'c4', amount: '92' },
      { id: '48', customer: 'c5', amount: '94' },
    ]);
    expect(p).toMatchObject({ port: 'out', sampled: false });
    expect(p.sql).toMatch(/SELECT/);
    await expect(host['preview.node']({ document: pipelineDoc(), path: path.join(dir, 'p.json'), nodeId: 'out' })).rejects.toThrow(/is a sink/);
  });

  it('a preview depends only on the node\'s upstream: a half-configured node elsewhere does not block it', async () => {
    const doc = pipelineDoc();
    // A Filter dropped on the canvas and connected, but with no condition yet; and a stray one.
    doc.nodes.push({ id: 'todo', type: 'transform.filter', params: {} }, { id: 'stray', type: 'transform.aggregate', params: {} });
    doc.edges.push({ from: 'orders:out', to: 'todo:in' });
    const file = path.join(dir, 'p.json');
    const p = await host['preview.node']({ document: doc, path: file, nodeId: 'orders', limit: 2 });
    expect(p.rows).toHaveLength(2);
    expect((await host['preview.node']({ document: doc, path: file, nodeId: 'big', limit: 2 })).rows).toHaveLength(2);
    // The node's own problems still stop its preview, and say which field.
    await expect(host['preview.node']({ document: doc, path: file, nodeId: 'todo' })).rejects.toMatchObject({ error: { problems: [expect.objectContaining({ nodeId: 'todo', field: 'condition' })] } });
    // The whole pipeline still reports every problem.
    const v = await host['pipeline.validate']({ document: doc, path: file });
    expect(Object.keys(v.byNode).sort()).toEqual(['stray', 'todo']);
  });

  it('a run of some targets ignores problems outside their upstream; an empty pipeline does not "succeed"', async () => {
    const doc = pipelineDoc();
    doc.nodes.push({ id: 'stray', type: 'transform.filter', params: {} });
    doc.nodes[2]!.params = { path: 'out/targeted.csv' };
    const file = path.join(dir, 'p.json');
    const { runId } = await host['run.start']({ document: doc, path: file, targets: ['out'] });
    await service.runSettled(runId);
    expect((await host['run.get']({ runId, path: file })).record).toMatchObject({ status: 'succeeded', rows: 45 });
    const { runId: whole } = await host['run.start']({ document: doc, path: file });
    await service.runSettled(whole);
    expect((await host['run.get']({ runId: whole, path: file })).record.status).toBe('failed');
    const { document: empty } = await host['pipeline.new']({});
    await expect(host['run.start']({ document: empty, path: null })).rejects.toThrow(/no nodes, so there is nothing to run/);
  });

  it('profile.node profiles a node\'s columns', async () => {
    const p = await host['profile.node']({ document: pipelineDoc(), path: path.join(dir, 'p.json'), nodeId: 'big', mode: 'exact' });
    expect(p).toMatchObject({ nodeId: 'big', port: 'out', rows: 45, sampled: false });
    expect(p.columns.find((c) => c.name === 'customer')).toMatchObject({ category: 'string', nulls: 0, distinct: 7 });
    expect(p.columns.find((c) => c.name === 'amount')).toMatchObject({ category: 'number', min: '10', max: '98' });
  });

  it('run.start runs with live events, records history, logs and the sink output', async () => {
    const file = path.join(dir, 'p.json');
    const events: HostRunEvent[] = [];
    const changes: string[] = [];
    const offRun = host.on('run', (e) => events.push(e));
    const offHistory = host.on('history.changed', (c) => changes.push(c.status));
    const { runId, dir: runDir } = await host['run.start']({ document: pipelineDoc(), path: file });
    expect(runDir).toBe(path.join(dir, '.caudal', 'runs', runId));
    await service.runSettled(runId);
    offRun();
    offHistory();
    expect(events.map((e) => e.type)).toContain('node_finished');
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', runId, summary: { status: 'succeeded' } });
    expect(changes).toEqual(['running', 'succeeded']);
    expect(await readFile(path.join(dir, 'out', 'big.csv'), 'utf8')).toMatch(/^id,customer,amount\n6,c5,10\n/);

    const { runs } = await host['run.history']({ path: file });
    expect(runs[0]).toMatchObject({ runId, status: 'succeeded', rows: 45, pipeline: 'host test', pipelinePath: file, qualityScore: null });
    const got = await host['run.get']({ runId });
    expect(got.summary).toMatchObject({ status: 'succeeded', outputs: [{ nodeId: 'out', rows: 45 }] });
    const logs = await host['run.logs']({ runId, path: file });
    expect(logs.events).toEqual(events);
    expect(logs).toMatchObject({ next: events.length, done: true });
    expect((await host['run.logs']({ runId, offset: logs.next })).events).toEqual([]);
    expect(await host['run.cancel']({ runId })).toEqual({ cancelled: false });
    expect(await host['run.stop']({ runId })).toEqual({ stopping: false });
    await expect(host['run.get']({ runId: '../../etc' })).rejects.toThrow(/not a run id/);
    await expect(host['run.artifact']({ runId, name: '../run.json' })).rejects.toThrow(/not an artifact name/);
  });

  it('a failed run is recorded with its error', async () => {
    const doc = pipelineDoc();
    doc.nodes[0]!.params = { path: 'missing.csv' };
    const { runId } = await host['run.start']({ document: doc, path: null });
    await service.runSettled(runId);
    const { runs } = await host['run.history']({ path: null });
    expect(runs[0]).toMatchObject({ runId, status: 'failed', pipelinePath: null });
    expect(runs[0]!.error?.message).toMatch(/missing\.csv/);
  });

  it('export writes the SQL script and a canonical copy', async () => {
    const sql = await host['pipeline.export']({ document: pipelineDoc(), path: path.join(dir, 'p.json'), format: 'sql', to: path.join(dir, 'p.sql') });
    expect(await readFile(sql!.path, 'utf8')).toMatch(/CREATE OR REPLACE TEMP VIEW "_n_big__out" AS/);
    const json = await host['pipeline.export']({ document: pipelineDoc(), path: null, format: 'json', to: path.join(dir, 'copy.json') });
    expect(await readFile(json!.path, 'utf8')).toBe(serializePipeline(pipelineDoc()));
  });

  it('connections: add, list, update, test, remove; secrets reach only the store', async () => {
    const types = await host['connections.types']({});
    expect(types.types.find((t) => t.type === 'postgres')).toMatchObject({ secretFields: ['password'] });
    const fields = { host: PG.host, port: PG.port, database: PG.database, user: await pgLoginRole(SECRET) };
    const added = await host['connections.add']({ name: 'wh', type: 'postgres', fields, secrets: { password: SECRET } });
    expect(added).toMatchObject({ name: 'wh', secrets: { password: true }, scope: 'user' });
    expect(store.values.get('wh/password')).toBe(SECRET);
    await expect(host['connections.add']({ name: 'wh', type: 'postgres', fields, secrets: {} })).rejects.toThrow(/already exists/);
    await expect(host['connections.add']({ name: 'x', type: 'postgres', fields: { ...fields, password: SECRET }, secrets: {} })).rejects.toThrow(/is a secret/);
    const updated = await host['connections.update']({ name: 'wh', type: 'postgres', fields: { ...fields, connect_timeout_s: 3 }, secrets: {} });
    expect(updated).toMatchObject({ fields: { connect_timeout_s: 3 }, secrets: { password: true } });
    const list = await host['connections.list']({});
    expect(list.connections.map((c) => c.name)).toEqual(['wh']);
    const ok = await host['connections.test']({ name: 'wh' });
    expect(ok).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/^PostgreSQL/) });
    expect(types.types.find((t) => t.type === 'postgres')!.capabilities).toMatchObject({ pushdown: true, upsert: true });
    const catalog = await host['connections.discover']({ name: 'wh', schema: 'pg_catalog' });
    expect(catalog.tables).toEqual([]); // system schemas are left out of pickers
    const listed = await host['connections.discover']({ name: 'wh' });
    expect(Array.isArray(listed.tables)).toBe(true);
    await host['connections.update']({ name: 'wh', type: 'postgres', fields: { ...fields, port: 1, connect_timeout_s: 2 }, secrets: {} });
    const failed = await host['connections.test']({ name: 'wh' });
    expect(failed.ok).toBe(false);
    await host['connections.remove']({ name: 'wh' });
    expect((await host['connections.list']({})).connections).toEqual([]);
    expect(store.values.size).toBe(0);
  });

  it('a pipeline\'s declared connections are resolved with their secrets for the engine only', async () => {
    const env = { CAUDAL_CONFIG_DIR: path.join(dir, 'config-resolve') };
    const secrets = new MemoryStore();
    const connections = new ConnectionService({ stores: [secrets], writeStore: secrets, env });
    await connections.add('wh', 'postgres', { host: 'db', database: 'd', user: 'u' }, { password: SECRET });
    await connections.add('nopw', 'postgres', { host: 'db', database: 'd', user: 'u' }, {});
    const doc = { ...pipelineDoc(), connections: { wh: { type: 'postgres' }, nopw: { type: 'postgres' }, unknown: { type: 'postgres' } } };
    const resolved = await resolveDeclaredConnections(doc, connections, [secrets]);
    expect(resolved).toEqual({
      wh: { name: 'wh', type: 'postgres', config: expect.objectContaining({ host: 'db', port: 5432, password: SECRET }) },
      nopw: { name: 'nopw', type: 'postgres', config: expect.not.objectContaining({ password: expect.anything() }) },
    });
    // Undeclared in the file: left to the planner, which names the node that uses it.
    expect(resolved.unknown).toBeUndefined();
  });

  it('fs.list browses folders for browser mode', async () => {
    const r = await host['fs.list']({ dir, extensions: ['json'] });
    expect(r.entries.map((e) => e.name)).toEqual(expect.arrayContaining(['out', 'p.json', 'chosen.json']));
    expect(r.entries.some((e) => e.name === 'orders.csv' || e.name.startsWith('.'))).toBe(false);
    expect(r.parent).toBe(path.dirname(dir));
  });

  it('fs.list lists a link as what it points to (a projects folder or a pipeline shared by link), as a native dialog does; a broken link is left out', async () => {
    const links = path.join(dir, 'links');
    await mkdir(path.join(links, 'real-folder'), { recursive: true });
    await writeFile(path.join(links, 'real.json'), '{}');
    await symlink(path.join(links, 'real-folder'), path.join(links, 'folder-link'));
    await symlink(path.join(links, 'real.json'), path.join(links, 'pipeline-link.json'));
    await symlink(path.join(links, 'gone.json'), path.join(links, 'broken-link.json'));
    const r = await host['fs.list']({ dir: links, extensions: ['json'] });
    expect(r.entries.map((e) => [e.name, e.kind])).toEqual([
      ['folder-link', 'dir'],
      ['real-folder', 'dir'],
      ['pipeline-link.json', 'file'],
      ['real.json', 'file'],
    ]);
    expect(r.entries.find((e) => e.name === 'pipeline-link.json')!.bytes).toBe(2);
  });

  it('fs.pick asks the native dialog for a file (null when cancelled)', async () => {
    dialogAnswers.push(path.join(dir, 'orders.csv'));
    expect(await host['fs.pick']({ mode: 'open', extensions: ['csv'] })).toEqual({ path: path.join(dir, 'orders.csv') });
    dialogAnswers.push(null);
    expect(await host['fs.pick']({ mode: 'save' })).toEqual({ path: null });
  });

  it('examples.list names the shipped examples; examples.open copies one into the workspace and generates its data', async () => {
    const { examples } = await host['examples.list']({});
    expect(examples.map((e) => e.id)).toEqual(expect.arrayContaining(['ecommerce/pipeline.json', 'order-rules/pipeline.json']));
    expect(examples.find((e) => e.folder === 'ecommerce')!.description).toMatch(/Generate the data first/);
    const rules = await host['examples.open']({ id: 'order-rules/pipeline.json' });
    expect(rules).toEqual({ path: path.join(dir, 'examples', 'order-rules', 'pipeline.json'), generated: false });
    const opened = await host['pipeline.open']({ path: rules.path });
    expect((await host['pipeline.validate']({ document: opened!.document!, path: rules.path })).problems).toEqual([]);
    // A user's edit of the copy survives opening the example again.
    await writeFile(rules.path, serializePipeline({ ...opened!.document!, name: 'mine' }));
    await host['examples.open']({ id: 'order-rules/pipeline.json' });
    expect((await loadPipelineFile(rules.path)).pipeline!.name).toBe('mine');
    const shop = await host['examples.open']({ id: 'ecommerce/pipeline.json' });
    expect(shop.generated).toBe(true);
    expect((await readFile(path.join(dir, 'examples', 'ecommerce', 'data', 'orders.csv'), 'utf8')).split('\n').length).toBeGreaterThan(1000);
    expect((await host['examples.open']({ id: 'ecommerce/pipeline.json' })).generated).toBe(false);
    await expect(host['examples.open']({ id: '../../package.json' })).rejects.toThrow(/no example/);
  });

  it('schedules.open|history|runNow|pause serve the Schedules view (details: host-schedules.test.ts)', async () => {
    const sub = path.join(dir, 'scheduled');
    await mkdir(sub, { recursive: true });
    await writeFile(path.join(sub, 'tiny.json'), JSON.stringify({ format: 'caudal.pipeline/1', name: 'host schedules', nodes: [{ id: 'n', type: 'transform.sql', params: { query: 'SELECT 1 AS one' } }, { id: 'o', type: 'sink.csv', params: { path: 'tiny.csv', if_exists: 'overwrite' } }], edges: [{ from: 'n:out', to: 'o:in' }] }));
    const file = path.join(sub, 'caudal.project.json');
    await writeFile(file, JSON.stringify({ format: 'caudal.project/1', name: 'host', jobs: { tiny: { pipeline: 'tiny.json', schedule: '0 6 * * *' } } }));
    expect((await host['schedules.open']({ near: sub })).jobs.map((j) => j.name)).toEqual(['tiny']);
    expect(await host['schedules.pause']({ path: file, job: 'tiny', paused: true })).toEqual({ paused: true });
    const started = await host['schedules.runNow']({ path: file, job: 'tiny' });
    expect(started.via).toBe('studio');
    for (let i = 0; i < 300 && (await host['schedules.history']({ path: file })).runs[0]?.status !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 200));
    expect((await host['schedules.history']({ path: file })).runs).toMatchObject([{ runId: started.runId, job: 'tiny', status: 'succeeded', rows: 1 }]);
  });

  it('app.info says how the host runs', async () => {
    expect(await host['app.info']({})).toMatchObject({ mode: 'in-process', nativeDialogs: true, workspaceDir: dir, profiling: true });
  });

  it('every method is covered by this file, and no answer ever contained the secret', () => {
    const source = readFile(new URL(import.meta.url), 'utf8');
    return source.then((text) => {
      for (const m of Object.keys(hostMethods)) expect(text, `method ${m} untested`).toContain(`'${m}'`);
      expect(answers.length).toBeGreaterThan(20);
      for (const a of answers) expect(a).not.toContain(SECRET);
    });
  });
});
