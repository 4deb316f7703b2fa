// `npm run kafka`: a local Kafka broker for development, kept in the foreground.
//   DATA_DIR    data root (default ./data); the broker uses $DATA_DIR/kafka
//   KAFKA_PORT  client port (default 9092); the controller uses KAFKA_PORT+1
//   KAFKA_CONTROLLER_PORT  override for the controller port
//   KAFKA_VERBOSE=1  echo the broker log here too (it always goes to <dir>/broker.log)
import { resolve } from 'node:path';
import { startBroker } from './broker.js';

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a port number 1-65535, got "${raw}"`);
  }
  return port;
}

async function main(): Promise<void> {
  const dataDir = resolve(process.env.DATA_DIR || './data', 'kafka');
  const port = portFromEnv('KAFKA_PORT', 9092);
  // Fixed (not random) so that `npm run kafka` is reproducible; next to the client port by convention.
  const controllerPort = portFromEnv('KAFKA_CONTROLLER_PORT', port + 1);
  const verbose = process.env.KAFKA_VERBOSE === '1';

  console.log(`Starting Kafka in ${dataDir} ...`);
  const started = Date.now();
  const broker = await startBroker({
    dataDir,
    port,
    controllerPort,
    ...(verbose ? { log: (line: string) => console.log(`[broker] ${line}`) } : {}),
  });
  console.log(`Kafka ready in ${Date.now() - started} ms`);
  console.log(`KAFKA_BROKERS=${broker.bootstrap}`);
  console.log(`log: ${broker.logFile}   (Ctrl-C to stop)`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return; // a second Ctrl-C while stopping must not race stop()
    stopping = true;
    console.log(`\n${signal}: stopping Kafka ...`);
    broker.stop().then(
      () => {
        console.log('Kafka stopped.');
        process.exit(0);
      },
      (err: unknown) => {
        console.error('Kafka did not stop cleanly:', err);
        process.exit(1);
      },
    );
  };
  // A broker that dies on its own must not leave a silently exiting (exit 0) CLI.
  void broker.exited.then((why) => {
    if (stopping) return;
    console.error(`Kafka ${why} unexpectedly; see ${broker.logFile}`);
    process.exit(1);
  });
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
