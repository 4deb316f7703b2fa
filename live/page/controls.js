// The header: links between the dashboards, the range picker, agents, time zone and refresh.
// Every change becomes a new state, and so a new URL.
import { parseLocal, toLocalInput } from './format.js';
import { resolveRange, stateUrl } from './state.js';

const $ = (id) => document.getElementById(id);

function option(value, text, selected) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  o.selected = selected;
  return o;
}

export function renderTabs(dashboards, state) {
  const tabs = $('tabs');
  tabs.replaceChildren(
    ...dashboards.map((d) => {
      const a = document.createElement('a');
      a.href = stateUrl(state, d.id);
      a.textContent = d.title.replace(/^Aksita · /, '');
      a.dataset.dashboard = d.id;
      if (d.id === state.dashboard) a.setAttribute('aria-current', 'page');
      return a;
    }),
  );
}

function zones(current) {
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const first = ['UTC', local].filter((z, i, a) => z && a.indexOf(z) === i);
  const rest = [...new Set([current, ...all])].filter((z) => !first.includes(z));
  return [...first.map((z) => [z, z === local && z !== 'UTC' ? `${z} (this browser)` : z]), ...rest.map((z) => [z, z])];
}

/** Sets the controls from `state`; calls `onChange(next)` when the user changes one, `onReload()` for ↻. */
export function bindControls(state, agents, onChange, onReload) {
  $('range').value = state.range;
  $('refresh').value = String(state.refresh);
  if (![...$('refresh').options].some((o) => o.value === String(state.refresh))) $('refresh').append(option(String(state.refresh), `${state.refresh} s`, true));
  $('tz').replaceChildren(...zones(state.tz).map(([z, text]) => option(z, text, z === state.tz)));
  const agentSelect = $('agent');
  agentSelect.replaceChildren(...agents.map((a) => option(a, a, state.agents.includes(a))));
  agentSelect.size = Math.min(Math.max(agents.length, 1), 4);
  agentSelect.title = 'None selected: all agents. Ctrl/Cmd-click to pick several.';
  const custom = $('custom');
  const showCustom = (range) => {
    custom.hidden = range !== 'custom';
    const { fromMs, toMs } = resolveRange(state);
    $('from').value = toLocalInput(fromMs, state.tz);
    $('to').value = toLocalInput(toMs, state.tz);
  };
  showCustom(state.range);

  $('range').onchange = () => {
    const range = $('range').value;
    if (range === 'custom') return showCustom(range);
    onChange({ ...state, range, from: undefined, to: undefined });
  };
  $('controls').onsubmit = (e) => {
    e.preventDefault();
    const from = parseLocal($('from').value, state.tz);
    const to = parseLocal($('to').value, state.tz);
    if (from === undefined || to === undefined || to <= from) {
      $('to').setCustomValidity('expected an end after the start');
      $('to').reportValidity();
      return;
    }
    $('to').setCustomValidity('');
    onChange({ ...state, range: 'custom', from, to });
  };
  agentSelect.onchange = () => onChange({ ...state, agents: [...agentSelect.selectedOptions].map((o) => o.value) });
  $('tz').onchange = () => onChange({ ...state, tz: $('tz').value });
  $('refresh').onchange = () => onChange({ ...state, refresh: Number($('refresh').value) });
  $('reload').onclick = () => onReload();
}
