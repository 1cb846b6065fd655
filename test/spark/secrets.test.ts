import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const job = path.resolve('resources/spark');

/**
 * The Spark job reports a failure by the JVM exception's own message, which a JDBC driver may fill
 * with its connection string: the values of the CAUDAL_SECRET_* variables it was given never leave
 * the job, in the run's error or in any event it prints.
 */
describe('the Spark job never prints a secret it was given', () => {
  it('replaces the value of every CAUDAL_SECRET_* variable in messages and events', async () => {
    const script = [
      'import sys',
      `sys.path.insert(0, ${JSON.stringify(job)})`,
      'import caudal_spark as c',
      "print(c.without_secrets('jdbc:sqlserver://db;password=Tr0ub4dor&3;user=sa failed'))",
      "c.emit({'type': 'warning', 'message': 'could not drop: login Tr0ub4dor&3 refused', 'n': 1})",
      "print(c.without_secrets('a short value abc is kept'))",
    ].join('\n');
    const { stdout } = await run('python3', ['-c', script], { env: { ...process.env, CAUDAL_SECRET_ERP_PASSWORD: 'Tr0ub4dor&3', CAUDAL_SECRET_X_TOKEN: 'abc' } });
    const [error, event, short] = stdout.trim().split('\n');
    expect(error).toBe('jdbc:sqlserver://db;password=***;user=sa failed');
    expect(JSON.parse(event!)).toEqual({ type: 'warning', message: 'could not drop: login *** refused', n: 1 });
    // Values under four characters would blank common words; they are too short to be real secrets.
    expect(short).toBe('a short value abc is kept');
    expect(stdout).not.toContain('Tr0ub4dor&3');
  });
});
