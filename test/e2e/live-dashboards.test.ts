// The live dashboards in real headless Chromium against a real `reply-analytics start`, with
// replies sent through the signed webhook: the login link (once), every panel of every dashboard
// drawn without a console error or a request outside the origin, stat tiles equal to what
// `reply-analytics sql` computes, range and agent changes in the URL and the figures, the empty
// state. One screenshot per dashboard in test-artifacts/live-<dashboard>.png.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARDS } from '../../dashboards/definitions.js';
import { HOUR, openChromium, panelsLoaded, replyPayload, tileValue } from '../helpers/live-page.js';
import { BIN, ROOT, startPipeline, waitFor, type PipelineProcess } from '../helpers/pipeline-process.js';
import { sign } from '../helpers/sign.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const SECRETS = { sales: 'sales-secret', support: 'support-secret' };
const NOW = Date.now();

let dir: Awaited<ReturnType<typeof tempDir>>;
let p: PipelineProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let loginUrl: string;
const outside: string[] = [];
const consoleErrors: string[] = [];
let sent = 0;

/** A reply of `agent` `hoursAgo` hours ago; several per conversation, a falling balance. */
const payload = (agent: string, i: number, hoursAgo: number, extra?: Record<string, unknown>) => replyPayload(NOW, agent, i, hoursAgo, extra);

