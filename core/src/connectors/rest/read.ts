import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { HttpClient, HttpMethod } from '../http/client.js';
import { jsonPathRecords, recordsPathMissing } from '../http/json-path.js';
import { CutRecords, cutRecords, loneSurrogate, recordLines, recordsKeyPath } from './record-lines.js';
import { CaudalError } from '../../util/errors.js';
import { claimedTotal, firstRequest, isComputable, nextRequest, nthRequest, pageTiling, type PageAnswer, type PageRequest, type Pagination, requestKey, totalPages } from './paginate.js';

export interface RestReadSpec {
  method: HttpMethod;
  url: string;
  params: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
  /** JSON path to the records; unset: the body when it is an array, else its one array field. */
  recordsPath?: string;
  pagination: Pagination;
  maxPages?: number;
  maxRows?: number;
  /** Pages in flight at once (offset and page-number pagination only). */
  concurrency: number;
  /** The caller needs every page's records parsed (an incremental cursor looks at them). */
  parseRecords?: boolean;
}

export interface Page {
  index: number;
  /** The URL the page was read from, secrets removed (for messages about its records). */
  url?: string;
  /** The parsed records; undefined on a page whose records were cut from the answer unparsed (`lines`). */
  records?: unknown[];
  count: number;
  /**
   * The records as NDJSON cut from the answer's bytes, when those say exactly what `records` say
   * (rest/record-lines.ts). Worked out when asked, by whoever writes the page: the next request is
   * already on its way by then.
   */
  lines?: () => Buffer | undefined;
  /** There is at least one more page to read. */
  more: boolean;
  /**
   * The read stops after this page because of *At most this many pages / records* while the API
   * has (or, without a total, may have) more: records past it are not read.
   */
  capped?: 'max_pages' | 'max_rows';
  /** With `capped`: the API did not say whether more pages follow (offset or page-number paging without a total). */
  mayBeLast?: boolean;
  /**
   * The read stopped after this many empty pages in a row although the last one still pointed
   * to a next page (MAX_EMPTY_PAGES): an API that may have more, or that never says it is done.
   */
  emptyRun?: number;
  /**
   * With `emptyRun`, when the pages were counted by the first answer's total (total_path): the
   * total it claimed (records for offset pagination, pages for page-number pagination).
   */
  claimedTotal?: number;
}

/**
 * The records of an answer. Without a path: the body itself when it is an array, else its only
 * top-level field that holds an array (the usual `{"data": [...], "meta": {...}}`).
 */
export function selectRecords(json: unknown, recordsPath: string | undefined, where: string): unknown[] {
  if (recordsPath) {
    const records = jsonPathRecords(json, recordsPath);
    // Nothing at the path is not "no records": an API that answers an error with status 200
    // (`{"error": "upstream timeout"}` on page 3) ended the read there and the run succeeded with
    // the records before it; a misspelled path with the columns listed read 0 rows.
    if (records.length === 0 && recordsPathMissing(json, recordsPath)) throw recordsMissing(json, recordsPath, where);
    return records;
  }
  if (Array.isArray(json)) return json;
  if (json && typeof json === 'object') {
    const arrays = Object.entries(json).filter(([, v]) => Array.isArray(v));
    if (arrays.length === 1) return arrays[0]![1] as unknown[];
    const keys = Object.keys(json);
    throw new CaudalError('validation', `${where}: cannot tell where the records are in the answer (top-level keys: ${keys.join(', ') || 'none'})`, {
      hint: arrays.length > 1 ? `set records_path to one of: ${arrays.map(([k]) => k).join(', ')}` : 'set records_path to the JSON path of the list of records, e.g. data.items',
    });
  }
  return [];
}

/** The answer has nothing at records_path: say what it has instead (its keys, never its values). */
function recordsMissing(json: unknown, recordsPath: string, where: string): CaudalError {
  const what =
    json !== null && typeof json === 'object' && !Array.isArray(json)
      ? `its top-level keys: ${Object.keys(json).slice(0, 20).join(', ') || 'none'}`
      : Array.isArray(json)
        ? `the answer is a list of ${json.length}`
        : `the answer is ${json === null ? 'null' : typeof json}`;
  return new CaudalError('execution', `${where}: the answer has nothing at records_path '${recordsPath}' (${what}), so its records cannot be told from an error the API answered with status 200`, {
    hint: `look at that answer (an API reporting an error, a rate limit or a timeout in a 200 answer: run again later), or check records_path; an empty list or null at '${recordsPath}' is read as no records`,
  });
}

