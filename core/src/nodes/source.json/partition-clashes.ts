import { stringLiteral } from '../../compiler/sql.js';
import type { Column } from '../define.js';
import { fileLiteral } from '../shared/exact-file.js';
import { checkEveryPartitionClash } from '../source.parquet/partition-clashes.js';

/**
 * Refuses a JSON file holding a key named like one of its folder keys, over every file of the read
 * (also source.s3's objects, once downloaded): one detection over all the files combined by name,
 * then the suspect files' own keys. `args` are the read's named arguments without partitions.
 */
export async function checkJsonPartitionClashes(
  describe: (sql: string) => Promise<Column[]>,
  opts: { nodeId: string; hive: boolean | 'auto'; pattern: string; files: readonly string[] | undefined; args: string },
): Promise<void> {
  const more = opts.args ? `, ${opts.args}` : '';
  await checkEveryPartitionClash({
    nodeId: opts.nodeId,
    hive: opts.hive,
    files: opts.files,
    allColumns: async () => (await describe(`SELECT * FROM read_json(${stringLiteral(opts.pattern)}${more}, union_by_name := true)`)).map((c) => c.name),
    ownColumns: async (file) => (await describe(`SELECT * FROM read_json(${fileLiteral(file)}${more})`)).map((c) => c.name),
  });
}
