import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { airflowDag, type AirflowOperator } from '../core/src/scheduler/airflow/export.js';
import { parseProject } from '../core/src/scheduler/load-project.js';
import { retryDelayMs } from '../core/src/scheduler/retry.js';
import { tempDir } from './support/pipeline.js';
import { serviceUnavailable, SERVICES } from './support/services.js';

const run = promisify(execFile);

/**
 * Hostile param values, folders and connections through `caudal export airflow`, checked by the
 * real Airflow 3.1 of the test services: every templated field of every task is rendered by
 * Airflow's own Jinja (as a worker does before running it), and what the runner would receive must
 * be exactly what the project file says.
 */
const SLOT = '2026-01-02T06:00:00+00:00';

const HOSTILE: Record<string, string> = {
  // BashOperator reads a templated string ending in .sh / .bash as the path of a template file
  script: 'deploy.sh',
  shell: 'run.bash',
  // Jinja drops one trailing newline and turns \r\n and \r into \n
  trailing: 'line\n',
  crlf: 'a\r\nb\rc',
  // `endraw` inside a value that needs protecting
  endraw: '{{ endraw }} {% endraw %}',
  braces: 'x {{ y }} {# z #} {% if %}\n',
  quotes: `"""'''\\ 50% {0} é 😀`,
  placeholder: '{scheduled_date}.sh',
};

