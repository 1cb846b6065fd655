import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonSyntaxWhere } from '../model/json-syntax.js';
import { duplicateKeyProblems, jsonPath, parsePipelineText, REPORT_MISSING, zodProblems } from '../model/load.js';
import { CaudalError, type Problem } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { canonicalTimeZone, CronSchedule, cronProblem, isTimeZone } from './cron.js';
import { envNamePart, type PipelineParam } from '../model/schema.js';
import { jobParamProblems } from './job-params.js';
import { secretOwner, secretVariable } from './alerts/secrets.js';
import { type AlertChannel, type Job, PROJECT_FILE, PROJECT_FORMAT, type Project, type ProjectDocument, projectSchema } from './project.js';

/** Reads and checks a project file; every problem carries the JSON path to fix. */
export async function loadProject(file: string): Promise<Project> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CaudalError('usage', `cannot read project ${abs}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      hint: `a project file (${PROJECT_FILE}) lists the jobs to schedule; see docs/scheduling.md`,
    });
  }
  const project = parseProject(text, abs);
  const problems = await pipelineProblems(project);
  if (problems.length > 0) fail(abs, problems);
  return project;
}

/**
 * What only the pipeline files can tell: that each job's file is a pipeline, and that the job's
 * params are ones its pipeline declares, of the types it declares (a run would fail on either).
 */
async function pipelineProblems(project: Project): Promise<Problem[]> {
  const problems: Problem[] = [];
  const loaded = new Map<string, Promise<{ declared: string[]; params: Record<string, PipelineParam>; connections: string[] } | { problem: string }>>();
  const load = (file: string) =>
    readFile(file, 'utf8').then(
      (text) => {
        const r = parsePipelineText(text, file);
        if (r.pipeline) return { declared: Object.keys(r.pipeline.params ?? {}), params: r.pipeline.params ?? {}, connections: Object.keys(r.pipeline.connections ?? {}) };
        const first = r.problems[0];
        return { problem: !first ? `${file} is not a pipeline` : first.message.includes(file) ? first.message : `${file} is not a valid pipeline (${first.path}: ${first.message})` };
      },
      (e: unknown) => ({ problem: `cannot read pipeline ${file}: ${(e as Error).message}` }),
    );
  for (const job of project.jobs) {
    if (!loaded.has(job.pipeline)) loaded.set(job.pipeline, load(job.pipeline));
    const r = await loaded.get(job.pipeline)!;
    if ('problem' in r) {
      problems.push({ code: 'invalid_document', path: jsonPath(['jobs', job.name, 'pipeline']), message: r.problem, hint: 'point "pipeline" at a Caudal pipeline file (relative to the project file)' });
      continue;
    }
    for (const name of Object.keys(job.params))
      if (!r.declared.includes(name))
        problems.push({
          code: 'unknown_param',
          path: jsonPath(['jobs', job.name, 'params', name]),
          message: `job '${job.name}': param '${name}' is not declared by the pipeline ${path.basename(job.pipeline)}${didYouMean(name, r.declared)}`,
          hint: r.declared.length > 0 ? `declared params: ${r.declared.join(', ')}` : 'the pipeline declares no params',
        });
    problems.push(...jobParamProblems(job, r.params));
  }
  problems.push(...(await connectionChannelClashes(project, loaded)));
  return problems;
}

/**
 * A connection of a job's pipeline named as a channel's secrets are kept (`alert-ops`, for the
 * channel `ops`): both read CAUDAL_SECRET_ALERT_OPS_* and the keychain's `alert-ops`, so the
 * channel's token would be the connection's, or the other way round.
 */
async function connectionChannelClashes(project: Project, loaded: Map<string, Promise<{ connections: string[] } | { problem: string }>>): Promise<Problem[]> {
  const channels = new Map(Object.keys(project.alerts).map((c) => [envNamePart(secretOwner(c)), c]));
  const problems: Problem[] = [];
  const reported = new Set<string>();
  for (const job of project.jobs) {
    const r = await loaded.get(job.pipeline);
    if (!r || 'problem' in r) continue;
    for (const connection of r.connections) {
      const channel = channels.get(envNamePart(connection));
      if (channel === undefined || reported.has(`${connection}\u0000${channel}`)) continue;
      reported.add(`${connection}\u0000${channel}`);
      problems.push({
        code: 'invalid_document',
        path: jsonPath(['alerts', channel]),
        message: `alert channel '${channel}' and the connection '${connection}' of ${path.basename(job.pipeline)} (job '${job.name}') read their secrets from the same variables (${channelVariables(channel)}) and keychain entries: one would use the other's secrets`,
        hint: `rename the channel or the connection`,
      });
    }
  }
  return problems;
}

