import { z } from 'zod';
import { duckDbType } from '../shared/type-param.js';

export const httpEnrichParams = z
  .object({
    connection: z.string().min(1).optional().meta({ label: 'Connection', help: 'A REST connection (base URL, headers, credentials). Optional for public APIs with a full URL.', widget: 'connection' }),
    url: z.string().min(1).meta({
      label: 'URL template',
      help: 'A path under the connection\'s base URL or a full URL; `{column}` inserts the row\'s value (URL-encoded), `${param}` a pipeline param. E.g. `/geocode?q={address}`.',
      placeholder: '/geocode?q={address}',
      group: 'Request',
    }),
    method: z.enum(['GET', 'POST']).default('GET').meta({ label: 'Method', widget: 'select', group: 'Request' }),
    params: z.record(z.string(), z.string()).default({}).meta({ label: 'Query params', help: 'Values may use `{column}` and `${param}`.', widget: 'key-value', group: 'Request' }),
    headers: z.record(z.string(), z.string()).default({}).meta({ label: 'Headers', help: 'Added to the connection\'s. Values may use `{column}`.', widget: 'key-value', group: 'Request' }),
    body: z.string().optional().meta({ label: 'JSON body', help: 'For POST: JSON text; `{column}` in its strings inserts the row\'s value.', widget: 'textarea', group: 'Request', placeholder: '{"address": "{address}"}' }),
    outputs: z
      .array(
        z
          .object({
            name: z.string().min(1).meta({ label: 'Column' }),
            path: z.string().min(1).meta({ label: 'JSON path', help: 'Where the value is in the answer, e.g. `results[0].lat`.' }),
            type: duckDbType().default('VARCHAR').meta({ label: 'Type', help: 'A DuckDB type: VARCHAR, DOUBLE, BIGINT, BOOLEAN, JSON, …' }),
          })
          .strict(),
      )
      .min(1)
      .meta({ label: 'Output columns', help: 'Columns added to each row, each taken from the answer by a JSON path (NULL when the path finds nothing).', widget: 'list', group: 'Response' }),
    not_found: z.enum(['null', 'error']).default('null').meta({ label: 'On 404', help: 'null: the row gets NULL outputs (no match). error: treated like any failed request.', widget: 'select', group: 'Errors' }),
    on_error: z.enum(['fail', 'reject']).default('fail').meta({ label: 'Failed requests', help: 'fail: the run stops, naming the row\'s values and the URL. reject: the rows go to the `rejects` output with the error and status.', widget: 'select', group: 'Errors' }),
    concurrency: z.int().min(1).max(64).default(4).meta({ label: 'Requests in flight', widget: 'number', group: 'Limits' }),
    rate_limit: z.number().positive().optional().meta({ label: 'Requests per second', help: 'A client-side limit; empty: as fast as the server answers.', widget: 'number', group: 'Limits' }),
    retries: z.int().min(0).max(20).default(4).meta({ label: 'Retries', help: 'As for source.rest: network errors, timeouts, 408, 429, 5xx; `Retry-After` honoured.', widget: 'number', group: 'Limits' }),
    timeout_s: z.number().positive().max(3600).optional().meta({ label: 'Timeout (s)', widget: 'number', group: 'Limits' }),
    cache: z
      .object({
        enabled: z.boolean().default(true).meta({ label: 'Cache answers', widget: 'boolean' }),
        max_mb: z.number().positive().default(100).meta({ label: 'Cache size (MB)', widget: 'number' }),
        ttl_hours: z.number().positive().optional().meta({ label: 'Keep answers for (hours)', help: 'Empty: until the cache is full or cleared.', widget: 'number' }),
      })
      .strict()
      .prefault({})
      .meta({ label: 'Response cache', help: 'Answers (2xx JSON and 404) are kept under the pipeline\'s state folder, so reruns and previews do not ask again; an answer that echoes a credential of the connection is not. `caudal state reset <pipeline> --node <id>` clears it.', group: 'Cache' }),
  })
  .strict();

export type HttpEnrichParams = z.output<typeof httpEnrichParams>;
