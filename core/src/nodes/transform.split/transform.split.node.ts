import { z } from 'zod';
import { defineNode } from '../define.js';
import { splitSpark } from './transform.split.spark.js';
import type { CompiledNode, PortSpec } from '../define.js';
import { checkRouteConditions } from './route-conditions.js';

export const SPLIT_PORTS = ['out_1', 'out_2', 'out_3', 'out_4', 'out_5', 'out_6', 'out_7', 'out_8'] as const;
type SplitPort = (typeof SPLIT_PORTS)[number];

const route = z
  .object({
    when: z.string().min(1).meta({ label: 'When', help: 'A SQL boolean expression over the input columns.', widget: 'sql', placeholder: "country = 'ES'" }),
    port: z.enum(SPLIT_PORTS).optional().meta({
      label: 'Send to',
      help: 'Output port for matching rows; defaults to out_1 for the first route, out_2 for the second, and so on.',
      widget: 'select',
    }),
  })
  .strict();

const params = z
  .object({
    routes: z.array(route).min(1).max(SPLIT_PORTS.length).meta({
      label: 'Routes',
      help: 'Checked in order for each row; the first route whose condition is true wins. Rows matching none go to "else".',
      widget: 'list',
    }),
  })
  .strict();

/** The port of route i: its own, or out_{i+1}. */
export function routePort(r: { port?: SplitPort }, i: number): SplitPort {
  return r.port ?? SPLIT_PORTS[i]!;
}

const outputs: PortSpec[] = [
  ...SPLIT_PORTS.map((name, i) => ({ name, label: `Route ${i + 1}`, description: `Rows of the routes sent to ${name} (by default route ${i + 1}).` })),
  { name: 'else', label: 'Else', description: 'Rows that matched no route.' },
];

export const splitNode = defineNode({
  type: 'transform.split',
  version: 1,
  spark: splitSpark,
  category: 'transform',
  rowOrder: 'follows',
  title: 'Split',
  description: 'Routes each row to one of several outputs by ordered conditions; rows matching none go to "else".',
  aliases: ['route', 'switch', 'case', 'partition rows', 'branch'],
  inputs: [{ name: 'in' }],
  outputs,
  params,
  docs: `**Ports.** A node's output ports are part of its definition, not of its params, so the split has a fixed
set: \`out_1\` … \`out_8\` and \`else\`. Route *i* sends its rows to \`out_i\` unless it names a \`port\`; several
routes may share a port (the port then gets the rows of all of them). Ports no route points to are empty;
unconnected ports are not computed, only counted when a route points to them (see below). Eight routes cover the common cases; chain a second split on
\`else\` for more.

**Every row lands exactly once.** For each row the routes are tried in order and the first whose condition
is \`true\` wins, like \`CASE WHEN\`. A condition that is \`false\` **or NULL** (e.g. \`amount > 100\` with
\`amount\` NULL) does not match, and the row moves on to the next route, then to \`else\`. So the port
counts always add up to the input count.

**SQL.** Each connected port is a filter over the input: route *k* keeps rows where condition *k* is true and
every earlier condition \`IS NOT TRUE\`; \`else\` keeps rows where no condition is true. DuckDB fuses each
filter into the query of whatever reads that port, so a single connected port costs one filtered scan.
With several ports connected, the input chain is computed once per connected port (the upstream node has
a single consumer, the split, so the engine does not materialize it): cheap for a file scan, worth
knowing when the input is an expensive join or aggregation.

Conditions are checked against the input's columns before the run: a misspelled column is reported with the
closest name. A condition must be a true/false: one that gives numbers or text (\`amount\`, \`flag\`) is
refused before the run, as DuckDB would read every number other than 0, and texts like \`'yes'\`, as true
(a bare \`NULL\` is allowed: it switches a route off). A text column or text expression compared with a number
(\`code = 7\`) is refused as in a filter (\`'7.4'\` and \`'007'\` would equal 7). Since each connected port evaluates the conditions
again, a condition calling a function that gives another value each time (\`random()\`, \`uuid()\`,
\`nextval()\`) is refused too: a row could land in two ports or in none. Route on the row's own values
instead (\`hash(id) % 100 < 50\` is a stable half of the rows). The rows-out count of a run is the sum over the
connected ports, when each was counted (\`--metrics exact\` counts every one).

**Rows sent to an unconnected port** are dropped, and the run warns with their count, e.g. \`2 rows
were sent to 'out_2' by route 2; nothing is connected to 'out_2', so they are dropped: connect it to a
sink to keep them\` (the same for \`else\`: "matched no route"). Counting them reads the input once more
per such port, which a port no route points to never costs; connect the port (or drop those rows with a
Filter node before the split) to do without. \`caudal validate\` does not say it: the count is only known
in a run.

Metrics: \`rows.<port>\`, the rows each connected port got, when counted (\`--metrics exact\`).`,
  example: {
    description: 'Big orders, then Spanish orders, everything else apart',
    params: { routes: [{ when: 'amount >= 1000' }, { when: "country = 'ES'" }] },
  },
  async compile(ctx) {
    const input = ctx.input();
    const conds = ctx.params.routes.map((r, i) => {
      const e = ctx.expr(r.when, `routes[${i}].when`);
      // A trailing line comment must not swallow the closing parenthesis.
      return `(${e.includes('--') ? `${e}\n` : e})`;
    });
    await checkRouteConditions(ctx, input, conds);
    const matches = (i: number) => [conds[i]!, ...conds.slice(0, i).map((c) => `${c} IS NOT TRUE`)].join(' AND ');
    const out: Record<string, string> = {};
    // Rows sent to a port nothing reads would vanish without a word: the run counts them (only for
    // such ports, a read of the input each) and warns.
    const notices: NonNullable<CompiledNode['notices']> = [];
    const dropped = (port: string, message: string) => notices.push({ countSql: `SELECT count(*) FROM (\n${out[port]}\n)`, message, port, onlyWhenDropped: true });
    for (const port of SPLIT_PORTS) {
      const mine = ctx.params.routes.flatMap((r, i) => (routePort(r, i) === port ? [i] : []));
      const where = mine.length === 0 ? 'false' : mine.length === 1 ? matches(mine[0]!) : mine.map((i) => `(${matches(i)})`).join('\n   OR ');
      out[port] = `SELECT * FROM ${input.ref}\nWHERE ${where}`;
      const routes = mine.map((i) => String(i + 1));
      const named = routes.length === 1 ? `route ${routes[0]}` : `routes ${routes.slice(0, -1).join(', ')} and ${routes.at(-1)}`;
      if (mine.length > 0) dropped(port, `{count} row{s} {were} sent to '${port}' by ${named}`);
    }
    out.else = `SELECT * FROM ${input.ref}\nWHERE ${conds.map((c) => `${c} IS NOT TRUE`).join(' AND ')}`;
    dropped('else', "{count} row{s} matched no route and {were} sent to 'else'");
    return { outputs: out, notices };
  },
});
