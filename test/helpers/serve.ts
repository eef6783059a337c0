// `gatehouse serve` as an operator runs it: `node bin/gatehouse.js serve` in a child process,
// temp data dir, ports 0 (the real ones are read from its stdout), upstreams at a mock provider.
// Given GATEHOUSE_DATABASE_URL in `env`, it runs on that PostgreSQL database (several may share it).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { postgresClient } from '../../src/db/postgres.js';
import { operatorEnv } from './gateway.js';
import { tempDir } from './gatehouse.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'gatehouse.js');
const DEADLINE_MS = 15_000;

export interface Served {
  child: ChildProcessWithoutNullStreams;
  dataDir: string;
  sshPort: number;
  gatewayPort: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr matches; rejects at the deadline or if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code and the time it came (performance.now()). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** The usage rows: from PostgreSQL when it runs on one, else from the SQLite file (read-only) once the process is gone. */
  usageRows(): Promise<UsageRow[]>;
}

export interface UsageRow {
  request_id: string;
  status: number;
  output_tokens: number;
}

/** Every child still running: a test that fails before its SIGTERM must not leave one behind (the test file would never end). */
const running = new Set<ChildProcessWithoutNullStreams>();

/** Kills every `serve` child still running; call it from the suite's after(). */
export function killServed(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export interface ServeOptions {
  /** Reuse this data dir (another run's) instead of a fresh one. */
  dataDir?: string;
  /** GATEHOUSE_DATABASE_URL, e.g. a fleet's PostgreSQL; default: the data dir's SQLite file. */
  databaseUrl?: string;
  /** GATEHOUSE_SECRET_KEY, e.g. the one a fleet shares; default: the key generated in the data dir. */
  secretKey?: string;
}

/** A gateway `listening` log line, whatever the log's format (the fields are JSON in both). */
const GATEWAY_LISTENING = /listening.*"component":"gateway"|"component":"gateway".*"listening"/;

/** The port a `listening` log line on stdout or stderr gives for `component`. */
export function listenPort(text: string, component: 'ssh' | 'gateway'): number {
  for (const line of text.split('\n')) {
    const brace = line.indexOf('{');
    if (!line.includes('listening') || brace === -1) continue;
    try {
      const fields = JSON.parse(line.slice(brace)) as { component?: string; listen?: string };
      if (fields.component === component && fields.listen) return Number(fields.listen.split(':').pop());
    } catch {
      // not a log line's fields
    }
  }
  throw new Error(`no ${component} listening line in: ${text}`);
}

/** Starts `gatehouse serve` and resolves once both listeners are up (rejects if it exits first). */
export async function serve(upstream: string, env: Record<string, string> = {}, flags: string[] = [], options: ServeOptions = {}): Promise<Served> {
  const launched = launch(upstream, env, flags, options);
  try {
    await launched.waitFor(GATEWAY_LISTENING);
  } catch (e) {
    launched.child.kill('SIGKILL');
    throw e;
  }
  const out = launched.stdout() + '\n' + launched.stderr();
  return { ...launched, sshPort: listenPort(out, 'ssh'), gatewayPort: listenPort(out, 'gateway') };
}

/** Starts `gatehouse serve` expecting it to refuse: resolves with its exit and output; rejects if it comes up or hangs. */
export async function serveRefused(upstream: string, env: Record<string, string> = {}, flags: string[] = [], options: ServeOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const launched = launch(upstream, env, flags, options);
  const cameUp = await launched.waitFor(GATEWAY_LISTENING).then(() => true, () => false);
  if (cameUp || (launched.child.exitCode === null && launched.child.signalCode === null)) {
    launched.child.kill('SIGKILL');
    throw new Error(`gatehouse ${cameUp ? 'came up' : 'neither came up nor exited'}; stdout: ${launched.stdout()}; stderr: ${launched.stderr()}`);
  }
  const { code } = await launched.exited;
  return { code, stdout: launched.stdout(), stderr: launched.stderr() };
}

function launch(upstream: string, env: Record<string, string>, flags: string[], options: ServeOptions): Omit<Served, 'sshPort' | 'gatewayPort'> {
  const dataDir = options.dataDir ?? tempDir('gatehouse-serve-');
  const childEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  Object.assign(childEnv, { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SSH_LISTEN: '127.0.0.1:0', GATEHOUSE_GATEWAY_LISTEN: '127.0.0.1:0', GATEHOUSE_MONTHLY_CREDITS: '1000' });
  Object.assign(childEnv, operatorEnv(upstream));
  if (options.databaseUrl) childEnv.GATEHOUSE_DATABASE_URL = options.databaseUrl;
  if (options.secretKey) childEnv.GATEHOUSE_SECRET_KEY = options.secretKey;
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, [BIN, 'serve', ...flags], { cwd: dataDir, env: childEnv });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
  const waitFor = (pattern: RegExp, timeoutMs = DEADLINE_MS) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(out) && !pattern.test(err)) return;
        stop();
        resolve();
      };
      const gone = () => {
        stop();
        reject(new Error(`gatehouse exited before ${pattern}; stdout: ${out}; stderr: ${err}`));
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`deadline waiting for ${pattern}; stdout: ${out}; stderr: ${err}`));
      }, timeoutMs);
      const stop = () => {
        clearTimeout(timer);
        child.stdout.off('data', check);
        child.stderr.off('data', check);
        child.off('exit', gone);
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.once('exit', gone);
      check();
    });
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  return {
    child,
    dataDir,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    exited,
    usageRows: () => (childEnv.GATEHOUSE_DATABASE_URL ? postgresUsageRows(childEnv.GATEHOUSE_DATABASE_URL) : Promise.resolve(sqliteUsageRows(dataDir))),
  };
}

const USAGE_SQL = 'SELECT request_id, status, output_tokens FROM usage';

function sqliteUsageRows(dataDir: string): UsageRow[] {
  const db = new Database(path.join(dataDir, 'gatehouse.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(USAGE_SQL).all() as UsageRow[];
  } finally {
    db.close();
  }
}

export async function postgresUsageRows(url: string): Promise<UsageRow[]> {
  const client = postgresClient(url);
  await client.connect();
  try {
    return (await client.query(USAGE_SQL)).rows;
  } finally {
    await client.end();
  }
}