export function parseProject(text: string, file: string): Project {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Never JSON.parse's message: it quotes the text around the error, and the studio may be asked
    // to open any file as a project.
    throw new CaudalError('validation', `${file} is not valid JSON${jsonSyntaxWhere(text)}`, { hint: 'check for a missing comma or quote near that spot' });
  }
  // Another JSON file (a pipeline, a config with secrets): say so, without listing its keys.
  const format = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as { format?: unknown }).format : undefined;
  if (typeof format !== 'string' || !format.startsWith('caudal.project/'))
    throw new CaudalError('validation', `${file} is not a Caudal project file: it has no "format": "${PROJECT_FORMAT}"`, {
      hint: format === 'caudal.pipeline/1' ? 'this is a pipeline; schedule it from a project file whose jobs name it' : 'open the project file (caudal.project.json), or create one as docs/scheduling.md shows',
    });
  const repeated = duplicateKeyProblems(text, file);
  if (repeated.length > 0) fail(file, repeated);
  const parsed = projectSchema.safeParse(raw, REPORT_MISSING);
  if (!parsed.success) fail(file, zodProblems(parsed.error));
  const doc = parsed.data;
  const dir = path.dirname(file);
  const problems = checkProject(doc, dir);
  if (problems.length > 0) fail(file, problems);
  return resolveProject(doc, file);
}

