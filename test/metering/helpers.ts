// Shared by the metering tests (issue #5): the fixture table of test/fixtures/README.md, a
// gateway request helper that sends from a VM's address, and a world of mock upstream +
// gatehouse + signed-up users with registered VMs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { postgresClient } from '../../src/db/postgres.js';
import type { Api, Usage } from '../../src/providers/usage.js';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { startTestGatehouse, tempDir, type TestGatehouse } from '../helpers/gatehouse.js';
import { exec, signUp, type ExecResult, type KeyPair } from '../helpers/ssh.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES_DIR = path.join(ROOT, 'test', 'fixtures');

export type Tokens = Omit<Usage, 'model'>;

export interface FixtureCase {
  file: string;
  api: Api;
  usage: Tokens;
  model?: string;
}

const NONE: Tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

/** The "meter" columns of test/fixtures/README.md, copied by hand. */
export const FIXTURES: FixtureCase[] = [
  { file: 'anthropic/messages.json', api: 'messages', usage: { input: 22, output: 64, cacheRead: 0, cacheWrite: 1894 }, model: 'claude-sonnet-5-5' },
  { file: 'anthropic/messages-stream.sse', api: 'messages', usage: { input: 14, output: 87, cacheRead: 0, cacheWrite: 3210 }, model: 'claude-opus-5-5' },
  { file: 'anthropic/messages-stream-cache-hit.sse', api: 'messages', usage: { input: 9, output: 45, cacheRead: 3210, cacheWrite: 0 }, model: 'claude-sonnet-5-5' },
  { file: 'anthropic/messages-stream-overloaded.sse', api: 'messages', usage: { input: 31, output: 1, cacheRead: 0, cacheWrite: 0 }, model: 'claude-haiku-4-5-20251001' },
  { file: 'anthropic/count-tokens.json', api: 'count_tokens', usage: NONE },
  { file: 'openai/chat.json', api: 'chat', usage: { input: 176, output: 96, cacheRead: 1024, cacheWrite: 0 }, model: 'gpt-5.5-2026-04-23' },
  { file: 'openai/chat-stream-usage.sse', api: 'chat', usage: { input: 86, output: 41, cacheRead: 1920, cacheWrite: 0 }, model: 'gpt-5.5-mini-2026-05-12' },
  { file: 'openai/chat-stream-no-usage.sse', api: 'chat', usage: NONE, model: 'gpt-5.5-2026-04-23' },
  { file: 'openai/responses.json', api: 'responses', usage: { input: 346, output: 312, cacheRead: 4864, cacheWrite: 0 }, model: 'gpt-6.1-sol' },
  { file: 'openai/responses-stream.sse', api: 'responses', usage: { input: 262, output: 118, cacheRead: 2048, cacheWrite: 0 }, model: 'gpt-6.1-sol' },
  { file: 'openai/embeddings.json', api: 'embeddings', usage: { input: 9, output: 0, cacheRead: 0, cacheWrite: 0 }, model: 'text-embedding-3-small' },
  { file: 'fireworks/chat.json', api: 'chat', usage: { input: 57, output: 23, cacheRead: 0, cacheWrite: 0 }, model: 'accounts/fireworks/models/llama-v3p3-70b-instruct' },
  { file: 'fireworks/chat-stream-usage.sse', api: 'chat', usage: { input: 250, output: 19, cacheRead: 1280, cacheWrite: 0 }, model: 'accounts/fireworks/models/deepseek-v3' },
  { file: 'gemini/generate-content.json', api: 'generate_content', usage: { input: 24, output: 362, cacheRead: 4096, cacheWrite: 0 }, model: 'gemini-2.5-pro' },
  { file: 'gemini/stream.sse', api: 'generate_content', usage: { input: 11, output: 172, cacheRead: 0, cacheWrite: 0 }, model: 'gemini-2.5-flash' },
  { file: 'gemini/count-tokens.json', api: 'count_tokens', usage: NONE },
];

export function fixtureBytes(file: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES_DIR, file));
}

export function fixtureFiles(): string[] {
  return ['anthropic', 'openai', 'fireworks', 'gemini'].flatMap((d) => fs.readdirSync(path.join(FIXTURES_DIR, d)).map((f) => `${d}/${f}`));
}

export const tokensOf = (u: Usage): Tokens => ({ input: u.input, output: u.output, cacheRead: u.cacheRead, cacheWrite: u.cacheWrite });

// ---------------------------------------------------------------------------------------------
// HTTP to the gateway, from a VM's source address.

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json?: any;
}

export interface SendOptions {
  from?: string;
  headers?: Record<string, string>;
  /** Destroy the request after this many body bytes arrived (a client that goes away). */
  abortAfterBytes?: number;
  timeoutMs?: number;
}

