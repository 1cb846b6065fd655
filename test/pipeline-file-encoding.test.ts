import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipelineFile } from '../core/src/model/load.js';
import { tempDir } from './support/pipeline.js';

/** A pipeline file is UTF-8; one saved in another encoding is named as such, not misread. */
describe('a pipeline file in another encoding than UTF-8', () => {
  const doc = (name: string) => `{\n  "format": "caudal.pipeline/1",\n  "name": "${name}",\n  "nodes": [],\n  "edges": []\n}\n`;

  it('UTF-16 (with or without its byte-order mark) is refused, saying to save it as UTF-8', async () => {
    const dir = await tempDir();
    for (const [file, bytes] of [
      ['bom.json', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc('x'), 'utf16le')])],
      ['plain.json', Buffer.from(doc('x'), 'utf16le')],
    ] as const) {
      await writeFile(path.join(dir, file), bytes);
      const loaded = await loadPipelineFile(path.join(dir, file));
      expect(loaded.pipeline).toBeUndefined();
      expect(loaded.problems).toEqual([expect.objectContaining({ message: `${path.join(dir, file)} is UTF-16 text, not UTF-8`, hint: expect.stringContaining('save it as UTF-8') })]);
    }
  });

  it('Latin-1 is refused naming the byte and its line, instead of loading é as U+FFFD', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'latin1.json'), Buffer.from(doc('Commandes payées'), 'latin1'));
    const loaded = await loadPipelineFile(path.join(dir, 'latin1.json'));
    expect(loaded.pipeline).toBeUndefined();
    expect(loaded.problems).toEqual([expect.objectContaining({ message: `${path.join(dir, 'latin1.json')} is not UTF-8: byte 0xE9 on line 3 is no UTF-8 character (a file saved as Latin-1 or Windows-1252?)` })]);
  });

  it('UTF-8, with or without a byte-order mark, loads', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'ok.json'), '\uFEFF' + doc('Commandes payées'));
    expect((await loadPipelineFile(path.join(dir, 'ok.json'))).pipeline?.name).toBe('Commandes payées');
  });
});
