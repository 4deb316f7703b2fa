// The two requests of SASL authentication on a Kafka connection (KIP-152), before any other.
// Schemas: clients/src/main/resources/common/message/SaslHandshake{Request,Response}.json and
// SaslAuthenticate{Request,Response}.json
//
//   SaslHandshake Request (Version: 1) => mechanism
//     mechanism => STRING
//   SaslHandshake Response (Version: 1) => error_code [mechanisms]
//     error_code => INT16
//     mechanisms => STRING                   the broker's enabled mechanisms
//
//   SaslAuthenticate Request (Version: 1) => auth_bytes
//     auth_bytes => BYTES                    INT32 length, then the mechanism's own message
//   SaslAuthenticate Response (Version: 1) => error_code error_message auth_bytes session_lifetime_ms
//     error_code => INT16
//     error_message => NULLABLE_STRING
//     auth_bytes => BYTES
//     session_lifetime_ms => INT64           0: no limit; else re-authenticate (here: reconnect) before it ends
import { assertFilled, readString, requestFrame, stringSize, writeString } from './request-frame.js';

const SASL_HANDSHAKE = { key: 17, version: 1 };
const SASL_AUTHENTICATE = { key: 36, version: 1 };

export function encodeSaslHandshake(correlationId: number, clientId: string, mechanism: string): Buffer {
  const { buf, at } = requestFrame(SASL_HANDSHAKE.key, SASL_HANDSHAKE.version, correlationId, clientId, stringSize(mechanism));
  return assertFilled(buf, writeString(buf, at, mechanism), 'SaslHandshake request');
}

export function decodeSaslHandshake(buf: Buffer): { errorCode: number; mechanisms: string[] } {
  const errorCode = buf.readInt16BE(0);
  const count = buf.readInt32BE(2);
  const mechanisms: string[] = [];
  let at = 6;
  for (let i = 0; i < count; i++) {
    const [name, next] = readString(buf, at);
    mechanisms.push(name ?? '');
    at = next;
  }
  return { errorCode, mechanisms };
}

export function encodeSaslAuthenticate(correlationId: number, clientId: string, authBytes: Buffer): Buffer {
  const { buf, at } = requestFrame(SASL_AUTHENTICATE.key, SASL_AUTHENTICATE.version, correlationId, clientId, 4 + authBytes.length);
  const end = buf.writeInt32BE(authBytes.length, at) + authBytes.copy(buf, at + 4);
  return assertFilled(buf, end, 'SaslAuthenticate request');
}

export function decodeSaslAuthenticate(buf: Buffer): { errorCode: number; errorMessage: string | null; authBytes: Buffer; sessionLifetimeMs: number } {
  const errorCode = buf.readInt16BE(0);
  const [errorMessage, at] = readString(buf, 2);
  const length = buf.readInt32BE(at);
  const authBytes = length < 0 ? Buffer.alloc(0) : buf.subarray(at + 4, at + 4 + length);
  const sessionLifetimeMs = Number(buf.readBigInt64BE(at + 4 + Math.max(0, length)));
  return { errorCode, errorMessage, authBytes, sessionLifetimeMs };
}
