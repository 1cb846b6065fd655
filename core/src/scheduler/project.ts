import { z } from 'zod';
import { PRINTABLE_NAME } from '../model/schema.js';

/**
 * `caudal.project.json`: the jobs a scheduler runs (DESIGN.md §3 style: plain JSON, a format
 * version, names instead of secrets). Each job is one `caudal run` of a pipeline, with its params, a
 * cron schedule or the jobs it waits for, retries, a timeout and alerts. `defaults` fills what a
 * job leaves out. Alert channels hold no secrets: SMTP passwords and webhook tokens live in the OS
 * keychain or CAUDAL_SECRET_* variables (see alerts/channels.ts).
 */
export const PROJECT_FORMAT = 'caudal.project/1';
export const PROJECT_FILE = 'caudal.project.json';

/** 30 days. */
const MAX_RETRY_DELAY_S = 30 * 86_400;

const JOB_NAME_RULE = 'a job name starts with a letter and has only letters, digits, _ and - (at most 64)';
const jobName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, JOB_NAME_RULE);
/** The rule for a bad key of `jobs` (zod's own message says only "Invalid key in record"). */
const jobNameError = (issue: { code?: string }) => (issue.code === 'invalid_key' ? JOB_NAME_RULE : undefined);

/** What a param value that is not a string, a finite number or a boolean is, for its message. */
function whatItIs(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  // JSON numbers too large for a double (1e999) are read as Infinity
  if (typeof v === 'number') return `${v} (a number too large)`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
const paramValue = z.union([z.string(), z.number(), z.boolean()], { error: (i) => `expected a string, a number or a boolean, got ${whatItIs(i.input)}` });

export const retriesSchema = z
  .object({
    /** Attempts after the first one. */
    count: z.int().min(0).max(100).default(0),
    /** Wait before the first retry (at most 30 days: a retry time must stay a date). */
    delay_s: z.number().min(0).max(MAX_RETRY_DELAY_S).default(60),
    /** Each further retry waits this many times longer (1 = constant). */
    backoff: z.number().min(1).max(10).default(2),
    max_delay_s: z.number().min(0).max(MAX_RETRY_DELAY_S).default(3600),
  })
  .strict();

export const jobAlertsSchema = z
  .object({
    /** Channel names from the project's `alerts` section. */
    channels: z.array(z.string()).default([]),
    /** Alert when the run fails for good (after its retries) or times out. */
    on_failure: z.boolean().default(true),
    /** Alert when the run's quality score (0..100) is below this. */
    quality_below: z.number().min(0).max(100).optional(),
    /** Alert while a run takes longer than this (it keeps running; see timeout_s to stop it). */
    expected_duration_s: z.number().positive().optional(),
  })
  .strict();

/** What a job may set and `defaults` may preset. */
const jobSettings = {
  /** IANA time zone of the cron schedule, e.g. Europe/Madrid (default: the project's, else UTC). */
  timezone: z.string().optional(),
  retries: retriesSchema.optional(),
  /** Stop (cancel) a run after this long; counts as a failure and is retried like one. */
  timeout_s: z.number().positive().optional(),
  /** Slots missed while the scheduler was not running: skip them, or run once for the latest. */
  catchup: z.enum(['skip', 'run_once']).optional(),
  /** A slot that comes while the previous run is still going: skip it, or run once right after. */
  on_overlap: z.enum(['skip', 'queue']).optional(),
  alerts: jobAlertsSchema.optional(),
  /** DuckDB threads / memory limit of each run (`caudal run --threads / --memory-limit`). */
  threads: z.int().positive().optional(),
  memory_limit: z.string().optional(),
};

export const jobSchema = z
  .object({
    /** The pipeline file, relative to the project file. */
    pipeline: z.string().min(1),
    /**
     * Pipeline params (`--param`). `{scheduled_date}` (YYYY-MM-DD) and `{scheduled_time}` (ISO 8601)
     * become the slot the run is for, in the job's time zone (the start time for manual runs).
     */
    params: z.record(z.string(), paramValue).default({}),
    /** Cron (5 fields, or 6 with seconds first), in `timezone`. A job without one runs after `depends_on` or on demand. */
    schedule: z.string().optional(),
    /** Run after each of these jobs has succeeded (since this job's last start). */
    depends_on: z.array(jobName).default([]),
    paused: z.boolean().default(false),
    description: z.string().optional(),
    ...jobSettings,
  })
  .strict();

export const webhookChannelSchema = z
  .object({
    type: z.literal('webhook'),
    /** Where the JSON is POSTed. Leave it out to keep the URL itself secret (secret field `url`, e.g. for chat webhooks with a token in the path). */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** `bearer`: send `Authorization: Bearer <token>` with the secret field `token`. */
    auth: z.enum(['none', 'bearer']).default('none'),
    /** Extra, non-secret headers. */
    headers: z.record(z.string(), z.string()).default({}),
    /** At most 10 minutes: an alert that takes longer is lost anyway (and timers cap at 24.8 days). */
    timeout_s: z.number().positive().max(600).default(10),
  })
  .strict();

export const emailChannelSchema = z
  .object({
    type: z.literal('email'),
    host: z.string().min(1),
    port: z.int().min(1).max(65535).default(587),
    /** `tls`: TLS from the start (port 465); `starttls`: upgrade and require it; `none`: plain text (local relays only). */
    security: z.enum(['tls', 'starttls', 'none']).default('starttls'),
    /** SMTP user; its password is the secret field `password`. Leave it out for a relay without login. */
    user: z.string().optional(),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
    /** A server silent this long (default 30 s) fails the alert (nodemailer would wait 10 minutes, holding a stop as long). */
    timeout_s: z.number().positive().max(600).optional(),
  })
  .strict();

export const channelSchema = z.discriminatedUnion('type', [webhookChannelSchema, emailChannelSchema]);
export type AlertChannel = z.infer<typeof channelSchema>;

export const historySchema = z
  .object({
    /** Run folders older than this are removed (never a running one, never the newest `keep_last` of a job). */
    max_age_days: z.number().positive().default(30),
    /** When the run folders of the project's pipelines together exceed this, the oldest go first. */
    max_total_mb: z.number().positive().default(1024),
    keep_last: z.int().min(0).default(5),
  })
  .strict();

export const logsSchema = z
  .object({
    /** The scheduler log (JSON lines) rotates at this size… */
    max_file_mb: z.number().positive().default(10),
    /** …keeping this many old files (scheduler.log.1 is the newest). */
    keep_files: z.int().min(0).max(100).default(5),
  })
  .strict();

export const projectSchema = z
  .object({
    format: z.literal(PROJECT_FORMAT),
    // Printed in the scheduler's log lines and alerts, and the Airflow DAG's description.
    name: z.string().min(1).regex(PRINTABLE_NAME, 'a project name holds no control characters (line breaks, tabs, escape codes, bidi controls): it is printed in logs and alerts'),
    /** Default time zone of the jobs' schedules. */
    timezone: z.string().default('UTC'),
    /** Runs of different jobs at the same time, at most. */
    max_parallel_runs: z.int().min(1).max(64).default(2),
    defaults: z.object(jobSettings).strict().default({}),
    jobs: z.record(jobName, jobSchema, { error: jobNameError }),
    alerts: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a channel name starts with a letter and has only letters, digits, _ and -'), channelSchema).default({}),
    history: historySchema.default({ max_age_days: 30, max_total_mb: 1024, keep_last: 5 }),
    logs: logsSchema.default({ max_file_mb: 10, keep_files: 5 }),
  })
  .strict();

export type ProjectDocument = z.infer<typeof projectSchema>;
export type JobDocument = z.infer<typeof jobSchema>;
export type Retries = z.infer<typeof retriesSchema>;

/** A job with the project's defaults applied and its pipeline path resolved. */
export interface Job {
  name: string;
  /** Absolute path of the pipeline file. */
  pipeline: string;
  params: Record<string, string | number | boolean>;
  schedule: string | null;
  timezone: string;
  dependsOn: string[];
  paused: boolean;
  description?: string;
  retries: Retries;
  timeoutS: number | null;
  catchup: 'skip' | 'run_once';
  onOverlap: 'skip' | 'queue';
  alerts: z.infer<typeof jobAlertsSchema>;
  threads?: number;
  memoryLimit?: string;
}

export interface Project {
  /** Absolute path of the project file. */
  file: string;
  dir: string;
  name: string;
  timezone: string;
  maxParallelRuns: number;
  /** In dependency order (a job comes after every job it depends on). */
  jobs: Job[];
  alerts: Record<string, AlertChannel>;
  history: z.infer<typeof historySchema>;
  logs: z.infer<typeof logsSchema>;
}
