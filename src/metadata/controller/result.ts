// What every controller command returns, as Kafka's ControllerResult: the records to propose (all
// applied or none, as one raft entry) and the response to send once they are committed. A command
// reads one committed image and changes nothing; only replaying the records does (STYLE.md point 5).
import type { MetadataRecord } from '../records.js';

export interface ControllerResult<T> {
  readonly records: readonly MetadataRecord[];
  readonly response: T;
}

export function controllerResult<T>(records: readonly MetadataRecord[], response: T): ControllerResult<T> {
  return { records: Object.freeze([...records]), response };
}

/** A response with nothing to propose: errors, retries already applied, no-op changes. */
export function responseOnly<T>(response: T): ControllerResult<T> {
  return { records: [], response };
}
