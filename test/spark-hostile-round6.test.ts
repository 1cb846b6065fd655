import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { packageRoot } from '../core/src/util/package-root.js';
import { pipeline, run, tempDir } from './support/pipeline.js';
import { useSparkPython } from './spark/support.js';

/**
 * `caudal run --engine spark`, compared with the DuckDB engine by a hostile tester:
 *
 * - every name the pipeline spells with capitals is written as spelled: CSV headers and JSON keys
 *   (also when the sink converts values to text, and when it writes no row), the names an unpivot
 *   writes as values, and the keys of structs built in expressions (sqlglot lower-cased them all);
 * - Spark's own temp files (the session folder, spark-*, blockmgr-* with its shuffle files) live in
 *   the run's temp folder, so a run killed with its whole process group leaves nothing that
 *   `caudal doctor` does not list and `caudal clean` does not remove (they were left in /tmp).
 *
 * The CLI runs from the sources (tsx), in a process group of its own and a private TMPDIR.
 */
useSparkPython();
const root = await tempDir('caudal-spark-r6-');
const mainTs = path.join(packageRoot(), 'core/src/cli/main.ts');
// tsx's loader by its path: the CLI runs in the project's folder, where `tsx` does not resolve.
const tsx = pathToFileURL(path.join(packageRoot(), 'node_modules/tsx/dist/loader.mjs')).href;

function caudalFromSources(args: string[], cwd: string, env: NodeJS.ProcessEnv, onStderr?: (all: string) => void): { child: ChildProcess; result: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const code = `import { main } from ${JSON.stringify(mainTs)}; process.exitCode = await main(process.argv.slice(1));`;
  // No tsx compile cache: it would be a folder in the private TMPDIR.
  const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', code, '--', ...args], {
    cwd,
    env: { ...process.env, ...env, TSX_DISABLE_CACHE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    onStderr?.(stderr);
  });
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 840_000);
  const result = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, stdout, stderr });
    }),
  );
  return { child, result };
}

/** A project folder with its own TMPDIR, runtime and config folders. */
async function project(name: string) {
  const dir = path.join(root, name);
  const tmp = path.join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  await writeFile(
    path.join(dir, 'orders.csv'),
    'OrderId,CustomerName,Channel,OrderedAt,Amount\n1,Ann,Web,2024-01-01 10:00:00,10.5\n2,Bob,Store,2024-02-01 11:30:00,20.25\n3,Cy,Web,2024-03-01 12:00:00,\n',
  );
  const env = { TMPDIR: tmp, CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config') };
  return { dir, tmp, env };
}

/** Every entry below `dir`, as relative paths, down to `depth` levels. */
async function listing(dir: string, depth: number): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    out.push(e.name);
    if (e.isDirectory() && depth > 1) for (const sub of await listing(path.join(dir, e.name), depth - 1)) out.push(`${e.name}/${sub}`);
  }
  return out.sort();
}

