// kafkajs decodes each fetched record with 64-bit `Long` arithmetic: its timestamp and offset
// by parsing the batch's first timestamp and offset from strings again for every record, and
// its varlong delta one `Long` per byte; and it builds the headers object by spreading it once
// per header. That was most of kafkajs's share of the consumer's thread and much of its garbage
// (BENCHMARKS.md, "Kafka consumer, pipelined"). This decoder gives the same record, field for field, with
// plain numbers where they are exact (below 2^53; Kafka offsets and millisecond timestamps are),
// and kafkajs's own arithmetic otherwise. test/unit/kafkajs-record-decoder.test.ts compares both.
//
// kafkajs loads its record decoder on the first fetch (fetch/index.js requires each version's
// response lazily), so replacing the module in the require cache first swaps it in.
// Upstream code: node_modules/kafkajs/src/protocol/recordBatch/record/v0/decoder.js.
import { createRequire } from 'node:module';

interface Decoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarLong(): unknown;
  readVarIntBytes(): Buffer | null;
  readVarIntString(): string | null;
}

interface LongLike {
  add(x: unknown): LongLike;
  toString(): string;
}

interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  magicByte: number;
  isControlBatch?: boolean;
  timestampType: number;
  maxTimestamp: string;
}

type Headers = Record<string, Buffer | null | (Buffer | null)[]>;

const require = createRequire(import.meta.url);
const RECORD_DECODER = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
const BATCH_DECODER = require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): LongLike };
const { LOG_APPEND_TIME } = require('kafkajs/src/protocol/timestampTypes.js') as { LOG_APPEND_TIME: number };

/** kafkajs's own decoder, kept for the comparison test. */
export const kafkajsRecordDecoder = require(RECORD_DECODER) as (decoder: Decoder, batchContext?: BatchContext) => unknown;

// The longest varlong read as a plain number: 7 bytes hold 49 bits, exact in a double.
const MAX_NUMBER_VARLONG_BYTES = 7;

/** A zigzag varlong as a number, or undefined (nothing read) when it is longer than 7 bytes. */
function readSmallVarLong(decoder: Decoder): number | undefined {
  const { buffer } = decoder;
  let at = decoder.offset;
  let result = 0;
  let scale = 1;
  for (let i = 0; i < MAX_NUMBER_VARLONG_BYTES; i++) {
    const byte = buffer[at++]!;
    result += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) {
      decoder.offset = at;
      return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
  }
  return undefined;
}

/** first + delta as kafkajs writes it (a decimal string), in numbers when that is exact. */
function plus(first: string, delta: number | undefined, readLong: () => unknown): string {
  const base = Number(first);
  if (delta !== undefined && Number.isSafeInteger(base) && Number.isSafeInteger(base + delta)) return String(base + delta);
  return Long.fromValue(first)
    .add(delta ?? readLong())
    .toString();
}

export function decodeRecord(decoder: Decoder, batchContext: BatchContext = {} as BatchContext): unknown {
  const { firstOffset, firstTimestamp, magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
  const attributes = decoder.readInt8();
  const timestampDelta = readSmallVarLong(decoder);
  const timestamp =
    timestampType === LOG_APPEND_TIME && maxTimestamp
      ? // The delta is still read, to move past it.
        (timestampDelta ?? decoder.readVarLong(), maxTimestamp)
      : plus(firstTimestamp, timestampDelta, () => decoder.readVarLong());
  const offsetDelta = decoder.readVarInt();
  const offset = plus(firstOffset, offsetDelta, () => offsetDelta);
  const key = decoder.readVarIntBytes();
  const value = decoder.readVarIntBytes();
  const headers: Headers = {};
  const count = decoder.readVarInt();
  for (let i = 0; i < count; i++) {
    const name = String(decoder.readVarIntString());
    const headerValue = decoder.readVarIntBytes();
    const previous = headers[name];
    const next = previous === undefined ? headerValue : Array.isArray(previous) ? previous.concat([headerValue]) : [previous, headerValue];
    // As kafkajs's spread does: an own property whatever the name ("__proto__" included).
    if (name === '__proto__') Object.defineProperty(headers, name, { value: next, writable: true, enumerable: true, configurable: true });
    else headers[name] = next;
  }
  return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: isControlBatch, batchContext };
}

/** False when kafkajs's batch decoder was loaded before this file (it then holds its own record decoder). */
export const recordDecoderPatched = require.cache[BATCH_DECODER] === undefined;

const cached = require.cache[RECORD_DECODER]!;
cached.exports = decodeRecord;
