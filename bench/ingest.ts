// Section 1: ingest throughput and latency. Three servers, each its own process on the server
// core: (a) bare fastify, the baseline; (b) `reply-analytics start` (embedded log, fsync'd, with
// its consumer storing into chDB in the same process, as it runs in embedded mode); (c)
// `reply-analytics ingest` publishing to Kafka with acks from all in-sync replicas, over the
// broker's plaintext listener and (d) over its SASL_SSL one (TLS, SCRAM-SHA-512). Rounds
// interleave the four so drift on the machine hits all alike, and each ratio is taken within
// one round; while one server is measured the others are frozen (SIGSTOP), because their
// background work (chDB merges after a run, timers) shares the server core. Then latency at a
// fixed rate of half of (b)'s maximum (and, in the full run, of a quarter of it for (b)).
import path from 'node:path';
import type { BenchContext } from './context.js';
import { autocannon, paced } from './load.js';
import { cliArgv, CORES, metric, spawnServer, tsArgv, type ServerProcess } from './processes.js';
import { cpuSeconds } from './contention.js';
import { figure } from './stats.js';

export const SECRET = 'bench-webhook-secret';
const CONNECTIONS = 100;

interface Target {
  key: 'bare' | 'embedded' | 'kafka' | 'kafka_sasl_ssl';
  label: string;
  server: ServerProcess;
}

