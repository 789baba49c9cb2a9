// auto.create.topics.enable: off by default (an unknown topic stays unknown and nothing is asked
// of the controller); on, a Metadata request that allows it creates the topic and answers
// LEADER_NOT_AVAILABLE, and the next request finds it. Internal-looking names are never created.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleMetadataRequest } from '../../src/broker/kafka/metadata-handler.js';
import { KAFKA_ERRORS } from '../../src/metadata/errors.js';
import { ZERO_UUID, type MetadataRequest } from '../../src/protocol/apis/metadata.js';
import { adminView, contextOf, TestController } from './admin-support.js';
import { waitUntil } from '../support/wait.js';

const ask = (names: string[], allow = true): MetadataRequest => ({ topics: names.map((name) => ({ topicId: ZERO_UUID, name })), allowAutoTopicCreation: allow, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });

function context(controller: TestController, autoCreate: boolean) {
  return { ...contextOf(controller), admin: adminView(controller, autoCreate) };
}

describe('Metadata with auto.create.topics.enable', () => {
  it('is off by default: unknown stays unknown and the controller is not asked', async () => {
    const controller = TestController.withBrokers([1]);
    const response = await handleMetadataRequest(ask(['nope']), contextOf(controller));
    assert.equal(response.topics[0]!.errorCode, KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code);
    assert.equal(controller.calls.length, 0);
  });

  it('creates an unknown topic when on and allowed, answering LEADER_NOT_AVAILABLE until it exists', async () => {
    const controller = TestController.withBrokers([1]);
    const first = await handleMetadataRequest(ask(['fresh']), context(controller, true));
    assert.equal(first.topics[0]!.errorCode, KAFKA_ERRORS.LEADER_NOT_AVAILABLE.code);
    await waitUntil('the topic reaches the broker image', () => controller.broker.image.topicsByName.has('fresh'));
    const second = await handleMetadataRequest(ask(['fresh']), { ...context(controller, true), image: controller.broker.image });
    assert.equal(second.topics[0]!.errorCode, KAFKA_ERRORS.NONE.code);
    assert.equal(second.topics[0]!.partitions.length, 2, 'the cluster default partition count');
  });

  it('does not create when the request forbids it, nor internal-looking or illegal names', async () => {
    const controller = TestController.withBrokers([1]);
    const forbidden = await handleMetadataRequest(ask(['fresh'], false), context(controller, true));
    assert.equal(forbidden.topics[0]!.errorCode, KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code);
    const odd = await handleMetadataRequest(ask(['__consumer_offsets', 'bad name!']), context(controller, true));
    assert.deepEqual(odd.topics.map((t) => t.errorCode), [KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code, KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code]);
    assert.equal(controller.calls.length, 0);
  });
});
