import { Cron } from 'croner';

/**
 * A job's cron schedule in its time zone, through croner (maintained; no timer of its own here: the
 * scheduler asks for times and keeps one timer). Five fields, or six with seconds first.
 *
 * DST: an expression whose hour field does not step through every hour (`30 2 * * *`,
 * `15,45 2 * * *`, `15 2,4 * * *`, `0 9-17 * * *`) is a **fixed-time** job: its slots are local
 * wall-clock times, each run once. A time that does not exist on the spring change runs at the end
 * of the gap (03:00 in Europe/Madrid; several such times make one run there), and a time that
 * happens twice in autumn runs at its first occurrence only. Croner alone gives this only for a
 * single hour and minute, so for these the expression is evaluated by croner on local wall-clock
 * time (in UTC, which has no DST) and each wall time is placed in the zone here. Every other
 * expression (hour field `*`) is an **interval** job, croner's own rule in the zone: it skips the
 * gap and runs on both repeated times.
 */
export class CronSchedule {
  private readonly cron: Cron;
  /** Fixed-time: croner on wall-clock time (UTC fields = local fields); null for interval jobs. */
  private readonly wall: Cron | null;

  constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {
    this.cron = new Cron(expression, { timezone, paused: true, mode: '5-or-6-parts' });
    this.wall = isFixedTime(expression) ? new Cron(expression, { timezone: 'UTC', paused: true, mode: '5-or-6-parts' }) : null;
  }

  /** True when the DST rule of fixed-time jobs applies (see the class). */
  get fixedTime(): boolean {
    return this.wall !== null;
  }

  /** The first slot strictly after `t`, or null when the pattern has no more. */
  next(t: number): number | null {
    // croner strips milliseconds and returns the next time strictly after the reference second.
    if (!this.wall) return this.cron.nextRun(new Date(t))?.getTime() ?? null;
    // Wall times map to instants in order (gap → its end, repeated → first occurrence), and a wall
    // time at or before t's own maps at or before t: the answer is the first later wall time whose
    // instant is after t (in a repeated hour's second pass, the first few may not be).
    let wall = this.wall.nextRun(new Date(localWallMs(t, this.timezone)))?.getTime() ?? null;
    for (let i = 0; wall !== null && i < 100_000; i++) {
      const at = instantOfWall(wall, this.timezone);
      if (at > t) return at;
      wall = this.wall.nextRun(new Date(wall))?.getTime() ?? null;
    }
    return null;
  }

  /** The latest slot at or before `t`. */
  latestAtOrBefore(t: number): number | null {
    // croner strips milliseconds and answers strictly before the reference second: the second after t's own.
    if (!this.wall) return this.cron.previousRuns(1, new Date(Math.floor(t / 1000) * 1000 + 1000))[0]?.getTime() ?? null;
    // From a wall time later than any whose instant can be ≤ t (DST shifts are at most a few hours), back.
    let wall = this.wall.previousRuns(1, new Date(localWallMs(t, this.timezone) + 4 * 3600_000))[0]?.getTime() ?? null;
    for (let i = 0; wall !== null && i < 100_000; i++) {
      const at = instantOfWall(wall, this.timezone);
      if (at <= t) return at;
      wall = this.wall.previousRuns(1, new Date(wall))[0]?.getTime() ?? null;
    }
    return null;
  }

  /** Slots in (after, until], at most `cap` of them (a week offline with a per-second cron is a lot). */
  slotsBetween(after: number, until: number, cap = 1000): { slots: number[]; more: boolean } {
    const slots: number[] = [];
    let t = this.next(after);
    while (t !== null && t <= until) {
      if (slots.length === cap) return { slots, more: true };
      slots.push(t);
      t = this.next(t);
    }
    return { slots, more: false };
  }
}

const NICKNAME_HOURS: Record<string, boolean> = { '@yearly': true, '@annually': true, '@monthly': true, '@weekly': true, '@daily': true, '@midnight': true, '@hourly': false };

/**
 * Whether an expression is a fixed-time job: its hour field leaves out some hour. Only the hour
 * field is read (lists, ranges, steps, `*`); croner parses the expression itself. Anything not
 * understood here counts as an interval job (croner's rule).
 */
