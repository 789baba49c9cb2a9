// Raft transports: GrpcTransport over loopback (ports chosen by the OS) and the InMemoryNetwork.
// Every test waits on conditions with generous deadlines and closes what it started.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { RAFT_BATCH_BYTES_MAX, encodeBatch } from '../../src/raft/codec.js';
import { EntryType, logIndex, nodeId, term, type Message, type NodeId } from '../../src/raft/core/types.js';
import { GrpcTransport, type GrpcTransportOptions } from '../../src/raft/grpc-transport.js';
import { InMemoryNetwork } from '../../src/raft/memory-transport.js';
import { waitUntil } from '../support/wait.js';

const DEADLINE_MS = 20_000;
const TEST_TIMEOUT_MS = 60_000;
const SEND_PATH = '/flotilla.raft.RaftPeer/Send';

const heartbeat = (from: number, to: number, readRound: number): Message => ({ type: 'heartbeat', from: nodeId(from), to: nodeId(to), term: term(1), commit: logIndex(0), readRound });

/** A started transport, what it received, and what it logged. */
interface Node {
  readonly transport: GrpcTransport;
  readonly received: Message[];
  readonly logs: Record<string, unknown>[];
  readonly address: string;
}

const started: GrpcTransport[] = [];
after(async () => {
  for (const transport of started) await transport.close();
});

async function startNode(id: number, options: Partial<GrpcTransportOptions> = {}): Promise<Node> {
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const transport = new GrpcTransport({ self: nodeId(id), listen: '127.0.0.1:0', peers: new Map(), log, ...options });
  started.push(transport);
  const received: Message[] = [];
  await transport.start((message) => received.push(message));
  return { transport, received, logs, address: `127.0.0.1:${transport.port}` };
}

/** Tells every node every other node's address. */
function connect(nodes: ReadonlyMap<number, Node>): void {
  for (const [id, node] of nodes) {
    for (const [peer, other] of nodes) if (peer !== id) node.transport.setPeer(nodeId(peer), other.address);
  }
}

const readRounds = (messages: readonly Message[], from: number): number[] => messages.filter((m) => m.from === from && m.type === 'heartbeat').map((m) => (m.type === 'heartbeat' ? m.readRound : -1));

