// How the active controller of the simulation answers requests: each becomes one command (a Job)
// for the driver, mirroring src/metadata/controller-handlers.ts around the pure commands: a
// registration's session starts once its records are applied; a heartbeat refreshes the session and
// computes caughtUp when it arrives, then queues the command; a broker just unfenced triggers a
// preferred-leader rebalance.
import { brokerHeartbeat, createPartitions, createTopics, deleteTopics, electPreferredLeaders, registerBroker, type AlterPartitionRequest, type HeartbeatRequest, type RegisterBrokerRequest } from '../../../src/metadata/controller/index.js';
import type { MetadataImage } from '../../../src/metadata/image.js';
import type { BrokerId, TopicId } from '../../../src/metadata/types.js';
import { logIndex } from '../../../src/raft/core/types.js';
import { type ControllerDriver, type Job, type JobResult, REBALANCE_MOVES_MAX, job } from './driver.js';
import type { Reply, Rpc } from './events.js';
import type { MetaPlantedBug } from './params.js';
import { alterWithBugs, fenceWithBugs } from './planted.js';
import { metaFail } from './violation.js';

export interface RequestWorld {
  readonly nowMs: number;
  readonly bugs: ReadonlySet<MetaPlantedBug>;
  reply(reply: Reply): void;
  newTopicId(): TopicId;
}

/**
 * Checks of an answer against the image it was given on (the active controller's, just after its
 * records applied): an accepted AlterPartition came from the leader in its current leader epoch; a
 * broker told shouldShutDown is fenced and leads nothing.
 */
function alterAccepted(image: MetadataImage, req: AlterPartitionRequest): void {
  const p = image.topicsById.get(req.topicId)?.partitions.get(req.partition);
  if (p === undefined || (p.leader === req.brokerId && p.leaderEpoch === req.leaderEpoch)) return;
  metaFail('stale-alter-accepted', `AlterPartition of ${req.topicId.slice(-4)}-${req.partition} from b${req.brokerId} at leader epoch ${req.leaderEpoch} was accepted, but the partition is led by ${p.leader} in leader epoch ${p.leaderEpoch}`);
}

function shutdownAllowed(image: MetadataImage, id: BrokerId): void {
  if (image.brokers.get(id)?.fenced !== true) metaFail('shutdown-while-leading', `b${id} was told shouldShutDown while unfenced (offset ${image.offset})`);
  for (const topic of image.topicsById.values()) {
    for (const [index, p] of topic.partitions) if (p.leader === id) metaFail('shutdown-while-leading', `b${id} was told shouldShutDown while leading ${topic.name}-${index} (offset ${image.offset})`);
  }
}

type ReplyFields = Partial<Pick<Reply, 'error' | 'brokerEpoch' | 'isFenced' | 'shouldShutDown'>>;

function replyTo(rpc: Rpc, driver: ControllerDriver, fields: ReplyFields): Reply {
  const leader = driver.node.status?.leader ?? 0;
  return { to: rpc.from, from: rpc.to, incarnation: rpc.incarnation, seq: rpc.seq, kind: rpc.request.kind, leaderHint: leader === driver.node.id ? 0 : leader, error: undefined, brokerEpoch: -1, isFenced: true, shouldShutDown: false, ...fields };
}

/** Answers NOT_CONTROLLER unless this driver is active, else queues the request's command. */
export function handleRpc(driver: ControllerDriver, rpc: Rpc, world: RequestWorld): void {
  if (!driver.active) return world.reply(replyTo(rpc, driver, { error: 'NOT_CONTROLLER' }));
  if (!driver.submit(jobFor(driver, rpc, world))) world.reply(replyTo(rpc, driver, { error: 'THROTTLING_QUOTA_EXCEEDED' }));
}

const failed = (result: JobResult): string | undefined => (result.ok ? undefined : result.error);

