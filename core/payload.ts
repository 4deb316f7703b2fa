// The Aksita human-agent webhook payload, as the sender's documentation describes it
// (test/fixtures/spec: "Payload Structure"). Unknown extra fields pass through: the raw
// body is stored, so nothing Aksita adds later is lost.
import { z } from 'zod';

// RFC 3339 date-time with a mandatory offset: a timestamp without one cannot be placed in time.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export interface EventTime {
  /** Milliseconds since the epoch (sub-millisecond digits are truncated). */
  epochMs: number;
  /** The sender's UTC offset, in minutes east of UTC. */
  offsetMinutes: number;
}

/** The payload's timestamp after validation. */
export interface Timestamp extends EventTime {
  /** Exactly as sent. */
  text: string;
}

/** Parses an RFC 3339 timestamp; returns a reason string when it is not one. */
export function parseEventTime(value: string): EventTime | string {
  if (!RFC3339.test(value)) return 'expected an RFC 3339 date-time with a UTC offset, such as 2026-01-22T15:18:18+07:00';
  // The pattern fixes where each field is, so they are read in place (no match array or substrings).
  const year = digits(value, 0, 4),
    month = digits(value, 5, 2),
    day = digits(value, 8, 2);
  const hour = digits(value, 11, 2),
    minute = digits(value, 14, 2),
    second = digits(value, 17, 2);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return `"${value}" is not a real calendar date and time`;
  }
  const last = value.charCodeAt(value.length - 1);
  const zulu = last === 0x5a || last === 0x7a; // Z or z
  const offsetAt = zulu ? value.length - 1 : value.length - 6;
  let offsetMinutes = 0;
  if (!zulu) {
    const oh = digits(value, offsetAt + 1, 2),
      om = digits(value, offsetAt + 4, 2);
    if (oh > 23 || om > 59) return `"${value.slice(offsetAt)}" is not a valid UTC offset`;
    offsetMinutes = (value.charCodeAt(offsetAt) === 0x2d ? -1 : 1) * (oh * 60 + om);
  }
  // Sub-millisecond digits are truncated; ".5" is 500 ms.
  let millis = 0;
  for (let i = 20, scale = 100; i < offsetAt && scale >= 1; i++, scale /= 10) millis += (value.charCodeAt(i) - 48) * scale;
  // Computed from the fields rather than by Date.parse, which was a visible share of each
  // webhook's CPU under load; test/unit/payload.test.ts checks both give the same instant.
  const epochMs = daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
  return { epochMs, offsetMinutes };
}

/** The decimal number of `length` ASCII digits at `start` (the pattern has checked they are digits). */
function digits(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

const isLeapYear = (year: number): boolean => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysInMonth = (year: number, month: number): number => (month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!);

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil, https://howardhinnant.github.io/date_algorithms.html). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The longest conversation or message id: also the longest queue key (a Kafka record's key counts toward its size limit). */
export const MAX_ID_LENGTH = 256;

export const payloadSchema = z.looseObject({
  response: z.array(z.string(), { error: 'expected an array of strings' }),
  conversation_id: z.string().min(1, { error: 'expected a non-empty string' }).max(MAX_ID_LENGTH),
  message_id: z.string().min(1, { error: 'expected a non-empty string' }).max(MAX_ID_LENGTH),
  credits: z.number().finite(),
  remaining_credits: z.number().finite(),
  additional_context: z.string(),
  source: z.string(),
  // Parsed once here, so no caller parses it again: the text as sent, and what it means.
  timestamp: z.string().transform((value, ctx): Timestamp => {
    const parsed = parseEventTime(value);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return { text: value, epochMs: parsed.epochMs, offsetMinutes: parsed.offsetMinutes };
  }),
});

export type Payload = z.output<typeof payloadSchema>;

/**
 * Turns zod issues into one line a sender's developer can act on. `input` is what was parsed:
 * zod's issues do not carry the value they are about, which tells "missing" from "wrong type".
 */
export function describeIssues(error: z.ZodError, input: unknown): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(body)';
      if (issue.code !== 'invalid_type') return `${where}: ${issue.message}`;
      const given = issue.path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined), input);
      return given === undefined ? `${where}: missing, expected ${issue.expected}` : `${where}: expected ${issue.expected}, got ${kindOf(given)}`;
    })
    .join('; ');
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
