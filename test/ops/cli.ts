// The real CLI as a child process, and webhooks sent to a running pipeline, for test/ops.
import { samplePayload } from '../helpers/sign.js';

export { cli } from '../helpers/run-cli.js';

/** Posts one unsigned webhook (ALLOW_UNSIGNED=true) and expects it accepted. */
export async function sendReply(url: string, overrides: Record<string, unknown>, agent?: string): Promise<void> {
  const res = await fetch(`${url}/webhook${agent ? `/${agent}` : ''}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(samplePayload(overrides)) });
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
}
