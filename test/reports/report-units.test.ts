// The pieces without a store: local times in zones, parameter checks, atomic files, the
// progress bar's silence off a terminal, and HTML escaping.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomically } from '../../reports/atomic-file.js';
import { formatDuration } from '../../reports/display-format.js';
import { renderHtmlReport } from '../../reports/html-report.js';
import { progressBar } from '../../reports/progress-bar.js';
import { parseReportRequest, toQueryString } from '../../reports/report-params.js';
import { canonicalTimeZone, localDate, parseLocalTime } from '../../reports/zoned-time.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('local times in a zone', () => {
  it.each([
    ['2026-03-05', 'Asia/Jakarta', '2026-03-04T17:00:00.000Z'],
    ['2026-03-05T08:30', 'Asia/Kolkata', '2026-03-05T03:00:00.000Z'],
    ['2026-03-05 08:30:15.25', 'UTC', '2026-03-05T08:30:15.250Z'],
    ['2026-03-05T08:30+07:00', 'America/New_York', '2026-03-05T01:30:00.000Z'], // an explicit offset wins
    ['2026-03-05T08:30Z', 'Asia/Jakarta', '2026-03-05T08:30:00.000Z'],
    ['2026-03-07', 'America/New_York', '2026-03-07T05:00:00.000Z'], // winter time
    ['2026-03-09', 'America/New_York', '2026-03-09T04:00:00.000Z'], // summer time
    ['2026-03-08T02:30', 'America/New_York', '2026-03-08T07:30:00.000Z'], // in the gap: after it
  ])('%s in %s is %s', (text, tz, iso) => {
    const parsed = parseLocalTime(text, tz);
    expect(typeof parsed === 'string' ? parsed : new Date(parsed.epochMs).toISOString()).toBe(iso);
  });

  it('a date alone as the end of a range means the end of that day, even on a 23-hour day', () => {
    const end = parseLocalTime('2026-03-08', 'America/New_York', { endOfDay: true });
    expect(typeof end !== 'string' && new Date(end.epochMs).toISOString()).toBe('2026-03-09T04:00:00.000Z');
  });

  it('days follow the zone', () => {
    expect(localDate(Date.UTC(2026, 2, 6, 16, 59, 59, 999), 'Asia/Jakarta')).toBe('2026-03-06');
    expect(localDate(Date.UTC(2026, 2, 6, 17), 'Asia/Jakarta')).toBe('2026-03-07');
  });

  it.each(['2026-02-29', '2026-13-01', '2026-03-05T24:00', '5 March', '2026-03-05T08:30+25:00'])('%s is refused', (text) => {
    expect(typeof parseLocalTime(text, 'UTC')).toBe('string');
  });
});

describe('time zone names as the engine takes them', () => {
  it.each([
    ['UTC', 'UTC'],
    ['utc', 'UTC'],
    ['asia/jakarta', 'Asia/Jakarta'],
    ['AMERICA/NEW_YORK', 'America/New_York'],
    ['Asia/Kolkata', 'Asia/Calcutta'], // ICU's name for it, which the engine knows too
    ['ASIA/KOLKATA', 'Asia/Calcutta'],
    ['us/eastern', 'America/New_York'], // an alias becomes its zone, in any case
    ['Us/Eastern', 'America/New_York'],
    ['Not/A_Zone', undefined],
    ['+07:00', undefined],
  ])('%s is %s', (given, expected) => {
    expect(canonicalTimeZone(given)).toBe(expected);
  });
});

