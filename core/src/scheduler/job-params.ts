import { coerceParam, resolveParamValues } from '../compiler/validate.js';
import { jsonPath } from '../model/load.js';
import type { PipelineParam } from '../model/schema.js';
import type { Problem } from '../util/errors.js';
import { expandParams } from './params.js';
import type { Job } from './project.js';

/** A slot whose placeholders give what every slot gives: a YYYY-MM-DD date and an ISO time. */
const SAMPLE_SLOT = Date.parse('2026-01-31T06:00:00Z');

/** What a placeholder becomes, for messages. */
const PLACEHOLDER_MEANS = '{scheduled_date} becomes a date such as 2026-01-31, {scheduled_time} a time such as 2026-01-31T06:00:00+00:00';

/** Whether the scheduler runs a job unattended (on its schedule, or after other jobs), with its own params only. */
const runsUnattended = (job: Job) => job.schedule !== null || job.dependsOn.length > 0;

/**
 * A job's params against its pipeline's, as `caudal run` will check them at every run, but when the
 * project is read: a value of the wrong type, and for a job that runs unattended a param with no
 * default that the job leaves out (a job run on demand may get it from `caudal jobs run --param`).
 * Values with placeholders are checked as the run gets them, with a slot filled in.
 */
export function jobParamProblems(job: Job, declared: Record<string, PipelineParam>): Problem[] {
  const known = Object.fromEntries(Object.entries(job.params).filter(([name]) => Object.hasOwn(declared, name)));
  const given = expandParams(known, SAMPLE_SLOT, 'UTC');
  const problems: Problem[] = [];
  const pipeline = job.pipeline.split(/[\\/]/).pop();
  for (const [name, spec] of Object.entries(declared)) {
    const at = jsonPath(['jobs', job.name, 'params', name]);
    if (!Object.hasOwn(known, name)) {
      if (spec.default === undefined && runsUnattended(job))
        problems.push({
          code: 'invalid_param',
          path: jsonPath(['jobs', job.name, 'params']),
          message: `job '${job.name}': the pipeline ${pipeline} needs the param '${name}' (a ${spec.type}, no default), and the job gives no value for it`,
          hint: `add "${name}": ${example(spec.type)} to jobs.${job.name}.params, or a default to the param in ${pipeline}`,
        });
      continue;
    }
    const checked = resolveParamValues({ [name]: spec }, { [name]: given[name]! });
    const bad = checked.problems[0];
    if (!bad) continue;
    const written = job.params[name]!;
    const placeholder = typeof written === 'string' && given[name] !== written;
    // A value of the right kind that its type still refuses (a NUL in a text, a number with too many
    // digits) is told why, not that it is of the wrong type.
    const rightKind = spec.type === 'string' || (spec.type === 'number' && typeof written === 'number');
    const coerced = coerceParam(spec.type, given[name]!);
    if (rightKind && coerced && 'refused' in coerced) {
      problems.push({
        code: 'invalid_param',
        path: at,
        message: `job '${job.name}': param '${name}' of ${pipeline} cannot be ${JSON.stringify(written)}${placeholder ? ` (${JSON.stringify(given[name])} at run time)` : ''}: ${coerced.refused}`,
        hint: `change jobs.${job.name}.params.${name}`,
      });
      continue;
    }
    problems.push({
      code: 'invalid_param',
      path: at,
      message: `job '${job.name}': param '${name}' of ${pipeline} is a ${spec.type}, but the job gives ${JSON.stringify(written)}${placeholder ? `, which becomes ${JSON.stringify(given[name])} at run time` : ''}`,
      hint: `write a ${spec.type}, e.g. "${name}": ${example(spec.type)}${placeholder ? ` (${PLACEHOLDER_MEANS})` : ''}`,
    });
  }
  return problems;
}

function example(type: PipelineParam['type']): string {
  return type === 'number' ? '42' : type === 'boolean' ? 'true' : type === 'date' ? '"{scheduled_date}"' : '"text"';
}
