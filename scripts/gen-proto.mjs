// Generates static protobufjs code (ES module + TypeScript declarations) for every proto/*.proto
// into src/gen/ and copies the JavaScript beside the compiled output in dist/src/gen/.
// Runs on `npm install` (prepare) and before every build, so generated code is never committed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const bin = (name) => join('node_modules', '.bin', name);
const protos = readdirSync('proto').filter((f) => f.endsWith('.proto'));
mkdirSync('src/gen', { recursive: true });
mkdirSync('dist/src/gen', { recursive: true });
for (const file of protos) {
  const name = basename(file, '.proto');
  const js = join('src/gen', `${name}.js`);
  execFileSync(bin('pbjs'), ['-t', 'static-module', '-w', 'es6', '--force-number', '--no-verify', '--no-convert', '--no-delimited', '--no-beautify', '-r', name, '-o', js, join('proto', file)], { stdio: 'inherit' });
  execFileSync(bin('pbts'), ['--no-comments', '-o', join('src/gen', `${name}.d.ts`), js], { stdio: 'inherit' });
  copyFileSync(js, join('dist/src/gen', `${name}.js`));
}
console.log(`generated protobuf code for ${protos.length} file(s)`);
