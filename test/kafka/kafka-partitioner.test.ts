// The partitioner must place every key exactly where kafkajs's DefaultPartitioner (and the Java
// client) does: a different choice would move a conversation to another partition mid-stream and
// break its order. kafkajs's own implementation is the oracle.
import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { javaCompatiblePartitioner, murmur2 } from '../../queue/kafka-partitioner.js';

const metadata = (count: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: leaderless.includes(partitionId) ? -1 : 1, replicas: [1], isr: [1], offlineReplicas: [], partitionErrorCode: 0 }));

// Every length 0-64 (each tail case of the hash), ASCII and multi-byte UTF-8, UUID-shaped ids.
const keys = [
  ...Array.from({ length: 65 }, (_, n) => randomBytes(n)),
  ...Array.from({ length: 200 }, (_, i) => Buffer.from(`conv-${i}-ünïcødé-✓-${'x'.repeat(i % 9)}`)),
  ...Array.from({ length: 200 }, () => Buffer.from(crypto.randomUUID())),
];

describe('Java-compatible partitioner', () => {
  it('murmur2 matches the Java client on its published test vectors', () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });

  it('every key lands on the partition kafkajs DefaultPartitioner picks, as bytes or as a string', () => {
    const ours = javaCompatiblePartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const count of [1, 3, 6, 7, 100]) {
      const partitionMetadata = metadata(count);
      for (const key of keys) {
        const expected = theirs({ topic: 't', partitionMetadata, message: { key, value: null } });
        expect(ours({ topic: 't', partitionMetadata, message: { key, value: null } }), `${key.toString('hex')} of ${count}`).toBe(expected);
        expect(ours({ topic: 't', partitionMetadata, message: { key: key.toString('latin1'), value: null } })).toBe(
          theirs({ topic: 't', partitionMetadata, message: { key: key.toString('latin1'), value: null } }),
        );
      }
    }
  });

  it('an explicit partition wins; keyless messages go round robin over partitions with a leader', () => {
    const partition = javaCompatiblePartitioner();
    const partitionMetadata = metadata(4, [2]);
    expect(partition({ topic: 't', partitionMetadata, message: { key: Buffer.from('k'), partition: 3, value: null } })).toBe(3);
    const chosen = Array.from({ length: 30 }, () => partition({ topic: 't', partitionMetadata, message: { key: null, value: null } }));
    expect(new Set(chosen)).toEqual(new Set([0, 1, 3]));
    expect(new Set(chosen.slice(0, 3)).size).toBe(3); // turns, not one partition
  });
});
