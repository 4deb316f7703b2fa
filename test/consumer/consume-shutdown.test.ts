// The `consume` role joins its consumer group in the background while Kafka is unreachable;
// shutdown must end those retries (they once went on forever), and stop() returns only then.
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startPipeline, type RunningPipeline } from '../../cli/pipeline.js';
import { loadConfig } from '../../core/config.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A loopback port nothing listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let pipeline: RunningPipeline | undefined;
let removeDir: (() => Promise<void>) | undefined;
afterEach(async () => {
  await pipeline?.stop();
  await removeDir?.();
});

describe('consume role shutdown', () => {
  it('stops retrying to join the consumer group when Kafka never answers', async () => {
    const dir = await tempDir();
    removeDir = dir.remove;
    const messages: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) messages.push((JSON.parse(line) as { msg: string }).msg);
        done();
      },
    });
    const config = loadConfig({ DATA_DIR: dir.path, KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`, HOST: '127.0.0.1', PORT: '0', QUERY_PORT: '0' });
    pipeline = await startPipeline(config, pino({ level: 'info' }, sink), 'consume');
    await until(() => messages.includes('could not join the Kafka consumer group; retrying'), 'a failed join');

    await pipeline.stop();
    expect(messages).toContain('stopped trying to join the Kafka consumer group');
    const stoppedAt = messages.indexOf('stopped trying to join the Kafka consumer group');
    expect(messages.slice(stoppedAt)).not.toContain('could not join the Kafka consumer group; retrying');
  });
});
