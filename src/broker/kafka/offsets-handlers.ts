// ListOffsets (key 2) and OffsetForLeaderEpoch (key 23): per partition, from the leader's log
// (src/broker/replica/offsets.ts).
import { KAFKA_ERRORS } from '../../metadata/errors.js';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/apis/list-offsets.js';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '../../protocol/apis/offset-for-leader-epoch.js';
import { endOffsetForEpoch, listOffset, MAX_TIMESTAMP, MAX_TIMESTAMP_VERSION_MIN, type OffsetAnswer } from '../replica/offsets.js';
import type { DataPlane } from './data-plane.js';

export async function handleListOffsets(request: ListOffsetsRequest, version: number, data: DataPlane): Promise<ListOffsetsResponse> {
  const topics = await Promise.all(
    request.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p) => {
          const a = await answerFor(data, version, t.name, p.partitionIndex, p.timestamp, p.currentLeaderEpoch);
          // v0 answers a list of offsets instead of one.
          const oldStyleOffsets = a.error === 'NONE' && a.offset >= 0 ? [a.offset] : [];
          return { partitionIndex: p.partitionIndex, errorCode: KAFKA_ERRORS[a.error].code, oldStyleOffsets, timestamp: a.timestamp, offset: a.offset, leaderEpoch: a.leaderEpoch };
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

/** A sentinel newer than the request's version is refused before the partition is looked at, as Kafka does. */
function answerFor(data: DataPlane, version: number, topic: string, index: number, timestamp: number, currentLeaderEpoch: number): Promise<OffsetAnswer> {
  if (timestamp === MAX_TIMESTAMP && version < MAX_TIMESTAMP_VERSION_MIN) return Promise.resolve({ error: 'UNSUPPORTED_VERSION', offset: -1, timestamp: -1, leaderEpoch: -1 });
  return listOffset(data.replicas, topic, index, timestamp, currentLeaderEpoch);
}

export function handleOffsetForLeaderEpoch(request: OffsetForLeaderEpochRequest, data: DataPlane): OffsetForLeaderEpochResponse {
  const topics = request.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const a = endOffsetForEpoch(data.replicas, t.topic, p.partition, p.currentLeaderEpoch, p.leaderEpoch);
      return { errorCode: KAFKA_ERRORS[a.error].code, partition: p.partition, leaderEpoch: a.leaderEpoch, endOffset: a.endOffset };
    }),
  }));
  return { throttleTimeMs: 0, topics };
}
