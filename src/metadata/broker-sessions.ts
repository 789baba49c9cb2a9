// The active controller's view of broker liveness, as Kafka's BrokerHeartbeatManager: a session per
// unfenced broker with a deadline pushed forward by each heartbeat, and the log offset a broker
// must reach before it may be unfenced. Pure: the caller passes the time, so the simulator can run
// it on virtual time.
//
// Sessions live only in the active controller's memory. A controller that becomes active re-arms
// every registered broker's session from its activation time (`activate`), so a broker that died
// during the failover is still fenced one session timeout later, and a live one is not fenced for
// heartbeats the old controller received.
import type { MetadataImage } from './image.js';
import type { BrokerEpoch, BrokerId, LogIndex } from './types.js';

interface Session {
  readonly epoch: BrokerEpoch;
  deadlineMs: number;
  /** The broker may be unfenced once its applied metadata offset reaches this. */
  readonly catchUpOffset: LogIndex;
}

export class BrokerSessions {
  private readonly sessions = new Map<BrokerId, Session>();

  constructor(private readonly sessionTimeoutMs: number) {}

  /** Forgets every session and starts one for each registered broker, as of `nowMs`. */
  activate(image: MetadataImage, nowMs: number): void {
    this.sessions.clear();
    // Offsets before activation are unknown here; the image's offset is a safe bound for all.
    for (const broker of image.brokers.values()) this.sessions.set(broker.id, { epoch: broker.epoch, deadlineMs: nowMs + this.sessionTimeoutMs, catchUpOffset: image.offset });
  }

  /** A registration was committed at `offset`: its session starts now. */
  registered(id: BrokerId, epoch: BrokerEpoch, offset: LogIndex, nowMs: number): void {
    this.sessions.set(id, { epoch, deadlineMs: nowMs + this.sessionTimeoutMs, catchUpOffset: offset });
  }

  /** Whether the broker's current registration (`epoch`) has a session that has not expired. */
  isAlive(id: BrokerId, epoch: BrokerEpoch, nowMs: number): boolean {
    const s = this.sessions.get(id);
    return s !== undefined && s.epoch === epoch && s.deadlineMs > nowMs;
  }

  /** Records a heartbeat; false if the session is unknown or for another registration. */
  heartbeat(id: BrokerId, epoch: BrokerEpoch, nowMs: number): boolean {
    const s = this.sessions.get(id);
    if (s === undefined || s.epoch !== epoch) return false;
    s.deadlineMs = nowMs + this.sessionTimeoutMs;
    return true;
  }

  caughtUp(id: BrokerId, metadataOffset: LogIndex): boolean {
    const s = this.sessions.get(id);
    return s !== undefined && metadataOffset >= s.catchUpOffset;
  }

  /** Unfenced brokers of `image` whose session has run out (or who have none). */
  expired(image: MetadataImage, nowMs: number): BrokerId[] {
    const out: BrokerId[] = [];
    for (const b of image.brokers.values()) {
      if (b.fenced) continue;
      const s = this.sessions.get(b.id);
      if (s === undefined || s.epoch !== b.epoch || s.deadlineMs <= nowMs) out.push(b.id);
    }
    return out;
  }
}
