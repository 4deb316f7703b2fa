// Wall-clock times in an IANA time zone <-> instants, with the zone rules that ship with Node
// (ICU). Report ranges are given as local dates ("--from 2026-01-01 --tz Asia/Jakarta" means
// local midnight), so the instant depends on the zone's offset at that moment.

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

export interface ParsedTime {
  /** The instant, in epoch milliseconds. */
  epochMs: number;
  /** True when only a date was given (no time of day). */
  dateOnly: boolean;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/**
 * `tz` as the engine must be given it, or undefined when it is not an IANA time zone known to
 * this runtime (UTC included). ICU reads zone names in any case and knows aliases, the ClickHouse
 * engine matches names exactly ("utc" and "Us/Eastern" fail there), so the zone goes by the name
 * ICU resolves it to ("UTC", "America/New_York"; "Asia/Kolkata" is "Asia/Calcutta" to ICU). Every
 * name ICU resolves to is one the engine knows (checked against system.time_zones of chdb 3.4,
 * except America/Coyhaique, which is newer than the engine's zone data).
 */
export function canonicalTimeZone(tz: string): string | undefined {
  try {
    const zone = formatter(tz).resolvedOptions().timeZone;
    // Node 22 and later also take a UTC offset ("+07:00") as a zone; it is not a zone name.
    return /^[+-]/.test(zone) ? undefined : zone;
  } catch {
    return undefined;
  }
}

/** The wall clock in `tz` at `epochMs`, as if that wall clock were UTC (epoch ms). */
function wallClock(epochMs: number, tz: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(epochMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const ms = ((epochMs % 1000) + 1000) % 1000;
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!, ms);
}

/** The zone's offset from UTC at `epochMs`, in milliseconds east. */
export function offsetAt(epochMs: number, tz: string): number {
  return wallClock(epochMs, tz) - epochMs;
}

/** The instant at which the wall clock in `tz` shows `wall` (wall-clock fields encoded as UTC ms). */
export function fromWallClock(wall: number, tz: string): number {
  // Two passes settle the offset when `wall` is near a DST change; a wall time inside a
  // spring-forward gap resolves to the instant after the gap, as most calendars do.
  let guess = wall - offsetAt(wall, tz);
  const second = wall - offsetAt(guess, tz);
  if (second !== guess) guess = Math.max(guess, second);
  return guess;
}

/** The calendar date (YYYY-MM-DD) in `tz` at `epochMs`. */
export function localDate(epochMs: number, tz: string): string {
  return new Date(wallClock(epochMs, tz)).toISOString().slice(0, 10);
}

/** Local date-time "YYYY-MM-DD HH:MM:SS" in `tz`. */
export function localDateTime(epochMs: number, tz: string): string {
  return new Date(wallClock(epochMs, tz)).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.mmm]]" (T or a space), optionally followed by
 * "Z" or an offset such as "+07:00". Without an offset the time is read in `tz`.
 * With `endOfDay`, a date alone means the end of that day (the next midnight), so a range
 * "--to 2026-01-31" includes all of the 31st.
 * Returns a reason string when the text is not such a date or not a real calendar date.
 */
export function parseLocalTime(text: string, tz: string, { endOfDay = false } = {}): ParsedTime | string {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return 'expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM], e.g. 2026-01-22 or 2026-01-22T08:30+07:00';
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', offset] = m;
  const year = Number(y),
    month = Number(mo),
    day = Number(d);
  const hour = Number(h),
    minute = Number(mi),
    second = Number(s);
  const ms = Number(frac.padEnd(3, '0'));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    return 'it is not a real calendar date and time';
  }
  const dateOnly = m[4] === undefined;
  const wall = Date.UTC(year, month - 1, day + (dateOnly && endOfDay ? 1 : 0), hour, minute, second, ms);
  if (offset === undefined) return { epochMs: fromWallClock(wall, tz), dateOnly };
  if (offset === 'Z' || offset === 'z') return { epochMs: wall, dateOnly };
  const digits = offset.replace(':', '');
  const oh = Number(digits.slice(1, 3)),
    om = Number(digits.slice(3, 5));
  if (oh > 23 || om > 59) return `"${offset}" is not a valid UTC offset`;
  const sign = offset.startsWith('-') ? -1 : 1;
  return { epochMs: wall - sign * (oh * 60 + om) * 60_000, dateOnly };
}
