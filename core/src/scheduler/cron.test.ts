import { describe, expect, it } from 'vitest';
import { CronSchedule, cronProblem, isFixedTime, isTimeZone, localParts } from './cron.js';
import { expandParams } from './params.js';

const t = (s: string) => Date.parse(s);
const isoList = (xs: number[]) => xs.map((x) => new Date(x).toISOString());

describe('cron schedules with time zones', () => {
  it('a fixed-time job in the spring DST gap (Europe/Madrid, 29 March 2026) runs once, at 03:00 local', () => {
    const c = new CronSchedule('30 2 * * *', 'Europe/Madrid');
    const { slots } = c.slotsBetween(t('2026-03-27T12:00:00Z'), t('2026-03-30T12:00:00Z'));
    // 02:30 CET = 01:30Z; on the 29th 02:30 does not exist: 03:00 CEST = 01:00Z; then 02:30 CEST = 00:30Z
    expect(isoList(slots)).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('a fixed-time job on the autumn repeated hour (25 October 2026) runs once', () => {
    const c = new CronSchedule('30 2 * * *', 'Europe/Madrid');
    const { slots } = c.slotsBetween(t('2026-10-24T12:00:00Z'), t('2026-10-26T12:00:00Z'));
    expect(isoList(slots)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('an interval job runs on both occurrences of the repeated hour and skips the spring gap', () => {
    const every30 = new CronSchedule('*/30 * * * *', 'Europe/Madrid');
    const autumn = every30.slotsBetween(t('2026-10-25T00:00:00Z'), t('2026-10-25T02:00:00Z')).slots;
    // 02:00, 02:30 CEST then 02:00, 02:30 CET: four slots an hour apart in local time, all distinct instants
    expect(isoList(autumn)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T01:30:00.000Z', '2026-10-25T02:00:00.000Z']);
    const spring = every30.slotsBetween(t('2026-03-29T00:30:00Z'), t('2026-03-29T01:30:00Z')).slots;
    // 01:30 CET (00:30Z) is excluded as the start; 02:00 and 02:30 do not exist; 03:00 CEST = 01:00Z
    expect(isoList(spring)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-29T01:30:00.000Z']);
  });

  it('fixed-time jobs with several hours or minutes: each local time once, a time in the spring gap at its end', () => {
    const madrid = (e: string, from: string, to: string) => isoList(new CronSchedule(e, 'Europe/Madrid').slotsBetween(t(from), t(to)).slots);
    // 29 March: 02:15 and 02:45 do not exist → one run at 03:00 CEST (01:00Z)
    expect(madrid('15,45 2 * * *', '2026-03-28T12:00:00Z', '2026-03-30T12:00:00Z')).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:15:00.000Z', '2026-03-30T00:45:00.000Z']);
    // 25 October: 02:15 and 02:45 happen twice → the first occurrences only (CEST)
    expect(madrid('15,45 2 * * *', '2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z')).toEqual(['2026-10-25T00:15:00.000Z', '2026-10-25T00:45:00.000Z']);
    expect(madrid('15 2,4 * * *', '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z')).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-29T02:15:00.000Z']);
    expect(madrid('15 2,4 * * *', '2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z')).toEqual(['2026-10-25T00:15:00.000Z', '2026-10-25T03:15:00.000Z']);
    expect(madrid('30 2-3 * * *', '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z')).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-29T01:30:00.000Z']);
    expect(new Date(new CronSchedule('15,45 2 * * *', 'Europe/Madrid').latestAtOrBefore(t('2026-03-29T05:00:00Z'))!).toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('midnight and half-hour DST changes follow the same rule (Santiago, Lord Howe)', () => {
    // Santiago skips 00:00 → 01:00 on 6 September 2026: the midnight job runs at 01:00 (-03), once
    expect(isoList(new CronSchedule('0 0 * * *', 'America/Santiago').slotsBetween(t('2026-09-05T12:00:00Z'), t('2026-09-07T12:00:00Z')).slots)).toEqual(['2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z']);
    // Lord Howe moves 02:00 → 02:30 on 4 October 2026: 02:15 runs at 02:30 (+11)
    expect(isoList(new CronSchedule('15 2 * * *', 'Australia/Lord_Howe').slotsBetween(t('2026-10-03T00:00:00Z'), t('2026-10-04T00:00:00Z')).slots)).toEqual(['2026-10-03T15:30:00.000Z']);
  });

  it('tells fixed-time expressions (an hour field that leaves out some hour) from interval ones', () => {
    for (const e of ['30 2 * * *', '15,45 2 * * *', '0 2,4 * * *', '0 9-17 * * 1-5', '0 */2 * * *', '0 0 6 * * *', '@daily', '@weekly']) expect([e, isFixedTime(e)]).toEqual([e, true]);
    for (const e of ['*/30 * * * *', '0 * * * *', '0 0-23 * * *', '0 */1 * * *', '* * * * * *', '@hourly']) expect([e, isFixedTime(e)]).toEqual([e, false]);
  });

  it('month ends: the last day of each month (L), a 31st that most months lack, 29 February', () => {
    const last = new CronSchedule('0 6 L * *', 'Europe/Madrid');
    expect(isoList(last.slotsBetween(t('2026-01-01T00:00:00Z'), t('2026-04-01T00:00:00Z')).slots)).toEqual(['2026-01-31T05:00:00.000Z', '2026-02-28T05:00:00.000Z', '2026-03-31T04:00:00.000Z']);
    const on31 = new CronSchedule('0 0 31 * *', 'UTC');
    expect(isoList(on31.slotsBetween(t('2026-01-01T00:00:00Z'), t('2026-09-01T00:00:00Z')).slots)).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
      '2026-05-31T00:00:00.000Z',
      '2026-07-31T00:00:00.000Z',
      '2026-08-31T00:00:00.000Z',
    ]);
    const leap = new CronSchedule('0 0 29 2 *', 'UTC');
    expect(new Date(leap.next(t('2026-01-01T00:00:00Z'))!).toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });

  it('counts at most `cap` slots (a per-second job after a week offline)', () => {
    const c = new CronSchedule('* * * * * *', 'UTC');
    const r = c.slotsBetween(t('2026-01-01T00:00:00Z'), t('2026-01-08T00:00:00Z'), 50);
    expect(r.slots).toHaveLength(50);
    expect(r.more).toBe(true);
  });

  it('latestAtOrBefore includes a slot exactly at the reference', () => {
    const c = new CronSchedule('0 6 * * *', 'UTC');
    expect(new Date(c.latestAtOrBefore(t('2026-05-05T06:00:00Z'))!).toISOString()).toBe('2026-05-05T06:00:00.000Z');
    expect(new Date(c.latestAtOrBefore(t('2026-05-05T05:59:59Z'))!).toISOString()).toBe('2026-05-04T06:00:00.000Z');
  });

  it('says what is wrong with a bad expression or time zone', () => {
    expect(cronProblem('61 * * * *')).toMatch(/minute: 61/);
    expect(cronProblem('0 6 * *')).not.toBeNull();
    expect(cronProblem('0 6 * * MON-FRI')).toBeNull();
    expect(isTimeZone('Europe/Madrid')).toBe(true);
    expect(isTimeZone('Europe/Madird')).toBe(false);
  });
});

describe('run params of a slot', () => {
  it('{scheduled_date} is the local date of the slot, across midnight UTC and DST', () => {
    // 00:30 CEST on 1 July is still 30 June in UTC
    expect(localParts(t('2026-06-30T22:30:00Z'), 'Europe/Madrid')).toEqual({ date: '2026-07-01', time: '2026-07-01T00:30:00+02:00' });
    expect(localParts(t('2026-12-01T06:00:00Z'), 'Europe/Madrid').time).toBe('2026-12-01T07:00:00+01:00');
    expect(localParts(t('2026-12-01T06:00:00Z'), 'UTC').time).toBe('2026-12-01T06:00:00+00:00');
    expect(expandParams({ day: '{scheduled_date}', at: 'since {scheduled_time}', n: 3, flag: true }, t('2026-06-30T22:30:00Z'), 'Europe/Madrid')).toEqual({
      day: '2026-07-01',
      at: 'since 2026-07-01T00:30:00+02:00',
      n: '3',
      flag: 'true',
    });
  });
});
