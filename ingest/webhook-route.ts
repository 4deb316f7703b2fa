// POST /webhook and POST /webhook/:agent: authenticate, validate, make durable, acknowledge.
// Order matters: an address over its failed-signature budget, size and media type (before the
// body is read), signature (nothing unauthenticated is stored), then parse and validate
// (authenticated failures are published as dead letters, never dropped), and 200 only after
// the queue has the event.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AGENT_NAME, type Config } from '../core/config.js';
import { AppError, type ErrorCode } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { parseBody } from '../core/parse-body.js';
import { describeIssues, MAX_ID_LENGTH, payloadSchema } from '../core/payload.js';
import type { Envelope } from '../queue/envelope.js';
import type { Publisher } from '../queue/publisher.js';
import { FailureLimiter } from './failure-limiter.js';
import { hmacKey, verifySignature } from './signature.js';

export interface WebhookRouteOptions {
  config: Config;
  publisher: Publisher;
  metrics: Metrics;
}

const SIGNATURE_HEADER = 'x-webhook-signature';
const RECEIVED = JSON.stringify({ received: true });
const JSON_UTF8 = 'application/json; charset=utf-8';

/** Every X-Webhook-Signature value: Node joins repeated headers, rawHeaders keeps them apart. */
function signatureHeaders(req: FastifyRequest): string[] {
  const joined = req.headers[SIGNATURE_HEADER];
  if (joined === undefined) return [];
  // Joined values are separated by ", "; without a comma there was one header (the common case).
  if (typeof joined === 'string' && !joined.includes(',')) return [joined];
  const raw = req.raw.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === SIGNATURE_HEADER) out.push(raw[i + 1]!);
  return out;
}

export async function webhookRoutes(app: FastifyInstance, opts: WebhookRouteOptions): Promise<void> {
  const { config, publisher, metrics } = opts;
  const limiter = new FailureLimiter(config.signatureFailuresPerMinute);
  // Each secret's key, made once rather than from the text in every createHmac call.
  const agentKeys = new Map([...config.agentSecrets].map(([agent, secrets]) => [agent, secrets.map(hmacKey)]));

  /** Publishes an authenticated payload that cannot be used as a dead letter, then refuses the request. */
  async function reject(envelope: Envelope, code: ErrorCode, args: unknown[]): Promise<never> {
    const error = new AppError(code, args);
    await publisher.publish({ ...envelope, reject: { code, reason: error.message } });
    metrics.published.inc({ kind: 'dead_letter' });
    throw error;
  }

  async function handle(req: FastifyRequest, reply: FastifyReply, agent: string): Promise<string> {
    const secrets = agentKeys.get(agent);
    // Unsigned mode takes any agent, but only a name that could have been configured.
    if (!secrets && (!config.unsignedMode || !AGENT_NAME.test(agent))) throw new AppError('unknown_agent', [agent.slice(0, 64)]);
    const body = req.body as Buffer;
    const receivedAtMs = Date.now();
    if (secrets) {
      const check = verifySignature(body, signatureHeaders(req), secrets);
      if (!check.ok) {
        metrics.signatureFailures.inc({ agent, reason: check.code });
        const retryAfter = limiter.fail(req.ip);
        if (retryAfter !== undefined) throw new AppError('rate_limited', [retryAfter]);
        throw check.code === 'signature_missing' ? new AppError('signature_missing') : new AppError('signature_invalid', [check.why]);
      }
      limiter.succeed(req.ip);
    }
    const signature = secrets ? 'valid' : 'unsigned';

    // From here on the request is authenticated: a payload we cannot use is kept, not dropped.
    const parsed = parseBody(body);
    if (!parsed.ok) return reject({ body, key: '', agent, receivedAtMs, signature }, parsed.code, parsed.args);
    const result = payloadSchema.safeParse(parsed.value);
    if (!result.success) {
      // Kept in order with its conversation when it names one, but no key longer than a valid one:
      // a record Kafka refuses as too large would hold up every event behind it.
      const conversation = parsed.value.conversation_id;
      const key = typeof conversation === 'string' && conversation.length <= MAX_ID_LENGTH ? conversation : '';
      return reject({ body, key, agent, receivedAtMs, signature }, 'invalid_payload', [describeIssues(result.error, parsed.value)]);
    }
    const envelope: Envelope = { body, key: result.data.conversation_id, agent, receivedAtMs, signature };
    const time = result.data.timestamp;
    // A replay of an old signed request: refused outright, it is not a lost reply.
    if (config.maxEventAgeSeconds > 0 && receivedAtMs - time.epochMs > config.maxEventAgeSeconds * 1000) {
      throw new AppError('stale_event', [time.text, config.maxEventAgeSeconds]);
    }
    await publisher.publish(envelope);
    metrics.published.inc({ kind: 'reply' });
    // The answer is always the same bytes: sent as they are, with no serialisation per request.
    void reply.header('content-type', JSON_UTF8);
    return RECEIVED;
  }

  // Before the body is read: an address that has spent its failure budget is refused unread,
  // and its connection closed so that the rest of the body is not drained either.
  app.addHook('onRequest', (req, reply, done) => {
    const retryAfter = limiter.refuseEarly(req.ip);
    if (retryAfter === undefined) return done();
    void reply.header('connection', 'close');
    done(new AppError('rate_limited', [retryAfter]));
  });

  app.post('/webhook', (req, reply) => handle(req, reply, 'default'));
  app.post<{ Params: { agent: string } }>('/webhook/:agent', (req, reply) => handle(req, reply, req.params.agent));
}
