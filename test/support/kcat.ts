// Whether kcat (Debian's package, which scripts/install-debian-packages.sh installs and .ci/run
// calls) is here: the tests that drive it skip with this reason when it is not.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why kcat tests cannot run here, or undefined when kcat answers `kcat -V`. */
export async function kcatMissing(): Promise<string | undefined> {
  try {
    await run('kcat', ['-V']);
    return undefined;
  } catch {
    return 'kcat is not installed (scripts/install-debian-packages.sh installs it, as root; .ci/run does)';
  }
}
