import type { AnyNodeDefinition } from './define.js';
import { filterNode } from './transform.filter/transform.filter.node.js';
import { selectNode } from './transform.select/transform.select.node.js';
import { deriveNode } from './transform.derive/transform.derive.node.js';
import { sqlNode } from './transform.sql/transform.sql.node.js';
import { csvSourceNode } from './source.csv/source.csv.node.js';
import { parquetSourceNode } from './source.parquet/source.parquet.node.js';
import { jsonSourceNode } from './source.json/source.json.node.js';
import { csvSinkNode } from './sink.csv/sink.csv.node.js';
import { parquetSinkNode } from './sink.parquet/sink.parquet.node.js';
import { jsonSinkNode } from './sink.json/sink.json.node.js';
import { duckdbSinkNode } from './sink.duckdb/sink.duckdb.node.js';

/** THE list of node types. Compiler, validation, docs, JSON Schema and the studio palette read it. */
export const nodeDefinitions: readonly AnyNodeDefinition[] = [
  selectNode,
  filterNode,
  deriveNode,
  sqlNode,
  csvSourceNode,
  parquetSourceNode,
  jsonSourceNode,
  csvSinkNode,
  parquetSinkNode,
  jsonSinkNode,
  duckdbSinkNode,
] as unknown as AnyNodeDefinition[];

const byType = new Map(nodeDefinitions.map((d) => [d.type, d]));

export function getNodeDefinition(type: string): AnyNodeDefinition | undefined {
  return byType.get(type);
}

export function nodeTypes(): string[] {
  return nodeDefinitions.map((d) => d.type);
}
