import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepStagedDestinations } from '../core/src/engine/commit/destination-sweep.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { ownerTag, self } from '../core/src/util/owner.js';
import { pipeline } from './support/pipeline.js';

/**
 * `caudal doctor <pipeline>` / `caudal clean <pipeline>` and Elasticsearch: a run killed while it
 * loaded its work index leaves a full-size index that no journal names. The pipeline's sinks are
 * looked at over the wire (a node:http server standing in for the cluster: no cluster runs here).
 */
const dead = ownerTag({ host: self.host, pid: spawnSync('true').pid! });
const indices: Record<string, { aliases: Record<string, unknown> }> = {
  [`customers-caudal-load-20261201t000000-abcd1234-${dead}`]: { aliases: {} },
  [`customers-caudal-load-20261201t000000-live0000-${ownerTag()}`]: { aliases: {} },
  [`customers-caudal-load-20261130t000000-swapped0-${dead}`]: { aliases: { customers: {} } },
};
const deleted: string[] = [];
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const name = decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1));
    res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
    if (req.method === 'GET' && name === 'customers-caudal-*') return res.end(JSON.stringify(indices));
    if (req.method === 'DELETE') {
      deleted.push(name);
      return res.end(JSON.stringify({ acknowledged: true }));
    }
    res.end('{}');
  });
});

let connection: (name: string) => Promise<ResolvedConnection | undefined>;
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  connection = async (name) => (name === 'search' ? { name, type: 'elasticsearch', config: { url } } : undefined);
});
afterAll(() => new Promise((r) => server.close(r)));

const doc = pipeline(
  [
    { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
    { id: 'es', type: 'sink.elasticsearch', params: { connection: 'search', index: 'customers', mode: 'replace', id_columns: ['id'] } },
  ],
  ['src -> es'],
  { connections: { search: { type: 'elasticsearch' } } },
);

describe('doctor and clean with a pipeline look in its Elasticsearch clusters', () => {
  it('doctor lists the work index of a killed run (not a live run\'s, not one an alias points at) and removes nothing', async () => {
    const r = await sweepStagedDestinations(doc, connection, false);
    expect(r).toEqual({ found: [`elasticsearch index customers-caudal-load-20261201t000000-abcd1234-${dead} (node 'es')`], problems: [] });
    expect(deleted).toEqual([]);
  });

  it('clean deletes it', async () => {
    const r = await sweepStagedDestinations(doc, connection, true);
    expect(r.found).toHaveLength(1);
    expect(deleted).toEqual([`customers-caudal-load-20261201t000000-abcd1234-${dead}`]);
  });
});
