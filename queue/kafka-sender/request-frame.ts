// The framing every request of the fast path shares, and the primitive types it writes.
// https://kafka.apache.org/protocol#protocol_messages
//
//   Request => Size (INT32, bytes after it) RequestHeader Body
//   RequestHeader v1 => api_key INT16, api_version INT16, correlation_id INT32, client_id NULLABLE_STRING
//   Response => Size (INT32) ResponseHeader v0 (correlation_id INT32) Body

/** A buffer for a whole request with its size and header written; the body goes at `at`. */
export function requestFrame(apiKey: number, apiVersion: number, correlationId: number, clientId: string, bodySize: number): { buf: Buffer; at: number } {
  const clientIdLength = Buffer.byteLength(clientId);
  const size = 4 + 2 + 2 + 4 + 2 + clientIdLength + bodySize;
  const buf = Buffer.allocUnsafe(size);
  let at = buf.writeInt32BE(size - 4, 0);
  at = buf.writeInt16BE(apiKey, at);
  at = buf.writeInt16BE(apiVersion, at);
  at = buf.writeInt32BE(correlationId, at);
  at = buf.writeInt16BE(clientIdLength, at);
  at += buf.write(clientId, at, 'utf8');
  return { buf, at };
}

/** Checks that a request was written to exactly the size it was measured at. */
export function assertFilled(buf: Buffer, at: number, what: string): Buffer {
  if (at !== buf.length) throw new Error(`${what} measured ${buf.length} bytes but wrote ${at}`);
  return buf;
}

/** STRING: INT16 length, then UTF-8 bytes. */
export const stringSize = (s: string) => 2 + Buffer.byteLength(s);
export function writeString(buf: Buffer, at: number, s: string): number {
  at = buf.writeInt16BE(Buffer.byteLength(s), at);
  return at + buf.write(s, at, 'utf8');
}

/** Reads a STRING or NULLABLE_STRING (length -1: null) at `at`; returns it and the position after it. */
export function readString(buf: Buffer, at: number): [string | null, number] {
  const length = buf.readInt16BE(at);
  if (length < 0) return [null, at + 2];
  return [buf.toString('utf8', at + 2, at + 2 + length), at + 2 + length];
}
