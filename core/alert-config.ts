// The ALERT_* settings: the part of the environment schema (core/config.ts spreads it in) and
// the typed values the alert evaluator and the Grafana rule generator receive.
import { z } from 'zod';
import { int } from './env-values.js';

const positiveNumber = z
  .string()
  .regex(/^\d+(\.\d+)?$/, { message: 'expected a number such as 7 or 1.5' })
  .transform(Number)
  .pipe(z.number().positive({ message: 'expected a number above 0' }));

const FLOOR_EXPECTED = 'expected a number such as 500, or JSON such as {"sales":1000,"*":200} ("*": every other agent)';

/** A number for every agent, or JSON: agent -> floor, "*" for every agent not named. */
const creditsFloor = z.string().transform((raw, ctx): CreditsFloor => {
  if (/^\d+(\.\d+)?$/.test(raw)) return { agents: {}, other: Number(raw) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const valid = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.keys(parsed).length > 0;
  const entries = valid ? Object.entries(parsed as Record<string, unknown>) : [];
  if (!valid || !entries.every(([agent, v]) => agent !== '' && typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
    ctx.addIssue({ code: 'custom', message: FLOOR_EXPECTED });
    return z.NEVER;
  }
  const agents = Object.fromEntries(entries.filter(([agent]) => agent !== '*')) as Record<string, number>;
  const other = (parsed as Record<string, number>)['*'];
  return { agents, other };
});

const webhookUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'expected an http(s):// URL, such as a Slack incoming webhook' },
);

/** The ALERT_* entries of the environment schema. */
export const alertEnv = {
  /** Where alert notifications are POSTed (JSON); unset: alerts are evaluated and logged, not sent. */
  ALERT_WEBHOOK_URL: webhookUrl.optional(),
  /** slack ({"text": ...} plus blocks) or generic (signed JSON). @default slack */
  ALERT_WEBHOOK_FORMAT: z.enum(['slack', 'generic'], { message: 'expected slack or generic' }).default('slack'),
  /** HMAC-SHA256 key of the generic format's X-Alert-Signature header; required with ALERT_WEBHOOK_FORMAT=generic. */
  ALERT_WEBHOOK_SECRET: z
    .string()
    .refine((v) => v.trim() !== '', { message: 'expected a secret (non-blank text)' })
    .optional(),
  /** Seconds between two evaluations of every rule in the pipeline process (0 = off). @default 60 */
  ALERT_INTERVAL_SECONDS: int(0, 86_400).default(60),
  /** Alert when an agent's credits are projected to run out within this many days. @default 7 */
  ALERT_CREDITS_DAYS: positiveNumber.default(7),
  /** Alert when an agent's remaining credits are below this: a number, or JSON per agent. @default unset (off) */
  ALERT_CREDITS_FLOOR: creditsFloor.optional(),
  /** Alert when an accepted reply has waited this long to be stored. @default 5 */
  ALERT_STALL_MINUTES: int(1, 1_440).default(5),
  /** Alert when an agent has sent no reply for this many minutes (0 = off). @default 0 */
  ALERT_SILENT_AGENT_MINUTES: int(0, 525_600).default(0),
};

export interface CreditsFloor {
  /** Floors of the agents named. */
  agents: Readonly<Record<string, number>>;
  /** The floor of every other agent; undefined: no floor for them. */
  other: number | undefined;
}

export interface AlertConfig {
  webhookUrl: string | undefined;
  format: 'slack' | 'generic';
  secret: string | undefined;
  /** 0: the pipeline does not evaluate the rules. */
  intervalSeconds: number;
  creditsDays: number;
  creditsFloor: CreditsFloor | undefined;
  stallMinutes: number;
  /** 0: off. */
  silentAgentMinutes: number;
}

type AlertEnv = z.output<z.ZodObject<typeof alertEnv>>;

/** Typed alert settings, or the lines of a configuration error. */
export function toAlertConfig(e: AlertEnv): AlertConfig | string[] {
  if (e.ALERT_WEBHOOK_FORMAT === 'generic' && e.ALERT_WEBHOOK_URL && !e.ALERT_WEBHOOK_SECRET) {
    return ['  ALERT_WEBHOOK_SECRET: expected a secret with ALERT_WEBHOOK_FORMAT=generic (the receiver checks the X-Alert-Signature header with it)'];
  }
  return {
    webhookUrl: e.ALERT_WEBHOOK_URL,
    format: e.ALERT_WEBHOOK_FORMAT,
    secret: e.ALERT_WEBHOOK_SECRET,
    intervalSeconds: e.ALERT_INTERVAL_SECONDS,
    creditsDays: e.ALERT_CREDITS_DAYS,
    creditsFloor: e.ALERT_CREDITS_FLOOR,
    stallMinutes: e.ALERT_STALL_MINUTES,
    silentAgentMinutes: e.ALERT_SILENT_AGENT_MINUTES,
  };
}