/**
 * Reads an API page by page. Pages whose request can be computed ahead (offset, page number) are
 * fetched up to `concurrency` at a time and handed over in order; the others follow the previous
 * answer (next link, cursor). Stops at the last page, at `maxPages` or once `maxRows` are read.
 */
export async function* readPages(client: HttpClient, spec: RestReadSpec, who: string): AsyncGenerator<Page> {
  const p = spec.pagination;
  type Answer = PageAnswer & { list?: unknown[]; lines?: () => Buffer | undefined; body: Buffer; url: string };
  /** `cutAt`: the key path of the records, to cut them from the answer without parsing them. */
  const fetchPage = async (req: PageRequest, cutAt?: string[]): Promise<Answer> => {
    const parse = cutAt ? (body: Buffer) => cutRecords(body, cutAt) : undefined;
    const res = await client.send({ method: spec.method, url: req.url, params: req.params, headers: spec.headers, body: spec.body }, { json: true, parse });
    // JSON.parse takes a lone surrogate escape; DuckDB's reader stopped at it naming a temp file.
    const lone = loneSurrogate(res.body);
    if (lone) {
      throw new CaudalError('execution', `${who}: page ${req.index + 1} (${spec.method} ${res.shownUrl}): the answer holds "${lone.escape}" (at character ${lone.at}), half of a UTF-16 surrogate pair without its other half, which is no character: its records cannot be read`, {
        hint: 'the API sends broken Unicode (often text cut in the middle of an emoji); have it fixed, or leave the field out of the answer (a fields or select param)',
      });
    }
    if (res.json instanceof CutRecords) {
      const cut = res.json;
      return { json: cut.rest, headers: res.headers, records: cut.count, lines: () => cut.lines, body: res.body, url: res.shownUrl };
    }
    const list = selectRecords(res.json, spec.recordsPath, `${who}: page ${req.index + 1} (${spec.method} ${res.shownUrl})`);
    // Worked out once: the loop check (RepeatedPages) and the spool both ask.
    let cut: { lines: Buffer | undefined } | undefined;
    const lines = () => (cut ??= { lines: recordLines(res.body, recordsKeyPath(spec.recordsPath, res.json), list) }).lines;
    return { json: res.json, headers: res.headers, records: list.length, list, lines, body: res.body, url: res.shownUrl };
  };
  // Pages are handed over in order (also when fetched ahead): each is checked before it is.
  const tiling = pageTiling(p);
  let previous: Buffer | undefined;
  // Pages that hold the records of earlier pages again, in order: in both branches below.
  const repeats = new RepeatedPages(p, who);
  const checked = (index: number, a: Answer): Answer => {
    const wrong = tiling(index, a.records);
    if (wrong) throw new CaudalError('execution', `${who}: ${wrong.message}`, { hint: wrong.hint });
    // An API that ignores the page it is asked for answers the same page again and again.
    if (a.records > 0 && previous?.length === a.body.length && previous.equals(a.body)) throw samePageAgain(p, index, who);
    previous = a.body;
    // The same again with something around the records that changes every time (a request id, a
    // timestamp in the envelope): the records are compared, not the answer.
    repeats.see(index, a);
    return a;
  };
  const maxPages = spec.maxPages ?? Infinity;
  let rows = 0;
  // A page cut short by max_rows keeps its first lines (one record each), or its first parsed records.
  // `cut`: records of this very page were left out.
  const cap = (a: Answer): { list?: unknown[]; count: number; lines?: () => Buffer | undefined; full: boolean; cut: boolean } => {
    if (spec.maxRows === undefined || rows + a.records < spec.maxRows) return { list: a.list, count: a.records, lines: a.lines, full: false, cut: false };
    const list = a.list!.slice(0, spec.maxRows - rows);
    const lines = a.lines;
    return { list, count: list.length, lines: lines && (() => firstLines(lines(), list.length)), full: true, cut: list.length < a.records };
  };

  const first = firstRequest(p, spec.url, spec.params);
  const a0 = checked(0, await fetchPage(first));
  const total = totalPages(p, a0);
  const next = nextRequest(p, first, a0, total);
  let c = cap(a0);
  rows += c.count;
  const stopAfter = (index: number) => c.full || index + 1 >= maxPages;
  /** Why the read stops after page `index` when the API has more; undefined when it would stop anyway. */
  const capOf = (index: number, hasMore: boolean): Page['capped'] => {
    if (c.cut) return 'max_rows';
    if (!hasMore) return undefined;
    return c.full ? 'max_rows' : index + 1 >= maxPages ? 'max_pages' : undefined;
  };
  // Offset and page-number paging without a total ask for the next page after any full one.
  const unsure = (capped: Page['capped']) => (capped && isComputable(p) && total === undefined && !c.cut ? { mayBeLast: true } : {});
  const capped0 = capOf(0, next !== undefined);
  yield { index: 0, url: a0.url, records: c.list, count: c.count, lines: c.lines, more: next !== undefined && !stopAfter(0), capped: capped0, ...unsure(capped0) };
  if (!next || stopAfter(0)) return;

  // After the first page (which tells the total and is always parsed), offset and page-number pages
  // need nothing from their answer but the records and how many: those are cut from the bytes
  // (rest/record-lines.ts) unless a row cap or an incremental cursor needs them parsed.
  const cutAt = isComputable(p) && spec.recordsPath !== undefined && spec.maxRows === undefined && !spec.parseRecords ? recordsKeyPath(spec.recordsPath, a0.json) : undefined;

  // With the number of pages known (and no row cap), one request more than `concurrency` is queued:
  // the client's limiter still sends at most `concurrency` at a time, and the queued one leaves the
  // moment an answer has arrived, while that answer is worked on (cut or parsed, then handed over).
  const queued = isComputable(p) && total !== undefined && spec.maxRows === undefined ? 1 : 0;
  if (isComputable(p) && spec.concurrency + queued > 1) {
    // A window of pages in flight; without a total, pages past the end come back empty and end it.
    // Each request is settled the moment it is made (its error kept, not thrown): a page behind the
    // head that failed (or was cancelled) while the loop awaited the head was a rejection nobody
    // handled, which took the engine worker down. Errors surface in page order, as the head; when
    // the read ends or fails, the pages still in flight are dropped with their errors (the caller
    // closes the client, which abandons them).
    type Settled = { answer: Answer } | { error: unknown };
    const window: Array<Promise<Settled>> = [];
    let ahead = 1;
    const last = Math.min(total ?? Infinity, maxPages);
    const fill = () => {
      while (window.length < spec.concurrency + queued && ahead < last) {
        window.push(fetchPage(nthRequest(p, first, ahead++), cutAt).then(
          (answer): Settled => ({ answer }),
          (error: unknown): Settled => ({ error }),
        ));
      }
    };
    fill();
    let empties = a0.records === 0 ? 1 : 0;
    for (let index = 1; window.length > 0; index++) {
      const head = await window.shift()!;
      if ('error' in head) throw head.error;
      const a = checked(index, head.answer);
      c = cap(a);
      rows += c.count;
      empties = a.records === 0 ? empties + 1 : 0;
      // Without a total an empty page is the end; with it, the pages are counted (an empty page
      // before the total does not end the read), but not forever: a total far beyond the records
      // served (a record count where page-number paging wants pages, or an API whose total counts
      // records it does not serve) asked for every page up to it, 10,641 requests in 8.5 s.
      const emptyRun = total !== undefined && empties >= MAX_EMPTY_PAGES && index + 1 < last ? empties : undefined;
      const end = (a.records === 0 && total === undefined) || stopAfter(index) || index + 1 >= last || emptyRun !== undefined;
      const hasMore = (a.records > 0 || total !== undefined) && index + 1 < (total ?? Infinity);
      const capped = capOf(index, hasMore);
      yield { index, url: a.url, records: c.list, count: c.count, lines: c.lines, more: !end, capped, ...unsure(capped), ...(emptyRun ? { emptyRun, claimedTotal: claimedTotal(p, a0) } : {}) };
      // The pages still in flight are dropped, as at any end.
      if (end) return;
      fill();
    }
    return;
  }

  // A next link or cursor that leads back to a page already read (an API's "self" link, a cursor
  // path naming the current cursor) would page forever, adding the same records again and again.
  // Every request of the read is remembered, as a 16-byte hash (a loop of 70 pages went unnoticed
  // when only the latest 64 were).
  const asked = new Map<string, number>([[digest(requestKey(first)), 0]]);
  let req: PageRequest | undefined = next;
  let empties = a0.records === 0 ? 1 : 0;
  let emptyRun: number | undefined;
  while (req) {
    const key = digest(requestKey(req));
    const before = asked.get(key);
    if (before !== undefined) throw pagingLoop(p, req.index, before, who);
    asked.set(key, req.index);
    const a = checked(req.index, await fetchPage(req, cutAt));
    c = cap(a);
    rows += c.count;
    empties = a.records === 0 ? empties + 1 : 0;
    let following: PageRequest | undefined = nextRequest(p, req, a, total);
    if (following && empties >= MAX_EMPTY_PAGES) {
      // An API that hands out a new cursor with every empty page would be asked forever.
      following = undefined;
      emptyRun = empties;
    }
    const end = !following || stopAfter(req.index);
    const capped = capOf(req.index, following !== undefined);
    const claimed = emptyRun && total !== undefined ? { claimedTotal: claimedTotal(p, a0) } : {};
    yield { index: req.index, url: a.url, records: c.list, count: c.count, lines: c.lines, more: !end, capped, ...unsure(capped), ...(emptyRun ? { emptyRun, ...claimed } : {}) };
    if (end) return;
    req = following;
  }
}

