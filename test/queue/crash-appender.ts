// Child process for embedded-log-crash.test.ts: appends to the log from many concurrent
// writers until it is killed, printing "<seq> <id>" the moment each append is acknowledged.
// Usage: node --import tsx test/queue/crash-appender.ts <dir> <round> <segmentBytes>
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { crashEnvelope } from './log-fixtures.js';

const [dir, round, segmentBytes] = process.argv.slice(2);
const log = await EmbeddedLog.open({ dir: dir!, segmentBytes: Number(segmentBytes) });
let next = 0;
const writer = async () => {
  for (;;) {
    const id = next++;
    const seq = await log.append(crashEnvelope(Number(round), id));
    // Pipes are synchronous on Linux: once written, the line survives the kill.
    process.stdout.write(`${seq} ${id}\n`);
  }
};
await Promise.all(Array.from({ length: 32 }, writer));
