import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HostClient } from '../../../core/src/host-api/contract.js';
import { setHost } from '../host-access.js';
import { useDocument } from '../store/document.js';
import { previewKey, useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { chain, TYPES } from '../store/test-fixtures.js';
import type { Pipeline, PreviewData, Problem } from '../model/types.js';
import { watchDocument } from './check.js';
import { watchPreview } from './preview.js';

/**
 * A host whose answers depend on where the pipeline file is, as relative paths do: `a.csv` exists
 * next to /srv/pipelines/old/p.json and not next to /srv/pipelines/new/p.json.
 */
function hostByFolder() {
  const found = (path: string | null | undefined) => path?.startsWith('/srv/pipelines/old/') === true;
  const missing: Problem = { code: 'file_not_found', path: 'nodes[0].params.path', nodeId: 'a', message: "no file matches 'a.csv'" };
  const calls = { schemas: [] as Array<string | null | undefined>, previews: [] as Array<string | null | undefined> };
  const client = {
    'pipeline.schemas': async ({ path }: { path?: string | null }) => {
      calls.schemas.push(path);
      return { nodes: [], problems: found(path) ? [] : [missing] };
    },
    'preview.node': async ({ path, nodeId, port }: { path?: string | null; nodeId: string; port?: string }) => {
      calls.previews.push(path);
      if (!found(path)) throw { error: { message: "no file matches 'a.csv'", problems: [missing] } };
      const data: PreviewData = { nodeId, port: port ?? 'out', columns: [{ name: 'x', type: 'INTEGER' }], rows: [{ x: 1 }], sampled: false, elapsedMs: 1, sql: '' };
      return data;
    },
  };
  return { client: client as unknown as HostClient, calls };
}

/** Lets scheduled checks and previews run and their answers arrive. */
const settle = async () => {
  await vi.advanceTimersByTimeAsync(1000);
};

describe('after Save as into another folder, problems and previews are those of the new place', () => {
  let stop: Array<() => void> = [];
  beforeEach(() => {
    vi.useFakeTimers();
    useResults.getState().reset();
    useResults.getState().setNodeTypes([...TYPES.values()]);
    useUi.getState().select([]);
  });
  afterEach(() => {
    for (const s of stop) s();
    stop = [];
    vi.useRealTimers();
  });

  const open = (doc: Pipeline, path: string) => useDocument.getState().load(doc, path);

  it('the check runs again for the new path: "valid" becomes the problem the new folder has, and back', async () => {
    const { client, calls } = hostByFolder();
    setHost(client);
    stop.push(watchDocument());
    open(chain(), '/srv/pipelines/old/p.json');
    await settle();
    expect(useResults.getState().problems).toEqual([]);

    useDocument.getState().markSaved('/srv/pipelines/new/p.json');
    await settle();
    expect(calls.schemas.at(-1)).toBe('/srv/pipelines/new/p.json');
    expect(useResults.getState().problems.map((p) => p.message)).toEqual(["no file matches 'a.csv'"]);
    expect(Object.keys(useResults.getState().problemsByNode)).toEqual(['a']);

    useDocument.getState().markSaved('/srv/pipelines/old/copy.json');
    await settle();
    expect(useResults.getState().problems).toEqual([]);
  });

  it('saving to the same file checks nothing again', async () => {
    const { client, calls } = hostByFolder();
    setHost(client);
    stop.push(watchDocument());
    open(chain(), '/srv/pipelines/old/p.json');
    await settle();
    const before = calls.schemas.length;
    useDocument.getState().markSaved('/srv/pipelines/old/p.json');
    await settle();
    expect(calls.schemas.length).toBe(before);
  });

  it('the rows read from the old folder are dropped, and the selected node is previewed from the new one', async () => {
    const { client, calls } = hostByFolder();
    setHost(client);
    stop.push(watchPreview());
    open(chain(), '/srv/pipelines/old/p.json');
    useUi.getState().select(['a']);
    await settle();
    expect(useResults.getState().previews[previewKey('a', 'out')]).toMatchObject({ status: 'ready' });

    useDocument.getState().markSaved('/srv/pipelines/new/p.json');
    await settle();
    expect(calls.previews.at(-1)).toBe('/srv/pipelines/new/p.json');
    expect(useResults.getState().previews[previewKey('a', 'out')]).toMatchObject({ status: 'error', error: "no file matches 'a.csv'" });
  });

  it('a preview asked for before the Save as does not land after it', async () => {
    let answer: (v: PreviewData) => void = () => undefined;
    const slow = {
      'preview.node': ({ nodeId }: { nodeId: string }) =>
        nodeId === 'b' ? new Promise<PreviewData>((resolve) => (answer = resolve)) : Promise.reject({ error: { message: 'not selected' } }),
    };
    setHost(slow as unknown as HostClient);
    stop.push(watchPreview());
    open(chain(), '/srv/pipelines/old/p.json');
    useUi.getState().select(['b']);
    await vi.advanceTimersByTimeAsync(0);
    useUi.getState().select([]);
    useDocument.getState().markSaved('/srv/pipelines/new/p.json');
    await settle();
    answer({ nodeId: 'b', port: 'out', columns: [], rows: [{ x: 1 }], sampled: false, elapsedMs: 1, sql: '' });
    await settle();
    expect(useResults.getState().previews[previewKey('b', 'out')]).toBeUndefined();
  });
});
