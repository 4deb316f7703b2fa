// How long one evaluation of every alert rule takes on the embedded engine, at the sizes given
// (default 1M and 10M replies), generated inside the engine by bench/generate-rows.ts.
//   npx tsx bench/alert-timings.ts [rows ...]
// "Now" is the end of the generated week, so every rule reads real data: the run-out fits the
// whole week, the floor and silence rules see every agent. Each rule runs once to warm up, then
// RUNS times; the median is reported, and the median of whole evaluations (all rules in turn,
// as the pipeline runs them).
import { evaluateRules, ruleRows } from '../alerts/evaluate.js';
import { alertRules, type RuleContext } from '../alerts/rules.js';
import { ChdbStore } from '../store/chdb-store.js';
import { REPLIES_TABLE } from '../store/migrations.js';
import { tempDir } from '../test/helpers/temp-dir.js';
import { DAY, generateRows, SPAN_DAYS, START_MS } from './generate-rows.js';

const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rules = alertRules({ creditsDays: 7, creditsFloor: { agents: { sales: 45_000 }, other: 20_000 }, stallMinutes: 5, silentAgentMinutes: 60 });
const ctx: RuleContext = { now: `fromUnixTimestamp64Milli(${START_MS + SPAN_DAYS * DAY})`, intervalSeconds: 60 };

async function timeAt(rows: number): Promise<void> {
  const dir = await tempDir('aksita-bench-alerts-');
  const store = await ChdbStore.open(dir.path);
  try {
    await store.migrate();
    let t = performance.now();
    await generateRows(store, rows);
    console.error(`${rows} rows generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    await store.query(`OPTIMIZE TABLE ${REPLIES_TABLE} FINAL`, { format: 'TSV' });
    console.error(`merged in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    for (const rule of rules) {
      const firing = (await ruleRows(store, rule, ctx)).length;
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const start = performance.now();
        await ruleRows(store, rule, ctx);
        times.push(performance.now() - start);
      }
      console.log(`| ${rows.toLocaleString('en')} | ${rule.id} | ${median(times).toFixed(1)} | ${firing} |`);
    }
    const whole: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const result = await evaluateRules(store, rules, ctx);
      whole.push(performance.now() - start);
      if (result.failed.size > 0) throw new Error(`rules failed: ${[...result.failed].join('; ')}`);
    }
    console.log(`| ${rows.toLocaleString('en')} | **one evaluation, all rules** | ${median(whole).toFixed(1)} | |`);
  } finally {
    await store.close();
    await dir.remove();
  }
}

const sizes = process.argv.slice(2).map(Number);
console.log('| replies | rule | median ms | rows returned |\n|---:|---|---:|---:|');
for (const rows of sizes.length > 0 ? sizes : [1_000_000, 10_000_000]) await timeAt(rows);
