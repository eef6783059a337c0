// `gatehouse serve` as an operator runs it: `node bin/gatehouse.js serve` in a child process,
// temp data dir, ports 0 (the real ones are read from its stdout), upstreams at a mock provider.
// Given GATEHOUSE_DATABASE_URL in `env`, it runs on that PostgreSQL database (several may share it).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { postgresClient } from '../../src/db/postgres.js';
import { operatorEnv } from './gateway.js';
import { tempDir, textForm } from './gatehouse.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'gatehouse.js');
const DEADLINE_MS = 15_000;

export interface Served {
  child: ChildProcessWithoutNullStreams;
  dataDir: string;
  sshPort: number;
  gatewayPort: number;
  /** The admin listener's port, read from its `listening` log line. */
  adminPort?: number;
  stdout(): string;
  stderr(): string;
  /**
   * Resolves once stdout or stderr matches, or stdout's JSON log lines in their text form (`WARN msg`,
   * as test/helpers/gatehouse.ts gives them); rejects at the deadline or if the process exits first.
   */
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
    await launched.waitFor(UP);
  } catch (e) {
    launched.child.kill('SIGKILL');
    throw e;
  }
  const ports = listening(launched.stdout());
  return { ...launched, sshPort: ports.ssh!, gatewayPort: ports.gateway!, adminPort: ports.admin };
}

/** The gateway's `listening` log line (it comes after the SSH one), or main's older text line. */
const UP = /"component":"gateway"[^\n]*"msg":"listening"|gateway on http:\/\/127\.0\.0\.1:\d+/;

/** The first port each component logged `listening` on (JSON lines), or from main's text lines. */
export function listening(stdout: string): { ssh?: number; gateway?: number; admin?: number } {
  const ports: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    let o: { msg?: string; component?: string; listen?: string };
    try {
      o = JSON.parse(line);
    } catch {
      continue;
    }
    if (o.msg === 'listening' && o.component && o.listen) ports[o.component] ??= Number(/:(\d+)$/.exec(o.listen)?.[1]);
  }
  ports.ssh ??= Number(/SSH control plane on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
  ports.gateway ??= Number(/gateway on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
  return ports;
}

/** Starts `gatehouse serve` expecting it to refuse: resolves with its exit and output; rejects if it comes up or hangs. */
export async function serveRefused(upstream: string, env: Record<string, string> = {}, flags: string[] = [], options: ServeOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const launched = launch(upstream, env, flags, options);
  const cameUp = await launched.waitFor(UP).then(() => true, () => false);
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
  Object.assign(childEnv, { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SSH_LISTEN: '127.0.0.1:0', GATEHOUSE_GATEWAY_LISTEN: '127.0.0.1:0', GATEHOUSE_ADMIN_LISTEN: '127.0.0.1:0', GATEHOUSE_WEB_LISTEN: '127.0.0.1:0', GATEHOUSE_MONTHLY_CREDITS: '1000' });
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
        if (!pattern.test(out) && !pattern.test(err) && !pattern.test(asText(out))) return;
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

/** stdout with each JSON log line in its text form (the other lines as they are). */
function asText(out: string): string {
  return out
    .split('\n')
    .map((line) => (line.startsWith('{') ? textForm(line) : line))
    .join('\n');
}