/**
 * Pages with the next one already on its way: the following request goes out as soon as a page
 * has arrived, while the caller writes that page (the generator's own limits still hold: it sends
 * at most `concurrency` requests at a time and stops where it would have stopped). When the caller
 * stops early, the request in flight is awaited and its error, if any, dropped.
 *
 * A page is handed over one event-loop turn after the next request was started: the HTTP client
 * gets to the socket only after a chain of promise steps, and without that turn the caller's
 * synchronous work on the page (JSON to the spool, ~2.5 ms for 1,000 records) ran first and the
 * request left that much later (bench/rest: the read phase of 200k records 1.5–1.6 s → 1.2 s).
 */
export async function* readAhead<T>(pages: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = pages.next();
  // A failure of the read-ahead surfaces when the caller asks for that page, not before.
  next.catch(() => undefined);
  let finished = false;
  try {
    for (;;) {
      const r = await next;
      if (r.done) {
        finished = true;
        return;
      }
      next = pages.next();
      next.catch(() => undefined);
      await nextTurn();
      yield r.value;
    }
  } finally {
    if (!finished) {
      await next.catch(() => undefined);
      await pages.return(undefined);
    }
  }
}

/** The first `n` lines of NDJSON bytes (each ends with a line break). */
function firstLines(bytes: Buffer | undefined, n: number): Buffer | undefined {
  if (!bytes) return undefined;
  let end = 0;
  for (let i = 0; i < n; i++) {
    const at = bytes.indexOf(0x0a, end);
    if (at === -1) return bytes;
    end = at + 1;
  }
  return bytes.subarray(0, end);
}

