// InitProducerId (key 22) for idempotent producers: a fresh producer id at epoch 0 from the
// broker's block of ids (allocated through the metadata log, so ids are unique cluster-wide and
// survive restarts). A producer that sends its current id and epoch (v3+, KIP-360) gets a new id
// too, which Kafka also does for a non-transactional producer. Transactions are not supported.
import { KAFKA_ERRORS } from '../../metadata/errors.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/apis/init-producer-id.js';
import type { DataPlane } from './data-plane.js';

export async function handleInitProducerId(request: InitProducerIdRequest, data: DataPlane): Promise<InitProducerIdResponse> {
  if (request.transactionalId !== null) return failed('TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
  const next = await data.producerIds.next();
  if ('error' in next) return failed(next.error);
  return { throttleTimeMs: 0, errorCode: 0, producerId: next.producerId, producerEpoch: 0 };
}

const failed = (error: keyof typeof KAFKA_ERRORS): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode: KAFKA_ERRORS[error].code, producerId: -1, producerEpoch: -1 });
