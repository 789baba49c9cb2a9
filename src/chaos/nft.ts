// The nftables rules of one node's namespace. Each node namespace gets, once, a table
// `flotilla_chaos` whose output and input chains drop packets to addresses in the set `drop_to`
// and from addresses in the set `drop_from`. A fault adds addresses to the sets; healing empties
// them. The rules are stateless, so established connections are cut as well as new ones.
import { execIn } from './netns.js';

export const NFT_TABLE = 'flotilla_chaos';

const TABLE_SCRIPT = `
table inet ${NFT_TABLE} {
  set drop_to { type ipv4_addr; }
  set drop_from { type ipv4_addr; }
  chain output {
    type filter hook output priority 0; policy accept;
    ip daddr @drop_to drop
  }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr @drop_from drop
  }
}
`;

async function nft(ns: string, script: string): Promise<void> {
  await execIn(ns, 'nft', ['-f', '-'], script);
}

/** Installs the table in `ns`. Call once per namespace: a second call would duplicate the rules. */
export async function installTable(ns: string): Promise<void> {
  await nft(ns, TABLE_SCRIPT);
}

export interface Blocks {
  readonly to: readonly string[];
  readonly from: readonly string[];
}

/** Adds addresses to the drop sets of `ns`. Adding an address already there is a no-op. */
export async function block(ns: string, blocks: Blocks): Promise<void> {
  const lines: string[] = [];
  if (blocks.to.length > 0) lines.push(`add element inet ${NFT_TABLE} drop_to { ${blocks.to.join(', ')} }`);
  if (blocks.from.length > 0) lines.push(`add element inet ${NFT_TABLE} drop_from { ${blocks.from.join(', ')} }`);
  if (lines.length > 0) await nft(ns, lines.join('\n') + '\n');
}

/** Empties both drop sets of `ns`. */
export async function unblockAll(ns: string): Promise<void> {
  await nft(ns, `flush set inet ${NFT_TABLE} drop_to\nflush set inet ${NFT_TABLE} drop_from\n`);
}

/** The addresses `ns` currently drops, for tools and tests. */
export async function listBlocks(ns: string): Promise<Blocks> {
  const out = await execIn(ns, 'nft', ['-j', 'list', 'table', 'inet', NFT_TABLE]);
  const parsed = JSON.parse(out) as { nftables?: Array<{ set?: { name?: string; elem?: unknown[] } }> };
  const elems = (name: string) =>
    (parsed.nftables ?? []).filter((o) => o.set?.name === name).flatMap((o) => o.set?.elem ?? []).filter((e): e is string => typeof e === 'string');
  return { to: elems('drop_to'), from: elems('drop_from') };
}
