// `reply-analytics dead-letters list|replay`: what the consumer refused, and moving the ones
// today's validation accepts into the replies (consumer/replay-dead-letters.ts).
import { parseArgs } from 'node:util';
import { deadLetterBody, replayBody } from '../reports/admin-routes.js';
import { progressBar, waitingLine } from '../reports/progress-bar.js';
import { escapeForTerminal } from '../reports/terminal-text.js';
import { countDeadLetters, type DeadLetterFilter, type DeadLetterSummary, type ReplayResult } from '../store/dead-letters.js';
import { runOperation } from './admin-client.js';
import { UsageError, type Command } from './command.js';

/** The same checks as the admin endpoint's, as a usage error. */
function checked<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, value: object): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new UsageError(parsed.error.issues.map((i) => `--${String(i.path[0] ?? 'arguments').replace('dryRun', 'dry-run')}: ${i.message}`).join('; '));
}

const table = (rows: DeadLetterSummary[]): string => {
  const header = ['received_at (UTC)', 'agent', 'reason', 'conversation_id', 'message_id', 'queue position'];
  const lines = rows.map((d) => [d.received_at, d.agent, d.reason_code, d.conversation_id || '-', d.message_id || '-', `${d.queue_name}/${d.queue_partition}/${d.queue_offset}`]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [format(header), ...lines.map(format), `${rows.length} dead letter${rows.length === 1 ? '' : 's'}`].join('\n');
};

function printReplay(r: ReplayResult): void {
  const failing = Object.entries(r.stillFailing);
  const lines = [
    `${r.dryRun ? 'Would replay' : 'Replayed'} ${r.replayed} dead letter${r.replayed === 1 ? '' : 's'} into aksita.human_agent_replies (${r.alreadyStored} already stored, not added again).`,
    failing.length === 0 ? 'None still fails.' : 'Still failing (kept in aksita.dead_letters):',
    ...failing.map(([code, f]) => `  ${code}  ${f.count}  e.g. ${f.example}`),
  ];
  process.stdout.write(`${process.stdout.isTTY ? escapeForTerminal(lines.join('\n')) : lines.join('\n')}\n`);
}

export const deadLettersCommand: Command = {
  usage: `dead-letters list [--reason <code>] [--since <time>] [--json]
                             Payloads the consumer refused: time, agent, reason, ids.
  dead-letters replay [--reason <code>] [--dry-run] [--json]
                             Validate them again with today's code; store those that pass, once.`,
  async run(args, config) {
    const [sub, ...rest] = args;
    if (sub === 'list') {
      const { values } = parseArgs({ args: rest, options: { reason: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean' } } });
      const filter: DeadLetterFilter = checked(deadLetterBody, { ...(values.reason !== undefined ? { reason: values.reason } : {}), ...(values.since !== undefined ? { since: values.since } : {}) });
      const { deadLetters } = await runOperation(config, { route: 'dead-letters/list', body: filter }, async (ops) => ({ deadLetters: await ops.listDeadLetters(filter) }));
      if (values.json) process.stdout.write(deadLetters.map((d) => `${JSON.stringify(d)}\n`).join(''));
      else process.stdout.write(`${process.stdout.isTTY ? escapeForTerminal(table(deadLetters)) : table(deadLetters)}\n`);
      return 0;
    }
    if (sub === 'replay') {
      const { values } = parseArgs({ args: rest, options: { reason: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } } });
      const options = checked(replayBody, { ...(values.reason !== undefined ? { reason: values.reason } : {}), ...(values['dry-run'] ? { dryRun: true } : {}) });
      // A bar with a total when this process runs it; an elapsed time while the server does.
      let bar: ReturnType<typeof progressBar> | undefined;
      const stopWaiting = waitingLine(process.stderr, 'Replaying dead letters');
      const result = await runOperation<ReplayResult>(
        config,
        { route: 'dead-letters/replay', body: options },
        async (ops, store) => {
          stopWaiting();
          bar = progressBar(process.stderr, 'Replaying', await countDeadLetters(store, options), 'rows');
          return ops.replay(options);
        },
        (n) => bar?.add(n),
      ).finally(() => {
        stopWaiting();
        bar?.finish();
      });
      const { server: _server, ...answer } = result;
      if (values.json) process.stdout.write(`${JSON.stringify(answer)}\n`);
      else printReplay(answer);
      return 0;
    }
    throw new UsageError(sub === undefined ? 'dead-letters needs a subcommand: list or replay' : `dead-letters has no subcommand "${sub}"; expected list or replay`);
  },
};
