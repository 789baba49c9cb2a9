// The chaos library: network namespaces with nftables faults for local clusters, and process faults.
export { ChaosNet, NAME_PREFIX_DEFAULT, NODES_MAX, chaosSupport, cleanup } from './cluster-net.js';
export type { ChaosNetInfo, CleanupResult, ChaosNode, ChaosSupport, CreateOptions } from './cluster-net.js';
export { ChaosCommandError } from './exec.js';
export { spawnInNamespace } from './netns.js';
export { isAlive, kill, pause, resume } from './signals.js';
