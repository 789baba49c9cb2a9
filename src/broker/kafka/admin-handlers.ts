// What the admin API handlers share. CreateTopics, DeleteTopics, CreatePartitions and
// IncrementalAlterConfigs change metadata, so the broker forwards them to the active controller
// (as a KRaft broker does) and reports the controller's per-resource answers with Kafka's codes;
// DescribeConfigs and DescribeCluster read this node's image.
//
// A change the controller accepted is committed, but this node may not have replayed it yet. A
// client that creates a topic usually asks this same broker for its metadata next (KafkaJS does),
// so handlers wait, bounded by the request's timeout, until the node's own image shows the change.
// If the wait runs out the answer is still success: the change is in the log, and the client's
// retries of Metadata will find it.
import { ControllerUnavailableError } from '../../metadata/controller-client.js';
import type { RequestOf, ResponseOf, controllerpb } from '../../metadata/controller-service.js';
import { KAFKA_ERRORS, type KafkaErrorName } from '../../metadata/errors.js';
import type { MetadataImage } from '../../metadata/image.js';
import type { ServerConfig } from '../../server/config.js';
import type { AdminController, AdminControllerMethod, AdminView } from './context.js';

/**
 * The longest a handler waits for the controller plus its own image, whatever timeout a request
 * names (Kafka clients send up to INT32_MAX); past it the controller client's own deadline has
 * long given up anyway.
 */
export const ADMIN_WAIT_MS_MAX = 60_000;
/**
 * IncrementalAlterConfigs names no timeout: its budget for the controller and this node's image,
 * under a client's default request.timeout.ms (30 s), so an answer comes before the client gives up.
 */
export const ALTER_CONFIGS_TIMEOUT_MS = 25_000;

/** A Kafka error as it goes on the wire: the code and a message (null when there is no error). */
export interface WireError {
  readonly code: number;
  readonly message: string | null;
}

export const NO_ERROR: WireError = Object.freeze({ code: 0, message: null });

export const wireError = (name: KafkaErrorName, message: string): WireError => Object.freeze({ code: KAFKA_ERRORS[name].code, message });

const isErrorName = (name: string): name is KafkaErrorName => Object.hasOwn(KAFKA_ERRORS, name);

/** The Kafka error a controller answer carries (none for a missing error or NONE); unknown names are UNKNOWN_SERVER_ERROR. */
export function fromControllerError(error: controllerpb.IError | null | undefined): WireError {
  const name = error?.code ?? '';
  if (name === '' || name === 'NONE') return NO_ERROR;
  const message = error?.message || name;
  return isErrorName(name) ? wireError(name, message) : wireError('UNKNOWN_SERVER_ERROR', `${name}: ${message}`);
}

/** A request's deadline: `timeoutMs` from now, capped by ADMIN_WAIT_MS_MAX. */
export class Deadline {
  private readonly atMs: number;

  constructor(timeoutMs: number, private readonly now: () => number = Date.now) {
    this.atMs = now() + Math.min(Math.max(0, timeoutMs), ADMIN_WAIT_MS_MAX);
  }

  get remainingMs(): number {
    return Math.max(0, this.atMs - this.now());
  }
}

export type Forwarded<K extends AdminControllerMethod> = { readonly response: ResponseOf<K> } | { readonly error: WireError };

/**
 * Calls the active controller. When it cannot be reached before the deadline the answer is
 * REQUEST_TIMED_OUT, retriable, as Kafka's ForwardingManager answers a forwarded request that timed
 * out; the call may still complete later, as it may in Kafka. A request-level error in the answer
 * (INVALID_REQUEST, say) is returned as the error of every resource.
 *
 * A timeout of 0 still forwards, bounded by the controller client's own deadline: Kafka clients
 * send 0 to mean "do not wait for the change to spread", not "do not make it".
 */
