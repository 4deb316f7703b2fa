// The bench starts its servers through one helper that waits for the CLI's readiness line: each
// server it measures must print that line, or a whole bench section fails after a minute.
import { afterEach, describe, expect, it } from 'vitest';
import { cliArgv, spawnServer, tsArgv } from '../../bench/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Servers to stop and directories to remove after each test, last first. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("the bench's servers", () => {
  it('bare fastify is ready through the spawn helper and answers a webhook', async () => {
    const server = await spawnServer({ argv: tsArgv('bare-server.ts'), timeoutMs: 20_000 });
    cleanups.push(() => server.stop());
    const res = await fetch(`${server.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(await res.json()).toEqual({ received: true });
  });

  it('reply-analytics start is ready through the spawn helper, with its read API', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const server = await spawnServer({ argv: cliArgv('start'), env: { WEBHOOK_SECRET: 'bench-servers-test-secret', DATA_DIR: dir.path }, timeoutMs: 30_000 });
    cleanups.push(() => server.stop());
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${server.queryUrl}/metrics`)).text()).toContain('aksita_queue_backlog_events');
  });
});
