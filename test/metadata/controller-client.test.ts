// ControllerClient against a stub controller whose first answer comes too late: a timed-out
// CreateTopics may have been applied, so it fails with REQUEST_TIMED_OUT after one attempt instead
// of being sent again (a retry would answer TOPIC_ALREADY_EXISTS for the caller's own topic); a
// heartbeat, which may be repeated, is sent again and answered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ControllerClient, ControllerUnavailableError } from '../../src/metadata/controller-client.js';
import { controllerService } from '../../src/metadata/controller-service.js';

const SLOW_MS = 600;
const ATTEMPT_MS = 150;

describe('ControllerClient after a timed-out attempt', () => {
  const calls = { createTopics: 0, brokerHeartbeat: 0 };
  let server: grpc.Server;
  let port = 0;

  /** Answers `answer` after SLOW_MS on the first call of `method`, at once after that. */
  const slowFirst = (method: keyof typeof calls, answer: object) =>
    ((_call: unknown, callback: grpc.sendUnaryData<object>) => {
      const first = calls[method]++ === 0;
      setTimeout(() => callback(null, answer), first ? SLOW_MS : 0);
    }) as grpc.UntypedHandleCall;

  before(async () => {
    server = new grpc.Server();
    server.addService(controllerService, {
      createTopics: slowFirst('createTopics', { topics: [{ name: 't' }] }),
      brokerHeartbeat: slowFirst('brokerHeartbeat', { isCaughtUp: true }),
    } as unknown as grpc.UntypedServiceImplementation);
    port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  });

  after(() => server.forceShutdown());

  it('does not send a create again, and answers REQUEST_TIMED_OUT', async () => {
    const client = new ControllerClient(new Map([[1, `127.0.0.1:${port}`]]), { deadlineMs: 5_000, attemptTimeoutMs: ATTEMPT_MS });
    try {
      await assert.rejects(client.call('createTopics', { topics: [{ name: 't' }] }), (e: unknown) => e instanceof ControllerUnavailableError && e.code === 'REQUEST_TIMED_OUT');
      assert.equal(calls.createTopics, 1);
    } finally {
      client.close();
    }
  });

  it('sends a heartbeat again and returns its answer', async () => {
    const client = new ControllerClient(new Map([[1, `127.0.0.1:${port}`]]), { deadlineMs: 5_000, attemptTimeoutMs: ATTEMPT_MS });
    try {
      const answer = await client.call('brokerHeartbeat', { brokerId: 1 });
      assert.equal(answer.isCaughtUp, true);
      assert.ok(calls.brokerHeartbeat >= 2, `heartbeat attempts: ${calls.brokerHeartbeat}`);
    } finally {
      client.close();
    }
  });
});
