// Issue #6, gateway side: an API key identifies a caller that is not a VM (127.0.0.1 here), on
// every route style and in all three key headers; it reaches only the integrations and models in
// its scope; unknown, malformed, revoked and expired keys are refused at once in the provider's
// error shape with nothing sent upstream; key traffic is metered to the key.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiKeyIndex } from '../../src/core/apiKeyIndex.js';
import { Changes } from '../../src/core/changes.js';
import { loadSecretKey, Sealer } from '../../src/core/secrets.js';
import { openDatabase } from '../../src/db/open.js';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { DATABASES } from '../helpers/databases.js';
import { operatorEnv } from '../helpers/gateway.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { exec, signUp, type KeyPair } from '../helpers/ssh.js';
import { silentLog } from '../../src/log.js';

const OPERATOR = { anthropic: 'sk-ant-operator-k1', openai: 'sk-openai-operator-k2', fireworks: 'fw-operator-k3', gemini: 'AIza-operator-k4' };
const DEADLINE_MS = 10_000;
const HOST = '127.0.0.1'; // the test process: not a registered VM
const VM = '127.0.0.2';
const int = (name: string) => `${name}.int.gatehouse.localhost`;
const CATALOG = JSON.parse(fs.readFileSync(new URL('../../../catalog/models.json', import.meta.url), 'utf8')) as { models: { id: string; provider: string; price: { input: number; output: number } }[] };

// ---- a small HTTP client (test/helpers/gateway.ts belongs to other work) ----
interface Req {
  from?: string;
  host?: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: object;
}
interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  ms: number;
  json(): any;
}

function open(port: number, r: Req): Promise<IncomingMessage> {
  const body = r.body === undefined ? undefined : Buffer.from(JSON.stringify(r.body));
  const headers: Record<string, string> = { ...(body ? { 'content-type': 'application/json' } : {}), ...(r.host ? { host: r.host } : {}), ...r.headers };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, localAddress: r.from ?? HOST, method: r.method ?? (body ? 'POST' : 'GET'), path: r.path, headers, agent: false });
    const timer = setTimeout(() => req.destroy(new Error(`deadline: ${r.path}`)), DEADLINE_MS);
    req.on('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

function read(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('deadline: body did not end')), DEADLINE_MS);
    res.on('data', (d: Buffer) => (text += d.toString('utf8')));
    res.on('end', () => {
      clearTimeout(timer);
      resolve(text);
    });
    res.on('error', reject);
  });
}

async function call(port: number, r: Req): Promise<Reply> {
  const started = performance.now();
  const res = await open(port, r);
  const text = await read(res);
  return { status: res.statusCode ?? 0, headers: res.headers, text, ms: performance.now() - started, json: () => JSON.parse(text) };
}

/** Raw bytes on a socket (for header values node's client refuses to send); returns the status. */
function rawStatus(port: number, data: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: HOST });
    let text = '';
    const timer = setTimeout(() => socket.destroy(new Error('deadline: raw request')), DEADLINE_MS);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.end(data);
  });
}

function randomKey(length = 40): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return 'gk_' + [...crypto.randomBytes(length)].map((b) => alphabet[b % 62]).join('');
}

type Style = 'anthropic' | 'openai' | 'gemini';
/** The message of an error body, after checking it has the shape that API's SDKs parse. */
function errorMessage(style: Style, reply: Reply): string {
  assert.match(String(reply.headers['content-type']), /application\/json/);
  const body = reply.json();
  if (style === 'anthropic') {
    assert.equal(body.type, 'error', reply.text);
    assert.equal(typeof body.error.type, 'string');
  } else if (style === 'gemini') {
    assert.equal(body.error.code, reply.status, reply.text);
    assert.equal(typeof body.error.status, 'string');
  } else {
    assert.equal(typeof body.error.type, 'string', reply.text);
    assert.ok('code' in body.error);
  }
  return body.error.message;
}