async function send(agent: keyof typeof SECRETS, body: unknown): Promise<void> {
  const raw = JSON.stringify(body);
  const res = await fetch(`${p.url}/webhook/${agent}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(raw, SECRETS[agent]) }, body: raw });
  expect(res.status).toBeLessThan(300);
  sent += 1;
}

const cli = async (...args: string[]) => (await run(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, DATA_DIR: dir.path } })).stdout;
const sqlNumber = async (sql: string) => Number((await cli('sql', sql, '--format', 'TSV')).trim());

/** Waits until every panel of the shown dashboard has answered for the state now in the URL. */
const loaded = (pg: Page = page) => panelsLoaded(pg);
const tile = (panel: string, pg: Page = page) => tileValue(panel, pg);

beforeAll(async () => {
  dir = await tempDir();
  p = await startPipeline(dir.path, { WEBHOOK_AGENTS: JSON.stringify(SECRETS), QUERY_MAX_CONCURRENT: '2' });
  // 24 hours of replies from two agents; the last hour has a few only.
  for (let i = 0; i < 60; i++) await send(i % 3 === 0 ? 'support' : 'sales', payload(i % 3 === 0 ? 'support' : 'sales', i, 1.5 + (i % 20)));
  for (let i = 60; i < 64; i++) await send('sales', payload('sales', i, 0.25));
  await send('sales', payload('sales', 64, 2, { credits: 3 })); // a spec deviation
  // Signed but invalid: a dead letter.
  const bad = JSON.stringify({ message_id: 'broken' });
  await fetch(`${p.url}/webhook/support`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(bad, SECRETS.support) }, body: bad });
  await waitFor(async () => (await p.query('SELECT (SELECT count() FROM aksita.human_agent_replies) + (SELECT count() FROM aksita.dead_letters)')).trim() === String(sent + 1), 'every event stored');

  ({ browser, context, page } = await openChromium(new URL(p.queryUrl).origin, outside, consoleErrors));
  loginUrl = (await cli('open', '--no-browser')).trim();
  await mkdir(ARTIFACTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  p?.child.kill('SIGKILL');
  await p?.exited;
  await dir?.remove();
});

describe('the live dashboards', () => {
  it('reply-analytics open prints a login link; it lands on reply volume with an HttpOnly session cookie', async () => {
    expect(loginUrl).toMatch(new RegExp(`^${p.queryUrl}/login\\?code=[\\w-]{43}$`));
    await page.goto(loginUrl);
    expect(new URL(page.url()).pathname).toBe('/live/reply-volume');
    await loaded();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: `aksita_live_${new URL(p.queryUrl).port}`, httpOnly: true, sameSite: 'Strict', path: '/' });
    // The process log (request lines at info) never holds the code.
    expect(p.output()).not.toContain(new URL(loginUrl).searchParams.get('code'));
    // Typed for Node, without the browser's globals (and a string would be eval, which the CSP refuses).
    expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe('');
  });

  it('open never fails for want of a browser: a desktop without xdg-open still gets the link', async () => {
    const env = { ...process.env, DATA_DIR: dir.path, DISPLAY: ':99', PATH: path.dirname(process.execPath) };
    const { stdout } = await run(process.execPath, [BIN, 'open'], { cwd: ROOT, env });
    expect(stdout.trim()).toMatch(new RegExp(`^${p.queryUrl}/login\\?code=[\\w-]{43}$`));
  });

  it('open without a running process says so (not_running, exit 1)', async () => {
    const empty = await tempDir();
    try {
      const failed = await run(process.execPath, [BIN, 'open', '--no-browser'], { cwd: ROOT, env: { ...process.env, DATA_DIR: empty.path } }).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toContain('[not_running]');
    } finally {
      await empty.remove();
    }
  });

  it('the same link again, or a wrong code, is refused with a page that says why', async () => {
    const other = await browser.newContext();
    const tab = await other.newPage();
    const reused = await tab.goto(loginUrl);
    expect(reused?.status()).toBe(403);
    expect(await tab.textContent('body')).toContain('already used');
    const wrong = await tab.goto(`${p.queryUrl}/login?code=guessed-code`);
    expect(wrong?.status()).toBe(403);
    expect((await tab.goto(`${p.queryUrl}/live/reply-volume`))?.status()).toBe(401);
    expect(await other.cookies()).toEqual([]);
    await other.close();
  });

  it.each(DASHBOARDS.map((d) => [d.id, d] as const))('%s: every panel renders, no console error, nothing outside the origin', async (id, dashboard) => {
    await page.locator(`#tabs a[data-dashboard="${id}"]`).click();
    await page.waitForURL(new RegExp(`/live/${id}\\?`));
    await loaded();
    for (const panel of dashboard.panels) {
      const frame = page.locator(`[data-panel="${panel.id}"]`);
      const drawn = await frame.evaluate((el) => {
        const canvas = el.querySelector('canvas');
        const painted = (c: NonNullable<typeof canvas>) => {
          const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
          return false;
        };
        return {
          error: el.querySelector('.panel-error')?.textContent ?? null,
          empty: el.querySelector('.empty') !== null,
          canvas: canvas ? painted(canvas) : false,
          rows: el.querySelectorAll('table.data tbody tr').length,
          stats: el.querySelectorAll('.stat-value').length,
        };
      });
      expect(drawn.error, `${id}/${panel.id}`).toBeNull();
      expect(drawn.empty, `${id}/${panel.id} is empty`).toBe(false);
      const expected = panel.kind === 'table' ? 'rows' : panel.kind.startsWith('stat') ? 'stats' : 'canvas';
      expect(drawn[expected], `${id}/${panel.id}: ${expected}`).toBeTruthy();
      // The credits dashboard's top-ups (the test's balances rise now and then) mark its time series.
      if (dashboard.annotations?.length && panel.kind === 'timeseries') expect(Number(await frame.locator('.panel-body').getAttribute('data-marks'))).toBeGreaterThan(0);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, `live-${id}.png`), fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(outside).toEqual([]);
  });

  it('stat tiles equal what reply-analytics sql computes for the same range', async () => {
    const from = NOW - 30 * HOUR;
    const to = NOW - HOUR;
    await page.goto(`${p.queryUrl}/live/reply-volume?range=custom&from=${from}&to=${to}&tz=UTC`);
    await loaded();
    const where = `event_time >= fromUnixTimestamp64Milli(${from}) AND event_time <= fromUnixTimestamp64Milli(${to})`;
    expect(await tile('replies')).toBe(await sqlNumber(`SELECT count() FROM aksita.human_agent_replies WHERE ${where}`));
    expect(await tile('conversations')).toBe(await sqlNumber(`SELECT uniqExact(agent, conversation_id) FROM aksita.human_agent_replies WHERE ${where}`));
    expect(await tile('multi-part')).toBeCloseTo(await sqlNumber(`SELECT countIf(length(response) > 1) / count() FROM aksita.human_agent_replies WHERE ${where}`), 12);
    // Received after NOW (which dates the replies' event times): up to this moment.
    const end = Date.now();
    await page.goto(`${p.queryUrl}/live/pipeline-health?range=custom&from=${from}&to=${end}&tz=UTC`);
    await loaded();
    const received = `received_at >= fromUnixTimestamp64Milli(${from}) AND received_at <= fromUnixTimestamp64Milli(${end})`;
    expect(await tile('dead-letters')).toBe(await sqlNumber(`SELECT count() FROM aksita.dead_letters WHERE ${received}`));
    expect(await tile('dead-letters')).toBe(1);
    expect(await tile('accepted')).toBe(await sqlNumber(`SELECT (SELECT count() FROM aksita.human_agent_replies WHERE ${received}) + (SELECT count() FROM aksita.dead_letters WHERE ${received})`));
  });

  it('changing the range and the agent filter changes the URL and the figures', async () => {
    await page.goto(`${p.queryUrl}/live/reply-volume`);
    await loaded();
    expect(page.url()).toContain('range=24h');
    const day = await tile('replies');
    await page.selectOption('#range', '1h');
    await page.waitForURL(/range=1h/);
    await loaded();
    const hour = await tile('replies');
    expect(hour).toBe(4);
    expect(day).toBeGreaterThan(hour);
    await page.selectOption('#agent', ['support']);
    await page.waitForURL(/agent=support/);
    await loaded();
    expect(await tile('replies')).toBe(0);
    await page.selectOption('#range', '24h');
    await page.waitForURL(/range=24h.*agent=support/);
    await loaded();
    const to = Number(new URL(page.url()).searchParams.get('to') ?? NaN);
    expect(to).toBeNaN(); // a preset is shared as a preset, not as fixed times
    expect(await tile('replies')).toBe(20);
    // The time zone is shown and changes with the control.
    await page.selectOption('#tz', 'Asia/Jakarta');
    await page.waitForURL(/tz=Asia%2FJakarta/);
    await loaded();
    expect(await page.textContent('#summary')).toContain('(Asia/Jakarta)');
  });

  it('an empty range says so instead of drawing a blank chart', async () => {
    const from = Date.UTC(2020, 0, 1);
    await page.goto(`${p.queryUrl}/live/reply-volume?range=custom&from=${from}&to=${from + 86_400_000}&tz=UTC`);
    await loaded();
    expect(await tile('replies')).toBe(0);
    for (const id of ['replies-over-time', 'replies-by-agent', 'busiest-conversations']) {
      expect(await page.locator(`[data-panel="${id}"] .empty`).textContent()).toBe('no replies in this range');
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'live-empty.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  // Last: it adds a reply, which the figures above do not count.
  it('auto-refresh redraws with new replies, without reloading the page', async () => {
    await page.goto(`${p.queryUrl}/live/reply-volume?range=1h&tz=UTC&refresh=2`);
    await loaded();
    let navigations = 0;
    page.on('framenavigated', () => (navigations += 1));
    const before = await tile('replies');
    await send('sales', payload('sales', 100, 0.1));
    await expect.poll(() => tile('replies'), { timeout: 30_000, interval: 200 }).toBe(before + 1);
    expect(navigations).toBe(0);
    expect(page.url()).toContain('refresh=2');
    expect(consoleErrors).toEqual([]);
  });

  it('↻ reloads every panel now, without reloading the page', async () => {
    await page.goto(`${p.queryUrl}/live/reply-volume?range=1h&tz=UTC`);
    await loaded();
    const before = await tile('replies');
    await send('sales', payload('sales', 101, 0.1));
    await waitFor(async () => (await p.query('SELECT count() FROM aksita.human_agent_replies')).trim() === String(sent), 'the reply stored');
    expect(await tile('replies')).toBe(before);
    await page.click('#reload');
    await expect.poll(() => tile('replies'), { timeout: 30_000, interval: 200 }).toBe(before + 1);
  });
});
