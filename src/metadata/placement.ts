// Replica placement for new partitions: which brokers hold each partition, the first of them being
// its preferred leader.
//
// Kafka's placer starts at a random broker and stripes replicas round-robin over a rack-alternating
// broker list, which spreads one topic evenly but ignores what the cluster already holds. This one
// is greedy over current load instead: each partition's preferred leader is the broker leading the
// fewest partitions, and each further replica goes to the broker holding the fewest replicas,
// preferring racks the partition does not use yet. Without racks, preferred leaders end within one
// of each other and replica counts within two (leaders come first; the followers then fill in). Starting from the counts of the existing
// assignments (`load`), topic after topic, keeps the whole cluster balanced, not each topic alone.
// Ties are broken by rotating from the partition number, so the result is deterministic.

export interface PlacementBroker {
  readonly id: number;
  readonly rack?: string | undefined;
}

/** How many partitions each broker already leads (preferred) and holds replicas of. */
export interface BrokerLoad {
  readonly leaders: ReadonlyMap<number, number>;
  readonly replicas: ReadonlyMap<number, number>;
}

export type PlacementError =
  | { readonly code: 'INVALID_REPLICATION_FACTOR'; readonly message: string }
  | { readonly code: 'INVALID_PARTITIONS'; readonly message: string };

export type PlacementResult = { readonly ok: true; readonly assignments: readonly (readonly number[])[] } | { readonly ok: false; readonly error: PlacementError };

/** The most partitions one request may create: a bound on work and on the records it produces. */
export const PARTITIONS_PER_REQUEST_MAX = 100_000;

export function placeReplicas(brokers: readonly PlacementBroker[], partitions: number, replicationFactor: number, load?: BrokerLoad): PlacementResult {
  const refused = validate(brokers.length, partitions, replicationFactor);
  if (refused) return { ok: false, error: refused };
  const ordered = [...brokers].sort((a, b) => a.id - b.id);
  const leaders = new Map(ordered.map((b) => [b.id, load?.leaders.get(b.id) ?? 0]));
  const replicas = new Map(ordered.map((b) => [b.id, load?.replicas.get(b.id) ?? 0]));
  const position = new Map(ordered.map((b, i) => [b, i]));
  const assignments: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    const rotation = (b: PlacementBroker) => ((position.get(b) ?? 0) - (p % ordered.length) + ordered.length) % ordered.length;
    const leader = pick(ordered, (b) => [leaders.get(b.id) ?? 0, replicas.get(b.id) ?? 0, rotation(b)]);
    const chosen = [leader];
    while (chosen.length < replicationFactor) {
      const racks = new Set(chosen.map((b) => b.rack));
      const free = ordered.filter((b) => !chosen.includes(b));
      const newRack = free.filter((b) => b.rack === undefined || !racks.has(b.rack));
      chosen.push(pick(newRack.length > 0 ? newRack : free, (b) => [replicas.get(b.id) ?? 0, rotation(b)]));
    }
    leaders.set(leader.id, (leaders.get(leader.id) ?? 0) + 1);
    for (const b of chosen) replicas.set(b.id, (replicas.get(b.id) ?? 0) + 1);
    assignments.push(chosen.map((b) => b.id));
  }
  return { ok: true, assignments };
}

/** The load implied by existing assignments (replica lists, preferred leader first). */
export function loadOf(assignments: Iterable<readonly number[]>): BrokerLoad {
  const leaders = new Map<number, number>();
  const replicas = new Map<number, number>();
  for (const replicaList of assignments) {
    const first = replicaList[0];
    if (first !== undefined) leaders.set(first, (leaders.get(first) ?? 0) + 1);
    for (const id of replicaList) replicas.set(id, (replicas.get(id) ?? 0) + 1);
  }
  return { leaders, replicas };
}

function validate(brokerCount: number, partitions: number, replicationFactor: number): PlacementError | undefined {
  if (!Number.isInteger(partitions) || partitions < 1) return { code: 'INVALID_PARTITIONS', message: `number of partitions must be at least 1, got ${partitions}` };
  if (partitions > PARTITIONS_PER_REQUEST_MAX) return { code: 'INVALID_PARTITIONS', message: `number of partitions ${partitions} exceeds the limit of ${PARTITIONS_PER_REQUEST_MAX} per request` };
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) return { code: 'INVALID_REPLICATION_FACTOR', message: `replication factor must be at least 1, got ${replicationFactor}` };
  if (replicationFactor > brokerCount) {
    return { code: 'INVALID_REPLICATION_FACTOR', message: `replication factor ${replicationFactor} is larger than the number of available brokers, ${brokerCount}` };
  }
  return undefined;
}

/** The candidate with the lexicographically smallest key. */
function pick<T>(candidates: readonly T[], key: (c: T) => readonly number[]): T {
  let best: T | undefined;
  let bestKey: readonly number[] = [];
  for (const c of candidates) {
    const k = key(c);
    if (best === undefined || less(k, bestKey)) {
      best = c;
      bestKey = k;
    }
  }
  if (best === undefined) throw new Error('placement: no candidate broker (validated before, so this is a bug)');
  return best;
}

function less(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}
