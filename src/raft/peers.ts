// The quorum as operators write it: "1@127.0.0.1:19091,2@127.0.0.1:19092" (Kafka's
// controller.quorum.voters form), parsed into node ids and addresses.
import { type NodeId, nodeId } from './core/types.js';

/** Parses "ID@HOST:PORT,..." into a map, or throws an Error saying exactly which part is wrong. */
export function parsePeers(spec: string): Map<NodeId, string> {
  const peers = new Map<NodeId, string>();
  for (const part of spec.split(',')) {
    const match = /^(\d+)@([^@,\s]+):(\d+)$/.exec(part.trim());
    if (!match?.[1] || !match[2] || !match[3]) throw new Error(`invalid voter "${part}": expected ID@HOST:PORT, e.g. 1@127.0.0.1:19091`);
    const id = nodeId(Number(match[1]));
    const port = Number(match[3]);
    if (id <= 0 || id > 0xffff_ffff) throw new Error(`invalid voter "${part}": the id must be a positive 32-bit integer`);
    if (port <= 0 || port > 65535) throw new Error(`invalid voter "${part}": port ${port} is out of range`);
    if (peers.has(id)) throw new Error(`invalid voters: node ${id} appears twice`);
    peers.set(id, `${match[2]}:${port}`);
  }
  return peers;
}