async function parquet(file: string): Promise<{ columns: string[]; rows: string[] }> {
  const db = await Db.open({ threads: 1 });
  try {
    const f = `'${file.replace(/'/g, "''")}'`;
    const columns = (await db.rows(`DESCRIBE SELECT * FROM read_parquet(${f})`)).map((d) => `${String(d.column_name)} ${String(d.column_type)}`);
    const rows = (await db.rows(`SELECT CAST(to_json(t) AS VARCHAR) AS j FROM read_parquet(${f}) AS t`)).map((r) => String(r.j)).sort();
    return { columns, rows };
  } finally {
    db.close();
  }
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('caudal run --engine spark writes names as the pipeline spells them', () => {
  let dir: string;
  let tmp: string;
  let spark: { code: number | null; stdout: string; stderr: string };
  const duck = (f: string) => path.join(dir, 'duck', f);
  const sparkOut = (f: string) => path.join(dir, 'spark', f);

  beforeAll(async () => {
    const p = await project('names');
    dir = p.dir;
    tmp = p.tmp;
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'orders.csv' } },
        // OrderedAt (a TIMESTAMP) and Amount (a DOUBLE) make the CSV and JSON sinks convert values in SQL.
        { id: 'orders_csv', type: 'sink.csv', params: { path: '${out}/orders.csv', if_exists: 'overwrite' } },
        { id: 'orders_json', type: 'sink.json', params: { path: '${out}/orders.jsonl', if_exists: 'overwrite' } },
        { id: 'amounts', type: 'transform.select', params: { columns: [{ column: 'OrderId' }, { column: 'Amount', as: 'TotalAmount' }] } },
        { id: 'amounts_json', type: 'sink.json', params: { path: '${out}/amounts.jsonl', if_exists: 'overwrite' } },
        { id: 'none', type: 'transform.filter', params: { condition: '"OrderId" > 100' } },
        { id: 'none_csv', type: 'sink.csv', params: { path: '${out}/none.csv', if_exists: 'overwrite' } },
        { id: 'longer', type: 'transform.unpivot', params: { id_columns: ['OrderId'], columns: ['CustomerName', 'Channel'], name_column: 'Field', value_column: 'Text' } },
        { id: 'longer_parquet', type: 'sink.parquet', params: { path: '${out}/longer.parquet', if_exists: 'overwrite' } },
        {
          id: 'nested',
          type: 'transform.derive',
          params: {
            columns: [
              { name: 'Packed', expression: 'struct_pack(CamelKey := OrderId, "Other Key" := CustomerName)' },
              { name: 'Literal', expression: "{'MixedKey': OrderId, 'lower': Channel}" },
              { name: 'Typed', expression: 'CAST(NULL AS STRUCT(TypedKey BIGINT))' },
            ],
          },
        },
        { id: 'nested_only', type: 'transform.select', params: { columns: [{ column: 'OrderId' }, { column: 'Packed' }, { column: 'Literal' }, { column: 'Typed' }] } },
        { id: 'nested_parquet', type: 'sink.parquet', params: { path: '${out}/nested.parquet', if_exists: 'overwrite' } },
        { id: 'nested_json', type: 'sink.json', params: { path: '${out}/nested.jsonl', if_exists: 'overwrite' } },
      ],
      [
        'src -> orders_csv',
        'src -> orders_json',
        'src -> amounts',
        'amounts -> amounts_json',
        'src -> none',
        'none -> none_csv',
        'src -> longer',
        'longer -> longer_parquet',
        'src -> nested',
        'nested -> nested_only',
        'nested_only -> nested_parquet',
        'nested_only -> nested_json',
      ],
      { name: 'spark_names', params: { out: { type: 'string', default: 'out' } } },
    );
    await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc, null, 2));
    const local = await run(doc, dir, { params: { out: 'duck' } });
    expect(local.summary.status).toBe('succeeded');
    spark = await caudalFromSources(['run', 'pipeline.json', '--engine', 'spark', '--master', 'local[1]', '-p', 'out=spark'], dir, p.env).result;
  }, 900_000);

  it('runs', () => {
    expect(spark.stderr).toMatch(/run succeeded on Spark/);
    expect(spark.code).toBe(0);
  });

  it('CSV headers and JSON keys keep their capitals when the sink converts values to text (a TIMESTAMP, a DOUBLE)', async () => {
    const csv = await readFile(sparkOut('orders.csv'), 'utf8');
    expect(lines(csv)[0]).toBe('OrderId,CustomerName,Channel,OrderedAt,Amount');
    expect(lines(csv).slice(1).sort()).toEqual(lines(await readFile(duck('orders.csv'), 'utf8')).slice(1).sort());

    const json = lines(await readFile(sparkOut('orders.jsonl'), 'utf8'));
    for (const line of json) expect(Object.keys(JSON.parse(line) as object)).toEqual(['OrderId', 'CustomerName', 'Channel', 'OrderedAt', 'Amount']);
    expect(json.sort()).toEqual(lines(await readFile(duck('orders.jsonl'), 'utf8')).sort());

    const amounts = lines(await readFile(sparkOut('amounts.jsonl'), 'utf8'));
    expect(amounts.sort()).toEqual(['{"OrderId":1,"TotalAmount":10.5}', '{"OrderId":2,"TotalAmount":20.25}', '{"OrderId":3,"TotalAmount":null}']);
    expect(amounts).toEqual(lines(await readFile(duck('amounts.jsonl'), 'utf8')).sort());
  });

  it('a CSV sink that writes no row writes the header as spelled', async () => {
    expect(await readFile(sparkOut('none.csv'), 'utf8')).toBe('OrderId,CustomerName,Channel,OrderedAt,Amount\n');
    expect(await readFile(duck('none.csv'), 'utf8')).toBe('OrderId,CustomerName,Channel,OrderedAt,Amount\n');
  });

  it("unpivot writes the unpivoted columns' names as spelled (CustomerName, not customername)", async () => {
    const out = await parquet(sparkOut('longer.parquet'));
    const fields = out.rows.map((r) => JSON.parse(r) as { OrderId: number; Field: string; Text: string }).map((r) => `${r.OrderId} ${r.Field} ${r.Text}`);
    expect(fields.sort()).toEqual(['1 Channel Web', '1 CustomerName Ann', '2 Channel Store', '2 CustomerName Bob', '3 Channel Web', '3 CustomerName Cy']);
    expect(out).toEqual(await parquet(duck('longer.parquet')));
  });

  it('the keys of structs built in expressions keep their capitals in Parquet and JSON', async () => {
    const out = await parquet(sparkOut('nested.parquet'));
    expect(out.columns).toEqual(['OrderId BIGINT', 'Packed STRUCT(CamelKey BIGINT, "Other Key" VARCHAR)', 'Literal STRUCT(MixedKey BIGINT, lower VARCHAR)', 'Typed STRUCT(TypedKey BIGINT)']);
    expect(out).toEqual(await parquet(duck('nested.parquet')));
    const json = lines(await readFile(sparkOut('nested.jsonl'), 'utf8')).sort();
    expect(json[0]).toBe('{"OrderId":1,"Packed":{"CamelKey":1,"Other Key":"Ann"},"Literal":{"MixedKey":1,"lower":"Web"},"Typed":null}');
    expect(json).toEqual(lines(await readFile(duck('nested.jsonl'), 'utf8')).sort());
  });

  it('a run that ends leaves nothing in the temp folder', async () => {
    expect(await listing(tmp, 3)).toEqual([]);
  });
});