/**
 * Empty pages in a row after which a read stops although the API points to a next page (a link or
 * cursor), or its total says more pages follow: a run this long is an API that never says it is
 * done, or a total that counts something else, not a sparse stretch of results.
 */
export const MAX_EMPTY_PAGES = 20;

/**
 * A compact fingerprint: the first 16 bytes of a SHA-256, as a 16-character string (one byte a
 * character). The loop checks keep one per page read, so that a million-page read holds tens of
 * MB of them at most, not its URLs or records.
 */
function digest(data: string | Buffer): string {
  return createHash('sha256').update(data).digest().toString('latin1', 0, 16);
}

/** Pages in a row whose records repeat earlier pages, in order, after which a read is a loop. */
export const LOOP_PAGES = 3;

/**
 * An API that serves pages already read again, under a new request each time, is never caught by
 * the request check: a next link or cursor with a new token each time (`?page=1&t=17`), or an API
 * that ignores the page number or offset and answers its first page, with a new request id in the
 * envelope, for every page (28,984 requests in 20 s, until killed). The records of every page are
 * remembered as a 16-byte hash (of the records alone: the envelope around them may change): when
 * LOOP_PAGES pages in a row hold the records of earlier pages in the same order, the API is
 * serving the same pages again. One repeated page is not enough (small pages of equal records).
 */
class RepeatedPages {
  private readonly seen = new Map<string, number>();
  private streak?: { first: number; last: number; pages: number };

