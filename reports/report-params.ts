// The parameters of a report, validated once for both entry points: the CLI
// (`reply-analytics report --from ...`) and GET /api/reports/* on the running process.
import { AppError } from '../core/errors.js';
import { canonicalTimeZone, parseLocalTime } from './zoned-time.js';

export const REPORT_FORMATS = ['csv', 'json', 'parquet', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
export type ReportKind = 'summary' | 'detail';

export interface ReportRequest {
  kind: ReportKind;
  format: ReportFormat;
  /** Start of the range, inclusive (epoch ms). */
  fromMs: number;
  /** End of the range, exclusive (epoch ms). */
  toMs: number;
  /** IANA time zone: days and local times in the report are in this zone. */
  tz: string;
  /** Only these agents; empty means all. */
  agents: string[];
  /** The range as the caller wrote it, shown on the HTML report. */
  given: { from: string; to: string };
}

/** Raw values as they arrive from argv or a query string. */
export interface ReportInput {
  kind?: ReportKind;
  from?: unknown;
  to?: unknown;
  tz?: unknown;
  agent?: unknown;
  format?: unknown;
}

export const DEFAULT_TZ = 'UTC';

// The years of the engine's DateTime64, whose text form also stops at four-digit years: the
// end of 9999-12-31 would be "+010000-01-01T…", which it cannot read.
const EARLIEST_YEAR = 1900;
const LATEST_YEAR = 2299;

/**
 * Validates a report request. `flag` names a parameter in messages the way the caller
 * spells it ("--from" on the command line, "from" in a URL).
 */
export function parseReportRequest(input: ReportInput, flag: (name: string) => string = (n) => n): ReportRequest {
  const fail = (message: string): never => {
    throw new AppError('report_invalid', [message]);
  };
  const text = (name: 'from' | 'to' | 'tz' | 'format', value: unknown): string | undefined => {
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') fail(`${flag(name)} was given more than once; expected one value`);
    return value as string;
  };
  const kind = input.kind ?? 'summary';

  const format = text('format', input.format);
  if (!format) fail(`${flag('format')} is missing; expected one of ${REPORT_FORMATS.join(', ')}`);
  if (!(REPORT_FORMATS as readonly string[]).includes(format!)) {
    fail(`${flag('format')} "${format}" is not supported; expected one of ${REPORT_FORMATS.join(', ')}`);
  }
  if (kind === 'detail' && format === 'html') {
    fail('the detail rows have no HTML form (the HTML report is the summary for people); expected csv, json or parquet for the detail');
  }

  const givenTz = text('tz', input.tz) ?? DEFAULT_TZ;
  const tz = canonicalTimeZone(givenTz) ?? fail(`${flag('tz')} "${givenTz}" is not a known time zone; expected an IANA name such as Asia/Jakarta or UTC`);

  const when = (name: 'from' | 'to') => {
    const value = text(name, input[name]);
    if (!value) return fail(`${flag(name)} is missing; expected a date or date-time such as 2026-01-22 or 2026-01-22T08:30`);
    const parsed = parseLocalTime(value, tz, { endOfDay: name === 'to' });
    if (typeof parsed === 'string') return fail(`${flag(name)} "${value}" is not a date: ${parsed}`);
    // The year as written (an instant near either end moves across it with the zone's offset).
    const year = Number(value.trim().slice(0, 4));
    if (year < EARLIEST_YEAR || year > LATEST_YEAR) {
      return fail(`${flag(name)} "${value}" is outside the years the store can hold; expected a time from 1900 to 2299`);
    }
    return { value, epochMs: parsed.epochMs };
  };
  const from = when('from');
  const to = when('to');
  if (from.epochMs >= to.epochMs) {
    fail(`${flag('from')} "${from.value}" is not before ${flag('to')} "${to.value}" (in ${tz}); expected ${flag('from')} earlier than ${flag('to')}`);
  }

  const agents = [...new Set(agentList(input.agent))];
  const bad = agents.find((a) => a.length > 64);
  if (bad) fail(`${flag('agent')} "${bad.slice(0, 70)}..." is longer than 64 characters; expected agent names separated by commas`);

  return { kind, format: format as ReportFormat, fromMs: from.epochMs, toMs: to.epochMs, tz, agents, given: { from: from.value, to: to.value } };
}

/** "a,b" or ["a", "b,c"] (a repeated query parameter) -> ["a", "b", "c"]. */
function agentList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return items
    .flatMap((v) => String(v).split(','))
    .map((a) => a.trim())
    .filter(Boolean);
}

/**
 * The report's parameters as a URL query string (the CLI asks the running process with it).
 * The range goes as written, so the server resolves it the same way and shows it the same way.
 */
export function toQueryString(req: ReportRequest): string {
  const q = new URLSearchParams({
    from: req.given.from,
    to: req.given.to,
    tz: req.tz,
    format: req.format,
  });
  if (req.agents.length > 0) q.set('agent', req.agents.join(','));
  return q.toString();
}
