import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseProject } from '../core/src/scheduler/load-project.js';
import { airflowCron } from '../core/src/scheduler/airflow/cron.js';
import { airflowDag } from '../core/src/scheduler/airflow/export.js';
import { CronSchedule } from '../core/src/scheduler/cron.js';
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

const projectFrom = (dir: string, doc: unknown) => parseProject(JSON.stringify(doc), path.join(dir, 'caudal.project.json'));

/** A DAG file's tasks (variable → task id) and its `a >> b` lines as task ids. */
function wiring(dag: string): { tasks: Record<string, string>; edges: Array<[string, string]> } {
  const tasks: Record<string, string> = {};
  for (const m of dag.matchAll(/^ {4}(\w+) = (?:BashOperator|KubernetesPodOperator)\(\n {8}task_id=("(?:[^"\\]|\\.)*"),$/gm)) {
    expect(tasks[m[1]!], `variable ${m[1]} assigned twice`).toBeUndefined();
    tasks[m[1]!] = JSON.parse(m[2]!) as string;
  }
  const edges = [...dag.matchAll(/^ {4}(\w+) >> (\w+)$/gm)].map((m): [string, string] => [tasks[m[1]!]!, tasks[m[2]!]!]);
  return { tasks, edges };
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

  it('wires each dependency to its own task when job names differ only by - and _, or are Python keywords or names the file uses (both forms)', async () => {
    const dir = await makeProject('s');
    const doc = {
      ...PROJECT,
      jobs: {
        extract: { pipeline: 'pipelines/extract.json', schedule: '0 6 * * *' },
        'x-y': { pipeline: 'pipelines/extract.json', depends_on: ['extract'] },
        x_y: { pipeline: 'pipelines/extract.json', depends_on: ['extract'] },
        report: { pipeline: 'pipelines/report.json', depends_on: ['x-y'] },
        os: { pipeline: 'pipelines/report.json', depends_on: ['x_y'] },
        class: { pipeline: 'pipelines/report.json', depends_on: ['os'] },
        any: { pipeline: 'pipelines/report.json', depends_on: ['class'] },
      },
    };
    for (const operator of ['bash', 'kubernetes'] as const) {
      const dag = await airflowDag(projectFrom(dir, doc), { operator, source: 'x' });
      const { tasks, edges } = wiring(dag);
      expect(Object.values(tasks).sort()).toEqual(['any', 'class', 'extract', 'os', 'report', 'x-y', 'x_y']);
      expect(new Set(Object.keys(tasks)).size).toBe(7);
      for (const v of ['os', 'class', 'any']) expect(tasks[v]).toBeUndefined();
      expect(edges).toEqual([
        ['extract', 'x-y'],
        ['extract', 'x_y'],
        ['x-y', 'report'],
        ['x_y', 'os'],
        ['os', 'class'],
        ['class', 'any'],
      ]);
    }
    // The same names give the same variables whatever their order in the file.
    const reordered = { ...doc, jobs: Object.fromEntries(Object.entries(doc.jobs).reverse()) };
    expect(wiring(await airflowDag(projectFrom(dir, reordered), { operator: 'bash', source: 'x' })).tasks).toEqual(wiring(await airflowDag(projectFrom(dir, doc), { operator: 'bash', source: 'x' })).tasks);
  });

  it('refuses jobs that would be one Airflow DAG id, naming them and the id', async () => {
    const dir = await makeProject('s');
    const doc = { ...PROJECT, name: 'dup', jobs: { 'load-a': { pipeline: 'pipelines/extract.json', schedule: '0 6 * * *' }, load_a: { pipeline: 'pipelines/extract.json', schedule: '0 7 * * *' }, Load_A: { pipeline: 'pipelines/extract.json' }, other: { pipeline: 'pipelines/extract.json' } } };
    for (const operator of ['bash', 'kubernetes'] as const)
      await expect(airflowDag(projectFrom(dir, doc), { operator, source: 'x' })).rejects.toThrow(
        `jobs 'load-a', 'load_a', 'Load_A' would all be the Airflow DAG 'caudal_dup_load_a${operator === 'kubernetes' ? '_k8s' : ''}' (a DAG id keeps only lower-case letters, digits and _), and Airflow keeps only one of them`,
      );
  });

  it("keeps the dag id within Airflow's 250 characters and the project tag within 100, cut with a hash of the whole when the project's name is long", async () => {
    const dir = await makeProject('s');
    const long = `we ird "q" día ${'n'.repeat(300)}`;
    const doc = { ...PROJECT, name: long };
    const dag = await airflowDag(projectFrom(dir, doc), { operator: 'kubernetes', source: 'x' });
    const id = /dag_id="([^"]+)"/.exec(dag)![1]!;
    expect(id).toHaveLength(250);
    expect(id).toMatch(/^caudal_we_ird_q_d_a_n+_[0-9a-f]{8}$/);
    const tag = JSON.parse(/tags=\["caudal", ("(?:[^"\\]|\\.)*")\]/.exec(dag)![1]!) as string;
    expect(Array.from(tag)).toHaveLength(100);
    expect(tag).toMatch(/^caudal:we ird "q" día n+~[0-9a-f]{8}$/);
    // deterministic, and a different long name is a different id and tag
    expect(await airflowDag(projectFrom(dir, doc), { operator: 'kubernetes', source: 'x' })).toBe(dag);
    const other = await airflowDag(projectFrom(dir, { ...doc, name: `${long}2` }), { operator: 'kubernetes', source: 'x' });
    expect(/dag_id="([^"]+)"/.exec(other)![1]).not.toBe(id);
    // short names are as they were
    const short = await airflowDag(projectFrom(dir, PROJECT), { operator: 'bash', source: 'x' });
    expect(short).toContain('dag_id="caudal_shop_extract",');
    expect(short).toContain('tags=["caudal", "caudal:shop"],');
  });

  it('writes nicknames and the last weekday as Airflow reads them, and refuses what Airflow reads differently, naming the job, the schedule and what to write', async () => {
    const dir = await makeProject('s');
    const one = (schedule: string) => airflowDag(projectFrom(dir, { ...PROJECT, jobs: { nightly: { pipeline: 'pipelines/extract.json', schedule } } }), { operator: 'bash', source: 'x' });
    expect(await one('@daily')).toContain('    # "@daily" in Caudal, as Airflow\'s cron writes it:\n    schedule=CronTriggerTimetable("0 0 * * *", timezone="Europe/Madrid", run_immediately=False),');
    expect(await one('@annually')).toContain('schedule=CronTriggerTimetable("0 0 1 1 *"');
    expect(await one('0 0 * * 5L')).toContain('    # "0 0 * * 5L" in Caudal, as Airflow\'s cron writes it:\n    schedule=CronTriggerTimetable("0 0 * * L5",');
    await expect(one('0 0 1 * 1#1')).rejects.toMatchObject({
      message: "job 'nightly': the schedule '0 0 1 * 1#1' combines a day of the month with an nth or last weekday: Caudal runs on either day, Airflow's cron only on the weekday",
      hint: "for Airflow, write '0 0 * * 1#1' for the weekday alone, or use two jobs",
    });
    await expect(one('0 0 LW * *')).rejects.toThrow("job 'nightly': the schedule '0 0 LW * *' runs on the last weekday of the month ('LW'), which Airflow's cron does not have");
    await expect(one('0 30 6 * * *')).rejects.toMatchObject({ message: "job 'nightly': the schedule '0 30 6 * * *' has seconds; Airflow schedules have five fields", hint: "for Airflow, write '30 6 * * *'" });
  });

  it('exports a group whose first job is paused as a DAG paused upon creation; refuses a paused job in a DAG that is not', async () => {
    const dir = await makeProject('s');
    const paused = { ...PROJECT, jobs: { ...PROJECT.jobs, extract: { ...PROJECT.jobs.extract, paused: true }, manual: { pipeline: 'pipelines/extract.json' } } };
    const dag = await airflowDag(projectFrom(dir, paused), { operator: 'bash', source: 'x' });
    const [extract, manual] = dag.split('with DAG(').slice(1) as [string, string];
    expect(extract).toContain('    tags=["caudal", "caudal:shop"],\n    # Paused in the project ("paused": true): only a DAG new to Airflow starts paused; unpause it there.\n    is_paused_upon_creation=True,\n) as dag:');
    expect(manual).not.toContain('is_paused_upon_creation');
    expect(await airflowDag(projectFrom(dir, PROJECT), { operator: 'kubernetes', source: 'x' })).not.toContain('is_paused_upon_creation');

    const downstream = { ...PROJECT, jobs: { ...PROJECT.jobs, load: { ...PROJECT.jobs.load, paused: true } } };
    await expect(airflowDag(projectFrom(dir, downstream), { operator: 'bash', source: 'x' })).rejects.toMatchObject({
      message: "job 'load' is paused, but 'extract', which starts its group, is not: Airflow pauses whole DAGs, not single tasks",
      hint: `pause 'extract' too to export the DAG paused, or unpause it ("paused": false in the project file) before exporting`,
    });
  });

  it('keeps state between pods with --state-claim (kubernetes only), and says what is lost without it', async () => {
    const dir = await makeProject('s');
    const project = path.join(dir, 'caudal.project.json');
    const claimed = await airflowDag(projectFrom(dir, PROJECT), { operator: 'kubernetes', source: 'x', stateClaim: 'caudal-state' });
    expect(claimed).toContain('STATE_CLAIM = os.environ.get("CAUDAL_STATE_CLAIM", "caudal-state")');
    expect(claimed).toContain('"--state-dir", _literal(STATE_DIR)');
    expect(claimed).toContain('        volume_mounts=[k8s.V1VolumeMount(name="caudal-state", mount_path=STATE_DIR)],');
    expect(claimed).not.toContain('Without --state-claim');

    const stateless = await caudal(['export', 'airflow', project, '--operator', 'kubernetes']);
    expect(stateless.code).toBe(0);
    expect(stateless.stderr).toContain('! Without --state-claim each pod starts with no state and the state it writes goes with the pod');
    expect(stateless.stdout).toContain('Without --state-claim each pod starts with no state');
    expect(stateless.stdout).not.toContain('volumes=');

    const bash = await caudal(['export', 'airflow', project, '--state-claim', 'caudal-state']);
    expect([bash.code, bash.stderr]).toEqual([2, expect.stringContaining('--state-claim is for --operator kubernetes')]);
    const bad = await caudal(['export', 'airflow', project, '--operator', 'kubernetes', '--state-claim', 'Caudal_State']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--state-claim expects the name of a PersistentVolumeClaim')]);
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

  /** Airflow's own reading of a folder of DAG files: import errors, and each DAG's tasks, tags, pause flag, schedule and next runs from `from`. */
  const inspectDags = async (folder: string, from: string, count: number) => {
    const script = path.join(home, 'inspect_dags.py');
    await writeFile(
      script,
      [
        'import json, sys, pendulum',
        'from airflow.models.dagbag import DagBag',
        'bag = DagBag(sys.argv[1], include_examples=False)',
        'out = {"errors": {k.rsplit("/", 1)[-1]: v for k, v in bag.import_errors.items()}, "dags": {}}',
        'for d in bag.dags.values():',
        '    t, runs = pendulum.parse(sys.argv[2]), []',
        '    if hasattr(d.timetable, "_get_next"):',
        '        for _ in range(int(sys.argv[3])):',
        '            t = d.timetable._get_next(t)',
        '            runs.append(t.in_timezone("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"))',
        '    out["dags"][d.dag_id] = {"tasks": {x.task_id: sorted(x.upstream_task_ids) for x in d.tasks}, "tags": sorted(d.tags), "paused": d.is_paused_upon_creation, "schedule": d.timetable.summary, "runs": runs}',
        'print("RESULT " + json.dumps(out))',
      ].join('\n'),
    );
    const { stdout } = await run(path.join(path.dirname(airflow), 'python'), [script, folder, from, String(count)], { env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout.slice(stdout.indexOf('RESULT ') + 7)) as {
      errors: Record<string, string>;
      dags: Record<string, { tasks: Record<string, string[]>; tags: string[]; paused: boolean | null; schedule: string; runs: string[] }>;
    };
  };

  it('imports DAGs of a hostile project (long quoted non-ASCII name, jobs x-y / x_y / os / class, @daily, 5L, paused) with each task after the right one', async () => {
    const base = await makeProject('s');
    // the project in a folder whose name tries shell and Python injection
    const dir = path.join(base, 'we ird $(touch PWNED) "q" `id` día');
    await mkdir(dir);
    await run('cp', ['-r', path.join(base, 'pipelines'), dir]);
    const doc = {
      format: 'caudal.project/1',
      name: `we ird "q" \`id\` $(touch PWNED) día ${'n'.repeat(260)}`,
      timezone: 'Europe/Madrid',
      jobs: {
        extract: { pipeline: 'pipelines/extract.json', schedule: '@daily' },
        'x-y': { pipeline: 'pipelines/extract.json', depends_on: ['extract'] },
        x_y: { pipeline: 'pipelines/extract.json', depends_on: ['extract'] },
        report: { pipeline: 'pipelines/report.json', depends_on: ['x-y'] },
        os: { pipeline: 'pipelines/report.json', depends_on: ['x_y'] },
        class: { pipeline: 'pipelines/report.json', depends_on: ['os'] },
        lastfri: { pipeline: 'pipelines/extract.json', schedule: '0 6 * * 5L', paused: true },
      },
    };
    const project = projectFrom(dir, doc);
    const folder = path.join(home, 'dags-hostile');
    await mkdir(folder);
    await writeFile(path.join(folder, 'hostile.py'), await airflowDag(project, { operator: 'bash', source: 'x' }));
    await writeFile(path.join(folder, 'hostile_k8s.py'), await airflowDag(project, { operator: 'kubernetes', source: 'x' }));

    const bag = await inspectDags(folder, '2026-01-01T00:00:00Z', 4);
    expect(bag.errors).toEqual({});
    const dags = Object.entries(bag.dags).sort(([a], [b]) => a.localeCompare(b));
    expect(dags).toHaveLength(4);
    const wired = { extract: [], 'x-y': ['extract'], x_y: ['extract'], report: ['x-y'], os: ['x_y'], class: ['os'] };
    const lastFridays = new CronSchedule('0 6 * * 5L', 'Europe/Madrid');
    const expectedFridays: string[] = [];
    for (let t = Date.parse('2026-01-01T00:00:00Z'); expectedFridays.length < 4; ) expectedFridays.push(new Date((t = lastFridays.next(t)!)).toISOString().replace('.000', ''));
    for (const [id, dag] of dags) {
      expect(id.length).toBeLessThanOrEqual(250);
      expect(dag.tags.every((tag) => Array.from(tag).length <= 100)).toBe(true);
      if ('extract' in dag.tasks) {
        expect(dag.tasks).toEqual(wired);
        expect(dag.schedule).toBe('0 0 * * *');
        expect(dag.paused).toBeNull();
        expect(dag.runs).toEqual(['2026-01-01T23:00:00Z', '2026-01-02T23:00:00Z', '2026-01-03T23:00:00Z', '2026-01-04T23:00:00Z']);
      } else {
        expect(dag.tasks).toEqual({ lastfri: [] });
        expect(dag.schedule).toBe('0 6 * * L5');
        expect(dag.paused).toBe(true);
        expect(dag.runs).toEqual(expectedFridays);
      }
    }
    expect(existsSync(path.join(dir, 'PWNED')) || existsSync(path.join(home, 'PWNED')) || existsSync('PWNED')).toBe(false);
  }, 600_000);

  it("runs what the export accepts on the same days as Caudal's scheduler, reads what it refuses differently (or refuses it), and differs on DST only as documented", async () => {
    const accepted = ['0 6 * * *', '*/20 * * * *', '0 0 L * *', '0 0 1,L * *', '0 0 15W * *', '0 0 28W * *', '0 0 1 * 1', '0 0 L * 1-5', '0 0 1-7 * 1', '0 0 ? * MON#2', '0 0 * * 0#5', '0 0 * JAN,JUL 1#1', '0 0 * * 7', '0 12-20/3 * * SAT-SUN', '0 0 29 2 *', '0 0 * * 5L', '0 0 * * FRI#L', '0 0 * * 5-6#L', '0 0 * * 1#1,5L', '0 0 * * 1-3#2', '@daily', '@weekly', '@monthly', '@annually', '@midnight', '@hourly'];
    const refused = ['0 0 1 * 1#1', '0 0 */5 * 5L', '0 0 LW * *', '0 0 30W * *', '0 0 15W * 1', '0 0 1W,15W * *', '0 12 1 * +MON', '0 0 * * 1#1,5'];
    const script = path.join(home, 'next_runs.py');
    await writeFile(
      script,
      [
        'import json, sys, pendulum',
        'from airflow.timetables.trigger import CronTriggerTimetable',
        'out = {}',
        'for expr in json.loads(sys.argv[1]):',
        '    try:',
        '        tt = CronTriggerTimetable(expr, timezone=sys.argv[3])',
        '        tt.validate()',
        '        t, runs = pendulum.parse(sys.argv[4]), []',
        '        for _ in range(int(sys.argv[2])):',
        '            t = tt._get_next(t)',
        '            runs.append(t.in_timezone("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"))',
        '        out[expr] = runs',
        '    except Exception as e:',
        '        out[expr] = "refused: " + type(e).__name__',
        'print("RESULT " + json.dumps(out))',
      ].join('\n'),
    );
    const count = 40;
    const airflowRuns = async (exprs: string[], tz = 'UTC', from = '2026-01-01T00:00:00Z', n = count) => {
      const { stdout } = await run(path.join(path.dirname(airflow), 'python'), [script, JSON.stringify(exprs), String(n), tz, from], { env, timeout: 300_000 });
      return JSON.parse(stdout.slice(stdout.indexOf('RESULT ') + 7)) as Record<string, string[] | string>;
    };
    const caudalRuns = (expr: string, tz = 'UTC', from = '2026-01-01T00:00:00Z', n = count) => {
      const c = new CronSchedule(expr, tz);
      const out: string[] = [];
      for (let t = Date.parse(from); out.length < n; ) out.push(new Date((t = c.next(t)!)).toISOString().replace('.000', ''));
      return out;
    };
    const cronOf = (e: string) => {
      const read = airflowCron(e);
      if (!('cron' in read)) throw new Error(`${e} refused: ${read.problem}`);
      return read.cron;
    };
    const asExported = await airflowRuns(accepted.map(cronOf));
    for (const e of accepted) expect([e, asExported[cronOf(e)]]).toEqual([e, caudalRuns(e)]);
    for (const e of refused) expect('problem' in airflowCron(e), e).toBe(true);
    const asWritten = await airflowRuns(refused);
    for (const e of refused) expect([e, asWritten[e]], `${e}: Airflow reads it as Caudal does`).not.toEqual([e, caudalRuns(e)]);

    // DST (docs/scheduling.md, "Apache Airflow"): with `*` as the hour both run alike through both
    // changes in Europe/Madrid; a fixed time in the change hour does not.
    const madrid = ['30 * * * *', '*/30 * * * *', '0 * * * 0'];
    for (const from of ['2026-03-28T22:00:00Z', '2026-10-24T22:00:00Z']) {
      const inAirflow = await airflowRuns(madrid, 'Europe/Madrid', from, 30);
      for (const e of madrid) expect([e, from, inAirflow[e]]).toEqual([e, from, caudalRuns(e, 'Europe/Madrid', from, 30)]);
    }
    const spring = await airflowRuns(['30 2 * * *'], 'Europe/Madrid', '2026-03-28T22:00:00Z', 1);
    expect(spring['30 2 * * *']).toEqual(['2026-03-29T01:30:00Z']); // 03:30 CEST: one hour after the gap's 02:30
    const autumn = await airflowRuns(['30 2 * * *'], 'Europe/Madrid', '2026-10-24T22:00:00Z', 1);
    expect(autumn['30 2 * * *']).toEqual(['2026-10-25T01:30:00Z']); // 02:30 CET: the second 02:30
    expect(caudalRuns('30 2 * * *', 'Europe/Madrid', '2026-10-24T22:00:00Z', 1)).toEqual(['2026-10-25T00:30:00Z']); // Caudal: the first (CEST)
  }, 600_000);

  it('both forms import without errors; dags test runs the BashOperator DAG to success with the outputs checked', async () => {
    const { q, schema } = await pgSandbox();
    const dir = await makeProject(schema);
    const bash = await caudal(['export', 'airflow', path.join(dir, 'caudal.project.json'), '-o', path.join(home, 'dags', 'caudal_shop.py')]);
    expect(bash.code, bash.stderr).toBe(0);
    const k8s = await caudal(['export', 'airflow', path.join(dir, 'caudal.project.json'), '--operator', 'kubernetes', '--image', 'registry.local/shop-caudal:1', '--state-claim', 'shop-state', '-o', path.join(home, 'dags', 'caudal_shop_k8s.py')]);
    expect(k8s.code, k8s.stderr).toBe(0);
    const dagText = await readFile(path.join(home, 'dags', 'caudal_shop.py'), 'utf8');
    expect(dagText).toContain('"CAUDAL_SECRET_WAREHOUSE_PASSWORD": "{{ conn.get(\\"warehouse\\").password }}"');
    expect(dagText).not.toMatch(/"CAUDAL_SECRET_[A-Z_]+": "(?!\{\{ conn\.get)/);

    // The import check: Airflow's DagBag parses the folder as the DAG processor does. A broken
    // DAG file beside ours shows that the check reports errors.
    await writeFile(path.join(home, 'dags', 'zz_broken.py'), 'from airflow.sdk import DAG\nwith DAG(dag_id="broken", schedule="not a cron") as dag:\n    pass\n');
    const checker = path.join(home, 'import_check.py');
    await writeFile(
      checker,
      [
        'import json, sys',
        'from airflow.models.dagbag import DagBag',
        'bag = DagBag(sys.argv[1], include_examples=False)',
        // The kubernetes task as Airflow built it: the state claim mounted where the run keeps its state.
        'pod = bag.dags["caudal_shop_extract_k8s"].tasks[0] if "caudal_shop_extract_k8s" in bag.dags else None',
        'state = pod and {"claims": [v.persistent_volume_claim.claim_name for v in pod.volumes], "mounts": [m.mount_path for m in pod.volume_mounts], "hostname": pod.hostname, "stateDir": pod.arguments[pod.arguments.index("--state-dir") + 1]}',
        'print("RESULT " + json.dumps({"errors": {k.rsplit("/", 1)[-1]: v for k, v in bag.import_errors.items()}, "dags": sorted(bag.dag_ids), "state": state}))',
      ].join('\n'),
    );
    const checked = await run(path.join(path.dirname(airflow), 'python'), [checker, path.join(home, 'dags')], { env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    const bag = JSON.parse(checked.stdout.slice(checked.stdout.indexOf('RESULT ') + 7)) as { errors: Record<string, string>; dags: string[]; state: unknown };
    expect(Object.keys(bag.errors)).toEqual(['zz_broken.py']);
    expect(bag.dags).toEqual(['caudal_shop_extract', 'caudal_shop_extract_k8s']);
    expect(bag.state).toEqual({ claims: ['shop-state'], mounts: ['/caudal-state'], hostname: 'caudal', stateDir: '/caudal-state' });
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
