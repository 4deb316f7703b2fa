// tools/kafka/broker.ts probes the broker with a kafkajs client of its own. Without the pipeline's
// request-queue patch that client runs kafkajs's idle timer loop, which Node 24 reports as a
// TimeoutNegativeWarning on every `npm run kafka` (queue/kafkajs-request-queue-patch.ts).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

// In a process of its own: this test process may have loaded the patch through other modules.
const PROBE = `
await import('./tools/kafka/broker.ts');
const { createRequire } = await import('node:module');
const RequestQueue = createRequire(process.cwd() + '/')('kafkajs/src/network/requestQueue/index.js');
const idle = { pending: [], throttledUntil: -1, throttleCheckTimeoutId: null, checkPendingRequests() {} };
RequestQueue.prototype.scheduleCheckPendingRequests.call(idle);
console.log(idle.throttleCheckTimeoutId === null ? 'no timer' : 'timer scheduled with nothing pending');
process.exit(0);
`;

describe('the broker tool', () => {
  it('loads kafkajs with the request-queue patch: an idle queue schedules no timer', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], { cwd: root });
    expect(stdout.trim()).toBe('no timer');
  });
});