function jobFor(driver: ControllerDriver, rpc: Rpc, world: RequestWorld): Job {
  const answer = (fields: ReplyFields) => world.reply(replyTo(rpc, driver, fields));
  const r = rpc.request;
  const wasFenced = r.kind === 'heartbeat' && driver.node.image.brokers.get(r.req.brokerId)?.fenced !== false;
  switch (r.kind) {
    case 'register':
      return registerJob(driver, r.req.brokerId, world, (epoch, error) => answer({ brokerEpoch: epoch, error }), r.req);
    case 'heartbeat':
      return heartbeatJob(driver, r.req, r.metadataOffset, world, (fields) => {
        answer(fields);
        if (fields.error === undefined && fields.isFenced === false && wasFenced) driver.rebalanceSoon(rebalanceJob);
      });
    case 'alter-partition':
      return job('alter-partition', (image) => alterWithBugs(image, r.req, world.bugs), (resp, result) => {
        const error = failed(result) ?? resp?.error?.code;
        if (error === undefined) alterAccepted(driver.node.image, r.req);
        answer({ error });
      });
    case 'create-topic': {
      const ctx = { defaults: { numPartitions: 1, replicationFactor: 1 }, newTopicId: () => world.newTopicId(), validateOnly: false };
      return job('create-topics', (image) => createTopics(image, [r.req], ctx), (resp, result) => answer({ error: failed(result) ?? resp?.[0]?.error?.code }));
    }
    case 'delete-topic':
      return job('delete-topics', (image) => deleteTopics(image, [r.name]), (resp, result) => answer({ error: failed(result) ?? resp?.[0]?.error?.code }));
    case 'create-partitions':
      return job('create-partitions', (image) => createPartitions(image, [r.req], { validateOnly: false }), (resp, result) => answer({ error: failed(result) ?? resp?.[0]?.error?.code }));
  }
}

function registerJob(driver: ControllerDriver, id: BrokerId, world: RequestWorld, answer: (epoch: number, error: string | undefined) => void, req: RegisterBrokerRequest): Job {
  return job(
    `register ${id}`,
    (image) => {
      const existing = image.brokers.get(id);
      const sessionAlive = existing !== undefined && driver.sessions.isAlive(id, existing.epoch, world.nowMs);
      return registerBroker(image, req, { sessionAlive });
    },
    (resp, result) => {
      const error = failed(result) ?? resp?.error?.code;
      if (result.ok && result.proposed && resp !== undefined && error === undefined) {
        driver.sessions.registered(id, resp.brokerEpoch, logIndex(result.offset), world.nowMs);
        driver.track(id);
      }
      answer(resp?.brokerEpoch ?? -1, error);
    },
  );
}

/** The session is refreshed and caughtUp computed as the heartbeat arrives, as the real handler does. */
function heartbeatJob(driver: ControllerDriver, req: HeartbeatRequest, metadataOffset: number, world: RequestWorld, answer: (fields: ReplyFields) => void): Job {
  const known = driver.sessions.heartbeat(req.brokerId, req.brokerEpoch, world.nowMs);
  const image = driver.node.image;
  // The no-rearm driver starts sessions on first contact instead of at activation.
  if (!known && world.bugs.has('no-rearm') && image.brokers.get(req.brokerId)?.epoch === req.brokerEpoch) {
    driver.sessions.registered(req.brokerId, req.brokerEpoch, image.offset, world.nowMs);
    driver.track(req.brokerId);
  }
  const caughtUp = driver.sessions.caughtUp(req.brokerId, logIndex(metadataOffset));
  return job(
    `heartbeat ${req.brokerId}`,
    (image) => brokerHeartbeat(image, { ...req, caughtUp }),
    (resp, result) => {
      const error = failed(result) ?? resp?.error?.code;
      if (error === undefined && resp?.shouldShutDown === true) shutdownAllowed(driver.node.image, req.brokerId);
      answer({ error, brokerEpoch: req.brokerEpoch, isFenced: resp?.isFenced ?? true, shouldShutDown: resp?.shouldShutDown ?? false });
    },
  );
}

export function fenceJob(id: BrokerId, bugs: ReadonlySet<MetaPlantedBug>, done: () => void): Job {
  return job(`fence ${id}`, (image) => fenceWithBugs(image, id, bugs), () => done());
}

export function rebalanceJob(done: () => void): Job {
  return job('rebalance', (image) => electPreferredLeaders(image, REBALANCE_MOVES_MAX), () => done());
}
