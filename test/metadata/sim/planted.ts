// The planted bugs that change what a command writes (the driver's own are in driver.ts). Each
// takes the real command's records and breaks them in one way, so the checker has to notice.
import { alterPartition, fenceBroker, partitionChange, type AlterPartitionRequest, type AlterPartitionResponse, type ControllerResult } from '../../../src/metadata/controller/index.js';
import type { MetadataImage } from '../../../src/metadata/image.js';
import type { MetadataRecord, PartitionChangeRecord, PartitionRecord } from '../../../src/metadata/records.js';
import { NO_LEADER, type BrokerId, type PartitionEpoch } from '../../../src/metadata/types.js';
import type { MetaPlantedBug } from './params.js';

/** fenceBroker (session expiry), with whichever planted bug applies to it. */
export function fenceWithBugs(image: MetadataImage, id: BrokerId, bugs: ReadonlySet<MetaPlantedBug>): ControllerResult<void> {
  const real = fenceBroker(image, id);
  if (bugs.has('fence-keeps-leader')) return { records: real.records.filter((r) => r.type === 'fence-broker'), response: undefined };
  if (bugs.has('elect-outside-isr')) return { records: real.records.map((r) => electOutsideIsr(image, id, r)), response: undefined };
  if (bugs.has('no-epoch-bump')) return { records: real.records.map((r) => keepLeaderEpoch(image, r)), response: undefined };
  return real;
}

/** A partition left leaderless gets the first other unfenced replica instead, added to the ISR. */
function electOutsideIsr(image: MetadataImage, fenced: BrokerId, r: MetadataRecord): MetadataRecord {
  if (r.type !== 'partition-change' || r.leader !== NO_LEADER) return r;
  const p = image.topicsById.get(r.topicId)?.partitions.get(r.partition);
  const other = p?.replicas.find((b) => b !== fenced && image.brokers.get(b)?.fenced === false);
  if (p === undefined || other === undefined) return r;
  const isr = r.isr ?? p.isr;
  const change: PartitionChangeRecord = { ...r, leader: other, isr: isr.includes(other) ? [...isr] : [...isr, other] };
  return change;
}

/** A leader change written as a whole Partition record that keeps the old leader epoch. */
function keepLeaderEpoch(image: MetadataImage, r: MetadataRecord): MetadataRecord {
  if (r.type !== 'partition-change' || r.leader === undefined) return r;
  const p = image.topicsById.get(r.topicId)?.partitions.get(r.partition);
  if (p === undefined) return r;
  const record: PartitionRecord = {
    type: 'partition',
    topicId: r.topicId,
    partition: r.partition,
    replicas: [...p.replicas],
    isr: [...(r.isr ?? p.isr)],
    leader: r.leader,
    leaderEpoch: p.leaderEpoch,
    partitionEpoch: (p.partitionEpoch + 1) as PartitionEpoch,
  };
  return record;
}

/** alterPartition, or with alter-no-epoch-check the ISR as sent, whoever sent it, at any epoch. */
export function alterWithBugs(image: MetadataImage, req: AlterPartitionRequest, bugs: ReadonlySet<MetaPlantedBug>): ControllerResult<AlterPartitionResponse> {
  const p = image.topicsById.get(req.topicId)?.partitions.get(req.partition);
  if (!bugs.has('alter-no-epoch-check') || p === undefined) return alterPartition(image, req);
  const change = partitionChange(req.topicId, req.partition, p, { isr: req.newIsr, leader: p.leader });
  return { records: change === undefined ? [] : [change], response: { partition: p } };
}
