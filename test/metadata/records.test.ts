// The metadata record codec: every record type survives encode/decode exactly (hand-written and
// seeded random records), and malformed bytes are refused with a RecordDecodeError naming the field.
import '../../src/raft/proto-config.js'; // before the generated code, as in records.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flotilla } from '../../src/gen/metadata.js';
import { logIndex } from '../../src/raft/core/types.js';
import { MetadataDelta } from '../../src/metadata/delta.js';
import { EMPTY_IMAGE } from '../../src/metadata/image.js';
import { RecordDecodeError, decodeRecord, encodeRecord, type MetadataRecord, type MetadataRecordType } from '../../src/metadata/records.js';
import { NO_LEADER, brokerEpoch, brokerId, partitionIndex, uuidToBytes } from '../../src/metadata/types.js';
import { SeededRandom, partitionRecord, randomValidRecord, register, tid } from './fixtures.js';

import pb = flotilla.metadata;

const EXAMPLES: Readonly<Record<MetadataRecordType, readonly MetadataRecord[]>> = {
  'register-broker': [register(1, 7), { ...register(0, 2 ** 40, false), rack: '', endpoints: [
    { listener: 'INTERNAL', host: '10.0.0.1', port: 0, securityProtocol: 'SASL_SSL' },
    { listener: 'EXTERNAL', host: 'example.com', port: 65535, securityProtocol: 'SSL' },
  ] }],
  'fence-broker': [{ type: 'fence-broker', brokerId: brokerId(0), brokerEpoch: brokerEpoch(0) }],
  'unfence-broker': [{ type: 'unfence-broker', brokerId: brokerId(2 ** 31 - 1), brokerEpoch: brokerEpoch(Number.MAX_SAFE_INTEGER) }],
  topic: [{ type: 'topic', name: 'orders', topicId: tid(1) }],
  partition: [partitionRecord(tid(1), 0, [1, 2, 3], [1, 3], 3, [4, 9]), partitionRecord(tid(2), 7, [5], [], -1)],
  'partition-change': [
    { type: 'partition-change', topicId: tid(1), partition: partitionIndex(0) },
    { type: 'partition-change', topicId: tid(1), partition: partitionIndex(3), leader: NO_LEADER, isr: [] },
    { type: 'partition-change', topicId: tid(1), partition: partitionIndex(3), leader: brokerId(0), isr: [brokerId(0)], replicas: [brokerId(0), brokerId(4)] },
  ],
  'remove-topic': [{ type: 'remove-topic', topicId: tid(9) }],
  config: [
    { type: 'config', resourceType: 'topic', resourceName: 'orders', key: 'retention.ms', value: '' },
    { type: 'config', resourceType: 'broker', resourceName: '', key: 'log.segment.bytes', value: null },
  ],
  'producer-ids': [{ type: 'producer-ids', brokerId: brokerId(3), brokerEpoch: brokerEpoch(12), blockStart: 2 ** 50, blockSize: 1000 }],
  'no-op': [{ type: 'no-op' }],
};

describe('round trips', () => {
  for (const [type, records] of Object.entries(EXAMPLES)) {
    test(type, () => {
      for (const record of records) assert.deepStrictEqual(decodeRecord(encodeRecord(record)), record);
    });
  }

  test('seeded random valid records (10 seeds x 200)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = new SeededRandom(seed);
      const delta = new MetadataDelta(EMPTY_IMAGE);
      for (let i = 1; i <= 200; i++) {
        const record = randomValidRecord(r, delta.apply().image, i);
        assert.deepStrictEqual(decodeRecord(encodeRecord(record)), record, `seed=${seed} record ${i}`);
        delta.replay(record, logIndex(i));
      }
    }
  });

  test('an absent PartitionChange field stays absent, not undefined', () => {
    const decoded = decodeRecord(encodeRecord({ type: 'partition-change', topicId: tid(1), partition: partitionIndex(0), isr: [] }));
    assert.deepStrictEqual(Object.keys(decoded).sort(), ['isr', 'partition', 'topicId', 'type']);
  });

  test('a RegisterBroker without the fenced flag is fenced, as in Kafka', () => {
    const bytes = pb.MetadataRecord.encode({ registerBroker: { brokerId: 1, incarnationId: uuidToBytes(tid(1)), endpoints: [] } }).finish();
    assert.equal((decodeRecord(bytes) as Extract<MetadataRecord, { type: 'register-broker' }>).fenced, true);
  });
});

