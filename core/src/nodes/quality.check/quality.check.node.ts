import { z } from 'zod';
import { defineNode, type ExplainIo, type SetupStep } from '../define.js';
import { qualityCheckSpark } from './quality.check.spark.js';
import { ident, literal, stringLiteral } from '../../compiler/sql.js';
import { checkListProblems, checkSchema } from '../../quality/checks.js';
import { checkConstants, compileChecks, helperPrefix } from '../../quality/compile-checks.js';
import { NodeProblemsError } from '../../util/errors.js';
import { sameName } from '../shared/columns.js';
import { aggregateSql, flagColumn, flaggedTableSql, samplesSql } from '../../quality/evaluation-sql.js';
import { bindChecks } from '../../quality/bind-checks.js';
import { explainCheckError } from '../../quality/explain-error.js';
import type { QualityPlan } from '../../quality/types.js';
import { QUALITY_DOCS } from './docs.js';

const params = z
  .object({
    checks: z.array(checkSchema).min(1).meta({
      label: 'Checks',
      help: 'Each check has a name, a kind, a severity (warn, error, quarantine) and, for row checks, an optional `mostly` threshold.',
      widget: 'list',
    }),
    samples: z.number().int().min(0).max(100).default(5).meta({ label: 'Sample failing rows', help: 'Up to this many failing rows per check are kept in the results and the report.', widget: 'number' }),
    min_score: z.number().min(0).max(100).optional().meta({
      label: 'Minimum score',
      help: 'Fail the run (like an error check) when the node\'s quality score, in percent, is below this.',
      widget: 'number',
    }),
  })
  .strict();

export const REASONS_COLUMN = '_caudal_reasons';

