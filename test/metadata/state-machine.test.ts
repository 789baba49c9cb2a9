// The metadata state machine on raft entries: batches apply all or none, the same way on every
// node; bytes that are not a batch stop the node naming the index; snapshots carry the applied index.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntryType, logIndex, term, type Entry } from '../../src/raft/core/types.js';
import { encodeBatch, type MetadataRecord } from '../../src/metadata/records.js';
import { MetadataDecodeError, MetadataStateMachine } from '../../src/metadata/state-machine.js';
import { silentLogger } from '../../src/util/log.js';
import { partitionRecord, register, tid } from './fixtures.js';

const entry = (index: number, data: Uint8Array): Entry => ({ index: logIndex(index), term: term(1), type: EntryType.Normal, data });
const batch = (index: number, records: MetadataRecord[]) => entry(index, encodeBatch(records));
const machine = () => new MetadataStateMachine({ log: silentLogger });

describe('MetadataStateMachine', () => {
  it('applies a batch as one new image and tells subscribers what changed', () => {
    const m = machine();
    const seen: number[] = [];
    m.subscribe((image, changes) => seen.push(image.offset, changes?.createdTopics.size ?? -1));
    const out = m.apply(batch(3, [register(1, 1, false), { type: 'topic', name: 't', topicId: tid(1) }, partitionRecord(tid(1), 0, [1])]));
    assert.deepEqual(out, { ok: true, offset: 3 });
    assert.equal(m.image.offset, 3);
    assert.equal(m.image.topicsByName.get('t')?.partitions.size, 1);
    assert.deepEqual(seen, [3, 1]);
  });

  it('refuses a batch whole when one record does not fit, identically on two nodes', () => {
    const [a, b] = [machine(), machine()];
    for (const m of [a, b]) m.apply(batch(1, [register(1, 1, false)]));
    const before = a.image;
    // The topic record fits; the partition names an unregistered broker, so neither may land.
    const bad = batch(2, [{ type: 'topic', name: 't', topicId: tid(1) }, partitionRecord(tid(1), 0, [7])]);
    const outcomes = [a.apply(bad), b.apply(bad)];
    for (const out of outcomes) {
      assert.equal(out.ok, false);
      assert.match(!out.ok ? out.reason : '', /index 2 .*replica 7 is not a registered broker/);
    }
    assert.equal(a.image, before);
    assert.equal(a.image.topicsByName.size, 0);
    assert.equal(a.refused, 1);
    assert.deepEqual([...a.image.brokers.keys()], [...b.image.brokers.keys()]);
  });

  it('stops on an entry that is not a record batch, naming its index and applying nothing', () => {
    const m = machine();
    m.apply(batch(1, [register(1, 1)]));
    const before = m.image;
    assert.throws(() => m.apply(entry(9, new Uint8Array([0xff, 0xff, 0xff]))), (e: unknown) => e instanceof MetadataDecodeError && e.index === 9 && /index 9/.test(e.message));
    assert.throws(() => m.apply(entry(10, encodeBatch([]))), (e: unknown) => e instanceof MetadataDecodeError && /empty record batch/.test(e.message));
    assert.equal(m.image, before);
  });

  it('snapshots at the applied index and restores the same image', () => {
    const m = machine();
    m.apply(batch(4, [register(1, 1, false), register(2, 2, false), { type: 'topic', name: 'orders', topicId: tid(5) }, partitionRecord(tid(5), 0, [1, 2]), partitionRecord(tid(5), 1, [2, 1])]));
    m.apply(batch(5, [{ type: 'config', resourceType: 'topic', resourceName: 'orders', key: 'retention.ms', value: '1000' }]));
    const data = m.snapshot(logIndex(8));
    const other = machine();
    let published = 0;
    other.subscribe((_image, changes) => {
      published++;
      assert.equal(changes, undefined);
    });
    other.restore({ meta: { index: logIndex(8), term: term(2), conf: { voters: [], learners: [] } }, data });
    assert.equal(published, 1);
    assert.equal(other.image.offset, 8);
    assert.deepEqual(other.image.topicsByName.get('orders')?.partitions, m.image.topicsByName.get('orders')?.partitions);
    assert.equal(other.image.configs.topic.get('orders')?.get('retention.ms'), '1000');
    assert.throws(() => other.restore({ meta: { index: logIndex(9), term: term(2), conf: { voters: [], learners: [] } }, data: new Uint8Array([1, 2, 3]) }), (e: unknown) => e instanceof MetadataDecodeError && e.index === 9);
  });
});