export function isFixedTime(expression: string): boolean {
  const e = expression.trim().toLowerCase();
  if (e.startsWith('@')) return NICKNAME_HOURS[e] ?? false;
  const fields = e.split(/\s+/);
  const hour = fields.length === 6 ? fields[2] : fields.length === 5 ? fields[1] : undefined;
  if (hour === undefined) return false;
  const hours = new Set<number>();
  for (const part of hour.split(',')) {
    const m = /^(\*|\?|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return false;
    const whole = m[1] === '*' || m[1] === '?';
    const from = whole ? 0 : Number(m[2]);
    const to = whole ? 23 : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? 23 : from;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (step < 1 || from > 23 || to > 23) return false;
    for (let h = from; h <= to; h += step) hours.add(h);
  }
  return hours.size < 24;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's wall clock at instant t, as milliseconds whose UTC fields are the local fields. */
function localWallMs(t: number, timezone: string): number {
  let f = offsetFormats.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    offsetFormats.set(timezone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]));
  const ms = ((t % 1000) + 1000) % 1000;
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + ms;
}

const offsetAt = (t: number, timezone: string) => localWallMs(t, timezone) - t;

/**
 * The instant of a wall-clock time in the zone: the only one, the first of two (autumn), or, for a
 * time in the spring gap, the end of the gap (the change itself).
 */
function instantOfWall(wall: number, timezone: string): number {
  // DST changes are never two within two days: the offsets a day either side are the candidates.
  const before = offsetAt(wall - 86_400_000, timezone);
  const after = offsetAt(wall + 86_400_000, timezone);
  const fits = [wall - before, wall - after].filter((i) => localWallMs(i, timezone) === wall);
  if (fits.length > 0) return Math.min(...fits);
  // In the gap: the change lies between the two readings; find its instant (to the millisecond).
  let lo = wall - Math.max(before, after);
  let hi = wall - Math.min(before, after);
  const offLo = offsetAt(lo, timezone);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid, timezone) === offLo) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** What each cron field takes, for the message of a value out of range. */
const FIELD_RANGES: Record<string, { name: string; range: string }> = {
  second: { name: 'second', range: 'a second is 0–59' },
  minute: { name: 'minute', range: 'a minute is 0–59' },
  hour: { name: 'hour', range: 'an hour is 0–23' },
  day: { name: 'day-of-month', range: 'a day-of-month is 1–31, or L for the last' },
  month: { name: 'month', range: 'a month is 1–12 or JAN–DEC' },
  dayOfWeek: { name: 'day-of-week', range: 'a day-of-week is 0–7 (0 and 7 are Sunday) or SUN–SAT' },
};

/** An error message for a bad cron expression, or null. */
export function cronProblem(expression: string): string | null {
  try {
    new Cron(expression, { paused: true, mode: '5-or-6-parts' });
    return null;
  } catch (e) {
    const message = (e as Error).message.replace(/^CronPattern: /, '');
    // croner counts days of month and months from 0 inside, and says so ("day: -1" for a 0).
    const m = /^Invalid value for (\w+): (-?\d+)$/.exec(message);
    const field = m?.[1] !== undefined ? FIELD_RANGES[m[1]] : undefined;
    if (!m || !field) return message;
    const value = Number(m[2]) + (m[1] === 'day' || m[1] === 'month' ? 1 : 0);
    return `invalid ${field.name}: ${value} (${field.range})`;
  }
}

/** True for an IANA time zone name this Node knows (Europe/Madrid, UTC). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * A time zone as other tools must be given it: Intl reads `europe/madrid` as Europe/Madrid (it
 * ignores case) and a link such as US/Pacific as its zone, but Airflow's pendulum and the tz
 * database files of other systems want the name as the database spells it. Only for names
 * isTimeZone accepts.
 */
export function canonicalTimeZone(tz: string): string {
  return new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
}

/** `YYYY-MM-DD` and local ISO time (with offset) of an instant in a time zone. */
export function localParts(t: number, timezone: string): { date: string; time: string } {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' });
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  const offset = (p.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  const date = `${p.year}-${p.month}-${p.day}`;
  return { date, time: `${date}T${p.hour}:${p.minute}:${p.second}${offset}` };
}
