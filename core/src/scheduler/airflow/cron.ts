/**
 * A job's schedule as Airflow's CronTriggerTimetable reads it (croniter), or why it cannot be one.
 * Caudal's schedules go through croner; the two agree on plain five-field cron (numbers, names,
 * ranges, steps, lists, `?`, `L` as the last day of the month, `15W`, `MON#2`, day of month OR day
 * of week), which passes unchanged. What croner writes another way is translated (nicknames, the
 * last Friday `5L` / `5#L` / `FRI#L`, which croniter writes `L5`); what croniter reads differently
 * or refuses (a DAG file it cannot import) is refused, with what to write instead when there is an
 * equivalent. Checked against the real Airflow by test/airflow-export.test.ts.
 */

export type AirflowCron = { cron: string } | { problem: string; instead?: string };

/** croner's nicknames, as croner defines them (Airflow's own presets agree where they exist). */
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function weekday(text: string): number | null {
  if (/^[0-7]$/.test(text)) return Number(text);
  const i = WEEKDAYS.indexOf(text);
  return i < 0 ? null : i;
}

const ANY = new Set(['*', '?']);

export function airflowCron(expression: string): AirflowCron {
  const text = expression.trim();
  if (text.startsWith('@')) {
    const cron = NICKNAMES[text.toLowerCase()];
    return cron ? { cron } : { problem: `'${expression}' is not a nickname Airflow knows` };
  }
  const fields = text.split(/\s+/);
  if (fields.length === 6) return { problem: `the schedule '${expression}' has seconds; Airflow schedules have five fields`, ...(fields[0] === '0' ? { instead: `write '${fields.slice(1).join(' ')}'` } : {}) };
  if (fields.length !== 5) return { problem: `the schedule '${expression}' is not a five-field cron expression` };
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const dayOfMonth = dom.toUpperCase();
  const dayOfWeek = dow.toUpperCase();
  const weekdayOnly = (d: string) => [minute, hour, '*', month, d].join(' ');

  if (dayOfWeek.startsWith('+'))
    return { problem: `the schedule '${expression}' asks for the day of the month AND the day of the week ('+'), which Airflow's cron cannot express` };

  // Day of week: plain values, or nth (`1#2`) / last (`5L`, `5#L`, `FRI#L`, `5-6#L`) weekdays, never both.
  const items: string[] = [];
  let nth = false;
  let plain = false;
  const written = dow.split(',');
  for (const [i, item] of dayOfWeek.split(',').entries()) {
    const last = /^([0-7]|[A-Z]{3})(?:-([0-7]|[A-Z]{3}))?#?L$/.exec(item);
    const nthOf = /^([0-7]|[A-Z]{3})(?:-([0-7]|[A-Z]{3}))?#([1-5])$/.exec(item);
    const m = last ?? nthOf;
    if (m) {
      nth = true;
      const from = weekday(m[1]!);
      const to = m[2] === undefined ? from : weekday(m[2]);
      if (from === null || to === null || to < from) return { problem: `the schedule '${expression}' has a day of week Airflow cannot read ('${item}')` };
      if (!last && m[2] === undefined) items.push(written[i]!);
      else for (let d = from; d <= to; d++) items.push(last ? `L${d}` : `${d}#${m[3]}`);
    } else {
      if (/[L#]/.test(item)) return { problem: `the schedule '${expression}' has a day of week Airflow cannot read ('${item}')` };
      plain = true;
      items.push(written[i]!);
    }
  }
  if (nth && plain)
    return { problem: `the schedule '${expression}' mixes weekdays with nth or last weekdays in its day of week, which Airflow refuses`, instead: 'use two jobs, one for each kind of day' };
  if (nth && !ANY.has(dayOfMonth))
    return {
      problem: `the schedule '${expression}' combines a day of the month with an nth or last weekday: Caudal runs on either day, Airflow's cron only on the weekday`,
      instead: `write '${weekdayOnly(dow)}' for the weekday alone, or use two jobs`,
    };

  // Day of month `W` (nearest weekday): croniter agrees for a single day up to 28 with no day of week.
  if (dayOfMonth.includes('W')) {
    if (dayOfMonth === 'LW') return { problem: `the schedule '${expression}' runs on the last weekday of the month ('LW'), which Airflow's cron does not have` };
    const w = /^(\d{1,2})W$/.exec(dayOfMonth);
    if (!w) return { problem: `the schedule '${expression}' has a nearest weekday ('W') in a list or range, which Airflow refuses` };
    if (Number(w[1]) > 28) return { problem: `the schedule '${expression}' asks for the weekday nearest to day ${w[1]}: in months without that day Caudal skips it, Airflow's cron does not` };
    if (!ANY.has(dayOfWeek)) return { problem: `the schedule '${expression}' combines a nearest weekday ('W') with a day of week: Caudal runs on either day, Airflow's cron only on the nearest weekday` };
  }
  return { cron: [minute, hour, dom, month, items.join(',')].join(' ') };
}