/** Waits until what a run queued is stored (embedded) or forwarded (Kafka), so runs start alike. */
export async function settle(t: Target | { key: string; server: ServerProcess }, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pending = 0;
    if (t.key === 'embedded') pending = await metric(t.server.queryUrl, 'aksita_queue_backlog_events');
    if (t.key.startsWith('kafka')) pending = ((await (await fetch(`${t.server.url}/readyz`)).json()) as { fallbackBacklog?: number }).fallbackBacklog ?? 0;
    if (pending === 0) return;
    if (Date.now() > deadline) throw new Error(`${t.key}: ${pending} events still queued after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function ingestSection(ctx: BenchContext): Promise<void> {
  const duration = ctx.quick ? 4 : 10;
  const rounds = ctx.quick ? 3 : 5;
  const warmup = ctx.quick ? 3 : 5;
  const broker = await ctx.broker();
  // Every load client connects from 127.0.0.1: the per-address limit would count them as one client.
  const env = { WEBHOOK_SECRET: SECRET, MAX_CONNECTIONS_PER_ADDRESS: '0' };
  const runId = Date.now().toString(36);
  let runs = 0;
  // Requests are built before the clock starts (see autocannon-worker.ts): enough for each
  // server's warm-up rate with a margin; past them the generator builds as it sends.
  const perSecond = new Map<string, number>();
  const job = (t: Target, durationS: number) => ({
    url: t.server.url,
    path: '/webhook',
    connections: CONNECTIONS,
    durationS,
    poolSize: Math.round(Math.max(perSecond.get(t.key) ?? 40_000, 20_000) * 1.5 * durationS),
    prefix: `ingest-${runId}-${runs++}`,
    secret: SECRET,
  });

  const targets: Target[] = [];
  /** Runs `fn` with only `t` of the servers running. */
  const alone = async <T>(t: Target, fn: () => Promise<T>): Promise<T> => {
    for (const o of targets) if (o !== t) o.server.pause();
    t.server.resume();
    try {
      const result = await fn();
      await settle(t);
      return result;
    } finally {
      for (const o of targets) o.server.resume();
    }
  };
  try {
    ctx.log('ingest: starting bare fastify, receiver + embedded log, receiver + Kafka (plaintext and SASL_SSL)');
    const start = (argv: string[], extra: Record<string, string>) => spawnServer({ argv, env: { ...env, ...extra }, core: CORES.server });
    targets.push({ key: 'bare', label: 'bare fastify (baseline)', server: await start(tsArgv('bare-server.ts'), {}) });
    targets.push({ key: 'embedded', label: 'receiver + embedded log', server: await start(cliArgv('start'), { DATA_DIR: path.join(ctx.scratch, 'ingest-embedded') }) });
    targets.push({
      key: 'kafka',
      label: 'receiver + Kafka',
      server: await start(cliArgv('ingest'), { DATA_DIR: path.join(ctx.scratch, 'ingest-kafka'), ...broker.env('plaintext'), KAFKA_TOPIC: `bench-ingest-${runId}` }),
    });
    targets.push({
      key: 'kafka_sasl_ssl',
      label: 'receiver + Kafka (SASL_SSL, SCRAM-SHA-512)',
      server: await start(cliArgv('ingest'), { DATA_DIR: path.join(ctx.scratch, 'ingest-kafka-sasl-ssl'), ...broker.env('sasl_ssl'), KAFKA_TOPIC: `bench-ingest-sasl-ssl-${runId}` }),
    });

    for (const t of targets) perSecond.set(t.key, (await alone(t, () => autocannon(job(t, warmup)))).requestsPerS);
    const rps = new Map<string, number[]>(targets.map((t) => [t.key, []]));
    // CPU per accepted webhook, from the start of a run until its events are stored (embedded)
    // or forwarded (Kafka): what each request costs the server's core. Unlike req/s it hardly
    // depends on what else the machine does, so it shows the receiver's own cost on a busy machine.
    const cpuUs = new Map<string, number[]>(targets.map((t) => [t.key, []]));
    const p99 = new Map<string, number[]>(targets.map((t) => [t.key, []]));
    const ratios = { embedded: [] as number[], kafka: [] as number[], kafka_sasl_ssl: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const round: Record<string, number> = {};
      for (const t of targets) {
        const cpuBefore = cpuSeconds(t.server.pid);
        const res = await alone(t, () => ctx.measure(`ingest ${t.key} round ${r + 1}`, () => autocannon(job(t, duration))));
        cpuUs.get(t.key)!.push(((cpuSeconds(t.server.pid) - cpuBefore) * 1e6) / Math.max(1, res.total - res.non2xx - res.errors));
        if (res.non2xx + res.errors > 0) ctx.notes.push(`ingest ${t.key} round ${r + 1}: ${res.non2xx} non-2xx answers and ${res.errors} errors of ${res.total}.`);
        if (res.builtLate > 0) ctx.notes.push(`ingest ${t.key} round ${r + 1}: ${res.builtLate} requests were built during the run (pool too small), which slows the generator.`);
        round[t.key] = res.requestsPerS;
        rps.get(t.key)!.push(res.requestsPerS);
        p99.get(t.key)!.push(res.p99Ms);
        ctx.log(`ingest round ${r + 1}/${rounds} ${t.key}: ${Math.round(res.requestsPerS)} req/s, p99 ${res.p99Ms} ms`);
      }
      ratios.embedded.push(round.embedded! / round.bare!);
      ratios.kafka.push(round.kafka! / round.bare!);
      ratios.kafka_sasl_ssl.push(round.kafka_sasl_ssl! / round.bare!);
    }
    for (const t of targets.filter((x) => x.key.startsWith('kafka'))) {
      const kafkaState = (await (await fetch(`${t.server.url}/readyz`)).json()) as { kafka?: string };
      if (kafkaState.kafka !== 'connected') ctx.notes.push(`ingest ${t.key}: the receiver was in ${kafkaState.kafka} mode at the end (Kafka did not acknowledge in time).`);
    }

    const S = '1. ingest';
    for (const t of targets) ctx.rows.push({ section: S, measure: `${t.label}: max throughput (${CONNECTIONS} connections)`, unit: 'req/s', figure: figure(rps.get(t.key)!) });
    const be = figure(ratios.embedded);
    const bk = figure(ratios.kafka);
    ctx.rows.push({ section: S, measure: 'embedded / bare (same round)', unit: 'ratio', figure: be, target: { text: '≥ 0.60', met: be.median >= 0.6 } });
    ctx.rows.push({ section: S, measure: 'Kafka / bare (same round)', unit: 'ratio', figure: bk, target: { text: '≥ 0.50', met: bk.median >= 0.5 } });
    const bs = figure(ratios.kafka_sasl_ssl);
    ctx.rows.push({ section: S, measure: 'Kafka SASL_SSL / bare (same round)', unit: 'ratio', figure: bs, target: { text: '≥ 0.50', met: bs.median >= 0.5 } });
    ctx.rows.push({ section: S, measure: 'Kafka SASL_SSL / Kafka plaintext (same round)', unit: 'ratio', figure: figure(ratios.kafka_sasl_ssl.map((v, i) => v / ratios.kafka[i]!)) });
    for (const t of targets) ctx.rows.push({ section: S, measure: `${t.label}: p99 at max throughput`, unit: 'ms', figure: figure(p99.get(t.key)!) });
    for (const t of targets) {
      const through = t.key === 'embedded' ? ', through storage in chDB' : t.key.startsWith('kafka') ? ' (the receiver process; the broker runs on the other core)' : '';
      ctx.rows.push({ section: S, measure: `${t.label}: CPU per accepted webhook${through}`, unit: 'µs', figure: figure(cpuUs.get(t.key)!) });
    }
    const cpuRatio = (key: string) => figure(cpuUs.get('bare')!.map((bare, i) => bare / cpuUs.get(key)![i]!));
    ctx.rows.push({ section: S, measure: 'bare / embedded CPU per webhook (same round; the throughput ratio a saturated core allows)', unit: 'ratio', figure: cpuRatio('embedded') });
    ctx.rows.push({ section: S, measure: 'bare / Kafka CPU per webhook (same round)', unit: 'ratio', figure: cpuRatio('kafka') });
    ctx.rows.push({ section: S, measure: 'bare / Kafka SASL_SSL CPU per webhook (same round)', unit: 'ratio', figure: cpuRatio('kafka_sasl_ssl') });
    ctx.json.ingest_embedded_vs_bare = be.median;
    ctx.json.ingest_kafka_vs_bare = bk.median;
    ctx.json.ingest_kafka_sasl_ssl_vs_bare = bs.median;
    ctx.json.ingest_kafka_cpu_us_per_webhook = figure(cpuUs.get('kafka')!).median;
    ctx.json.ingest_kafka_sasl_ssl_cpu_us_per_webhook = figure(cpuUs.get('kafka_sasl_ssl')!).median;
    const embeddedMax = figure(rps.get('embedded')!).median;
    ctx.shared.embeddedMaxRps = embeddedMax;

    // Latency at a fixed rate: half of (b)'s maximum, open loop (see paced-worker.ts). The full
    // run also measures the embedded receiver at a quarter of it: where its p99 stands when the
    // core is not saturated (BENCHMARKS.md, section 3).
    const half = Math.round(embeddedMax / 2);
    const loads: { rate: number; share: string; targets: Target[] }[] = [
      { rate: half, share: 'half', targets: ctx.quick ? targets.filter((t) => t.key === 'embedded') : targets },
      ...(ctx.quick ? [] : [{ rate: Math.round(embeddedMax / 4), share: 'a quarter', targets: targets.filter((t) => t.key === 'embedded') }]),
    ];
    for (const { rate, share, targets: latencyTargets } of loads) {
      for (const t of latencyTargets) {
        const p50s: number[] = [];
        const p99s: number[] = [];
        for (let r = 0; r < rounds; r++) {
          const res = await alone(t, () =>
            ctx.measure(`ingest ${t.key} at ${rate}/s run ${r + 1}`, () =>
              paced({ url: t.server.url, path: '/webhook', rate, warmupS: warmup, durationS: duration, prefix: `ingest-${runId}-${runs++}`, secret: SECRET, maxConnections: 128 }),
            ),
          );
          if (res.failed > 0) ctx.notes.push(`ingest ${t.key} at ${rate}/s run ${r + 1}: ${res.failed} of ${res.sent} requests failed (by status, 0 = no answer: ${JSON.stringify(res.failures)}).`);
          p50s.push(res.p50Ms);
          p99s.push(res.p99Ms);
          ctx.log(`ingest ${t.key} at ${rate}/s: p50 ${res.p50Ms.toFixed(2)} ms, p99 ${res.p99Ms.toFixed(2)} ms, ${res.connections} connections`);
        }
        const f99 = figure(p99s);
        const isTarget = t.key === 'embedded' && rate === half;
        ctx.rows.push({ section: S, measure: `${t.label}: p50 at ${rate} req/s (${share} of embedded max)`, unit: 'ms', figure: figure(p50s) });
        ctx.rows.push({
          section: S,
          measure: `${t.label}: p99 at ${rate} req/s (${share} of embedded max)`,
          unit: 'ms',
          figure: f99,
          ...(isTarget ? { target: { text: '< 10', met: f99.median < 10 } } : {}),
        });
        if (isTarget) ctx.json.ingest_p99_ms_half_load = f99.median;
        else if (t.key === 'embedded') ctx.json.ingest_p99_ms_quarter_load = f99.median;
      }
    }
  } finally {
    for (const t of targets) await t.server.stop();
  }
}
