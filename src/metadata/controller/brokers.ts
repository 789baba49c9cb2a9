// Broker lifecycle commands, as Kafka's ClusterControlManager and ReplicationControlManager:
// registration, heartbeats (unfence once caught up, fence on request, controlled shutdown) and
// fencing when a session expires. Session timers live in the driver; it tells these commands what
// it knows (`sessionAlive`) and calls fenceBroker when a session expires.
//
//   registered (fenced) --heartbeat caughtUp--> unfenced --fence / session expiry--> fenced
//   any --register with a new incarnation (old session dead)--> fenced, new epoch
//   unfenced --heartbeat wantShutDown--> fenced; shouldShutDown once it leads nothing
import { apiError, type ApiError } from '../errors.js';
import type { BrokerRegistration, MetadataImage } from '../image.js';
import type { Endpoint, MetadataRecord, RegisterBrokerRecord } from '../records.js';
import { INT32_MAX, brokerEpoch, type BrokerEpoch, type BrokerId, type IncarnationId } from '../types.js';
import { isolationChanges, unfenceElections } from './partitions.js';
import { controllerResult, responseOnly, type ControllerResult } from './result.js';

/** The broker epoch reported with an error: no registration was made. */
export const NO_BROKER_EPOCH = brokerEpoch(-1);
const PORT_MAX = 0xffff;

export interface RegisterBrokerRequest {
  readonly brokerId: BrokerId;
  readonly incarnationId: IncarnationId;
  readonly endpoints: readonly Endpoint[];
  readonly rack: string | null;
}

export interface RegisterBrokerResponse {
  readonly error?: ApiError;
  readonly brokerEpoch: BrokerEpoch;
}

/**
 * Registers a broker (fenced). Broker epoch = image.offset + 1: a strict lower bound on the offset
 * the record will get (the driver runs commands one at a time against the newest committed image),
 * so epochs strictly grow across registrations. The same incarnation again is a retry: the existing
 * epoch, no records. A new incarnation replaces the old registration unless the old session is
 * still alive (DUPLICATE_BROKER_REGISTRATION, as Kafka); the old one's ISR memberships and
 * leaderships go as if it had been fenced, since the restarted process may have lost its log.
 */
export function registerBroker(image: MetadataImage, req: RegisterBrokerRequest, ctx: { readonly sessionAlive: boolean }): ControllerResult<RegisterBrokerResponse> {
  const invalid = registrationViolation(req);
  if (invalid !== undefined) return responseOnly({ error: apiError('INVALID_REQUEST', `broker ${req.brokerId} registration: ${invalid}`), brokerEpoch: NO_BROKER_EPOCH });
  const existing = image.brokers.get(req.brokerId);
  if (existing?.incarnationId === req.incarnationId) return responseOnly({ brokerEpoch: existing.epoch });
  if (existing !== undefined && ctx.sessionAlive) {
    const message = `broker ${req.brokerId} is registered by incarnation ${existing.incarnationId}, whose session is still alive`;
    return responseOnly({ error: apiError('DUPLICATE_BROKER_REGISTRATION', message), brokerEpoch: NO_BROKER_EPOCH });
  }
  const epoch = brokerEpoch(image.offset + 1);
  const record: RegisterBrokerRecord = { type: 'register-broker', brokerId: req.brokerId, incarnationId: req.incarnationId, brokerEpoch: epoch, endpoints: req.endpoints, rack: req.rack, fenced: true };
  const moves = existing === undefined ? [] : isolationChanges(image, req.brokerId);
  return controllerResult([...moves, record], { brokerEpoch: epoch });
}

/** What replay would refuse in a registration, checked first so the records always apply. */
function registrationViolation(req: RegisterBrokerRequest): string | undefined {
  if (!Number.isInteger(req.brokerId) || req.brokerId < 0 || req.brokerId > INT32_MAX) return `broker id ${req.brokerId} is not in [0, ${INT32_MAX}]`;
  if (req.endpoints.length === 0) return 'no endpoints';
  const listeners = new Set(req.endpoints.map((e) => e.listener));
  if (listeners.has('')) return 'an endpoint has an empty listener name';
  if (listeners.size !== req.endpoints.length) return `listener names repeat: ${req.endpoints.map((e) => e.listener).join(', ')}`;
  const badPort = req.endpoints.find((e) => !Number.isInteger(e.port) || e.port < 0 || e.port > PORT_MAX);
  if (badPort !== undefined) return `listener ${badPort.listener} port ${badPort.port} is not a TCP port`;
  return undefined;
}

