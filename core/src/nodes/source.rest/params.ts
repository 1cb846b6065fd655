import { z } from 'zod';
import { jsonSourceNode } from '../source.json/source.json.node.js';

const pagination = z
  .object({
    type: z.enum(['none', 'json_link', 'header_link', 'offset', 'page_number', 'cursor']).default('none').meta({
      label: 'Pagination',
      help: 'none: one request. json_link: the body holds the next page\'s URL. header_link: a `Link: <…>; rel="next"` header (RFC 8288). offset: offset/limit params. page_number: a page param. cursor: the body or a header holds a cursor to send back.',
      widget: 'select',
    }),
    next_url_path: z.string().min(1).optional().meta({ label: 'Next URL path', help: 'json_link: JSON path of the next page\'s URL in the body, e.g. `next` or `links.next`. Empty or missing: last page.', placeholder: 'next' }),
    offset_param: z.string().min(1).default('offset').meta({ label: 'Offset param' }),
    limit_param: z.string().min(1).default('limit').meta({ label: 'Limit param' }),
    limit: z.int().positive().default(100).meta({ label: 'Page size (offset)', help: 'offset: records asked for per page.', widget: 'number' }),
    page_param: z.string().min(1).default('page').meta({ label: 'Page param' }),
    base_page: z.int().min(0).default(1).meta({ label: 'First page number', help: 'page_number: 1 for most APIs, 0 for some.', widget: 'number' }),
    page_size: z.int().positive().optional().meta({ label: 'Page size (page number)', help: 'page_number: sent in the page size param when both are set.', widget: 'number' }),
    page_size_param: z.string().min(1).optional().meta({ label: 'Page size param', placeholder: 'per_page' }),
    total_path: z.string().min(1).optional().meta({ label: 'Total path', help: 'offset: JSON path of the total number of records; page_number: of the total number of pages. Reading stops there (else at the first empty page).', placeholder: 'meta.total' }),
    cursor_path: z.string().min(1).optional().meta({ label: 'Cursor path', help: 'cursor: JSON path of the next cursor in the body, e.g. `meta.next_cursor`.' }),
    cursor_header: z.string().min(1).optional().meta({ label: 'Cursor header', help: 'cursor: the response header holding the next cursor (instead of a body path).' }),
    cursor_param: z.string().min(1).default('cursor').meta({ label: 'Cursor param', help: 'cursor: the query param the cursor is sent back in.' }),
  })
  .strict();

const json = jsonSourceNode.params.shape;

export const restSourceParams = z
  .object({
    connection: z.string().min(1).optional().meta({ label: 'Connection', help: 'A REST connection declared under the pipeline\'s `connections` (base URL, headers, credentials). Optional for public APIs with a full URL.', widget: 'connection' }),
    url: z.string().min(1).meta({ label: 'URL or path', help: 'A path under the connection\'s base URL (`/orders`) or a full URL. `${param}` inserts a pipeline param.', placeholder: '/orders', group: 'Request' }),
    method: z.enum(['GET', 'POST']).default('GET').meta({ label: 'Method', widget: 'select', group: 'Request' }),
    params: z.record(z.string(), z.string()).default({}).meta({ label: 'Query params', help: '`${param}` inserts a pipeline param.', widget: 'key-value', group: 'Request' }),
    headers: z.record(z.string(), z.string()).default({}).meta({ label: 'Headers', help: 'Added to the connection\'s headers. Credentials belong in the connection.', widget: 'key-value', group: 'Request' }),
    body: z.string().optional().meta({ label: 'JSON body', help: 'For POST: JSON text, sent as it is; `${param}` in its strings inserts a pipeline param.', widget: 'textarea', group: 'Request', placeholder: '{"status": "shipped"}' }),
    records_path: z.string().min(1).optional().meta({ label: 'Records path', help: 'JSON path of the list of records in each answer, e.g. `data` or `$.results[*]`. Empty: the answer itself when it is a list, else its one list field.', group: 'Records', placeholder: 'data' }),
    flatten: json.flatten,
    flatten_separator: json.flatten_separator,
    columns: json.columns.meta({
      label: 'Columns and types',
      help: 'Read exactly these top-level keys with these DuckDB types instead of inferring them from the first page; other keys are ignored, missing keys are NULL.',
      widget: 'list',
      group: 'Records',
    }),
    pagination: pagination.default({ type: 'none', offset_param: 'offset', limit_param: 'limit', limit: 100, page_param: 'page', base_page: 1, cursor_param: 'cursor' }).meta({ label: 'Pagination', group: 'Pagination' }),
    max_pages: z.int().positive().optional().meta({ label: 'At most this many pages', widget: 'number', group: 'Pagination' }),
    max_rows: z.int().positive().optional().meta({ label: 'At most this many records', widget: 'number', group: 'Pagination' }),
    incremental: z
      .object({
        cursor_path: z.string().min(1).meta({ label: 'Cursor field', help: 'The record field that grows with each change, e.g. `updated_at` or `meta.updated_at`.' }),
        param: z.string().min(1).meta({ label: 'Query param', help: 'The param the last value is sent in on the next run, e.g. `updated_since`.' }),
        initial: z.string().optional().meta({ label: 'First value', help: 'Sent on the first run. Empty: the first run sends nothing (reads everything).' }),
      })
      .strict()
      .optional()
      .meta({ label: 'Incremental', help: 'Each run sends the highest cursor value the last successful run read, so only newer records come back.', group: 'Incremental' }),
    timeout_s: z.number().positive().max(3600).optional().meta({ label: 'Timeout (s)', help: 'Per request. Default: the connection\'s, else 30.', widget: 'number', group: 'Limits' }),
    retries: z.int().min(0).max(20).default(4).meta({ label: 'Retries', help: 'Further attempts after a network error, a timeout, 408, 429, 5xx or a truncated body, with exponential backoff and jitter; `Retry-After` is honoured.', widget: 'number', group: 'Limits' }),
    rate_limit: z.number().positive().optional().meta({ label: 'Requests per second', help: 'A client-side limit; empty: as fast as the server answers.', widget: 'number', group: 'Limits' }),
    concurrency: z.int().min(1).max(32).default(1).meta({ label: 'Pages in flight', help: 'offset and page_number pagination: read this many pages at once (in order). Others read one page after the other.', widget: 'number', group: 'Limits' }),
  })
  .strict();

export type RestSourceParams = z.output<typeof restSourceParams>;
