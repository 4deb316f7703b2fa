// The ingest baseline: bare fastify that reads the same JSON bodies and answers {"received":true},
// with no signature check, validation or queue. Run as its own process, like the receiver.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
app.post('/webhook', async () => ({ received: true }));
app.get('/readyz', async () => ({ ready: true }));
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
// The same readiness line the real CLI logs, so one spawn helper serves both; with no read API, its one listener stands for both.
process.stdout.write(`${JSON.stringify({ msg: 'pipeline ready', url: address, queryUrl: address })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
