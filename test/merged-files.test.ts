import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConnectionsFile } from '../core/src/connections/file.js';
import { parseRulesFile } from '../core/src/nodes/transform.rules/rules-file.js';
import { parseProject } from '../core/src/scheduler/load-project.js';
import { duplicateKeys } from '../core/src/model/json-syntax.js';
import { parsePipelineText } from '../core/src/model/load.js';

/** What a merge leaves when both sides' lines are kept: the same key twice in one object. */
const merged = [
  '{',
  '  "format": "caudal.pipeline/1",',
  '  "name": "orders",',
  '  "nodes": [',
  '    { "id": "src", "type": "source.csv", "params": {',
  '      "path": "data/orders_2024.csv",',
  '      "path": "data/orders_2025.csv"',
  '    } }',
  '  ],',
  '  "edges": []',
  '}',
].join('\n');

describe('duplicateKeys', () => {
  it('finds a key written twice in one object, with both lines and the object path', () => {
    expect(duplicateKeys(merged)).toEqual([{ key: 'path', objectPath: ['nodes', 0, 'params'], firstLine: 6, line: 7, column: 7 }]);
  });

  it('does not confuse the same key in different objects, nested or side by side', () => {
    expect(duplicateKeys('{"a":{"id":1},"b":{"id":2,"c":{"id":3}},"id":4,"list":[{"id":5},{"id":6}]}')).toEqual([]);
  });

  it('finds repeats at the top level and after a nested object closed', () => {
    expect(duplicateKeys('{"name":"x","inner":{"name":"y"},"name":"z"}').map((d) => [d.key, d.objectPath])).toEqual([['name', []]]);
  });
});

describe('a key written twice is refused, never resolved silently', () => {
  it('in a pipeline file: a problem at the key, with both lines, and no values quoted', () => {
    const loaded = parsePipelineText(merged, 'orders.json');
    expect(loaded.pipeline).toBeUndefined();
    expect(loaded.problems).toEqual([
      {
        code: 'invalid_json',
        path: 'nodes[0].params.path',
        message: 'orders.json: key "path" appears twice in nodes[0].params (lines 6 and 7): JSON keeps only the last, so the first would be ignored',
        hint: 'keep the one you mean and remove the other (a merge often leaves both)',
      },
    ]);
  });

  it('in a project file, a connections file and a rules file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-dup-'));
    const project = '{"format":"caudal.project/1","name":"shop",\n"jobs":{"a":{"pipeline":"a.json","schedule":"0 6 * * *",\n"schedule":"0 7 * * *"}}}';
    expect(() => parseProject(project, path.join(dir, 'caudal.project.json'))).toThrow('key "schedule" appears twice in jobs.a (lines 2 and 3)');
    const connections = path.join(dir, 'connections.json');
    await writeFile(connections, '{"format":"caudal.connections/1","connections":{"wh":{"type":"postgres",\n"host":"db-test",\n"host":"db-prod"}}}');
    await expect(readConnectionsFile(connections)).rejects.toThrow('key "host" appears twice in connections.wh (lines 2 and 3)');
    expect(() => parseRulesFile('[{"name":"vip","condition":"amount > 100",\n"condition":"amount > 1000","tag":"vip"}]', 'rules.json')).toThrow(
      expect.objectContaining({ problems: [expect.objectContaining({ message: expect.stringContaining('key "condition" appears twice in [0] (lines 1 and 2)') })] }),
    );
  });
});

describe('a merge left undone', () => {
  it('is named as a merge conflict, with the line of its first marker', () => {
    const text = merged.replace('      "path": "data/orders_2024.csv",\n      "path": "data/orders_2025.csv"', '<<<<<<< HEAD\n      "path": "data/orders_2024.csv"\n=======\n      "path": "data/orders_2025.csv"\n>>>>>>> feature/2025');
    expect(parsePipelineText(text, 'orders.json').problems).toEqual([
      expect.objectContaining({ message: 'orders.json has an unresolved merge conflict (a conflict marker at line 6)', hint: expect.stringContaining('resolve the conflict in git') }),
    ]);
  });
});
