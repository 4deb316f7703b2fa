// Values in Grafana's units ('short', 'ms', 'percentunit', 'none', 'locale', 'd') and times in
// the chosen time zone, so a tile reads as the Grafana panel does.

const fixed = (v, decimals) => (decimals === undefined ? String(Number(v.toPrecision(3))) : v.toFixed(decimals));

/** 1234 -> "1.23 K", as Grafana's 'short'. */
function short(v, decimals) {
  const units = ['', ' K', ' Mil', ' Bil', ' Tri'];
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1000 && i < units.length - 1) ((x /= 1000), i++);
  const text = i === 0 && Number.isInteger(v) && decimals === undefined ? String(x) : fixed(x, decimals);
  return `${v < 0 ? '-' : ''}${text}${units[i]}`;
}

/** Milliseconds as the largest unit that keeps the number readable: "850 ms", "2.79 s", "4.5 min". */
function duration(v, decimals) {
  const steps = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'min'],
    [1_000, 's'],
  ];
  for (const [size, name] of steps) if (Math.abs(v) >= size) return `${fixed(v / size, decimals)} ${name}`;
  return `${fixed(v, decimals ?? (Number.isInteger(v) ? 0 : undefined))} ms`;
}

export function formatValue(v, unit, decimals) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (typeof v !== 'number') return String(v);
  switch (unit) {
    case 'percentunit':
      return `${(v * 100).toFixed(decimals ?? 1)}%`;
    case 'ms':
      return duration(v, decimals);
    case 'locale':
      return v.toLocaleString('en-US', { maximumFractionDigits: decimals ?? 2 });
    case 'd':
      return `${fixed(v, decimals)} days`;
    case 'none':
      return decimals === undefined ? String(Number(v.toPrecision(6))) : v.toFixed(decimals);
    default:
      return short(v, decimals);
  }
}

const formatters = new Map();
function formatter(tz, withSeconds) {
  const key = `${tz}|${withSeconds}`;
  if (!formatters.has(key)) {
    const opts = { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    if (withSeconds) opts.second = '2-digit';
    formatters.set(key, new Intl.DateTimeFormat('en-CA', opts));
  }
  return formatters.get(key);
}

/** "2026-01-22 15:18" in `tz`. */
export function formatTime(ms, tz, withSeconds = false) {
  if (ms === null || ms === undefined) return '–';
  return formatter(tz, withSeconds).format(new Date(ms)).replace(',', '');
}

/** The offset of `tz` from UTC at `ms`, in ms. */
function offsetAt(ms, tz) {
  const parts = Object.fromEntries(
    formatter(tz, true)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** "2026-01-22T15:18" (a datetime-local value) read in `tz` -> epoch ms. */
export function parseLocal(value, tz) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!m) return undefined;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  const guess = wall - offsetAt(wall, tz);
  return wall - offsetAt(guess, tz);
}

/** epoch ms -> a datetime-local value in `tz`. */
export const toLocalInput = (ms, tz) => formatTime(ms, tz).replace(' ', 'T');

export const COLORS = { green: '#56a64b', orange: '#ff9830', red: '#e02f44', yellow: '#fade2a', blue: '#3274d9' };
export const SERIES = ['#7eb26d', '#eab839', '#6ed0e0', '#ef843c', '#e24d42', '#1f78c1', '#ba43a9', '#705da0', '#508642', '#cca300'];

/** The color of `v` under thresholds {base, steps: [[value, color]...]}. */
export function thresholdColor(v, thresholds) {
  if (!thresholds || typeof v !== 'number') return undefined;
  let color = thresholds.base;
  for (const [value, c] of thresholds.steps) if (v >= value) color = c;
  return COLORS[color] ?? color;
}
