// Headless Chromium on the live dashboards, for test/e2e/live-dashboards.test.ts: replies dated
// back from a moment, a page that records console errors and requests outside the origin, and
// waiting for every panel to answer.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const HOUR = 3_600_000;

/** A reply of `agent` `hoursAgo` hours before `now`; several per conversation, a falling balance. */
export function replyPayload(now: number, agent: string, i: number, hoursAgo: number, extra: Record<string, unknown> = {}) {
  const at = new Date(now - hoursAgo * HOUR);
  return {
    response: i % 3 === 0 ? ['part one', 'part two'] : ['a reply'],
    message_id: `${agent}-m${i}`,
    conversation_id: `${agent}-c${i % 5}`,
    credits: 0,
    remaining_credits: 5000 - i * 40,
    additional_context: '',
    source: 'human_agent',
    timestamp: at.toISOString().replace('Z', '+00:00'),
    ...extra,
  };
}

/** Chromium with one page; requests outside `origin` go to `outside`, console and page errors to `consoleErrors`. */
export async function openChromium(origin: string, outside: string[], consoleErrors: string[]): Promise<{ browser: Browser; context: BrowserContext; page: Page }> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.on('request', (r) => new URL(r.url()).origin !== origin && outside.push(r.url()));
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  return { browser, context, page };
}

/** Waits until every panel of the shown dashboard has answered for the state now in the URL. */
export async function panelsLoaded(pg: Page): Promise<void> {
  await expect.poll(async () => (await pg.getAttribute('body', 'data-loaded')) === new URL(pg.url()).search.slice(1), { timeout: 60_000, interval: 50 }).toBe(true);
}

/** The figure a stat tile shows. */
export const tileValue = async (panel: string, pg: Page) => pg.locator(`[data-panel="${panel}"] .stat-value`).first().getAttribute('data-value').then(Number);
