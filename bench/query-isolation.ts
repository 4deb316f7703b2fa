// Section 7: query isolation. `reply-analytics start` takes a steady 1,000 signed webhooks/s
// (open loop), alone and while three heavy queries (count() over 10^12 numbers, each running
// until cancelled) go through the read API with QUERY_MAX_CONCURRENT=3. The webhook p99 of
// both, and their ratio: the read API's limits (two threads a query at the lowest priority)
// are what keeps analytics from starving the receiver. Runnable alone: npm run bench -- --only isolation
import path from 'node:path';
import type { BenchContext } from './context.js';
import { SECRET } from './ingest.js';
import { paced } from './load.js';
import { cliArgv, CORES, queryToken, spawnServer, type ServerProcess } from './processes.js';
import { figure, round } from './stats.js';

const RATE = 1_000;
const HEAVY_QUERIES = 3;
const HEAVY = 'SELECT count() FROM numbers(1e12)';

/** Starts the heavy queries; returns how many the API refused (429) and a function that leaves the rest. */
async function heavyQueries(server: ServerProcess, token: string): Promise<{ refused: number; leave: () => Promise<void> }> {
  const clients = Array.from({ length: HEAVY_QUERIES }, () => new AbortController());
  let refused = 0;
  const answers = clients.map((c) =>
    fetch(`${server.queryUrl}/api/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: HEAVY, format: 'TSV' }),
      signal: c.signal,
    }).then(
      (res) => void (res.status === 429 && refused++),
      () => undefined,
    ),
  );
  // A refusal comes at once; the others run until left.
  await new Promise((r) => setTimeout(r, 500));
  return {
    refused,
    leave: async () => {
      for (const c of clients) c.abort();
      await Promise.all(answers);
    },
  };
}

export async function isolationSection(ctx: BenchContext): Promise<void> {
  const rounds = ctx.quick ? 1 : 2;
  const durationS = ctx.quick ? 4 : 8;
  const dataDir = path.join(ctx.scratch, 'isolation');
  const server = await spawnServer({
    argv: cliArgv('start'),
    env: { WEBHOOK_SECRET: SECRET, DATA_DIR: dataDir, QUERY_MAX_CONCURRENT: String(HEAVY_QUERIES), QUERY_TIMEOUT_SECONDS: '600' },
    core: CORES.server,
  });
  const alone: number[] = [];
  const loaded: number[] = [];
  let refused = 0;
  try {
    const token = queryToken(dataDir);
    const runId = Date.now().toString(36);
    for (let r = 0; r < rounds; r++) {
      const job = (name: string) => ({ url: server.url, path: '/webhook', rate: RATE, warmupS: 2, durationS, prefix: `iso-${runId}-${r}-${name}`, secret: SECRET, maxConnections: 32 });
      const a = await ctx.measure(`isolation run ${r + 1}, webhooks alone`, () => paced(job('alone')));
      const q = await heavyQueries(server, token);
      refused += q.refused;
      const b = await ctx.measure(`isolation run ${r + 1}, with ${HEAVY_QUERIES} heavy queries`, () => paced(job('queries'))).finally(q.leave);
      for (const [label, res] of [
        ['alone', a],
        ['with queries', b],
      ] as const) {
        if (res.failed > 0) ctx.notes.push(`isolation run ${r + 1} (${label}): ${res.failed} failed webhooks (${JSON.stringify(res.failures)}).`);
      }
      alone.push(a.p99Ms);
      loaded.push(b.p99Ms);
      ctx.log(`isolation run ${r + 1}/${rounds}: webhook p99 ${a.p99Ms} ms alone, ${b.p99Ms} ms with ${HEAVY_QUERIES - q.refused} heavy queries running`);
    }
  } finally {
    await server.stop();
  }
  if (refused > 0) ctx.notes.push(`isolation: the read API refused ${refused} of the heavy queries (429).`);
  const S = '7. isolation';
  const fa = figure(alone);
  const fb = figure(loaded);
  const ratios = figure(loaded.map((b, i) => round(b / alone[i]!, 2)));
  ctx.rows.push({ section: S, measure: `webhook p99 at ${RATE}/s, alone (embedded)`, unit: 'ms', figure: fa });
  ctx.rows.push({ section: S, measure: `webhook p99 at ${RATE}/s, with ${HEAVY_QUERIES} heavy API queries running`, unit: 'ms', figure: fb });
  ctx.rows.push({ section: S, measure: 'webhook p99 with queries / alone, per run', unit: 'ratio', figure: ratios, target: { text: '≤ 2', met: ratios.median <= 2 } });
  ctx.json.isolation = { alone_p99_ms: fa.median, with_queries_p99_ms: fb.median, ratio: ratios.median, refused };
}
