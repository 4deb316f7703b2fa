// Stored text never drives the user's terminal: `reply-analytics sql` run under a real
// pseudo-terminal (util-linux `script`) with a reply holding ESC [ 31 m, BEL and CSI. On the
// terminal the controls are shown, not sent; to a pipe or a file the bytes stay exact.
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../store/open-store.js';
import { BIN, ROOT } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { REPLIES, toRow } from '../reports/fixture.js';

const run = promisify(execFile);
// The embedded store under DATA_DIR, whatever the developer's shell points at.
const { KAFKA_BROKERS: _k, CLICKHOUSE_URL: _c, ...baseEnv } = process.env;
const ESC = 0x1b;
const RESPONSE = ['red \x1b[31malert\x1b[0m', 'bell\x07 and CSI\u009b2J'];
const QUERY = "SELECT response FROM aksita.human_agent_replies WHERE message_id = 'hostile'";
const PROMPT = 'sql> ';

/**
 * The command's output as a terminal receives it: run by `script` on a new pseudo-terminal. Each
 * of `lines` is typed at the console's next prompt (typed ahead, a terminal would hand them
 * to the console before it reads them in raw mode).
 */
function onTerminal(env: Record<string, string>, args: string[], lines: string[] = []): Promise<Buffer> {
  // `script` runs one shell command line; the arguments travel in the environment, never quoted.
  const line = ['"$NODE"', '"$BIN"', ...args.map((_, i) => `"$ARG${i}"`)].join(' ');
  const vars = Object.fromEntries(args.map((a, i) => [`ARG${i}`, a]));
  const child = spawn('script', ['-qefc', line, '/dev/null'], {
    cwd: ROOT,
    env: { ...baseEnv, ...env, ...vars, NODE: process.execPath, BIN, SHELL: '/bin/sh', TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const chunks: Buffer[] = [];
  const pending = [...lines];
  let prompts = 0;
  child.stdout.on('data', (d: Buffer) => {
    chunks.push(d);
    const seen = Buffer.concat(chunks).toString('utf8').split(PROMPT).length - 1;
    if (seen > prompts && pending.length > 0) child.stdin.write(`${pending.shift()}\r`);
    prompts = seen;
  });
  if (lines.length === 0) child.stdin.end();
  return new Promise((resolve, reject) => {
    const output = () => JSON.stringify(Buffer.concat(chunks).toString('utf8'));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`no exit within 30 s; the terminal showed:\n${output()}`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new Error(`script exited ${code}; the terminal showed:\n${output()}`));
    });
  });
}

describe('sql output and control characters in stored text', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await tempDir();
    env = { DATA_DIR: dir.path };
    const store = await openStore({ dataDir: dir.path, clickhouse: undefined });
    try {
      await store.migrate();
      await store.insertReplies([toRow({ ...REPLIES[0]!, messageId: 'hostile', response: RESPONSE }, 0)], 'hostile:0:0');
    } finally {
      await store.close();
    }
  });
  afterAll(async () => {
    await dir.remove();
  });

  it('on a terminal, the default table shows ESC, BEL and CSI and sends none of them', async () => {
    const out = await onTerminal(env, ['sql', QUERY]);
    const text = out.toString('utf8');
    expect(text).toContain('␛[31malert␛[0m');
    expect(text).toContain('bell␇ and CSI\\u009b2J');
    // The engine's own colours are off (chDB would add them on a terminal), so the header is plain.
    expect(text).toContain('┌─response─');
    expect(out.includes(ESC)).toBe(false);
    expect(out.includes(0x07)).toBe(false);
    expect(text).not.toContain('\u009b');
  });

  it('the interactive console on a terminal shows them too, in every format', async () => {
    const out = await onTerminal(env, ['sql'], [`${QUERY};`, '\\format TSVRaw', `${QUERY};`, '\\q']);
    const text = out.toString('utf8');
    expect(text.match(/␛\[31malert␛\[0m/g)).toHaveLength(2);
    expect(text).toContain('┌─response─');
    expect(out.includes(ESC)).toBe(false);
    expect(out.includes(0x07)).toBe(false);
  });

  it('to a pipe, and with --out to a file, the bytes are exactly what is stored', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'sql', QUERY, '--format', 'JSONEachRow'], { cwd: ROOT, env: { ...baseEnv, ...env }, encoding: 'buffer' });
    expect(JSON.parse(stdout.toString('utf8'))).toEqual({ response: RESPONSE });
    const piped = (await run(process.execPath, [BIN, 'sql', QUERY, '--format', 'TSVRaw'], { cwd: ROOT, env: { ...baseEnv, ...env }, encoding: 'buffer' })).stdout;
    expect(piped.includes(ESC)).toBe(true);
    const file = path.join(dir.path, 'out.tsv');
    await onTerminal(env, ['sql', QUERY, '--format', 'TSVRaw', '--out', file]);
    const written = await readFile(file);
    expect(written).toEqual(piped);
    expect(written.toString('utf8')).toContain('\x1b[31malert\x1b[0m');
    expect(written.toString('utf8')).toContain('\u009b2J');
    // The default table, written by a command on a terminal, is the same as through a pipe: no colours added.
    const table = path.join(dir.path, 'out.txt');
    await onTerminal(env, ['sql', QUERY, '--out', table]);
    const pipedTable = (await run(process.execPath, [BIN, 'sql', QUERY], { cwd: ROOT, env: { ...baseEnv, ...env }, encoding: 'buffer' })).stdout;
    expect(await readFile(table)).toEqual(pipedTable);
    expect(pipedTable.toString('utf8')).toContain('\x1b[31malert');
  });
});
