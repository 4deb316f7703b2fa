// The query string of GET /live/api/panel, checked strictly: ids from a fixed charset, times and
// interval as integers within bounds, agents as agent names. Anything else is live_invalid.
import { z } from 'zod';
import { AGENT_NAME } from '../core/config.js';
import { AppError } from '../core/errors.js';
import type { PanelRange } from './panel-sql.js';

/** 1970 .. 2100: the range of the store's DateTime64 columns that anyone means. */
const MAX_MS = Date.UTC(2100, 0, 1);
/** The longest range: a bit over a year (the range picker's presets go to 30 days). */
export const MAX_RANGE_MS = 400 * 86_400_000;
/** Buckets of one series: more than a screen has pixels is work nobody sees. */
export const MAX_BUCKETS = 5_000;
const MIN_INTERVAL_MS = 1_000;

const ID = /^[a-z0-9-]{1,64}$/;
const epochMs = (name: string) =>
  z
    .string({ error: `expected ${name}: epoch milliseconds` })
    .regex(/^\d{1,15}$/, { error: `expected ${name} as epoch milliseconds (digits only)` })
    .transform(Number)
    .refine((n) => n <= MAX_MS, { error: `expected ${name} before 2100-01-01` });

const schema = z
  .object({
    dashboard: z.string({ error: 'expected dashboard: a dashboard id' }).regex(ID, { error: 'expected dashboard: a dashboard id (a-z, 0-9, -)' }),
    panel: z.string({ error: 'expected panel: a panel id' }).regex(ID, { error: 'expected panel: a panel id (a-z, 0-9, -)' }),
    from: epochMs('from'),
    to: epochMs('to'),
    interval: z
      .string({ error: 'expected interval: milliseconds' })
      .regex(/^\d{1,12}$/, { error: 'expected interval as milliseconds (digits only)' })
      .transform(Number)
      .refine((n) => n >= MIN_INTERVAL_MS, { error: `expected interval of at least ${MIN_INTERVAL_MS} ms` }),
    // Comma-separated agent names; empty or absent means every agent.
    agent: z
      .string()
      .max(64 * 65)
      .optional()
      .transform((s) => (s ? s.split(',') : []))
      .refine((names) => names.every((n) => AGENT_NAME.test(n)), { error: 'expected agent: comma-separated agent names (letters, digits, "_", "-" or ".", at most 64 each)' })
      .refine((names) => names.length <= 64, { error: 'expected at most 64 agents' }),
  })
  .strict()
  .refine((q) => q.to > q.from, { error: 'expected to after from' })
  .refine((q) => q.to - q.from <= MAX_RANGE_MS, { error: `expected a range of at most ${MAX_RANGE_MS / 86_400_000} days` })
  .refine((q) => (q.to - q.from) / q.interval <= MAX_BUCKETS, { error: `expected at most ${MAX_BUCKETS} intervals in the range (a longer interval)` });

export interface PanelRequest extends PanelRange {
  dashboard: string;
  panel: string;
}

export function parsePanelRequest(query: unknown): PanelRequest {
  // A repeated parameter arrives as an array: refused like any other wrong shape.
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new AppError('live_invalid', [parsed.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown parameter ${i.keys.join(', ')}` : i.message)).join('; ')]);
  const q = parsed.data;
  return { dashboard: q.dashboard, panel: q.panel, fromMs: q.from, toMs: q.to, intervalMs: q.interval, agents: q.agent };
}
