// The liveness invariants (6), checked after healing: the cluster settles (every running broker
// registered under its current incarnation and unfenced, every dead one fenced, every partition
// with an unfenced ISR member led), and a dead broker is fenced in time: within a session timeout,
// a timer period, an election and a commit of the later of its death, the last failover and the
// healing.
import type { MetadataImage } from '../../../src/metadata/image.js';
import { NO_LEADER, brokerId } from '../../../src/metadata/types.js';
import type { SimBroker } from './brokers.js';
import type { ControllerDriver } from './driver.js';
import { metaFail } from './violation.js';

/** Beyond session timeout, timer period and an election: a fence command's commit. */
const FENCE_COMMIT_SLACK_MS = 100;

export interface LivenessView {
  readonly nowMs: number;
  readonly livenessStartMs: number;
  readonly sessionTimeoutMs: number;
  readonly electionMs: number;
  readonly brokers: readonly SimBroker[];
}

export function checkFencingDeadline(v: LivenessView, active: ControllerDriver): void {
  const image = active.node.image;
  const slackMs = active.timerMs() + v.electionMs + FENCE_COMMIT_SLACK_MS;
  for (const b of v.brokers) {
    if (b.state !== 'down' || image.brokers.get(brokerId(b.id))?.fenced !== false) continue;
    const since = Math.max(b.downSinceMs, active.activatedMs, v.livenessStartMs);
    if (v.nowMs > since + v.sessionTimeoutMs + slackMs) {
      metaFail('fencing-late', `b${b.id} down since ${b.downSinceMs}ms is still unfenced at ${v.nowMs}ms on active c${active.node.id} (active since ${active.activatedMs}ms, session timeout ${v.sessionTimeoutMs}ms)`);
    }
  }
}

/** Why the cluster has not settled yet, or undefined once it has. */
export function unsettled(brokers: readonly SimBroker[], active: ControllerDriver | undefined): string | undefined {
  if (active === undefined) return 'no active controller';
  const image = active.node.image;
  for (const b of brokers) {
    const why = brokerUnsettled(b, image);
    if (why !== undefined) return `b${b.id} ${why} (active c${active.node.id} at offset ${image.offset})`;
  }
  return leaderlessPartition(image);
}

function brokerUnsettled(b: SimBroker, image: MetadataImage): string | undefined {
  const reg = image.brokers.get(brokerId(b.id));
  if (b.state === 'down') return reg === undefined || reg.fenced ? undefined : 'is dead but unfenced';
  if (b.state !== 'running') return `is ${b.state}`;
  if (reg?.incarnationId !== b.incarnationId) return 'runs but its registration is not in the image';
  return reg.fenced ? 'runs and heartbeats but is fenced' : undefined;
}

function leaderlessPartition(image: MetadataImage): string | undefined {
  for (const topic of image.topicsById.values()) {
    for (const [index, p] of topic.partitions) {
      const live = p.isr.find((r) => image.brokers.get(r)?.fenced === false);
      if (p.leader === NO_LEADER && live !== undefined) return `${topic.name}-${index} has no leader though ISR member ${live} is unfenced (ISR [${p.isr.join(',')}])`;
    }
  }
  return undefined;
}
