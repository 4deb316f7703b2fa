// Charts drawn with uPlot (loaded by index.html from our own server as the global uPlot):
// time series (lines, steps or bars, stacked or not, split by a label column) and bars over
// categories; the delivery-latency heatmap is drawn on a canvas of its own.
import { COLORS, formatTime, formatValue, SERIES } from './format.js';

const isTime = (c) => /DateTime|Date/.test(c.type);
const isNumber = (c) => /Int|Float|Decimal/.test(c.type);

/** Long or wide rows -> x (seconds) and one named array per series, null where a series has no point. */
export function toSeries(def, result) {
  const cols = result.columns;
  const t = cols.findIndex(isTime);
  const label = def.seriesBy ? cols.findIndex((c) => c.name === def.seriesBy) : cols.findIndex((c, i) => i !== t && !isNumber(c));
  const values = cols.map((c, i) => i).filter((i) => i !== t && i !== label && isNumber(cols[i]));
  const xs = [...new Set(result.rows.map((r) => r[t]))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const series = new Map();
  for (const row of result.rows) {
    for (const v of values) {
      const name = label === -1 ? cols[v].name : values.length === 1 ? String(row[label]) : `${row[label]} ${cols[v].name}`;
      if (!series.has(name)) series.set(name, new Array(xs.length).fill(null));
      series.get(name)[at.get(row[t])] = row[v];
    }
  }
  return { xs: xs.map((x) => x / 1000), series: [...series.entries()] };
}

/** No point above zero: the range holds nothing to draw. */
export const seriesEmpty = ({ series }) => series.every(([, ys]) => ys.every((y) => y === null || y === 0));

/** The body's inner size (its 8 px side padding off), less room for the legend. */
function size(el) {
  return { width: Math.max(el.clientWidth - 16, 200), height: Math.max(el.clientHeight - 30, 80) };
}

/** Point marks where a series has few points: a lone bucket is a dot, not nothing. */
const points = (ys) => ({ show: ys.filter((y) => y !== null).length <= 60, size: 6 });

/** An axis as wide as its longest label (uPlot's own sizing recipe). */
function fitSize(u, values, axisIdx, cycleNum) {
  const axis = u.axes[axisIdx];
  if (cycleNum > 1) return axis._size;
  let size = axis.ticks.size + axis.gap;
  const longest = (values ?? []).reduce((a, v) => (String(v).length > a.length ? String(v) : a), '');
  if (longest !== '') {
    u.ctx.font = axis.font[0];
    size += u.ctx.measureText(longest).width / devicePixelRatio;
  }
  return Math.ceil(size) + 4;
}

const AXIS = { stroke: '#9fa7b3', grid: { stroke: '#2c3235' }, ticks: { stroke: '#2c3235' } };

/** A time tick in 24-hour clock in the chosen zone; with the date when the range spans days. */
function timeTick(ms, ctx) {
  const text = formatTime(ms, ctx.tz);
  if (ctx.toMs - ctx.fromMs <= 86_400_000) return text.slice(11);
  return text.endsWith('00:00') ? text.slice(5, 10) : text.slice(5);
}

const timeAxis = (ctx) => ({ ...AXIS, values: (_u, ticks) => ticks.map((t) => timeTick(t * 1000, ctx)) });

function valueAxis(def) {
  return {
    ...AXIS,
    size: fitSize,
    values: (_u, ticks) => ticks.map((v) => formatValue(v, def.unit)),
    ...(def.axisLabel ? { label: def.axisLabel, labelSize: 20 } : {}),
  };
}

/** Dashed lines at the threshold steps (the credits levels). */
function thresholdHook(def) {
  return (u) => {
    const ctx = u.ctx;
    ctx.save();
    ctx.setLineDash([6, 6]);
    ctx.lineWidth = 1;
    for (const [value, color] of def.thresholds.steps) {
      const y = u.valToPos(value, 'y', true);
      if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
      ctx.strokeStyle = COLORS[color] ?? color;
      ctx.beginPath();
      ctx.moveTo(u.bbox.left, y);
      ctx.lineTo(u.bbox.left + u.bbox.width, y);
      ctx.stroke();
    }
    ctx.restore();
  };
}

/** Vertical marks at annotation times (Grafana's annotations: the credits top-ups). */
function marksHook(marks) {
  return (u) => {
    const g = u.ctx;
    g.save();
    g.lineWidth = 1;
    g.setLineDash([3, 3]);
    for (const m of marks) {
      const x = u.valToPos(m.time / 1000, 'x', true);
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      g.strokeStyle = COLORS[m.color] ?? m.color;
      g.beginPath();
      g.moveTo(x, u.bbox.top);
      g.lineTo(x, u.bbox.top + u.bbox.height);
      g.stroke();
    }
    g.restore();
  };
}

export function timeSeriesChart(el, def, data, ctx) {
  const { uPlot } = globalThis;
  const marks = (ctx.marks ?? []).filter((m) => m.time >= ctx.fromMs && m.time <= ctx.toMs);
  // Which marks a panel shows, for the browser test.
  el.dataset.marks = String(marks.length);
  let named = data.series;
  if (def.stacked) {
    // Cumulative sums, drawn tallest first so each bar shows its own share.
    const sums = new Array(data.xs.length).fill(0);
    named = named.map(([name, ys]) => [name, ys.map((y, i) => (sums[i] += y ?? 0))]).reverse();
  }
  const path = def.bars ? uPlot.paths.bars({ size: [0.8, 64] }) : def.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
  const series = named.map(([name, ys], i) => {
    const color = SERIES[(def.stacked ? named.length - 1 - i : i) % SERIES.length];
    return {
      label: name,
      stroke: color,
      width: def.bars ? 0 : 1.5,
      fill: def.bars ? color : `${color}22`,
      points: def.bars ? { show: false } : points(ys),
      ...(path ? { paths: path } : {}),
      value: (_u, v) => formatValue(v, def.unit),
    };
  });
  const opts = {
    ...size(el),
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), ctx.tz),
    scales: { x: { time: true, range: () => [ctx.fromMs / 1000, ctx.toMs / 1000] }, ...(def.bars ? { y: { range: zeroBased } } : {}) },
    axes: [timeAxis(ctx), valueAxis(def)],
    series: [{ value: (_u, v) => (v === null ? '–' : formatTime(v * 1000, ctx.tz)) }, ...series],
    legend: { live: true },
    cursor: { points: { show: false } },
    hooks: { draw: [...(def.thresholds && def.thresholdLines ? [thresholdHook(def)] : []), marksHook(marks)] },
  };
  return new uPlot(opts, [data.xs, ...named.map(([, ys]) => ys)], el);
}

