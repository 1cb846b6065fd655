import { mkdtemp, rm } from 'node:fs/promises';
import type { Pipeline } from '../../model/schema.js';
import type { ResolvedConnection, SparkCompiled } from '../../nodes/define.js';
import { planPipeline, type PlannedNode } from '../../compiler/plan.js';
import { validateStructure } from '../../compiler/validate.js';
import { getNodeDefinition } from '../../nodes/index.js';
import { Db } from '../../compiler/db.js';
import { tempFolderPrefix } from '../../engine/commit/recover.js';
import { nodeStateStore } from '../../engine/state.js';
import { errorMessage, type Problem } from '../../util/errors.js';
import { packageVersion } from '../../util/package-root.js';
import { emptyRelation, SparkUnsupported, sparkContext, unsupportedProblem } from './context.js';
import { portableForm } from './portable.js';
import { translateToSpark, type TranslateItem } from './translate.js';
import { fieldMentioning } from './fields.js';
import type { SparkJob, SparkStep } from './job.js';
import { stubRemoteSources } from './remote-sources.js';
import { sparkType } from './types.js';
import { hadoopGlob } from './paths.js';
import { jobParams } from './params.js';

export interface SparkExportOptions {
  baseDir: string;
  params: Record<string, string | number | boolean>;
  connections?: Record<string, ResolvedConnection>;
  stateDir?: string;
}

export interface SparkExport {
  job?: SparkJob;
  problems: Problem[];
  warnings: Array<{ nodeId: string; message: string }>;
  /** What the job's sinks write, for the run locks `caudal run --engine spark` takes. */
  destinations?: Array<{ key: string; label: string }>;
}

const unquote = (ref: string) => (ref.startsWith('"') ? ref.slice(1, -1).replaceAll('""', '"') : ref);
const record = (columns: Array<{ name: string; type: string }>) => Object.fromEntries(columns.map((c) => [c.name, c.type]));

interface Unit {
  node: PlannedNode;
  spark: SparkCompiled;
}

/**
 * Plans the pipeline with DuckDB (validation, schemas, the nodes' own SQL), asks every node for its
 * Spark form, checks each form's SQL by binding it in DuckDB, then translates all SQL to Spark with
 * sqlglot in one pass. Every node, setting, function or type without a Spark form is a problem
 * naming the node and field; nothing is written unless there are none.
 */
