// Starts a real single-node Apache Kafka broker (KRaft, broker+controller in
// one JVM) from the Maven Central jars fetched by fetch-jars.sh.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
// The readiness probe's kafkajs client, patched as the pipeline's is (ARCHITECTURE.md, tools/).
import '../../queue/kafkajs-request-queue-patch.js';
import { clusterIdText } from './cluster-id.js';
import { ensureJars } from './jars.js';
import { follow, readTail } from './log-file.js';
import { freePort, isFree } from './ports.js';
import { scramFormatArgs, secureProperties, type SecureListenerOptions, type SecurePorts } from './secure-listeners.js';
import { log4j2Properties, serverProperties } from './server-config.js';
import { startWatchdog } from './watchdog.js';

export { clusterIdText } from './cluster-id.js';
export { ensureJars } from './jars.js';

export interface BrokerOptions {
  dataDir: string;
  /** 0 or unset = pick a free port. */
  port?: number;
  controllerPort?: number;
  /** Receives the broker's output lines as they are written to <dataDir>/broker.log. */
  log?: (line: string) => void;
  /** TLS and SASL listeners beside PLAINTEXT (tests of KAFKA_SSL and KAFKA_SASL). */
  secure?: SecureListenerOptions;
}

export interface RunningBroker {
  /** e.g. "127.0.0.1:39092" */
  bootstrap: string;
  stop(): Promise<void>;
  pid: number;
  logFile: string;
  /** Settles when the JVM has ended (after stop() or a crash), with how it ended. */
  exited: Promise<string>;
  /** With `secure`: the ports of the SASL_SSL and SSL listeners. */
  securePorts: SecurePorts | undefined;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const TAIL_LINES = 60;
const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

// Brokers of this process: on exit, signal them so none outlives us. 'exit'
// handlers must be synchronous, so this only sends SIGTERM; the watchdog
// escalates to SIGKILL, and also covers deaths that skip 'exit' (signals, kill -9).
const live = new Set<ChildProcess>();
process.once('exit', () => live.forEach((c) => c.kill('SIGTERM')));

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  // A port picked by freePort() can be taken by someone else before Kafka binds
  // it; only in that case is another try with new ports meaningful.
  const autoPorts = !opts.port || !opts.controllerPort || (opts.secure && (!opts.secure.saslSslPort || !opts.secure.sslPort));
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(autoPorts && attempt < 3 && err instanceof PortInUseError)) throw err;
    }
  }
}

class PortInUseError extends Error {}

