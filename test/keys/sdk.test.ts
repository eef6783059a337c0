// Issue #6 acceptance, with the official SDKs a laptop would use: a key minted with
// `keys create --name laptop --models 'claude-*' --expires 7d` drives @anthropic-ai/sdk (which
// sends it as Authorization: Bearer) through the operator's key; a gpt-* call with the same key is
// refused 403; after `keys revoke laptop` the next call is 401.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { exec, signUp, type KeyPair } from '../helpers/ssh.js';

const OPERATOR = { anthropic: 'sk-ant-operator-sdk', openai: 'sk-openai-operator-sdk' };
const DAY = 86_400_000;

for (const database of DATABASES) describe(`official SDKs with a key (${database.name})`, () => {
  let gh: TestGatehouse;
  let mock: MockProvider;
  let alice: KeyPair;

  async function ok(command: string): Promise<string> {
    const r = await exec(gh.sshPort, alice, command);
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    return r.stdout;
  }

  before(async () => {
    mock = await startMockProvider({ keys: OPERATOR });
    gh = await startTestGatehouse({
      ...(await database.env()),
      GATEHOUSE_ANTHROPIC_UPSTREAM: mock.url,
      GATEHOUSE_ANTHROPIC_API_KEY: OPERATOR.anthropic,
      GATEHOUSE_OPENAI_UPSTREAM: mock.url,
      GATEHOUSE_OPENAI_API_KEY: OPERATOR.openai,
    });
    alice = await signUp(gh.sshPort, 'alice');
  });

  after(async () => {
    await gh?.stop();
    await mock?.close();
  });

  describe('acceptance: a laptop key with the official SDKs (issue #6)', () => {
    it('create → Anthropic SDK works through the operator key → gpt-* is 403 → revoke → 401', async () => {
      const created = await ok("keys create --name laptop --models 'claude-*' --expires 7d");
      const key = /gk_[A-Za-z0-9]{40}/.exec(created)?.[0];
      assert.ok(key, created);
      assert.match(created, new RegExp(`expires ${new Date(Date.now() + 7 * DAY).toISOString().slice(0, 10)}`));

      // Connections come from 127.0.0.1, which is not a registered VM: only the key lets them in.
      const base = `http://127.0.0.1:${gh.gatewayPort}`;
      // Watch what the SDK sends (the real fetch does the sending).
      const sent: Headers[] = [];
      const watched: typeof fetch = (input, init) => {
        sent.push(new Headers(init?.headers));
        return fetch(input, init);
      };
      const claude = new Anthropic({ baseURL: `${base}/gateway/llm/anthropic`, authToken: key, maxRetries: 0, fetch: watched });
      const message = await claude.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(message.type, 'message');
      assert.ok(message.content.some((c) => c.type === 'text' && c.text.length > 0));
      assert.equal(sent[0].get('authorization'), `Bearer ${key}`, 'the SDK sends the key as Authorization: Bearer');
      assert.equal(sent[0].get('x-api-key'), null);
      assert.equal(mock.requests.length, 1);
      const seen = mock.requests[0];
      assert.equal(seen.headers['x-api-key'], OPERATOR.anthropic, "upstream saw the operator's key");
      assert.equal(seen.headers.authorization, undefined, "the client's Authorization header was dropped");
      assert.ok(!JSON.stringify(seen).includes(key.slice(3)), 'the gatehouse key never went upstream');
      assert.ok(seen.headers['x-stainless-lang'], 'it really was the SDK talking');

      // Streaming through the SDK too.
      const stream = claude.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
      const final = await stream.finalMessage();
      assert.equal(final.stop_reason, 'end_turn');
      assert.equal(mock.requests.length, 2);

      // Same key, a gpt-* model: outside its model scope, refused before upstream.
      const gpt = new OpenAI({ baseURL: `${base}/gateway/llm/openai/v1`, apiKey: key, maxRetries: 0 });
      const refused = await gpt.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] }).then(
        () => assert.fail('gpt-5.5 must be refused'),
        (err: unknown) => err,
      );
      assert.ok(refused instanceof OpenAI.PermissionDeniedError, String(refused));
      assert.equal(refused.status, 403);
      assert.match(refused.message, /model "gpt-5\.5" is not allowed by this API key \(allowed: claude-\*\)/);
      // A claude-* id the key allows but the managed key cannot price is refused too.
      const wrong = await claude.messages.create({ model: 'claude-but-not', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }).catch((err: unknown) => err);
      assert.ok(wrong instanceof Anthropic.BadRequestError, String(wrong));
      assert.match((wrong.error as { error: { message: string } }).error.message, /"claude-but-not" is not in this gatehouse's catalog/);
      assert.equal(mock.requests.length, 2, 'nothing refused went upstream');

      assert.equal(await ok('keys revoke laptop'), 'Revoked API key laptop\n');
      const revoked = await claude.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).catch((err: unknown) => err);
      assert.ok(revoked instanceof Anthropic.AuthenticationError, String(revoked));
      assert.equal(revoked.status, 401);
      assert.deepEqual(revoked.error, { type: 'error', error: { type: 'authentication_error', message: 'invalid API key: it is unknown, revoked or expired; mint a new one over SSH with "keys create"' } });
      assert.equal(mock.requests.length, 2, 'the revoked key reached nothing upstream');
    });
  });
});
