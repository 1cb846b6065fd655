import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SERVICES, serviceUnavailable } from './services.js';

const run = promisify(execFile);

/**
 * Writes Parquet files with pyarrow, the writer behind pandas, for types DuckDB does not write
 * (decimal256, timestamps in nanoseconds with a time zone, INT96). pyarrow lives in the Spark test
 * venv (test/services/up.sh spark). `script` is Python with `pa`, `pq` and `decimal` imported.
 */
export async function pyarrowScript(script: string): Promise<void> {
  const python = SERVICES.sparkPython;
  const program = `import decimal\nimport pyarrow as pa\nimport pyarrow.parquet as pq\n${script}\n`;
  try {
    await run(python, ['-c', program]);
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? '');
    if (/No module named 'pyarrow'|ENOENT/.test(stderr + String(e))) throw serviceUnavailable('spark', python, e);
    throw new Error(`pyarrow script failed: ${stderr || String(e)}`, { cause: e });
  }
}