export async function forward<K extends AdminControllerMethod>(admin: AdminView | undefined, method: K, request: RequestOf<K>, deadline: Deadline): Promise<Forwarded<K>> {
  if (admin === undefined) return { error: wireError('REQUEST_TIMED_OUT', 'this listener has no controller to forward to') };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    if (deadline.remainingMs > 0) timer = setTimeout(() => resolve('timeout'), deadline.remainingMs);
  });
  try {
    const answer = await Promise.race([admin.controller.call(method, request), timedOut]);
    if (answer === 'timeout') return { error: wireError('REQUEST_TIMED_OUT', `the controller did not answer ${method} in time`) };
    const error = fromControllerError((answer as { error?: controllerpb.IError | null }).error);
    return error.code === 0 ? { response: answer } : { error };
  } catch (error) {
    if (error instanceof ControllerUnavailableError) return { error: wireError('REQUEST_TIMED_OUT', error.message) };
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Waits (at most until the deadline) until this node's image satisfies `ready`; see the file header. */
export async function awaitLocalImage(admin: AdminView | undefined, ready: (image: MetadataImage) => boolean, deadline: Deadline): Promise<void> {
  if (admin !== undefined) await admin.awaitImage(ready, deadline.remainingMs);
}

/** What became of one requested item: an error (the broker's own check, or the forward's), or the controller's answer. */
export type Outcome<A> = { readonly error: WireError } | { readonly answer: A };

/**
 * Forwards the items the broker did not refuse itself (`local[i]` undefined) and lines the answers
 * up with the request: a refused item keeps its error; the others take the controller's answers
 * in order (the controller answers every item it is sent, in order), or the forward's error.
 */
export async function forwardItems<K extends AdminControllerMethod, A>(
  admin: AdminView | undefined,
  method: K,
  local: readonly (WireError | undefined)[],
  request: () => RequestOf<K>,
  answersOf: (response: ResponseOf<K>) => readonly A[] | null | undefined,
  deadline: Deadline,
): Promise<Outcome<A>[]> {
  if (local.every((e) => e !== undefined)) return local.map((error) => ({ error: error! }));
  const forwarded = await forward(admin, method, request(), deadline);
  const answers = 'error' in forwarded ? [] : (answersOf(forwarded.response) ?? []);
  let next = 0;
  return local.map((own): Outcome<A> => {
    if (own !== undefined) return { error: own };
    if ('error' in forwarded) return { error: forwarded.error };
    const answer = answers[next++];
    return answer === undefined ? { error: wireError('UNKNOWN_SERVER_ERROR', 'the controller answered fewer items than it was sent') } : { answer };
  });
}

// ---------------------------------------------------------------------------------------------
// The node's AdminView (server.ts builds one per broker).

/** What `nodeAdminView` reads of the metadata state machine. */
export interface ImageSource {
  readonly image: MetadataImage;
  subscribe(listener: (image: MetadataImage) => void): () => void;
}

export function nodeAdminView(options: { readonly config: ServerConfig; readonly metadata: ImageSource; readonly controller: () => AdminController | undefined }): AdminView {
  return {
    controller: new LateController(options.controller),
    awaitImage: (ready, timeoutMs) => awaitImage(options.metadata, ready, timeoutMs),
    nodeId: options.config.nodeId,
    autoCreateTopics: options.config.autoCreateTopics,
    staticConfigs: staticBrokerConfigs(options.config),
  };
}

/** The node's controller client exists only once the broker starts, after its listeners bind. */
class LateController implements AdminController {
  constructor(private readonly get: () => AdminController | undefined) {}

  call<K extends AdminControllerMethod>(method: K, request: RequestOf<K>): Promise<ResponseOf<K>> {
    const controller = this.get();
    if (controller === undefined) return Promise.reject(new ControllerUnavailableError('CONTROLLER_UNAVAILABLE', 'the broker is still starting'));
    return controller.call(method, request);
  }
}

export function awaitImage(source: ImageSource, ready: (image: MetadataImage) => boolean, timeoutMs: number): Promise<boolean> {
  if (ready(source.image)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (result: boolean) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(result);
    };
    const unsubscribe = source.subscribe((image) => {
      if (ready(image)) finish(true);
    });
    const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
  });
}

/** The node's own settings under Kafka's names, as DescribeConfigs lists them for its broker resource. */
export function staticBrokerConfigs(config: ServerConfig): ReadonlyMap<string, string> {
  const listeners = (ls: ServerConfig['listeners']) => ls.map((l) => `${l.name}://${l.host}:${l.port}`).join(',');
  const entries: [string, string][] = [
    ['node.id', String(config.nodeId)],
    ['broker.id', String(config.nodeId)],
    ['process.roles', [...config.roles].sort().join(',')],
    ['controller.quorum.voters', [...config.controllerQuorum].map(([id, address]) => `${id}@${address}`).join(',')],
    ['listeners', listeners(config.listeners)],
    ['advertised.listeners', listeners(config.advertisedListeners)],
    ['log.dirs', config.dataDir],
    ['num.partitions', String(config.defaultPartitions)],
    ['default.replication.factor', String(config.defaultReplicationFactor)],
    ['broker.heartbeat.interval.ms', String(config.brokerHeartbeatIntervalMs)],
    ['broker.session.timeout.ms', String(config.brokerSessionTimeoutMs)],
    ['auto.leader.rebalance.enable', String(config.autoLeaderRebalance)],
    ['leader.imbalance.check.interval.seconds', String(Math.round(config.leaderImbalanceCheckIntervalMs / 1000))],
    ['controller.quorum.election.timeout.ms', String(config.electionTimeoutMs)],
  ];
  if (config.rack !== null) entries.push(['broker.rack', config.rack]);
  return new Map(entries);
}
