import { createHash } from 'node:crypto';
import path from 'node:path';
import { getConnectionType } from '../../connections/registry.js';
import { loadPipelineFile } from '../../model/load.js';
import { secretEnvName } from '../../secrets/env-store.js';
import { CaudalError } from '../../util/errors.js';
import { packageVersion } from '../../util/package-root.js';
import type { Job, Project } from '../project.js';
import { airflowCron } from './cron.js';
import { jinjaLiteral, py, pyDict, pyIdents, pyList } from './python.js';

export type AirflowOperator = 'bash' | 'kubernetes';

/** Where the kubernetes form mounts the state claim (--state-claim) in each pod. */
const K8S_STATE_DIR = '/caudal-state';

/** What the kubernetes form without --state-claim loses, said in the DAG file and by the export. */
export const STATELESS_PODS =
  'Without --state-claim each pod starts with no state and the state it writes goes with the pod: incremental sources read everything again on every run, change capture refuses the second run as another copy, and quality history starts over; export with --state-claim <PersistentVolumeClaim> to keep it'

export interface AirflowExportOptions {
  operator: AirflowOperator;
  /** Where the project's folder is on the Airflow workers / in the image (default: here for bash, /project for kubernetes). */
  projectRoot?: string;
  /** The runner image for the kubernetes form (a project image built FROM the repository's Dockerfile). */
  image?: string;
  /**
   * The kubernetes form: a PersistentVolumeClaim that keeps the runs' state (watermarks, change
   * capture positions, quality history) from one pod to the next; without it each pod starts empty.
   */
  stateClaim?: string;
  /** How the command line that was used is shown in the file's header. */
  source: string;
}

/** `{scheduled_date}` / `{scheduled_time}` as Jinja: the run's logical date (its trigger time with CronTriggerTimetable) in the job's time zone. */
function placeholderJinja(name: string, tz: string): string {
  const when = `(logical_date or dag_run.run_after).in_timezone(${py(tz)})`;
  // Whole seconds, as Caudal's scheduler writes it: a run triggered by hand starts at a time with microseconds.
  return name === 'scheduled_date' ? `{{ ${when}.strftime("%Y-%m-%d") }}` : `{{ ${when}.replace(microsecond=0).isoformat() }}`;
}

/**
 * Text for the file's docstring, on one line: without what would end it (`"`, `\`) or break the
 * file (Python refuses a source with NUL) and without line breaks (the header is read back by
 * isGeneratedDag).
 */
