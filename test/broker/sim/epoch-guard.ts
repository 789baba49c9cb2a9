// The partition-epoch check Kafka's Partition.makeLeader makes and src/broker/replica does not (see
// the report of the simulator's first run): a leader that applied an AlterPartition answer already
// knows the partition at that answer's partition epoch, and must not take the ISR of an older
// image, which a broker whose metadata lags behind the controller can still be applying. Without
// the check the leader's ISR goes back to one without the replica just added, its HW passes that
// replica, and acks=all completes for batches a member of the controller's ISR lacks.
//
// The simulator's broker wiring applies the check (planted bug 'no-partition-epoch-check' turns it
// off, which is src as it stands) by showing the ReplicaManager, for each partition whose newer
// state it learnt from an answer, that state instead of the image's older one.
import type { MetadataImage, PartitionRegistration, TopicImage } from '../../../src/metadata/image.js';
import { partitionIndex, type PartitionIndex, type TopicId } from '../../../src/metadata/types.js';

/**
 * `image` with the answered registrations of `answered` (partition index -> registration) where
 * they are newer in the same leader epoch; entries the image has caught up with are dropped.
 */
export function withAnsweredIsrs(image: MetadataImage, topicId: TopicId, answered: Map<number, PartitionRegistration>): MetadataImage {
  const t = image.topicsById.get(topicId);
  if (t === undefined || answered.size === 0) return image;
  const newer = new Map<PartitionIndex, PartitionRegistration>();
  for (const [index, reg] of [...answered]) {
    const shown = t.partitions.get(partitionIndex(index));
    if (shown === undefined || shown.leaderEpoch !== reg.leaderEpoch || shown.partitionEpoch >= reg.partitionEpoch) answered.delete(index);
    else newer.set(partitionIndex(index), reg);
  }
  if (newer.size === 0) return image;
  const topic: TopicImage = { ...t, partitions: new Map([...t.partitions, ...newer]) };
  return { ...image, topicsById: new Map(image.topicsById).set(t.id, topic), topicsByName: new Map(image.topicsByName).set(t.name, topic) };
}