export const qualityCheckNode = defineNode({
  type: 'quality.check',
  version: 1,
  spark: qualityCheckSpark,
  category: 'quality',
  rowOrder: 'follows',
  title: 'Quality checks',
  description: 'Checks the data against a list of expectations with severities (warn, error, quarantine), a quality score and a report.',
  aliases: ['data quality', 'validate', 'expectations', 'assert', 'great expectations', 'data tests', 'quarantine'],
  inputs: [
    { name: 'in' },
    { name: 'reference', optional: true, multiple: true, description: 'Data that `references` checks look values up in (referential integrity).' },
  ],
  outputs: [
    { name: 'out', description: 'Every row, except rows failing a `quarantine` check.' },
    { name: 'rejected', label: 'Quarantined rows', description: 'Rows failing a `quarantine` check, with `_caudal_reasons` listing every check the row failed.' },
  ],
  params,
  docs: QUALITY_DOCS,
  example: {
    description: 'Order checks: ids present and unique, amounts in range (quarantined), known statuses, at least one row',
    params: {
      checks: [
        { name: 'order id present', kind: 'not_null', column: 'order_id', severity: 'error' },
        { name: 'order id unique', kind: 'unique', columns: ['order_id'], severity: 'error' },
        { name: 'quantity in range', kind: 'between', column: 'quantity', min: 1, max: 100, severity: 'quarantine' },
        { name: 'known status', kind: 'in_set', column: 'status', values: ['paid', 'shipped', 'cancelled'], severity: 'warn', mostly: 0.99 },
        { name: 'not empty', kind: 'row_count_between', min: 1, severity: 'error' },
      ],
    },
  },
  check(p) {
    return checkListProblems(p.checks);
  },
  async compile(ctx) {
    const p = ctx.params;
    const input = ctx.input('in');
    const references = ctx.inputs('reference');
    // Every broken check is reported at once: compiling, then the constants, then binding the SQL
    // of the checks that got that far.
    const { compiled, problems } = compileChecks({ ctx, checks: p.checks, input, references });
    const constantProblems = await checkConstants(ctx, compiled, input);
    const unconverted = new Set(constantProblems.map((x) => /^params\.checks\[(\d+)\]/.exec(x.path)?.[1]));
    problems.push(...constantProblems, ...(await bindChecks(ctx, input, compiled.filter((c) => !unconverted.has(String(c.planned.index))))));
    // The reasons column is this node's: an input column of that name holding something else would
    // be pushed aside (renamed `_caudal_reasons_1`) under the reasons, or the reasons under it.
    const clash = input.columns.find((c) => sameName(c.name, REASONS_COLUMN) && c.type !== 'VARCHAR[]');
    if (clash)
      problems.push({
        code: 'invalid_param',
        path: 'params.checks',
        nodeId: ctx.nodeId,
        column: clash.name,
        message: `node '${ctx.nodeId}': the input already has a column '${clash.name}' (${clash.type}); this node writes the reasons rows were quarantined into '${REASONS_COLUMN}' (VARCHAR[])`,
        hint: `rename or drop the input column before this node (transform.select); a '${REASONS_COLUMN}' list from an earlier quality node (VARCHAR[]) is extended instead`,
      });
    if (problems.length > 0) throw new NodeProblemsError(ctx.nodeId, problems);

    const prefix = helperPrefix(input.columns);
    const flag = (i: number) => flagColumn(prefix, i);
    const rowChecks = compiled.filter((c) => c.ok !== undefined || c.unique);
    const quarantine = rowChecks.filter((c) => c.check.severity === 'quarantine');
    const flags = rowChecks.map((c) => flag(c.planned.index));
    const keep = quarantine.map((c) => flag(c.planned.index)).join(' AND ');
    // A second quality node adds its reasons to those of the first.
    const prior = input.columns.find((c) => sameName(c.name, REASONS_COLUMN) && c.type === 'VARCHAR[]');
    const reasonsList = `list_filter([${rowChecks.map((c) => `CASE WHEN NOT ${flag(c.planned.index)} THEN ${stringLiteral(c.check.name)} END`).join(', ')}], x -> x IS NOT NULL)`;
    const reasons = prior ? `list_concat(${ident(prior.name)}, ${reasonsList})` : reasonsList;
    const exclude = (extra: string[]) => (extra.length > 0 ? ` EXCLUDE (${extra.join(', ')})` : '');
    const checksWord = `${compiled.length} check${compiled.length === 1 ? '' : 's'}`;
    const hasUnique = rowChecks.some((c) => c.unique);
    // The checks run in one statement; after a value error, this names the check that raised it.
    const explainError = (message: string, io: ExplainIo) => explainCheckError(message, compiled, input.ref, io);

    if (quarantine.length > 0) {
      // Materialized once so `out`, `rejected` and the counts see the same evaluation (a unique
      // check, a reference lookup): every row lands in exactly one output.
      const table = ctx.auxName('flagged');
      const { create, updates } = flaggedTableSql(compiled, input.ref, table, prefix, { windowUnique: ctx.target === 'spark' });
      const setup: SetupStep[] = [
        { kind: 'sql', sql: create, dry: `${create}\nLIMIT 0`, description: `evaluate ${rowChecks.length} row check${rowChecks.length === 1 ? '' : 's'} into one flag per row` },
        ...updates.map((u) => ({ kind: 'sql' as const, sql: u, dry: u, description: 'flag the rows whose key repeats' })),
      ];
      for (const c of rowChecks) c.planned.samplesSql = `SELECT *${exclude(flags)} FROM ${table}\nWHERE NOT ${flag(c.planned.index)}\nLIMIT ${literal(p.samples)}`;
      const quality: QualityPlan = {
        sql: aggregateSql(compiled, table, prefix, { flags: true, rejectedWhere: `NOT (${keep})` }),
        reads: 'setup',
        strategy: `quarantine: the input is materialized once with a flag per row check${hasUnique ? ' (repeated keys flagged by one UPDATE)' : ''}; ${checksWord} counted in one scan of that table`,
        checks: compiled.map((c) => c.planned),
        samples: p.samples,
        ...(p.min_score !== undefined ? { minScore: p.min_score } : {}),
      };
      return {
        setup,
        outputs: {
          out: `SELECT *${exclude(flags)} FROM ${table}\nWHERE ${keep}`,
          rejected: `SELECT *${exclude([...flags, ...(prior ? [ident(prior.name)] : [])])}, ${reasons} AS ${ident(REASONS_COLUMN)}\nFROM ${table}\nWHERE NOT (${keep})`,
        },
        outputsReadSetupTables: true,
        quality,
        explainError,
        metricsSql: `SELECT count(*) FILTER (WHERE NOT (${keep})) AS rejected_rows FROM ${table}`,
        // Quarantined rows with nothing connected to `rejected` are not kept anywhere: say so.
        notices: [{ countSql: `SELECT count(*) FROM ${table} WHERE NOT (${keep})`, message: "{count} quarantined row{s} {were} set aside on the 'rejected' port", port: 'rejected', onlyWhenDropped: true }],
      };
    }

    // No quarantine: the rows pass through untouched and the checks only count. The evaluation
    // reads this node's own output, so when the planner materializes it (for its consumers and the
    // evaluation), the counts read that table instead of computing the upstream again.
    const checked = ctx.outputRef('out');
    for (const c of rowChecks) c.planned.samplesSql = samplesSql(c, checked, prefix, p.samples);
    const quality: QualityPlan = {
      sql: aggregateSql(compiled, checked, prefix),
      reads: 'output',
      strategy: `${checksWord} counted in one aggregate scan of the node's output${hasUnique ? ' (unique keys as grouping sets of the same scan)' : ''}; failing-row samples by bounded queries`,
      ...(hasUnique
        ? {
            whenStored: {
              sql: aggregateSql(compiled, checked, prefix, { separateUnique: true }),
              strategy: `${checksWord} counted in one aggregate scan of the node's stored output, unique keys grouped by a second scan of it; failing-row samples by bounded queries`,
            },
          }
        : {}),
      checks: compiled.map((c) => c.planned),
      samples: p.samples,
      ...(p.min_score !== undefined ? { minScore: p.min_score } : {}),
    };
    return {
      outputs: {
        out: `SELECT * FROM ${input.ref}`,
        rejected: `SELECT *${exclude(prior ? [ident(prior.name)] : [])}, CAST([] AS VARCHAR[]) AS ${ident(REASONS_COLUMN)}\nFROM ${input.ref}\nWHERE false`,
      },
      quality,
      explainError,
    };
  },
});

