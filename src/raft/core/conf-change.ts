// Encoding of a single-server membership change inside a ConfChange log entry:
// one byte of kind, then the node id as a big-endian uint32.
import { type ConfChange, type ConfState, type NodeId, nodeId } from './types.js';

const KINDS = ['add-voter', 'add-learner', 'remove'] as const;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const bytes = new Uint8Array(5);
  bytes[0] = KINDS.indexOf(cc.kind) + 1;
  new DataView(bytes.buffer).setUint32(1, cc.node);
  return bytes;
}

export function decodeConfChange(bytes: Uint8Array): ConfChange {
  const kind = KINDS[(bytes[0] ?? 0) - 1];
  if (bytes.length !== 5 || kind === undefined) throw new Error(`malformed conf change entry (${bytes.length} bytes)`);
  const node = nodeId(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1));
  return { kind, node };
}

/** Why `cc` cannot apply to `conf`, or undefined if it can. */
export function checkConfChange(conf: ConfState, cc: ConfChange): string | undefined {
  const voter = conf.voters.includes(cc.node);
  const learner = conf.learners.includes(cc.node);
  if (cc.node <= 0) return `node id must be positive, got ${cc.node}`;
  switch (cc.kind) {
    case 'add-voter':
      return voter ? `node ${cc.node} is already a voter` : undefined;
    case 'add-learner':
      if (voter) return `node ${cc.node} is a voter; demoting a voter is not supported`;
      return learner ? `node ${cc.node} is already a learner` : undefined;
    case 'remove':
      if (!voter && !learner) return `node ${cc.node} is not a member`;
      return voter && conf.voters.length === 1 ? 'cannot remove the last voter' : undefined;
  }
}

export function applyConfChange(conf: ConfState, cc: ConfChange): ConfState {
  const without = (ids: readonly NodeId[]) => ids.filter((id) => id !== cc.node);
  const sorted = (ids: NodeId[]) => ids.sort((a, b) => a - b);
  switch (cc.kind) {
    case 'add-voter':
      return { voters: sorted([...without(conf.voters), cc.node]), learners: without(conf.learners) };
    case 'add-learner':
      return { voters: [...conf.voters], learners: sorted([...without(conf.learners), cc.node]) };
    case 'remove':
      return { voters: without(conf.voters), learners: without(conf.learners) };
  }
}
