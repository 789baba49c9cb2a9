// A ControllerClient in a process of its own, run inside a chaos net's namespace: the test process
// lives in the root namespace, which has no route to the net's addresses. One JSON request per
// stdin line, one JSON answer per stdout line, matched by `seq`; requests may overlap.
//
//   in:  {"seq":1,"method":"describeCluster","request":{},"node":2,"timeoutMs":2000}   (node: callOne)
//   out: {"seq":1,"ok":true,"response":{...}}  or  {"seq":1,"ok":false,"error":"..."}
//
// Responses are plain objects with every field present (protobuf defaults included), so that a
// false `fenced` or a leader 0 reads as such rather than as a missing field.
//
// Usage: node controller-agent.js 1@10.77.5.1:19091,2@...,3@...
import { createInterface } from 'node:readline';
import { ControllerClient } from '../../src/metadata/controller-client.js';
import type { ControllerMethod } from '../../src/metadata/controller-service.js';
import { parsePeers } from '../../src/raft/peers.js';

/** One call's whole budget, retries and NOT_CONTROLLER hops included. */
const CALL_DEADLINE_MS = 5_000;
/** One attempt at one node: short, so that an unreachable node costs little. */
const ATTEMPT_TIMEOUT_MS = 1_500;

export interface AgentRequest {
  readonly seq: number;
  readonly method: ControllerMethod;
  readonly request: Record<string, unknown>;
  /** Call this node only (callOne) instead of following the active controller. */
  readonly node?: number;
  readonly timeoutMs?: number;
}

export type AgentAnswer = { readonly seq: number; readonly ok: true; readonly response: unknown } | { readonly seq: number; readonly ok: false; readonly error: string };

/**
 * A decoded message as a plain object. The generated code keeps defaults (0, false, '') on the
 * prototype and sets only the fields present on the wire, so JSON.stringify alone would drop them;
 * `for...in` sees inherited enumerable fields too.
 */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field !== 'function') out[key] = plain(field);
  }
  return out;
}

function main(): void {
  const quorum = process.argv[2];
  if (quorum === undefined) throw new Error('usage: controller-agent.js ID@HOST:PORT,...');
  const client = new ControllerClient(parsePeers(quorum), { deadlineMs: CALL_DEADLINE_MS, attemptTimeoutMs: ATTEMPT_TIMEOUT_MS });
  const answer = (a: AgentAnswer) => process.stdout.write(`${JSON.stringify(a)}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const req = JSON.parse(line) as AgentRequest;
    const call = req.node === undefined
      ? client.call(req.method, req.request as never)
      : client.callOne(req.node, req.method, req.request as never, req.timeoutMs ?? ATTEMPT_TIMEOUT_MS);
    call.then(
      (response) => answer({ seq: req.seq, ok: true, response: plain(response) }),
      (error: unknown) => answer({ seq: req.seq, ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  lines.on('close', () => {
    client.close();
    process.exit(0);
  });
  answer({ seq: 0, ok: true, response: 'ready' });
}

main();
