import { localParts } from './cron.js';

const PLACEHOLDER = /\{(scheduled_date|scheduled_time)\}/g;

/**
 * A job's params for one run: `{scheduled_date}` and `{scheduled_time}` inside string values become
 * the slot the run is for (the start time for runs without a slot), in the job's time zone.
 */
export function expandParams(params: Record<string, string | number | boolean>, slot: number, timezone: string): Record<string, string> {
  const { date, time } = localParts(slot, timezone);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) out[k] = typeof v === 'string' ? v.replace(PLACEHOLDER, (_m, name: string) => (name === 'scheduled_date' ? date : time)) : String(v);
  return out;
}

export const PARAM_PLACEHOLDERS = ['scheduled_date', 'scheduled_time'] as const;
