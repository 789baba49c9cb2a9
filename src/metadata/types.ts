// Identifiers of the metadata layer, branded so a broker id cannot be passed where a partition index
// or an epoch is expected. Values follow Kafka's: ids and epochs are int32 (broker epochs int64),
// and -1 means "no leader".
import type { LogIndex } from '../raft/core/types.js';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type BrokerId = Brand<number, 'BrokerId'>;
/** Kafka's broker epoch: the log offset of the broker's current registration. */
export type BrokerEpoch = Brand<number, 'BrokerEpoch'>;
/** A topic's UUID in canonical text form (lowercase 8-4-4-4-12 hex); 16 bytes on the wire. */
export type TopicId = Brand<string, 'TopicId'>;
/** A broker process's UUID, new on every start, in the same text form. */
export type IncarnationId = Brand<string, 'IncarnationId'>;
export type PartitionIndex = Brand<number, 'PartitionIndex'>;
export type LeaderEpoch = Brand<number, 'LeaderEpoch'>;
export type PartitionEpoch = Brand<number, 'PartitionEpoch'>;

export type { LogIndex };

/** The leader of a partition that has none (offline), as in Kafka. */
export const NO_LEADER = -1 as BrokerId;
export const INT32_MAX = 0x7fff_ffff;

export const brokerId = (n: number): BrokerId => n as BrokerId;
export const brokerEpoch = (n: number): BrokerEpoch => n as BrokerEpoch;
export const partitionIndex = (n: number): PartitionIndex => n as PartitionIndex;
export const leaderEpoch = (n: number): LeaderEpoch => n as LeaderEpoch;
export const partitionEpoch = (n: number): PartitionEpoch => n as PartitionEpoch;

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** The canonical text of a 16-byte UUID, or undefined if `bytes` is not 16 bytes long. */
export function uuidFromBytes(bytes: Uint8Array): string | undefined {
  if (bytes.length !== 16) return undefined;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The 16 bytes of a UUID in canonical text form; throws RangeError on anything else. */
export function uuidToBytes(uuid: string): Uint8Array {
  if (!UUID_TEXT.test(uuid)) throw new RangeError(`not a canonical UUID: ${JSON.stringify(uuid)}`);
  return new Uint8Array(Buffer.from(uuid.replaceAll('-', ''), 'hex'));
}

/** Kafka reserves the all-zero UUID (it means "no topic id"), so no topic may have it. */
export const isValidTopicId = (uuid: string): boolean => UUID_TEXT.test(uuid) && uuid !== ZERO_UUID;

export function topicId(uuid: string): TopicId {
  if (!isValidTopicId(uuid)) throw new RangeError(`not a valid topic id: ${JSON.stringify(uuid)}`);
  return uuid as TopicId;
}

export function incarnationId(uuid: string): IncarnationId {
  if (!UUID_TEXT.test(uuid)) throw new RangeError(`not a canonical UUID: ${JSON.stringify(uuid)}`);
  return uuid as IncarnationId;
}
