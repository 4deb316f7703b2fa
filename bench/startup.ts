// Section 6: start-up, from spawning `reply-analytics start` (what `npm start` runs, without
// npm's own start-up) to GET /readyz answering 200. The port is only known from the ready log
// line, so /readyz is polled from then on, every 5 ms. Both a first start (empty DATA_DIR:
// migrations run) and a restart of a directory holding data are measured.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { BenchContext } from './context.js';
import { SECRET } from './ingest.js';
import { cliArgv, spawnServer } from './processes.js';
import { figure } from './stats.js';

async function timeStart(dataDir: string, env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const server = await spawnServer({ argv: cliArgv('start'), env: { ...env, DATA_DIR: dataDir } });
  try {
    for (;;) {
      const res = await fetch(`${server.url}/readyz`).catch(() => undefined);
      if (res?.status === 200) return performance.now() - started;
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await server.stop();
  }
}

export async function startupSection(ctx: BenchContext): Promise<void> {
  const runs = ctx.quick ? 3 : 5;
  const env = { WEBHOOK_SECRET: SECRET };
  const dir = path.join(ctx.scratch, 'startup');
  await timeStart(path.join(ctx.scratch, 'startup-warmup'), env); // disk cache for node, tsx and chDB
  const fresh: number[] = [];
  const restart: number[] = [];
  for (let i = 0; i < runs; i++) {
    await rm(dir, { recursive: true, force: true });
    await ctx.measure(`startup run ${i + 1}`, async () => {
      fresh.push(await timeStart(dir, env));
      restart.push(await timeStart(dir, env));
    });
    ctx.log(`startup run ${i + 1}/${runs}: first start ${fresh.at(-1)!.toFixed(0)} ms, restart ${restart.at(-1)!.toFixed(0)} ms`);
  }
  const S = '6. start-up';
  const f = figure(fresh);
  const r = figure(restart);
  ctx.rows.push({ section: S, measure: 'spawn → /readyz 200, empty DATA_DIR (migrations run)', unit: 'ms', figure: f, target: { text: '< 3000', met: f.median < 3000 } });
  ctx.rows.push({ section: S, measure: 'spawn → /readyz 200, restart on existing DATA_DIR', unit: 'ms', figure: r, target: { text: '< 3000', met: r.median < 3000 } });
  ctx.json.startup_ms = Math.max(f.median, r.median);
}
