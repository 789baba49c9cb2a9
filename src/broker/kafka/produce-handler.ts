// Produce (key 0): every partition of the request produced at once, each answered on its own
// (src/broker/replica/produce.ts holds the rules). acks=0 gets no response at all, as in Kafka.
import { KAFKA_ERRORS } from '../../metadata/errors.js';
import type { ProducePartitionResponse, ProduceRequest, ProduceResponse } from '../../protocol/apis/produce.js';
import { produceToPartition, type Acks, type ProduceResult } from '../replica/produce.js';
import type { DataPlane } from './data-plane.js';

const ACKS: ReadonlySet<number> = new Set([0, 1, -1]);

/** The response, or undefined for acks=0. */
export async function handleProduce(request: ProduceRequest, data: DataPlane): Promise<ProduceResponse | undefined> {
  const deadlineMs = Date.now() + Math.max(0, request.timeoutMs);
  const responses = await Promise.all(
    request.topicData.map(async (topic) => ({
      name: topic.name,
      partitionResponses: await Promise.all(topic.partitionData.map(async (p) => answer(p.index, await produceOne(request, data, topic.name, p.index, p.records, deadlineMs)))),
    })),
  );
  return request.acks === 0 ? undefined : { responses, throttleTimeMs: 0 };
}

function produceOne(request: ProduceRequest, data: DataPlane, topic: string, index: number, records: Buffer | null, deadlineMs: number): Promise<ProduceResult> | ProduceResult {
  if (!ACKS.has(request.acks)) return refused('INVALID_REQUIRED_ACKS', `acks must be 0, 1 or -1, got ${request.acks}`);
  if (request.transactionalId !== null) return refused('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'transactions are not supported');
  return produceToPartition(data.replicas, topic, index, records, request.acks as Acks, deadlineMs);
}

const refused = (error: ProduceResult['error'], errorMessage: string): ProduceResult => ({ error, errorMessage, baseOffset: -1, logStartOffset: -1 });

function answer(index: number, r: ProduceResult): ProducePartitionResponse {
  return { index, errorCode: KAFKA_ERRORS[r.error].code, baseOffset: r.baseOffset, logAppendTimeMs: -1, logStartOffset: r.logStartOffset, recordErrors: [], errorMessage: r.errorMessage ?? null };
}
