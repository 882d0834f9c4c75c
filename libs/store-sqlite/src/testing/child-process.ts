import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A script of this folder running in a process of its own, talked to line by line. */
export interface ChildScript {
  /** The next line the script printed; rejects when it exits first. */
  nextLine(): Promise<string>;
  send(line: string): void;
  /** Closes the script's stdin and waits for it to exit 0. */
  end(): Promise<void>;
  /** Kills it with SIGKILL, the way a crash or the OOM killer would, and waits until it is gone. */
  kill(): Promise<void>;
}

export function startChildScript(name: string, args: string[]): ChildScript {
  const script = fileURLToPath(new URL(`./${name}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async nextLine() {
      const line = await Promise.race([lines.next(), exit.then(() => ({ done: true as const, value: undefined }))]);
      if (line.done) throw new Error(`${name} ended before printing a line: ${stderr}`);
      return line.value;
    },
    send(line) {
      child.stdin.write(`${line}\n`);
    },
    async end() {
      child.stdin.end();
      const { code, signal } = await exit;
      if (code !== 0) throw new Error(`${name} exited with ${code ?? signal}: ${stderr}`);
    },
    async kill() {
      child.kill('SIGKILL');
      await exit;
    },
  };
}
