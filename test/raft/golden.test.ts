// Golden-script tests of the Raft core: every test/raft/testdata/*.txt is one test. Each command's
// output must equal the expected output checked in below it.
//
//   node dist/test/raft/golden.test.js [--rewrite] [name...]   (or REWRITE=1)
//
// --rewrite regenerates the expected outputs in the SOURCE testdata files (not dist/); review the
// git diff afterwards: an expected output is only right if it is what correct Raft does.
// The script language is described at the top of golden/commands.ts.
import { test } from 'node:test';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from './golden/cluster.js';
import { runCommand } from './golden/commands.js';
import { parseCommand, parseScript, renderScript } from './golden/datadriven.js';
import { lineDiff } from './golden/diff.js';

const TESTDATA = join('test', 'raft', 'testdata');

/** The repository root, found upwards from this file so it works from src and from dist. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, TESTDATA)))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find ${TESTDATA} above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

interface Outcome {
  readonly outputs: string[];
  readonly failures: string[];
}

function runScript(source: string, name: string): Outcome {
  const segments = parseScript(source, name);
  const cluster = new Cluster();
  const outputs: string[] = [];
  const failures: string[] = [];
  for (const segment of segments) {
    if (segment.kind === 'text') continue;
    const where = `${name}:${segment.line}`;
    const actual = runCommand(cluster, parseCommand(segment.commandText, where));
    outputs.push(actual);
    if (actual !== segment.expected) failures.push(`${where}: ${segment.commandText}\n${lineDiff(segment.expected, actual)}`);
  }
  return { outputs, failures };
}

const args = process.argv.slice(2);
const rewrite = args.includes('--rewrite') || process.env['REWRITE'] === '1';
const only = args.filter((a) => !a.startsWith('-'));
const dir = join(repoRoot(), TESTDATA);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

for (const file of files) {
  test(`golden ${file}`, () => {
    const path = join(dir, file);
    const source = readFileSync(path, 'utf8');
    const { outputs, failures } = runScript(source, join(TESTDATA, file));
    if (rewrite) {
      writeFileSync(path, renderScript(parseScript(source, file), outputs));
      return;
    }
    if (failures.length > 0) throw new Error(`${failures.length} case(s) differ (- expected, + actual):\n\n${failures.join('\n\n')}`);
  });
}