/** Names from the file are printed escaped: a line break in a job name must not forge a line of the report. */
const escaped = (text: string) => text.replace(/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function fail(file: string, problems: Problem[]): never {
  const lines = problems.map((p) => `  ${escaped(p.path)}: ${escaped(p.message)}${p.hint ? ` (${escaped(p.hint)})` : ''}`).join('\n');
  throw new CaudalError('validation', `${file} is not a valid project:\n${lines}`, { problems });
}

/** What the schema cannot see: cron syntax, time zones, pipelines on disk, dependencies, channels. */
function checkProject(doc: ProjectDocument, dir: string): Problem[] {
  const problems: Problem[] = [];
  const problem = (at: PropertyKey[], message: string, hint?: string) => problems.push({ code: 'invalid_document', path: jsonPath(at), message, hint });
  const names = Object.keys(doc.jobs);
  const channels = Object.keys(doc.alerts);
  if (!isTimeZone(doc.timezone)) problem(['timezone'], `unknown time zone '${doc.timezone}'`, 'use an IANA name such as Europe/Madrid or UTC');
  if (doc.defaults.timezone !== undefined && !isTimeZone(doc.defaults.timezone)) problem(['defaults', 'timezone'], `unknown time zone '${doc.defaults.timezone}'`, 'use an IANA name such as Europe/Madrid or UTC');
  for (const [name, job] of Object.entries(doc.jobs)) {
    const at = (...rest: PropertyKey[]) => ['jobs', name, ...rest];
    if (job.schedule !== undefined) {
      const bad = cronProblem(job.schedule);
      if (bad) problem(at('schedule'), `invalid cron expression '${job.schedule}': ${bad}`, 'five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * *" (06:00 every day)');
      else if (new CronSchedule(job.schedule, 'UTC').next(Date.now()) === null)
        problem(at('schedule'), `the schedule '${job.schedule}' never fires (no date matches it)`, 'check the day of month against the month, e.g. there is no 30 February');
    }
    if (job.timezone !== undefined && !isTimeZone(job.timezone)) problem(at('timezone'), `unknown time zone '${job.timezone}'`, 'use an IANA name such as Europe/Madrid or UTC');
    const pipelineFile = path.resolve(dir, job.pipeline);
    if (!existsSync(pipelineFile)) problem(at('pipeline'), `pipeline file ${pipelineFile} does not exist`, 'paths are relative to the project file');
    else if (!statSync(pipelineFile).isFile()) problem(at('pipeline'), `${pipelineFile} is a folder, not a pipeline file`, 'point "pipeline" at a Caudal pipeline file (relative to the project file)');
    job.depends_on.forEach((dep, i) => {
      if (dep === name) problem(at('depends_on', i), `job '${name}' depends on itself`);
      else if (!names.includes(dep)) problem(at('depends_on', i), `unknown job '${dep}'${didYouMean(dep, names)}`, `jobs: ${names.join(', ')}`);
    });
    if (job.schedule !== undefined && job.depends_on.length > 0)
      problem(at('schedule'), `job '${name}' has both a schedule and depends_on`, 'a job runs on its schedule or after the jobs it depends on: remove one (give the schedule to the first job of the chain)');
    (job.alerts?.channels ?? []).forEach((c, i) => {
      if (!channels.includes(c)) problem(at('alerts', 'channels', i), `unknown alert channel '${c}'${didYouMean(c, channels)}`, channels.length > 0 ? `channels: ${channels.join(', ')}` : 'define it under "alerts"');
    });
  }
  (doc.defaults.alerts?.channels ?? []).forEach((c, i) => {
    if (!channels.includes(c)) problem(['defaults', 'alerts', 'channels', i], `unknown alert channel '${c}'${didYouMean(c, channels)}`);
  });
  for (const [name, channel] of Object.entries(doc.alerts)) for (const p of channelSecretProblems(name, channel)) problems.push(p);
  problems.push(...sharedChannelSecrets(channels));
  const cycle = findCycle(doc);
  if (cycle) problem(['jobs', cycle[0]!, 'depends_on'], `jobs depend on each other in a cycle: ${cycle.join(' → ')}`, 'remove one of these dependencies');
  return problems;
}

/** Header names whose value is a credential (`auth: "bearer"` sends one from the secret stores). */
const CREDENTIAL_HEADERS = /^(authorization|proxy-authorization|cookie|x-api-key|api-key|apikey|x-auth-token|x-access-token|private-token|x-gitlab-token)$/i;
/** Query parameter names that carry a credential (chat webhooks: `?key=…&token=…`). */
const CREDENTIAL_PARAMS = /^(token|access_token|auth|key|api_key|apikey|secret|password|pass|pwd|sig|signature|code)$/i;

/**
 * Secrets written into a channel of the project file, which sits in the repository next to the
 * pipelines: a user or password in the webhook URL, a credential in its query or its headers.
 * They belong in the secret stores (the whole URL as the secret `url`, or `auth: "bearer"`).
 */
function channelSecretProblems(name: string, channel: AlertChannel): Problem[] {
  if (channel.type !== 'webhook') return [];
  const problems: Problem[] = [];
  const keepUrlSecret = `leave "url" out and store the whole URL as a secret (\`caudal alerts set-secret ${name} url\`, or ${secretVariable(name, 'url')})`;
  if (channel.url !== undefined) {
    const url = new URL(channel.url);
    if (url.username !== '' || url.password !== '')
      problems.push({ code: 'invalid_document', path: jsonPath(['alerts', name, 'url']), message: `alert channel '${name}': the webhook URL holds a user name or password, a secret in the project file`, hint: keepUrlSecret });
    const secretParams = [...url.searchParams.keys()].filter((k) => CREDENTIAL_PARAMS.test(k));
    if (secretParams.length > 0)
      problems.push({ code: 'invalid_document', path: jsonPath(['alerts', name, 'url']), message: `alert channel '${name}': the webhook URL carries a credential in its query (${secretParams.join(', ')}), a secret in the project file`, hint: keepUrlSecret });
  }
  for (const header of Object.keys(channel.headers))
    if (CREDENTIAL_HEADERS.test(header))
      problems.push({
        code: 'invalid_document',
        path: jsonPath(['alerts', name, 'headers', header]),
        message: `alert channel '${name}': the header '${header}' carries a credential, a secret in the project file`,
        hint: `use "auth": "bearer" with the secret token (\`caudal alerts set-secret ${name} token\`, or ${secretVariable(name, 'token')})`,
      });
  return problems;
}

/** The prefix of a channel's secret variables, `CAUDAL_SECRET_ALERT_<CHANNEL>_`. */
const channelVariables = (channel: string) => `CAUDAL_SECRET_${envNamePart(secretOwner(channel))}_*`;

/**
 * Channel names that read one set of secret variables (`ops-a` and `ops_a`: both
 * CAUDAL_SECRET_ALERT_OPS_A_TOKEN): one channel's token would be sent to the other's endpoint.
 */
function sharedChannelSecrets(channels: string[]): Problem[] {
  const seen = new Map<string, string>();
  const problems: Problem[] = [];
  for (const name of channels) {
    const key = envNamePart(secretOwner(name));
    const other = seen.get(key);
    if (other === undefined) seen.set(key, name);
    else
      problems.push({
        code: 'invalid_document',
        path: jsonPath(['alerts', name]),
        message: `alert channels '${other}' and '${name}' differ only in case or in - and _, so both read their secrets from the same variables (${channelVariables(name)}): one channel's secrets would go to the other's endpoint`,
        hint: 'rename one of them',
      });
  }
  return problems;
}

/** A dependency cycle as a path of job names (first = last), if any. */
function findCycle(doc: ProjectDocument): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'open') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'open');
    stack.push(name);
    for (const dep of doc.jobs[name]?.depends_on ?? []) {
      const found = doc.jobs[dep] ? visit(dep) : undefined;
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(doc.jobs)) {
    const found = visit(name);
    if (found) return found.reverse();
  }
  return undefined;
}

