/**
 * The Schedules view: a project's jobs (caudal.project.json) with their next run, what runs now and
 * the last outcome; run now, pause and resume; a chart of each job's recent durations and row
 * counts. It reads the scheduler's files through the host (schedules.*) and refreshes every few
 * seconds while open; it works with or without `caudal schedule` running.
 */
import { useCallback, useEffect, useState } from 'react';
import type { MethodOutput, RunRecord } from '../../../../core/src/host-api/contract.js';
import { errorText, host } from '../../host-access.js';
import { useDocument } from '../../store/document.js';
import { useUi } from '../../store/ui.js';
import { HistoryChart } from './HistoryChart.js';
import { durationText, relativeTime, statusOf, whenText } from './schedule-format.js';

type Project = MethodOutput<'schedules.open'>;

const REFRESH_MS = 3000;
const LAST_PROJECT = 'caudal.schedules.project';

function dirOf(file: string | null): string | undefined {
  if (!file) return undefined;
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i > 0 ? file.slice(0, i) : undefined;
}

export function SchedulesView() {
  const close = useUi((s) => s.closeDialog);
  const pipelinePath = useDocument((s) => s.path);
  const [project, setProject] = useState<Project | null>(null);
  const [pathInput, setPathInput] = useState(() => localStorage.getItem(LAST_PROJECT) ?? '');
  const [selected, setSelected] = useState<string | null>(null);
  const [runs, setRuns] = useState<RunRecord[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  // Bumped by every refresh: the selected job's history is read again with it.
  const [refreshes, setRefreshes] = useState(0);

  const load = useCallback(async (file?: string) => {
    try {
      const p = await host()['schedules.open'](file ? { path: file } : { near: dirOf(pipelinePath) });
      setProject(p);
      setPathInput(p.path);
      localStorage.setItem(LAST_PROJECT, p.path);
      setError(null);
      setNow(Date.now());
      setRefreshes((n) => n + 1);
      return p;
    } catch (e) {
      setError(errorText(e));
      return null;
    }
  }, [pipelinePath]);

  useEffect(() => {
    void load(localStorage.getItem(LAST_PROJECT) ?? undefined).then((p) => {
      if (!p && localStorage.getItem(LAST_PROJECT)) void load();
    });
  }, [load]);

  const projectPath = project?.path;
  useEffect(() => {
    if (!projectPath) return;
    const timer = setInterval(() => void load(projectPath), REFRESH_MS);
    return () => clearInterval(timer);
  }, [projectPath, load]);

  const job = project?.jobs.find((j) => j.name === selected) ?? null;
  useEffect(() => {
    if (!projectPath || !selected) return;
    void host()['schedules.history']({ path: projectPath, job: selected, limit: 30 }).then((r) => setRuns(r.runs), (e: unknown) => setError(errorText(e)));
  }, [projectPath, selected, refreshes]);

  const act = async (what: () => Promise<string>) => {
    try {
      setNotice(await what());
      await load(project!.path);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const runNow = (name: string) =>
    act(async () => {
      const r = await host()['schedules.runNow']({ path: project!.path, job: name });
      return r.via === 'scheduler' ? `${name}: asked the scheduler to run it now` : `${name}: started (run ${r.runId})`;
    });
  const setPaused = (name: string, paused: boolean) =>
    act(async () => {
      await host()['schedules.pause']({ path: project!.path, job: name, paused });
      return `${name} ${paused ? 'paused' : 'resumed'}`;
    });

  return (
    <div className="modal-backdrop" onMouseDown={close}>
      <div className="modal wide schedules" role="dialog" aria-label="Schedules" onMouseDown={(e) => e.stopPropagation()}>
        <h2>Schedules</h2>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void load(pathInput.trim() || undefined);
          }}
        >
          <input aria-label="Project file" className="grow" placeholder="…/caudal.project.json" value={pathInput} onChange={(e) => setPathInput(e.target.value)} />
          <button type="submit">Open</button>
        </form>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {notice && <p className="muted small" role="status">{notice}</p>}
        {project && (
          <>
            <p className="small">
              <strong>{project.name}</strong>{' '}
              <span className="muted" data-testid="scheduler-status">
                {project.scheduler ? `scheduler running (pid ${project.scheduler.pid})` : 'no scheduler running — start one with `caudal schedule`'}
              </span>
            </p>
            <table className="jobs" aria-label="Jobs">
              <thead>
                <tr>
                  <th>Job</th>
                  <th>When</th>
                  <th>Next run</th>
                  <th>Status</th>
                  <th>Last run</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {project.jobs.map((j) => {
                  const st = statusOf(j);
                  return (
                    <tr key={j.name} data-job={j.name} className={j.name === selected ? 'selected' : undefined} onClick={() => setSelected(j.name)}>
                      <td title={j.pipeline}>{j.name}</td>
                      <td className="small">{whenText(j)}</td>
                      <td className="small" title={j.nextRunAt ?? ''}>
                        {j.paused ? <span className="badge">paused</span> : relativeTime(j.nextRunAt, now)}
                      </td>
                      <td>
                        <span className={`badge run-${st.tone === 'ok' ? 'ok' : st.tone === 'running' ? 'running' : st.tone === 'failed' ? 'failed' : 'skipped'}`} data-testid="job-status">
                          {st.label}
                        </span>
                      </td>
                      <td className="small" title={j.lastRun?.error?.message ?? ''}>
                        {j.lastRun ? `${relativeTime(j.lastRun.finishedAt, now)} · ${durationText(j.lastRun.elapsedMs)}${j.lastRun.rows === null ? '' : ` · ${j.lastRun.rows.toLocaleString('en-US')} rows`}` : '–'}
                      </td>
                      <td className="actions" onClick={(e) => e.stopPropagation()}>
                        <button onClick={() => void runNow(j.name)} disabled={j.running !== null}>
                          Run now
                        </button>
                        {j.paused ? <button onClick={() => void setPaused(j.name, false)}>Resume</button> : <button onClick={() => void setPaused(j.name, true)}>Pause</button>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {job ? (
              <section aria-label={`History of ${job.name}`}>
                <h3 className="small">
                  {job.name}: last {runs.length} runs {job.lastRun?.error && <span className="error"> — {job.lastRun.error.message}</span>}
                </h3>
                <HistoryChart runs={runs} />
              </section>
            ) : (
              <p className="muted small">Select a job to see the durations and row counts of its runs.</p>
            )}
          </>
        )}
        <div className="modal-actions">
          <button onClick={close}>Close</button>
        </div>
      </div>
    </div>
  );
}
