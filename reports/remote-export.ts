// The CLI's side of GET /api/reports/*: used while another process holds DATA_DIR.
import { AppError, errorCatalogue, type ErrorCode } from '../core/errors.js';
import type { ServerInfo } from '../core/run-files.js';
import type { ReportExport } from './report-export.js';
import { toQueryString, type ReportRequest } from './report-params.js';

export async function fetchExport(server: ServerInfo, token: string, req: ReportRequest): Promise<ReportExport> {
  const url = `${server.queryUrl ?? server.url}/api/reports/${req.kind}?${toQueryString(req)}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new AppError('export_failed', [`the running process (pid ${server.pid}, ${server.queryUrl ?? server.url}) did not answer: ${(err as Error).message}`], { cause: err });
  }
  if (!res.ok || !res.body) throw errorFrom(res.status, await res.text());
  const header = (name: string) => (res.headers.get(name) === null ? undefined : Number(res.headers.get(name)));
  const stream = res.body;
  return {
    contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    fileName: '',
    totalRows: header('x-total-rows'),
    byteLength: header('content-length'),
    body: (async function* () {
      try {
        for await (const chunk of stream) yield chunk as Uint8Array;
      } catch (err) {
        throw new AppError('export_failed', [`the running process stopped sending: ${(err as Error).message}`], { cause: err });
      }
    })(),
    dispose: async () => {
      await stream.cancel().catch(() => {});
    },
  };
}

/** Rebuilds the server's catalogue error ({"error":{"code","message"}}) on this side. */
function errorFrom(status: number, text: string): AppError {
  let parsed: { error?: { code?: string; message?: string } } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // not one of our errors: reported with the status below
  }
  const code = parsed.error?.code;
  if (code && code in errorCatalogue) {
    const err = new AppError(code as ErrorCode);
    err.message = parsed.error?.message ?? err.message;
    return err;
  }
  return new AppError('export_failed', [`the running process answered HTTP ${status}: ${text.slice(0, 200)}`]);
}
