// Query results on their way to a terminal. Stored replies are customer text: an ESC [ … in one
// would recolour, retitle or rewrite the user's terminal (and some terminals answer queries with
// input of their own). ClickHouse's Pretty formats print control characters as they are and have
// no setting to escape them, so we do it here, and only for a terminal: files and pipes get the
// exact bytes (CSV, Parquet).

// C0 controls except tab and newline, DEL, and the C1 controls U+0080–U+009F (U+009B is CSI).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** One control character as shown: its Unicode control picture (␛ for ESC: one column, so a table row shifts little), or \u00XX for C1, which has none. */
function shown(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text safe to write to a terminal: controls other than tab and newline made visible. */
export function escapeForTerminal(text: string): string {
  return text.replace(CONTROL, shown);
}

/**
 * Bytes as text safe for a terminal. Decoding as UTF-8 also turns bytes that are not UTF-8 (a
 * lone 0x9B is CSI to an 8-bit terminal) into U+FFFD.
 */
export function terminalText(bytes: Uint8Array): string {
  return escapeForTerminal(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
}
