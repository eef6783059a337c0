// Issues 11.7 and 15, with the real client: Codex 0.169's built-in OpenAI provider, pointed at
// gatehouse with only `openai_base_url`, first opens a WebSocket on /responses. gatehouse relays it
// to the upstream's Responses WebSocket and the turn completes over it (issue 15.1); before issue 15
// it answered 426, on which Codex falls back to HTTP at once (with a 400 it gave up: exit 1).
// Codex is installed outside the product's dependencies by .ci/run (npm install --prefix .clients);
// where it is missing, this test says so and skips.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { tempDir } from '../helpers/gatehouse.js';
import { BASE_PATH, OPERATOR_KEYS, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';
import { refusingUpgrades } from '../helpers/websocket.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CODEX = process.env.GATEHOUSE_TEST_CODEX ?? path.join(ROOT, '.clients', 'node_modules', '.bin', 'codex');
const installed = fs.existsSync(CODEX);
const DEADLINE_MS = 60_000;

let env: GatewayEnv;
let proxy: net.Server;
/** Per connection, in order: its first request line (with whether it asked to upgrade) and its answer's status line. */
const wire: { request: string; upgrade: boolean; answer?: string }[] = [];
const shownWire = () => wire.map((c) => `${c.request}${c.upgrade ? ' [upgrade]' : ''} -> ${c.answer ?? '(no answer)'}`).join('\n');

before(async () => {
  if (!installed) return;
  env = await startGatewayEnv();
  // A plain TCP pass-through in front of the gateway that notes each connection's first request
  // and answer line: the only way to see the upgrade attempt Codex makes before its HTTP call.
  proxy = net.createServer((client) => {
    const upstream = net.connect(env.port, '127.0.0.1');
    const seen: (typeof wire)[number] = { request: '' , upgrade: false };
    client.once('data', (d: Buffer) => {
      const head = d.toString('latin1');
      Object.assign(seen, { request: head.split('\r\n')[0], upgrade: /^upgrade: websocket/im.test(head) });
      wire.push(seen);
    });
    upstream.once('data', (d: Buffer) => (seen.answer = d.toString('latin1').split('\r\n')[0]));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  if (!installed) return;
  proxy.close();
  await env.stop();
});

function codex(args: string[], home: string, apiKey: string, stdin = ''): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(CODEX, args, { env: { ...process.env, CODEX_HOME: home, OPENAI_API_KEY: apiKey, RUST_LOG: 'warn' }, cwd: home });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`codex deadline; stderr: ${err.slice(-1000)}`));
    }, DEADLINE_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    child.stdin.end(stdin);
  });
}

it('issue 15.1: stock Codex (only openai_base_url set) completes its turn over the WebSocket: one upgrade, answered 101, no HTTP fallback', { skip: installed ? false : `Codex is not installed at ${CODEX} (.ci/run installs it)` }, async () => {
  const key = JSON.parse(await env.ok(env.alice, 'keys create --name codex --json')).key as string;
  const home = tempDir('gatehouse-codex-');
  assert.equal((await codex(['login', '--with-api-key'], home, key, key)).code, 0);
  const base = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}/gateway/llm/openai/v1`;
  const r = await codex(['exec', '--skip-git-repo-check', '-m', 'gpt-5.5', '-c', `openai_base_url="${base}"`, 'say hello'], home, key);
  assert.equal(r.code, 0, `codex exit ${r.code}; stderr: ${r.err.slice(-1500)}\nwire:\n${shownWire()}`);
  const upgrades = wire.filter((c) => c.upgrade);
  assert.equal(upgrades.length, 1, `one WebSocket, no reconnect:\n${shownWire()}`);
  assert.match(upgrades[0].request, /^GET \/gateway\/llm\/openai\/v1\/responses HTTP\/1\.1$/);
  assert.match(upgrades[0].answer ?? '', /^HTTP\/1\.1 101 /);
  assert.ok(!wire.some((c) => /^POST \/gateway\/llm\/openai\/v1\/responses /.test(c.request)), `no HTTP fallback:\n${shownWire()}`);
  assert.equal(env.mock.sockets.length, 1);
  assert.equal(env.mock.sockets[0].headers.authorization, `Bearer ${OPERATOR_KEYS.openai}`, 'upstream saw the operator key');
  assert.ok(env.mock.sockets[0].frames.some((f) => JSON.parse(f.data).type === 'response.create'), 'a turn went upstream over the WebSocket');
  assert.match(r.out, /Hello/);
});

it('issue 15.3: stock Codex against an upstream that refuses the WebSocket gets 426, falls back to HTTP at once and completes the turn', { skip: installed ? false : `Codex is not installed at ${CODEX} (.ci/run installs it)` }, async () => {
  const front = await refusingUpgrades(env.mock.port);
  const other = await startGatewayEnv({ upstreams: { openai: `http://127.0.0.1:${front.port}${BASE_PATH}` } });
  try {
    env.mock.reset();
    const key = JSON.parse(await other.ok(other.alice, 'keys create --name codex --json')).key as string;
    const home = tempDir('gatehouse-codex-');
    assert.equal((await codex(['login', '--with-api-key'], home, key, key)).code, 0);
    const base = `http://127.0.0.1:${other.port}/gateway/llm/openai/v1`;
    const r = await codex(['exec', '--skip-git-repo-check', '-m', 'gpt-5.5', '-c', `openai_base_url="${base}"`, 'say hello'], home, key);
    assert.equal(r.code, 0, `codex exit ${r.code}; stderr: ${r.err.slice(-1500)}`);
    assert.equal(front.refused, 1, 'one WebSocket attempt, no retries');
    assert.ok(env.mock.requests.some((q) => q.method === 'POST' && q.url === `${BASE_PATH}/v1/responses`), 'the turn went upstream over HTTP');
  } finally {
    await other.stop();
    await front.close();
  }
});
