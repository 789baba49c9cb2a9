// A node's data directory, formatted before first start as `kafka-storage.sh format` does, so a node
// never silently starts empty and joins (or founds) a quorum:
//
//   <data-dir>/meta.properties   version=1, cluster.id, node.id, directory.id (Kafka's format)
//   <data-dir>/metadata/         the metadata log (LevelRaftStorage)
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type NodeId } from '../raft/core/types.js';
import { LevelRaftStorage } from '../raft/level-storage.js';
import { initialState } from '../raft/storage.js';

export const META_PROPERTIES = 'meta.properties';
export const METADATA_LOG_DIR = 'metadata';

export interface MetaProperties {
  readonly clusterId: string;
  readonly nodeId: NodeId;
  readonly directoryId: string;
}

/** An operating error about a data directory: bad input or state the operator must fix. */
export class DataDirError extends Error {
  constructor(
    readonly code: 'NOT_FORMATTED' | 'ALREADY_FORMATTED' | 'CLUSTER_ID_MISMATCH' | 'NODE_ID_MISMATCH' | 'INVALID_META_PROPERTIES' | 'INVALID_ARGUMENT',
    message: string,
  ) {
    super(message);
    this.name = 'DataDirError';
  }
}

/** A new cluster id: a random UUID as 22 characters of URL-safe base64, like Kafka's. */
export function randomClusterId(): string {
  // As Kafka's Uuid.randomUuid: an id starting with '-' would read as a flag on a command line.
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Kafka cluster ids are 16 bytes in URL-safe base64 without padding. */
export function validateClusterId(id: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{22}$/.test(id)) return `cluster id "${id}" is not 22 characters of URL-safe base64 (use \`flotilla random-cluster-id\`)`;
  return undefined;
}

export interface FormatOptions {
  readonly dataDir: string;
  readonly clusterId: string;
  readonly nodeId: NodeId;
  /** The voters of the metadata quorum at birth; empty for a broker-only node (it joins as a learner). */
  readonly initialVoters: readonly NodeId[];
}

/** Formats a data directory; refuses one that is already formatted and changes nothing then. */
export async function formatDataDir(options: FormatOptions): Promise<MetaProperties> {
  const invalid = validateClusterId(options.clusterId);
  if (invalid) throw new DataDirError('INVALID_ARGUMENT', invalid);
  if (!Number.isInteger(options.nodeId) || options.nodeId <= 0) throw new DataDirError('INVALID_ARGUMENT', `node id must be a positive integer, got ${options.nodeId}`);
  const existing = await readMetaProperties(options.dataDir).catch((error: unknown) => {
    if (error instanceof DataDirError && error.code === 'NOT_FORMATTED') return undefined;
    throw error;
  });
  if (existing) throw new DataDirError('ALREADY_FORMATTED', `${options.dataDir} is already formatted (cluster ${existing.clusterId}, node ${existing.nodeId})`);
  await mkdir(options.dataDir, { recursive: true });
  await LevelRaftStorage.format(join(options.dataDir, METADATA_LOG_DIR), initialState(options.initialVoters));
  const meta: MetaProperties = { clusterId: options.clusterId, nodeId: options.nodeId, directoryId: randomClusterId() };
  // Written last, atomically: a directory with meta.properties is a completely formatted one.
  const file = join(options.dataDir, META_PROPERTIES);
  await writeFile(`${file}.tmp`, serialize(meta), { flag: 'w' });
  await rename(`${file}.tmp`, file);
  return meta;
}

/** Reads and validates meta.properties; a missing file means the directory is not formatted. */
export async function readMetaProperties(dataDir: string): Promise<MetaProperties> {
  const file = join(dataDir, META_PROPERTIES);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DataDirError('NOT_FORMATTED', `${dataDir} is not formatted: run \`flotilla format --cluster-id ID --node-id N --data-dir ${dataDir}\` first`);
    }
    throw error;
  }
  return parse(file, text);
}

/** Refuses a directory formatted for another cluster or node. */
export function checkIdentity(meta: MetaProperties, expected: { clusterId?: string; nodeId: NodeId }, dataDir: string): void {
  if (expected.clusterId !== undefined && meta.clusterId !== expected.clusterId) {
    throw new DataDirError('CLUSTER_ID_MISMATCH', `${dataDir} belongs to cluster ${meta.clusterId}, not ${expected.clusterId}`);
  }
  if (meta.nodeId !== expected.nodeId) throw new DataDirError('NODE_ID_MISMATCH', `${dataDir} was formatted for node ${meta.nodeId}, not ${expected.nodeId}`);
}

function serialize(meta: MetaProperties): string {
  return ['#', `# written by flotilla format`, 'version=1', `cluster.id=${meta.clusterId}`, `node.id=${meta.nodeId}`, `directory.id=${meta.directoryId}`, ''].join('\n');
}

function parse(file: string, text: string): MetaProperties {
  const props = new Map<string, string>();
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new DataDirError('INVALID_META_PROPERTIES', `${file}:${n + 1}: expected key=value, got "${line}"`);
    props.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const bad = (why: string) => new DataDirError('INVALID_META_PROPERTIES', `${file}: ${why}`);
  if (props.get('version') !== '1') throw bad(`unsupported version "${props.get('version') ?? ''}" (expected 1)`);
  const clusterId = props.get('cluster.id') ?? '';
  const invalid = validateClusterId(clusterId);
  if (invalid) throw bad(invalid);
  const nodeId = Number(props.get('node.id'));
  if (!Number.isInteger(nodeId) || nodeId <= 0) throw bad(`node.id "${props.get('node.id') ?? ''}" is not a positive integer`);
  return { clusterId, nodeId: nodeId as NodeId, directoryId: props.get('directory.id') ?? '' };
}
