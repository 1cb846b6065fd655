import { describe, expect, it } from 'vitest';
import { readAhead } from './read.js';

/** A page source that records when each page was asked for, relative to what the reader did. */
function source(pages: number, log: string[], failAt?: number) {
  return (async function* () {
    for (let i = 0; i < pages; i++) {
      log.push(`request ${i}`);
      await new Promise((r) => setTimeout(r, 5));
      if (i === failAt) throw new Error(`page ${i} failed`);
      yield i;
    }
  })();
}

describe('readAhead: the next page travels while the reader writes the current one', () => {
  it('asks for page n+1 before the reader is done with page n, and yields every page in order', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    for await (const page of readAhead(source(3, log))) {
      log.push(`write ${page}`);
      await new Promise((r) => setTimeout(r, 20));
      seen.push(page);
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(log).toEqual(['request 0', 'request 1', 'write 0', 'request 2', 'write 1', 'write 2']);
  });

  it('the next request is on its way before the reader gets the current page, even when sending takes many promise steps', async () => {
    const log: string[] = [];
    // Like an HTTP client: the request reaches the socket after a chain of promise steps and a tick.
    const pages = (async function* () {
      for (let i = 0; i < 3; i++) {
        for (let hop = 0; hop < 20; hop++) await Promise.resolve();
        await new Promise((r) => process.nextTick(r));
        log.push(`sent ${i}`);
        await new Promise((r) => setTimeout(r, 5));
        yield i;
      }
    })();
    for await (const page of readAhead(pages)) log.push(`write ${page}`);
    expect(log).toEqual(['sent 0', 'sent 1', 'write 0', 'sent 2', 'write 1', 'write 2']);
  });

  it('a failure of the page read ahead surfaces when the reader gets to it, not before', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const page of readAhead(source(3, log, 1))) seen.push(page);
      })(),
    ).rejects.toThrow('page 1 failed');
    expect(seen).toEqual([0]);
  });

  it('a reader that stops early leaves no request behind and ends the source', async () => {
    const log: string[] = [];
    const pages = source(5, log);
    for await (const page of readAhead(pages)) if (page === 1) break;
    expect(log).toEqual(['request 0', 'request 1', 'request 2']);
    expect(await pages.next()).toEqual({ done: true, value: undefined });
  });
});