function resolveProject(doc: ProjectDocument, file: string): Project {
  const dir = path.dirname(file);
  const d = doc.defaults;
  const jobs: Job[] = Object.entries(doc.jobs).map(([name, j]) => ({
    name,
    pipeline: path.resolve(dir, j.pipeline),
    params: j.params,
    schedule: j.schedule ?? null,
    // As the tz database spells it: the schedule and its exports mean the same zone everywhere.
    timezone: canonicalTimeZone(j.timezone ?? d.timezone ?? doc.timezone),
    dependsOn: j.depends_on,
    paused: j.paused,
    description: j.description,
    retries: j.retries ?? d.retries ?? { count: 0, delay_s: 60, backoff: 2, max_delay_s: 3600 },
    timeoutS: j.timeout_s ?? d.timeout_s ?? null,
    catchup: j.catchup ?? d.catchup ?? 'skip',
    onOverlap: j.on_overlap ?? d.on_overlap ?? 'skip',
    alerts: j.alerts ?? d.alerts ?? { channels: [], on_failure: true },
    threads: j.threads ?? d.threads,
    memoryLimit: j.memory_limit ?? d.memory_limit,
  }));
  return {
    file,
    dir,
    name: doc.name,
    timezone: canonicalTimeZone(doc.timezone),
    maxParallelRuns: doc.max_parallel_runs,
    jobs: dependencyOrder(jobs),
    alerts: doc.alerts,
    history: doc.history,
    logs: doc.logs,
  };
}

/** Jobs sorted so that each comes after the jobs it depends on (stable otherwise). */
function dependencyOrder(jobs: Job[]): Job[] {
  const out: Job[] = [];
  const placed = new Set<string>();
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const place = (j: Job) => {
    if (placed.has(j.name)) return;
    placed.add(j.name);
    for (const dep of j.dependsOn) place(byName.get(dep)!);
    out.push(j);
  };
  jobs.forEach(place);
  return out;
}

/** The project file: the given one, or caudal.project.json in the working folder or a parent. */
export function findProjectFile(given: string | undefined, cwd = process.cwd()): string {
  if (given) return path.resolve(cwd, given);
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, PROJECT_FILE);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new CaudalError('usage', `no ${PROJECT_FILE} in ${cwd} or a parent folder`, { hint: 'pass the project file, e.g. `caudal schedule path/to/caudal.project.json`' });
}
