import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../compiler/db.js';
import { errorMessage } from '../util/errors.js';
import { checkedValue, lossOf, refusedColumn, type TargetType } from './assign.js';
import { loadExpr, pgTargetType } from './postgres/types.js';
import { tsqlTargetType } from './sqlserver/types.js';

let db: Db;
beforeAll(async () => {
  db = await Db.open();
});
afterAll(() => db.close());

/** What the checked export makes of `literal` (a DuckDB value of `type`) for `target`: the value sent, or the error. */
async function send(type: string, literal: string, target: TargetType, value = 'v'): Promise<string> {
  const loss = lossOf({ name: 'v', type }, target);
  try {
    const rows = await db.rows(`SELECT CAST(${checkedValue(loss, value)} AS VARCHAR) AS out FROM (SELECT CAST(${literal} AS ${type}) AS v)`);
    return `sent ${String(rows[0]!.out)}`;
  } catch (e) {
    return errorMessage(e);
  }
}

const pg = (t: string) => pgTargetType(t)!;
const tsql = (t: string) => tsqlTargetType(t)!;

describe('loading into an existing column: values the column type would change are refused, exact ones go', () => {
  it('a timestamp into a date column: midnight goes, a time of day is refused naming the column and the value', async () => {
    for (const target of [pg('date'), tsql('date')]) {
      expect(await send('TIMESTAMP', "'2024-01-01 00:00:00'", target)).toBe('sent 2024-01-01 00:00:00');
      expect(await send('TIMESTAMP', "'2024-01-01 10:30:00'", target)).toContain(`column "v" holds 2024-01-01 10:30:00, whose time of day the table's column "v" (date) would drop: convert it on purpose first (a Derive with CAST(v AS DATE)`);
      // TIMESTAMPTZ is judged in UTC, the session's zone.
      expect(await send('TIMESTAMPTZ', "'2024-01-01 00:00:00+00'", target)).toMatch(/^sent 2024-01-01 00:00:00/);
      expect(await send('TIMESTAMPTZ', "'2024-01-01 00:00:00+05'", target)).toContain('holds 2023-12-31 19:00:00+00, whose time of day');
    }
  });

  it('a fraction into an integer column is refused; a whole DOUBLE or DECIMAL goes', async () => {
    for (const target of [pg('integer'), pg('bigint'), tsql('int'), tsql('tinyint')]) {
      expect(await send('DOUBLE', '12.0', target)).toBe('sent 12.0');
      expect(await send('DECIMAL(10,2)', '12.00', target)).toBe('sent 12.00');
      expect(await send('DOUBLE', '12.5', target)).toContain(`column "v" holds 12.5, which is not a whole number, and the table's column "v" (${target.shown}) holds whole numbers`);
      expect(await send('DECIMAL(10,2)', '-0.01', target)).toContain('holds -0.01, which is not a whole number');
    }
    expect(await send('BIGINT', '12', pg('integer'))).toBe('sent 12');
  });

  it('more decimal places than a numeric column keeps are refused; as many or fewer go', async () => {
    for (const target of [pg('numeric(10,2)'), tsql('decimal(10,2)')]) {
      expect(await send('DOUBLE', '12.34', target)).toBe('sent 12.34');
      expect(await send('DECIMAL(10,3)', '12.340', target)).toBe('sent 12.340');
      expect(await send('DECIMAL(10,1)', '12.3', target)).toBe('sent 12.3');
      expect(await send('DOUBLE', '12.345', target)).toContain(`holds 12.345, which the table's column "v" (${target.shown}) would round to 2 decimal places: round it on purpose first (a Derive with round(v, 2))`);
      // A double sum is not a decimal: 0.1 + 0.2 holds a 17th decimal that the column would drop.
      expect(await send('DOUBLE', '0.1::DOUBLE + 0.2::DOUBLE', target)).toContain('holds 0.30000000000000004, which');
    }
    expect(await send('DOUBLE', '12.5', pg('numeric(4,0)'))).toContain('would round to 0 decimal places');
  });

  it('finer fractions of a second than a time or timestamp column keeps are refused', async () => {
    expect(await send('TIMESTAMP', "'2024-01-01 10:30:00.7'", pg('timestamp(0) without time zone'))).toContain(`whose fraction of a second the table's column "v" (timestamp(0) without time zone) would round: truncate it on purpose first (a Derive with date_trunc('second', v))`);
    expect(await send('TIMESTAMP', "'2024-01-01 10:30:01'", pg('timestamp(0) without time zone'))).toBe('sent 2024-01-01 10:30:01');
    expect(await send('TIMESTAMP_MS', "'2024-01-01 10:30:00.7'", pg('timestamp(0) without time zone'))).toContain('holds 2024-01-01 10:30:00.7, whose fraction of a second');
    expect(await send('TIMESTAMP_MS', "'2024-01-01 10:30:00.7'", tsql('datetime2(1)'))).toBe('sent 2024-01-01 10:30:00.7');
    expect(await send('TIMESTAMP', "'2024-01-01 10:30:00.123'", tsql('datetime2(3)'))).toBe('sent 2024-01-01 10:30:00.123');
    expect(await send('TIMESTAMP', "'2024-01-01 10:30:00.1234'", tsql('datetime2(3)'))).toContain("date_trunc('millisecond', v)");
    expect(await send('TIME', "'10:30:00.5'", pg('time(0) without time zone'))).toContain('holds 10:30:00.5, whose fraction of a second');
    expect(await send('TIME', "'10:30:00.5'", tsql('time(7)'))).toBe('sent 10:30:00.5');
    expect(await send('TIMESTAMP', "'2024-01-01 10:30:00.123456'", pg('timestamp without time zone'))).toBe('sent 2024-01-01 10:30:00.123456');
  });

  it('a timestamp into a time column is refused before the load: every value would lose its date', () => {
    for (const target of [pg('time without time zone'), tsql('time(7)')]) {
      expect(lossOf({ name: 'at', type: 'TIMESTAMP' }, target)).toEqual({
        refuse: `column "at" is TIMESTAMP in the input, but the table's column "at" (${target.shown}) holds a time of day: writing it would drop the date of every value`,
        hint: 'convert it on purpose first (a Derive with CAST(at AS TIME)), or make the table\'s column a timestamp',
      });
    }
    expect(refusedColumn([{ name: 'id', type: 'BIGINT' }, { name: 'at', type: 'TIMESTAMPTZ' }], (n) => (n === 'at' ? pg('time with time zone') : pg('bigint')))).toMatchObject({ column: 'at' });
  });

  it("SQL Server's datetime keeps steps of 1/300 s: .000, .003 and .007 go, a value between steps is refused", async () => {
    const target = tsql('datetime');
    for (const exact of ["'2024-01-01 10:30:00'", "'2024-01-01 10:30:59.003'", "'2024-01-01 10:30:00.127'", "'1960-06-30 23:59:59.997'"]) {
      expect(await send('TIMESTAMP', exact, target)).toMatch(/^sent /);
    }
    expect(await send('TIMESTAMP_NS', "'2024-01-01 10:30:00.007'", target)).toMatch(/^sent /);
    expect(await send('DATE', "'2024-01-01'", target)).toBe('sent 2024-01-01');
    expect(await send('TIMESTAMP', "'2024-01-01 10:30:00.002'", target)).toContain(
      `holds 2024-01-01 10:30:00.002, whose fraction of a second the table's column "v" (datetime) would round (it keeps steps of 1/300 s, shown as .000, .003 and .007): truncate it on purpose first (a Derive with date_trunc('second', v)), or make the table's column datetime2`,
    );
    expect(await send('TIMESTAMP', "'1960-06-30 23:59:59.9975'", target)).toContain('whose fraction of a second');
    expect(await send('TIMESTAMP_NS', "'2024-01-01 10:30:00.003000001'", target)).toContain('whose fraction of a second');
    expect(await send('TIMESTAMPTZ', "'2024-01-01 10:30:00.501+00'", target)).toContain('whose fraction of a second');
  });

  it("SQL Server's smalldatetime keeps whole minutes: seconds are refused", async () => {
    const target = tsql('smalldatetime');
    expect(await send('TIMESTAMP', "'2024-01-01 10:30:00'", target)).toBe('sent 2024-01-01 10:30:00');
    expect(await send('TIMESTAMP_S', "'2024-01-01 10:30:00'", target)).toMatch(/^sent /);
    expect(await send('TIMESTAMP', "'2024-01-01 10:30:15'", target)).toContain(
      `holds 2024-01-01 10:30:15, whose seconds the table's column "v" (smalldatetime) would round to the minute: truncate it on purpose first (a Derive with date_trunc('minute', v))`,
    );
    expect(await send('TIMESTAMP_NS', "'2024-01-01 10:30:00.000000001'", target)).toContain('would round to the minute');
  });

  it("SQL Server's money keeps four decimal places", async () => {
    for (const target of [tsql('money'), tsql('smallmoney')]) {
      expect(await send('DOUBLE', '12.3456', target)).toBe('sent 12.3456');
      expect(await send('DECIMAL(18,2)', '12.34', target)).toBe('sent 12.34');
      expect(await send('DOUBLE', '12.34567', target)).toContain(`holds 12.34567, which the table's column "v" (${target.shown}) would round to 4 decimal places`);
    }
  });

  it('a whole number or a long decimal into a float column: values the float holds go, others are refused (9007199254740993 would become ...992)', async () => {
    for (const target of [pg('double precision'), tsql('float')]) {
      expect(await send('BIGINT', '9007199254740992', target)).toBe('sent 9007199254740992');
      expect(await send('BIGINT', '9007199254740993', target)).toContain(
        `column "v" holds 9007199254740993 (BIGINT), which the table's column "v" (${target.shown}) cannot hold exactly: it would become 9007199254740992.0; make the table's column a type that holds it (bigint, numeric)`,
      );
      expect(await send('DECIMAL(20,2)', '123456789012345.67', target)).toBe('sent 123456789012345.67');
      expect(await send('DECIMAL(20,2)', '12345678901234567.89', target)).toContain('cannot hold exactly');
    }
    for (const target of [pg('real'), tsql('real'), tsql('float(24)')]) {
      expect(await send('INTEGER', '16777216', target)).toBe('sent 16777216');
      expect(await send('INTEGER', '16777217', target)).toContain('it would become 16777216.0');
    }
  });

  it('a time of day into a date-and-time column is refused before the load: every value would get a date the data does not hold', () => {
    for (const target of [pg('timestamp without time zone'), tsql('datetime2(7)'), tsql('datetimeoffset(7)'), tsql('datetime'), tsql('smalldatetime')]) {
      expect(lossOf({ name: 'at', type: 'TIME' }, target)).toEqual({
        refuse: `column "at" is TIME in the input, but the table's column "at" (${target.shown}) holds a date and a time: writing it would give every value a date the data does not hold`,
        hint: "add the date on purpose first (a Derive with some_date + at), or make the table's column a time",
      });
    }
  });

  it('text the server would parse with a change is refused: extra decimal places, a time of day into a date, extra digits of a second', async () => {
    for (const target of [pg('numeric(10,2)'), tsql('decimal(10,2)')]) {
      expect(await send('VARCHAR', "'12.30'", target)).toBe('sent 12.30');
      expect(await send('VARCHAR', "' 1e1 '", target)).toBe('sent  1e1 ');
      expect(await send('VARCHAR', "'12.345'", target)).toContain(`column "v" holds 12.345, which the table's column "v" (${target.shown}) would round to 2 decimal places`);
      // Not a number: the server refuses it itself, naming the line.
      expect(await send('VARCHAR', "'many'", target)).toBe('sent many');
    }
    expect(await send('VARCHAR', "'2024-01-05'", pg('date'))).toBe('sent 2024-01-05');
    expect(await send('VARCHAR', "'Jan 5 2024'", pg('date'))).toBe('sent Jan 5 2024');
    expect(await send('VARCHAR', "'2024-01-05 00:00:00'", pg('date'))).toBe('sent 2024-01-05 00:00:00');
    expect(await send('VARCHAR', "'2024-01-05 10:30'", pg('date'))).toContain(`holds 2024-01-05 10:30, whose time of day the table's column "v" (date) would drop`);
    expect(await send('VARCHAR', "'2024-01-05 10:30:00.7'", pg('timestamp(0) without time zone'))).toContain('whose fraction of a second');
    expect(await send('VARCHAR', "'2024-01-05 10:30:00.1234560'", pg('timestamp without time zone'))).toBe('sent 2024-01-05 10:30:00.1234560');
    expect(await send('VARCHAR', "'2024-01-05 10:30:00.1234567+02'", pg('timestamp with time zone'))).toContain('whose fraction of a second');
    expect(await send('VARCHAR', "'10:30:00.5'", tsql('time(0)'))).toContain('whose fraction of a second');
    expect(await send('VARCHAR', "'10:30:00.5'", tsql('time(7)'))).toBe('sent 10:30:00.5');
  });

  it('leaves alone what it does not judge: text the server refuses itself, single precision, UTC wall clock, money whose places follow the locale', () => {
    expect(lossOf({ name: 'v', type: 'VARCHAR' }, pg('integer'))).toBeUndefined();
    expect(lossOf({ name: 'v', type: 'DOUBLE' }, pg('real'))).toBeUndefined();
    expect(lossOf({ name: 'v', type: 'DOUBLE' }, tsql('real'))).toBeUndefined();
    expect(lossOf({ name: 'v', type: 'INTEGER' }, pg('double precision'))).toBeUndefined();
    expect(lossOf({ name: 'v', type: 'DECIMAL(15,2)' }, tsql('float'))).toBeUndefined();
    expect(pgTargetType('money')).toBeUndefined();
    expect(lossOf({ name: 'v', type: 'TIMESTAMPTZ' }, pg('timestamp without time zone'))).toBeUndefined();
    expect(lossOf({ name: 'v', type: 'DECIMAL(10,2)' }, pg('numeric(12,4)'))).toBeUndefined();
  });

  it('PostgreSQL gets exact values in the form it takes: a midnight timestamp as a date, a whole double without a point', async () => {
    const sent = async (type: string, literal: string, table: string) =>
      String((await db.rows(`SELECT CAST(${loadExpr({ name: 'v', type }, table)} AS VARCHAR) AS out FROM (SELECT CAST(${literal} AS ${type}) AS v)`))[0]!.out);
    expect(await sent('TIMESTAMP', "'2024-01-01 00:00:00'", 'date')).toBe('2024-01-01');
    expect(await sent('DOUBLE', '12.0', 'integer')).toBe('12');
    expect(await sent('DOUBLE', '-3e15', 'bigint')).toBe('-3000000000000000');
    expect(await sent('DECIMAL(10,2)', '12.00', 'integer')).toBe('12');
    // A table the load creates (no type yet) gets DuckDB's text.
    expect(await sent('DOUBLE', '12.0', undefined as unknown as string)).toBe('12.0');
  });
});
