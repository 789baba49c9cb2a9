// Converts Raft messages to and from the wire format of proto/raft.proto.
//
// Bytes from the network are untrusted: `decodeBatch` either returns messages that all pass
// `validateMessage` or a reason, never a half-valid message. Outgoing messages come from our own
// core, so `encodeMessage` treats an invalid one as a bug and throws.
//
// A batch is the protobuf `MessageBatch`: field 1 repeated, each element one encoded
// `RaftMessage`. The transport encodes each message once when it is queued (so it knows its size)
// and frames the queued ones with `frameBatch` when it writes. Unknown fields inside a message are
// skipped (room to add fields later); an unknown message body, or anything but field 1 at the batch
// level, is rejected.
import './proto-config.js'; // must be evaluated before the generated code: see proto-config.ts
import $protobuf from 'protobufjs/minimal.js';
import { flotilla } from '../gen/raft.js';
import { EntryType, logIndex, nodeId, term, type ConfState, type Entry, type Message, type SnapshotMeta } from './core/types.js';

import pb = flotilla.raft;

/** Largest encoded batch a node sends or accepts; also the gRPC message size limit. */
export const RAFT_BATCH_BYTES_MAX = 16 * 1024 * 1024;
/** Most messages in one batch. */
export const RAFT_BATCH_MESSAGES_MAX = 4096;
/** Node ids travel as uint32; 0 means "none" and never addresses a message. */
export const NODE_ID_MAX = 0xffff_ffff;

/** The wire tag of `MessageBatch.messages`: field 1, length-delimited. */
const BATCH_MESSAGES_TAG = (1 << 3) | 2;

export class MalformedMessageError extends Error {
  readonly code = 'malformed-message';
  constructor(readonly reason: string) {
    super(`malformed raft message: ${reason}`);
    this.name = 'MalformedMessageError';
  }
}

export type DecodeResult =
  | { readonly ok: true; readonly messages: readonly Message[] }
  | { readonly ok: false; readonly reason: string };

// ---------------------------------------------------------------------------------------------
// Encoding.

/** Encodes one message (a `RaftMessage`); throws MalformedMessageError if it is invalid. */
export function encodeMessage(message: Message): Uint8Array {
  const reason = validateMessage(message);
  if (reason !== undefined) throw new MalformedMessageError(`${describe(message)}: ${reason}`);
  return pb.RaftMessage.encode(toWire(message)).finish();
}

/** The bytes `encoded` (one `encodeMessage` result) takes inside a batch. */
export function framedBytes(encoded: Uint8Array): number {
  return 1 + varintBytes(encoded.length) + encoded.length;
}

/** Frames encoded messages as one `MessageBatch`; throws if it would exceed the batch limits. */
export function frameBatch(encoded: readonly Uint8Array[]): Uint8Array {
  if (encoded.length > RAFT_BATCH_MESSAGES_MAX) {
    throw new MalformedMessageError(`batch of ${encoded.length} messages exceeds ${RAFT_BATCH_MESSAGES_MAX}`);
  }
  const writer = $protobuf.Writer.create();
  for (const bytes of encoded) writer.uint32(BATCH_MESSAGES_TAG).bytes(bytes);
  const batch = writer.finish();
  if (batch.length > RAFT_BATCH_BYTES_MAX) {
    throw new MalformedMessageError(`batch of ${batch.length} bytes exceeds ${RAFT_BATCH_BYTES_MAX}`);
  }
  return batch;
}

export function encodeBatch(messages: readonly Message[]): Uint8Array {
  return frameBatch(messages.map(encodeMessage));
}

