/** Writes the files derived from the node registry: docs/nodes/*.md and the pipeline JSON Schema. */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generatedFiles } from '../src/docs/node-docs.js';
import { pipelineJsonSchemaText } from '../src/docs/json-schema.js';
import { packageRoot } from '../src/util/package-root.js';

const root = packageRoot();
const files = generatedFiles();
files.set('resources/schema/pipeline.schema.json', pipelineJsonSchemaText());
// Pages of node types that no longer exist must go too.
for (const f of await readdir(path.join(root, 'docs/nodes')).catch(() => [])) {
  if (!files.has(`docs/nodes/${f}`)) await rm(path.join(root, 'docs/nodes', f));
}
for (const [rel, content] of files) {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), content);
}
console.log(`wrote ${files.size} generated files`);
