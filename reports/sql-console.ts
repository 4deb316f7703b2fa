// The interactive SQL console (`reply-analytics sql` on a terminal): read-only queries ended
// by ";", results as tables, and a history kept across sessions under DATA_DIR/run.
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { isAppError } from '../core/errors.js';
import { escapeForTerminal, terminalText } from './terminal-text.js';

export interface SqlConsoleOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** True on a real terminal: line editing and arrow-key history. */
  terminal: boolean;
  historyFile: string;
  format: string;
  /** Runs one read-only query and returns its output in `format`. */
  run(sql: string, format: string): Promise<Buffer>;
}

const HISTORY_SIZE = 1000;
const PROMPT = 'sql> ';
const CONTINUE = '  -> ';

const HELP = `End a query with ";" (it may span lines). Commands:
  \\format <name>   output format for the next queries (now: %s), e.g. CSV, JSONEachRow, Vertical
  \\q, exit         leave (or Ctrl-D); Ctrl-C clears the query being typed
Views for common questions, each taking (tz, from, to):
  aksita.daily_agent_summary, aksita.conversation_summary, aksita.latency_percentiles,
  aksita.credit_usage, aksita.reply_details
  e.g. SELECT * FROM aksita.daily_agent_summary(tz = 'Asia/Jakarta', from = '2026-01-01', to = '2026-02-01');
`;

export async function sqlConsole(opts: SqlConsoleOptions): Promise<void> {
  const history = await loadHistory(opts.historyFile);
  const rl = readline.createInterface({
    input: opts.input,
    output: opts.output,
    terminal: opts.terminal,
    history: [...history].reverse(),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
  });
  const say = (text: string) => opts.output.write(text);
  let format = opts.format;
  let buffer: string[] = [];
  say(`reply-analytics SQL console: read-only queries; end each with ";". \\help for commands and views.\n`);
  rl.setPrompt(PROMPT);
  rl.on('SIGINT', () => {
    say(buffer.length ? '\n(query cleared)\n' : '\n(\\q or Ctrl-D to leave)\n');
    buffer = [];
    rl.setPrompt(PROMPT);
    rl.prompt();
  });
  rl.prompt();

  for await (const line of rl) {
    const trimmed = line.trim();
    if (buffer.length === 0) {
      if (/^(\\q|exit|quit)$/i.test(trimmed)) break;
      if (/^(\\\?|\\h(elp)?|help)$/i.test(trimmed)) say(HELP.replace('%s', format));
      else if (/^\\f(ormat)?\b/i.test(trimmed)) {
        const name = trimmed.split(/\s+/)[1];
        if (name && /^\w+$/.test(name)) format = name;
        say(name && /^\w+$/.test(name) ? `format: ${format}\n` : `usage: \\format <ClickHouse output format> (now: ${format})\n`);
      }
      if (trimmed === '' || trimmed.startsWith('\\') || /^(help|exit|quit)$/i.test(trimmed)) {
        rl.prompt();
        continue;
      }
    }
    buffer.push(line);
    if (!trimmed.endsWith(';')) {
      rl.setPrompt(CONTINUE);
      rl.prompt();
      continue;
    }
    const lines = buffer.length;
    const sql = buffer.join('\n').trim().replace(/;+$/, '');
    buffer = [];
    rl.setPrompt(PROMPT);
    const oneLine = `${sql.replace(/\s*\n\s*/g, ' ')};`;
    rememberStatement(rl, lines, oneLine);
    await appendFile(opts.historyFile, `${oneLine}\n`, { mode: 0o600 }).catch(() => {});
    const started = Date.now();
    try {
      const out = await opts.run(sql, format);
      // The console is for reading: stored text never drives the terminal (exact bytes: sql --out).
      say(out.length === 0 || out.at(-1) === 10 ? terminalText(out) : `${terminalText(out)}\n`);
      say(`(${((Date.now() - started) / 1000).toFixed(3)} s)\n`);
    } catch (err) {
      // Engine errors quote the values they failed on.
      const message = escapeForTerminal((err as Error).message);
      say(isAppError(err) ? `error [${err.code}]: ${message}\n` : `error: ${message}\n`);
    }
    rl.prompt();
  }
  rl.close();
}

/** The history file's statements, oldest first; trims a file grown far past the limit. */
async function loadHistory(file: string): Promise<string[]> {
  await mkdir(path.dirname(file), { recursive: true });
  const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const kept = lines.slice(-HISTORY_SIZE);
  if (lines.length > 2 * HISTORY_SIZE) await writeFile(file, `${kept.join('\n')}\n`, { mode: 0o600 });
  return kept;
}

/**
 * Readline records each typed line; a statement typed over several lines should come back
 * with the up arrow as one entry, so its lines are replaced by the whole statement.
 */
function rememberStatement(rl: readline.Interface, lines: number, statement: string): void {
  const history = (rl as unknown as { history?: string[] }).history;
  if (!Array.isArray(history)) return;
  history.splice(0, Math.min(lines, history.length), statement);
}
