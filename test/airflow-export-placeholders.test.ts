import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { airflowDag } from '../core/src/scheduler/airflow/export.js';
import { parseProject } from '../core/src/scheduler/load-project.js';
import { expandParams } from '../core/src/scheduler/params.js';
import { tempDir } from './support/pipeline.js';
import { serviceUnavailable, SERVICES } from './support/services.js';

const run = promisify(execFile);

/**
 * What an exported DAG's task passes for `{scheduled_date}` / `{scheduled_time}` placeholders with
 * braces, Jinja delimiters and template-file endings around them must be what Caudal's own
 * scheduler passes for the same slot: rendered here by the real Airflow 3.1 of the test services,
 * as a worker renders a task before running it. And the DAG's time zone must be one Airflow knows
 * however the project file spells it.
 */
const SLOT = '2026-12-06T23:30:00+00:00';

const BRACED: Record<string, string> = {
  double: '{{scheduled_date}}',
  triple: '{{{scheduled_date}}}',
  spaced: '{ {scheduled_date} }',
  time: '{{scheduled_time}}',
  both: '{{scheduled_date}}{{scheduled_time}}',
  open: 'x{{scheduled_date}',
  close: '{scheduled_date}}}y',
  percent: '{%{scheduled_date}%}',
  hash: '{#{scheduled_date}#}',
  script: '{{scheduled_date}}.sh',
  newline: '{{scheduled_date}}\n',
  raw: '{% raw %}{{scheduled_date}}{% endraw %}',
};

const RENDER = `
import json, sys, pendulum
from airflow.models.dagbag import DagBag

class Ti:
    try_number = 1

class DagRun:
    run_after = pendulum.parse(sys.argv[2])

bag = DagBag(sys.argv[1], include_examples=False)
out = {"errors": {k.rsplit("/", 1)[-1]: v for k, v in bag.import_errors.items()}, "tasks": {}, "timezones": {}}
for d in bag.dags.values():
    out["timezones"][d.dag_id] = d.timezone.name
    for t in d.tasks:
        ctx = {"ti": Ti(), "logical_date": DagRun.run_after, "dag_run": DagRun(), "conn": None, "dag": d, "task": t}
        try:
            t.render_template_fields(ctx)
            out["tasks"][t.task_id] = {"env": t.env}
        except Exception as e:
            out["tasks"][t.task_id] = {"error": type(e).__name__ + ": " + str(e)}
print("RESULT " + json.dumps(out))
`;

interface Rendered {
  errors: Record<string, string>;
  tasks: Record<string, { env?: Record<string, string>; error?: string }>;
  timezones: Record<string, string>;
}

async function project(params: Record<string, string>, timezone: string) {
  const dir = await tempDir('caudal-airflow-placeholders-');
  await mkdir(path.join(dir, 'p'), { recursive: true });
  const pipeline = { format: 'caudal.pipeline/1', name: 'p', params: Object.fromEntries(Object.keys(params).map((k) => [k, { type: 'string', default: 'x' }])) };
  await writeFile(path.join(dir, 'p', 'p.json'), JSON.stringify(pipeline));
  const doc = { format: 'caudal.project/1', name: 'ph', timezone, jobs: { j: { pipeline: 'p/p.json', schedule: '30 0 * * *', params } } };
  return parseProject(JSON.stringify(doc), path.join(dir, 'caudal.project.json'));
}

describe('caudal export airflow: placeholders among braces, rendered by Airflow 3.1', () => {
  const airflow = SERVICES.airflowBin;
  let home: string;
  let script: string;
  beforeAll(async () => {
    if (!existsSync(airflow)) throw serviceUnavailable('airflow', airflow, new Error('no such file'));
    home = await tempDir('caudal-airflow-placeholders-home-');
    script = path.join(home, 'render.py');
    await writeFile(script, RENDER);
  });

  let folders = 0;
  const rendered = async (dag: string): Promise<Rendered> => {
    const folder = path.join(home, `dags${++folders}`);
    await mkdir(folder);
    await writeFile(path.join(folder, 'dag.py'), dag);
    const env = { ...process.env, AIRFLOW_HOME: home, AIRFLOW__CORE__LOAD_EXAMPLES: 'False', AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(home, 'airflow.db')}` };
    const { stdout } = await run(path.join(path.dirname(airflow), 'python'), [script, folder, SLOT], { env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout.slice(stdout.indexOf('RESULT ') + 7)) as Rendered;
  };

  it('passes each param as the local scheduler expands it for the same slot', async () => {
    const p = await project(BRACED, 'Europe/Madrid');
    const got = await rendered(await airflowDag(p, { operator: 'bash', source: 'x' }));
    expect(got.errors).toEqual({});
    expect(got.tasks.j!.error).toBeUndefined();
    const passed = Object.entries(got.tasks.j!.env!)
      .filter(([k]) => k.startsWith('CAUDAL_PARAM_'))
      .map(([, v]) => v);
    const local = expandParams(BRACED, Date.parse(SLOT), 'Europe/Madrid');
    expect(local.double).toBe('{2026-12-07}'); // the slot's local date in Madrid
    expect(passed).toEqual(Object.entries(local).map(([k, v]) => `${k}=${v}`));
  }, 300_000);

  it('writes the time zone as the tz database spells it, whatever its case in the project file', async () => {
    const p = await project({ day: '{scheduled_date}' }, 'europe/madrid');
    expect(p.timezone).toBe('Europe/Madrid');
    expect(p.jobs[0]!.timezone).toBe('Europe/Madrid');
    const dag = await airflowDag(p, { operator: 'bash', source: 'x' });
    expect(dag).not.toContain('europe/madrid');
    const got = await rendered(dag);
    expect(got.errors).toEqual({});
    expect(got.timezones).toEqual({ caudal_ph_j: 'Europe/Madrid' });
    expect(got.tasks.j!.env!.CAUDAL_PARAM_1).toBe('day=2026-12-07');
  }, 300_000);
});
