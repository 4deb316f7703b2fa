// Small inline-SVG charts for the HTML report: stacked bars and lines over days. Plain SVG
// with no scripts or fonts to fetch, so the report stays one self-contained, printable file.
import { escapeHtml } from './html-escape.js';

export interface Series {
  name: string;
  color: string;
  /** One value per category; null leaves a gap. */
  values: (number | null)[];
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  /** x-axis categories (days). */
  categories: string[];
  series: Series[];
  /** Formats a y value for the axis. */
  format: (v: number) => string;
  /** Start the y axis at zero (volumes, latencies) or fit it to the data (credit balances). */
  zeroBased: boolean;
}

const W = 920;
const H = 300;
const PAD = { left: 78, right: 16, top: 16, bottom: 64 };
const LEGEND_ITEM_W = 200;
const LEGEND_ROW_H = 20;
const LEGEND_PER_ROW = Math.floor((W - PAD.left) / LEGEND_ITEM_W);
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

/** Colour-blind-safe palette (Okabe & Ito), without the yellow that vanishes on white. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

/** Round axis steps: 1, 2 or 5 times a power of ten, about five of them. */
function ticks(min: number, max: number): number[] {
  if (max === min) max = min + 1;
  const raw = (max - min) / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1]! < max) out.push(out[out.length - 1]! + step);
  return out;
}

function frame(spec: ChartSpec, lo: number, hi: number, body: (x: (i: number) => number, y: (v: number) => number, band: number) => string): string {
  const yt = ticks(lo, hi);
  const y0 = yt[0]!;
  const y1 = yt[yt.length - 1]!;
  const y = (v: number) => PAD.top + PLOT_H - ((v - y0) / (y1 - y0)) * PLOT_H;
  const n = spec.categories.length;
  const band = PLOT_W / Math.max(n, 1);
  const x = (i: number) => PAD.left + band * (i + 0.5);
  const every = Math.max(1, Math.ceil(n / 12));
  const grid = yt
    .map((v) => `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${PAD.left - 8}" y="${y(v) + 4}" text-anchor="end">${escapeHtml(spec.format(v))}</text>`)
    .join('');
  const labels = spec.categories.map((c, i) => (i % every === 0 ? `<text x="${x(i)}" y="${H - PAD.bottom + 18}" text-anchor="middle">${escapeHtml(c.slice(5))}</text>` : '')).join('');
  const rows = Math.max(1, Math.ceil(spec.series.length / LEGEND_PER_ROW));
  const height = H + (rows - 1) * LEGEND_ROW_H;
  const legend = spec.series
    .map((s, i) => {
      const lx = PAD.left + (i % LEGEND_PER_ROW) * LEGEND_ITEM_W;
      const ly = H - 14 + Math.floor(i / LEGEND_PER_ROW) * LEGEND_ROW_H;
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
      return `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"${dash}/><text x="${lx + 28}" y="${ly}">${escapeHtml(s.name)}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" role="img" aria-label="${escapeHtml(spec.title)}" class="chart">
<title>${escapeHtml(spec.title)}</title>${grid}${labels}
<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(y0)}" y2="${y(y0)}" class="axis"/>
${body(x, y, band)}
${legend}</svg>`;
}

/** Bars stacked per category, one segment per series (e.g. replies per agent per day). */
export function stackedBarChart(spec: ChartSpec): string {
  const totals = spec.categories.map((_, i) => spec.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  return frame(spec, 0, Math.max(...totals, 1), (x, y, band) => {
    const width = Math.max(1, Math.min(48, band * 0.7));
    const rects: string[] = [];
    spec.categories.forEach((day, i) => {
      let base = 0;
      for (const s of spec.series) {
        const v = s.values[i] ?? 0;
        if (v <= 0) continue;
        const label = `${day} · ${s.name}: ${spec.format(v)}`;
        rects.push(`<rect x="${x(i) - width / 2}" y="${y(base + v)}" width="${width}" height="${y(base) - y(base + v)}" fill="${s.color}"><title>${escapeHtml(label)}</title></rect>`);
        base += v;
      }
    });
    return rects.join('');
  });
}

/** One line per series; a null value breaks the line. */
export function lineChart(spec: ChartSpec): string {
  const values = spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const hi = Math.max(...values, spec.zeroBased ? 1 : -Infinity);
  const lo = spec.zeroBased ? 0 : Math.min(...values);
  const markers = spec.categories.length <= 62;
  return frame(spec, Number.isFinite(lo) ? lo : 0, Number.isFinite(hi) ? hi : 1, (x, y) =>
    spec.series
      .map((s) => {
        let d = '';
        let pen = false;
        const dots: string[] = [];
        s.values.forEach((v, i) => {
          if (v === null) return void (pen = false);
          d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
          pen = true;
          const label = `${spec.categories[i]} · ${s.name}: ${spec.format(v)}`;
          if (markers) dots.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${s.color}"><title>${escapeHtml(label)}</title></circle>`);
        });
        const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
        return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.5"${dash}/>${dots.join('')}`;
      })
      .join(''),
  );
}
