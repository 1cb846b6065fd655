import { describe, expect, it } from 'vitest';
import { CaudalError } from '../../util/errors.js';
import { hiddenPart, parseS3Url, s3UrlWithParams, selects } from './location.js';

/** Fills `${name}` from `values` as the planner's ctx.text does (an undeclared name stays as written). */
const filler = (values: Record<string, string>) => (ref: string) => ref.replace(/\$\{([^}]*)\}/g, (whole, n: string) => values[n.trim()] ?? whole);
const read = (url: string, values: Record<string, string>) => s3UrlWithParams(url, filler(values), { where: "node 'src'", nodeId: 'src', pattern: true });
const write = (url: string, values: Record<string, string>) => s3UrlWithParams(url, filler(values), { where: "node 'dst'", nodeId: 'dst', pattern: false });
/** The refusal's message, or '' when the URL was accepted. */
const refusal = (f: () => unknown): string => {
  try {
    f();
    return '';
  } catch (e) {
    expect(e).toBeInstanceOf(CaudalError);
    expect((e as CaudalError).problems[0]).toMatchObject({ code: 'invalid_param', path: 'params.url' });
    return (e as CaudalError).message;
  }
};

describe('S3 URLs with params: a value is literal key text', () => {
  const tenant = 's3://lake/tenants/${tenant}/data.csv';

  it('a URL without params reads as written', () => {
    expect(read('s3://lake/sales/2025-*/x.csv', {})).toMatchObject({ url: 's3://lake/sales/2025-*/x.csv', kind: 'glob', listPrefix: 'sales/2025-' });
  });

  it('a value fills in its part of one key', () => {
    expect(read(tenant, { tenant: 'acme' })).toMatchObject({ url: 's3://lake/tenants/acme/data.csv', bucket: 'lake', key: 'tenants/acme/data.csv', kind: 'key' });
  });

  it("a value's * ? [ name an object with those characters: a key stays one key", () => {
    for (const v of ['*', 'a?', '[ab]', '*/data.csv']) {
      const loc = read(tenant, { tenant: v });
      expect(loc.kind).toBe('key');
      expect(loc.key).toBe(`tenants/${v}/data.csv`);
      expect(selects(loc, 'tenants/acme/data.csv')).toBe(false);
    }
  });

  it("in a glob, a value's glob characters match only themselves and the URL's own wildcards stay wildcards", () => {
    const loc = read('s3://lake/tenants/${tenant}/*.csv', { tenant: '*' });
    expect(loc).toMatchObject({ kind: 'glob', key: 'tenants/[*]/*.csv', listPrefix: 'tenants/*/' });
    expect(['tenants/*/a.csv', 'tenants/acme/a.csv', 'tenants/*/x/a.csv'].filter((k) => selects(loc, k))).toEqual(['tenants/*/a.csv']);
    const sets = read('s3://lake/tenants/${tenant}/*.csv', { tenant: '[ab]?' });
    expect(['tenants/[ab]?/1.csv', 'tenants/ax/1.csv', 'tenants/b/1.csv'].filter((k) => selects(sets, k))).toEqual(['tenants/[ab]?/1.csv']);
  });

  it('a value in a prefix names that prefix only', () => {
    const loc = read('s3://lake/tenants/${tenant}/', { tenant: 'a*' });
    expect(loc).toMatchObject({ kind: 'prefix', key: 'tenants/a*/', listPrefix: 'tenants/a*/' });
    expect(['tenants/a*/x.csv', 'tenants/ab/x.csv'].filter((k) => selects(loc, k))).toEqual(['tenants/a*/x.csv']);
  });

  it('a value may name several key parts with /', () => {
    expect(read(tenant, { tenant: 'acme/eu' }).key).toBe('tenants/acme/eu/data.csv');
    expect(write('s3://lake/exports/${name}', { name: 'daily/orders.csv' }).key).toBe('exports/daily/orders.csv');
  });

  it('an empty value is refused: the URL would silently become another one (a prefix of every tenant)', () => {
    expect(refusal(() => read('s3://lake/tenants/${tenant}', { tenant: '' }))).toBe(
      `node 'src': param 'tenant' is empty, so the URL "s3://lake/tenants/\${tenant}" would silently become another URL`,
    );
    expect(refusal(() => write('s3://lake/${name}', { name: '' }))).toContain("param 'name' is empty");
  });

  it('a value that ends the key with / is refused: an object URL would become a prefix', () => {
    expect(refusal(() => read('s3://lake/tenants/${tenant}', { tenant: 'acme/' }))).toContain(`param 'tenant' = "acme/" ends the key with /, which would turn the URL "s3://lake/tenants/\${tenant}" from one object into the prefix s3://lake/tenants/acme/`);
    expect(refusal(() => write('s3://lake/exports/${name}', { name: 'again/' }))).toContain("param 'name' = \"again/\" ends the key with /");
  });

  it('a value that makes an empty, . or .. key part is refused', () => {
    for (const v of ['..', '../other', 'a/../b', '.', 'a//b', '/abs', 'a/.']) {
      expect(refusal(() => read(tenant, { tenant: v }))).toContain(`param 'tenant' = ${JSON.stringify(v)} makes an empty, '.' or '..' part in the key`);
    }
    // With the text written around it too.
    expect(refusal(() => read('s3://lake/a/.${x}/b.csv', { x: '.' }))).toContain("makes an empty, '.' or '..' part");
    // Dots inside a name are no dot part.
    expect(read(tenant, { tenant: '..acme.' }).key).toBe('tenants/..acme./data.csv');
    // The URL's own odd parts are its own.
    expect(read('s3://lake/odd/../${f}', { f: 'up.csv' }).key).toBe('odd/../up.csv');
  });

  it('a param may be the whole bucket, holding a bucket name', () => {
    expect(read('s3://${bucket}/sales/', { bucket: 'lake-dev' })).toMatchObject({ bucket: 'lake-dev', key: 'sales/', kind: 'prefix' });
    expect(refusal(() => read('s3://${bucket}/sales/', { bucket: 'other/secret' }))).toContain(`param 'bucket' = "other/secret" in the bucket of "s3://\${bucket}/sales/" holds characters no bucket name has`);
    expect(refusal(() => read('s3://${bucket}/sales/', { bucket: '' }))).toContain('names no bucket');
    expect(refusal(() => read('s3://${bucket}/sales/', { bucket: '*' }))).toContain('holds characters no bucket name has');
    expect(refusal(() => read('s3://${bucket}/sales/', { bucket: '-lake' }))).toContain('which is not a bucket name');
  });

  it('a param may be part of the bucket name (one bucket per environment), never reaching into the key', () => {
    expect(read('s3://lake-${env}/sales/', { env: 'dev' })).toMatchObject({ bucket: 'lake-dev', key: 'sales/', kind: 'prefix' });
    expect(refusal(() => read('s3://lake-${env}/sales/', { env: 'dev/other' }))).toContain(`param 'env' = "dev/other" in the bucket of "s3://lake-\${env}/sales/" holds characters no bucket name has`);
  });

  it('a param may not be the whole URL', () => {
    expect(refusal(() => read('${u}', { u: 's3://lake/x.csv' }))).toContain('does not start with s3:// written in the node');
  });

  it('a sink key keeps glob characters as they are', () => {
    expect(write('s3://lake/exports/${name}.csv', { name: 'a*[1]' })).toMatchObject({ key: 'exports/a*[1].csv', kind: 'key' });
  });
});

