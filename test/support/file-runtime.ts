import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Each test file gets a runtime folder of its own (commit journals, run locks), inside the session's
 * temp folder (global-setup.ts), which is removed after the session. Every run starts by recovering
 * what other runs left in that folder and says so: with one folder for the session, a file that
 * leaves a run on purpose for recovery (redis-hostile: "could not put everything back") made runs of
 * files side by side warn about it, and their "no warnings" checks failed (CI of 2026-12-07).
 * A file may still set its own (worker-crash, run-id-in-use); CLI children inherit the file's.
 */
process.env.CAUDAL_RUNTIME_DIR = mkdtempSync(path.join(os.tmpdir(), 'caudal-runtime-'));
