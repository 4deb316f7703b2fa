// Which partition a message goes to: the same choice as kafkajs's DefaultPartitioner (the Java
// client's murmur2 of the key bytes, so Java and kafkajs producers agree on a key's partition),
// computed on 32-bit integers. kafkajs's own murmur2 does its arithmetic on 64-bit Long objects
// and its partitioner filters the partition list for every message: together about a tenth of the
// Kafka receiver's CPU per webhook, measured with --cpu-prof (BENCHMARKS.md, "Ingest, Kafka").
import { randomInt } from 'node:crypto';
import type { ICustomPartitioner } from 'kafkajs';

const M = 0x5bd1e995;

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils#murmur2) over `data`, as a signed 32-bit int. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const end = length & ~3;
  for (let i = 0; i < end; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (length & 3) {
    case 3:
      h ^= data[end + 2]! << 16;
    // falls through
    case 2:
      h ^= data[end + 1]! << 8;
    // falls through
    case 1:
      h ^= data[end]!;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** A key's partition among `count` partitions. */
const keyPartition = (key: Uint8Array, count: number): number => (murmur2(key) & 0x7fffffff) % count;

/**
 * A kafkajs partitioner that places every message exactly as Partitioners.DefaultPartitioner does:
 * an explicit partition wins, then the key's murmur2, then round robin over partitions with a leader.
 */
export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  let turn = randomInt(2 ** 31);
  return ({ partitionMetadata, message }) => {
    if (message.partition != null) return message.partition;
    if (message.key != null) return keyPartition(typeof message.key === 'string' ? Buffer.from(message.key) : message.key, partitionMetadata.length);
    turn = (turn + 1) & 0x7fffffff;
    const led = partitionMetadata.filter((p) => p.leader >= 0);
    return led.length > 0 ? led[turn % led.length]!.partitionId : turn % partitionMetadata.length;
  };
};
