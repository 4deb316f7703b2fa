// The live page: reads its state from the URL, asks the server for the dashboards and then for
// each panel by id (never SQL), draws them, and redraws on a change or every `refresh` seconds.
import { bindControls, renderTabs } from './controls.js';
import { formatTime } from './format.js';
import { panelFrame, renderError, renderPanel } from './panels.js';
import { readState, resolveRange, stateQuery, stateUrl } from './state.js';

let state = readState(window.location);
let catalogue;
/** The panels on screen: their frames and what each has drawn (to destroy before a redraw). */
let view;
let timer;
let generation = 0;

async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body;
}

function setState(next) {
  state = next;
  history.pushState(null, '', stateUrl(state));
  show();
}

/** The dashboard's annotations (top-ups) as marks for its time series; none if they fail. */
async function loadMarks(dashboard, range) {
  const lists = await Promise.all(
    dashboard.annotations.map(async (a) => {
      const q = new URLSearchParams({ dashboard: dashboard.id, panel: a.id, from: String(range.fromMs), to: String(range.toMs), interval: String(range.intervalMs) });
      if (state.agents.length > 0) q.set('agent', state.agents.join(','));
      const result = await getJson(`/live/api/panel?${q}`).catch(() => ({ columns: [], rows: [] }));
      const at = (name) => result.columns.findIndex((c) => c.name === name);
      return result.rows.map((r) => ({ time: r[at('time')], text: String(r[at('text')] ?? a.name), color: a.color }));
    }),
  );
  return lists.flat();
}

async function loadPanel(panel, range, mine, marks) {
  const { def, body } = panel;
  const q = new URLSearchParams({ dashboard: state.dashboard, panel: def.id, from: String(range.fromMs), to: String(range.toMs), interval: String(range.intervalMs) });
  if (state.agents.length > 0) q.set('agent', state.agents.join(','));
  try {
    const result = await getJson(`/live/api/panel?${q}`);
    const drawnMarks = await marks;
    if (mine !== generation) return;
    if (performance.getEntriesByName('live:first-panel').length === 0) performance.mark('live:first-panel');
    panel.chart?.destroy();
    panel.chart = renderPanel(body, def, result, { tz: state.tz, ...range, marks: drawnMarks });
  } catch (err) {
    if (mine === generation) renderError(body, err.message);
  }
}

/** Draws the state's dashboard; a refresh keeps the panels on screen until their new answers arrive. */
async function show({ refresh = false } = {}) {
  const mine = ++generation;
  clearTimeout(timer);
  const dashboard = catalogue.dashboards.find((d) => d.id === state.dashboard) ?? catalogue.dashboards[0];
  state.dashboard = dashboard.id;
  const range = resolveRange(state);
  const agents = state.agents.length > 0 ? state.agents.join(', ') : 'all agents';
  document.getElementById('summary').textContent = `${formatTime(range.fromMs, state.tz)} – ${formatTime(range.toMs, state.tz)} (${state.tz}) · ${agents}`;
  if (!refresh || view?.dashboard !== dashboard.id) {
    for (const p of view?.panels ?? []) p.chart?.destroy();
    document.title = `${dashboard.title} · live`;
    renderTabs(catalogue.dashboards, state);
    bindControls(state, catalogue.agents, setState, () => show({ refresh: true }));
    view = { dashboard: dashboard.id, panels: dashboard.panels.map((def) => ({ def, ...panelFrame(def), chart: undefined })) };
    document.getElementById('grid').replaceChildren(...view.panels.map((p) => p.frame));
    for (const p of view.panels) p.body.classList.add('loading');
  }
  const marks = loadMarks(dashboard, range);
  await Promise.all(view.panels.map((p) => loadPanel(p, range, mine, marks)));
  if (mine !== generation) return;
  // For bench/live-dashboards.ts: when every panel of the first view had its answer drawn.
  if (performance.getEntriesByName('live:all-panels').length === 0) performance.mark('live:all-panels');
  document.body.dataset.loaded = stateQuery(state);
  document.body.dataset.refreshedAt = String(range.toMs);
  if (state.refresh > 0) timer = setTimeout(() => show({ refresh: true }), state.refresh * 1000);
}

window.addEventListener('popstate', () => {
  state = readState(window.location);
  show();
});

try {
  catalogue = await getJson('/live/api/dashboards');
  // The URL says the whole state from the start, so it can be copied as it is.
  history.replaceState(null, '', stateUrl(state));
  await show();
} catch (err) {
  document.getElementById('grid').replaceChildren(Object.assign(document.createElement('p'), { className: 'panel-error', textContent: err.message }));
}
