import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const k6Script = join(repoRoot, 'infra/toolchain/k6.sh');

/** The k6 version every comparison runs; infra/toolchain/k6.sh pins the same one. */
export const K6_VERSION = 'v1.8.1';

let binary: Promise<string> | undefined;

/**
 * The path of the k6 binary, found exactly as infra/toolchain/k6.sh finds it (K6_BINARY,
 * then the cache, then a one-time build with Go). The first call may take minutes when
 * it has to build; later calls reuse the answer. A failure is not remembered.
 */
export function k6Binary(): Promise<string> {
  binary ??= run('bash', [k6Script], { maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout }) => stdout.trim().split('\n').pop() as string,
    (error: Error & { stderr?: string }) => {
      binary = undefined;
      throw new Error(`infra/toolchain/k6.sh could not provide k6: ${error.stderr?.trim() || error.message}`);
    },
  );
  return binary;
}

/** What `k6 version` says, e.g. "k6 v1.8.1 (go1.26.8, linux/amd64)": recorded with every result. */
export async function k6Version(): Promise<string> {
  const { stdout } = await run(await k6Binary(), ['version']);
  return stdout.trim().split('\n')[0] as string;
}
