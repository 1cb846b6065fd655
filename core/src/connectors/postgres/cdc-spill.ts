import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Change } from './cdc.js';

/**
 * A transaction's changes arrive one by one and may be delivered only once its commit came. A bulk
 * UPDATE of millions of rows is one transaction: held in memory it took gigabytes and ended the
 * engine worker, at the same place on every run. Past SPILL_AT changes a transaction goes to a file
 * instead (one JSON change per line), read back when a batch takes it.
 */
export const SPILL_AT = 20_000;

/** A committed transaction kept on disk: its changes, in order, all with the commit's position. */
export interface SpilledTransaction {
  op: 'spilled';
  /** The commit's end position, as every change of the transaction has it. */
  lsn: string;
  file: string;
  count: number;
  /** Every column any of its changes had (the plan's columns must cover them). */
  columns: readonly string[];
}

type Stored = Pick<Change, 'op' | 'commitTime' | 'values'>;

export class TransactionSpill {
  private count = 0;
  private readonly columns = new Set<string>();

  private constructor(
    private readonly file: string,
    private readonly out: WriteStream,
  ) {}

  static async create(dir: string, seq: number): Promise<TransactionSpill> {
    const file = path.join(dir, `transaction-${seq}.ndjson`);
    const out = createWriteStream(file);
    await once(out, 'open');
    return new TransactionSpill(file, out);
  }

  async write(c: Change): Promise<void> {
    for (const name of c.columns) this.columns.add(name);
    this.count++;
    const line = JSON.stringify({ op: c.op, commitTime: c.commitTime, values: c.values } satisfies Stored);
    if (!this.out.write(line + '\n')) await once(this.out, 'drain');
  }

  async finish(lsn: string): Promise<SpilledTransaction> {
    this.out.end();
    await once(this.out, 'finish');
    return { op: 'spilled', lsn, file: this.file, count: this.count, columns: [...this.columns] };
  }

  /** A transaction that stops the capture (or a session that closes) keeps nothing. */
  async discard(): Promise<void> {
    this.out.destroy();
    await rm(this.file, { force: true });
  }
}

/** The changes of a spilled transaction, in order; the file is removed once they are all read. */
export async function* spilledChanges(t: SpilledTransaction): AsyncGenerator<Change> {
  const lines = createInterface({ input: createReadStream(t.file), crlfDelay: Infinity });
  for await (const line of lines) {
    const c = JSON.parse(line) as Stored;
    yield { ...c, lsn: t.lsn, columns: t.columns };
  }
  await rm(t.file, { force: true });
}
