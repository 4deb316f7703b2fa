// The page's state lives in the URL, so a view can be shared: /live/<dashboard>?range=24h
// &agent=a,b&tz=UTC&refresh=30, or range=custom&from=<epoch ms>&to=<epoch ms>.

export const PRESETS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };
const DEFAULT_RANGE = '24h';
const AGENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Bucket widths the page picks from (ms): the smallest with at most MAX_POINTS buckets. */
const INTERVALS = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400].map((s) => s * 1000);
const MAX_POINTS = 200;

export function readState(location) {
  const q = new URLSearchParams(location.search);
  const dashboard = location.pathname.split('/')[2] || 'reply-volume';
  let range = q.get('range') ?? DEFAULT_RANGE;
  const from = Number(q.get('from'));
  const to = Number(q.get('to'));
  if (range === 'custom' && !(Number.isInteger(from) && Number.isInteger(to) && to > from)) range = DEFAULT_RANGE;
  if (range !== 'custom' && !(range in PRESETS)) range = DEFAULT_RANGE;
  const agents = (q.get('agent') ?? '').split(',').filter((a) => AGENT.test(a));
  const tz = validZone(q.get('tz')) ?? 'UTC';
  const refresh = Math.max(0, Math.min(86_400, Number(q.get('refresh')) || 0));
  return range === 'custom' ? { dashboard, range, from, to, agents, tz, refresh } : { dashboard, range, agents, tz, refresh };
}

function validZone(tz) {
  if (!tz) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch {
    return undefined;
  }
}

/** The query string of a state (without the dashboard, which is the path). */
export function stateQuery(s) {
  const q = new URLSearchParams();
  q.set('range', s.range);
  if (s.range === 'custom') {
    q.set('from', String(s.from));
    q.set('to', String(s.to));
  }
  if (s.agents.length > 0) q.set('agent', s.agents.join(','));
  q.set('tz', s.tz);
  if (s.refresh > 0) q.set('refresh', String(s.refresh));
  return q.toString();
}

export const stateUrl = (s, dashboard = s.dashboard) => `/live/${dashboard}?${stateQuery(s)}`;

/** The range in epoch ms (a preset ends now, to the second) and its bucket width. */
export function resolveRange(s, now = Date.now()) {
  const toMs = s.range === 'custom' ? s.to : Math.floor(now / 1000) * 1000;
  const fromMs = s.range === 'custom' ? s.from : toMs - PRESETS[s.range];
  const intervalMs = INTERVALS.find((i) => (toMs - fromMs) / i <= MAX_POINTS) ?? INTERVALS.at(-1);
  return { fromMs, toMs, intervalMs };
}
