// The limits of idempotent-producer state, named once (STYLE.md point 12).

/**
 * Batches remembered per producer, as Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: an
 * idempotent producer has at most 5 batches in flight per partition, so a retry is always one of
 * its last 5 (max.in.flight.requests.per.connection <= 5 is what clients require for idempotence).
 */
export const BATCHES_PER_PRODUCER_MAX = 5;

export interface ProducerStateConfig {
  /**
   * producer.id.expiration.ms: a producer whose last batch's max timestamp is this much older than
   * the broker's clock is forgotten (Kafka measures idleness on batch timestamps too, so state
   * rebuilt from the log expires alike).
   */
  readonly producerIdExpirationMs: number;
  /**
   * Producers remembered per partition replica; beyond it the least recently appended is forgotten.
   * Kafka has no such cap (only expiry); we bound memory against clients that restart with a new
   * producer id in a loop. A forgotten producer is treated as unknown, which KIP-360 accepts at any
   * sequence: the cost is a lost deduplication, never a rejected producer.
   */
  readonly producersMax: number;
}

export const DEFAULT_PRODUCER_STATE_CONFIG: ProducerStateConfig = Object.freeze({
  producerIdExpirationMs: 24 * 60 * 60 * 1000,
  producersMax: 10_000,
});

/** Bytes of one producer in a snapshot file at most: header plus BATCHES_PER_PRODUCER_MAX batches. */
export const SNAPSHOT_PRODUCER_BYTES_MAX = 8 + 2 + 1 + BATCHES_PER_PRODUCER_MAX * (4 + 4 + 8 + 8 + 8);

/**
 * Largest snapshot file read. Far above what `producersMax` producers need (10,000 take 1.7 MB), so
 * a bigger file is corrupt, not large: it is reported and ignored rather than read into memory.
 */
export const SNAPSHOT_BYTES_MAX = 64 * 1024 * 1024;

/** Bytes read from the log per step while replaying it into the producer state. */
export const REPLAY_READ_BYTES_MAX = 1024 * 1024;
