// Text and JSON views of controller responses for the admin commands, shaped like Kafka's tools
// (kafka-metadata-quorum.sh describe --status/--replication, kafka-topics.sh --describe) so that
// an operator's eyes and scripts carry over. Pure functions: responses in, strings out.
import type { controllerpb } from '../metadata/controller-service.js';

/** Columns padded to their widest cell, two spaces apart (Kafka's tools use tabs; these align). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [header, ...rows].map(line).join('\n');
}

export interface QuorumView {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  readonly maxFollowerLag: number;
  readonly voters: readonly ReplicaView[];
  readonly observers: readonly ReplicaView[];
}

export interface ReplicaView {
  readonly id: number;
  readonly logEndOffset: number;
  readonly lag: number;
  readonly status: 'Leader' | 'Follower' | 'Observer';
}

export function quorumView(res: controllerpb.IDescribeQuorumResponse): QuorumView {
  const leaderId = res.leaderId ?? 0;
  const replica = (r: controllerpb.IReplicaState, voter: boolean): ReplicaView => ({
    id: r.id ?? 0,
    logEndOffset: Number(r.logEndOffset ?? 0),
    lag: Number(r.lag ?? 0),
    status: !voter ? 'Observer' : r.id === leaderId ? 'Leader' : 'Follower',
  });
  const voters = (res.voters ?? []).map((r) => replica(r, true)).sort(byId);
  const observers = (res.observers ?? []).map((r) => replica(r, false)).sort(byId);
  // As kafka-metadata-quorum.sh: the largest lag among the voters.
  const maxFollowerLag = Math.max(0, ...voters.map((v) => v.lag));
  return { leaderId, leaderEpoch: Number(res.leaderEpoch ?? 0), highWatermark: Number(res.highWatermark ?? 0), maxFollowerLag, voters, observers };
}

/** `kafka-metadata-quorum.sh describe --status`. */
export function renderQuorumStatus(q: QuorumView): string {
  const ids = (rs: readonly ReplicaView[]) => `[${rs.map((r) => r.id).join(',')}]`;
  const rows: [string, string][] = [
    ['LeaderId:', String(q.leaderId)],
    ['LeaderEpoch:', String(q.leaderEpoch)],
    ['HighWatermark:', String(q.highWatermark)],
    ['MaxFollowerLag:', String(q.maxFollowerLag)],
    ['CurrentVoters:', ids(q.voters)],
    ['CurrentObservers:', ids(q.observers)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(24)}${v}`).join('\n');
}

/** `kafka-metadata-quorum.sh describe --replication`, without the timestamp columns flotilla does not track. */
export function renderQuorumReplication(q: QuorumView): string {
  const rows = [...q.voters, ...q.observers].map((r) => [String(r.id), String(r.logEndOffset), String(r.lag), r.status]);
  return table(['NodeId', 'LogEndOffset', 'Lag', 'Status'], rows);
}

export interface PartitionView {
  readonly partition: number;
  /** -1: no leader. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicView {
  readonly name: string;
  readonly topicId: string;
  readonly partitionCount: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
  readonly partitions: readonly PartitionView[];
}

export function topicView(t: controllerpb.ITopicState): TopicView {
  const partitions = (t.partitions ?? [])
    .map((p) => ({
      partition: p.partition ?? 0,
      leader: p.leader ?? -1,
      leaderEpoch: p.leaderEpoch ?? 0,
      partitionEpoch: p.partitionEpoch ?? 0,
      replicas: p.replicas ?? [],
      isr: p.isr ?? [],
    }))
    .sort((a, b) => a.partition - b.partition);
  const configs = Object.fromEntries((t.configs ?? []).map((c) => [c.key ?? '', c.value ?? '']).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  // As kafka-topics.sh: the replication factor is the replica count of partition 0.
  return { name: t.name ?? '', topicId: t.topicId ?? '', partitionCount: partitions.length, replicationFactor: partitions[0]?.replicas.length ?? 0, configs, partitions };
}

/** `kafka-topics.sh --describe`, plus the epochs (flotilla shows them for debugging fail-overs). */
export function renderTopic(t: TopicView): string {
  const configs = Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(',');
  const head = `Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitionCount}\tReplicationFactor: ${t.replicationFactor}\tConfigs: ${configs}`;
  const parts = t.partitions.map(
    (p) =>
      `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}` +
      `\tLeaderEpoch: ${p.leaderEpoch}\tPartitionEpoch: ${p.partitionEpoch}`,
  );
  return [head, ...parts].join('\n');
}

export interface BrokerView {
  readonly id: number;
  readonly epoch: number;
  readonly fenced: boolean;
  readonly rack: string | null;
  readonly endpoints: readonly { listener: string; host: string; port: number; securityProtocol: string }[];
}

export function brokerView(b: controllerpb.IBrokerState): BrokerView {
  const endpoints = (b.endpoints ?? []).map((e) => ({ listener: e.listener ?? '', host: e.host ?? '', port: e.port ?? 0, securityProtocol: e.securityProtocol ?? '' }));
  return { id: b.id ?? 0, epoch: Number(b.epoch ?? 0), fenced: b.fenced ?? false, rack: b.rack ?? null, endpoints };
}

export function renderBrokers(brokers: readonly BrokerView[], controllerId: number): string {
  const rows = [...brokers]
    .sort(byId)
    .map((b) => [String(b.id), b.fenced ? 'fenced' : 'unfenced', String(b.epoch), b.rack ?? '-', b.endpoints.map((e) => `${e.listener}://${e.host}:${e.port}`).join(',')]);
  return `${table(['Id', 'State', 'Epoch', 'Rack', 'Endpoints'], rows)}\nActive controller: ${controllerId > 0 ? controllerId : 'unknown'}`;
}

const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
