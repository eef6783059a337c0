// Gateway test helpers: a mock upstream plus a real gatehouse pointed at it (with a user, VMs
// registered over SSH), and HTTP clients that send from a VM's source address (127.0.0.2,
// 127.0.0.3 … are all loopback on Linux), over node:http or a raw socket.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { startTestGatehouse, tempDir, type TestGatehouse } from './gatehouse.js';
import { exec, signUp, type ExecResult, type KeyPair } from './ssh.js';

export const DOMAIN = 'gatehouse.localhost';
export const OPERATOR_KEYS = { anthropic: 'sk-ant-operator-0001', openai: 'sk-openai-operator-0002', fireworks: 'fw-operator-0003', gemini: 'AIza-operator-0004' } as const;
type ProviderName = keyof typeof OPERATOR_KEYS;

/** Every provider's upstream at `upstream`, each with its operator key (the gateway source's). */
export function operatorEnv(upstream: string, keys: Record<string, string> = OPERATOR_KEYS): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [p, key] of Object.entries(keys)) {
    env[`GATEHOUSE_${p.toUpperCase()}_UPSTREAM`] = upstream;
    env[`GATEHOUSE_${p.toUpperCase()}_API_KEY`] = key;
  }
  return env;
}
/** The upstreams keep this base path, so every recorded URL must start with it. */
export const BASE_PATH = '/openai';
export const UNKNOWN = '127.0.0.9';
const DEADLINE_MS = 10_000;

export const intHost = (name: string) => `${name}.int.${DOMAIN}`;

export interface GatewayEnv {
  gh: TestGatehouse;
  mock: MockProvider;
  port: number;
  /** alice, whose VM alice-box is at 127.0.0.2 */
  alice: KeyPair;
  /** Runs a command over SSH; it must succeed. */
  ok(key: KeyPair, command: string, stdin?: string): Promise<string>;
  sh(key: KeyPair, command: string, stdin?: string): Promise<ExecResult>;
  request(r: Req): Promise<Reply>;
  stop(): Promise<void>;
}

export interface EnvOptions {
  env?: Record<string, string>;
  /** Providers whose operator key is left out (their gateway source answers 503). */
  withoutKeys?: ProviderName[];
  /** Upstream URL overrides, e.g. a closed port. */
  upstreams?: Partial<Record<ProviderName, string>>;
}

/** A mock upstream (base path /openai, kept by the gateway), a gatehouse, alice and her VM at 127.0.0.2. */
export async function startGatewayEnv(options: EnvOptions = {}): Promise<GatewayEnv> {
  const mock = await startMockProvider({ basePath: BASE_PATH });
  const env: Record<string, string> = { GATEHOUSE_MONTHLY_CREDITS: '1000', ...options.env };
  for (const p of Object.keys(OPERATOR_KEYS) as ProviderName[]) {
    env[`GATEHOUSE_${p.toUpperCase()}_UPSTREAM`] = options.upstreams?.[p] ?? mock.url;
    if (!options.withoutKeys?.includes(p)) env[`GATEHOUSE_${p.toUpperCase()}_API_KEY`] = OPERATOR_KEYS[p];
  }
  const gh = await startTestGatehouse(env);
  const sh = (key: KeyPair, command: string, stdin?: string) => exec(gh.sshPort, key, command, stdin === undefined ? {} : { stdin });
  const ok = async (key: KeyPair, command: string, stdin?: string) => {
    const r = await sh(key, command, stdin);
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    return r.stdout;
  };
  const alice = await signUp(gh.sshPort, 'alice', 'alice@example.com');
  await ok(alice, 'new --name alice-box --address 127.0.0.2 --tag dev --comment "the dev box"');
  return {
    gh,
    mock,
    port: gh.gatewayPort,
    alice,
    ok,
    sh,
    request: (r) => request(gh.gatewayPort, r),
    async stop() {
      await gh.stop();
      await mock.close();
    },
  };
}

export interface Req {
  /** Source address; default 127.0.0.2 (alice-box). */
  from?: string;
  host?: string;
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  /** An object is sent as JSON (content-type added unless given). */
  body?: string | Buffer | object;
  /** Connect to this address instead of 127.0.0.1 (IPv6 tests). */
  to?: string;
}

export interface Chunk {
  at: number;
  text: string;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Every body chunk with its arrival time (performance.now()). */
  chunks: Chunk[];
  /** When the response ended normally (it may also just close: `ended` false). */
  ended: boolean;
  endedAt: number;
  json(): any;
}

function outgoing(r: Req): { headers: Record<string, string | string[]>; body?: Buffer } {
  const headers: Record<string, string | string[]> = { ...r.headers };
  const has = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);
  if (r.host !== undefined && !has('host')) headers.host = r.host;
  if (r.body === undefined) return { headers };
  let body: Buffer;
  if (typeof r.body === 'string' || Buffer.isBuffer(r.body)) body = Buffer.from(r.body);
  else {
    body = Buffer.from(JSON.stringify(r.body));
    if (!has('content-type')) headers['content-type'] = 'application/json';
  }
  return { headers, body };
}

