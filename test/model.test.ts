import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { migrate, migrations, type Migration } from '../core/src/model/migrations/index.js';
import { parsePipelineObject, parsePipelineText } from '../core/src/model/load.js';
import { serializePipeline } from '../core/src/model/serialize.js';
import { pipeline } from './support/pipeline.js';

describe('pipeline document v1', () => {
  it('accepts a minimal document and fills defaults', () => {
    const r = parsePipelineObject({ format: 'caudal.pipeline/1', name: 'empty' });
    expect(r.problems).toEqual([]);
    expect(r.pipeline).toMatchObject({ params: {}, connections: {}, nodes: [], edges: [] });
  });

  it('refuses a name with a line break, an escape code or a bidi control (it would forge log lines), and keeps names in any script', () => {
    for (const name of ['evil\n✔ succeeded in 1 ms', 'red\u001b[31m', 'tab\there', 'rtl\u202eexe.txt']) {
      const r = parsePipelineObject({ format: 'caudal.pipeline/1', name });
      expect(r.problems.map((p) => [p.path, p.message])).toEqual([['name', expect.stringContaining('a pipeline name holds no control characters')]]);
    }
    for (const name of ['Ventes été 2026', '売上 👩‍💻', 'a-b_c.d']) expect(parsePipelineObject({ format: 'caudal.pipeline/1', name }).problems).toEqual([]);
  });

  it('a file of a later format says it needs a newer Caudal, not to rewrite its format', () => {
    const r = parsePipelineObject({ format: 'caudal.pipeline/9', name: 'future' });
    expect(r.problems).toEqual([expect.objectContaining({ code: 'unsupported_format', hint: 'the file was written by a newer Caudal (format caudal.pipeline/9): open it with that version, or update Caudal' })]);
    expect(parsePipelineObject({ format: 'caudal.pipeline/x', name: 'odd' }).problems[0]!.hint).toBe('set "format": "caudal.pipeline/1"');
  });

  it('reports JSON syntax errors with line and column', () => {
    const r = parsePipelineText('{\n  "format": "caudal.pipeline/1",\n  "name": "x"\n  "nodes": []\n}', 'p.json');
    expect(r.problems[0]!.code).toBe('invalid_json');
    expect(r.problems[0]!.message).toMatch(/p\.json is not valid JSON at line 4/);
  });

  it('accepts a file that starts with a UTF-8 byte order mark', () => {
    const r = parsePipelineText('\uFEFF' + JSON.stringify({ format: 'caudal.pipeline/1', name: 'from notepad' }), 'p.json');
    expect(r.problems).toEqual([]);
    expect(r.pipeline?.name).toBe('from notepad');
  });

  it('a file that is not a pipeline is named as such, with a position but never its contents', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';
    const r = parsePipelineText(passwd, '/etc/passwd');
    expect(r.pipeline).toBeUndefined();
    expect(r.problems[0]!.message).toBe('/etc/passwd is not a Caudal pipeline (expected a JSON object with format caudal.pipeline/1): it is not JSON at line 1, column 1');
    const secretJson = '{"api_key": "sk-very-secret", "nested": {"token": "t0k3n"}, }';
    const bad = parsePipelineText(secretJson, 'keys.json');
    expect(bad.problems[0]!.message).toMatch(/^keys\.json is not a Caudal pipeline .*: it is not JSON at line 1, column 61$/);
    for (const text of ['{"format": "hunter2-secret", "name": "x"}', '{"name": "hunter2-secret"}', '["hunter2-secret"]', '"hunter2-secret"']) {
      const other = parsePipelineText(text, 'other.json');
      expect(other.problems[0]!.message, text).toMatch(/^other\.json is not a Caudal pipeline \(expected a JSON object with format caudal\.pipeline\/1\): /);
      expect(JSON.stringify(other.problems), text).not.toContain('hunter2');
    }
  });

  it('a pipeline with a syntax error says what is wrong without quoting the text', () => {
    const r = parsePipelineText('{"format": "caudal.pipeline/1", "name": "s3cr3t-name",\n "nodes": [], }', 'p.json');
    expect(r.problems[0]!.message).toBe('p.json is not valid JSON at line 2, column 15: expected a property name in double quotes (a trailing comma?)');
  });

  it('reports every shape problem with its JSON path', () => {
    const r = parsePipelineObject({
      format: 'caudal.pipeline/1',
      name: '',
      params: { run_date: { type: 'date', default: '01/02/2024' } },
      nodes: [{ id: '1bad', type: 'transform.filter' }],
      edges: [{ from: 'a', to: 'b:in' }],
      colour: 'red',
    });
    const paths = r.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'params.run_date.default', 'nodes[0].id', 'edges[0].from', '(document)']));
    expect(r.problems.find((p) => p.path === '(document)')!.hint).toMatch(/colour/);
  });

  it('rejects an unknown format with a hint', () => {
    const r = parsePipelineObject({ format: 'caudal.pipeline/9', name: 'x' });
    expect(r.problems[0]).toMatchObject({ code: 'unsupported_format', path: 'format' });
    expect(r.problems[0]!.message).toMatch(/unsupported format 'caudal.pipeline\/9'/);
  });

  it('serializes with a canonical key order, layout last, and round-trips unchanged', () => {
    const doc = pipeline([{ id: 'src', type: 'transform.sql', params: { query: 'SELECT 1' } }], [], {
      layout: { nodes: { src: { x: 1, y: 2 } } },
      description: 'd',
    });
    const text = serializePipeline(doc);
    expect(Object.keys(JSON.parse(text))).toEqual(['format', 'name', 'description', 'params', 'connections', 'nodes', 'edges', 'layout']);
    const again = serializePipeline(parsePipelineText(text).pipeline!);
    expect(again).toBe(text);
    expect(text.endsWith('\n')).toBe(true);
  });
});

describe('migrations', () => {
  it('upgrades the v0 fixture to v1: edges become endpoints, positions move to layout', async () => {
    const text = await readFile(new URL('./fixtures/migrations/v0-orders.json', import.meta.url), 'utf8');
    const r = parsePipelineText(text);
    expect(r.problems).toEqual([]);
    expect(r.migrationsApplied).toEqual(['0001-edges-as-endpoints-and-separate-layout']);
    expect(r.pipeline!.edges).toEqual([{ from: 'src:out', to: 'keep:in' }]);
    expect(r.pipeline!.layout!.nodes).toEqual({ src: { x: 0, y: 10 }, keep: { x: 200, y: 10 } });
    expect(r.pipeline!.nodes[0]).not.toHaveProperty('position');
  });

  it('applies a chain of named migrations in order and refuses loops', () => {
    const chain: Migration[] = [
      { name: 'b', from: 'f/2', to: 'f/3', up: (d) => ({ ...d, format: 'f/3', steps: [...(d.steps as string[]), 'b'] }) },
      { name: 'a', from: 'f/1', to: 'f/2', up: (d) => ({ ...d, format: 'f/2', steps: ['a'] }) },
    ];
    const r = migrate({ format: 'f/1' }, chain, 'f/3');
    expect(r.applied).toEqual(['a', 'b']);
    expect(r.doc.steps).toEqual(['a', 'b']);
    const loop: Migration[] = [{ name: 'x', from: 'f/1', to: 'f/1', up: (d) => d }];
    expect(() => migrate({ format: 'f/1' }, loop, 'f/3')).toThrow(/loop/);
  });

  it('every migration has a unique name and a fixture-tested source format', () => {
    expect(new Set(migrations.map((m) => m.name)).size).toBe(migrations.length);
    expect(migrations.map((m) => m.from)).toContain('caudal.pipeline/0');
  });
});
