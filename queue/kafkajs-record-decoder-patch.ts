// kafkajs decodes each fetched record with 64-bit `Long` arithmetic: its timestamp and offset
// by parsing the batch's first timestamp and offset from strings again for every record, and
// its varlong delta one `Long` per byte; and it builds the headers object by spreading it once
// per header. That was most of kafkajs's share of the consumer's thread and much of its garbage
// (BENCHMARKS.md, "Kafka consumer, pipelined"). This decoder gives the same record, field for field, with
// plain numbers where they are exact (below 2^53; Kafka offsets and millisecond timestamps are),
// and kafkajs's own arithmetic otherwise. The key and headers are only stepped over: a record
// keeps where they are and decodes them when read, and the consumer reads its headers straight
// from the fetch's bytes (kafka-message.ts), so a fetched record is 4 objects where it was 13.
// test/unit/kafkajs-record-decoder.test.ts compares both decoders and both envelopes.
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
  const { firstOffset, firstTimestamp, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
  const attributes = decoder.readInt8();
  const timestampDelta = readSmallVarLong(decoder);
  const timestamp =
    timestampType === LOG_APPEND_TIME && maxTimestamp
      ? // The delta is still read, to move past it.
        (timestampDelta ?? decoder.readVarLong(), maxTimestamp)
      : plus(firstTimestamp, timestampDelta, () => decoder.readVarLong());
  const offsetDelta = decoder.readVarInt();
  const offset = plus(firstOffset, offsetDelta, () => offsetDelta);
  const keyAt = decoder.offset;
  skipVarIntBytes(decoder);
  const value = decoder.readVarIntBytes();
  const headersAt = decoder.offset;
  const count = decoder.readVarInt();
  for (let i = 0; i < count; i++) {
    skipVarIntBytes(decoder);
    skipVarIntBytes(decoder);
  }
  return new FetchedRecord(attributes, timestamp, offset, value, isControlBatch, batchContext, decoder.buffer, keyAt, headersAt);
}

/** Moves past a length-prefixed field (-1 is null). */
function skipVarIntBytes(decoder: Decoder): void {
  const length = decoder.readVarInt();
  if (length > 0) decoder.offset += length;
}

const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => Decoder;

function readAt(buffer: Buffer, at: number): Decoder {
  const decoder = new KafkajsDecoder(buffer);
  decoder.offset = at;
  return decoder;
}

/** Read by keyText and forEachHeader: one decoder moved to each record in turn (they run synchronously, one at a time). */
const walker = new KafkajsDecoder(Buffer.alloc(0));

function walkerAt(buffer: Buffer, at: number): Decoder {
  walker.buffer = buffer;
  walker.offset = at;
  return walker;
}

/** A header's place in FetchedRecord.buffer: its name's and value's first byte and length (-1: null). */
export type HeaderVisitor = (nameAt: number, nameLength: number, valueAt: number, valueLength: number) => void;

/** A record as kafkajs's decoder gives it; `key` and `headers` are decoded each time they are read. */
export class FetchedRecord {
  constructor(
    readonly attributes: number,
    readonly timestamp: string,
    readonly offset: string,
    readonly value: Buffer | null,
    readonly isControlRecord: boolean,
    readonly batchContext: BatchContext,
    /** The fetched bytes the record lies in, and where its key and its header count start. */
    readonly buffer: Buffer,
    readonly keyAt: number,
    readonly headersAt: number,
  ) {}

  get magicByte(): number {
    return this.batchContext.magicByte;
  }

  get key(): Buffer | null {
    return readAt(this.buffer, this.keyAt).readVarIntBytes();
  }

  /** The key as UTF-8 text, '' when it is null: without a Buffer for it. */
  keyText(): string {
    const decoder = walkerAt(this.buffer, this.keyAt);
    const length = decoder.readVarInt();
    return length < 0 ? '' : this.buffer.toString('utf8', decoder.offset, decoder.offset + length);
  }

  /** Each header's place in `buffer`, in order: without a string or Buffer per header. */
  forEachHeader(visit: HeaderVisitor): void {
    const decoder = walkerAt(this.buffer, this.headersAt);
    const count = decoder.readVarInt();
    for (let i = 0; i < count; i++) {
      const nameLength = decoder.readVarInt();
      const nameAt = decoder.offset;
      decoder.offset += Math.max(nameLength, 0);
      const valueLength = decoder.readVarInt();
      const valueAt = decoder.offset;
      decoder.offset += Math.max(valueLength, 0);
      visit(nameAt, nameLength, valueAt, valueLength);
    }
  }

  get headers(): Headers {
    const decoder = readAt(this.buffer, this.headersAt);
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
    return headers;
  }
}

/** False when kafkajs's batch decoder was loaded before this file (it then holds its own record decoder). */
export const recordDecoderPatched = require.cache[BATCH_DECODER] === undefined;

const cached = require.cache[RECORD_DECODER]!;
cached.exports = decodeRecord;
