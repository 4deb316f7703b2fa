// npm run bench [-- --quick] [-- --json FILE] [-- --only ingest,consumer,freshness,queries,memory,startup,isolation]
//               [-- --profile DIR]
// Measures and prints; never fails on a time (benchmarks are not tests). See BENCHMARKS.md.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { awaitQuiet, watch } from './contention.js';
import { consumerSection } from './consumer.js';
import { createContext, type BenchContext } from './context.js';
import { freshnessSection } from './freshness.js';
import { ingestSection } from './ingest.js';
import { liveSection } from './live-section.js';
import { isolationSection } from './query-isolation.js';
import { memorySection } from './memory.js';
import { CORES, hasTaskset, pinning, pinProcess, profileInto } from './processes.js';
import { queriesSection, type PanelDetail } from './queries.js';
import { machine, machineLine, markdownTable, panelTable, unsupportedNodeNote } from './report.js';
import { startupSection } from './startup.js';

const SECTIONS = ['ingest', 'consumer', 'freshness', 'queries', 'memory', 'startup', 'isolation', 'live'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'string' },
  },
});
const only = (values.only?.split(',').map((s) => s.trim()) ?? [...SECTIONS]) as Section[];
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section "${s}"; expected some of ${SECTIONS.join(',')}`);

// The orchestrator and load generators share the load core; servers get the other one.
pinProcess(process.pid, CORES.load);
const pinText = pinning
  ? `servers pinned to core ${CORES.server}; load generators, orchestrator and Kafka broker to core ${CORES.load} (taskset)`
  : `nothing pinned (${hasTaskset ? 'fewer than 2 cores' : 'taskset not found'})`;
// Waits (bounded) for others to finish what they are doing; the report says when they did not.
const busyBefore = await awaitQuiet(values.quick ? 5_000 : 60_000);
if (values.profile) profileInto(path.resolve(values.profile));
const ctx: BenchContext = await createContext({ quick: values.quick });
const whole = watch();
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const started = performance.now();
ctx.log(`${command}: ${only.join(', ')}${values.quick ? ' (quick)' : ''}; ${pinText}; machine ${Math.round(busyBefore * 100)}% busy before start`);
const { engines } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
const nodeNote = unsupportedNodeNote(process.version, engines.node);
if (nodeNote) {
  ctx.notes.push(nodeNote);
  ctx.log(nodeNote);
}
if (busyBefore > 0.05) ctx.notes.push(`The machine was ${Math.round(busyBefore * 100)}% busy with other work when the run started: figures may be low.`);

// Ctrl-C: stop the servers and the broker and remove the scratch directory before leaving.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void ctx.close().finally(() => process.exit(130)));
}

let panels: PanelDetail[] = [];
try {
  const run: Record<Section, () => Promise<unknown>> = {
    ingest: () => ingestSection(ctx),
    consumer: () => consumerSection(ctx),
    freshness: () => freshnessSection(ctx),
    queries: async () => (panels = await queriesSection(ctx)),
    memory: () => memorySection(ctx),
    startup: () => startupSection(ctx),
    isolation: () => isolationSection(ctx),
    live: () => liveSection(ctx),
  };
  for (const s of SECTIONS) {
    if (!only.includes(s)) continue;
    // A section that breaks is reported, and the others still run.
    await run[s]().catch((err: unknown) => {
      process.exitCode = 1;
      ctx.notes.push(`Section ${s} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      ctx.log(`section ${s} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    });
  }
} finally {
  await ctx.close();
}

const m = machine(pinText, busyBefore);
m.background_busy.during = whole.stop();
const minutes = (performance.now() - started) / 60_000;
const out = [
  `## Benchmarks (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
  '',
  `Machine: ${machineLine(m)}.`,
  `Command: \`${command}\` (${minutes.toFixed(1)} min). Each figure is the median of the runs, with min and max.`,
  '',
  markdownTable(ctx.rows),
  ...(panels.length ? ['', panelTable(panels)] : []),
  ...(ctx.notes.length ? ['', 'Notes:', ...ctx.notes.map((n) => `- ${n}`)] : []),
  '',
].join('\n');
process.stdout.write(out);
if (values.json) {
  const json = { ...ctx.json, machine: m, command, quick: values.quick, minutes, rows: ctx.rows, panels, notes: ctx.notes, at: new Date().toISOString() };
  await writeFile(values.json, `${JSON.stringify(json, null, 2)}\n`);
}