function varintBytes(n: number): number {
  let bytes = 1;
  for (let rest = n; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}

function toWire(m: Message): pb.RaftMessage.$Properties {
  const envelope = { from: m.from, to: m.to, term: m.term };
  switch (m.type) {
    case 'prevote':
    case 'vote': {
      const body = { lastIndex: m.lastIndex, lastTerm: m.lastTerm, transfer: m.transfer };
      return m.type === 'vote' ? { ...envelope, vote: body } : { ...envelope, prevote: body };
    }
    case 'prevote-resp':
      return { ...envelope, prevoteResp: { reject: m.reject } };
    case 'vote-resp':
      return { ...envelope, voteResp: { reject: m.reject } };
    case 'append':
      return { ...envelope, append: { prevIndex: m.prevIndex, prevTerm: m.prevTerm, entries: m.entries.map(entryToWire), commit: m.commit } };
    case 'append-resp':
      return { ...envelope, appendResp: { reject: m.reject, index: m.index, hintIndex: m.hintIndex, hintTerm: m.hintTerm } };
    case 'heartbeat':
      return { ...envelope, heartbeat: { commit: m.commit, readRound: m.readRound } };
    case 'heartbeat-resp':
      return { ...envelope, heartbeatResp: { readRound: m.readRound } };
    case 'snapshot':
      return { ...envelope, snapshot: { meta: metaToWire(m.meta), totalBytes: m.totalBytes, offset: m.offset, data: m.data, done: m.done } };
    case 'snapshot-resp':
      return { ...envelope, snapshotResp: { index: m.index, nextOffset: m.nextOffset, done: m.done } };
    case 'timeout-now':
      return { ...envelope, timeoutNow: {} };
  }
}

function entryToWire(e: Entry): pb.Entry.$Properties {
  return { term: e.term, index: e.index, type: e.type as number as pb.EntryType, data: e.data };
}

function metaToWire(meta: SnapshotMeta): pb.SnapshotMeta.$Properties {
  return { index: meta.index, term: meta.term, conf: { voters: [...meta.conf.voters], learners: [...meta.conf.learners] } };
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/** Decodes and validates a `MessageBatch`; any invalid message rejects the whole batch. */
export function decodeBatch(bytes: Uint8Array): DecodeResult {
  if (bytes.length > RAFT_BATCH_BYTES_MAX) return fail(`batch of ${bytes.length} bytes exceeds ${RAFT_BATCH_BYTES_MAX}`);
  if (bytes.length === 0) return fail('empty batch');
  try {
    return decodeMessages($protobuf.Reader.create(bytes));
  } catch (err) {
    // protobufjs throws on truncated input, bad wire types, varints past the end, and the like.
    return fail(`undecodable batch: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function decodeMessages(reader: $protobuf.Reader): DecodeResult {
  const messages: Message[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    // Only our own encoder writes batches, so anything but field 1 means the bytes are not ours.
    if (tag !== BATCH_MESSAGES_TAG) return fail(`unexpected field ${tag >>> 3} (wire type ${tag & 7}) in batch`);
    if (messages.length === RAFT_BATCH_MESSAGES_MAX) return fail(`batch has more than ${RAFT_BATCH_MESSAGES_MAX} messages`);
    const wire = pb.RaftMessage.decode(reader, reader.uint32());
    const decoded = fromWire(wire);
    if (typeof decoded === 'string') return fail(`message ${messages.length}: ${decoded}`);
    const reason = validateMessage(decoded);
    if (reason !== undefined) return fail(`message ${messages.length} (${describe(decoded)}): ${reason}`);
    messages.push(decoded);
  }
  return { ok: true, messages };
}

/** The message a wire message describes (not yet validated), or why it describes none. */
function fromWire(w: pb.RaftMessage): Message | string {
  const env: Envelope = { from: nodeId(w.from), to: nodeId(w.to), term: term(w.term) };
  // protobufjs keeps only the last body case seen (proto3 oneof semantics), so `body` names it.
  switch (w.body) {
    case 'prevote':
      return { ...env, type: 'prevote', ...voteFromWire(w.prevote) };
    case 'vote':
      return { ...env, type: 'vote', ...voteFromWire(w.vote) };
    case 'prevoteResp':
      return { ...env, type: 'prevote-resp', reject: w.prevoteResp?.reject === true };
    case 'voteResp':
      return { ...env, type: 'vote-resp', reject: w.voteResp?.reject === true };
    case 'append':
      return appendFromWire(env, w.append);
    case 'appendResp':
      return { ...env, type: 'append-resp', ...appendRespFromWire(w.appendResp) };
    case 'heartbeat':
      return { ...env, type: 'heartbeat', commit: logIndex(num(w.heartbeat?.commit)), readRound: num(w.heartbeat?.readRound) };
    case 'heartbeatResp':
      return { ...env, type: 'heartbeat-resp', readRound: num(w.heartbeatResp?.readRound) };
    case 'snapshot':
      return snapshotFromWire(env, w.snapshot);
    case 'snapshotResp':
      return { ...env, type: 'snapshot-resp', ...snapshotRespFromWire(w.snapshotResp) };
    case 'timeoutNow':
      return { ...env, type: 'timeout-now' };
    default:
      return 'missing or unknown message body';
  }
}

type Envelope = Pick<Message, 'from' | 'to' | 'term'>;

/** proto3 leaves zero scalars off the wire; protobufjs then reports them as absent. */
const num = (v: number | null | undefined): number => v ?? 0;
/**
 * Decoded `bytes` fields are views into the received frame. A copy lets the frame be freed while an
 * entry lives on (in the log cache, say), and is a plain Uint8Array rather than a Buffer.
 */
const bytes = (v: Uint8Array | null | undefined): Uint8Array => (v ? new Uint8Array(v) : new Uint8Array(0));
/** A plain Uint8Array over the same memory, for data that is consumed at once and not kept. */
const view = (v: Uint8Array | null | undefined): Uint8Array => (v ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(0));

function voteFromWire(v: pb.VoteRequest.$Properties | null | undefined) {
  return { lastIndex: logIndex(num(v?.lastIndex)), lastTerm: term(num(v?.lastTerm)), transfer: v?.transfer === true };
}

function appendFromWire(env: Envelope, a: pb.AppendRequest.$Properties | null | undefined): Message | string {
  const entries: Entry[] = [];
  for (const e of a?.entries ?? []) {
    const type = num(e.type);
    if (type !== EntryType.Normal && type !== EntryType.ConfChange) return `entry ${entries.length}: unknown entry type ${type}`;
    entries.push({ term: term(num(e.term)), index: logIndex(num(e.index)), type, data: bytes(e.data) });
  }
  return { ...env, type: 'append', prevIndex: logIndex(num(a?.prevIndex)), prevTerm: term(num(a?.prevTerm)), entries, commit: logIndex(num(a?.commit)) };
}

function appendRespFromWire(r: pb.AppendResponse.$Properties | null | undefined) {
  return { reject: r?.reject === true, index: logIndex(num(r?.index)), hintIndex: logIndex(num(r?.hintIndex)), hintTerm: term(num(r?.hintTerm)) };
}

function snapshotFromWire(env: Envelope, s: pb.SnapshotChunk.$Properties | null | undefined): Message | string {
  if (!s?.meta) return 'snapshot chunk without meta';
  if (!s.meta.conf) return 'snapshot meta without conf state';
  const conf: ConfState = { voters: (s.meta.conf.voters ?? []).map(nodeId), learners: (s.meta.conf.learners ?? []).map(nodeId) };
  const meta: SnapshotMeta = { index: logIndex(num(s.meta.index)), term: term(num(s.meta.term)), conf };
  // No copy: the core copies each chunk into the snapshot it assembles and keeps no reference.
  return { ...env, type: 'snapshot', meta, totalBytes: num(s.totalBytes), offset: num(s.offset), data: view(s.data), done: s.done === true };
}

function snapshotRespFromWire(r: pb.SnapshotResponse.$Properties | null | undefined) {
  return { index: logIndex(num(r?.index)), nextOffset: num(r?.nextOffset), done: r?.done === true };
}

function fail(reason: string): DecodeResult {
  return { ok: false, reason };
}

// ---------------------------------------------------------------------------------------------
// Validation: what any well-formed message satisfies, whoever built it. Semantic checks (is this
// term current? does the log match?) are the core's business; these are the shape and the
// invariants no correct sender can break, such as entries contiguous after prevIndex.

/** Why `m` is not a well-formed message, or undefined if it is. */
export function validateMessage(m: Message): string | undefined {
  return checkEnvelope(m) ?? checkBody(m);
}

function checkEnvelope(m: Message): string | undefined {
  return (
    checkNodeId('from', m.from) ??
    checkNodeId('to', m.to) ??
    checkNat('term', m.term) ??
    (m.from === m.to ? `from and to are both ${m.from}` : undefined)
  );
}

function checkBody(m: Message): string | undefined {
  switch (m.type) {
    case 'prevote':
    case 'vote':
      return checkNat('lastIndex', m.lastIndex) ?? checkNat('lastTerm', m.lastTerm) ?? checkBool('transfer', m.transfer) ?? checkAtMost('lastTerm', m.lastTerm, 'term', m.term);
    case 'prevote-resp':
    case 'vote-resp':
      return checkBool('reject', m.reject);
    case 'append':
      return checkAppend(m);
    case 'append-resp':
      return checkBool('reject', m.reject) ?? checkNat('index', m.index) ?? checkNat('hintIndex', m.hintIndex) ?? checkNat('hintTerm', m.hintTerm);
    case 'heartbeat':
      return checkNat('commit', m.commit) ?? checkNat('readRound', m.readRound);
    case 'heartbeat-resp':
      return checkNat('readRound', m.readRound);
    case 'snapshot':
      return checkSnapshotChunk(m);
    case 'snapshot-resp':
      return checkNat('index', m.index) ?? checkNat('nextOffset', m.nextOffset) ?? checkBool('done', m.done);
    case 'timeout-now':
      return undefined;
    default:
      return `unknown message type ${JSON.stringify((m as { type: unknown }).type)}`;
  }
}

function checkAppend(m: Extract<Message, { type: 'append' }>): string | undefined {
  const head = checkNat('prevIndex', m.prevIndex) ?? checkNat('prevTerm', m.prevTerm) ?? checkNat('commit', m.commit) ?? checkAtMost('prevTerm', m.prevTerm, 'term', m.term);
  if (head !== undefined) return head;
  if (!Array.isArray(m.entries)) return 'entries is not an array';
  let previousTerm: number = m.prevTerm;
  for (const [i, e] of m.entries.entries()) {
    const reason = checkEntry(e, m.prevIndex + 1 + i, previousTerm, m.term);
    if (reason !== undefined) return `entry ${i}: ${reason}`;
    previousTerm = e.term;
  }
  return undefined;
}

/** Log terms never decrease, and a leader holds no entry from a term after its own. */
function checkEntry(e: Entry, index: number, previousTerm: number, messageTerm: number): string | undefined {
  if (e.index !== index) return `index ${e.index} is not contiguous with prevIndex (expected ${index})`;
  if (e.type !== EntryType.Normal && e.type !== EntryType.ConfChange) return `unknown entry type ${String(e.type)}`;
  if (!(e.data instanceof Uint8Array)) return 'data is not bytes';
  return (
    checkNat('term', e.term) ??
    (e.term < 1 ? 'term must be at least 1' : undefined) ??
    (e.term < previousTerm ? `term ${e.term} is below the preceding term ${previousTerm}` : undefined) ??
    checkAtMost('term', e.term, 'message term', messageTerm)
  );
}

/** A chunk lies within the snapshot, and `done` marks exactly the chunk that reaches its end. */
function checkSnapshotChunk(m: Extract<Message, { type: 'snapshot' }>): string | undefined {
  const head = checkSnapshotMeta(m.meta, m.term) ?? checkNat('totalBytes', m.totalBytes) ?? checkNat('offset', m.offset) ?? checkBool('done', m.done);
  if (head !== undefined) return head;
  if (!(m.data instanceof Uint8Array)) return 'data is not bytes';
  const end = m.offset + m.data.length;
  if (end > m.totalBytes) return `chunk [${m.offset}, ${end}) runs past totalBytes ${m.totalBytes}`;
  if (m.done !== (end === m.totalBytes)) return `done=${m.done} but chunk ends at ${end} of ${m.totalBytes}`;
  return undefined;
}

function checkSnapshotMeta(meta: SnapshotMeta, messageTerm: number): string | undefined {
  if (typeof meta !== 'object' || meta === null) return 'missing snapshot meta';
  const head = checkNat('meta.index', meta.index) ?? checkNat('meta.term', meta.term) ?? checkAtMost('meta.term', meta.term, 'term', messageTerm);
  if (head !== undefined) return head;
  if (meta.index < 1 || meta.term < 1) return `snapshot at index ${meta.index}, term ${meta.term} is empty`;
  return checkConfState(meta.conf);
}

function checkConfState(conf: ConfState): string | undefined {
  if (typeof conf !== 'object' || conf === null || !Array.isArray(conf.voters) || !Array.isArray(conf.learners)) return 'missing conf state';
  const seen = new Set<number>();
  for (const id of [...conf.voters, ...conf.learners]) {
    const reason = checkNodeId('conf member', id);
    if (reason !== undefined) return reason;
    if (seen.has(id)) return `node ${id} appears twice in the conf state`;
    seen.add(id);
  }
  return undefined;
}

function checkNat(name: string, v: unknown): string | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? undefined : `${name} must be a non-negative safe integer, got ${String(v)}`;
}

function checkNodeId(name: string, v: unknown): string | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= NODE_ID_MAX ? undefined : `${name} must be a node id in [1, ${NODE_ID_MAX}], got ${String(v)}`;
}

function checkBool(name: string, v: unknown): string | undefined {
  return typeof v === 'boolean' ? undefined : `${name} must be a boolean, got ${String(v)}`;
}

function checkAtMost(name: string, v: number, limitName: string, limit: number): string | undefined {
  return v <= limit ? undefined : `${name} ${v} exceeds ${limitName} ${limit}`;
}

/** "append 1->2 term 3", for reasons and logs. */
export function describe(m: Message): string {
  return `${String(m.type)} ${String(m.from)}->${String(m.to)} term ${String(m.term)}`;
}

// ---------------------------------------------------------------------------------------------
// The acknowledgement a RaftPeer.Send stream ends with.

export interface SendAck {
  readonly batches: number;
  readonly messages: number;
}

export function encodeSendAck(ack: SendAck): Uint8Array {
  return pb.SendAck.encode({ batches: ack.batches, messages: ack.messages }).finish();
}

/** Throws on malformed bytes; gRPC turns that into a failed call. */
export function decodeSendAck(bytes: Uint8Array): SendAck {
  const ack = pb.SendAck.decode(bytes);
  return { batches: num(ack.batches), messages: num(ack.messages) };
}