describe('report parameters', () => {
  it('the first and last days the store holds are accepted in any zone', () => {
    expect(parseReportRequest({ from: '2299-12-30', to: '2299-12-31', tz: 'America/New_York', format: 'csv' }).tz).toBe('America/New_York');
    expect(parseReportRequest({ from: '1900-01-01', to: '1900-01-02', tz: 'Asia/Tokyo', format: 'csv' }).tz).toBe('Asia/Tokyo');
  });

  it('a time zone in the wrong case is given its own spelling', () => {
    expect(parseReportRequest({ from: '2026-03-01', to: '2026-03-02', tz: 'asia/jakarta', format: 'csv' }).tz).toBe('Asia/Jakarta');
  });

  it.each([
    ['to', '9999-12-31'],
    ['to', '2300-01-01T00:00:01Z'],
    ['from', '1899-12-31'],
  ])('--%s %s is refused: outside the years the store holds', (name, value) => {
    const input = { from: '2026-03-01', to: '2026-03-02', format: 'csv', [name]: value };
    expect(() => parseReportRequest(input, (n) => `--${n}`)).toThrow(`--${name} "${value}" is outside the years the store can hold; expected a time from 1900 to 2299`);
  });

  it('agents may be comma-separated or repeated; duplicates collapse', () => {
    const req = parseReportRequest({ from: '2026-03-01', to: '2026-03-02', format: 'csv', agent: ['sales,support', ' sales '] });
    expect(req.agents).toEqual(['sales', 'support']);
  });

  it('the query string carries the range as written, so the server resolves and shows it the same way', () => {
    const req = parseReportRequest({ from: '2026-03-01', to: '2026-03-02T12:00', tz: 'Asia/Jakarta', format: 'json', agent: 'a,b' });
    expect(toQueryString(req)).toBe('from=2026-03-01&to=2026-03-02T12%3A00&tz=Asia%2FJakarta&format=json&agent=a%2Cb');
    expect(parseReportRequest({ ...Object.fromEntries(new URLSearchParams(toQueryString(req))) })).toEqual(req);
  });

  it('the same day as --from and --to is that whole day', () => {
    const req = parseReportRequest({ from: '2026-03-01', to: '2026-03-01', format: 'csv' });
    expect(req.toMs - req.fromMs).toBe(86_400_000);
  });

  it('equal date-times are refused: the range would be empty', () => {
    expect(() => parseReportRequest({ from: '2026-03-01T10:00', to: '2026-03-01T10:00', format: 'csv' }, (n) => `--${n}`)).toThrow(
      /--from "2026-03-01T10:00" is not before --to "2026-03-01T10:00" \(in UTC\); expected --from earlier than --to/,
    );
  });
});

describe('atomic files', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => (dir = await tempDir()));
  afterAll(async () => dir.remove());

  async function* failingBody(): AsyncIterable<Uint8Array> {
    yield Buffer.from('first rows\n');
    throw new Error('the engine went away');
  }

  it('a body that fails half way leaves no file and no partial file', async () => {
    const target = path.join(dir.path, 'new.csv');
    await expect(writeFileAtomically(target, failingBody())).rejects.toThrow('the engine went away');
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('a failed export keeps the previous file as it was', async () => {
    const target = path.join(dir.path, 'old.csv');
    await writeFile(target, 'previous report\n');
    await expect(writeFileAtomically(target, failingBody())).rejects.toThrow();
    expect(await readFile(target, 'utf8')).toBe('previous report\n');
    expect(await readdir(dir.path)).toEqual(['old.csv']);
  });

  it('a complete body replaces the file', async () => {
    const target = path.join(dir.path, 'old.csv');
    expect(await writeFileAtomically(target, [Buffer.from('a\n'), Buffer.from('b\n')])).toBe(4);
    expect(await readFile(target, 'utf8')).toBe('a\nb\n');
  });
});

describe('progress bar', () => {
  it('is silent when stderr is not a terminal', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    let written = '';
    (stream as unknown as PassThrough).on('data', (d: Buffer) => (written += d.toString()));
    const bar = progressBar(stream, 'export', 100, 'rows');
    bar.add(50);
    bar.finish();
    expect(written).toBe('');
  });

  it('draws a bar with a percentage on a terminal', () => {
    const chunks: string[] = [];
    const stream = { isTTY: true, columns: 100, write: (s: string) => chunks.push(s) } as unknown as NodeJS.WriteStream;
    const bar = progressBar(stream, 'export', 200, 'rows');
    bar.add(100);
    bar.finish();
    expect(chunks[0]).toMatch(/export \[#+-+\] {2}50% 100 rows of 200 rows/);
    expect(chunks.at(-1)).toMatch(/100% 200 rows of 200 rows .*\n$/);
  });
});

describe('HTML report markup', () => {
  it('escapes agent names and shows an empty range plainly', () => {
    const req = parseReportRequest({ from: '2026-03-01', to: '2026-03-02', format: 'html', agent: '<script>x</script>' });
    const html = renderHtmlReport(req, [], new Date('2026-03-03T00:00:00Z'));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('No replies in this range.');
    expect(html).not.toContain('total-credits-charged');
  });

  it.each([
    [850, '850 ms'],
    [1250, '1.25 s'],
    [12_340, '12.3 s'],
    [245_000, '4 min 05 s'],
    [9_000_000, '2 h 30 min'],
    [null, '–'],
  ])('%s ms reads as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
