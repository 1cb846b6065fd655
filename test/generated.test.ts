import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../core/src/docs/node-docs.js';
import { pipelineJsonSchemaText } from '../core/src/docs/json-schema.js';
import { nodeDefinitions } from '../core/src/nodes/index.js';
import { packageRoot } from '../core/src/util/package-root.js';

const root = packageRoot();
const stale = 'is stale: run `npm run gen` and commit the result';

describe('files generated from the node registry', () => {
  it('the JSON Schema in resources/schema is up to date', async () => {
    const onDisk = await readFile(path.join(root, 'resources/schema/pipeline.schema.json'), 'utf8');
    expect(onDisk, `resources/schema/pipeline.schema.json ${stale}`).toBe(pipelineJsonSchemaText());
  });

  it.each([...generatedFiles().entries()])('%s is up to date', async (rel, content) => {
    const onDisk = await readFile(path.join(root, rel), 'utf8').catch(() => '(missing)');
    expect(onDisk, `${rel} ${stale}`).toBe(content);
  });

  it('every node type documents itself with an example that passes its own schema', () => {
    for (const def of nodeDefinitions) {
      expect(def.docs.length, def.type).toBeGreaterThan(40);
      expect(def.params.safeParse(def.example.params).success, `${def.type} example`).toBe(true);
      expect(def.type).toMatch(new RegExp(`^${def.category}\\.`));
    }
  });

  it('every param carries UI metadata (a label) for the form generator', () => {
    for (const def of nodeDefinitions) {
      const shape = (def.params as unknown as { shape?: Record<string, { meta(): { label?: string } | undefined }> }).shape ?? {};
      for (const [name, field] of Object.entries(shape)) expect(field.meta()?.label, `${def.type}.${name}`).toBeTruthy();
    }
  });
});
