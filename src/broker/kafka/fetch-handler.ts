// Fetch (key 1) for consumers: committed records only, long polling, the stored bytes as they are
// (src/broker/replica/consumer-fetch.ts). Replicas fetch over gRPC, so a request with a replica id
// is refused. Incremental fetch sessions (KIP-227) are not offered: every answer says session 0,
// which tells the client to keep sending full requests.
import { KAFKA_ERRORS } from '../../metadata/errors.js';
import type { FetchRequest, FetchResponse } from '../../protocol/apis/fetch.js';
import { fetchForConsumer, type ConsumerFetchPartition } from '../replica/consumer-fetch.js';
import type { DataPlane } from './data-plane.js';

/** replica.fetch.wait.max.ms-like cap on a consumer's wait, so a client cannot park a request for hours. */
const FETCH_WAIT_MS_MAX = 30_000;

export async function handleFetch(request: FetchRequest, data: DataPlane): Promise<FetchResponse> {
  if (request.replicaId >= 0) return { throttleTimeMs: 0, errorCode: KAFKA_ERRORS.INVALID_REQUEST.code, sessionId: 0, responses: [] };
  const partitions: ConsumerFetchPartition[] = request.topics.flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, fetchOffset: p.fetchOffset, currentLeaderEpoch: p.currentLeaderEpoch, partitionMaxBytes: p.partitionMaxBytes })),
  );
  const results = await fetchForConsumer(data.replicas, { maxWaitMs: Math.min(Math.max(0, request.maxWaitMs), FETCH_WAIT_MS_MAX), minBytes: request.minBytes, maxBytes: request.maxBytes, partitions });
  let i = 0;
  const responses = request.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const r = results[i++]!;
      return {
        partitionIndex: p.partition,
        errorCode: KAFKA_ERRORS[r.error].code,
        highWatermark: r.highWatermark,
        // No transactions: everything below the HW is stable.
        lastStableOffset: r.highWatermark,
        logStartOffset: r.logStartOffset,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: r.records,
      };
    }),
  }));
  return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
}
