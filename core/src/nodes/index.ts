import type { AnyNodeDefinition } from './define.js';
import { withSchemaPin } from '../quality/schema-pin.js';
import { filterNode } from './transform.filter/transform.filter.node.js';
import { selectNode } from './transform.select/transform.select.node.js';
import { deriveNode } from './transform.derive/transform.derive.node.js';
import { sqlNode } from './transform.sql/transform.sql.node.js';
import { dedupeNode } from './transform.dedupe/transform.dedupe.node.js';
import { fillNullsNode } from './transform.fill_nulls/transform.fill_nulls.node.js';
import { cleanTextNode } from './transform.clean_text/transform.clean_text.node.js';
import { rulesNode } from './transform.rules/transform.rules.node.js';
import { castNode } from './transform.cast/transform.cast.node.js';
import { mapValuesNode } from './transform.map_values/transform.map_values.node.js';
import { parseDatesNode } from './transform.parse_dates/transform.parse_dates.node.js';
import { pivotNode } from './transform.pivot/transform.pivot.node.js';
import { unpivotNode } from './transform.unpivot/transform.unpivot.node.js';
import { sortNode } from './transform.sort/transform.sort.node.js';
import { limitNode } from './transform.limit/transform.limit.node.js';
import { sampleNode } from './transform.sample/transform.sample.node.js';
import { unionNode } from './transform.union/transform.union.node.js';
import { splitNode } from './transform.split/transform.split.node.js';
import { joinNode } from './transform.join/transform.join.node.js';
import { lookupNode } from './transform.lookup/transform.lookup.node.js';
import { windowNode } from './transform.window/transform.window.node.js';
import { aggregateNode } from './transform.aggregate/transform.aggregate.node.js';
import { csvSourceNode } from './source.csv/source.csv.node.js';
import { parquetSourceNode } from './source.parquet/source.parquet.node.js';
import { jsonSourceNode } from './source.json/source.json.node.js';
import { csvSinkNode } from './sink.csv/sink.csv.node.js';
import { parquetSinkNode } from './sink.parquet/sink.parquet.node.js';
import { jsonSinkNode } from './sink.json/sink.json.node.js';
import { duckdbSinkNode } from './sink.duckdb/sink.duckdb.node.js';
import { duckdbSourceNode } from './source.duckdb/source.duckdb.node.js';
import { postgresSourceNode } from './source.postgres/source.postgres.node.js';
import { postgresSinkNode } from './sink.postgres/sink.postgres.node.js';
import { restSourceNode } from './source.rest/source.rest.node.js';
import { s3SourceNode } from './source.s3/source.s3.node.js';
import { s3SinkNode } from './sink.s3/sink.s3.node.js';
import { httpEnrichNode } from './transform.http_enrich/transform.http_enrich.node.js';
import { redisSinkNode } from './sink.redis/sink.redis.node.js';
import { sqlserverSourceNode } from './source.sqlserver/source.sqlserver.node.js';
import { sqlserverSinkNode } from './sink.sqlserver/sink.sqlserver.node.js';
import { elasticsearchSinkNode } from './sink.elasticsearch/sink.elasticsearch.node.js';
import { qualityCheckNode } from './quality.check/quality.check.node.js';
import { kafkaSourceNode } from './source.kafka/source.kafka.node.js';
import { kafkaSinkNode } from './sink.kafka/sink.kafka.node.js';
import { rabbitmqSourceNode } from './source.rabbitmq/source.rabbitmq.node.js';
import { rabbitmqSinkNode } from './sink.rabbitmq/sink.rabbitmq.node.js';
import { postgresCdcSourceNode } from './source.postgres_cdc/source.postgres_cdc.node.js';

/** THE list of node types. Compiler, validation, docs, JSON Schema and the studio palette read it. */
export const nodeDefinitions: readonly AnyNodeDefinition[] = [
  selectNode,
  filterNode,
  deriveNode,
  sqlNode,
  dedupeNode,
  fillNullsNode,
  cleanTextNode,
  rulesNode,
  castNode,
  mapValuesNode,
  parseDatesNode,
  pivotNode,
  unpivotNode,
  sortNode,
  limitNode,
  sampleNode,
  unionNode,
  splitNode,
  joinNode,
  lookupNode,
  windowNode,
  aggregateNode,
  httpEnrichNode,
  qualityCheckNode,
  csvSourceNode,
  parquetSourceNode,
  jsonSourceNode,
  postgresSourceNode,
  duckdbSourceNode,
  kafkaSourceNode,
  rabbitmqSourceNode,
  postgresCdcSourceNode,
  restSourceNode,
  s3SourceNode,
  sqlserverSourceNode,
  csvSinkNode,
  parquetSinkNode,
  jsonSinkNode,
  duckdbSinkNode,
  postgresSinkNode,
  kafkaSinkNode,
  rabbitmqSinkNode,
  s3SinkNode,
  sqlserverSinkNode,
  redisSinkNode,
  elasticsearchSinkNode,
].map((d) => withSchemaPin(d as unknown as AnyNodeDefinition));

const byType = new Map(nodeDefinitions.map((d) => [d.type, d]));

export function getNodeDefinition(type: string): AnyNodeDefinition | undefined {
  return byType.get(type);
}

export function nodeTypes(): string[] {
  return nodeDefinitions.map((d) => d.type);
}
