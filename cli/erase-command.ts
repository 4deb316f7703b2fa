// `reply-analytics erase --conversation ID [--agent A] | --message ID`: removes every row of it
// from replies, dead letters and the rollup (store/erase.ts), in the running process or here.
import { parseArgs } from 'node:util';
import type { EraseResult } from '../store/erase.js';
import { confirm, runOperation } from './admin-client.js';
import { UsageError, type Command } from './command.js';

export const eraseCommand: Command = {
  usage: `erase --conversation <id> [--agent <name>] | --message <id> [--agent <name>] [--yes] [--json]
                             Remove every stored row of a conversation or message: replies, dead
                             letters, rollup (README, "Operating the data"). Asks first on a terminal.`,
  async run(args, config) {
    const { values } = parseArgs({
      args,
      options: { conversation: { type: 'string' }, message: { type: 'string' }, agent: { type: 'string' }, yes: { type: 'boolean' }, json: { type: 'boolean' } },
    });
    const { conversation, message, agent } = values;
    if (conversation === undefined && message === undefined) throw new UsageError('erase needs --conversation <id> or --message <id>');
    for (const [name, value] of Object.entries({ conversation, message, agent })) {
      if (value !== undefined && (value === '' || value.length > 1024)) throw new UsageError(`--${name} expects a non-empty id of at most 1024 characters`);
    }
    const what = [conversation !== undefined ? `conversation "${conversation}"` : '', message !== undefined ? `message "${message}"` : '', agent !== undefined ? `of agent "${agent}"` : '']
      .filter(Boolean)
      .join(' ');
    if (!values.yes) {
      if (!process.stdin.isTTY) throw new UsageError('erase asks for confirmation on a terminal; pass --yes to erase from a script');
      if (!(await confirm(`Erase every stored row of ${what}? This cannot be undone.`))) {
        process.stderr.write('Nothing was erased.\n');
        return 1;
      }
    }
    const body = { ...(conversation !== undefined ? { conversation } : {}), ...(message !== undefined ? { message } : {}), ...(agent !== undefined ? { agent } : {}) };
    const target = { ...(conversation !== undefined ? { conversationId: conversation } : {}), ...(message !== undefined ? { messageId: message } : {}), ...(agent !== undefined ? { agent } : {}) };
    const result = await runOperation<{ removed: EraseResult }>(config, { route: 'erase', body }, async (ops) => ({ removed: await ops.erase(target) }));
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ erased: body, removed: result.removed })}\n`);
      return 0;
    }
    const r = result.removed;
    process.stdout.write(
      `Erased ${what}:\n  aksita.human_agent_replies  ${r.human_agent_replies} rows\n  aksita.dead_letters         ${r.dead_letters} rows\n  aksita.replies_5m           ${r.replies_5m} five-minute buckets computed again\n`,
    );
    return 0;
  },
};
