import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliInProcess, ownCaudalHome } from './support/cli-in-process.js';
import { pipeline, problemsOf, tempDir } from './support/pipeline.js';

/**
 * A file sink never writes Caudal's own files: the pipeline that runs (a sink writing it with
 * if_exists overwrite replaced the pipeline with CSV, and the run succeeded), another pipeline,
 * project or connections file, anything in a `.caudal` folder, a folder holding the pipeline.
 * Quality check names hold no control characters (they reach the terminal). A quality node's
 * broken checks come in the rounds docs/quality.md describes.
 */
const cli = cliInProcess;

ownCaudalHome();

const SRC = { id: 'src', type: 'transform.sql', params: { query: "SELECT range AS id, 'x' || range AS s FROM range(3)" } };

/** A pipeline file `<name>.json` in `dir` whose sink `out` (of `type`) writes `params`. */
async function pipelineFile(dir: string, name: string, type: string, params: Record<string, unknown>): Promise<{ file: string; text: string }> {
  const file = path.join(dir, `${name}.json`);
  const text = JSON.stringify({
    format: 'caudal.pipeline/1',
    name,
    nodes: [SRC, { id: 'out', type, params }],
    edges: [{ from: 'src:out', to: 'out:in' }],
  });
  await writeFile(file, text);
  return { file, text };
}

describe('file sinks and Caudal’s own files', () => {
  it('a sink whose path is the pipeline file being run is refused (exit 2), naming node and param, and the pipeline stays', async () => {
    const dir = await tempDir('caudal-round6-self-');
    const self = await pipelineFile(dir, 'self_out', 'sink.csv', { path: 'self_out.json', if_exists: 'overwrite' });
    const r = await cli(['run', self.file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`node 'out': params.path "self_out.json" (${path.join(await realDir(dir), 'self_out.json')}) is the pipeline file being run: the sink would replace it with its output`);
    expect(r.stderr).toContain('nodes[1].params.path');
    expect(await readFile(self.file, 'utf8')).toBe(self.text);
    expect((await readdir(dir)).filter((f) => f !== '.caudal')).toEqual(['self_out.json']);
  });

  it.each([
    ['sink.json', { path: './self_out.json', if_exists: 'overwrite' }],
    ['sink.parquet', { path: 'sub/../self_out.json', if_exists: 'overwrite' }],
  ])('%s is refused the same way, however the path is spelt', async (type, params) => {
    const dir = await tempDir('caudal-round6-self-');
    const self = await pipelineFile(dir, 'self_out', type, params);
    await mkdir(path.join(dir, 'sub'));
    const r = await cli(['run', self.file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is the pipeline file being run');
    expect(await readFile(self.file, 'utf8')).toBe(self.text);
  });

  it("refuses another pipeline, the project and connections files, a .caudal folder and the pipeline's own folder", async () => {
    const dir = await tempDir('caudal-round6-own-');
    const other = await pipelineFile(dir, 'other', 'sink.csv', { path: 'x.csv' });
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['sink.csv', { path: 'other.json', if_exists: 'overwrite' }, 'is a Caudal pipeline file: the sink would replace it with its output'],
      ['sink.json', { path: 'caudal.connections.json', if_exists: 'overwrite' }, "is the project's connections file"],
      ['sink.csv', { path: 'caudal.project.json' }, 'is a Caudal project file'],
      ['sink.csv', { path: '.caudal/state/p/out.csv', if_exists: 'overwrite' }, `is inside ${path.join(await realDir(dir), '.caudal')}, the folder where Caudal keeps run records and state`],
      ['sink.parquet', { path: '.', if_exists: 'overwrite', partition_by: ['s'] }, 'is the folder of the pipeline being run, or holds it: replacing it would delete the pipeline file'],
    ];
    for (const [type, params, says] of cases) {
      const doc = pipeline([SRC, { id: 'out', type, params }], ['src -> out']);
      const problems = await problemsOf(doc, dir);
      expect(problems, JSON.stringify(params)).toEqual([expect.objectContaining({ code: 'destination_exists', nodeId: 'out', path: 'nodes[1].params.path', message: expect.stringContaining(says) })]);
    }
    expect(await readFile(other.file, 'utf8')).toBe(other.text);
    expect(existsSync(path.join(dir, 'caudal.connections.json'))).toBe(false);
    // sink.duckdb creates no database inside a .caudal folder either (nor the folders on the way).
    const intoState = pipeline([SRC, { id: 'out', type: 'sink.duckdb', params: { database: '.caudal/state/w.duckdb', table: 't' } }], ['src -> out']);
    expect(await problemsOf(intoState, dir)).toEqual([
      expect.objectContaining({ code: 'destination_exists', nodeId: 'out', path: 'nodes[1].params.database', message: expect.stringContaining('the folder where Caudal keeps run records and state') }),
    ]);
    expect(existsSync(path.join(dir, '.caudal', 'state'))).toBe(false);
  });

  it('still overwrites a JSON data file, and writes beside the pipeline', async () => {
    const dir = await tempDir('caudal-round6-data-');
    await writeFile(path.join(dir, 'data.json'), '[{"format": "caudal.pipeline/1"}]\n');
    const p = await pipelineFile(dir, 'ok', 'sink.json', { path: 'data.json', if_exists: 'overwrite', format: 'array' });
    const r = await cli(['run', p.file]);
    expect(r.stderr).not.toContain('Caudal');
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, 'data.json'), 'utf8'))).toHaveLength(3);
  });

  it('a pipeline kept inside a .caudal folder still writes beside itself', async () => {
    const dir = path.join(await tempDir('caudal-round6-kept-'), '.caudal', 'kept');
    await mkdir(dir, { recursive: true });
    const doc = pipeline([SRC, { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } }], ['src -> out']);
    expect(await problemsOf(doc, dir)).toEqual([]);
  });
});

