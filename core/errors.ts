// The one error catalogue. Every error a user can see has a stable code here,
// an HTTP status (for the ones that reach HTTP) and a message template.
// README.md's "Errors" table is checked against this list by test/unit/errors-doc.test.ts.

export const errorCatalogue = {
  // Request errors (ingest, query endpoint)
  malformed_json: { status: 400, message: 'Body is not valid JSON: %s. Expected one JSON object.' },
  not_an_object: { status: 400, message: 'Body is JSON %s. Expected one JSON object.' },
  duplicate_key: { status: 400, message: 'Body repeats the key "%s" in one object. Expected each key once.' },
  forbidden_key: { status: 400, message: 'Body contains the key "%s", which is refused to prevent prototype pollution.' },
  invalid_utf8: { status: 400, message: 'Body is not valid UTF-8. Expected UTF-8 encoded JSON.' },
  empty_body: { status: 400, message: 'Body is empty. Expected one JSON object.' },
  too_deep: { status: 400, message: 'Body nests deeper than %s levels. Expected a flat webhook payload.' },
  signature_missing: { status: 401, message: 'The X-Webhook-Signature header is missing. Expected the HMAC-SHA256 hex signature of the body.' },
  signature_invalid: { status: 401, message: 'The X-Webhook-Signature header does not match the body: %s.' },
  unauthorized: { status: 401, message: 'A valid bearer token is required for this endpoint.' },
  unknown_agent: { status: 404, message: 'No agent named "%s" is configured. Expected one of the agents in WEBHOOK_AGENTS.' },
  not_found: { status: 404, message: 'No route %s.' },
  malformed_url: { status: 400, message: 'The URL path %s is not valid percent-encoding.' },
  request_timeout: { status: 408, message: 'The request was not received in full within REQUEST_TIMEOUT_MS (%s ms). Expected headers and body sooner.' },
  body_too_large: { status: 413, message: 'Body is larger than the limit of %s bytes (MAX_BODY_BYTES).' },
  unsupported_media_type: { status: 415, message: 'Content-Type "%s" is not supported. Expected application/json.' },
  unsupported_encoding: { status: 415, message: 'Content-Encoding "%s" is not supported. Expected an uncompressed body.' },
  invalid_payload: { status: 422, message: 'Payload does not match the Aksita webhook schema: %s.' },
  stale_event: { status: 422, message: 'Event timestamp %s is older than MAX_EVENT_AGE_SECONDS (%s s).' },
  rate_limited: { status: 429, message: 'Too many failed signature checks from this address. Retry after %s s.' },
  not_durable: { status: 503, message: 'The event could not be made durable: %s. Nothing was accepted; retry later.' },
  shutting_down: { status: 503, message: 'The receiver is shutting down. Retry later.' },
  // Query errors
  query_refused: { status: 403, message: 'Only read-only queries are allowed: %s.' },
  query_invalid: { status: 400, message: 'The query could not be run: %s' },
  query_limit: { status: 422, message: 'The query went over a limit of the read API: %s' },
  too_many_queries: { status: 429, message: 'As many queries and exports as QUERY_MAX_CONCURRENT allows (%s) are running. Retry after %s s.' },
  // Report errors (reply-analytics report, GET /api/reports/*)
  report_invalid: { status: 400, message: 'The report parameters are invalid: %s' },
  export_failed: { status: 502, message: 'The export failed: %s. No file was written.' },
  // Operating the data (reply-analytics erase, dead-letters, backup, restore; /api/admin/*)
  admin_invalid: { status: 400, message: 'The admin request is invalid: %s' },
  operation_unsupported: { status: 400, message: 'Not supported here: %s' },
  restore_refused: { status: 409, message: 'Nothing was restored: %s' },
  // The live dashboards (GET /live/*, /login; reply-analytics open)
  live_invalid: { status: 400, message: 'The dashboard request is invalid: %s' },
  live_not_found: { status: 404, message: 'No live dashboard panel %s. Expected a dashboard and panel id from /live/api/dashboards.' },
  login_refused: { status: 403, message: 'This login link is not valid: %s. Run reply-analytics open for a new one.' },
  not_running: { status: 503, message: 'No reply-analytics start or consume process runs on DATA_DIR %s. Start one first (npm start): it serves the live dashboards.' },
  session_required: { status: 401, message: 'Sign in first: run reply-analytics open and follow its link (or send the query token as a bearer token).' },
  // Start-up and CLI errors
  query_token_refused: { status: 401, message: 'The running process (pid %s) does not take this query token: %s. Expected the QUERY_TOKEN it was started with.' },
  config_invalid: { status: 500, message: 'Configuration is invalid:\n%s' },
  store_unavailable: { status: 503, message: 'The store is not available: %s' },
  data_dir_locked: { status: 500, message: 'The data directory %s is in use by another process (pid %s).' },
  internal: { status: 500, message: 'Internal error (a bug; the cause is in the server log). Nothing was accepted or changed.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

function format(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%s/g, () => String(args[i++] ?? ''));
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** True when the same operation may succeed later without any change by the caller. */
  readonly retriable: boolean;

  constructor(code: ErrorCode, args: readonly unknown[] = [], options: { cause?: unknown; retriable?: boolean } = {}) {
    super(format(errorCatalogue[code].message, args), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = errorCatalogue[code].status;
    this.retriable = options.retriable ?? this.statusCode === 503;
  }

  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** True for an error of the catalogue; with `code`, for that one only. */
export function isAppError(err: unknown, code?: ErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}
