import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { renderQualityHtml } from './report-html.js';
import type { RunQualitySummary } from './types.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export interface QualityReport extends Omit<RunQualitySummary, 'artifacts'> {
  runId: string;
  pipeline: string;
}

/** Writes `quality.json` and `quality.html` into the run's artifacts folder, each by temp file + rename. */
export async function writeQualityArtifacts(dir: string, report: QualityReport): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, 'quality.json');
  const html = path.join(dir, 'quality.html');
  const doc = { format: 'caudal.quality/1', generatedAt: new Date().toISOString(), ...report };
  await writeFileAtomic(json, JSON.stringify(doc, null, 2) + '\n');
  await writeFileAtomic(html, renderQualityHtml(doc));
  return { json, html };
}