describe('hidden objects of a prefix read', () => {
  const loc = parseS3Url('s3://lake/odd/', "node 'src'");
  it('names or folders starting with _ or . are hidden (Hive and Spark markers and temporary files)', () => {
    expect(hiddenPart(loc, 'odd/_SUCCESS')).toBe('_SUCCESS');
    expect(hiddenPart(loc, 'odd/_temporary/0/part.csv')).toBe('_temporary');
    expect(hiddenPart(loc, 'odd/x/.part-0.csv.crc')).toBe('.part-0.csv.crc');
  });
  it('. and .. key parts are not hidden names: such keys are read', () => {
    const keys = ['odd/dots/../up.csv', 'odd/./here.csv', 'odd/../../top.csv', 'odd/a.csv', 'odd/_SUCCESS', 'odd/.hidden.csv'];
    expect(keys.filter((k) => selects(loc, k))).toEqual(['odd/dots/../up.csv', 'odd/./here.csv', 'odd/../../top.csv', 'odd/a.csv']);
    expect(hiddenPart(loc, 'odd/dots/../up.csv')).toBeUndefined();
  });
  it('only a prefix read hides: the prefix written in the URL may itself start with _ or .', () => {
    expect(selects(parseS3Url('s3://lake/_raw/', "node 'src'"), '_raw/a.csv')).toBe(true);
    expect(hiddenPart(parseS3Url('s3://lake/odd/**', "node 'src'"), 'odd/_SUCCESS')).toBeUndefined();
  });
});
