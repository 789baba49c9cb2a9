// Producer ids for InitProducerId, as Kafka's RPCProducerIdManager: the broker asks the controller
// for a block of ids (AllocateProducerIds, written to the metadata log, so no id is handed out
// twice even across controller failovers and restarts) and hands them out one by one, asking for
// the next block when this one runs out. Concurrent callers share one pending request.
import type { KafkaErrorName } from '../metadata/errors.js';
import type { ProducerIdSource } from './kafka/data-plane.js';

export interface ProducerIdBlockSource {
  /** The next block: its first id and length, or the controller's error name. */
  allocate(): Promise<{ readonly start: number; readonly length: number } | { readonly error: string }>;
}

export class BlockProducerIds implements ProducerIdSource {
  private nextId = 0;
  private end = 0;
  private pending: Promise<KafkaErrorName | undefined> | undefined;

  constructor(private readonly source: ProducerIdBlockSource) {}

  async next(): Promise<{ producerId: number } | { error: KafkaErrorName }> {
    // A bounded loop: each round either takes an id or refills; a refill that fails ends it.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.nextId < this.end) return { producerId: this.nextId++ };
      this.pending ??= this.refill().finally(() => (this.pending = undefined));
      const error = await this.pending;
      if (error !== undefined) return { error };
    }
    return { error: 'COORDINATOR_NOT_AVAILABLE' };
  }

  private async refill(): Promise<KafkaErrorName | undefined> {
    let block;
    try {
      block = await this.source.allocate();
    } catch {
      return 'COORDINATOR_NOT_AVAILABLE';
    }
    // The client retries a retriable error; the controller's own reason is in its log.
    if ('error' in block) return 'COORDINATOR_NOT_AVAILABLE';
    this.nextId = block.start;
    this.end = block.start + block.length;
    return undefined;
  }
}
