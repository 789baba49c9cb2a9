// Snapshots of the image: image -> bytes -> image is exact for seeded random images and for a large
// one, and bytes that are malformed or do not rebuild a consistent image are refused.
import '../../src/raft/proto-config.js'; // before the generated code, as in snapshot.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flotilla } from '../../src/gen/metadata.js';
import { logIndex } from '../../src/raft/core/types.js';
import { MetadataDelta, MetadataReplayError } from '../../src/metadata/delta.js';
import { EMPTY_IMAGE, findImageViolations, type MetadataImage } from '../../src/metadata/image.js';
import { RecordDecodeError, toWire, type MetadataRecord } from '../../src/metadata/records.js';
import { decodeSnapshot, encodeSnapshot, imageRecords } from '../../src/metadata/snapshot.js';
import { SeededRandom, partitionRecord, randomUuid, randomValidRecord, register, replayAll, tid } from './fixtures.js';
import { topicId } from '../../src/metadata/types.js';

import pb = flotilla.metadata;

function randomImage(seed: number, records: number): MetadataImage {
  const r = new SeededRandom(seed);
  let image = EMPTY_IMAGE;
  // Apply in uneven batches, so images built from multi-record deltas are covered too.
  for (let i = 1; i <= records;) {
    const delta = new MetadataDelta(image);
    for (let end = Math.min(records, i + r.int(8)); i <= end; i++) delta.replay(randomValidRecord(r, delta.apply().image, i), logIndex(i));
    image = delta.apply().image;
  }
  return image;
}

describe('snapshot round trips', () => {
  test('the empty image', () => {
    assert.deepStrictEqual(decodeSnapshot(encodeSnapshot(EMPTY_IMAGE)), EMPTY_IMAGE);
  });

  test('seeded random images are rebuilt exactly (30 seeds)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const image = randomImage(seed, 40 + seed * 10);
      assert.deepStrictEqual(findImageViolations(image), [], `seed=${seed}`);
      const restored = decodeSnapshot(encodeSnapshot(image));
      assert.deepStrictEqual(restored, image, `seed=${seed}`);
      // Encoding is a function of the image: the restored image encodes to the same bytes.
      assert.deepStrictEqual(encodeSnapshot(restored), encodeSnapshot(image), `seed=${seed}`);
    }
  });

  test('a restored image accepts the log that follows the snapshot', () => {
    const image = randomImage(7, 200);
    const restored = decodeSnapshot(encodeSnapshot(image));
    const r = new SeededRandom(99);
    const tail: MetadataRecord[] = [];
    let expected = image;
    for (let i = 1; i <= 50; i++) {
      tail.push(randomValidRecord(r, expected, image.offset + i));
      expected = replayAll(tail.slice(-1), expected);
    }
    assert.deepStrictEqual(replayAll(tail, restored), expected);
  });

  test('10,000 partitions over 100 topics', () => {
    const r = new SeededRandom(5);
    const records: MetadataRecord[] = [1, 2, 3, 4, 5].map((id) => register(id, id, false));
    for (let t = 0; t < 100; t++) {
      const id = topicId(randomUuid(r));
      records.push({ type: 'topic', name: `topic-${t}`, topicId: id });
      for (let p = 0; p < 100; p++) records.push(partitionRecord(id, p, [1 + (p % 5), 1 + ((p + 1) % 5), 1 + ((p + 2) % 5)], undefined, undefined, [r.int(100), r.int(100)]));
    }
    const image = replayAll(records);
    const bytes = encodeSnapshot(image);
    assert.deepStrictEqual(decodeSnapshot(bytes), image);
    assert.equal(imageRecords(image).length, records.length);
  });
});

describe('bad snapshots are refused', () => {
  const snapshot = (offset: number, records: readonly MetadataRecord[]): Uint8Array => pb.MetadataSnapshot.encode({ offset, records: records.map(toWire) }).finish();

  test('bytes that are not a snapshot', () => {
    assert.throws(() => decodeSnapshot(new Uint8Array([0x0a, 0xff])), RecordDecodeError);
  });

  test('a malformed record inside, named by its position', () => {
    const bytes = pb.MetadataSnapshot.encode({ offset: 5, records: [toWire(register(1, 1)), { topic: { name: 'a', topicId: new Uint8Array(3) } }] }).finish();
    assert.throws(() => decodeSnapshot(bytes), (e: unknown) => e instanceof RecordDecodeError && e.reason.startsWith('snapshot record 1:'));
  });

  test('records that do not rebuild a consistent image', () => {
    assert.throws(() => decodeSnapshot(snapshot(5, [partitionRecord(tid(1), 0, [1])])), MetadataReplayError);
  });

  test('records at offset 0', () => {
    assert.throws(() => decodeSnapshot(snapshot(0, [register(1, 1)])), RecordDecodeError);
  });
});
