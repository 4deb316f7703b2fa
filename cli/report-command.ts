// `reply-analytics report`: the summary (or, with --detail, every reply) of a date range as
// CSV, JSON, Parquet or HTML. Through the running process when one holds DATA_DIR (chDB
// allows one process per directory), directly on the store otherwise.
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../core/config.js';
import { isAppError } from '../core/errors.js';
import { awaitRunningServer } from '../core/run-files.js';
import { writeFileAtomically } from '../reports/atomic-file.js';
import { removeOnSignal } from '../reports/remove-on-signal.js';
import { countLines, progressBar, waitingLine } from '../reports/progress-bar.js';
import { buildExport, type ReportExport } from '../reports/report-export.js';
import { DEFAULT_TZ, parseReportRequest, REPORT_FORMATS, type ReportRequest } from '../reports/report-params.js';
import { fetchExport } from '../reports/remote-export.js';
import { UsageError, type Command } from './command.js';
import { checkOutputPath } from './output-path.js';
import { openQueryStore } from './query-store.js';
import { tokenForServer, tokenRefused } from './server-token.js';

export const reportCommand: Command = {
  usage: `report --from <date> --to <date> --format <f> --out <file>
                             Export replies per day and agent (or every reply with --detail).
      --from, --to <date>    YYYY-MM-DD (a whole day; --to is included) or YYYY-MM-DDTHH:MM[:SS][+HH:MM]
                             (--to excluded). Without an offset, read in --tz.
      --tz <zone>            IANA time zone for days and times (default: ${DEFAULT_TZ}), e.g. Asia/Jakarta.
      --agent <a,b>          Only these agents (default: all).
      --format <f>           ${REPORT_FORMATS.join(' | ')} (default: from the --out extension).
      --out <file>           Where to write; "-" for standard output.
      --detail               Every reply instead of the summary (csv, json lines or parquet).`,
  async run(args, config) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        tz: { type: 'string' },
        agent: { type: 'string', multiple: true },
        format: { type: 'string' },
        out: { type: 'string' },
        detail: { type: 'boolean', default: false },
      },
    });
    if (positionals.length > 0) throw new UsageError(`report takes no positional arguments (got "${positionals[0]}"); expected options such as --from 2026-01-01`);
    if (!values.out) throw new UsageError('report needs --out <file> (or --out - for standard output)');
    if (values.out !== '-') await checkOutputPath(values.out);
    const extension = path
      .extname(values.out)
      .slice(1)
      .toLowerCase()
      .replace(/^jsonl$/, 'json');
    const format = values.format ?? ((REPORT_FORMATS as readonly string[]).includes(extension) ? extension : undefined);

    let req: ReportRequest;
    try {
      req = parseReportRequest({ kind: values.detail ? 'detail' : 'summary', from: values.from, to: values.to, tz: values.tz, agent: values.agent, format }, (name) => `--${name}`);
    } catch (err) {
      throw isAppError(err, 'report_invalid') ? new UsageError(err.message) : err;
    }
    await exportReport(config, req, values.out);
    return 0;
  },
};

async function exportReport(config: Config, req: ReportRequest, out: string): Promise<void> {
  const server = await awaitRunningServer(config.dataDir);
  if (server) {
    const token = await tokenForServer(config, server);
    const exported = await preparing(req, fetchExport(server, token, req)).catch((err: unknown) => {
      // The server validates too; its verdict on the parameters is still a usage error here.
      if (isAppError(err, 'report_invalid')) throw new UsageError(err.message);
      throw isAppError(err, 'unauthorized') ? tokenRefused(config, server) : err;
    });
    return write(exported, req, out);
  }
  const store = await openQueryStore(config);
  try {
    // chDB writes a Parquet detail export into a scratch file first (report-export.ts). It goes
    // in a private directory that Ctrl-C removes whole, also while the engine still writes it.
    if (store.kind === 'chdb' && req.kind === 'detail' && req.format === 'parquet') {
      const scratchDir = await mkdtemp(path.join(out === '-' ? config.dataDir : path.dirname(path.resolve(out)), '.report-'));
      const release = removeOnSignal(scratchDir);
      try {
        return await write(await preparing(req, buildExport(store, req, { scratchDir })), req, out);
      } finally {
        await rm(scratchDir, { recursive: true, force: true });
        release();
      }
    }
    return await write(await preparing(req, buildExport(store, req, { scratchDir: config.dataDir })), req, out);
  } finally {
    await store.close();
  }
}

/** Shows elapsed time while a detail export is prepared (counted, or written by the engine). */
async function preparing<T>(req: ReportRequest, work: Promise<T>): Promise<T> {
  const stop = req.kind === 'detail' ? waitingLine(process.stderr, `report ${req.kind} ${req.format}: preparing`) : () => {};
  try {
    return await work;
  } finally {
    stop();
  }
}

async function write(exported: ReportExport, req: ReportRequest, out: string): Promise<void> {
  try {
    // Parquet arrives as a file of known size; the line formats as rows (header line aside).
    const byBytes = req.format === 'parquet' && exported.byteLength !== undefined;
    const progress =
      req.kind === 'detail' ? progressBar(process.stderr, `report ${req.kind} ${req.format}`, byBytes ? exported.byteLength : exported.totalRows, byBytes ? 'bytes' : 'rows') : undefined;
    let header = req.format === 'csv' ? 1 : 0;
    const onChunk = (chunk: Uint8Array) => {
      if (!progress) return;
      if (byBytes) return progress.add(chunk.length);
      const lines = countLines(chunk);
      progress.add(lines - Math.min(header, lines));
      header = 0;
    };
    if (out === '-') {
      for await (const chunk of exported.body) {
        onChunk(chunk);
        if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
      }
    } else {
      await writeFileAtomically(out, exported.body, onChunk);
    }
    progress?.finish();
  } finally {
    await exported.dispose();
  }
}
