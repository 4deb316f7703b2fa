// `reply-analytics open`: a one-time login link to the live dashboards of the running process.
// Minting a code takes the read API's query token (QUERY_TOKEN, or DATA_DIR/run/query-token,
// which only DATA_DIR's owner can read): whoever may run SQL may see the dashboards, and no one else.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { awaitRunningServer } from '../core/run-files.js';
import type { Command } from './command.js';
import { tokenForServer, tokenRefused } from './server-token.js';

/** Starts the desktop's browser on `url`, never failing: the printed link is enough. */
function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener installed: the link is printed above.
  }
}

export async function loginLink(config: Config): Promise<{ url: string; expiresInSeconds: number }> {
  const server = await awaitRunningServer(config.dataDir);
  if (!server?.queryUrl) throw new AppError('not_running', [config.dataDir]);
  const token = await tokenForServer(config, server);
  const res = await fetch(`${server.queryUrl}/live/api/login-code`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  if (res.status === 401) throw tokenRefused(config, server);
  if (!res.ok) throw new AppError('not_running', [`${config.dataDir} (its read API answered ${res.status})`]);
  const { code, expiresInSeconds, path } = (await res.json()) as { code: string; expiresInSeconds: number; path: string };
  return { url: `${server.queryUrl}${path}?code=${encodeURIComponent(code)}`, expiresInSeconds };
}

export const openCommand: Command = {
  usage: `open                       Print a one-time login link to the live dashboards of the running process
                             (and open it in a browser on a desktop).
      --no-browser           Only print the link.`,
  async run(args, config) {
    const { values } = parseArgs({ args, options: { 'no-browser': { type: 'boolean' } } });
    const { url, expiresInSeconds } = await loginLink(config);
    process.stdout.write(`${url}\n`);
    process.stderr.write(`The link works once, within ${expiresInSeconds / 60} minutes, in a browser on this machine (the read API listens on QUERY_HOST).\n`);
    if (config.desktop && !values['no-browser']) openBrowser(url);
    return 0;
  },
};