/** Bars grow from zero. */
const zeroBased = (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1];

/** Bars over the categories of the first listed column, one bar series per other column. */
export function categoryChart(el, def, result) {
  const { uPlot } = globalThis;
  const names = Object.keys(def.columns);
  const idx = (n) => result.columns.findIndex((c) => c.name === n);
  const labels = result.rows.map((r) => String(r[idx(names[0])]));
  const valueCols = names.slice(1);
  const xs = labels.map((_l, i) => i);
  const title = (n) => (typeof def.columns[n] === 'string' ? def.columns[n] : def.columns[n].title);
  const opts = {
    ...size(el),
    scales: { x: { time: false, range: () => [-0.5, labels.length - 0.5] }, y: { range: zeroBased } },
    // Every label that fits: about 28 px each.
    axes: [
      {
        ...AXIS,
        grid: { show: false },
        ticks: { show: false },
        splits: (u) => xs.filter((i) => i % Math.ceil((labels.length * 28) / u.bbox.width / devicePixelRatio || 1) === 0),
        values: (_u, ticks) => ticks.map((i) => labels[i] ?? ''),
      },
      valueAxis(def),
    ],
    series: [
      { value: (_u, i) => labels[i] ?? '–' },
      ...valueCols.map((n, i) => ({
        label: title(n),
        fill: SERIES[i % SERIES.length],
        stroke: SERIES[i % SERIES.length],
        width: 0,
        paths: uPlot.paths.bars({ size: [0.7, 80] }),
        points: { show: false },
        value: (_u, v) => formatValue(v, def.unit),
      })),
    ],
    legend: { live: true },
  };
  return new uPlot(opts, [xs, ...valueCols.map((n) => result.rows.map((r) => r[idx(n)]))], el);
}

/** Pre-bucketed counts (time column, one column per upper bound) as colored cells. */
export function heatmapChart(el, def, result, ctx) {
  const { width, height } = size(el);
  const canvas = document.createElement('canvas');
  const dpr = window.devicePixelRatio || 1;
  canvas.width = width * dpr;
  canvas.height = height * dpr;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  el.append(canvas);
  const g = canvas.getContext('2d');
  g.scale(dpr, dpr);
  const t = result.columns.findIndex(isTime);
  const buckets = result.columns.map((c, i) => i).filter((i) => i !== t);
  const left = 64;
  const bottom = 22;
  const cellH = (height - bottom) / buckets.length;
  const span = ctx.toMs - ctx.fromMs;
  const cellW = Math.max(((width - left) * ctx.intervalMs) / span, 1);
  const max = Math.max(1, ...result.rows.flatMap((r) => buckets.map((b) => r[b] ?? 0)));
  g.font = '11px sans-serif';
  g.fillStyle = '#9fa7b3';
  buckets.forEach((b, j) => {
    const name = result.columns[b].name;
    g.fillText(name === '+Inf' ? '> ' + formatValue(Number(result.columns[b - 1]?.name), def.unit) : '≤ ' + formatValue(Number(name), def.unit), 2, height - bottom - j * cellH - cellH / 2 + 4);
  });
  for (const row of result.rows) {
    const x = left + ((row[t] - ctx.fromMs) / span) * (width - left);
    buckets.forEach((b, j) => {
      const n = row[b] ?? 0;
      if (n === 0) return;
      // Square-root scale, as Grafana's exponential 0.5: a few slow replies stay visible.
      g.fillStyle = `rgba(255, 120, 30, ${0.15 + 0.85 * Math.sqrt(n / max)})`;
      g.fillRect(x, height - bottom - (j + 1) * cellH + 1, cellW - 1, cellH - 2);
    });
  }
  g.fillStyle = '#9fa7b3';
  for (let i = 0; i <= 4; i++) {
    const ms = ctx.fromMs + (span * i) / 4;
    const text = timeTick(ms, ctx);
    g.textAlign = i === 0 ? 'left' : i === 4 ? 'right' : 'center';
    g.fillText(text, left + ((width - left) * i) / 4, height - 6);
  }
  return { destroy: () => canvas.remove(), setSize: () => undefined };
}