describe('caudal run --engine spark killed with its whole process group (kill -9 -- -PGID)', () => {
  it("left Spark's temp folders only inside the run's temp folder, which caudal doctor lists and caudal clean removes", { timeout: 900_000 }, async () => {
    const { dir, tmp, env } = await project('killed');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'orders.csv' } },
        // An aggregate shuffles: Spark writes shuffle files under its blockmgr-* folder.
        { id: 'totals', type: 'transform.aggregate', params: { group_by: ['Channel'], aggregations: [{ name: 'Total', function: 'sum', column: 'Amount' }] } },
        { id: 'out', type: 'sink.csv', params: { path: 'out/totals.csv', if_exists: 'overwrite' } },
      ],
      ['src -> totals', 'totals -> out'],
      { name: 'spark_killed' },
    );
    await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc, null, 2));
    // The driver stops for good once every sink is staged: the shuffle is done, the session still up.
    let staged: () => void = () => {};
    const reached = new Promise<void>((resolve) => (staged = resolve));
    const started = caudalFromSources(['run', 'pipeline.json', '--engine', 'spark', '--master', 'local[1]'], dir, { ...env, CAUDAL_SPARK_FAILPOINT: 'hang:staged' }, (all) => {
      if (/✔ out\b/.test(all)) staged();
    });
    const ended = started.result.then((r) => {
      staged();
      return r;
    });
    await reached;
    const during = await listing(tmp, 3);
    process.kill(-started.child.pid!, 'SIGKILL');
    const killed = await ended;
    expect(killed.stderr).not.toMatch(/run succeeded/);
    expect(killed.stderr).toMatch(/✔ out\b/);

    // Everything the run made in the temp folder is inside its one caudal-run-<pid>-… folder: the
    // Python driver's session folder and the JVM's (java.io.tmpdir, Spark's local dir).
    const runFolders = during.filter((e) => !e.includes('/'));
    expect(runFolders).toHaveLength(1);
    expect(runFolders[0]).toMatch(/^caudal-run-/);
    const inside = during.filter((e) => e.startsWith(`${runFolders[0]}/tmp/`)).map((e) => e.split('/')[2]!.replace(/-[^-]*$/, '-…').replace(/^(spark|blockmgr)-.*/, '$1-…'));
    expect(inside).toEqual(expect.arrayContaining(['caudal-spark-session-…', 'spark-…', 'blockmgr-…']));
    // So the killed run left nothing but that folder.
    expect(await listing(tmp, 1)).toEqual([runFolders[0]]);

    const doctor = await caudalFromSources(['doctor', 'pipeline.json'], dir, env).result;
    expect(doctor.stdout + doctor.stderr).toContain(`leftover  temp folder ${runFolders[0]}`);
    const clean = await caudalFromSources(['clean', 'pipeline.json'], dir, env).result;
    expect(clean.stdout + clean.stderr).toMatch(/removed 1 temp folder\(s\) of killed runs/);
    expect(clean.code).toBe(0);
    expect(await listing(tmp, 3)).toEqual([]);
  });
});