describe('malformed records are refused', () => {
  const wireCases: ReadonlyArray<readonly [string, pb.MetadataRecord.$Properties, string]> = [
    ['no body', {}, 'no record body'],
    ['a short topic id', { topic: { name: 'a', topicId: new Uint8Array(15) } }, 'Topic.topic_id'],
    ['the zero topic id', { removeTopic: { topicId: new Uint8Array(16) } }, 'RemoveTopic.topic_id'],
    ['a negative partition', { partition: { topicId: uuidToBytes(tid(1)), partition: -1, replicas: [1] } }, 'Partition.partition'],
    ['a negative replica', { partition: { topicId: uuidToBytes(tid(1)), replicas: [1, -3] } }, 'Partition.replicas[1]'],
    ['a leader below -1', { partitionChange: { topicId: uuidToBytes(tid(1)), leader: -2 } }, 'PartitionChange.leader'],
    ['a negative broker id', { fenceBroker: { brokerId: -1 } }, 'FenceBroker.broker_id'],
    ['a negative broker epoch', { unfenceBroker: { brokerId: 1, brokerEpoch: -5 } }, 'UnfenceBroker.broker_epoch'],
    ['an incarnation id of 3 bytes', { registerBroker: { brokerId: 1, incarnationId: new Uint8Array(3) } }, 'incarnation_id'],
    ['a port beyond 65535', { registerBroker: { brokerId: 1, incarnationId: uuidToBytes(tid(1)), endpoints: [{ port: 70000 }] } }, 'Endpoint.port'],
    ['an unknown security protocol', { registerBroker: { brokerId: 1, incarnationId: uuidToBytes(tid(1)), endpoints: [{ securityProtocol: 9 as pb.SecurityProtocol }] } }, 'security_protocol'],
    ['an unknown config resource type', { config: { resourceType: 3 as pb.ConfigResourceType, key: 'k' } }, 'Config.resource_type'],
    ['a producer id block start past 2^53', { producerIds: { brokerId: 1, blockStart: 2 ** 53 + 2, blockSize: 1 } }, 'ProducerIds.block_start'],
  ];

  for (const [what, wire, field] of wireCases) {
    test(what, () => {
      const bytes = pb.MetadataRecord.encode(wire).finish();
      assert.throws(() => decodeRecord(bytes), (e: unknown) => e instanceof RecordDecodeError && e.reason.includes(field));
    });
  }

  test('bytes that are not a protobuf, and truncated records', () => {
    assert.throws(() => decodeRecord(new Uint8Array([0xff, 0xff, 0xff])), RecordDecodeError);
    const whole = encodeRecord(register(1, 1));
    let refused = 0;
    for (let cut = 1; cut < whole.length; cut++) {
      // A prefix may happen to parse as a shorter valid record; it must never throw anything else.
      try {
        decodeRecord(whole.subarray(0, cut));
      } catch (e) {
        assert.ok(e instanceof RecordDecodeError, `cut at ${cut}: ${String(e)}`);
        refused++;
      }
    }
    assert.ok(refused > whole.length / 2, `only ${refused} of ${whole.length - 1} prefixes refused`);
  });

  test('unknown fields are skipped, so later versions can add some', () => {
    const known = encodeRecord({ type: 'no-op' });
    const extended = new Uint8Array([...known, (99 << 3) | 0, 0x01]);
    assert.deepStrictEqual(decodeRecord(extended), { type: 'no-op' });
  });
});
