// The shape of one CLI command. Each lives in its own file and is listed in main.ts.
import type { Config } from '../core/config.js';

export interface Command {
  /** Lines for the usage text, e.g. 'sql "<query>"   Run a read-only query.' */
  usage: string;
  /** Returns the exit code, or 'keep-running' for long-running commands. */
  run(args: string[], config: Config): Promise<number | 'keep-running'>;
}

/** Wrong arguments: printed with the usage text, exit code 2. */
export class UsageError extends Error {}
