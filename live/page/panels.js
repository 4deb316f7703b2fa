// One panel: its frame in the grid, then its answer drawn as its kind says (stat tiles, a
// table, a chart), or the empty state when the range holds nothing to show.
import { categoryChart, heatmapChart, seriesEmpty, timeSeriesChart, toSeries } from './charts.js';
import { formatTime, formatValue, thresholdColor } from './format.js';

export const EMPTY_TEXT = 'no replies in this range';

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The panel's frame: title with its description as a tooltip, and a body to draw into. */
export function panelFrame(def) {
  const frame = el('section', `panel kind-${def.kind}`);
  frame.dataset.panel = def.id;
  // Grafana's grid: w of 24 columns, h rows of 30 px (set through the CSSOM, which the CSP allows).
  frame.style.gridColumn = `span ${def.w}`;
  frame.style.gridRow = `span ${def.h}`;
  const head = el('h2', 'panel-title', def.title);
  head.title = def.description;
  const body = el('div', 'panel-body');
  frame.append(head, body);
  return { frame, body };
}

const columnTitle = (c) => (typeof c === 'string' ? c : c.title);
const columnUnit = (c, unit) => (typeof c === 'string' ? unit : c.unit);

function tile(label, value, def, unit) {
  const box = el('div', 'stat');
  const color = value === null && def.nullText ? thresholdColor(Infinity, { base: 'green', steps: [] }) : thresholdColor(value, def.thresholds);
  const text = value === null && def.nullText ? def.nullText : formatValue(value, unit, def.decimals);
  const number = el('div', 'stat-value', text);
  number.dataset.value = value === null ? '' : String(value);
  if (color && def.colorBackground) box.style.backgroundColor = color;
  else if (color) number.style.color = color;
  if (label !== undefined) box.append(el('div', 'stat-label', label));
  box.append(number);
  return box;
}

function statView(body, def, result) {
  const tiles = el('div', 'stats');
  if (def.kind === 'stat') {
    tiles.append(tile(undefined, result.rows[0]?.[0] ?? null, def, def.unit));
  } else {
    if (result.rows.length === 0) return empty(body);
    const [labelCol, valueCol] = Object.keys(def.columns);
    const at = (n) => result.columns.findIndex((c) => c.name === n);
    for (const row of result.rows) tiles.append(tile(String(row[at(labelCol)]), row[at(valueCol)], def, columnUnit(def.columns[valueCol], def.unit)));
  }
  body.append(tiles);
}

function tableView(body, def, result, ctx) {
  if (result.rows.length === 0) return empty(body);
  const names = Object.keys(def.columns);
  const numeric = (n) => /Int|Float|Decimal/.test(result.columns.find((c) => c.name === n)?.type ?? '');
  const table = el('table', 'data');
  const head = el('tr');
  for (const n of names) head.append(el('th', numeric(n) ? 'num' : undefined, columnTitle(def.columns[n])));
  table.append(el('thead'), el('tbody'));
  table.tHead.append(head);
  for (const row of result.rows) {
    const tr = el('tr');
    for (const n of names) {
      const i = result.columns.findIndex((c) => c.name === n);
      const col = result.columns[i];
      const v = row[i];
      const text = /DateTime|Date/.test(col?.type ?? '') ? formatTime(v, ctx.tz, true) : typeof v === 'number' ? formatValue(v, columnUnit(def.columns[n], def.unit), def.decimals) : (v ?? '–');
      const td = el('td', numeric(n) ? 'num' : undefined, String(text));
      td.title = String(v ?? '');
      tr.append(td);
    }
    table.tBodies[0].append(tr);
  }
  const scroll = el('div', 'table-scroll');
  scroll.append(table);
  body.append(scroll);
}

function empty(body) {
  body.append(el('p', 'empty', EMPTY_TEXT));
}

/** Draws `result` into the panel's body; returns what needs destroying before a redraw. */
export function renderPanel(body, def, result, ctx) {
  body.replaceChildren();
  body.classList.remove('loading');
  switch (def.kind) {
    case 'stat':
    case 'stat-per-row':
      return statView(body, def, result);
    case 'table':
      return tableView(body, def, result, ctx);
    case 'barchart':
      if (result.rows.length === 0 || result.rows.every((r) => r.slice(1).every((v) => !v))) return empty(body);
      return categoryChart(body, def, result);
    case 'heatmap':
      if (result.rows.length === 0) return empty(body);
      return heatmapChart(body, def, result, ctx);
    default: {
      const data = toSeries(def, result);
      if (seriesEmpty(data)) return empty(body);
      return timeSeriesChart(body, def, data, ctx);
    }
  }
}

export function renderError(body, message) {
  body.replaceChildren(el('p', 'panel-error', message));
  body.classList.remove('loading');
}
