/**
 * Work on one file, one after the other within this process: a step that reads a file and then
 * writes it (a save's hash check and write, a list read and written back, a lock taken around a
 * change) must not interleave with another such step on the same file, or one of them is lost.
 * Saves: two saves of one file at once (two tabs, a double click) would both pass the check and the
 * second would silently discard the first; in turn, the second sees the first's file and is refused
 * as changed on disk. Other processes are kept apart by lock files where that matters.
 */
export class WriteQueue {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(file: string, write: () => Promise<T>): Promise<T> {
    const before = this.tails.get(file) ?? Promise.resolve();
    const result = before.then(write);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(file, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(file) === tail) this.tails.delete(file);
    }
  }
}
