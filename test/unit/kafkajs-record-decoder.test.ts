// The patched kafkajs record decoder (queue/kafkajs-record-decoder-patch.ts) against kafkajs's
// own, on records written by kafkajs's own encoder: every field must come out the same,
// including the cases where plain numbers would not be exact.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { decodeRecord, FetchedRecord, kafkajsRecordDecoder, recordDecoderPatched } from '../../queue/kafkajs-record-decoder-patch.js';
import { fromKafkaMessage, HEADERS } from '../../queue/kafka-message.js';
import '../../queue/kafka-client.js';

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
interface EncoderLike {
  buffer: Buffer;
  writeInt8(v: number): EncoderLike;
  writeVarInt(v: number): EncoderLike;
  writeVarLong(v: number): EncoderLike;
  writeVarIntBytes(v: Buffer | null): EncoderLike;
  writeVarIntString(v: string): EncoderLike;
}
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => Encoded;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => { readVarIntBytes(): Buffer };
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => EncoderLike;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): unknown };

/** What both decoders get: a decoder over one record's bytes, as kafkajs's batch decoder makes it. */
const recordDecoder = (r: object) => new Decoder(new Decoder(Record(r).buffer).readVarIntBytes());

const withProto = (): Record<string, Buffer> => {
  const h: Record<string, Buffer> = {};
  Object.defineProperty(h, '__proto__', { value: Buffer.from('p'), enumerable: true, configurable: true, writable: true });
  return h;
};

const RECORDS: [string, object][] = [
  [
    'plain',
    {
      offsetDelta: 3,
      timestampDelta: 17,
      key: Buffer.from('k'),
      value: Buffer.from('{"a":1}'),
      headers: { 'aksita-agent': Buffer.from('default'), 'aksita-received-at': Buffer.from('1733600000000') },
    },
  ],
  ['no key, no headers, negative delta', { offsetDelta: 0, timestampDelta: -250, key: null, value: Buffer.from('v') }],
  [
    'repeated headers',
    { offsetDelta: 7, timestampDelta: 0, key: Buffer.from('k'), value: Buffer.alloc(0), headers: { a: [Buffer.from('1'), Buffer.from('2'), Buffer.from('3')], b: Buffer.from('x') } },
  ],
  [
    'headers named like Object.prototype',
    { offsetDelta: 1, timestampDelta: 1, key: null, value: Buffer.from('v'), headers: { constructor: Buffer.from('c'), toString: [Buffer.from('t1'), Buffer.from('t2')] } },
  ],
  ['a header named __proto__', { offsetDelta: 1, timestampDelta: 1, key: null, value: Buffer.from('v'), headers: withProto() }],
  ['delta past 49 bits', { offsetDelta: 2, timestampDelta: Long.fromValue('36028797018963968'), key: null, value: Buffer.from('v') }],
  ['negative delta past 49 bits', { offsetDelta: 2, timestampDelta: Long.fromValue('-36028797018963968'), key: null, value: Buffer.from('v') }],
  ['delta at 48 bits', { offsetDelta: 2, timestampDelta: 2 ** 48 - 1, key: null, value: Buffer.from('v') }],
];

const CONTEXTS = [
  { firstOffset: '0', firstTimestamp: '1733600000000', magicByte: 2, timestampType: 0, maxTimestamp: '1733600000999' },
  { firstOffset: '9007199254740990', firstTimestamp: '9223372036854775000', magicByte: 2, timestampType: 0, maxTimestamp: '1' },
  { firstOffset: '123456789', firstTimestamp: '-1', magicByte: 2, timestampType: 1, maxTimestamp: '1733600000999', isControlBatch: true },
  { firstOffset: '5', firstTimestamp: '1733600000000', magicByte: 2, timestampType: 1, maxTimestamp: '' },
];

const FIELDS = ['magicByte', 'attributes', 'timestamp', 'offset', 'key', 'value', 'isControlRecord', 'batchContext'] as const;

// Field by field (ours decodes the key and headers when read). Headers as [name, value] pairs: a
// header named "constructor" is an own property that equality matchers would take for the object's class.
const comparable = (record: unknown) => {
  const r = record as Record<(typeof FIELDS)[number] | 'headers', unknown>;
  const fields = Object.fromEntries(FIELDS.map((f) => [f, r[f]]));
  const headers = r.headers as object;
  return { ...fields, headers: Object.entries(headers), headersPrototype: Object.getPrototypeOf(headers) as unknown };
};

