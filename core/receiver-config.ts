// The receiver's settings: who may send (secrets per agent, unsigned mode), and what one client
// may send and hold open. Part of the one configuration schema (config.ts).
import { isIP } from 'node:net';
import { z } from 'zod';
import { AppError } from './errors.js';
import { bool, int } from './env-values.js';

/** What an agent may be called: in WEBHOOK_AGENTS, and in /webhook/:agent when unsigned mode takes any agent. */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** One secret: the whole value, spaces included (a passphrase is one secret, not a list). */
const secret = z
  .string()
  .refine((v) => v.trim() !== '', { message: 'expected a secret; a blank one would accept anything signed with whitespace (unset it, or set ALLOW_UNSIGNED=true for unsigned webhooks)' });

const SECRETS_EXPECTED = { message: 'expected a secret (non-blank text) or a non-empty list of secrets' };

const agentsJson = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON such as {"sales":["secret1","secret2"],"support":"secret3"}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().regex(AGENT_NAME, { message: 'agent names are letters, digits, "_", "-" or "." (at most 64)' }),
      z
        .union([z.string(), z.array(z.string()).min(1, SECRETS_EXPECTED)], SECRETS_EXPECTED)
        .transform((v) => (Array.isArray(v) ? v : [v]))
        .refine((list) => list.every((v) => v.trim() !== ''), SECRETS_EXPECTED),
      { message: 'expected a JSON object such as {"sales":["secret1","secret2"],"support":"secret3"}' },
    ),
  );

/** An IP address, or one with a prefix length that fits it (what fastify's proxy check takes). */
function isAddressOrRange(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (family === 4 ? 32 : 128);
}

export const receiverEnv = {
  /** Secret of the plain /webhook route (agent "default"): one value, spaces included. */
  WEBHOOK_SECRET: secret.optional(),
  /** The secret being rotated out, also accepted on /webhook until it is unset. */
  WEBHOOK_SECRET_PREVIOUS: secret.optional(),
  /** JSON object: agent name -> secret or list of secrets, for /webhook/:agent. */
  WEBHOOK_AGENTS: agentsJson.optional(),
  /** Accept unsigned webhooks when no secret is configured; without it the receiver refuses to start. @default false */
  ALLOW_UNSIGNED: bool.default(false),
  /** Largest accepted body. @default 262144 */
  MAX_BODY_BYTES: int(1024, 16 * 1024 * 1024).default(256 * 1024),
  /**
   * Whose X-Forwarded-For to believe for the client address (the failed-signature limit is per
   * address): false (the peer is the client), true (any peer), a number of proxy hops, or the
   * proxies' addresses/CIDRs, comma-separated. @default false
   */
  TRUST_PROXY: z
    .string()
    .transform((v, ctx) => {
      if (v === 'false' || v === 'true') return v === 'true';
      if (/^\d+$/.test(v)) return Number(v);
      const list = v
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      if (list.length > 0 && list.every(isAddressOrRange)) return list;
      ctx.addIssue({ code: 'custom', message: "expected true, false, a number of proxy hops, or the proxies' addresses or CIDRs, comma-separated" });
      return z.NEVER;
    })
    .default(false),
  /** Longest a client may take to send one whole request (headers and body), well under Aksita's 10 s. @default 5000 */
  REQUEST_TIMEOUT_MS: int(500, 9_000).default(5_000),
  /** Open connections the receiver holds at most; more are closed at once. @default 2048 */
  MAX_CONNECTIONS: int(1, 1_000_000).default(2_048),
  /** Open connections one peer address may hold (0 = no limit; trusted proxies are exempt). @default 128 */
  MAX_CONNECTIONS_PER_ADDRESS: int(0, 1_000_000).default(128),
  /** Reject events whose timestamp is older than this (0 = off). @default 0 */
  MAX_EVENT_AGE_SECONDS: int(0, 10 * 365 * 24 * 3600).default(0),
  /** Failed signature checks allowed per client address per minute before 429. @default 30 */
  SIGNATURE_FAILURES_PER_MINUTE: int(1, 1_000_000).default(30),
};

type ReceiverEnv = z.output<z.ZodObject<typeof receiverEnv>>;

export interface ReceiverLimits {
  requestTimeoutMs: number;
  maxConnections: number;
  /** 0 = no per-address limit. */
  maxConnectionsPerAddress: number;
}

/** agent -> accepted secrets (WEBHOOK_SECRET and its previous one are agent "default"); empty means unsigned mode. */
export function agentSecrets(e: ReceiverEnv): Map<string, readonly string[]> {
  const secrets = new Map<string, readonly string[]>(Object.entries(e.WEBHOOK_AGENTS ?? {}));
  if (e.WEBHOOK_SECRET_PREVIOUS && !e.WEBHOOK_SECRET) {
    throw new AppError('config_invalid', ['  WEBHOOK_SECRET_PREVIOUS=(hidden): expected WEBHOOK_SECRET to be set too (the previous secret is accepted beside the current one while rotating)']);
  }
  if (e.WEBHOOK_SECRET) {
    const own = [e.WEBHOOK_SECRET, ...(e.WEBHOOK_SECRET_PREVIOUS ? [e.WEBHOOK_SECRET_PREVIOUS] : [])];
    secrets.set('default', [...(secrets.get('default') ?? []), ...own]);
  }
  if (e.ALLOW_UNSIGNED && secrets.size > 0) {
    throw new AppError('config_invalid', ['  ALLOW_UNSIGNED=true: expected no WEBHOOK_SECRET or WEBHOOK_AGENTS with it (with a secret every request must be signed)']);
  }
  return secrets;
}

export const receiverLimits = (e: ReceiverEnv): ReceiverLimits => ({
  requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
  maxConnections: e.MAX_CONNECTIONS,
  maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS,
});
