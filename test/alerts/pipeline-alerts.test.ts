// The pipeline's own alerting, end to end: a real `reply-analytics start`, real webhooks, a real
// HTTP receiver for the notifications. Every wait is bounded polling on an observable change.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../alerts/send.js';
import { BIN, ROOT, startPipeline, waitFor, type PipelineProcess } from '../helpers/pipeline-process.js';
import { samplePayload, sign } from '../helpers/sign.js';
import { tempDir } from '../helpers/temp-dir.js';
import { freePort, startReceiver, type WebhookReceiver } from './webhook-receiver.js';

const SECRET = 's';
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function start(dir: string, env: Record<string, string>): Promise<PipelineProcess> {
  const p = await startPipeline(dir, { WEBHOOK_SECRET: SECRET, ALERT_INTERVAL_SECONDS: '1', ALERT_CREDITS_FLOOR: '100', ...env });
  cleanups.push(async () => void (p.child.kill('SIGKILL'), await p.exited));
  return p;
}

async function stop(p: PipelineProcess): Promise<void> {
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
}

async function post(p: PipelineProcess, payload: Record<string, unknown>): Promise<number> {
  const body = JSON.stringify(payload);
  const res = await fetch(`${p.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) }, body });
  await res.text();
  return res.status;
}

/** Resolves after the process has evaluated the rules `times` more times (the state file changed). */
async function evaluations(dir: string, times: number): Promise<void> {
  const read = async () => (JSON.parse(await readFile(path.join(dir, 'run/alerts.json'), 'utf8')) as { evaluatedAt: string }).evaluatedAt;
  for (let i = 0; i < times; i++) {
    const before = await read().catch(() => null);
    await waitFor(async () => (await read()) !== before, 'an alert evaluation');
  }
}

/** `reply-analytics alerts --json` on `dir`, as a user runs it. */
async function alertsCli(
  dir: string,
  env: Record<string, string> = {},
): Promise<{ source: string; rules: { id: string; state: string; firing: { labels: Record<string, string>; value: number }[] }[] }> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'alerts', '--json'], { cwd: ROOT, env: { ...process.env, DATA_DIR: dir, ...env } });
  return JSON.parse(stdout) as Awaited<ReturnType<typeof alertsCli>>;
}

const parsed = (r: WebhookReceiver) => r.received.map((x) => JSON.parse(x.body) as Record<string, unknown>);

describe('alerts in the pipeline process', () => {
  it('notifies firing and resolved once each, signed, with no repeat after a restart', async () => {
    const dir = await tempDir('aksita-alerts-e2e-');
    cleanups.push(dir.remove);
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const env = { ALERT_WEBHOOK_URL: receiver.url, ALERT_WEBHOOK_FORMAT: 'generic', ALERT_WEBHOOK_SECRET: 'alert-key' };
    let p = await start(dir.path, env);
    const floorNotes = () => parsed(receiver).filter((n) => n.rule === 'credits-below-floor');

    expect(await post(p, samplePayload({ remaining_credits: 50, timestamp: '2026-01-22T15:18:18+07:00' }))).toBe(200);
    await waitFor(async () => floorNotes().length === 1, 'the firing notification');
    expect(floorNotes()[0]).toMatchObject({ state: 'firing', labels: { agent: 'default' }, value: -50, values: { remaining_credits: 50, floor: 100 }, endsAt: null });
    const first = receiver.received.find((r) => (JSON.parse(r.body) as { rule: string }).rule === 'credits-below-floor')!;
    expect(first.headers[SIGNATURE_HEADER]).toBe(sign(first.body, 'alert-key'));

    const listed = await alertsCli(dir.path, { ALERT_CREDITS_FLOOR: '100' });
    expect(listed.source).toMatch(/running process/);
    expect(listed.rules.find((r) => r.id === 'credits-below-floor')).toMatchObject({ state: 'firing', firing: [{ labels: { agent: 'default' }, value: -50 }] });

    // A restart reads the state file: the alert still fires, and nobody is told twice.
    await stop(p);
    p = await start(dir.path, env);
    await evaluations(dir.path, 2);
    expect(floorNotes()).toHaveLength(1);

    expect(await post(p, samplePayload({ remaining_credits: 500, timestamp: '2026-01-22T15:19:18+07:00' }))).toBe(200);
    await waitFor(async () => floorNotes().length === 2, 'the resolved notification');
    const [firing, resolved] = floorNotes();
    expect(resolved).toMatchObject({ state: 'resolved', labels: { agent: 'default' }, startsAt: firing!.startsAt });
    expect(resolved!.endsAt).toEqual(expect.any(String));

    // A signed payload that fails validation: a dead letter, which fires and then resolves.
    expect(await post(p, samplePayload({ message_id: undefined }))).toBe(422);
    await waitFor(async () => parsed(receiver).filter((n) => n.rule === 'dead-letters').length === 2, 'dead-letter firing and resolved');
    expect(
      parsed(receiver)
        .filter((n) => n.rule === 'dead-letters')
        .map((n) => [n.state, n.value]),
    ).toEqual([
      ['firing', 1],
      ['resolved', 1],
    ]);
    await stop(p);

    // No process: the command evaluates the rules itself, with its own thresholds.
    const direct = await alertsCli(dir.path, { ALERT_CREDITS_FLOOR: '1000' });
    expect(direct.source).toMatch(/evaluated now/);
    expect(direct.rules.find((r) => r.id === 'credits-below-floor')).toMatchObject({ state: 'firing', firing: [{ labels: { agent: 'default' }, value: -500 }] });
    expect(direct.rules.map((r) => r.id)).toEqual(['credits-run-out', 'credits-below-floor', 'dead-letters', 'pipeline-stalled']);
  });

  it('a receiver that is down, then up, gets the notification once (Slack format)', async () => {
    const dir = await tempDir('aksita-alerts-down-');
    cleanups.push(dir.remove);
    const port = await freePort();
    const p = await start(dir.path, { ALERT_WEBHOOK_URL: `http://127.0.0.1:${port}/hook` });
    expect(await post(p, samplePayload({ remaining_credits: 20 }))).toBe(200);
    await waitFor(async () => p.output().includes('did not take the notification'), 'a failed delivery');

    const receiver = await startReceiver(port);
    cleanups.push(receiver.close);
    await waitFor(async () => receiver.received.length === 1, 'the late notification');
    await evaluations(dir.path, 2);
    expect(receiver.received).toHaveLength(1);
    const note = parsed(receiver)[0] as { text: string; blocks: unknown[] };
    expect(note.text).toBe('[FIRING] Remaining credits below the floor (agent=default): -80 credits above the floor');
    expect(note.blocks.length).toBeGreaterThan(0);
    expect(receiver.received[0]!.headers[SIGNATURE_HEADER]).toBeUndefined();
    await stop(p);
  });
});
