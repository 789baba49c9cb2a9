// Restarting the core from storage whose commit index is older than its snapshot: the driver writes
// commit-only hard states lazily, so after a crash (or a compaction that raced ahead of the next
// write) the stored commit may lag the stored snapshot. The snapshot's index is committed anyway.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../src/raft/core/random.js';
import { RawNode } from '../../src/raft/core/rawnode.js';
import { EntryType, defaultRaftConfig, logIndex, nodeId, term } from '../../src/raft/core/types.js';

const voters = [nodeId(1), nodeId(2), nodeId(3)];
const entry = (i: number) => ({ term: term(2), index: logIndex(i), type: EntryType.Normal, data: new Uint8Array([i]) });

test('a stored commit index older than the snapshot is raised to the snapshot index', () => {
  const node = new RawNode(defaultRaftConfig(nodeId(1)), {
    hardState: { term: term(2), vote: nodeId(1), commit: logIndex(199) },
    snapshot: { meta: { index: logIndex(207), term: term(2), conf: { voters, learners: [] } }, data: new Uint8Array([7]) },
    entries: [entry(208), entry(209)],
  }, new SeededRandom(1));
  const status = node.status();
  assert.equal(status.commit, 207);
  assert.equal(status.applied, 207);
  assert.equal(status.lastIndex, 209);
  // Nothing beyond the snapshot is handed to the application until it is known to be committed.
  assert.deepEqual(node.hasReady() ? node.ready().committedEntries : [], []);
});

test('a stored commit index beyond the stored log is refused as corrupt state', () => {
  assert.throws(
    () => new RawNode(defaultRaftConfig(nodeId(1)), {
      hardState: { term: term(2), vote: nodeId(1), commit: logIndex(300) },
      snapshot: { meta: { index: logIndex(207), term: term(2), conf: { voters, learners: [] } }, data: new Uint8Array(0) },
      entries: [entry(208)],
    }, new SeededRandom(1)),
    /stored commit 300 beyond the log end 208/,
  );
});
