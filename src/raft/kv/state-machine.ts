// The key-value state machine of the raft test cluster: a map from key to (value, writing index).
import '../proto-config.js'; // before the generated code: see proto-config.ts
import { flotilla } from '../../gen/kv.js';
import type { Entry, LogIndex, Snapshot } from '../core/types.js';
import type { StateMachine } from '../state-machine.js';

import pb = flotilla.kv;

export interface KvValue {
  readonly value: Uint8Array;
  readonly index: LogIndex;
}

export const encodeCommand = (key: string, value: Uint8Array): Uint8Array => pb.Command.encode({ key, value }).finish();

export class KvStateMachine implements StateMachine<LogIndex> {
  readonly pairs = new Map<string, KvValue>();

  apply(entry: Entry): LogIndex {
    const { key, value } = pb.Command.decode(entry.data);
    this.pairs.set(key, { value, index: entry.index });
    return entry.index;
  }

  snapshot(): Uint8Array {
    const pairs = [...this.pairs].map(([key, v]) => ({ key, value: v.value, index: v.index }));
    return pb.Snapshot.encode({ pairs }).finish();
  }

  restore(snapshot: Snapshot): void {
    this.pairs.clear();
    for (const p of pb.Snapshot.decode(snapshot.data).pairs) this.pairs.set(p.key ?? '', { value: p.value ?? new Uint8Array(0), index: (p.index ?? 0) as LogIndex });
  }
}
