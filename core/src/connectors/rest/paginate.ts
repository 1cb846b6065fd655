import parseLinkHeader from 'parse-link-header';
import { jsonPathFirst } from '../http/json-path.js';

/** How an API splits its results into pages (dlt's paginator types, one flat object for the studio's form). */
export interface Pagination {
  type: 'none' | 'json_link' | 'header_link' | 'offset' | 'page_number' | 'cursor';
  /** json_link: where the body holds the next page's URL. */
  next_url_path?: string;
  /** offset: query params and page size. */
  offset_param: string;
  limit_param: string;
  limit: number;
  /** page_number: query param and the number of the first page. */
  page_param: string;
  base_page: number;
  /** page_number: optional page size param. */
  page_size?: number;
  page_size_param?: string;
  /** offset: total records; page_number: total pages (stop when reached). */
  total_path?: string;
  /** cursor: where the next cursor is (body path or response header), and the param that sends it. */
  cursor_path?: string;
  cursor_header?: string;
  cursor_param: string;
}

export interface PageRequest {
  /** 0-based page index. */
  index: number;
  url: string;
  params: Record<string, string>;
}

export interface PageAnswer {
  json: unknown;
  headers: Record<string, string>;
  records: number;
}

/** What a request asks for, as one string (its URL with the params in it): two equal keys ask for the same page. */
export function requestKey(req: PageRequest): string {
  const url = new URL(req.url);
  for (const [k, v] of Object.entries(req.params)) url.searchParams.set(k, v);
  url.searchParams.sort();
  return url.href;
}

/** Offset and page-number pages can be computed without the previous answer, so they can be fetched ahead. */
export function isComputable(p: Pagination): boolean {
  return p.type === 'offset' || p.type === 'page_number';
}

export function firstRequest(p: Pagination, url: string, params: Record<string, string>): PageRequest {
  return nthRequest(p, { index: 0, url, params }, 0);
}

/** Page `i` of a computable pagination, from the first request. */
export function nthRequest(p: Pagination, first: PageRequest, i: number): PageRequest {
  const params = { ...first.params };
  if (p.type === 'offset') {
    params[p.offset_param] = String(i * p.limit);
    params[p.limit_param] = String(p.limit);
  } else if (p.type === 'page_number') {
    params[p.page_param] = String(p.base_page + i);
    if (p.page_size && p.page_size_param) params[p.page_size_param] = String(p.page_size);
  }
  return { index: i, url: first.url, params };
}

/** The total the first answer gives at total_path (records for offset, pages for page number), else undefined. */
export function claimedTotal(p: Pagination, first: PageAnswer): number | undefined {
  if (!p.total_path || !isComputable(p)) return undefined;
  const total = Number(jsonPathFirst(first.json, p.total_path));
  return Number.isFinite(total) && total >= 0 ? total : undefined;
}

/** How many pages there are in all, when the first answer says (total_path), else undefined. */
export function totalPages(p: Pagination, first: PageAnswer): number | undefined {
  const total = claimedTotal(p, first);
  if (total === undefined) return undefined;
  return p.type === 'offset' ? Math.ceil(total / p.limit) : total;
}

/**
 * The request after `prev`, or undefined when this was the last page: no next link, no cursor (or
 * an empty page with the cursor it was sent), an empty page without a total, or the total reached.
 */
export function nextRequest(p: Pagination, prev: PageRequest, answer: PageAnswer, total?: number): PageRequest | undefined {
  switch (p.type) {
    case 'none':
      return undefined;
    case 'json_link': {
      const next = jsonPathFirst(answer.json, p.next_url_path ?? 'next');
      return typeof next === 'string' && next !== '' ? { index: prev.index + 1, url: new URL(next, prev.url).toString(), params: {} } : undefined;
    }
    case 'header_link': {
      const next = parseLinkHeader(answer.headers.link ?? '')?.next?.url;
      return next ? { index: prev.index + 1, url: new URL(next, prev.url).toString(), params: {} } : undefined;
    }
    case 'offset':
    case 'page_number': {
      // Without a total an empty page is the end; with one, pages up to the total are read (an
      // empty page before it, left by records deleted during the read, ended it without a word).
      if (answer.records === 0 && total === undefined) return undefined;
      if (total !== undefined && prev.index + 1 >= total) return undefined;
      return nthRequest(p, { index: 0, url: prev.url, params: prev.params }, prev.index + 1);
    }
    case 'cursor': {
      const raw = p.cursor_header ? answer.headers[p.cursor_header.toLowerCase()] : jsonPathFirst(answer.json, p.cursor_path ?? 'next_cursor');
      if (raw === undefined || raw === null || raw === '' || raw === false) return undefined;
      // An empty page that hands back the cursor it was sent is the end. One with a new cursor is
      // not: sparse and filtered APIs answer empty pages in the middle, and ending there lost every
      // page after it (readPages bounds a run of them).
      if (answer.records === 0 && String(raw) === (prev.params[p.cursor_param] ?? '')) return undefined;
      return { index: prev.index + 1, url: prev.url, params: { ...prev.params, [p.cursor_param]: String(raw) } };
    }
  }
}

/**
 * Offset pagination computes page i's offset as i × limit, so it relies on every page but the last
 * holding exactly `limit` records. An API that caps its page size below `limit` answers a short
 * page and then more records at the next offset: the records in between would be skipped without
 * a word (asked 100 from offset 0, given 50, next asked from offset 100). One that ignores `limit`
 * answers longer pages, and pages would overlap (records read twice). Page-number pagination with
 * a page size sent has the same trap when the API counts pages with the size asked for but answers
 * fewer (and cannot be told apart from one that counts with its own size): the page size to set is
 * named either way. The returned check is called for each page in order; it says what went wrong,
 * or undefined.
 */
export function pageTiling(p: Pagination): (index: number, records: number) => { message: string; hint: string } | undefined {
  const sized = p.type === 'offset' ? { size: p.limit, param: p.limit_param, setting: 'limit' } : p.type === 'page_number' && p.page_size && p.page_size_param ? { size: p.page_size, param: p.page_size_param, setting: 'page_size' } : undefined;
  const at = (index: number) => (p.type === 'offset' ? `${p.offset_param}=${index * p.limit}` : `${p.page_param}=${p.base_page + index}`);
  let short: { index: number; records: number } | undefined;
  return (index, records) => {
    if (!sized || records === 0) return undefined;
    if (records > sized.size) {
      return {
        message: `page ${index + 1} (${at(index)}) returned ${records} records, more than ${sized.param}=${sized.size}: the API does not take "${sized.param}" as the page size, so pages would overlap and records be read twice`,
        hint: `check ${sized.setting === 'limit' ? 'limit_param' : 'page_size_param'} (the query param that sets the page size, e.g. limit or per_page), or use another pagination type`,
      };
    }
    if (short) {
      const skipped = p.type === 'offset' ? `the records between ${p.offset_param}=${short.index * p.limit + short.records} and ${(short.index + 1) * p.limit} would be skipped` : `pages counted with ${sized.size} records each would skip records`;
      return {
        message: `page ${short.index + 1} (${at(short.index)}) returned ${short.records} records although ${sized.param} was ${sized.size}, and page ${index + 1} returned more: the API returns at most ${short.records} records per page, so ${skipped}`,
        hint: `set ${sized.setting} to ${short.records} (or less), the most the API returns per page`,
      };
    }
    if (records < sized.size) short = { index, records };
    return undefined;
  };
}
