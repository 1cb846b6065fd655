/** What an alert says, whatever the channel (webhook JSON body, email text). */
export interface Alert {
  /** failure: the run failed for good (after its retries) or timed out; quality: score below the job's threshold; duration: still running past its expected duration. */
  kind: 'failure' | 'quality' | 'duration';
  project: string;
  job: string;
  runId: string;
  pipeline: string;
  /** A sentence for people. */
  message: string;
  /** The run's status when it finished (absent for duration alerts, sent while it runs). */
  status?: string;
  error?: { kind: string; message: string; hint?: string };
  qualityScore?: number | null;
  threshold?: number;
  elapsedMs?: number;
  expectedMs?: number;
  attempt: number;
  startedAt: string;
  /** The run's folder: run.json, events.jsonl, quality.html. */
  runDir: string;
  host: string;
  at: string;
}

/** Sends an alert to the named channels; failures are logged, never thrown. */
export type AlertNotifier = (alert: Alert, channels: readonly string[]) => Promise<void>;