describe('kafkajs record decoder patch', () => {
  it('is the decoder kafkajs uses', () => {
    expect(recordDecoderPatched).toBe(true);
    expect(require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js')).toBe(decodeRecord);
  });

  for (const [name, record] of RECORDS) {
    it(`decodes "${name}" as kafkajs does`, () => {
      for (const context of CONTEXTS) {
        const theirs = recordDecoder(record);
        const ours = recordDecoder(record);
        expect(comparable(decodeRecord(ours as never, context))).toStrictEqual(comparable(kafkajsRecordDecoder(theirs as never, context)));
        // Both read the whole record.
        expect((ours as unknown as { offset: number }).offset).toBe((theirs as unknown as { offset: number }).offset);
      }
    });
  }

  it('leaves the decoder past the record, as kafkajs does, when records follow each other', () => {
    const two = Buffer.concat([Record(RECORDS[0]![1]).buffer, Record(RECORDS[2]![1]).buffer]);
    const ours = new Decoder(two);
    const theirs = new Decoder(two);
    for (let i = 0; i < 2; i++) {
      const a = decodeRecord(new Decoder(ours.readVarIntBytes()) as never, CONTEXTS[0]);
      const b = kafkajsRecordDecoder(new Decoder(theirs.readVarIntBytes()) as never, CONTEXTS[0]);
      expect(comparable(a)).toStrictEqual(comparable(b));
    }
  });
});

// The envelope the consumer builds from a fetched record (queue/kafka-message.ts reads the
// patched decoder's records from the fetch's bytes) against the one built from kafkajs's record.
describe('fromKafkaMessage on a fetched record', () => {
  const record = (headers: Record<string, Buffer | Buffer[]>, key: Buffer | null = Buffer.from('conv-1')) => ({
    offsetDelta: 1,
    timestampDelta: 5,
    key,
    value: Buffer.from('{"message_id":"m"}'),
    headers,
  });
  const h = (agent: string, extra: Record<string, Buffer | Buffer[]> = {}) => ({
    [HEADERS.agent]: Buffer.from(agent),
    [HEADERS.receivedAt]: Buffer.from('1733600000123'),
    [HEADERS.signature]: Buffer.from('valid'),
    ...extra,
  });
  const CASES: [string, object][] = [
    ['as ingest writes it', record(h('default'))],
    ['another agent, with non-ASCII bytes', record(h('équipe-β'))],
    ['the first agent again', record(h('default'))],
    ['unsigned, no key', record({ ...h('x'), [HEADERS.signature]: Buffer.from('unsigned') }, null)],
    ['a signature status ingest never writes', record({ ...h('x'), [HEADERS.signature]: Buffer.from('forged') })],
    ['rejected', record(h('default', { [HEADERS.rejectCode]: Buffer.from('invalid_payload'), [HEADERS.rejectReason]: Buffer.from('credits: expected number') }))],
    ['rejected without a reason', record(h('default', { [HEADERS.rejectCode]: Buffer.from('invalid_payload') }))],
    ['no headers: the record time', record({})],
    ['repeated headers: the first value counts', record({ ...h('a'), [HEADERS.agent]: [Buffer.from('first'), Buffer.from('second')], [HEADERS.receivedAt]: [Buffer.from('7'), Buffer.from('8')] })],
    ['other headers around ours', record({ 'x-trace': Buffer.from('t'), ...h('default'), 'aksita-agent-x': Buffer.from('no') })],
    ['a receive time that is not a number', record({ ...h('default'), [HEADERS.receivedAt]: Buffer.from('soon') })],
  ];
  for (const [name, r] of CASES) {
    it(`gives the same envelope: ${name}`, () => {
      const ours = decodeRecord(recordDecoder(r) as never, CONTEXTS[0]);
      const theirs = kafkajsRecordDecoder(recordDecoder(r) as never, CONTEXTS[0]);
      expect(ours).toBeInstanceOf(FetchedRecord);
      expect(fromKafkaMessage(ours as KafkaMessage)).toStrictEqual(fromKafkaMessage(theirs as KafkaMessage));
    });
  }

  it('takes a header with a null value as absent, on both paths', () => {
    // By hand: kafkajs's encoder cannot write a null header value; the protocol can (length -1).
    const body = new Encoder().writeInt8(0).writeVarLong(5).writeVarInt(1).writeVarIntBytes(null).writeVarIntBytes(Buffer.from('v')).writeVarInt(2);
    for (const name of [HEADERS.agent, HEADERS.signature]) body.writeVarIntString(name).writeVarIntBytes(null);
    const expected = { body: Buffer.from('v'), key: '', agent: 'default', receivedAtMs: 1733600000005, signature: 'unsigned' };
    expect(fromKafkaMessage(decodeRecord(new Decoder(body.buffer) as never, CONTEXTS[0]) as KafkaMessage)).toStrictEqual(expected);
    expect(fromKafkaMessage(kafkajsRecordDecoder(new Decoder(body.buffer) as never, CONTEXTS[0]) as KafkaMessage)).toStrictEqual(expected);
  });
});