/** Opens a request and resolves with the response once its headers arrive. */
export function open(port: number, r: Req): Promise<{ req: http.ClientRequest; res: IncomingMessage }> {
  const { headers, body } = outgoing(r);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: r.to ?? '127.0.0.1', port, method: r.method ?? (body ? 'POST' : 'GET'), path: r.path, headers, localAddress: r.from ?? '127.0.0.2', agent: false });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`deadline: no response headers for ${r.method ?? ''} ${r.path}`));
    }, DEADLINE_MS);
    req.on('response', (res) => {
      clearTimeout(timer);
      resolve({ req, res });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

/** Reads a response to its end (or close), timing every chunk. */
export function collect(res: IncomingMessage, req?: http.ClientRequest): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const chunks: Chunk[] = [];
    let ended = false;
    const timer = setTimeout(() => {
      req?.destroy();
      res.destroy();
      reject(new Error(`deadline: response body did not end (${chunks.length} chunks so far)`));
    }, DEADLINE_MS);
    res.on('data', (d: Buffer) => chunks.push({ at: performance.now(), text: d.toString('utf8') }));
    res.on('end', () => (ended = true));
    res.on('error', () => {});
    res.on('close', () => {
      clearTimeout(timer);
      const text = chunks.map((c) => c.text).join('');
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text, chunks, ended, endedAt: performance.now(), json: () => JSON.parse(text) });
    });
  });
}

export async function request(port: number, r: Req): Promise<Reply> {
  const { req, res } = await open(port, r);
  return collect(res, req);
}

/** Writes raw bytes from `from` and returns everything received until the server closes, `until` holds, or the deadline. */
export function raw(port: number, data: string | Buffer, options: { from?: string; until?: (text: string) => boolean } = {}): Promise<{ text: string; closed: boolean; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: options.from ?? '127.0.0.2' });
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => done(false), DEADLINE_MS);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (options.until?.(text)) done(false);
    });
    socket.on('close', () => done(true));
    socket.on('error', () => {});
    socket.write(data);
  });
}

export interface SseEvent {
  event?: string;
  data: string;
  comment?: string;
}

/** Splits an SSE body into events; comment-only blocks (": keep-alive") come back as { comment }. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split(/\r?\n/);
      if (lines.every((l) => l.startsWith(':'))) return { data: '', comment: lines.map((l) => l.slice(1).trim()).join('\n') };
      let event: string | undefined;
      const data: string[] = [];
      for (const line of lines) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      return { event, data: data.join('\n') };
    });
}

/** The parts of a gateway-made error body that matter, whatever the provider's shape. */
export function errorOf(style: 'anthropic' | 'openai' | 'gemini', body: any): { message: string } {
  if (style === 'anthropic') {
    assert.equal(body.type, 'error', `anthropic error shape: ${JSON.stringify(body)}`);
    assert.equal(typeof body.error?.type, 'string');
  } else if (style === 'gemini') {
    assert.equal(typeof body.error?.code, 'number', `gemini error shape: ${JSON.stringify(body)}`);
    assert.equal(typeof body.error?.status, 'string');
  } else {
    assert.equal(typeof body.error?.type, 'string', `openai error shape: ${JSON.stringify(body)}`);
    assert.ok('code' in body.error);
    assert.equal(body.type, undefined);
  }
  assert.equal(typeof body.error.message, 'string');
  return { message: body.error.message };
}

/** Asserts a gateway refusal: status, error shape, message, and nothing sent upstream. */
export function assertRefused(reply: Reply, mock: MockProvider, status: number | number[], style: 'anthropic' | 'openai' | 'gemini', message: RegExp | string): void {
  assert.ok([status].flat().includes(reply.status), `status ${reply.status}, expected ${status}: ${reply.text}`);
  assert.match(String(reply.headers['content-type']), /application\/json/);
  assert.ok(reply.headers['x-gatehouse-request-id'], 'x-gatehouse-request-id');
  const { message: got } = errorOf(style, reply.json());
  if (typeof message === 'string') assert.equal(got, message);
  else assert.match(got, message);
  assert.equal(mock.requests.length, 0, `nothing may go upstream, got ${mock.requests.map((r) => r.url).join(', ')}`);
}

export const ANTHROPIC_BODY = { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
export const CHAT_BODY = { model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] };

/** The built-in catalog plus `extra` models, written to a temp file for GATEHOUSE_MODELS. */
export function catalogWith(extra: object[]): string {
  const file = path.join(tempDir('gatehouse-catalog-'), 'models.json');
  const catalog = JSON.parse(fs.readFileSync(new URL('../../../catalog/models.json', import.meta.url), 'utf8'));
  catalog.models.push(...extra);
  fs.writeFileSync(file, JSON.stringify(catalog));
  return file;
}

/** Whether this host can listen on [::] (dual stack), for the IPv4-mapped address test. */
export function canListenDualStack(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::', () => server.close(() => resolve(true)));
  });
}
