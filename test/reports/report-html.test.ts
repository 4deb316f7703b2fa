// The HTML report in real headless Chromium: the figures people see, no network requests,
// printable; the screenshot is kept as test-artifacts/report.png.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReportRequest, type ReportInput } from '../../reports/report-params.js';
import { ChdbStore } from '../../store/chdb-store.js';
import { ROOT } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { expectedSummary, type ExpectedSummaryRow } from './expected.js';
import { loadFixture, REPLIES } from './fixture.js';
import { exportFile } from './read-back.js';

const INPUT: ReportInput = { from: '2026-03-05', to: '2026-03-10', tz: 'Asia/Jakarta', agent: 'sales,support,billing', format: 'html' };
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

let dir: Awaited<ReturnType<typeof tempDir>>;
let browser: Browser;
let page: Page;
let expected: ExpectedSummaryRow[];
const requests: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  dir = await tempDir();
  const store = await ChdbStore.open(dir.path);
  let file: string;
  try {
    await store.migrate();
    await loadFixture(store);
    file = await exportFile(store, dir.path, INPUT, 'report.html');
  } finally {
    await store.close();
  }
  const req = parseReportRequest(INPUT);
  expected = expectedSummary(REPLIES, { fromMs: req.fromMs, toMs: req.toMs, tz: req.tz, agents: req.agents });

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await dir.remove();
});

/** "850 ms", "2.79 s", "12.3 s", "4 min 05 s", "2 h 30 min" -> ms; "–" -> null. */
function parseDuration(text: string): number | null {
  if (text === '–') return null;
  const m = /^(\d+(?:\.\d+)?) (ms|s)$|^(\d+) min (\d+) s$|^(\d+) h (\d+) min$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  if (m[2] === 'ms') return Number(m[1]);
  if (m[2] === 's') return Number(m[1]) * 1000;
  if (m[3]) return (Number(m[3]) * 60 + Number(m[4])) * 1000;
  return (Number(m[5]) * 60 + Number(m[6])) * 60_000;
}
const num = (text: string) => Number(text.replace(/,/g, ''));

describe('HTML report in Chromium', () => {
  it('loads without a single network request or console error', () => {
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(consoleErrors).toEqual([]);
  });

  it('shows the parameters and the generation time on top', async () => {
    expect(await page.textContent('#range')).toContain('2026-03-05 00:00:00 to 2026-03-11 00:00:00');
    expect(await page.textContent('#tz')).toContain('Asia/Jakarta (UTC+07:00)');
    expect(await page.textContent('#agents')).toBe('sales, support, billing');
    expect(await page.textContent('#generated')).toBe('2026-03-12 08:02:03 Asia/Jakarta (2026-03-12T01:02:03.000Z)');
  });

  it('the totals and every table cell show the expected figures', async () => {
    expect(num((await page.textContent('#total-replies'))!)).toBe(expected.reduce((n, r) => n + r.replies, 0));
    // Credit figures are shown to 2 decimals at most.
    const usedTotal = expected.reduce((n, r) => n + r.credits_used, 0);
    expect(usedTotal).toBeGreaterThan(0);
    expect(Math.abs(num((await page.textContent('#total-credits-used'))!) - usedTotal)).toBeLessThanOrEqual(0.005);
    // The fixture's one reply whose credits is not 0 shows as a spec deviation.
    const chargedTotal = expected.reduce((n, r) => n + r.credits_charged, 0);
    expect(chargedTotal).toBe(1.5);
    expect(num((await page.textContent('#total-credits-charged'))!)).toBe(chargedTotal);
    const cells = await page.$$eval('#summary tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(cells).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      const c = cells[i]!;
      expect([c[0], c[1], num(c[2]!), num(c[3]!)]).toEqual([e.day, e.agent, e.replies, e.conversations]);
      expect(Number(c[4])).toBeCloseTo(e.replies_per_conversation, 2);
      // Durations are shown to 3 significant digits at most: allow that rounding.
      for (const [text, want] of [
        [c[5], e.delivery_latency_p50_ms],
        [c[6], e.delivery_latency_p95_ms],
        [c[7], e.reply_gap_p50_ms],
      ] as const) {
        const got = parseDuration(text!);
        if (want === null) expect(got).toBeNull();
        else expect(Math.abs(got! - want)).toBeLessThanOrEqual(Math.max(0.5, Math.abs(want) * 0.005, want >= 60_000 ? 30_000 : 0));
      }
      expect([num(c[8]!), num(c[9]!), num(c[10]!)]).toEqual([e.remaining_credits_start, e.remaining_credits_end, e.remaining_credits_min]);
      expect(Math.abs(num(c[11]!) - e.credits_used), `credits used ${c[11]} vs ${e.credits_used}`).toBeLessThanOrEqual(0.005);
    });
  });

  it('draws the three charts; each volume bar is one day and agent with its count', async () => {
    expect(await page.$$eval('svg.chart', (svgs) => svgs.map((s) => s.getAttribute('aria-label')))).toEqual([
      'Replies per day, by agent',
      'Delivery latency per day: p50 and p95',
      'Remaining credits per day',
    ]);
    const bars = await page.$$eval('svg.chart:first-of-type rect title', (ts) => ts.map((t) => t.textContent));
    expect(bars.sort()).toEqual(expected.map((e) => `${e.day} · ${e.agent}: ${e.replies}`).sort());
    const box = await page.locator('svg.chart').first().boundingBox();
    expect(box!.width).toBeGreaterThan(800);
  });

  it('prints to a PDF (kept beside the screenshot)', async () => {
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ landscape: true, format: 'A4', printBackground: true });
    await writeFile(path.join(ARTIFACTS, 'report.pdf'), pdf);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
  });
});
