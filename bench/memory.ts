// Section 5: memory under sustained load at half of the embedded receiver's maximum rate.
// RSS of each server process is sampled twice a second; after a warm-up, minute 1 and minute 2
// are compared by their median RSS (flat = within 10%). --quick shortens the minutes and says so.
// Embedded mode runs receiver and consumer in one process; the full run also measures the
// distributed shape (`ingest` and `consume` as separate processes, with Kafka).
import path from 'node:path';
import type { BenchContext } from './context.js';
import { SECRET } from './ingest.js';
import { paced } from './load.js';
import { cliArgv, CORES, rssBytes, spawnServer, type ServerProcess } from './processes.js';
import { figure } from './stats.js';

const MB = 1024 * 1024;
const SAMPLE_MS = 500;

interface Watched {
  label: string;
  server: ServerProcess;
  samples: { t: number; rss: number }[];
}

async function soak(ctx: BenchContext, procs: Watched[], target: ServerProcess, rate: number, minuteS: number): Promise<number[]> {
  const warmupS = ctx.quick ? 4 : 15;
  const res = await ctx.measure(`memory soak (${procs.map((p) => p.label).join(', ')})`, async () => {
    // The generator needs about a second to start; its warm-up and that second are not measured.
    const startedAt = performance.now();
    const timer = setInterval(() => {
      for (const p of procs) p.samples.push({ t: (performance.now() - startedAt) / 1000, rss: rssBytes(p.server.pid) });
    }, SAMPLE_MS);
    try {
      return await paced({ url: target.url, path: '/webhook', rate, warmupS, durationS: 2 * minuteS + 2, prefix: `memory-${Date.now().toString(36)}`, secret: SECRET, maxConnections: 128 });
    } finally {
      clearInterval(timer);
    }
  });
  if (res.failed > 0) ctx.notes.push(`memory: ${res.failed} of ${res.sent} requests failed during the soak (by status, 0 = no answer: ${JSON.stringify(res.failures)}).`);
  ctx.log(`memory soak at ${rate}/s: p99 ${res.p99Ms.toFixed(1)} ms`);
  const from = warmupS + 1;
  const ratios: number[] = [];
  const S = '5. memory';
  const shortened = ctx.quick ? ` (--quick: "minutes" of ${minuteS} s)` : '';
  for (const p of procs) {
    const window = (a: number, b: number) => p.samples.filter((s) => s.t >= a && s.t < b).map((s) => s.rss / MB);
    const m1 = figure(window(from, from + minuteS));
    const m2 = figure(window(from + minuteS, from + 2 * minuteS));
    const ratio = m2.median / m1.median;
    ratios.push(ratio);
    ctx.rows.push({ section: S, measure: `${p.label}: peak RSS at ${rate} req/s, warm-up included${shortened}`, unit: 'MB', figure: figure([Math.max(...p.samples.map((s) => s.rss / MB))]) });
    ctx.rows.push({ section: S, measure: `${p.label}: steady RSS (samples of minute 2)`, unit: 'MB', figure: m2 });
    ctx.rows.push({ section: S, measure: `${p.label}: RSS minute 2 / minute 1 (medians)`, unit: 'ratio', figure: figure([ratio]), target: { text: '0.90–1.10', met: Math.abs(ratio - 1) <= 0.1 } });
  }
  return ratios;
}

export async function memorySection(ctx: BenchContext): Promise<void> {
  const rate = Math.round((ctx.shared.embeddedMaxRps ?? 10_000) / 2);
  if (!ctx.shared.embeddedMaxRps) ctx.notes.push('memory: ingest section not run, so the soak used 5,000 req/s instead of half the measured maximum.');
  const minuteS = ctx.quick ? 12 : 60;
  // Every load client connects from 127.0.0.1: the per-address limit would count them as one client.
  const env = { WEBHOOK_SECRET: SECRET, MAX_CONNECTIONS_PER_ADDRESS: '0' };
  const ratios: number[] = [];

  const embedded = await spawnServer({ argv: cliArgv('start'), env: { ...env, DATA_DIR: path.join(ctx.scratch, 'memory-embedded') }, core: CORES.server });
  try {
    ratios.push(...(await soak(ctx, [{ label: 'embedded (receiver + consumer, one process)', server: embedded, samples: [] }], embedded, rate, minuteS)));
  } finally {
    await embedded.stop();
  }

  if (!ctx.quick) {
    const broker = await ctx.broker();
    const kafkaEnv = { ...env, KAFKA_BROKERS: broker.bootstrap, KAFKA_TOPIC: `bench-memory-${Date.now().toString(36)}` };
    const ingest = await spawnServer({ argv: cliArgv('ingest'), env: { ...kafkaEnv, DATA_DIR: path.join(ctx.scratch, 'memory-ingest') }, core: CORES.server });
    const consume = await spawnServer({ argv: cliArgv('consume'), env: { ...kafkaEnv, DATA_DIR: path.join(ctx.scratch, 'memory-consume') } }).catch(async (err: unknown) => {
      await ingest.stop();
      throw err;
    });
    try {
      const procs = [
        { label: 'Kafka receiver (`ingest`)', server: ingest, samples: [] },
        { label: 'Kafka consumer (`consume`)', server: consume, samples: [] },
      ];
      ratios.push(...(await soak(ctx, procs, ingest, rate, minuteS)));
    } finally {
      await ingest.stop();
      await consume.stop();
    }
  }
  // The ratio furthest from flat, growth or shrinkage.
  ctx.json.rss_growth_ratio = ratios.reduce((a, b) => (Math.abs(b - 1) > Math.abs(a - 1) ? b : a));
}
