// Issue 11, "The event loop is watched": a request whose handling holds the loop beyond
// GATEHOUSE_EVENT_LOOP_WARN_MS is named in a warning, without its query or headers.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { intHost, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';

let env: GatewayEnv;

before(async () => (env = await startGatewayEnv({ env: { GATEHOUSE_EVENT_LOOP_WARN_MS: '25' } })));
after(() => env.stop());

it('a request that holds the loop is named in a warning, without its query or its key', async () => {
  // Parsing a 16 MiB body of small objects holds the loop for well over 25 ms on any machine.
  const messages = Array.from({ length: 300_000 }, (_, i) => ({ role: 'user', content: `message number ${i}` }));
  const body = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages });
  const reply = await env.request({ path: '/v1/messages?secret-query=sk-should-not-appear', host: intHost('llm'), headers: { 'x-api-key': 'sk-ant-not-logged' }, body });
  assert.ok(reply.status < 500, reply.text.slice(0, 200));
  const warnings = env.gh.logLines.filter((l) => l.startsWith('WARN event loop blocked'));
  assert.ok(warnings.some((w) => /in flight: .*gateway POST \/v1\/messages from 127\.0\.0\.2 \(\d+ ms\)/.test(w)), warnings.join('\n') || 'no warning logged');
  assert.ok(warnings.every((w) => !w.includes('sk-')), 'no query or key in the log');
});
