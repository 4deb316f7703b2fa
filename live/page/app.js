// The live page: reads its state from the URL, asks the server for the dashboards and then for
// each panel by id (never SQL), draws them, and redraws on a change or every `refresh` seconds.
import { bindControls, renderTabs } from './controls.js';
import { formatTime } from './format.js';
import { panelFrame, renderError, renderPanel } from './panels.js';
import { readState, resolveRange, stateQuery, stateUrl } from './state.js';

let state = readState(window.location);
let catalogue;
let charts = [];
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

async function loadPanel(def, body, range, mine) {
  const q = new URLSearchParams({ dashboard: state.dashboard, panel: def.id, from: String(range.fromMs), to: String(range.toMs), interval: String(range.intervalMs) });
  if (state.agents.length > 0) q.set('agent', state.agents.join(','));
  try {
    const result = await getJson(`/live/api/panel?${q}`);
    if (mine !== generation) return;
    const chart = renderPanel(body, def, result, { tz: state.tz, ...range });
    if (chart) charts.push(chart);
  } catch (err) {
    if (mine === generation) renderError(body, err.message);
  }
}

async function show() {
  const mine = ++generation;
  clearTimeout(timer);
  for (const c of charts) c.destroy();
  charts = [];
  const dashboard = catalogue.dashboards.find((d) => d.id === state.dashboard) ?? catalogue.dashboards[0];
  state.dashboard = dashboard.id;
  document.title = `${dashboard.title} · live`;
  renderTabs(catalogue.dashboards, state);
  bindControls(state, catalogue.agents, setState);
  const range = resolveRange(state);
  const agents = state.agents.length > 0 ? state.agents.join(', ') : 'all agents';
  document.getElementById('summary').textContent = `${formatTime(range.fromMs, state.tz)} – ${formatTime(range.toMs, state.tz)} (${state.tz}) · ${agents}`;
  const grid = document.getElementById('grid');
  const frames = dashboard.panels.map((def) => ({ def, ...panelFrame(def) }));
  grid.replaceChildren(...frames.map((f) => f.frame));
  for (const f of frames) f.body.classList.add('loading');
  await Promise.all(frames.map((f) => loadPanel(f.def, f.body, range, mine)));
  if (mine !== generation) return;
  document.body.dataset.loaded = stateQuery(state);
  if (state.refresh > 0) timer = setTimeout(() => show(), state.refresh * 1000);
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