function docText(text: string): string {
  return Array.from(text.replace(/["\\]/g, ''), (c) => (/\p{Cc}|[\u2028\u2029]/u.test(c) ? ' ' : c)).join('');
}

/** A param value for a templated field: literal text protected, placeholders turned into Jinja. */
function paramTemplate(job: Job, name: string, value: string | number | boolean, tz: string): string {
  const text = String(value);
  // A task gets its params as environment variables (bash) or arguments (pod): neither holds NUL.
  if (text.includes('\u0000'))
    throw new CaudalError('validation', `job '${job.name}': param '${name}' holds a NUL character, which no environment variable or command-line argument can carry`, {
      hint: `remove it from jobs.${job.name}.params.${name} in the project file`,
    });
  const parts = text.split(/(\{scheduled_date\}|\{scheduled_time\})/);
  const isPlaceholder = (i: number) => i % 2 === 1;
  return parts
    .map((part, i) => {
      if (isPlaceholder(i)) return placeholderJinja(part.slice(1, -1), tz);
      // A `{` right before a placeholder's `{{` would make `{{{`, which Jinja refuses: such text
      // goes in as a Jinja string ("{{scheduled_date}}" gives "{2026-01-02}", as Caudal's scheduler).
      if (part.endsWith('{') && i + 1 < parts.length) return `{{ ${JSON.stringify(part)} }}`;
      return jinjaLiteral(part);
    })
    .join('');
}

/**
 * The secrets a job's pipeline needs, as `CAUDAL_SECRET_<CONNECTION>_<FIELD>` variables filled from
 * the Airflow connection of the same name at run time (`password` from its password, other fields
 * from its extra). Never a value in the DAG file.
 */
async function secretEnv(job: Job): Promise<Array<[string, string]>> {
  const loaded = await loadPipelineFile(job.pipeline);
  if (!loaded.pipeline) throw new CaudalError('validation', `job '${job.name}': ${job.pipeline} is not a valid pipeline (${loaded.problems[0]?.message})`, { hint: `check it with \`caudal validate ${job.pipeline}\`` });
  const out: Array<[string, string]> = [];
  for (const [name, ref] of Object.entries(loaded.pipeline.connections)) {
    const type = getConnectionType(ref.type);
    for (const field of type?.secrets ?? []) {
      const conn = `conn.get(${py(name)})`;
      // A connection without the field gives None, which the DAG's `_no_none` renders as no secret.
      out.push([secretEnvName(name, field), field === 'password' ? `{{ ${conn}.password }}` : `{{ ${conn}.extra_dejson.get(${py(field)}) }}`]);
    }
  }
  return out;
}

/** Jobs grouped into DAGs: one per set of jobs connected by depends_on (union-find), in project order. */
function groups(project: Project): Job[][] {
  const parent = new Map(project.jobs.map((j) => [j.name, j.name]));
  const find = (n: string): string => (parent.get(n) === n ? n : find(parent.get(n)!));
  for (const j of project.jobs) for (const d of j.dependsOn) parent.set(find(d), find(j.name));
  const out = new Map<string, Job[]>();
  for (const j of project.jobs) out.set(find(j.name), [...(out.get(find(j.name)) ?? []), j]);
  return [...out.values()];
}

/** Airflow's limits: a dag_id has at most 250 characters, a tag at most 100. */
export const DAG_ID_MAX = 250;
export const TAG_MAX = 100;

function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Text cut to `max` characters (Python counts code points) with a hash of the whole, when longer. */
function fitted(text: string, max: number, sep: string): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max - sep.length - 8).join('') + sep + hash8(text);
}

/**
 * The DAG of a group: `caudal_<project>_<first job>[_k8s]`, lower case, letters, digits and _ only,
 * cut to Airflow's 250 characters with a hash of the whole id when the project's name is long.
 */
export function dagIdOf(projectName: string, root: string, suffix = ''): string {
  return fitted(`caudal_${`${projectName}_${root}`.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '')}${suffix}`, DAG_ID_MAX, '_');
}

/** The project's tag, `caudal:<project>`, cut to Airflow's 100 characters with a hash of the whole. */
export function projectTag(projectName: string): string {
  return fitted(`caudal:${projectName}`, TAG_MAX, '~');
}

/** Names the generated file uses itself: never a task's variable. */
const FILE_NAMES = ['json', 'os', 'timedelta', 'pendulum', 'DAG', 'CronTriggerTimetable', 'BashOperator', 'KubernetesPodOperator', 'PROJECT_DIR', 'IMAGE', '_literal', '_no_none', 'dag', 'any'];

interface DagPlan {
  members: Job[];
  dagId: string;
  /** The CronTriggerTimetable expression, null for a DAG run on demand. */
  cron: string | null;
  paused: boolean;
}

/**
 * Each group's DAG: its id, its schedule as Airflow reads it and whether it starts paused, or the
 * reason the project cannot be exported as it is (two groups with one dag_id; a schedule Airflow
 * reads differently or refuses; a paused job in a DAG that is not).
 */
function plan(project: Project, operator: AirflowOperator): DagPlan[] {
  const plans: DagPlan[] = [];
  for (const members of groups(project)) {
    const roots = members.filter((j) => j.dependsOn.length === 0);
    const kinds = new Set(roots.map((j) => `${j.schedule ?? 'none'} ${j.schedule ? j.timezone : ''} ${j.catchup}`));
    if (kinds.size > 1)
      throw new CaudalError('validation', `jobs ${roots.map((j) => `'${j.name}'`).join(', ')} start one group of dependent jobs with different schedules, time zones or catchup: one Airflow DAG has one schedule`, {
        hint: 'give the group one first job with the schedule (the others depend on it), or export the groups as separate projects',
      });
    const first = roots[0]!;
    let cron: string | null = null;
    if (first.schedule) {
      const read = airflowCron(first.schedule);
      if ('problem' in read)
        throw new CaudalError('validation', `job '${first.name}': ${read.problem}`, {
          hint: `for Airflow, ${read.instead ?? 'use a five-field cron expression (minute hour day month weekday) that Airflow reads as Caudal does (see "Apache Airflow" in docs/scheduling.md)'}`,
        });
      cron = read.cron;
    }
    // Airflow pauses whole DAGs: the group's DAG starts paused when its first jobs are; a paused
    // job further down (Caudal skips it, its upstream still runs) has no Airflow equivalent.
    const paused = roots.every((j) => j.paused);
    const odd = paused ? [] : members.filter((j) => j.paused);
    if (odd.length > 0)
      throw new CaudalError('validation', `job${odd.length > 1 ? 's' : ''} ${odd.map((j) => `'${j.name}'`).join(', ')} ${odd.length > 1 ? 'are' : 'is'} paused, but ${roots.map((j) => `'${j.name}'`).join(', ')}, which start${roots.length > 1 ? '' : 's'} ${odd.length > 1 ? 'their' : 'its'} group, ${roots.length > 1 ? 'are' : 'is'} not: Airflow pauses whole DAGs, not single tasks`, {
        hint: `pause ${roots.map((j) => `'${j.name}'`).join(', ')} too to export the DAG paused, or unpause ${odd.length > 1 ? 'them' : 'it'} ("paused": false in the project file) before exporting`,
      });
    plans.push({ members, dagId: dagIdOf(project.name, first.name, operator === 'kubernetes' ? '_k8s' : ''), cron, paused });
  }
  const byId = new Map<string, string[]>();
  for (const p of plans) byId.set(p.dagId, [...(byId.get(p.dagId) ?? []), p.members[0]!.name]);
  for (const [dagId, firsts] of byId)
    if (firsts.length > 1)
      throw new CaudalError('validation', `jobs ${firsts.map((n) => `'${n}'`).join(', ')} would all be the Airflow DAG '${dagId}' (a DAG id keeps only lower-case letters, digits and _), and Airflow keeps only one of them`, {
        hint: 'rename the jobs so that they differ in more than case, - and _',
      });
  return plans;
}

/** True for a DAG file this export wrote (any version): replacing it loses nothing of the user's. */
export function isGeneratedDag(text: string): boolean {
  return (
    text.startsWith('"""Apache Airflow DAGs for the Caudal project ') &&
    /\nGenerated by `caudal export airflow[^`]*` \(caudal [^)]*\): change the project file and export again\.\n/.test(text)
  );
}

/**
 * An Apache Airflow 3 DAG file for a project: one DAG per group of dependent jobs, one task per job
 * running the headless runner (`caudal run … --json`), with the schedule (CronTriggerTimetable in
 * the job's time zone), catchup, retries with backoff, the timeout and no overlapping runs mapped
 * to Airflow's settings.
 */
export async function airflowDag(project: Project, opts: AirflowExportOptions): Promise<string> {
  const root = opts.projectRoot ?? (opts.operator === 'kubernetes' ? '/project' : project.dir);
  const lines: string[] = [];
  const w = (s = '') => lines.push(s);
  w(`"""Apache Airflow DAGs for the Caudal project '${docText(project.name)}'.`);
  w();
  w(`Generated by \`${docText(opts.source).replaceAll('`', '')}\` (caudal ${packageVersion()}): change the project file and export again.`);
  w(opts.operator === 'bash' ? 'Each task runs the headless runner on the worker (BashOperator): `caudal` must be on its PATH, or set CAUDAL_BIN.' : 'Each task runs the headless runner in a pod (KubernetesPodOperator) from an image built FROM the Caudal Dockerfile with the project copied in.');
  w('Secrets come from Airflow connections at run time (CAUDAL_SECRET_* variables); this file holds none.');
  w('Not mapped: alert channels and expected_duration_s (use Airflow notifiers / deadline alerts).');
  if (opts.operator === 'kubernetes' && opts.stateClaim === undefined) w(`${STATELESS_PODS}.`);
  w('"""');
  w('import json');
  w('import os');
  w('from datetime import timedelta');
  w();
  w('import pendulum');
  w('from airflow.sdk import DAG');
  w('from airflow.timetables.trigger import CronTriggerTimetable');
  if (opts.operator === 'bash') w('from airflow.providers.standard.operators.bash import BashOperator');
  else w('from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator');
  if (opts.stateClaim !== undefined) w('from kubernetes.client import models as k8s');
  w();
  w(`# The project's folder on the ${opts.operator === 'bash' ? 'workers' : 'image'} (override with the CAUDAL_PROJECT_DIR environment variable).`);
  w(`PROJECT_DIR = os.environ.get("CAUDAL_PROJECT_DIR", ${py(root)})`);
  if (opts.operator === 'kubernetes') w(`IMAGE = os.environ.get("CAUDAL_IMAGE", ${py(opts.image ?? 'caudal-project:latest')})`);
  if (opts.stateClaim !== undefined) {
    w('# The PersistentVolumeClaim that keeps state between runs (watermarks, change capture positions,');
    w('# quality history), mounted in every pod at STATE_DIR (override with CAUDAL_STATE_CLAIM).');
    w(`STATE_CLAIM = os.environ.get("CAUDAL_STATE_CLAIM", ${py(opts.stateClaim)})`);
    w(`STATE_DIR = ${py(K8S_STATE_DIR)}`);
  }
  w();
  w();
  // The same rules as jinjaLiteral (python.ts), for paths only known on the worker.
  w('def _literal(text):');
  w('    """Text that reaches a templated field as written: paths are not Jinja templates, nor template files (.sh)."""');
  w('    if not (any(m in text for m in ("{{", "{%", "{#", "\\r")) or text.endswith(("\\n", ".sh", ".bash"))):');
  w('        return text');
  w('    if "endraw" in text or "\\r" in text:');
  w('        return "{{ " + json.dumps(text, ensure_ascii=False) + " }}"');
  w('    return "{% raw %}" + text + "{% endraw %}"');
  w();
  w();
  w('def _no_none(value):');
  w('    """What a template expression gives, as rendered: None (a connection without a password) is no');
  w('    secret, an empty variable, never the text None."""');
  w('    return "" if value is None else value');
  const dags = plan(project, opts.operator);
  const vars = pyIdents(project.jobs.map((j) => j.name), FILE_NAMES);
  for (const { members, dagId, cron, paused } of dags) {
    const first = members.find((j) => j.dependsOn.length === 0)!;
    const tz = first.timezone;
    w();
    w();
    w('with DAG(');
    w(`    dag_id=${py(dagId)},`);
    w(`    description=${py(`Caudal project ${project.name}: ${members.map((j) => j.name).join(', ')}`)},`);
    if (cron !== null) {
      if (cron !== first.schedule) w(`    # ${JSON.stringify(first.schedule)} in Caudal, as Airflow's cron writes it:`);
      w(`    schedule=CronTriggerTimetable(${py(cron)}, timezone=${py(tz)}, run_immediately=${py(first.catchup === 'run_once')}),`);
    } else w('    schedule=None,');
    w(`    start_date=pendulum.datetime(2024, 1, 1, tz=${py(tz)}),`);
    w('    # Missed runs: catchup "skip" waits for the next slot, "run_once" runs the latest one (run_immediately).');
    w('    catchup=False,');
    w('    # No overlapping runs (on_overlap): a run waits for the previous one.');
    w('    max_active_runs=1,');
    w('    jinja_environment_kwargs={"finalize": _no_none},');
    w(`    tags=${pyList([py('caudal'), py(projectTag(project.name))])},`);
    if (paused) {
      w('    # Paused in the project ("paused": true): only a DAG new to Airflow starts paused; unpause it there.');
      w('    is_paused_upon_creation=True,');
    }
    w(') as dag:');
    for (const job of members) {
      const v = vars.get(job.name)!;
      const params = Object.entries(job.params).map(([k, val]) => `${k}=${paramTemplate(job, k, val, job.timezone)}`);
      const rel = path.relative(project.dir, job.pipeline).split(path.sep).join('/');
      const trigger = job.dependsOn.length > 0 ? 'dependency' : cron !== null ? 'schedule' : 'manual';
      const secrets = await secretEnv(job);
      const retry: string[] = [];
      if (job.retries.count > 0) {
        // Caudal caps every wait at max_delay_s, the first one too (scheduler/retry.ts).
        retry.push(`        retries=${job.retries.count},`, `        retry_delay=timedelta(seconds=${py(Math.min(job.retries.delay_s, job.retries.max_delay_s))}),`);
        if (job.retries.backoff > 1) retry.push(`        retry_exponential_backoff=True,  # caudal: x${job.retries.backoff} per retry; Airflow's own exponential formula`, `        max_retry_delay=timedelta(seconds=${py(job.retries.max_delay_s)}),`);
      } else retry.push('        retries=0,');
      if (job.timeoutS !== null) retry.push(`        execution_timeout=timedelta(seconds=${py(job.timeoutS)}),`);
      w(`    ${v} = ${opts.operator === 'bash' ? 'BashOperator' : 'KubernetesPodOperator'}(`);
      w(`        task_id=${py(job.name)},`);
      if (job.description) w(`        doc_md=${py(job.description)},`);
      if (opts.operator === 'bash') {
        const paramArgs = params.map((_, i) => ` --param "$CAUDAL_PARAM_${i + 1}"`).join('');
        const engine = `${job.threads !== undefined ? ` --threads ${job.threads}` : ''}${job.memoryLimit !== undefined ? ' --memory-limit "$CAUDAL_MEMORY_LIMIT"' : ''}`;
        w(`        bash_command=${py(`\${CAUDAL_BIN:-caudal} run "$CAUDAL_PIPELINE" --json --job "$CAUDAL_JOB" --trigger ${trigger} --attempt "$CAUDAL_ATTEMPT" --slot "$CAUDAL_SLOT"${paramArgs}${engine}`)},`);
        const env: Array<[string, string]> = [
          ['CAUDAL_PIPELINE', `_literal(PROJECT_DIR + ${py('/' + rel)})`],
          ['CAUDAL_JOB', py(job.name)],
          ['CAUDAL_ATTEMPT', py('{{ ti.try_number }}')],
          ['CAUDAL_SLOT', py('{{ (logical_date or dag_run.run_after).isoformat() }}')],
          ...params.map((p, i): [string, string] => [`CAUDAL_PARAM_${i + 1}`, py(p)]),
          ...(job.memoryLimit !== undefined ? [['CAUDAL_MEMORY_LIMIT', py(jinjaLiteral(job.memoryLimit))] as [string, string]] : []),
          ...secrets.map(([k, val]): [string, string] => [k, py(val)]),
        ];
        w(`        env=${pyDict(env, '        ')},`);
        w('        # PATH, HOME and CAUDAL_BIN of the worker stay visible to the runner.');
        w('        append_env=True,');
        w(`        cwd=_literal(os.path.dirname(PROJECT_DIR + ${py('/' + rel)})),`);
      } else {
        const args = [
          py('run'),
          `_literal(PROJECT_DIR + ${py('/' + rel)})`,
          py('--json'),
          py('--job'),
          py(job.name),
          py('--trigger'),
          py(trigger),
          py('--attempt'),
          py('{{ ti.try_number }}'),
          py('--slot'),
          py('{{ (logical_date or dag_run.run_after).isoformat() }}'),
          ...params.flatMap((p) => [py('--param'), py(p)]),
          ...(job.threads !== undefined ? [py('--threads'), py(String(job.threads))] : []),
          ...(job.memoryLimit !== undefined ? [py('--memory-limit'), py(jinjaLiteral(job.memoryLimit))] : []),
          ...(opts.stateClaim !== undefined ? [py('--state-dir'), '_literal(STATE_DIR)'] : []),
        ];
        w(`        name=${py(`caudal-${job.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`)},`);
        w('        image=_literal(IMAGE),');
        w(`        cmds=${pyList([py('caudal')])},`);
        w(`        arguments=${pyList(args)},`);
        w(`        env_vars=${pyDict(secrets.map(([k, val]) => [k, py(val)]), '        ')},`);
        if (opts.stateClaim !== undefined) {
          w('        volumes=[k8s.V1Volume(name="caudal-state", persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(claim_name=STATE_CLAIM))],');
          w('        volume_mounts=[k8s.V1VolumeMount(name="caudal-state", mount_path=STATE_DIR)],');
          w('        # One host name for every pod: before its first commit, change capture tells copies of a');
          w('        # pipeline apart by host and state folder, and a retry runs in another pod.');
          w('        hostname="caudal",');
        }
        w('        get_logs=True,');
        w('        on_finish_action="delete_pod",');
      }
      lines.push(...retry);
      w('        max_active_tis_per_dag=1,');
      w('    )');
    }
    for (const job of members) for (const dep of job.dependsOn) w(`    ${vars.get(dep)!} >> ${vars.get(job.name)!}`);
  }
  return lines.join('\n') + '\n';
}