describe('GrpcTransport', { timeout: TEST_TIMEOUT_MS }, () => {
  test('three nodes: messages arrive in order per peer, large entries included', async () => {
    const nodes = new Map([[1, await startNode(1)], [2, await startNode(2)], [3, await startNode(3)]]);
    connect(nodes);
    const [n1, n2, n3] = [nodes.get(1), nodes.get(2), nodes.get(3)] as Node[] as [Node, Node, Node];
    const count = 600;
    for (let round = 1; round <= count; round++) {
      n1.transport.send([heartbeat(1, 2, round), heartbeat(1, 3, round)]);
      n2.transport.send([heartbeat(2, 3, round)]);
      // Spread over many event-loop turns so the messages travel in many batches.
      if (round % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const big = new Uint8Array(4 * 1024 * 1024).fill(7);
    const append: Message = { type: 'append', from: nodeId(3), to: nodeId(1), term: term(2), prevIndex: logIndex(5), prevTerm: term(1), entries: [{ term: term(2), index: logIndex(6), type: EntryType.Normal, data: big }], commit: logIndex(5) };
    n3.transport.send([append]);

    const expected = Array.from({ length: count }, (_, i) => i + 1);
    await waitUntil('all heartbeats', () => n2.received.length === count && n3.received.length === 2 * count);
    await waitUntil('the large append', () => n1.received.length === 1);
    assert.deepStrictEqual(readRounds(n2.received, 1), expected);
    assert.deepStrictEqual(readRounds(n3.received, 1), expected);
    assert.deepStrictEqual(readRounds(n3.received, 2), expected);
    assert.deepStrictEqual(n1.received[0], append);
    assert.equal(n1.transport.stats().sent, 2 * count);
    assert.equal(n2.transport.stats().received, count);
  });

  test('a garbage batch from a raw client is dropped, logged and counted; the stream goes on', async () => {
    const node = await startNode(2);
    const client = new grpc.Client(node.address, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set('flotilla-from', '99');
    const call = client.makeClientStreamRequest(SEND_PATH, (b: Buffer) => b, (b: Buffer) => b, metadata, {}, () => undefined);
    call.write(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    call.write(Buffer.from(encodeBatch([heartbeat(3, 4, 1)]))); // valid, but for another node
    call.write(Buffer.from(encodeBatch([heartbeat(1, 2, 42)])));
    await waitUntil('the valid batch after the garbage', () => node.received.length === 1);
    assert.deepStrictEqual(node.received, [heartbeat(1, 2, 42)]);
    const stats = node.transport.stats();
    assert.equal(stats.droppedMalformed, 1);
    assert.equal(stats.droppedMisaddressed, 1);
    const logged = node.logs.find((entry) => entry.msg === 'dropped a malformed raft batch');
    assert.ok(logged, 'the drop is logged');
    assert.equal(logged.from, '99');
    assert.match(String(logged.peer), /127\.0\.0\.1/);
    assert.match(String(logged.reason), /undecodable|unexpected field/);
    call.end();
    client.close();
  });

  test('an oversized frame is rejected, logged and counted; later batches still arrive', async () => {
    const [receiver, sender] = [await startNode(2), await startNode(1)];
    sender.transport.setPeer(nodeId(2), receiver.address);
    const client = new grpc.Client(receiver.address, grpc.credentials.createInsecure());
    const status = new Promise<grpc.ServiceError | null>((resolve) => {
      const call = client.makeClientStreamRequest(SEND_PATH, (b: Buffer) => b, (b: Buffer) => b, new grpc.Metadata(), {}, (err) => resolve(err));
      call.write(Buffer.alloc(RAFT_BATCH_BYTES_MAX + 1));
    });
    assert.equal((await status)?.code, grpc.status.RESOURCE_EXHAUSTED);
    await waitUntil('the rejection to be counted', () => receiver.transport.stats().droppedMalformed === 1);
    const logged = receiver.logs.find((entry) => entry.msg === 'dropped an oversized raft batch and its stream');
    assert.ok(logged, 'the rejection is logged');
    assert.match(String(logged.peer), /127\.0\.0\.1/);
    client.close();

    sender.transport.send([heartbeat(1, 2, 7)]);
    await waitUntil('a valid batch after the oversized one', () => receiver.received.length === 1);
    assert.deepStrictEqual(receiver.received, [heartbeat(1, 2, 7)]);
  });

  test('a dead peer does not block the live one, and messages flow again once it starts', async () => {
    const [n1, n2] = [await startNode(1), await startNode(2)];
    // Learn a free port for node 3, then take node 3 down.
    const first3 = await startNode(3);
    const address3 = first3.address;
    await first3.transport.close();
    connect(new Map([[1, n1], [2, n2]]));
    n1.transport.setPeer(nodeId(3), address3);

    let round = 0;
    const ticker = setInterval(() => {
      round++;
      n1.transport.send([heartbeat(1, 3, round), heartbeat(1, 2, round)]);
    }, 5);
    try {
      await waitUntil('node 2 to hear from node 1 while node 3 is down', () => n2.received.length >= 100);
      assert.ok(n1.transport.stats().droppedPeerDown > 0, 'messages to the dead peer are dropped');
      const rounds = readRounds(n2.received, 1);
      assert.deepStrictEqual(rounds, [...rounds].sort((a, b) => a - b), 'in order');

      const n3 = await startNode(3, { listen: address3 });
      await waitUntil('node 3 to hear from node 1 after it starts', () => n3.received.length >= 20);
      const before = n2.received.length;
      await waitUntil('node 2 to keep hearing from node 1', () => n2.received.length >= before + 20);
    } finally {
      clearInterval(ticker);
    }
  });

  test('a full queue drops and counts instead of growing', async () => {
    const receiver = await startNode(2);
    const sender = await startNode(1, { queueMessagesMax: 10 });
    sender.transport.setPeer(nodeId(2), receiver.address);
    // All in one turn of the event loop: nothing is written before the queue fills.
    sender.transport.send(Array.from({ length: 100 }, (_, i) => heartbeat(1, 2, i + 1)));
    assert.equal(sender.transport.stats().droppedQueueFull, 90);
    await waitUntil('the queued ten', () => receiver.received.length === 10);
    assert.deepStrictEqual(readRounds(receiver.received, 1), Array.from({ length: 10 }, (_, i) => i + 1));

    const byBytes = await startNode(3, { queueBytesMax: 10_000 });
    byBytes.transport.setPeer(nodeId(2), receiver.address);
    const entry = { term: term(1), index: logIndex(1), type: EntryType.Normal, data: new Uint8Array(4000) };
    const append: Message = { type: 'append', from: nodeId(3), to: nodeId(2), term: term(1), prevIndex: logIndex(0), prevTerm: term(0), entries: [entry], commit: logIndex(0) };
    byBytes.transport.send([append, append, append, append]);
    assert.equal(byBytes.transport.stats().droppedQueueFull, 2);
    await waitUntil('the two appends that fit', () => receiver.received.length === 12);
  });

  test('self-addressed messages never leave the node', async () => {
    const node = await startNode(1);
    node.transport.send([{ ...heartbeat(1, 2, 1), to: nodeId(1) }]);
    assert.equal(node.transport.stats().droppedSelfAddressed, 1);
    assert.equal(node.transport.stats().sent, 0);
    assert.ok(node.logs.some((entry) => entry.msg === 'dropped a self-addressed raft message (the core never sends one)'));
  });

  test('peers can move and be removed; a bad listen address fails start', async () => {
    const [n1, first, second] = [await startNode(1), await startNode(2), await startNode(2)];
    n1.transport.setPeer(nodeId(2), first.address);
    n1.transport.send([heartbeat(1, 2, 1)]);
    await waitUntil('delivery to the first address', () => first.received.length === 1);
    n1.transport.setPeer(nodeId(2), second.address);
    n1.transport.send([heartbeat(1, 2, 2)]);
    await waitUntil('delivery to the new address', () => second.received.length === 1);
    n1.transport.removePeer(nodeId(2));
    n1.transport.send([heartbeat(1, 2, 3)]);
    assert.equal(n1.transport.stats().droppedUnknownPeer, 1);
    assert.throws(() => n1.transport.send([heartbeat(5, 2, 1)]), /sent by node 1/);

    const clash = new GrpcTransport({ self: nodeId(9), listen: first.address, peers: new Map(), log: pino({ level: 'silent' }) });
    started.push(clash);
    await assert.rejects(clash.start(() => undefined));
  });

  test('close() leaves no handles behind: a process that used transports exits by itself', async () => {
    const module = fileURLToPath(new URL('../../src/raft/grpc-transport.js', import.meta.url));
    const script = `
      const { GrpcTransport } = await import(${JSON.stringify(module)});
      // A long backoff, so a retry timer left armed would keep the process alive past the deadline.
      const make = (self) => new GrpcTransport({ self, listen: '127.0.0.1:0', peers: new Map(), reconnectBackoffMsMin: 60000, reconnectBackoffMsMax: 60000 });
      const [a, b] = [make(1), make(2)];
      let got = 0;
      await a.start(() => {});
      await b.start(() => { got++; });
      a.setPeer(2, '127.0.0.1:' + b.port);
      a.setPeer(3, '127.0.0.1:1'); // nobody listens there: a link in backoff must not linger either
      const hb = (to, readRound) => ({ type: 'heartbeat', from: 1, to, term: 1, commit: 0, readRound });
      a.send([hb(2, 1), hb(3, 1)]);
      while (got === 0 || a.stats().droppedPeerDown === 0) await new Promise((r) => setTimeout(r, 10));
      await a.close();
      await b.close();
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, FLOTILLA_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), DEADLINE_MS).unref());
    const result = await Promise.race([exited, timeout]);
    if (result === 'hung') child.kill('SIGKILL');
    assert.equal(result, 0, 'the child exits on its own with status 0');
    assert.match(output, /closed/);
  });
});

describe('InMemoryNetwork', { timeout: TEST_TIMEOUT_MS }, () => {
  async function cluster(ids: readonly number[], network = new InMemoryNetwork()) {
    const inboxes = new Map<NodeId, Message[]>();
    const transports = await Promise.all(
      ids.map(async (id) => {
        const inbox: Message[] = [];
        inboxes.set(nodeId(id), inbox);
        const transport = network.transport(nodeId(id));
        await transport.start((m) => inbox.push(m));
        return transport;
      }),
    );
    const inbox = (id: number): Message[] => inboxes.get(nodeId(id)) ?? [];
    return { network, transports, inbox };
  }

  test('delivers asynchronously and in order', async () => {
    const { transports, inbox } = await cluster([1, 2]);
    const [t1] = transports;
    t1?.send([heartbeat(1, 2, 1), heartbeat(1, 2, 2), heartbeat(1, 2, 3)]);
    assert.equal(inbox(2).length, 0, 'nothing is delivered inside send');
    await waitUntil('delivery', () => inbox(2).length === 3);
    assert.deepStrictEqual(readRounds(inbox(2), 1), [1, 2, 3]);
    for (const t of transports) await t.close();
  });

  test('partition, heal and a drop predicate', async () => {
    const { network, transports, inbox } = await cluster([1, 2, 3]);
    const [t1, t2] = transports as [NonNullable<(typeof transports)[0]>, NonNullable<(typeof transports)[0]>];
    network.partition([[nodeId(1)], [nodeId(2), nodeId(3)]]);
    t1.send([heartbeat(1, 2, 1)]);
    t2.send([heartbeat(2, 3, 1)]);
    await waitUntil('delivery inside the majority', () => inbox(3).length === 1);
    await waitUntil('the partitioned message to be dropped', () => t1.stats().droppedByNetwork === 1);
    network.heal();
    network.setDropPredicate((m) => m.type === 'heartbeat' && m.readRound === 2);
    t1.send([heartbeat(1, 2, 2), heartbeat(1, 2, 3)]);
    await waitUntil('delivery after healing', () => inbox(2).length === 1);
    assert.deepStrictEqual(readRounds(inbox(2), 1), [3]);
    assert.equal(t1.stats().droppedByNetwork, 2);
    for (const t of transports) await t.close();
  });

  test('bounded queues, closed transports, and invalid messages', async () => {
    const network = new InMemoryNetwork(5);
    const { transports, inbox } = await cluster([1, 2], network);
    const [t1, t2] = transports as [NonNullable<(typeof transports)[0]>, NonNullable<(typeof transports)[0]>];
    t1.send(Array.from({ length: 8 }, (_, i) => heartbeat(1, 2, i + 1)));
    assert.equal(t1.stats().droppedQueueFull, 3);
    await waitUntil('the five queued', () => inbox(2).length === 5);
    assert.throws(() => t1.send([heartbeat(1, 1, 1)]), /malformed raft message/);
    assert.throws(() => t1.send([heartbeat(2, 1, 1)]), /sent by node 1/);
    await t2.close();
    t1.send([heartbeat(1, 2, 9)]);
    await waitUntil('the message to the closed node to be dropped', () => t1.stats().droppedByNetwork === 1);
    assert.equal(inbox(2).length, 5);
    await t1.close();
  });
});