function pipelineDoc(params: string[]) {
  return {
    format: 'caudal.pipeline/1',
    name: 'p',
    params: Object.fromEntries(params.map((p) => [p, { type: 'string', default: 'x' }])),
    connections: { warehouse: { type: 'postgres' } },
    nodes: [{ id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS a' } }],
    edges: [],
  };
}

/** A project in `folder` (created under a temp dir) with one job `j` running `pipeline` with `params`. */
async function project(folder: string, pipelineFile: string, params: Record<string, string>, name = 'hostile', settings: Record<string, unknown> = {}) {
  const dir = path.join(await tempDir('caudal-hostile-airflow-'), folder);
  await mkdir(path.dirname(path.join(dir, pipelineFile)), { recursive: true });
  await writeFile(path.join(dir, pipelineFile), JSON.stringify(pipelineDoc(Object.keys(params))));
  const doc = { format: 'caudal.project/1', name, timezone: 'UTC', jobs: { j: { pipeline: pipelineFile, params, ...settings } } };
  return parseProject(JSON.stringify(doc), path.join(dir, 'caudal.project.json'));
}

const RENDER = `
import json, sys, pendulum
from airflow.models.connection import Connection
from airflow.models.dagbag import DagBag

class Ti:
    try_number = 1

class DagRun:
    run_after = pendulum.parse(sys.argv[2])

class Conns:
    """Airflow's connection accessor over real Connection objects (given as URIs)."""
    def __init__(self, uris):
        self.uris = uris
    def get(self, conn_id, default_conn=None):
        return Connection(conn_id=conn_id, uri=self.uris[conn_id]) if conn_id in self.uris else default_conn

bag = DagBag(sys.argv[1], include_examples=False)
out = {"errors": {k.rsplit("/", 1)[-1]: v for k, v in bag.import_errors.items()}, "tasks": {}}
for d in bag.dags.values():
    for t in d.tasks:
        retry = {"retries": t.retries, "delays": [t.retry_delay.total_seconds(), t.max_retry_delay.total_seconds() if t.max_retry_delay else None]}
        ctx = {"ti": Ti(), "logical_date": DagRun.run_after, "dag_run": DagRun(), "conn": Conns(json.loads(sys.argv[3])), "dag": d, "task": t}
        try:
            t.render_template_fields(ctx)
            if hasattr(t, "bash_command"):
                out["tasks"][t.task_id] = {"env": t.env, "cwd": t.cwd, **retry}
            else:
                out["tasks"][t.task_id] = {"arguments": t.arguments, "env": {e.name: e.value for e in t.env_vars}, **retry}
        except Exception as e:
            out["tasks"][t.task_id] = {"error": type(e).__name__ + ": " + str(e)}
print("RESULT " + json.dumps(out))
`;

interface Rendered {
  errors: Record<string, string>;
  tasks: Record<string, { env?: Record<string, string>; cwd?: string; arguments?: string[]; error?: string; retries?: number; delays?: [number, number | null] }>;
}

describe('caudal export airflow: hostile values through Airflow 3.1 templates', () => {
  const airflow = SERVICES.airflowBin;
  let home: string;
  let script: string;

  beforeAll(async () => {
    if (!existsSync(airflow)) throw serviceUnavailable('airflow', airflow, new Error('no such file'));
    home = await tempDir('caudal-hostile-airflow-home-');
    script = path.join(home, 'render.py');
    await writeFile(script, RENDER);
  });

  let folders = 0;
  /** The DAG file written to its own dags folder and every task rendered by Airflow for the slot. */
  const rendered = async (dag: string, conns: Record<string, string> = { warehouse: 'postgresql://caudal:s3cret@db:5432/shop' }, extraEnv: Record<string, string> = {}, slot = SLOT): Promise<Rendered> => {
    const folder = path.join(home, `dags${++folders}`);
    await mkdir(folder);
    await writeFile(path.join(folder, 'dag.py'), dag);
    const env = { ...process.env, AIRFLOW_HOME: home, AIRFLOW__CORE__LOAD_EXAMPLES: 'False', AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(home, 'airflow.db')}`, ...extraEnv };
    const { stdout } = await run(path.join(path.dirname(airflow), 'python'), [script, folder, slot, JSON.stringify(conns)], { env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout.slice(stdout.indexOf('RESULT ') + 7)) as Rendered;
  };

  /** The `--param` values a task passes to the runner, rendered. */
  const paramsOf = (task: Rendered['tasks'][string], operator: AirflowOperator): string[] => {
    expect(task.error).toBeUndefined();
    if (operator === 'bash')
      return Object.entries(task.env!)
        .filter(([k]) => k.startsWith('CAUDAL_PARAM_'))
        .map(([, v]) => v);
    return task.arguments!.flatMap((a, i) => (task.arguments![i - 1] === '--param' ? [a] : []));
  };

  it.each(['bash', 'kubernetes'] as const)('passes param values ending in .sh, in a newline, with \\r, endraw, braces and quotes as written (%s)', async (operator) => {
    const dag = await airflowDag(await project('proj', 'pipelines/p.json', HOSTILE), { operator, source: 'x' });
    const got = await rendered(dag);
    expect(got.errors).toEqual({});
    const expected = Object.entries(HOSTILE).map(([k, v]) => `${k}=${v.replace('{scheduled_date}', SLOT.slice(0, 10))}`);
    expect(paramsOf(got.tasks.j!, operator)).toEqual(expected);
  }, 300_000);

  it('passes {scheduled_time} in whole seconds, as Caudal\'s scheduler does, for a run triggered by hand (its time has microseconds)', async () => {
    const dag = await airflowDag(await project('proj', 'pipelines/p.json', { at: '{scheduled_time}', day: '{scheduled_date}' }), { operator: 'bash', source: 'x' });
    const got = await rendered(dag, undefined, {}, '2026-01-02T06:00:00.657644+00:00');
    expect(paramsOf(got.tasks.j!, 'bash')).toEqual(['at=2026-01-02T06:00:00+00:00', 'day=2026-01-02']);
  }, 300_000);

  it('runs a job whose folder name ends in .sh (the worker cwd is a templated field)', async () => {
    const dag = await airflowDag(await project('etl.sh', 'p.json', {}), { operator: 'bash', source: 'x' });
    const got = await rendered(dag);
    expect(got.errors).toEqual({});
    expect(got.tasks.j!.error).toBeUndefined();
    expect(got.tasks.j!.cwd).toMatch(/[/]etl\.sh$/);
    // the folder as the workers see it (CAUDAL_PROJECT_DIR), with what {% raw %} cannot hold
    const odd = '/srv/{% endraw %} {{ x }} 😀\r';
    const moved = await rendered(dag, undefined, { CAUDAL_PROJECT_DIR: odd });
    expect(moved.tasks.j!.error).toBeUndefined();
    expect(moved.tasks.j!.cwd).toBe(odd);
    expect(moved.tasks.j!.env!.CAUDAL_PIPELINE).toBe(`${odd}/p.json`);
  }, 300_000);

  // A project name holds no control characters (it is printed in log lines): newlines and NUL are
  // refused when the project is read (test/scheduler-project-checks.test.ts); the source may hold them.
  it.each(['bash', 'kubernetes'] as const)('writes a DAG file Airflow imports for a project named with quotes, backslashes and unicode, from a source named with newlines and NUL (%s)', async (operator) => {
    const name = `we """ird\\ {{ x }} 'q' \`x\` día 😀`;
    const dag = await airflowDag(await project('proj', 'pipelines/p.json', {}, name), { operator, source: 'caudal export airflow we`ird\n\u0000.json' });
    const got = await rendered(dag);
    expect(got.errors).toEqual({});
    expect(Object.keys(got.tasks)).toEqual(['j']);
  }, 300_000);

  it('waits before the first retry what Caudal waits: the delay capped by max_delay_s', async () => {
    const retries = { count: 3, delay_s: 60, backoff: 1, max_delay_s: 10 };
    const dag = await airflowDag(await project('proj', 'pipelines/p.json', {}, 'hostile', { retries }), { operator: 'bash', source: 'x' });
    const task = (await rendered(dag)).tasks.j!;
    expect(task.retries).toBe(3);
    expect(task.delays![0]).toBe(retryDelayMs(retries, 1) / 1000);
  }, 300_000);

  it('refuses a param value holding NUL, which no environment variable or argument carries, naming the job and param', async () => {
    const p = await project('proj', 'pipelines/p.json', { ok: 'x', bad: 'a\u0000b' });
    for (const operator of ['bash', 'kubernetes'] as const)
      await expect(airflowDag(p, { operator, source: 'x' })).rejects.toMatchObject({ kind: 'validation', message: expect.stringContaining("job 'j': param 'bad' holds a NUL character") });
  });

  it.each(['bash', 'kubernetes'] as const)('gives an empty secret, never the text "None", for an Airflow connection without a password (%s)', async (operator) => {
    const dag = await airflowDag(await project('proj', 'pipelines/p.json', {}), { operator, source: 'x' });
    const withPassword = await rendered(dag);
    expect(withPassword.tasks.j!.env!.CAUDAL_SECRET_WAREHOUSE_PASSWORD).toBe('s3cret');
    const without = await rendered(dag, { warehouse: 'postgresql://caudal@db:5432/shop' });
    expect(without.tasks.j!.error).toBeUndefined();
    expect(without.tasks.j!.env!.CAUDAL_SECRET_WAREHOUSE_PASSWORD).toBe('');
  }, 300_000);
});
