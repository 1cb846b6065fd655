import { Cron } from 'croner';

/**
 * A job's cron schedule in its time zone, through croner (maintained, time zone and DST aware, no
 * timer of its own here: the scheduler asks for times and keeps one timer). DST follows croner's
 * rules: a fixed-time job (`30 2 * * *`) whose time falls in the spring gap runs at the first time
 * after it, and once when the time repeats in autumn; an interval job (`*\/30 * * * *`) skips the
 * gap and runs on both repeated times. Five fields, or six with seconds first.
 */
export class CronSchedule {
  private readonly cron: Cron;

  constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {
    this.cron = new Cron(expression, { timezone, paused: true, mode: '5-or-6-parts' });
  }

  /** The first slot strictly after `t`, or null when the pattern has no more. */
  next(t: number): number | null {
    // croner strips milliseconds and returns the next time strictly after the reference second.
    return this.cron.nextRun(new Date(t))?.getTime() ?? null;
  }

  /** The latest slot at or before `t`. */
  latestAtOrBefore(t: number): number | null {
    return this.cron.previousRuns(1, new Date(t + 1000))[0]?.getTime() ?? null;
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

/** An error message for a bad cron expression, or null. */
export function cronProblem(expression: string): string | null {
  try {
    new Cron(expression, { paused: true, mode: '5-or-6-parts' });
    return null;
  } catch (e) {
    return (e as Error).message.replace(/^CronPattern: /, '');
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

/** `YYYY-MM-DD` and local ISO time (with offset) of an instant in a time zone. */
export function localParts(t: number, timezone: string): { date: string; time: string } {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' });
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  const offset = (p.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  const date = `${p.year}-${p.month}-${p.day}`;
  return { date, time: `${date}T${p.hour}:${p.minute}:${p.second}${offset}` };
}
