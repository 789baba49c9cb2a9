// Snapshots of the metadata image, as KRaft writes them: the list of records that rebuild the image
// from empty, plus the offset it reflects. Loading replays those records through MetadataDelta, the
// same path as the log, so a snapshot cannot produce a state the log could not.
import '../raft/proto-config.js'; // before the generated code: see proto-config.ts
import { flotilla } from '../gen/metadata.js';
import { MetadataDelta } from './delta.js';
import { EMPTY_IMAGE, type MetadataImage, type TopicImage } from './image.js';
import { RecordDecodeError, fromWire, toWire, type MetadataRecord } from './records.js';
import { partitionIndex, type LogIndex } from './types.js';

import pb = flotilla.metadata;

/** The records that rebuild `image` from empty: brokers, then each topic with its partitions, configs, producer ids. */
export function imageRecords(image: MetadataImage): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const b of image.brokers.values()) {
    records.push({ type: 'register-broker', brokerId: b.id, incarnationId: b.incarnationId, brokerEpoch: b.epoch, endpoints: b.endpoints, rack: b.rack, fenced: b.fenced });
  }
  for (const topic of image.topicsById.values()) records.push(...topicRecords(topic));
  for (const resourceType of ['broker', 'topic'] as const) {
    for (const [resourceName, values] of image.configs[resourceType]) {
      for (const [key, value] of values) records.push({ type: 'config', resourceType, resourceName, key, value });
    }
  }
  const block = image.producerIds.lastBlock;
  if (block !== null) records.push({ type: 'producer-ids', ...block });
  return records;
}

function topicRecords(topic: TopicImage): MetadataRecord[] {
  const records: MetadataRecord[] = [{ type: 'topic', name: topic.name, topicId: topic.id }];
  // In index order: replay refuses a partition that would leave a gap.
  for (let i = 0; i < topic.partitions.size; i++) {
    const index = partitionIndex(i);
    const p = topic.partitions.get(index);
    if (p === undefined) throw new RangeError(`topic ${topic.name} has no partition ${i} of ${topic.partitions.size}`);
    records.push({ type: 'partition', topicId: topic.id, partition: index, ...p });
  }
  return records;
}

/**
 * `offset` defaults to the image's own; the raft driver passes its applied index, which may be past
 * the last record (no-op and membership entries carry no records).
 */
export function encodeSnapshot(image: MetadataImage, offset: LogIndex = image.offset): Uint8Array {
  if (offset < image.offset) throw new RangeError(`snapshot offset ${offset} is below the image's ${image.offset}`);
  return pb.MetadataSnapshot.encode({ offset, records: imageRecords(image).map(toWire) }).finish();
}

/**
 * The image a snapshot describes. Throws RecordDecodeError for malformed bytes and
 * MetadataReplayError for records that do not rebuild a consistent image.
 */
export function decodeSnapshot(data: Uint8Array): MetadataImage {
  let wire: pb.MetadataSnapshot;
  try {
    wire = pb.MetadataSnapshot.decode(data);
  } catch (cause) {
    throw new RecordDecodeError(`not a MetadataSnapshot protobuf (${(cause as Error).message})`, { cause });
  }
  const offset = (wire.offset ?? 0) as LogIndex;
  if (!Number.isSafeInteger(offset)) throw new RecordDecodeError(`snapshot offset ${offset} is not a safe integer`);
  const records = wire.records ?? [];
  if (offset === 0 && records.length > 0) throw new RecordDecodeError('snapshot at offset 0 holds records');
  const delta = new MetadataDelta(EMPTY_IMAGE);
  records.forEach((r, i) => delta.replay(decodeSnapshotRecord(r, i), offset));
  return delta.apply().image;
}

function decodeSnapshotRecord(wire: pb.IMetadataRecord, position: number): MetadataRecord {
  try {
    return fromWire(wire instanceof pb.MetadataRecord ? wire : pb.MetadataRecord.create(wire));
  } catch (e) {
    if (e instanceof RecordDecodeError) throw new RecordDecodeError(`snapshot record ${position}: ${e.reason}`, { cause: e });
    throw e;
  }
}
