import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { WriteQueue } from '../util/file-turns.js';

export interface RecentFile {
  path: string;
  name: string;
  at: string;
}

const MAX_RECENT = 15;

/** The recently opened or saved pipelines, kept in `<userDataDir>/recent.json`. */
export class RecentFiles {
  private readonly file: string;
  private readonly writes = new WriteQueue();
  constructor(userDataDir: string) {
    this.file = path.join(userDataDir, 'recent.json');
  }

  async list(): Promise<RecentFile[]> {
    let items: RecentFile[];
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { files?: RecentFile[] };
      items = Array.isArray(parsed.files) ? parsed.files : [];
    } catch {
      items = [];
    }
    return items.filter((f) => typeof f.path === 'string' && existsSync(f.path));
  }

  /** One touch at a time: each reads the list and writes it back, so two at once would lose one of them. */
  async touch(file: string, name: string): Promise<void> {
    await this.writes.run(this.file, async () => {
      const rest = (await this.list()).filter((f) => f.path !== file);
      const files = [{ path: file, name, at: new Date().toISOString() }, ...rest].slice(0, MAX_RECENT);
      await writeFileAtomic(this.file, JSON.stringify({ files }, null, 2) + '\n');
    });
  }
}
