// Section 3: freshness. `reply-analytics start` with default settings takes a steady 1,000
// signed webhooks/s (open loop); for every 2xx the generator notes its message id and wall-clock
// time, while this process polls the read-only query endpoint for rows with a higher queue
// offset than it has seen. Freshness of a reply = when a poll first returned it − its 2xx.
// A poll's answer time is used (an upper bound), so the figure includes up to one poll interval.
import path from 'node:path';
import type { BenchContext } from './context.js';
import { SECRET, settle } from './ingest.js';
import { paced } from './load.js';
import { cliArgv, CORES, queryToken, spawnServer } from './processes.js';
import { figure, percentile } from './stats.js';

const RATE = 1_000;
const POLL_MS = 20;

/** Polls until stopped; returns message id -> time first visible. */
function pollVisible(url: string, token: string): { stop(): Promise<Map<string, number>>; seen: Map<string, number> } {
  const seen = new Map<string, number>();
  let maxOffset = -1;
  let running = true;
  const loop = (async () => {
    while (running) {
      const res = await fetch(`${url}/api/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: `SELECT queue_offset, message_id FROM aksita.human_agent_replies WHERE queue_offset > ${maxOffset}`, format: 'TSV' }),
      });
      const text = await res.text();
      const now = Date.now();
      if (!res.ok) throw new Error(`query endpoint answered ${res.status}: ${text}`);
      for (const line of text.split('\n')) {
        if (!line) continue;
        const [offset, id] = line.split('\t') as [string, string];
        maxOffset = Math.max(maxOffset, Number(offset));
        if (!seen.has(id)) seen.set(id, now);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

export async function freshnessSection(ctx: BenchContext): Promise<void> {
  const rounds = ctx.quick ? 3 : 5;
  const durationS = ctx.quick ? 5 : 20;
  const dataDir = path.join(ctx.scratch, 'freshness');
  const server = await spawnServer({ argv: cliArgv('start'), env: { WEBHOOK_SECRET: SECRET, DATA_DIR: dataDir }, core: CORES.server });
  const p50s: number[] = [];
  const p99s: number[] = [];
  try {
    const token = queryToken(dataDir);
    const runId = Date.now().toString(36);
    for (let r = 0; r < rounds; r++) {
      const { poller, res } = await ctx.measure(`freshness run ${r + 1}`, async () => {
        const poller = pollVisible(server.queryUrl, token);
        const res = await paced({ url: server.url, path: '/webhook', rate: RATE, warmupS: 2, durationS, prefix: `fresh-${runId}-${r}`, secret: SECRET, maxConnections: 32, recordAcks: true });
        return { poller, res };
      });
      // Let the last acknowledged replies become visible (bounded).
      const deadline = Date.now() + 15_000;
      while (res.acks!.some(([id]) => !poller.seen.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const seen = await poller.stop();
      const lags = res.acks!.filter(([id]) => seen.has(id)).map(([id, ack]) => seen.get(id)! - ack);
      const missing = res.acks!.length - lags.length;
      if (missing > 0 || res.failed > 0)
        ctx.notes.push(`freshness run ${r + 1}: ${missing} acknowledged replies not visible within 15 s, ${res.failed} failed requests (${JSON.stringify(res.failures)}).`);
      p50s.push(percentile(lags, 50));
      p99s.push(percentile(lags, 99));
      ctx.log(`freshness run ${r + 1}/${rounds}: ${lags.length} replies, p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${percentile(lags, 100)} ms`);
      await settle({ key: 'embedded', server });
    }
  } finally {
    await server.stop();
  }
  const S = '3. freshness';
  const f99 = figure(p99s);
  ctx.rows.push({ section: S, measure: `2xx → visible to SQL at ${RATE}/s, p50 (embedded, default batches, ${POLL_MS} ms polls)`, unit: 'ms', figure: figure(p50s) });
  ctx.rows.push({ section: S, measure: `2xx → visible to SQL at ${RATE}/s, p99`, unit: 'ms', figure: f99, target: { text: '< 1500', met: f99.median < 1500 } });
  ctx.json.freshness_p99_ms = f99.median;
}
