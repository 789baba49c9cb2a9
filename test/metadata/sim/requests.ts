// How the active controller of the simulation answers requests: each becomes one command (a Job)
// for the driver, mirroring src/metadata/controller-handlers.ts around the pure commands: a
// registration's session starts once its records are applied; a heartbeat refreshes the session and
// computes caughtUp when it arrives, then queues the command; a broker just unfenced triggers a
// preferred-leader rebalance.
import { alterPartition, brokerHeartbeat, createTopics, electPreferredLeaders, registerBroker } from '../../../src/metadata/controller/index.js';
import type { BrokerId, TopicId } from '../../../src/metadata/types.js';
import { logIndex } from '../../../src/raft/core/types.js';
import { type ControllerDriver, type Job, type JobResult, REBALANCE_MOVES_MAX, job } from './driver.js';
import type { Reply, Rpc } from './events.js';
import type { MetaPlantedBug } from './params.js';
import { fenceWithBugs } from './planted.js';

export interface RequestWorld {
  readonly nowMs: number;
  readonly bugs: ReadonlySet<MetaPlantedBug>;
  reply(reply: Reply): void;
  newTopicId(): TopicId;
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
      return job('alter-partition', (image) => alterPartition(image, r.req), (resp, result) => answer({ error: failed(result) ?? resp?.error?.code }));
    case 'create-topic': {
      const ctx = { defaults: { numPartitions: 1, replicationFactor: 1 }, newTopicId: () => world.newTopicId(), validateOnly: false };
      return job('create-topics', (image) => createTopics(image, [r.req], ctx), (resp, result) => answer({ error: failed(result) ?? resp?.[0]?.error?.code }));
    }
  }
}

function registerJob(driver: ControllerDriver, id: BrokerId, world: RequestWorld, answer: (epoch: number, error: string | undefined) => void, req: Parameters<typeof registerBroker>[1]): Job {
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
function heartbeatJob(driver: ControllerDriver, req: Parameters<typeof brokerHeartbeat>[1], metadataOffset: number, world: RequestWorld, answer: (fields: ReplyFields) => void): Job {
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
    (resp, result) => answer({ error: failed(result) ?? resp?.error?.code, brokerEpoch: req.brokerEpoch, isFenced: resp?.isFenced ?? true, shouldShutDown: resp?.shouldShutDown ?? false }),
  );
}

export function fenceJob(id: BrokerId, bugs: ReadonlySet<MetaPlantedBug>, done: () => void): Job {
  return job(`fence ${id}`, (image) => fenceWithBugs(image, id, bugs), () => done());
}

export function rebalanceJob(done: () => void): Job {
  return job('rebalance', (image) => electPreferredLeaders(image, REBALANCE_MOVES_MAX), () => done());
}
