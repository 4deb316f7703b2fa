// kafkajs's request queue schedules its next check even with nothing pending, at
// `throttledUntil - Date.now()`: with no throttle that is a large negative delay. Node clamps it to
// 1 ms (a timer loop on every idle connection: kafkajs#1556, #1704) and, from Node 24, prints
// TimeoutNegativeWarning. This schedules only when requests wait, never with a negative delay.
// Upstream code: node_modules/kafkajs/src/network/requestQueue/index.js (scheduleCheckPendingRequests).
import { createRequire } from 'node:module';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

// The interval kafkajs polls at while requests wait for an in-flight slot.
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

const require = createRequire(import.meta.url);
const RequestQueueClass = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue & { scheduleCheckPendingRequests(): void } };

RequestQueueClass.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueue): void {
  // A request queued later schedules its own check, and a response checks the queue itself.
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const untilThrottleEnds = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilThrottleEnds > 0 ? untilThrottleEnds : CHECK_PENDING_REQUESTS_INTERVAL,
  );
};
