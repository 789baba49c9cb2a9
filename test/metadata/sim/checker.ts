// The metadata invariants, checked on every image every controller publishes, as it publishes it,
// and against the whole history of images seen anywhere:
//
//   leaderOfEpoch  (topic, partition, leader epoch) -> the leader first seen with it, on any node:
//                  one epoch never names two leaders (1);
//   canonAt        offset -> the canonical text of the first image seen at it: every node's images
//                  replay the same prefix (4);
//   lastImage      per node, the image before (reset when the node restarts): epochs never go
//                  down (3) and a new leader was in the ISR before (clean election);
// and per image: findImageViolations is empty (2: the leader is in the ISR) and no fenced broker
// leads (5). The liveness invariants (6) are the simulation's, after healing.
import type { MetadataChanges } from '../../../src/metadata/delta.js';
import { findImageViolations, type MetadataImage, type PartitionRegistration, type TopicImage } from '../../../src/metadata/image.js';
import { NO_LEADER, type PartitionIndex, type TopicId } from '../../../src/metadata/types.js';
import { uncleanLeaderElection } from '../../../src/metadata/configs.js';
import { metaFail } from './violation.js';

const partitionName = (topic: TopicId, index: PartitionIndex): string => `${topic.slice(-4)}-${index}`;

// Images share every broker map and topic a delta did not touch with the image before them, so the
// text of each is cached by identity: a node's next image costs only what changed.
const brokersText = new WeakMap<MetadataImage['brokers'], string>();
const topicText = new WeakMap<TopicImage, string>();

function textOfBrokers(brokers: MetadataImage['brokers']): string {
  let text = brokersText.get(brokers);
  if (text === undefined) {
    text = JSON.stringify([...brokers.values()].sort((a, b) => a.id - b.id).map((b) => [b.id, b.epoch, b.incarnationId, b.fenced]));
    brokersText.set(brokers, text);
  }
  return text;
}

function textOfTopic(t: TopicImage): string {
  let text = topicText.get(t);
  if (text === undefined) {
    text = JSON.stringify([t.id, t.name, [...t.partitions].sort((a, b) => a[0] - b[0]).map(([i, p]) => [i, p.replicas, p.isr, p.leader, p.leaderEpoch, p.partitionEpoch])]);
    topicText.set(t, text);
  }
  return text;
}

/** The image as text, brokers and topics in id order: equal images, equal text. */
export function canonicalImage(image: MetadataImage): string {
  const topics = [...image.topicsById.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(textOfTopic);
  return `${image.offset};${textOfBrokers(image.brokers)};${topics.join(';')}`;
}

export class MetaChecker {
  private readonly leaderOfEpoch = new Map<string, number>();
  private readonly canonAt = new Map<number, { readonly text: string; readonly node: number }>();
  private readonly lastImage = new Map<number, MetadataImage>();
  imagesChecked = 0;

  get leaderEpochsSeen(): number {
    return this.leaderOfEpoch.size;
  }

  /** A node restarted: its sequence of images starts again from its snapshot. */
  restarted(node: number): void {
    this.lastImage.delete(node);
  }

  image(node: number, image: MetadataImage, changes: MetadataChanges | undefined): void {
    this.imagesChecked++;
    const prev = this.lastImage.get(node);
    this.lastImage.set(node, image);
    // An image equal to one already checked at its offset passes what that one passed.
    if (this.sameAsOthers(node, image)) this.wholeImage(node, image);
    // A snapshot replaces the whole image; after it (or at the start) compare nothing with before.
    const comparable = changes !== undefined && prev !== undefined ? prev : undefined;
    this.partitions(node, image, comparable, changes);
  }

  /** (2) and (5), on the first image seen at each offset. */
  private wholeImage(node: number, image: MetadataImage): void {
    const sound = findImageViolations(image);
    if (sound.length > 0) metaFail('image-unsound', `node ${node} at offset ${image.offset}: ${sound.join('; ')}`);
    this.fencedLeaders(node, image);
  }

  private partitions(node: number, image: MetadataImage, prev: MetadataImage | undefined, changes: MetadataChanges | undefined): void {
    for (const [id, topic] of image.topicsById) {
      const touched = changes?.partitions.get(id);
      if (changes !== undefined && touched === undefined) continue;
      for (const [index, p] of topic.partitions) {
        if (touched !== undefined && !touched.has(index)) continue;
        this.leaderInEpoch(node, id, index, p);
        const before = prev?.topicsById.get(id)?.partitions.get(index);
        if (before !== undefined) this.transition(node, image.offset, partitionName(id, index), before, p, uncleanLeaderElection(image, topic.name));
      }
    }
  }

  /** Checks (1) and records `p`'s leader for its leader epoch. */
  leaderInEpoch(node: number, topic: TopicId, index: PartitionIndex, p: PartitionRegistration): void {
    const key = `${topic}/${index}/${p.leaderEpoch}`;
    const seen = this.leaderOfEpoch.get(key);
    if (seen === undefined) this.leaderOfEpoch.set(key, p.leader);
    else if (seen !== p.leader) metaFail('one-leader-per-epoch', `${partitionName(topic, index)} leader epoch ${p.leaderEpoch}: leader ${seen} seen before, node ${node} has ${p.leader}`);
  }

  /**
   * (3) and clean elections, between two consecutive images of one node. A topic that allows
   * unclean election may take a leader from outside the ISR, which then is the whole ISR.
   */
  transition(node: number, offset: number, where: string, before: PartitionRegistration, after: PartitionRegistration, unclean = false): void {
    if (after.leaderEpoch < before.leaderEpoch || after.partitionEpoch < before.partitionEpoch) {
      metaFail('epoch-regressed', `node ${node} at offset ${offset}: ${where} went from leader epoch ${before.leaderEpoch} / partition epoch ${before.partitionEpoch} to ${after.leaderEpoch} / ${after.partitionEpoch}`);
    }
    const dirty = after.leader !== before.leader && after.leader !== NO_LEADER && !before.isr.includes(after.leader);
    if (dirty && !(unclean && after.isr.length === 1 && after.isr[0] === after.leader)) {
      metaFail('unclean-election', `node ${node} at offset ${offset}: ${where} elected ${after.leader}, not in the ISR [${before.isr.join(',')}] before (leader ${before.leader})`);
    }
  }

  private fencedLeaders(node: number, image: MetadataImage): void {
    for (const topic of image.topicsById.values()) {
      for (const [index, p] of topic.partitions) {
        if (p.leader === NO_LEADER) continue;
        const broker = image.brokers.get(p.leader);
        if (broker === undefined || broker.fenced) metaFail('fenced-leader', `node ${node} at offset ${image.offset}: ${partitionName(topic.id, index)} is led by ${broker === undefined ? 'unregistered' : 'fenced'} broker ${p.leader}`);
      }
    }
  }

  /** (4): true if this is the first image seen at its offset. */
  private sameAsOthers(node: number, image: MetadataImage): boolean {
    const text = canonicalImage(image);
    const seen = this.canonAt.get(image.offset);
    if (seen === undefined) {
      this.canonAt.set(image.offset, { text, node });
      return true;
    }
    if (seen.text !== text) metaFail('image-divergence', `at offset ${image.offset} node ${seen.node} has ${seen.text} but node ${node} has ${text}`);
    return false;
  }
}
