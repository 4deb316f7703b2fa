// The figures as a markdown table (for people and BENCHMARKS.md) and as JSON (for machines).
import os from 'node:os';
import type { Row } from './context.js';
import type { PanelDetail } from './queries.js';

export interface Machine {
  cores: number;
  cpu_model: string;
  node: string;
  platform: string;
  memory_gb: number;
  pinning: string;
  /** Share of the machine's CPU time (0..1) used by other processes before and during the run. */
  background_busy: { before: number; during?: number };
}

export function machine(pinning: string, busyBefore: number): Machine {
  return {
    cores: os.cpus().length,
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    memory_gb: Math.round(os.totalmem() / 1024 ** 3),
    pinning,
    background_busy: { before: busyBefore },
  };
}

/**
 * A note when `version` (process.version) is older than package.json's `engines.node` (">=N"):
 * the figures would be of a runtime the project does not support (and kafkajs, V8's collector
 * and chDB's bindings all differ by Node major).
 */
export function unsupportedNodeNote(version: string, engines: string): string | undefined {
  const minimum = Number(/^>=\s*(\d+)/.exec(engines.trim())?.[1]);
  const major = Number(/^v(\d+)/.exec(version)?.[1]);
  if (!Number.isFinite(minimum) || !Number.isFinite(major) || major >= minimum) return undefined;
  return `Node ${version} is older than package.json's engines (${engines}): these are figures of an unsupported runtime. Run \`npx -p node@24 npm run bench\` (Node 24 is the Docker image's).`;
}

function fmt(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'ratio') return value.toFixed(2);
  if (unit === 'ms') return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
  return Math.round(value).toLocaleString('en-US');
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = ['| section | measure | median | min | max | unit | target | met |', '|---|---|---:|---:|---:|---|---|---|'];
  for (const r of rows) {
    const f = r.figure;
    const spread = f.runs.length > 1;
    lines.push(
      `| ${r.section} | ${r.measure} | **${fmt(f.median, r.unit)}** | ${spread ? fmt(f.min, r.unit) : ''} | ${spread ? fmt(f.max, r.unit) : ''} | ${r.unit} | ${r.target?.text ?? ''} | ${r.target ? (r.target.met ? 'yes' : '**no**') : ''} |`,
    );
  }
  return lines.join('\n');
}

export function panelTable(details: readonly PanelDetail[]): string {
  if (details.length === 0) return '';
  const sizes = details.map((d) => `${d.rows / 1_000_000}M rows`);
  const lines = [`| panel (median ms of 5 runs) | ${sizes.join(' | ')} |`, `|---|${sizes.map(() => '---:').join('|')}|`];
  details[0]!.panels.forEach((p, i) => lines.push(`| ${p.name} | ${details.map((d) => fmt(d.panels[i]!.ms.median, 'ms')).join(' | ')} |`));
  return lines.join('\n');
}

export function machineLine(m: Machine): string {
  const busy = (x: number) => `${Math.round(x * 100)}%`;
  return (
    `${m.cores} cores, ${m.cpu_model}, Node ${m.node}, ${m.platform}, ${m.memory_gb} GB RAM; ${m.pinning}; ` +
    `other processes used ${busy(m.background_busy.before)} of the CPU just before the run${m.background_busy.during === undefined ? '' : ` and ${busy(m.background_busy.during)} during it`}`
  );
}
