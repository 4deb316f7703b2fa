// The bench starts its servers through one helper that waits for the CLI's readiness line: each
// server it measures must print that line, or a whole bench section fails after a minute.
import { afterEach, describe, expect, it } from 'vitest';
import { cliArgv, spawnServer, tsArgv, type ServerProcess } from '../../bench/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const running: ServerProcess[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

describe("the bench's servers", () => {
  it('bare fastify is ready through the spawn helper and answers a webhook', async () => {
    const server = await spawnServer({ argv: tsArgv('bare-server.ts'), timeoutMs: 20_000 });
    running.push(server);
    const res = await fetch(`${server.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(await res.json()).toEqual({ received: true });
  });

  it('reply-analytics start is ready through the spawn helper, with its read API', async () => {
    const dir = await tempDir();
    try {
      const server = await spawnServer({ argv: cliArgv('start'), env: { WEBHOOK_SECRET: 'bench-servers-test-secret', DATA_DIR: dir.path }, timeoutMs: 30_000 });
      running.push(server);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${server.queryUrl}/metrics`)).text()).toContain('aksita_queue_backlog_events');
    } finally {
      for (const s of running.splice(0)) await s.stop();
      await dir.remove();
    }
  });
});
