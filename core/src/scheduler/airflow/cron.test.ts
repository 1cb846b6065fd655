import { describe, expect, it } from 'vitest';
import { CronSchedule } from '../cron.js';
import { airflowCron } from './cron.js';

const cronOf = (e: string) => {
  const read = airflowCron(e);
  if (!('cron' in read)) throw new Error(`refused: ${read.problem}`);
  return read.cron;
};
const problemOf = (e: string) => {
  const read = airflowCron(e);
  if (!('problem' in read)) throw new Error(`accepted as ${read.cron}`);
  return read;
};

describe("a job's schedule for Airflow's CronTriggerTimetable", () => {
  it('passes plain five-field cron through unchanged', () => {
    for (const e of ['0 6 * * *', '*/15 * * * *', '0 0 L * *', '0 0 15W * *', '0 0 * * MON#2', '0 0 * * 0#1,1#3', '0 0 1 * 1', '0 0 1-5 * MON-FRI', '0 0 ? * 1#1', '30 2 * JAN,JUL 7']) expect(cronOf(e)).toBe(e);
  });

  it('writes the nicknames Caudal knows as the five fields croner gives them (Airflow has no @midnight or @annually)', () => {
    expect(cronOf('@daily')).toBe('0 0 * * *');
    expect(cronOf('@midnight')).toBe('0 0 * * *');
    expect(cronOf('@hourly')).toBe('0 * * * *');
    expect(cronOf('@weekly')).toBe('0 0 * * 0');
    expect(cronOf('@monthly')).toBe('0 0 1 * *');
    expect(cronOf('@yearly')).toBe('0 0 1 1 *');
    expect(cronOf('@annually')).toBe('0 0 1 1 *');
    expect(cronOf(' @DAILY ')).toBe('0 0 * * *');
  });

  it("writes the last weekday of the month (croner's 5L, 5#L, FRI#L, 5-6#L) as Airflow's L5", () => {
    expect(cronOf('0 0 * * 5L')).toBe('0 0 * * L5');
    expect(cronOf('0 0 * * 5#L')).toBe('0 0 * * L5');
    expect(cronOf('0 0 * * fri#l')).toBe('0 0 * * L5');
    expect(cronOf('0 0 * * FRIL')).toBe('0 0 * * L5');
    expect(cronOf('0 0 ? * 5-6#L')).toBe('0 0 ? * L5,L6');
    expect(cronOf('0 0 * * 1#1,5L')).toBe('0 0 * * 1#1,L5');
    expect(cronOf('0 0 * * 1-3#2')).toBe('0 0 * * 1#2,2#2,3#2');
  });

  it('the translated forms are the same days in Caudal (spot check: last Fridays of 2026)', () => {
    const c = new CronSchedule('0 0 * * 5L', 'UTC');
    const fridays: string[] = [];
    for (let t = Date.parse('2026-01-01T00:00:00Z'), i = 0; i < 3; i++) fridays.push(new Date((t = c.next(t)!)).toISOString().slice(0, 10));
    expect(fridays).toEqual(['2026-01-30', '2026-02-27', '2026-03-27']);
  });

  it('refuses a day of the month with an nth or last weekday (Caudal: either day; Airflow: the weekday alone), saying what to write', () => {
    expect(problemOf('0 0 1 * 1#1')).toEqual({
      problem: "the schedule '0 0 1 * 1#1' combines a day of the month with an nth or last weekday: Caudal runs on either day, Airflow's cron only on the weekday",
      instead: "write '0 0 * * 1#1' for the weekday alone, or use two jobs",
    });
    expect(problemOf('0 0 */5 * 5L').problem).toMatch(/combines a day of the month with an nth or last weekday/);
    expect(problemOf('0 0 L * FRI#L').instead).toBe("write '0 0 * * FRI#L' for the weekday alone, or use two jobs");
  });

  it('refuses what Airflow refuses or reads differently: LW, W past the 28th, W with a weekday, W in a list, +, nth mixed with plain weekdays', () => {
    expect(problemOf('0 0 LW * *').problem).toMatch(/last weekday of the month \('LW'\), which Airflow's cron does not have/);
    expect(problemOf('0 0 30W * *').problem).toMatch(/weekday nearest to day 30: in months without that day Caudal skips it/);
    expect(problemOf('0 0 15W * 1').problem).toMatch(/combines a nearest weekday \('W'\) with a day of week/);
    expect(problemOf('0 0 1W,15W * *').problem).toMatch(/nearest weekday \('W'\) in a list or range, which Airflow refuses/);
    expect(problemOf('0 12 1 * +MON').problem).toMatch(/day of the month AND the day of the week \('\+'\)/);
    expect(problemOf('0 0 * * 1#1,5')).toEqual({ problem: "the schedule '0 0 * * 1#1,5' mixes weekdays with nth or last weekdays in its day of week, which Airflow refuses", instead: 'use two jobs, one for each kind of day' });
  });

  it('refuses seconds as seconds, with the five fields to write when the seconds are 0', () => {
    expect(problemOf('0 30 6 * * *')).toEqual({ problem: "the schedule '0 30 6 * * *' has seconds; Airflow schedules have five fields", instead: "write '30 6 * * *'" });
    expect(problemOf('*/5 * * * * *')).toEqual({ problem: "the schedule '*/5 * * * * *' has seconds; Airflow schedules have five fields" });
  });
});
