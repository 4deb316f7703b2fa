// The `live` section of `npm run bench`: the built-in dashboards in headless Chromium on 1M
// generated replies (bench/live-dashboards.ts measures; this turns it into the run's rows).
import type { BenchContext } from './context.js';
import { measureLive } from './live-dashboards.js';
import { figure } from './stats.js';

const S = '8. live dashboards';
/** Issue 21: the page's first paint under 1 s on a store of 1M replies. */
const FIRST_PAINT_MS = 1_000;

export async function liveSection(ctx: BenchContext): Promise<void> {
  const f = await measureLive(1_000_000, ctx.quick ? 1 : 3, (line) => ctx.log(line));
  for (const t of f.pages) {
    const paint = figure(t.paint);
    ctx.rows.push({ section: S, measure: `${t.view}, ${t.dashboard}: first contentful paint`, unit: 'ms', figure: paint, target: { text: `< ${FIRST_PAINT_MS}`, met: paint.median < FIRST_PAINT_MS } });
    ctx.rows.push({ section: S, measure: `${t.view}, ${t.dashboard}: all ${t.panels} panels drawn`, unit: 'ms', figure: figure(t.allPanels) });
  }
  const slowest = f.answers.reduce((a, b) => (figure(b.ms).median > figure(a.ms).median ? b : a));
  ctx.rows.push({
    section: S,
    measure: `slowest panel answer alone (${slowest.view}, ${slowest.panel})`,
    unit: 'ms',
    figure: figure(slowest.ms),
    target: { text: '< 100', met: figure(slowest.ms).median < 100 },
  });
  const gzip = f.assets.reduce((n, a) => n + a.gzip, 0);
  ctx.rows.push({ section: S, measure: `page assets, gzipped as served (${f.assets.length} files)`, unit: 'KiB', figure: figure([gzip / 1024]) });
  ctx.json.live_first_paint_ms = Math.max(...f.pages.map((t) => figure(t.paint).median));
  ctx.json.live_all_panels_ms = Math.max(...f.pages.map((t) => figure(t.allPanels).median));
  ctx.json.live_assets_gzip_bytes = gzip;
}