export async function exportSpark(original: Pipeline, opts: SparkExportOptions): Promise<SparkExport> {
  const { doc, stubbed, problems: remoteProblems } = stubRemoteSources(original);
  if (remoteProblems.length > 0) return { problems: remoteProblems, warnings: [] };
  const tempDir = await mkdtemp(tempFolderPrefix());
  const db = await Db.open({ tempDir, threads: 2 });
  try {
    const plan = await planPipeline(doc, db, { mode: 'plan', target: 'spark', baseDir: opts.baseDir, params: opts.params, tempDir, runId: 'spark_export', connections: opts.connections, state: nodeStateStore(opts.stateDir, opts.baseDir) });
    if (plan.problems.length > 0) return { problems: plan.problems, warnings: plan.warnings };
    const structure = validateStructure(doc);
    const planned = new Map(plan.nodes.map((n) => [n.id, n]));
    const problems: Problem[] = [];
    const units: Unit[] = [];
    const nodeDoc = (id: string) => original.nodes.find((n) => n.id === id);

    for (const planNode of plan.nodes) {
      // A remote source was planned as an empty relation of its stated columns; compile its own form.
      const stub = stubbed.get(planNode.id);
      const stubDef = stub ? getNodeDefinition(stub.type) : undefined;
      const node = stub && stubDef ? { ...planNode, type: stub.type, def: stubDef, compiled: undefined } : planNode;
      const params = stub && stubDef ? stubDef.params.parse(stub.params) : structure.nodes.get(node.id)?.params;
      const form = node.def.spark;
      if (!form) {
        problems.push(unsupportedProblem(doc, node.id, undefined, `node '${node.id}' (${node.type}) has no Spark form yet`, 'run this pipeline on the DuckDB engine, or express the step with transform.sql'));
        continue;
      }
      if (form.kind === 'unsupported') {
        problems.push(unsupportedProblem(doc, node.id, undefined, `node '${node.id}' (${node.type}) cannot run on Spark: ${form.reason}`));
        continue;
      }
      const ctx = sparkContext({ doc, plan, node, params, incoming: structure.graph.incoming.get(node.id) ?? [], planned, db, baseDir: opts.baseDir, connections: opts.connections });
      const refused = form.kind === 'portable' ? (form.refuse?.(params) ?? []) : [];
      for (const r of refused) problems.push(unsupportedProblem(doc, node.id, r.path, `node '${node.id}': ${r.message}`, r.hint));
      if (refused.length > 0) continue;
      try {
        const spark = form.kind === 'portable' ? portableForm(node) : await form.compile(ctx);
        units.push({ node, spark });
      } catch (e) {
        if (e instanceof SparkUnsupported) problems.push(unsupportedProblem(doc, node.id, e.field || undefined, e.message, e.hint));
        else problems.push(unsupportedProblem(doc, node.id, undefined, `node '${node.id}': its Spark form failed: ${errorMessage(e)}`));
      }
    }
    // Nodes without a Spark form are left out; the others are still checked and translated, so one
    // validate lists every problem (downstream nodes bind against the DuckDB plan's schemas).

    // Bind each form's SQL in DuckDB: it must be valid there too, give the same columns as the
    // DuckDB form, and its helper views' schemas are what sqlglot needs to expand `*`.
    const schemas: Record<string, Record<string, string>> = {};
    for (const n of plan.nodes) for (const o of n.outputs) schemas[unquote(o.ref)] = record(o.columns);
    const describe = async (name: string) => {
      const rows = await db.rows(`DESCRIBE ${name}`);
      schemas[unquote(name)] = Object.fromEntries(rows.map((r) => [String(r.column_name), String(r.column_type)]));
    };
    const unbound = new Set<Unit>();
    for (const unit of units) {
      const { node, spark } = unit;
      try {
        if (spark.read) {
          await db.run(`CREATE OR REPLACE TEMP VIEW ${spark.read.name} AS ${emptyRelation(spark.read.schema ?? [])}`);
          await describe(spark.read.name);
        }
        for (const s of spark.setup ?? []) {
          if (node.def.spark?.kind === 'custom') await db.run(`CREATE OR REPLACE TEMP VIEW ${s.name} AS\n${s.sql}`);
          await describe(s.name);
        }
        if (node.def.spark?.kind === 'custom') {
          for (const [port, sql] of Object.entries(spark.outputs ?? {})) {
            if (!node.outputs.some((o) => o.port === port)) continue;
            const check = `"_s_check"`;
            await db.run(`CREATE OR REPLACE TEMP VIEW ${check} AS\n${sql}`);
            const got = (await db.rows(`DESCRIBE ${check}`)).map((r) => String(r.column_name));
            const want = node.outputs.find((o) => o.port === port)?.columns.map((c) => c.name) ?? [];
            if (got.join('\u0000').toLowerCase() !== want.join('\u0000').toLowerCase())
              throw new Error(`output '${port}' has columns (${got.join(', ')}) on Spark but (${want.join(', ')}) on DuckDB`);
          }
        }
      } catch (e) {
        unbound.add(unit);
        problems.push(unsupportedProblem(doc, node.id, undefined, `node '${node.id}': its Spark form does not bind: ${errorMessage(e)}`, 'this is a bug in Caudal: please report it with the pipeline'));
      }
    }

    const items: TranslateItem[] = [];
    const add = (id: string, sql: string) => items.push({ id, sql, kind: 'query' });
    for (const { node, spark } of units.filter((u) => !unbound.has(u))) {
      for (const s of spark.setup ?? []) add(`${node.id}\u0000setup\u0000${s.name}`, s.sql);
      for (const [port, sql] of Object.entries(spark.outputs ?? {})) add(`${node.id}\u0000out\u0000${port}`, sql);
      if (spark.quality) {
        add(`${node.id}\u0000quality`, spark.quality.sql);
        for (const c of spark.quality.checks) if (c.samplesSql) add(`${node.id}\u0000sample\u0000${c.index}`, c.samplesSql);
      }
      if (spark.sink?.sql) add(`${node.id}\u0000sink`, spark.sink.sql);
    }
    const translated = await translateToSpark(items, schemas);
    const sql = (id: string) => translated.items.get(id)?.sql ?? '';
    for (const item of items) {
      const t = translated.items.get(item.id);
      const nodeId = item.id.split('\u0000')[0]!;
      for (const message of t?.problems ?? ['no translation came back']) {
        const fn = /function (\w+)\(\)/.exec(message)?.[1];
        const field = fn ? fieldMentioning(nodeDoc(nodeId)?.params, fn) : undefined;
        const p = unsupportedProblem(doc, nodeId, field, `node '${nodeId}': ${message}`, 'rewrite it with functions Spark SQL has (the Spark SQL function reference lists them), or keep this pipeline on the DuckDB engine');
        if (!problems.some((q) => q.path === p.path && q.message === p.message)) problems.push(p);
      }
    }
    if (problems.length > 0) return { problems, warnings: plan.warnings };

    const steps: SparkStep[] = [];
    const packages = new Set<string>();
    for (const { node, spark } of units) {
      if (spark.read) {
        const { name, ...read } = spark.read;
        if (read.jdbc) packages.add(read.jdbc.package);
        const schema = read.applySchema ? read.schema?.map((c) => ({ name: c.name, type: sparkType(c.type) })) : read.schema;
        // The forms give DuckDB patterns (they list files with DuckDB at export); Spark lists with Hadoop's glob.
        const paths = read.paths.map(hadoopGlob);
        const options = read.options.pathGlobFilter === undefined ? read.options : { ...read.options, pathGlobFilter: hadoopGlob(read.options.pathGlobFilter) };
        steps.push({ kind: 'read', node: node.id, name: unquote(name), read: { ...read, paths, options, ...(schema ? { schema } : {}) } });
      }
      for (const s of spark.setup ?? []) steps.push({ kind: 'view', node: node.id, name: unquote(s.name), sql: sql(`${node.id}\u0000setup\u0000${s.name}`), columns: Object.keys(schemas[unquote(s.name)] ?? {}), ...(s.materialize ? { materialize: 'cache' as const } : {}) });
      for (const o of node.outputs) {
        if (!spark.outputs?.[o.port]) continue;
        const main = o.port === node.outputs[0]?.port;
        const materialize = main && spark.materialize ? 'checkpoint' : o.consumers > 1 ? 'cache' : undefined;
        steps.push({ kind: 'view', node: node.id, name: unquote(o.ref), sql: sql(`${node.id}\u0000out\u0000${o.port}`), columns: o.columns.map((c) => c.name), ...(materialize ? { materialize } : {}), ...(main ? { output: true } : {}) });
      }
      if (spark.quality) {
        const q = spark.quality;
        steps.push({
          kind: 'quality',
          node: node.id,
          sql: sql(`${node.id}\u0000quality`),
          checks: q.checks.map(({ samplesSql: _s, ...c }) => c),
          samples: q.checks.filter((c) => c.samplesSql).map((c) => ({ index: c.index, sql: sql(`${node.id}\u0000sample\u0000${c.index}`) })),
          sampleLimit: q.samples,
          ...(q.minScore !== undefined ? { minScore: q.minScore } : {}),
        });
      }
      if (spark.sink) {
        const input = node.upstream[0];
        const from = input ? planned.get(input.nodeId)?.outputs.find((o) => o.port === input.port) : undefined;
        if (!input || !from) continue;
        if (spark.sink.jdbc) packages.add(spark.sink.jdbc.package);
        const ordered = planned.get(input.nodeId)?.type === 'transform.sort';
        const sink = { ...spark.sink, ...(spark.sink.sql ? { sql: sql(`${node.id}\u0000sink`) } : {}), ...(ordered ? { ordered } : {}) };
        steps.push({ kind: 'sink', node: node.id, input: unquote(from.ref), columns: from.columns, sink });
      }
    }
    return {
      job: { format: 'caudal.spark-job/1', pipeline: doc.name, createdBy: { caudal: packageVersion(), sqlglot: translated.sqlglot }, params: jobParams(plan.paramValues), packages: [...packages], nodeTypes: Object.fromEntries(plan.nodes.map((n) => [n.id, stubbed.get(n.id)?.type ?? n.type])), steps },
      problems: [],
      warnings: plan.warnings,
      destinations: plan.nodes.flatMap((n) => (n.sink ? [n.sink.destination] : [])),
    };
  } finally {
    db.close();
    await rm(tempDir, { recursive: true, force: true });
  }
}
