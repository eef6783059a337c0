// Where the real CLIs are (scripts/install-clients.sh puts them in .clients/, outside the product's
// dependencies), and whether a test may run: missing, it skips with the reason, except under CI,
// where it must fail instead (CI installs them, so a missing one is a broken install, not a choice).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ClientBin {
  path: string;
  /** For node:test's `skip`: false, or why the test does not run. */
  skip: false | string;
  /** Throws when the CLI is missing (under CI, where its tests run regardless and must fail clearly). */
  check(): void;
}

export function clientBin(name: 'codex' | 'claude', override: string): ClientBin {
  const bin = process.env[override] || path.join(ROOT, '.clients', 'node_modules', '.bin', name);
  const reason = `${name} is not installed at ${bin}: run npm run test:clients (or scripts/install-clients.sh), or set ${override}`;
  const check = () => {
    if (!fs.existsSync(bin)) throw new Error(reason);
  };
  return { path: bin, skip: fs.existsSync(bin) || process.env.CI ? false : reason, check };
}

export interface ClientRun {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/** Runs the CLI to its end (killed at the deadline), with exactly the environment given and `stdin` (empty by default). */
export function runClient(bin: ClientBin, args: string[], options: { env: Record<string, string>; cwd: string; deadlineMs: number; stdin?: string }): Promise<ClientRun> {
  const started = performance.now();
  bin.check();
  return new Promise((resolve, reject) => {
    const child = spawn(bin.path, args, { env: options.env, cwd: options.cwd });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(bin.path)} deadline; stderr: ${err.slice(-1000)}`));
    }, options.deadlineMs);
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, ms: performance.now() - started });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
