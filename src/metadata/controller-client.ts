// A client of the controller service that follows the active controller: a NOT_CONTROLLER answer
// names the leader, and the client goes there; an unreachable node is skipped. Brokers use it for
// registration and heartbeats, the admin commands for everything else.
//
// Only answers that cannot have changed anything are retried (NOT_CONTROLLER, unreachable). An
// answer with any other error is returned to the caller, who knows whether a retry is safe. An
// attempt that timed out may have been applied: it is retried only for methods where applying
// twice answers the same (heartbeats, reads, id blocks, ISR changes, which their callers settle);
// a create or delete fails instead with REQUEST_TIMED_OUT, rather than a retry answering
// TOPIC_ALREADY_EXISTS or UNKNOWN_TOPIC_OR_PARTITION for the caller's own first attempt.
import * as grpc from '@grpc/grpc-js';
import { ControllerGrpcClient, type ControllerMethod, type RequestOf, type ResponseOf, type controllerpb } from './controller-service.js';

/** The request could not reach an active controller before its deadline. */
export class ControllerUnavailableError extends Error {
  override readonly name = 'ControllerUnavailableError';
  readonly retriable = true;
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

type Callback<R> = (err: grpc.ServiceError | null, res?: R) => void;
type Stub = { [K in ControllerMethod]: (request: RequestOf<K>, options: grpc.CallOptions, callback: Callback<ResponseOf<K>>) => grpc.ClientUnaryCall } & { close(): void };

export interface ControllerClientOptions {
  /** Give up on one request after this long, counting every retry. */
  readonly deadlineMs?: number;
  /** The deadline of one attempt at one node. */
  readonly attemptTimeoutMs?: number;
}

const ATTEMPTS_MAX = 100;
/** Methods an attempt of which may be repeated after it timed out (see the header). */
const RETRY_AFTER_TIMEOUT: ReadonlySet<ControllerMethod> = new Set(['registerBroker', 'brokerHeartbeat', 'alterConfigs', 'alterPartition', 'allocateProducerIds', 'describeCluster', 'describeQuorum']);
/** A DescribeCluster of a large image (every partition of every topic). */
const REPLY_BYTES_MAX = 256 * 1024 * 1024;
const RECONNECT_BACKOFF_MS_MIN = 100;
const RECONNECT_BACKOFF_MS_MAX = 1_000;
/** Retries during a controller election stay frequent: there are only a few controllers to ask. */
const BACKOFF_MS_MAX = 100;

export class ControllerClient {
  private readonly stubs = new Map<number, Stub>();
  private readonly deadlineMs: number;
  private readonly attemptTimeoutMs: number;
  private leader: number | undefined;
  /** Where the next search for the active controller starts: not always at the first, which may be down. */
  private searchFrom = 0;

  /** `controllers`: id -> host:port of every controller's CONTROLLER listener. Id 0 and below are unnamed bootstrap addresses. */
  constructor(controllers: ReadonlyMap<number, string>, options: ControllerClientOptions = {}) {
    if (controllers.size === 0) throw new RangeError('a controller client needs at least one controller address');
    // grpc-js's default reconnect backoff grows to 120 s: a controller that comes back would stay
    // unreachable from here long after it is up, and a broker would miss its session for it.
    const channel = { 'grpc.max_receive_message_length': REPLY_BYTES_MAX, 'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_MS_MIN, 'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MS_MAX };
    for (const [id, address] of controllers) this.stubs.set(id, new ControllerGrpcClient(address, grpc.credentials.createInsecure(), channel) as unknown as Stub);
    this.deadlineMs = options.deadlineMs ?? 15_000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 5_000;
  }

  /** The active controller as last learnt (undefined: not known). */
  get activeController(): number | undefined {
    return this.leader;
  }

  /** Calls `method` on the active controller, following NOT_CONTROLLER hints and skipping unreachable nodes. */
  async call<K extends ControllerMethod>(method: K, request: RequestOf<K>): Promise<ResponseOf<K>> {
    const ids = [...this.stubs.keys()];
    const giveUpAt = Date.now() + this.deadlineMs;
    let last = 'no controller tried';
    for (let attempt = 0; attempt < ATTEMPTS_MAX && Date.now() < giveUpAt; attempt++) {
      const target = this.leader !== undefined && this.stubs.has(this.leader) ? this.leader : ids[this.searchFrom++ % ids.length];
      if (target === undefined) break;
      let response: ResponseOf<K>;
      try {
        response = await this.callOne(target, method, request, Math.min(this.attemptTimeoutMs, giveUpAt - Date.now()));
      } catch (error) {
        last = `controller ${target}: ${(error as grpc.ServiceError).details ?? String(error)}`;
        if ((error as grpc.ServiceError).code === grpc.status.DEADLINE_EXCEEDED && !RETRY_AFTER_TIMEOUT.has(method)) {
          throw new ControllerUnavailableError('REQUEST_TIMED_OUT', `${method} timed out at ${last}; it may have been applied`);
        }
        this.leader = undefined;
        await backoff(attempt);
        continue;
      }
      const error = (response as { error?: controllerpb.IError | null }).error;
      if (error?.code === 'NOT_CONTROLLER') {
        last = `controller ${target}: ${error.message ?? 'not the active controller'}`;
        const hint = error.leaderId ?? 0;
        this.leader = hint > 0 && hint !== target ? hint : undefined;
        if (this.leader === undefined) await backoff(attempt);
        continue;
      }
      this.leader = target;
      return response;
    }
    throw new ControllerUnavailableError('CONTROLLER_UNAVAILABLE', `no active controller answered ${method} within ${this.deadlineMs} ms (last: ${last})`);
  }

  /** Calls one node, whether or not it is active (DescribeQuorum on a follower, checks). */
  callOne<K extends ControllerMethod>(id: number, method: K, request: RequestOf<K>, timeoutMs = this.attemptTimeoutMs): Promise<ResponseOf<K>> {
    const stub = this.stubs.get(id);
    if (stub === undefined) return Promise.reject(new RangeError(`unknown controller ${id}`));
    return new Promise((resolve, reject) => {
      const invoke = stub[method] as (request: RequestOf<K>, options: grpc.CallOptions, callback: Callback<ResponseOf<K>>) => grpc.ClientUnaryCall;
      invoke.call(stub, request, { deadline: Date.now() + Math.max(1, timeoutMs) }, (err, res) => (err || res === undefined ? reject(err ?? new Error('empty response')) : resolve(res)));
    });
  }

  close(): void {
    for (const stub of this.stubs.values()) stub.close();
  }
}

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(BACKOFF_MS_MAX, 10 * 2 ** Math.min(attempt, 5))));
}