  constructor(
    private readonly p: Pagination,
    private readonly who: string,
  ) {}

  see(index: number, a: { records: number; list?: unknown[]; lines?: () => Buffer | undefined }): void {
    if (a.records === 0) return;
    // The records' lines where they could be cut from the answer (every page of a plain records
    // path, parsed or not, gives the same bytes for the same records), else the parsed records.
    const lines = a.lines?.();
    const hash = lines ? digest(lines) : digest(`parsed:${JSON.stringify(a.list ?? [])}`);
    const earlier = this.seen.get(hash);
    if (earlier !== undefined && (this.streak === undefined || earlier === this.streak.last + 1)) {
      this.streak = { first: this.streak?.first ?? earlier, last: earlier, pages: (this.streak?.pages ?? 0) + 1 };
      if (this.streak.pages >= LOOP_PAGES) throw recordsLoop(this.p, index, this.streak, this.who);
    } else this.streak = undefined;
    this.seen.set(hash, index);
  }
}

function recordsLoop(p: Pagination, index: number, streak: { first: number; last: number; pages: number }, who: string): CaudalError {
  const same = `pages ${index + 2 - streak.pages} to ${index + 1} hold the same records as pages ${streak.first + 1} to ${streak.last + 1}`;
  if (p.type === 'page_number' || p.type === 'offset') {
    const param = p.type === 'page_number' ? p.page_param : p.offset_param;
    return new CaudalError('execution', `${who}: ${same}: the API answers the same records whatever "${param}" asks for (it does not seem to take "${param}" as the ${p.type === 'page_number' ? 'page number' : 'offset'}), so paging would never end`, {
      hint: `check ${p.type === 'page_number' ? 'page_param' : 'offset_param'} (the query param the API pages by) against the API's documentation, set pagination to none if it answers everything at once, or set max_pages`,
    });
  }
  const by = p.type === 'cursor' ? 'its cursors lead' : p.type === 'header_link' ? "the Link header's next links lead" : `the links at ${p.next_url_path ?? 'next'} lead`;
  return new CaudalError('execution', `${who}: ${same}: ${by} back to pages already read (with a different link each time), so paging would never end`, {
    hint: 'set max_pages to stop after the pages you need, or check the pagination settings against the API\'s documentation',
  });
}

function pagingLoop(p: Pagination, index: number, before: number, who: string): CaudalError {
  const by = p.type === 'cursor' ? (p.cursor_header ? `the ${p.cursor_header} header's cursor` : `the cursor at ${p.cursor_path ?? 'next_cursor'}`) : p.type === 'header_link' ? "the Link header's next link" : `the link at ${p.next_url_path ?? 'next'}`;
  return new CaudalError('execution', `${who}: page ${index + 1} would be the same request as page ${before + 1}: ${by} leads back to a page already read, so paging would never end`, {
    hint: p.type === 'header_link' ? 'the API sends a next link that points back; set max_pages to stop after the pages you need' : `check that ${p.type === 'cursor' ? 'cursor_path (or cursor_header)' : 'next_url_path'} names the next page's ${p.type === 'cursor' ? 'cursor' : 'link'}, not the current one's; or set max_pages`,
  });
}

/** Page `index` (0-based) answered byte for byte what the page before it did. */
function samePageAgain(p: Pagination, index: number, who: string): CaudalError {
  const why =
    p.type === 'page_number'
      ? `the API does not take "${p.page_param}" as the page number`
      : p.type === 'offset'
        ? `the API does not take "${p.offset_param}" as the offset`
        : p.type === 'cursor'
          ? `the cursor sent as "${p.cursor_param}" did not move the API on`
          : 'its next link did not move the API on';
  const hint =
    p.type === 'cursor'
      ? `check that ${p.cursor_header ? 'cursor_header' : 'cursor_path'} names the next page's cursor and cursor_param the query param the API reads it from`
      : p.type === 'page_number' || p.type === 'offset'
        ? `check ${p.type === 'page_number' ? 'page_param' : 'offset_param'} (the query param the API pages by), or set pagination to none if it answers everything at once`
        : 'set pagination to none if the API answers everything at once, or set max_pages';
  return new CaudalError('execution', `${who}: page ${index + 1} returned exactly what page ${index} returned: ${why}, so the same records would be read again and again`, { hint });
}
