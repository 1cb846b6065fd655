import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseProject } from '../core/src/scheduler/load-project.js';
import { airflowDag } from '../core/src/scheduler/airflow/export.js';
import { packageRoot } from '../core/src/util/package-root.js';
import { caudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { PG, pgSandbox } from './support/postgres.js';
import { serviceUnavailable, SERVICES } from './support/services.js';

const run = promisify(execFile);

/**
 * `caudal export airflow` checked by a real Apache Airflow 3.1 (test/services/up.sh installs it in
 * a venv): a temporary AIRFLOW_HOME on SQLite, `airflow db migrate`, no import errors for either
 * form (BashOperator, KubernetesPodOperator), and `airflow dags test` running the BashOperator DAG
 * to success against local files and the test PostgreSQL, with the outputs checked. The database
 * password reaches the run only from an Airflow connection.
 */
const PROJECT = {
  format: 'caudal.project/1',
  name: 'shop',
  timezone: 'Europe/Madrid',
  jobs: {
    extract: { pipeline: 'pipelines/extract.json', schedule: '0 6 * * *', params: { day: '{scheduled_date}', n: 500 }, retries: { count: 2, delay_s: 30, backoff: 2 }, timeout_s: 600 },
    report: { pipeline: 'pipelines/report.json', depends_on: ['extract'] },
    load: { pipeline: 'pipelines/load.json', depends_on: ['extract'] },
  },
};

const pipelines = (schema: string) => ({
  'extract.json': {
    format: 'caudal.pipeline/1',
    name: 'extract',
    params: { day: { type: 'string', default: '2000-01-01' }, n: { type: 'number', default: 10 } },
    nodes: [
      { id: 'src', type: 'transform.sql', params: { query: "SELECT range AS id, CAST($day AS DATE) AS day, CASE WHEN range % 3 = 0 THEN 'ES' WHEN range % 3 = 1 THEN 'PT' ELSE 'FR' END AS country, range * 1.5 AS amount FROM range($n)" } },
      { id: 'out', type: 'sink.parquet', params: { path: '../data/orders.parquet', if_exists: 'overwrite' } },
    ],
    edges: [{ from: 'src:out', to: 'out:in' }],
  },
  'report.json': {
    format: 'caudal.pipeline/1',
    name: 'report',
    nodes: [
      { id: 'orders', type: 'source.parquet', params: { path: '../data/orders.parquet' } },
      { id: 'by_country', type: 'transform.aggregate', params: { group_by: ['country', 'day'], aggregations: [{ name: 'orders', function: 'count' }] } },
      { id: 'sorted', type: 'transform.sort', params: { by: [{ column: 'country' }] } },
      { id: 'out', type: 'sink.csv', params: { path: '../data/report.csv', if_exists: 'overwrite' } },
    ],
    edges: [
      { from: 'orders:out', to: 'by_country:in' },
      { from: 'by_country:out', to: 'sorted:in' },
      { from: 'sorted:out', to: 'out:in' },
    ],
  },
  'load.json': {
    format: 'caudal.pipeline/1',
    name: 'load',
    connections: { warehouse: { type: 'postgres' } },
    nodes: [
      { id: 'orders', type: 'source.parquet', params: { path: '../data/orders.parquet' } },
      { id: 'pg', type: 'sink.postgres', params: { connection: 'warehouse', schema, table: 'orders', mode: 'replace' } },
    ],
    edges: [{ from: 'orders:out', to: 'pg:in' }],
  },
});

async function makeProject(schema: string): Promise<string> {
  const dir = await tempDir('caudal-airflow-');
  await mkdir(path.join(dir, 'pipelines'), { recursive: true });
  for (const [name, doc] of Object.entries(pipelines(schema))) await writeFile(path.join(dir, 'pipelines', name), JSON.stringify(doc, null, 2));
  // Non-secret connection fields live with the project; the password only in Airflow.
  await writeFile(path.join(dir, 'pipelines', 'caudal.connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { warehouse: { type: 'postgres', host: PG.host, port: PG.port, database: PG.database, user: PG.user } } }));
  await writeFile(path.join(dir, 'caudal.project.json'), JSON.stringify(PROJECT, null, 2));
  return dir;
}

describe('caudal export airflow (generated text)', () => {
  it('maps schedule, catchup, retries, timeout and secrets; keeps Jinja out of literal values', async () => {
    const dir = await makeProject('s');
    const doc = { ...PROJECT, jobs: { ...PROJECT.jobs, extract: { ...PROJECT.jobs.extract, catchup: 'run_once', params: { day: '{scheduled_date}', note: 'a {{ b }} c' } } } };
    const dag = await airflowDag(parseProject(JSON.stringify(doc), path.join(dir, 'caudal.project.json')), { operator: 'bash', source: 'caudal export airflow caudal.project.json' });
    expect(dag).toContain('schedule=CronTriggerTimetable("0 6 * * *", timezone="Europe/Madrid", run_immediately=True)');
    expect(dag).toContain('retries=2,\n        retry_delay=timedelta(seconds=30),\n        retry_exponential_backoff=True');
    expect(dag).toContain('execution_timeout=timedelta(seconds=600)');
    expect(dag).toContain('"CAUDAL_PARAM_2": "note={% raw %}a {{ b }} c{% endraw %}"');
    expect(dag).toContain('"CAUDAL_SECRET_WAREHOUSE_PASSWORD": "{{ conn.get(\\"warehouse\\").password }}"');
    expect(dag).toContain('extract >> report\n    extract >> load');
    // every secret is a template of an Airflow connection, never a value
    expect(dag).not.toMatch(/"CAUDAL_SECRET_[A-Z_]+": "(?!\{\{ conn\.get)/);
  });

  it('refuses a group of dependent jobs with two schedules, and cron with seconds', async () => {
    const dir = await makeProject('s');
    const two = { ...PROJECT, jobs: { a: { pipeline: 'pipelines/extract.json', schedule: '0 6 * * *' }, b: { pipeline: 'pipelines/extract.json', schedule: '0 7 * * *' }, c: { pipeline: 'pipelines/report.json', depends_on: ['a', 'b'] } } };
    await expect(airflowDag(parseProject(JSON.stringify(two), path.join(dir, 'caudal.project.json')), { operator: 'bash', source: 'x' })).rejects.toThrow(/jobs 'a', 'b' start one group of dependent jobs with different schedules/);
    const secs = { ...PROJECT, jobs: { a: { pipeline: 'pipelines/extract.json', schedule: '*/5 * * * * *' } } };
    await expect(airflowDag(parseProject(JSON.stringify(secs), path.join(dir, 'caudal.project.json')), { operator: 'bash', source: 'x' })).rejects.toThrow(/has seconds; Airflow schedules have five fields/);
  });

  it("-o replaces an earlier export, never a DAG file of the user's own unless --force", async () => {
    const dir = await makeProject('s');
    const dags = path.join(dir, 'dags');
    const target = path.join(dags, 'shop.py');
    const project = path.join(dir, 'caudal.project.json');
    expect((await caudal(['export', 'airflow', project, '-o', target, '-q'])).code).toBe(0);
    expect((await caudal(['export', 'airflow', project, '--operator', 'kubernetes', '-o', target, '-q'])).code).toBe(0);
    expect(await readFile(target, 'utf8')).toContain('KubernetesPodOperator');

    const own = 'from airflow.sdk import DAG\n# the team\'s hand-written billing DAG\n';
    await writeFile(target, own);
    const refused = await caudal(['export', 'airflow', project, '-o', target]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${target} exists and was not written by a Caudal export: exporting would replace it`);
    expect(await readFile(target, 'utf8')).toBe(own);
    expect((await caudal(['export', 'airflow', project, '-o', target, '--force', '-q'])).code).toBe(0);
    expect(await readFile(target, 'utf8')).toMatch(/^"""Apache Airflow DAGs for the Caudal project 'shop'/);
    expect(await readdir(dags)).toEqual(['shop.py']);
  });
});

describe('caudal export airflow (Apache Airflow 3.1)', () => {
  const airflow = SERVICES.airflowBin;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const af = async (args: string[], timeout = 300_000) => {
    try {
      return await run(airflow, args, { env, timeout, maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
      const err = e as Error & { stdout?: string; stderr?: string };
      throw new Error(`airflow ${args.join(' ')} failed: ${err.message}\n${(err.stdout ?? '').slice(-4000)}\n${(err.stderr ?? '').slice(-4000)}`, { cause: e });
    }
  };

  beforeAll(async () => {
    if (!existsSync(airflow)) throw serviceUnavailable('airflow', airflow, new Error('no such file'));
    home = await tempDir('caudal-airflow-home-');
    await mkdir(path.join(home, 'dags'));
    env = {
      ...process.env,
      AIRFLOW_HOME: home,
      AIRFLOW__CORE__DAGS_FOLDER: path.join(home, 'dags'),
      AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(home, 'airflow.db')}`,
      // The workers' `caudal`: this checkout's CLI.
      CAUDAL_BIN: `${process.execPath} ${path.join(packageRoot(), 'bin', 'caudal.js')}`,
      AIRFLOW_CONN_WAREHOUSE: `postgresql://${encodeURIComponent(PG.user)}:${encodeURIComponent(PG.password)}@${PG.host}:${PG.port}/${PG.database}`,
    };
    for (const k of Object.keys(env)) if (k.startsWith('CAUDAL_SECRET_')) delete env[k];
    await af(['db', 'migrate']);
  }, 600_000);

  it('both forms import without errors; dags test runs the BashOperator DAG to success with the outputs checked', async () => {
    const { q, schema } = await pgSandbox();
    const dir = await makeProject(schema);
    const bash = await caudal(['export', 'airflow', path.join(dir, 'caudal.project.json'), '-o', path.join(home, 'dags', 'caudal_shop.py')]);
    expect(bash.code, bash.stderr).toBe(0);
    const k8s = await caudal(['export', 'airflow', path.join(dir, 'caudal.project.json'), '--operator', 'kubernetes', '--image', 'registry.local/shop-caudal:1', '-o', path.join(home, 'dags', 'caudal_shop_k8s.py')]);
    expect(k8s.code, k8s.stderr).toBe(0);
    const dagText = await readFile(path.join(home, 'dags', 'caudal_shop.py'), 'utf8');
    expect(dagText).toContain('"CAUDAL_SECRET_WAREHOUSE_PASSWORD": "{{ conn.get(\\"warehouse\\").password }}"');
    expect(dagText).not.toMatch(/"CAUDAL_SECRET_[A-Z_]+": "(?!\{\{ conn\.get)/);

    // The import check: Airflow's DagBag parses the folder as the DAG processor does. A broken
    // DAG file beside ours shows that the check reports errors.
    await writeFile(path.join(home, 'dags', 'zz_broken.py'), 'from airflow.sdk import DAG\nwith DAG(dag_id="broken", schedule="not a cron") as dag:\n    pass\n');
    const checker = path.join(home, 'import_check.py');
    await writeFile(checker, ['import json, sys', 'from airflow.models.dagbag import DagBag', 'bag = DagBag(sys.argv[1], include_examples=False)', 'print("RESULT " + json.dumps({"errors": {k.rsplit("/", 1)[-1]: v for k, v in bag.import_errors.items()}, "dags": sorted(bag.dag_ids)}))'].join('\n'));
    const checked = await run(path.join(path.dirname(airflow), 'python'), [checker, path.join(home, 'dags')], { env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    const bag = JSON.parse(checked.stdout.slice(checked.stdout.indexOf('RESULT ') + 7)) as { errors: Record<string, string>; dags: string[] };
    expect(Object.keys(bag.errors)).toEqual(['zz_broken.py']);
    expect(bag.dags).toEqual(['caudal_shop_extract', 'caudal_shop_extract_k8s']);
    await rm(path.join(home, 'dags', 'zz_broken.py'));

    const tested = await af(['dags', 'test', 'caudal_shop_extract', '2026-05-01T04:00:00+00:00'], 600_000);
    const output = tested.stdout + tested.stderr;
    expect(output).toMatch(/state=success|DagRun Finished.*success|dag_run_state.*success/i);

    // extract ran for the slot's local date (06:00 Madrid on 1 May); report and load after it
    const report = await readFile(path.join(dir, 'data', 'report.csv'), 'utf8');
    expect(report.trim().split('\n')).toEqual(['country,day,orders', 'ES,2026-05-01,167', 'FR,2026-05-01,166', 'PT,2026-05-01,167']);
    const [{ n, total }] = (await q<{ n: number; total: string }>(`SELECT count(*)::int AS n, sum(amount)::text AS total FROM "${schema}".orders`)) as [{ n: number; total: string }];
    expect(n).toBe(500);
    expect(Number(total)).toBe(1.5 * ((499 * 500) / 2));
    // each task recorded its run in the pipelines' history, with its job and attempt
    const records = await Promise.all((await readdir(path.join(dir, 'pipelines', '.caudal', 'runs'))).map(async (id) => JSON.parse(await readFile(path.join(dir, 'pipelines', '.caudal', 'runs', id, 'run.json'), 'utf8'))));
    expect(records.map((r) => [r.job, r.status, r.attempt]).sort()).toEqual([
      ['extract', 'succeeded', 1],
      ['load', 'succeeded', 1],
      ['report', 'succeeded', 1],
    ]);
    expect(records.find((r) => r.job === 'extract').params).toEqual({ day: '2026-05-01', n: '500' });
  }, 900_000);
});