// ---- the installation under test ----
for (const database of DATABASES) describe(`API keys at the gateway (${database.name})`, () => {
  let gh: TestGatehouse;
  let mock: MockProvider;
  let alice: KeyPair;
  let bob: KeyPair;
  const minted: string[] = [];

  async function ok(user: KeyPair, command: string): Promise<string> {
    const r = await exec(gh.sshPort, user, command);
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    return r.stdout;
  }

  /** keys create … --json; returns the secret. */
  async function mint(user: KeyPair, flags: string): Promise<string> {
    const out = JSON.parse(await ok(user, `keys create ${flags} --json`));
    assert.match(out.key, /^gk_[A-Za-z0-9]{40}$/);
    minted.push(out.key);
    return out.key;
  }

  const port = () => gh.gatewayPort;
  const ANTHROPIC_BODY = { model: 'claude-sonnet-5-5', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] };
  const CHAT_BODY = { model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] };
  const GEMINI_BODY = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };

  /** Asserts that nothing new went upstream while `fn` ran. */
  async function nothingUpstream<T>(fn: () => Promise<T>): Promise<T> {
    const before = mock.requests.length;
    const out = await fn();
    assert.deepEqual(mock.requests.slice(before).map((r) => r.url), [], 'nothing may go upstream');
    return out;
  }

  before(async () => {
    mock = await startMockProvider({ keys: OPERATOR });
    const env: Record<string, string> = { ...(await database.env()), GATEHOUSE_MONTHLY_CREDITS: '1000', ...operatorEnv(mock.url, OPERATOR) };
    gh = await startTestGatehouse(env);
    [alice, bob] = await Promise.all([signUp(gh.sshPort, 'alice'), signUp(gh.sshPort, 'bob')]);
    await ok(alice, `new --name devbox --address ${VM}`);
    await ok(alice, 'integrations add llm --name work');
    await ok(bob, 'integrations add llm --name bobs');
  });

  after(async () => {
    await gh?.stop();
    await mock?.close();
  });

  describe('an API key identifies a caller that is not a VM (issue #6)', () => {
    const routes: { name: string; style: Style; req: Omit<Req, 'headers'>; upstream?: string }[] = [
      { name: 'metadata anthropic', style: 'anthropic', req: { path: '/gateway/llm/anthropic/v1/messages', body: ANTHROPIC_BODY }, upstream: '/v1/messages' },
      { name: 'metadata openai', style: 'openai', req: { path: '/gateway/llm/openai/v1/chat/completions', body: CHAT_BODY }, upstream: '/v1/chat/completions' },
      { name: 'metadata gemini', style: 'gemini', req: { path: '/gateway/llm/gemini/v1beta/models/gemini-2.5-flash:generateContent', body: GEMINI_BODY }, upstream: '/v1beta/models/gemini-2.5-flash:generateContent' },
      { name: 'host /v1/messages', style: 'anthropic', req: { host: int('llm'), path: '/v1/messages?beta=true', body: ANTHROPIC_BODY }, upstream: '/v1/messages' },
      { name: 'host /v1/chat/completions', style: 'openai', req: { host: int('llm'), path: '/v1/chat/completions', body: CHAT_BODY }, upstream: '/v1/chat/completions' },
      { name: 'host fireworks by model', style: 'openai', req: { host: int('llm'), path: '/v1/chat/completions', body: { ...CHAT_BODY, model: 'accounts/fireworks/models/llama-v3p1-8b-instruct' } }, upstream: '/inference/v1/chat/completions' },
      { name: 'host gemini native', style: 'gemini', req: { host: int('llm'), path: '/v1/models/gemini-2.5-flash:generateContent', body: GEMINI_BODY }, upstream: '/v1/models/gemini-2.5-flash:generateContent' },
      { name: 'host provider prefix', style: 'anthropic', req: { host: int('llm'), path: '/anthropic/v1/messages', body: ANTHROPIC_BODY }, upstream: '/v1/messages' },
      { name: 'host GET /v1/models', style: 'openai', req: { host: int('llm'), path: '/v1/models' } },
    ];
    const carriers: Record<string, (key: string) => Record<string, string>> = {
      bearer: (key) => ({ authorization: `Bearer ${key}` }),
      'x-api-key': (key) => ({ 'x-api-key': key }),
      'x-goog-api-key': (key) => ({ 'x-goog-api-key': key }),
    };

    it('in Authorization: Bearer, x-api-key or x-goog-api-key, on every route style; upstream sees only the operator key', async () => {
      const key = await mint(alice, '--name everywhere');
      for (const route of routes) {
        for (const [carrier, headers] of Object.entries(carriers)) {
          const before = mock.requests.length;
          const reply = await call(port(), { ...route.req, headers: headers(key) });
          assert.equal(reply.status, 200, `${route.name} with ${carrier}: ${reply.text}`);
          const seen = mock.requests.slice(before);
          if (!route.upstream) {
            assert.equal(seen.length, 0, 'the model list is answered by the gateway');
            assert.ok(reply.json().data.some((m: { id: string }) => m.id === 'claude-sonnet-5-5'));
            continue;
          }
          assert.equal(seen.length, 1, `${route.name} with ${carrier}`);
          assert.equal(seen[0].status, 200, `the mock accepted the operator's credential (${route.name}, ${carrier})`);
          assert.equal(seen[0].path, route.upstream);
          assert.ok(!JSON.stringify(seen[0]).includes('gk_'), `the API key went upstream (${route.name}, ${carrier})`);
        }
      }
    });

    it('the Authorization scheme is case-insensitive: "bearer gk_…" is a key, not an anonymous call', async () => {
      const key = await mint(alice, '--name lowercase');
      for (const authorization of [`bearer ${key}`, `BEARER  ${key}`]) {
        const reply = await call(port(), { path: '/gateway/llm/anthropic/v1/messages', headers: { authorization }, body: ANTHROPIC_BODY });
        assert.equal(reply.status, 200, `${authorization.slice(0, 8)}…: ${reply.text}`);
      }
      await nothingUpstream(async () => {
        const reply = await call(port(), { from: VM, path: '/gateway/llm/anthropic/v1/messages', headers: { authorization: `bearer ${randomKey()}` }, body: ANTHROPIC_BODY });
        assert.equal(reply.status, 401, 'a bad key is refused, even from a VM address');
      });
    });

    it('acts only on the integrations in its scope: via /gateway/NAME/… and NAME.int Host; others are 403', async () => {
      const llmOnly = await mint(alice, '--name llm-only --integration llm');
      const everything = await mint(alice, '--name all-of-mine');
      const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
      assert.equal((await call(port(), { path: '/gateway/llm/anthropic/v1/messages', headers: bearer(llmOnly), body: ANTHROPIC_BODY })).status, 200);
      await nothingUpstream(async () => {
        const byPath = await call(port(), { path: '/gateway/work/anthropic/v1/messages', headers: bearer(llmOnly), body: ANTHROPIC_BODY });
        assert.equal(byPath.status, 403);
        assert.match(errorMessage('anthropic', byPath), /API key "llm-only" is not scoped to integration "work"/);
        const byHost = await call(port(), { host: int('work'), path: '/v1/chat/completions', headers: bearer(llmOnly), body: CHAT_BODY });
        assert.equal(byHost.status, 403);
        assert.match(errorMessage('openai', byHost), /not scoped to integration "work"/);
        const models = await call(port(), { host: int('work'), path: '/v1/models', headers: { 'x-api-key': llmOnly } });
        assert.equal(models.status, 403);
      });
      // The default scope is every integration of the key's user, and only that user's.
      assert.equal((await call(port(), { host: int('work'), path: '/v1/messages', headers: bearer(everything), body: ANTHROPIC_BODY })).status, 200);
      await nothingUpstream(async () => {
        const bobs = await call(port(), { path: '/gateway/bobs/anthropic/v1/messages', headers: bearer(everything), body: ANTHROPIC_BODY });
        assert.equal(bobs.status, 404);
        assert.match(errorMessage('anthropic', bobs), /integration "bobs" not found/);
        const reflection = await call(port(), { host: int('reflection'), path: '/email', headers: bearer(everything) });
        assert.equal(reflection.status, 403, 'reflection answers VMs only');
      });
    });

    it('a revoked key is refused at once (401, provider error shape), before anything goes upstream', async () => {
      const key = await mint(alice, '--name short-lived');
      assert.equal((await call(port(), { path: '/gateway/llm/openai/v1/chat/completions', headers: { authorization: `Bearer ${key}` }, body: CHAT_BODY })).status, 200);
      await ok(alice, 'keys revoke short-lived');
      const revokedAt = performance.now();
      await nothingUpstream(async () => {
        const cases: [Style, Req][] = [
          ['anthropic', { path: '/gateway/llm/anthropic/v1/messages', headers: { 'x-api-key': key }, body: ANTHROPIC_BODY }],
          ['openai', { host: int('llm'), path: '/v1/chat/completions', headers: { authorization: `Bearer ${key}` }, body: CHAT_BODY }],
          ['gemini', { host: int('llm'), path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', headers: { 'x-goog-api-key': key }, body: GEMINI_BODY }],
          ['openai', { host: int('llm'), path: '/v1/models', headers: { authorization: `Bearer ${key}` } }],
        ];
        for (const [style, req] of cases) {
          const reply = await call(port(), req);
          assert.equal(reply.status, 401, `${req.path}: ${reply.text}`);
          assert.match(errorMessage(style, reply), /invalid API key: it is unknown, revoked or expired; mint a new one over SSH with "keys create"/);
        }
      });
      assert.ok(performance.now() - revokedAt < 1000, 'revocation takes effect within a second');
    });

    it('an expired key is refused: the index drops it at its expiry instant, and the gateway answers 401', async () => {
      const key = await mint(alice, '--name brief --expires 1m');
      assert.equal((await call(port(), { path: '/gateway/llm/anthropic/v1/messages', headers: { authorization: `Bearer ${key}` }, body: ANTHROPIC_BODY })).status, 200);
      // A second reader of the same database, built from the same public pieces as the server's.
      const db = await openDatabase(gh.config.database);
      try {
        const index = new ApiKeyIndex(db, new Sealer(loadSecretKey(undefined, gh.dataDir)), silentLog, new Changes());
        const found = await index.find(key);
        assert.ok(found, 'a live key is found');
        assert.equal(found.name, 'brief');
        assert.ok(found.expiresAt !== null && Math.abs(found.expiresAt - (Date.now() + 60_000)) < 10_000, '--expires 1m: one minute from now');
        assert.ok(await index.find(key, found.expiresAt - 1), 'still valid just before its expiry');
        assert.equal(await index.find(key, found.expiresAt), undefined, 'expired at its expiry instant');
        assert.equal(await index.find(key, found.expiresAt + 86_400_000), undefined);
        // Let the minute pass: move the expiry into the past (the server has no clock to advance),
        // then make any key change over SSH so the server reloads its keys.
        await db.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', found.id).execute();
      } finally {
        await db.destroy();
      }
      await mint(alice, '--name reload-keys');
      await nothingUpstream(async () => {
        const reply = await call(port(), { path: '/gateway/llm/anthropic/v1/messages', headers: { authorization: `Bearer ${key}` }, body: ANTHROPIC_BODY });
        assert.equal(reply.status, 401);
        assert.match(errorMessage('anthropic', reply), /unknown, revoked or expired/);
      });
      assert.match(await ok(alice, 'keys list'), /^brief\s.*expired \d{4}-\d\d-\d\d/m);
    });

    it('random, malformed, oversized and empty keys get a fast 401 and nothing goes upstream', async () => {
      await nothingUpstream(async () => {
        const bad: [string, Record<string, string>][] = [
          ['random Bearer', { authorization: `Bearer ${randomKey()}` }],
          ['random x-api-key', { 'x-api-key': randomKey() }],
          ['random x-goog-api-key', { 'x-goog-api-key': randomKey() }],
          ['short', { 'x-api-key': 'gk_short' }],
          ['41 characters', { authorization: `Bearer ${randomKey(41)}` }],
          ['bad characters', { authorization: `Bearer gk_${'-'.repeat(40)}` }],
          ['10 KB', { authorization: `Bearer gk_${'A'.repeat(10 * 1024)}` }],
          ['bare prefix', { 'x-api-key': 'gk_' }],
        ];
        for (const [what, headers] of bad) {
          const reply = await call(port(), { path: '/gateway/llm/anthropic/v1/messages', headers, body: ANTHROPIC_BODY });
          assert.equal(reply.status, 401, `${what}: ${reply.text}`);
          assert.match(errorMessage('anthropic', reply), /invalid API key/, what);
          assert.ok(reply.ms < 1000, `${what}: refused in ${reply.ms} ms`);
        }
        for (const empty of ['Bearer', 'Bearer ', '']) {
          const reply = await call(port(), { path: '/gateway/llm/anthropic/v1/messages', headers: { authorization: empty }, body: ANTHROPIC_BODY });
          assert.equal(reply.status, 401, `empty bearer "${empty}"`);
        }
        // UTF-8 in the header: node's client refuses to send it, so write the request by hand.
        const body = JSON.stringify(ANTHROPIC_BODY);
        const unicode = await rawStatus(
          port(),
          Buffer.from(`POST /gateway/llm/anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: gk_ÄÖÜ${'é'.repeat(37)}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`),
        );
        assert.equal(unicode.status, 401, unicode.text);
        // Claude Code fires bursts (count_tokens) and retries 401s: every one is refused, quickly.
        const started = performance.now();
        const burst = await Promise.all(Array.from({ length: 25 }, () => call(port(), { host: int('llm'), path: '/v1/messages/count_tokens?beta=true', headers: { authorization: `Bearer ${randomKey()}` }, body: ANTHROPIC_BODY })));
        assert.deepEqual(new Set(burst.map((r) => r.status)), new Set([401]));
        assert.ok(performance.now() - started < 3000, 'a burst of 25 bad keys is refused within 3 s');
      });
    });

    it('with neither a key nor a VM address: 401 whose message names both ways in', async () => {
      await nothingUpstream(async () => {
        for (const [style, req] of [
          ['anthropic', { path: '/gateway/llm/anthropic/v1/messages', body: ANTHROPIC_BODY }],
          ['openai', { host: int('llm'), path: '/v1/chat/completions', body: CHAT_BODY, headers: { authorization: 'Bearer sk-not-a-gatehouse-key' } }],
          ['gemini', { host: int('llm'), path: '/v1beta/models/gemini-2.5-flash:generateContent', body: GEMINI_BODY }],
        ] as [Style, Req][]) {
          const reply = await call(port(), req);
          assert.equal(reply.status, 401);
          const message = errorMessage(style, reply);
          assert.match(message, /not a registered VM/);
          assert.match(message, /new --address/);
          assert.match(message, /API key/);
        }
      });
    });

    it('a VM that sends a dummy non-gk key is still identified by its address; the dummy never goes upstream', async () => {
      const dummies: [Req, string][] = [
        [{ from: VM, path: '/gateway/llm/openai/v1/chat/completions', headers: { authorization: 'Bearer sk-dummy' }, body: CHAT_BODY }, 'authorization'],
        [{ from: VM, host: int('llm'), path: '/v1/messages', headers: { 'x-api-key': 'sk-dummy' }, body: ANTHROPIC_BODY }, 'x-api-key'],
        [{ from: VM, host: int('llm'), path: '/v1beta/models/gemini-2.5-flash:generateContent', headers: { 'x-goog-api-key': 'dummy' }, body: GEMINI_BODY }, 'x-goog-api-key'],
      ];
      for (const [req, header] of dummies) {
        const before = mock.requests.length;
        const reply = await call(port(), req);
        assert.equal(reply.status, 200, `${header}: ${reply.text}`);
        const [seen] = mock.requests.slice(before);
        assert.equal(seen.status, 200, 'the operator credential replaced the dummy');
        assert.ok(!/sk-dummy|: dummy|"dummy"/.test(JSON.stringify(seen.headers)), `dummy forwarded: ${JSON.stringify(seen.headers)}`);
      }
      // A gatehouse key wins over the address: a bad one is refused even from a VM.
      await nothingUpstream(async () => {
        const reply = await call(port(), { from: VM, path: '/gateway/llm/openai/v1/chat/completions', headers: { authorization: `Bearer ${randomKey()}` }, body: CHAT_BODY });
        assert.equal(reply.status, 401);
      });
    });
  });

  describe('model scopes: the integration models intersected with the key models (issue #6)', () => {
    it('GET /v1/models lists only what this key may use; any other model is 403 naming it, before upstream', async () => {
      await ok(alice, "integrations add llm --name scoped --models 'claude-*,gpt-5*'");
      const key = await mint(alice, "--name sonnets --integration scoped --models 'claude-sonnet-*,gpt-4*'");
      const expected = CATALOG.models.filter((m) => /^claude-sonnet-/.test(m.id)).map((m) => m.id);
      assert.ok(expected.length >= 2);
      const openaiList = await call(port(), { host: int('scoped'), path: '/v1/models', headers: { authorization: `Bearer ${key}` } });
      assert.equal(openaiList.status, 200);
      assert.deepEqual(openaiList.json().data.map((m: { id: string }) => m.id).sort(), [...expected, ...expected.map((id) => `anthropic/${id}`)].sort());
      const anthropicList = await call(port(), { host: int('scoped'), path: '/v1/models', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' } });
      assert.deepEqual(anthropicList.json().data.map((m: { id: string }) => m.id).sort(), [...expected].sort());

      await nothingUpstream(async () => {
        const refusals: [string, RegExp][] = [
          ['claude-opus-5-5', /model "claude-opus-5-5" is not allowed by this API key/],
          ['gpt-5.5', /model "gpt-5.5" is not allowed by this API key/],
          ['gpt-4o', /model "gpt-4o" is not allowed by integration "scoped"/],
          ['gemini-2.5-flash', /model "gemini-2.5-flash" is not allowed by/],
        ];
        for (const [model, message] of refusals) {
          const reply = await call(port(), { host: int('scoped'), path: '/v1/chat/completions', headers: { authorization: `Bearer ${key}` }, body: { ...CHAT_BODY, model } });
          assert.equal(reply.status, 403, `${model}: ${reply.text}`);
          assert.match(errorMessage('openai', reply), message);
        }
        const native = await call(port(), { path: '/gateway/scoped/anthropic/v1/messages', headers: { authorization: `Bearer ${key}` }, body: { ...ANTHROPIC_BODY, model: 'claude-haiku-4-5' } });
        assert.equal(native.status, 403);
        assert.match(errorMessage('anthropic', native), /"claude-haiku-4-5"/);
      });
      const allowed = await call(port(), { host: int('scoped'), path: '/v1/messages', headers: { authorization: `Bearer ${key}` }, body: { ...ANTHROPIC_BODY, model: expected[0] } });
      assert.equal(allowed.status, 200, allowed.text);
    });

    // Found while writing these tests: on /gateway/NAME/PROVIDER/… a GET that named no model skipped
    // the model scope and went upstream with the operator's key. Now a models list is answered from
    // the catalog (scoped) and any other model-less call on the managed key is refused.
    it('a claude-only key cannot reach another provider upstream with a model-less GET', async () => {
      const key = await mint(alice, "--name claude-get --models 'claude-*'");
      await nothingUpstream(async () => {
        for (const path of ['/gateway/llm/openai/v1/models', '/gateway/llm/gemini/v1beta/models']) {
          const reply = await call(port(), { path, headers: { authorization: `Bearer ${key}` } });
          assert.equal(reply.status, 200, path);
          const body = reply.json();
          assert.deepEqual(body.data ?? body.models, [], `${path} lists nothing outside the key's scope`);
        }
        const files = await call(port(), { path: '/gateway/llm/openai/v1/files', headers: { authorization: `Bearer ${key}` } });
        assert.equal(files.status, 403);
        assert.match(files.json().error.message, /serves model calls only/);
      });
    });

    it('a key --models alone narrows an unrestricted integration', async () => {
      const key = await mint(alice, "--name claude-only --models 'claude-*'");
      const ids: string[] = (await call(port(), { host: int('llm'), path: '/v1/models', headers: { authorization: `Bearer ${key}` } })).json().data.map((m: { id: string }) => m.id);
      const claude = CATALOG.models.filter((m) => m.provider === 'anthropic').map((m) => m.id);
      assert.deepEqual(ids.sort(), [...claude, ...claude.map((id) => `anthropic/${id}`)].sort());
    });
  });

  describe('key traffic is metered to the key (issue #6)', () => {
    it('usage --group key shows the key with its requests and tokens, charged like VM traffic', async () => {
      const key = await mint(alice, '--name metered');
      const scenario = JSON.stringify({ usage: { input: 100, output: 20, cacheRead: 0, cacheWrite: 0 } });
      for (let i = 0; i < 2; i++) {
        const reply = await call(port(), { path: '/gateway/llm/anthropic/v1/messages', headers: { authorization: `Bearer ${key}`, 'x-mock-scenario': scenario }, body: ANTHROPIC_BODY });
        assert.equal(reply.status, 200);
      }
      // The same request from the VM, for comparison: its row goes to "-", not to the key.
      const fromVm = await call(port(), { from: VM, path: '/gateway/llm/anthropic/v1/messages', headers: { 'x-mock-scenario': scenario }, body: ANTHROPIC_BODY });
      assert.equal(fromVm.status, 200);
      const report = JSON.parse(await ok(alice, 'usage --group key --json'));
      const row = report.rows.find((r: { key: string }) => r.key === 'metered');
      assert.ok(row, JSON.stringify(report));
      const price = CATALOG.models.find((m) => m.id === ANTHROPIC_BODY.model)!.price;
      const perRequest = Math.round(100 * price.input + 20 * price.output);
      assert.ok(perRequest > 0);
      assert.deepEqual(
        { requests: row.requests, input: row.input_tokens, output: row.output_tokens, cost: row.cost_micros },
        { requests: 2, input: 200, output: 40, cost: 2 * perRequest },
      );
      assert.ok(report.rows.some((r: { key: string; requests: number }) => r.key === '-' && r.requests >= 1), 'VM traffic is not attributed to a key');
      assert.ok(!JSON.stringify(report).includes(key.slice(3)), 'usage never shows the key');
      // Bob sees none of it.
      assert.ok(!JSON.parse(await ok(bob, 'usage --group key --json')).rows.some((r: { key: string }) => r.key === 'metered'));
    });
  });

  describe('revocation while a request streams (issue #6)', () => {
    it('the open stream finishes normally; the next request with that key is 401', async () => {
      const key = await mint(alice, '--name streaming');
      // A stream that pauses after its first events until the test lets it go: the revoke then
      // happens mid-stream by construction, not by timing.
      const fixture = fs.readFileSync(new URL('../../../test/fixtures/anthropic/messages-stream.sse', import.meta.url), 'utf8');
      const cut = fixture.indexOf('event: content_block_delta');
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      mock.setHandler(async (ctx) => {
        if (ctx.record.headers['x-test-hold'] !== '1') return false;
        ctx.res.writeHead(200, { 'content-type': 'text/event-stream' });
        ctx.res.write(fixture.slice(0, cut));
        await released;
        ctx.res.end(fixture.slice(cut));
        return true;
      });
      try {
        const res = await open(port(), { path: '/gateway/llm/anthropic/v1/messages', headers: { authorization: `Bearer ${key}`, 'x-test-hold': '1' }, body: { ...ANTHROPIC_BODY, stream: true } });
        assert.equal(res.statusCode, 200);
        let text = '';
        const firstEvent = new Promise<void>((resolve) =>
          res.on('data', (d: Buffer) => {
            text += d.toString();
            if (text.includes('message_start')) resolve();
          }),
        );
        const ended = new Promise<void>((resolve, reject) => {
          res.on('end', resolve);
          res.on('error', reject);
        });
        await firstEvent;
        await ok(alice, 'keys revoke streaming');
        const next = await nothingUpstream(() => call(port(), { path: '/gateway/llm/anthropic/v1/messages', headers: { authorization: `Bearer ${key}` }, body: ANTHROPIC_BODY }));
        assert.equal(next.status, 401, 'revoked while the stream is still open');
        assert.ok(!text.includes('message_stop'), 'the first stream was still open when the key was revoked');
        release();
        await ended;
        assert.equal(text, fixture, 'the stream finished normally, byte for byte');
      } finally {
        release();
        mock.setHandler(undefined);
      }
      const report = JSON.parse(await ok(alice, 'usage --group key --json'));
      const row = report.rows.find((r: { key: string }) => r.key === 'streaming');
      assert.deepEqual({ requests: row?.requests, output: row?.output_tokens }, { requests: 1, output: 87 }, 'the finished stream is metered to the key');
    });
  });

  describe('keys stay out of logs (issue #6)', () => {
    it('no key minted in this file appears in the server log', () => {
      assert.ok(minted.length >= 8);
      for (const key of minted) assert.ok(!gh.logLines.some((l) => l.includes(key.slice(3))), 'a key reached the log');
    });
  });
});
