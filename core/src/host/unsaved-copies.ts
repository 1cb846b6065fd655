import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { unsavedCopySchema, type UnsavedCopy } from '../host-api/contract.js';
import { isDeadTempName, writeFileAtomic } from '../util/atomic-write.js';

/**
 * Copies of documents with unsaved edits, so that edits survive a studio that crashes, is killed
 * or loses its machine: the studio keeps one per open document a moment after each edit, drops it
 * once the document is saved or its edits are discarded, and at its next start offers what is
 * left. One file per document in `<userDataDir>/unsaved/`, named by a hash of the studio's key for
 * it in its session (`file:<session>:<path>`, or one per new document), written whole. Pipeline documents hold no secrets
 * (connections are referred to by name), so nothing secret is kept.
 */
export class UnsavedCopies {
  readonly dir: string;

  constructor(userDataDir: string) {
    this.dir = path.join(userDataDir, 'unsaved');
  }

  private file(key: string): string {
    return path.join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`);
  }

  async keep(copy: Omit<UnsavedCopy, 'at'>, now = new Date()): Promise<void> {
    const kept: UnsavedCopy = { ...copy, at: now.toISOString() };
    await writeFileAtomic(this.file(copy.key), JSON.stringify(kept) + '\n', { mode: 0o600 });
  }

  /** Every copy kept, newest first. A file that does not read as one is skipped, not removed. */
  async list(): Promise<UnsavedCopy[]> {
    const copies: UnsavedCopy[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      // What a studio killed while keeping a copy left: removed here, as nothing writes it again.
      if (isDeadTempName(name)) await rm(path.join(this.dir, name), { force: true });
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      try {
        const parsed = unsavedCopySchema.safeParse(JSON.parse(await readFile(path.join(this.dir, name), 'utf8')));
        if (parsed.success) copies.push(parsed.data);
      } catch {
        // unreadable or half a file from before writes were whole: not offered
      }
    }
    return copies.sort((a, b) => b.at.localeCompare(a.at));
  }

  async drop(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}
