// Test-side signing uses node:crypto directly; the fixtures in test/fixtures/signatures
// (computed with openssl) are the independent oracle that this agrees with the sender.
import { createHmac } from 'node:crypto';

export const sign = (body: Buffer | string, secret: string): string => createHmac('sha256', secret).update(body).digest('hex');

let counter = 0;

/** A valid Aksita payload; override any field. */
export function samplePayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    response: ['hello', 'how can I help?'],
    message_id: `m-${process.pid}-${counter}`,
    conversation_id: `c-${counter % 7}`,
    credits: 0,
    remaining_credits: 1234,
    additional_context: '',
    source: 'human_agent',
    timestamp: '2026-01-22T15:18:18+07:00',
    ...overrides,
  };
}
