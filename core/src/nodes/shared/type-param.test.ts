import { describe, expect, it } from 'vitest';
import { kafkaSourceNode } from '../source.kafka/source.kafka.node.js';
import { rabbitmqSourceNode } from '../source.rabbitmq/source.rabbitmq.node.js';
import { jsonSourceNode } from '../source.json/source.json.node.js';
import { csvSourceNode } from '../source.csv/source.csv.node.js';
import { castNode } from '../transform.cast/transform.cast.node.js';

describe('column types in node params', () => {
  it('reach the node by the name DuckDB gives them, so every alias gets the checks of its type', () => {
    const parsed = csvSourceNode.params.parse({ path: 'x.csv', columns: [{ name: 'a', type: 'dec(10, 2)' }, { name: 'b', type: 'int4[]' }, { name: 'c', type: 'row(x integral, "select" text)' }] });
    expect(parsed.columns!.map((c) => c.type)).toEqual(['DECIMAL(10,2)', 'INTEGER[]', 'STRUCT("x" INTEGER, "select" VARCHAR)']);
    const cast = castNode.params.parse({ columns: [{ column: 'a', type: 'numeric' }] });
    expect(cast.columns[0]!.type).toBe('DECIMAL(18,3)');
  });

  it('are checked by every node that takes them, the stream sources and the JSON source included, naming the column', () => {
    for (const node of [kafkaSourceNode, rabbitmqSourceNode]) {
      const p = node.params.parse({ connection: 'c', ...(node === kafkaSourceNode ? { topics: ['t'] } : { queue: 'q' }), columns: [{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'DECIMAL(10,2); SELECT 1' }, { name: 'at', type: 'TIMESTMP' }] });
      expect(node.check!(p as never).map((x) => [x.path, x.message])).toEqual([
        ['columns[1].type', expect.stringContaining("column 'amount': 'DECIMAL(10,2); SELECT 1' is not a DuckDB type")],
        ['columns[2].type', "column 'at': 'TIMESTMP' is not a DuckDB type: no type is named TIMESTMP (did you mean TIMESTAMP?)"],
      ]);
    }
    const json = jsonSourceNode.params.parse({ path: 'x.json', columns: [{ name: 'n', type: 'STRUCT' }] });
    expect(jsonSourceNode.check!(json)).toEqual([{ path: 'columns[0].type', message: "column 'n': 'STRUCT' is not a DuckDB type: STRUCT needs its members in parentheses, e.g. STRUCT(a INTEGER, b VARCHAR)" }]);
  });
});
