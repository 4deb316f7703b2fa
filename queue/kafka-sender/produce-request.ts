// One Kafka Produce request (v7: acks, one record batch per partition) written straight into one
// buffer, and its response read back. kafkajs builds the same bytes through an Encoder object, a
// Long and several small buffers per record and per header; that was the larger part of the
// Kafka receiver's CPU per webhook (BENCHMARKS.md, "Ingest, Kafka").
// Schema: clients/src/main/resources/common/message/ProduceRequest.json, ProduceResponse.json
//
//   Produce Request (Version: 7) => transactional_id acks timeout_ms [topic_data]
//     transactional_id => NULLABLE_STRING   null: not transactional
//     acks => INT16                         -1: all in-sync replicas
//     timeout_ms => INT32
//     topic_data => name [partition_data]
//       name => STRING
//       partition_data => index records
//         index => INT32
//         records => RECORDS                INT32 size, then a record batch (record-batch.ts)
//
//   Produce Response (Version: 7) => [responses] throttle_time_ms
//     responses => name [partition_responses]
//       name => STRING
//       partition_responses => index error_code base_offset log_append_time_ms log_start_offset
//         index => INT32, error_code => INT16, base_offset => INT64,
//         log_append_time_ms => INT64, log_start_offset => INT64
//     throttle_time_ms => INT32
import type { KafkaRecord } from '../kafka-message.js';
import { measureBatch, writeBatch } from './record-batch.js';
import { assertFilled, requestFrame, stringSize, writeString } from './request-frame.js';

const PRODUCE = { key: 0, version: 7 };

export interface PartitionRecords {
  partition: number;
  /** In the order they must be stored. */
  records: KafkaRecord[];
}

interface ProduceRequest {
  correlationId: number;
  clientId: string;
  /** -1: all in-sync replicas. */
  acks: number;
  /** How long the broker may wait for the replicas' acknowledgement. */
  timeoutMs: number;
  topic: string;
  partitions: PartitionRecords[];
}

/** The complete request, size prefix included, ready for the socket. */
export function encodeProduceRequest(req: ProduceRequest): Buffer {
  const batches = req.partitions.map((p) => ({ partition: p.partition, batch: measureBatch(p.records) }));
  let bodySize = 2 + 2 + 4 + 4 + stringSize(req.topic) + 4;
  for (const b of batches) bodySize += 4 + 4 + b.batch.size;
  const { buf, at: start } = requestFrame(PRODUCE.key, PRODUCE.version, req.correlationId, req.clientId, bodySize);
  let at = buf.writeInt16BE(-1, start);
  at = buf.writeInt16BE(req.acks, at);
  at = buf.writeInt32BE(req.timeoutMs, at);
  at = buf.writeInt32BE(1, at);
  at = writeString(buf, at, req.topic);
  at = buf.writeInt32BE(batches.length, at);
  for (const b of batches) {
    at = buf.writeInt32BE(b.partition, at);
    at = buf.writeInt32BE(b.batch.size, at);
    at = writeBatch(buf, at, b.batch);
  }
  return assertFilled(buf, at, 'produce request');
}

interface PartitionResult {
  partition: number;
  errorCode: number;
  baseOffset: bigint;
}

/** Reads a Produce v7 response body (after the size prefix and the correlation id). */
export function decodeProduceResponse(buf: Buffer): PartitionResult[] {
  let at = 0;
  const out: PartitionResult[] = [];
  const topics = buf.readInt32BE(at);
  at += 4;
  for (let t = 0; t < topics; t++) {
    at += 2 + buf.readInt16BE(at);
    const partitions = buf.readInt32BE(at);
    at += 4;
    for (let p = 0; p < partitions; p++) {
      out.push({ partition: buf.readInt32BE(at), errorCode: buf.readInt16BE(at + 4), baseOffset: buf.readBigInt64BE(at + 6) });
      at += 4 + 2 + 8 + 8 + 8;
    }
  }
  return out;
}
