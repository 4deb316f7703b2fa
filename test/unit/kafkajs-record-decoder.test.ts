// The patched kafkajs record decoder (queue/kafkajs-record-decoder-patch.ts) against kafkajs's
// own, on records written by kafkajs's own encoder: every field must come out the same,
// including the cases where plain numbers would not be exact.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodeRecord, kafkajsRecordDecoder, recordDecoderPatched } from '../../queue/kafkajs-record-decoder-patch.js';
import '../../queue/kafka-client.js';

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => Encoded;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => { readVarIntBytes(): Buffer };
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

// Headers as [name, value] pairs: a header named "constructor" is an own property that equality
// matchers would take for the object's class.
const comparable = (record: unknown) => {
  const { headers, ...rest } = record as { headers: object };
  return { ...rest, headers: Object.entries(headers), headersPrototype: Object.getPrototypeOf(headers) as unknown };
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
});