async function startOnce(opts: BrokerOptions): Promise<RunningBroker> {
  const libs = await ensureJars();
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  // A fixed port that answers already may be a broker on this same data directory: it would
  // pass the readiness check below (same cluster id) while ours fails to bind.
  for (const fixed of [opts.port, opts.controllerPort, opts.secure?.saslSslPort, opts.secure?.sslPort]) {
    if (fixed && !(await isFree(fixed))) throw new PortInUseError(`port ${fixed} is already in use on 127.0.0.1 (is a broker already running there?)`);
  }
  const port = opts.port || (await freePort());
  let controllerPort = opts.controllerPort || (await freePort());
  while (controllerPort === port) controllerPort = await freePort();
  const taken = new Set([port, controllerPort]);
  const otherPort = async (fixed: number | undefined) => {
    let p = fixed || (await freePort());
    while (!fixed && taken.has(p)) p = await freePort();
    taken.add(p);
    return p;
  };
  const securePorts = opts.secure ? { saslSsl: await otherPort(opts.secure.saslSslPort), ssl: await otherPort(opts.secure.sslPort) } : undefined;

  const propsFile = join(dataDir, 'server.properties');
  const log4jFile = join(dataDir, 'log4j2.properties');
  const logFile = join(dataDir, 'broker.log');
  const logDir = join(dataDir, 'kraft');
  await writeFile(
    propsFile,
    serverProperties({
      logDir,
      port,
      controllerPort,
      ...(opts.secure &&
        securePorts && {
          extraListeners: [
            { protocol: 'SASL_SSL', port: securePorts.saslSsl },
            { protocol: 'SSL', port: securePorts.ssl },
          ],
          extra: secureProperties(opts.secure),
        }),
    }),
  );
  await writeFile(log4jFile, log4j2Properties());
  const jvm = [`-Dlog4j2.configurationFile=${log4jFile}`, '-Djava.awt.headless=true', '-cp', join(libs, '*')];

  // Format once per data dir. meta.properties is what format writes; if present, the
  // dir holds a cluster already (formatting again with a new cluster id would fail).
  if (!existsSync(join(logDir, 'meta.properties'))) {
    const newId = clusterIdText();
    // Short-lived tool: C1-only JIT and serial GC start faster; WARN hides the config dump.
    await runTool(
      [
        ...jvm,
        '-Xmx256m',
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        '-Dkafka.root.level=warn',
        'kafka.tools.StorageTool',
        'format',
        '--config',
        propsFile,
        '--cluster-id',
        newId,
        ...(opts.secure ? scramFormatArgs(opts.secure) : []),
      ],
      dataDir,
    );
  }
  // Readiness compares it with what the port answers: another broker already on a
  // fixed port must not pass for ours (ours then fails to bind and exits).
  const clusterId = /^cluster\.id=(.+)$/m.exec(readFileSync(join(logDir, 'meta.properties'), 'utf8'))?.[1]?.trim();

  // The JVM writes straight into broker.log (not through a pipe to us): its
  // shutdown lines still land there when this process dies before it.
  appendFileSync(logFile, `\n===== ${new Date().toISOString()} starting broker on 127.0.0.1:${port} =====\n`);
  const logStart = statSync(logFile).size;
  const fd = openSync(logFile, 'a');
  const child = spawn(java, ['-Xms128m', '-Xmx512m', ...jvm, 'kafka.Kafka', propsFile], {
    cwd: dataDir, // hs_err_pid*.log and similar land next to the data, not in the repo
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd); // the child has its own copy
  const stopFollowing = opts.log ? follow(logFile, logStart, opts.log) : undefined;
  const closed = new Promise<string>((res) => {
    child.once('error', (e) => res(`failed to spawn ${java}: ${e.message}`));
    child.once('exit', (code, signal) => res(`exited with ${signal ?? `code ${code}`}`));
  }).finally(() => {
    live.delete(child);
    stopFollowing?.();
  });
  live.add(child);
  const watchdog = child.pid ? startWatchdog(child.pid) : undefined;
  const bootstrap = `127.0.0.1:${port}`;
  const fail = (why: string): Error => {
    const tail = readTail(logFile, logStart, TAIL_LINES);
    const text = `Kafka broker ${bootstrap} ${why}.\n--- last lines of ${logFile} ---\n${tail}`;
    return /Address already in use|BindException/.test(text) ? new PortInUseError(text) : new Error(text);
  };

  const ready = await waitReady(bootstrap, clusterId, closed);
  if (ready !== true) {
    child.kill('SIGKILL');
    watchdog?.kill();
    await closed; // ports released before a retry, log complete before reading its tail
    throw fail(ready);
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      watchdog?.kill(); // we take over; it must not signal a possibly reused pid later
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // Kafka's shutdown hook flushes logs and closes cleanly
        // ref:false: this guard timer must not keep the parent alive for 20 s after a quick stop.
        const timedOut = await Promise.race([closed.then(() => false), sleep(STOP_TIMEOUT_MS, true, { ref: false })]);
        if (timedOut) child.kill('SIGKILL');
      }
      await closed;
    })());
  return { bootstrap, stop, pid: child.pid ?? -1, logFile, exited: closed, securePorts };
}

/**
 * true once kafkajs can use the broker; otherwise why not. "Usable" is more than
 * describeCluster: on a fresh broker the group and transaction coordinators load
 * lazily, and the first JoinGroup / InitProducerId after start get
 * COORDINATOR_LOAD_IN_PROGRESS, which crashes and restarts kafkajs consumers and
 * eats the small retry budgets tests use. So the probe also touches both.
 */
async function waitReady(bootstrap: string, clusterId: string | undefined, closed: Promise<string>): Promise<true | string> {
  const kafka = new Kafka({
    clientId: 'broker-readiness',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING, // connection refused is expected while the JVM boots
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 0 }, // this loop does the retrying, with its own deadline
  });
  let exitReason: string | undefined;
  void closed.then((why) => (exitReason = why));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'no attempt made';
  for (let delay = 50; Date.now() < deadline; delay = Math.min(delay * 2, 500)) {
    if (exitReason) return exitReason + ' before becoming ready';
    const admin = kafka.admin({ retry: { retries: 0 } });
    // kafkajs insists on retries >= 1 for idempotent producers.
    const producer = kafka.producer({ idempotent: true, retry: { retries: 1, initialRetryTime: 50 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('describeCluster returned no brokers');
      if (clusterId && cluster.clusterId !== clusterId) throw new Error(`port answered by another cluster (${cluster.clusterId})`);
      await admin.describeGroups(['__broker-readiness']); // group coordinator loaded
      await producer.connect(); // InitProducerId: transaction coordinator / producer ids ready
      return true;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    // Backoff between polls; wakes early if the process dies.
    await Promise.race([sleep(delay), closed]);
  }
  return exitReason ? exitReason + ' before becoming ready' : `not ready after ${READY_TIMEOUT_MS / 1000}s (last kafkajs error: ${lastError})`;
}

function runTool(args: string[], cwd: string): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn(java, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (e) => rej(new Error(`failed to spawn ${java}: ${e.message}`)));
    child.once('close', (code) => (code === 0 ? res() : rej(new Error(`kafka-storage format failed (exit ${code}):\n${output.slice(-4000)}`))));
  });
}