const agents = new Map<string, http.Agent>();

/** A keep-alive agent per source address, so hundreds of requests do not exhaust ports. */
function agentFor(from: string): http.Agent {
  let agent = agents.get(from);
  if (!agent) agents.set(from, (agent = new http.Agent({ keepAlive: true, maxSockets: 64, localAddress: from })));
  return agent;
}

export function closeAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

/** POSTs JSON (or GETs when body is undefined) to the gateway on port `port`, path `p`. */
export function send(port: number, p: string, body: unknown, options: SendOptions = {}): Promise<Reply> {
  const from = options.from ?? '127.0.0.2';
  const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: p,
        method: payload ? 'POST' : 'GET',
        agent: agentFor(from),
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...options.headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          parts.push(d);
          size += d.length;
          if (options.abortAfterBytes !== undefined && size >= options.abortAfterBytes) {
            clearTimeout(timer);
            req.destroy();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') });
          }
        });
        res.on('error', () => {}); // the abort above
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(parts).toString('utf8');
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`request deadline: ${p}`)), options.timeoutMs ?? 10_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      if (options.abortAfterBytes === undefined) reject(err);
    });
    req.end(payload);
  });
}

// ---------------------------------------------------------------------------------------------
// SSH.

const STACK = /\n\s+at .+:\d+:\d+/;

export async function sh(port: number, key: KeyPair, command: string): Promise<ExecResult> {
  const r = await exec(port, key, command);
  assert.doesNotMatch(r.stdout + r.stderr, STACK, `stack trace from: ${command}`);
  assert.doesNotMatch(r.stdout + r.stderr, /internal error/, `internal error from: ${command}`);
  return r;
}

export async function ok(port: number, key: KeyPair, command: string, stdin?: string): Promise<string> {
  const r = stdin === undefined ? await sh(port, key, command) : await exec(port, key, command, { stdin });
  assert.equal(r.code, 0, `${command}: ${r.stderr}`);
  return r.stdout;
}

export async function okJson(port: number, key: KeyPair, command: string): Promise<any> {
  return JSON.parse(await ok(port, key, `${command} --json`));
}

// ---------------------------------------------------------------------------------------------
// A world: one mock upstream serving every provider, one gatehouse pointed at it.

export const GATEWAY_KEY = 'sk-gateway-operator';

export interface World {
  mock: MockProvider;
  /** Replace it to restart on the same data dir; stop() stops the current one. */
  gh: TestGatehouse;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export function upstreamEnv(mockUrl: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of ['ANTHROPIC', 'OPENAI', 'FIREWORKS', 'GEMINI']) {
    env[`GATEHOUSE_${p}_UPSTREAM`] = mockUrl;
    env[`GATEHOUSE_${p}_API_KEY`] = GATEWAY_KEY;
  }
  return env;
}

export async function startWorld(env: Record<string, string> = {}, dataDir = tempDir()): Promise<World> {
  const mock = await startMockProvider();
  const fullEnv = { ...upstreamEnv(mock.url), ...env };
  const world: World = {
    mock,
    gh: await startTestGatehouse(fullEnv, dataDir),
    env: fullEnv,
    async stop() {
      await world.gh.stop(); // the current one: a test may have restarted it
      await mock.close();
    },
  };
  return world;
}

/** Signs up a user and registers a VM at `address` (send from it with `from`). */
export async function userWithVm(gh: TestGatehouse, name: string, address: string, vm = `${name}-box`): Promise<KeyPair> {
  const key = await signUp(gh.sshPort, name);
  await ok(gh.sshPort, key, `new --name ${vm} --address ${address}`);
  return key;
}

/** Usage rows straight from the database (storage invariants only): the SQLite file or PostgreSQL. */
export async function usageRows(gh: TestGatehouse): Promise<any[]> {
  const target = gh.config.database;
  if (target.kind === 'sqlite') return sqliteUsageRows(target.file);
  const client = postgresClient(target.url);
  await client.connect();
  try {
    return (await client.query('SELECT * FROM usage ORDER BY id')).rows;
  } finally {
    await client.end();
  }
}

export function sqliteUsageRows(file: string): any[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT * FROM usage ORDER BY id').all();
  } finally {
    db.close();
  }
}

/** Polls until `check()` holds, failing after the deadline (no fixed sleeps). */
export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`deadline: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Price per 1M tokens = micro-dollars per token. */
export interface Price {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
}

export function catalogPrice(model: string): Price {
  const catalog = JSON.parse(fs.readFileSync(path.join(ROOT, 'catalog', 'models.json'), 'utf8'));
  const entry = catalog.models.find((m: { id: string }) => m.id === model);
  assert.ok(entry, `catalog has ${model}`);
  return entry.price;
}