describe('quality check names', () => {
  it.each([
    ['an escape code', 'ids \u001b[32m✔ all good'],
    ['a line break', 'ids\n✔ run succeeded'],
    ['a bidi control', 'ids \u202e dab'],
  ])('a name with %s is refused before the run, at the name', async (_what, name) => {
    const dir = await tempDir('caudal-round6-names-');
    const doc = pipeline([SRC, { id: 'qc', type: 'quality.check', params: { checks: [{ name, kind: 'not_null', column: 'id' }] } }], ['src -> qc']);
    expect(await problemsOf(doc, dir)).toEqual([
      expect.objectContaining({ code: 'invalid_param', path: 'nodes[1].params.checks[0].name', message: expect.stringContaining('a check name holds no control characters') }),
    ]);
  });

  it('printable names, spaces and accents included, are accepted', async () => {
    const dir = await tempDir('caudal-round6-names-');
    const doc = pipeline([SRC, { id: 'qc', type: 'quality.check', params: { checks: [{ name: 'Prüfung: id présent ✔', kind: 'not_null', column: 'id' }] } }], ['src -> qc']);
    expect(await problemsOf(doc, dir)).toEqual([]);
  });
});

describe('a quality node with several broken checks (docs/quality.md, Check kinds)', () => {
  it('reports them in the documented rounds: shapes, then the list, then the checks against the input', async () => {
    const dir = await tempDir('caudal-round6-rounds-');
    const problemsWith = async (checks: unknown[]) =>
      (await problemsOf(pipeline([SRC, { id: 'qc', type: 'quality.check', params: { checks } }], ['src -> qc']), dir)).map((p) => p.path.replace('nodes[1].params.', ''));
    const shape = { name: 'no column', kind: 'not_null' };
    const list = [
      { name: 'range', kind: 'between', column: 'id', min: 5, max: 1 },
      { name: 'range', kind: 'not_null', column: 'id' },
    ];
    const input = [
      { name: 'typo', kind: 'not_null', column: 'idd' },
      { name: 'regex', kind: 'matches_regex', column: 's', pattern: '(' },
    ];
    const statements = { name: 'two statements', kind: 'expression', expression: 'id > 0; SELECT 1' };
    expect(await problemsWith([shape, ...list, ...input, statements])).toEqual(['checks[0].column']);
    expect(await problemsWith([...list, ...input, statements])).toEqual(['checks[0].min', 'checks[1].name']);
    expect(await problemsWith([...input, statements])).toEqual(['checks[2].expression']);
    expect(await problemsWith(input)).toEqual(['checks[0].column', 'checks[1]']);
  });
});

async function realDir(dir: string): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  return realpath(dir);
}