export interface HeartbeatRequest {
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
  /** The broker has replayed the metadata log up to the controller's high watermark. */
  readonly caughtUp: boolean;
  readonly wantFence: boolean;
  readonly wantShutDown: boolean;
}

export interface HeartbeatResponse {
  readonly error?: ApiError;
  /** Whether the broker is fenced once the records are replayed. */
  readonly isFenced: boolean;
  readonly shouldShutDown: boolean;
}

/**
 * Unknown broker: BROKER_ID_NOT_REGISTERED; epoch mismatch: STALE_BROKER_EPOCH. A fenced broker that
 * has caught up (and wants neither fence nor shutdown) is unfenced and elected leader of the offline
 * partitions it can lead. wantShutDown fences it now and answers shouldShutDown once the image shows
 * it fenced and leading nothing (the broker re-sends the heartbeat each interval). wantFence fences.
 */
export function brokerHeartbeat(image: MetadataImage, req: HeartbeatRequest): ControllerResult<HeartbeatResponse> {
  const broker = image.brokers.get(req.brokerId);
  if (broker === undefined) return refused('BROKER_ID_NOT_REGISTERED', `broker ${req.brokerId} is not registered`);
  if (broker.epoch !== req.brokerEpoch) return refused('STALE_BROKER_EPOCH', `broker ${req.brokerId} sent epoch ${req.brokerEpoch} but its registration has epoch ${broker.epoch}`);
  if (req.wantShutDown) return controlledShutdown(image, broker);
  if (req.wantFence) return controllerResult(fenceBroker(image, broker.id).records, { isFenced: true, shouldShutDown: false });
  if (broker.fenced && req.caughtUp) return unfence(image, broker);
  return responseOnly({ isFenced: broker.fenced, shouldShutDown: false });
}

function refused(code: ApiError['code'], message: string): ControllerResult<HeartbeatResponse> {
  return responseOnly({ error: apiError(code, message), isFenced: true, shouldShutDown: false });
}

function unfence(image: MetadataImage, broker: BrokerRegistration): ControllerResult<HeartbeatResponse> {
  const records: MetadataRecord[] = [{ type: 'unfence-broker', brokerId: broker.id, brokerEpoch: broker.epoch }, ...unfenceElections(image, broker.id)];
  return controllerResult(records, { isFenced: false, shouldShutDown: false });
}

function controlledShutdown(image: MetadataImage, broker: BrokerRegistration): ControllerResult<HeartbeatResponse> {
  if (!broker.fenced) return controllerResult(fenceBroker(image, broker.id).records, { isFenced: true, shouldShutDown: false });
  // Already fenced: leaderships should be gone; move any that are not before letting it go.
  const moves = isolationChanges(image, broker.id);
  return controllerResult(moves, { isFenced: true, shouldShutDown: !leadsAnything(image, broker.id) });
}

function leadsAnything(image: MetadataImage, id: BrokerId): boolean {
  for (const topic of image.topicsById.values()) for (const p of topic.partitions.values()) if (p.leader === id) return true;
  return false;
}

/**
 * Session expired or controlled shutdown: the ISR removals and leader moves of isolationChanges
 * (partitions.ts), then FenceBroker. Nothing for an unknown or already fenced broker.
 */
export function fenceBroker(image: MetadataImage, id: BrokerId): ControllerResult<void> {
  const broker = image.brokers.get(id);
  if (broker === undefined || broker.fenced) return responseOnly(undefined);
  return controllerResult([...isolationChanges(image, id), { type: 'fence-broker', brokerId: id, brokerEpoch: broker.epoch }], undefined);
}
