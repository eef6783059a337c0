// Issue 15.5, with the real client: Claude Code 2.1.330 with CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1
// sends GET {ANTHROPIC_BASE_URL}/v1/models?limit=1000 at start (its inference credential, a 3 s
// timeout), keeps the ids with "claude"/"anthropic" and caches them in CLAUDE_CONFIG_DIR/cache/
// gateway-models.json, from which its /model picker offers them ("From gateway"); `-p` itself uses
// the default model or --model. Each documented Anthropic base a user may configure must answer
// with the caller's models only. The CLI reaches gatehouse through ./proxy.ts (DNS and the VM's
// source address); installed by scripts/install-clients.sh, skipped with a reason where missing
// (failed under CI).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/gatehouse.js';
import { BASE_PATH, intHost, OPERATOR_KEYS, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';
import { clientBin, runClient, type ClientRun } from './clients.js';
import { vmNetwork, type VmNetwork } from './proxy.js';

const CLAUDE = clientBin('claude', 'GATEHOUSE_TEST_CLAUDE');
const DEADLINE_MS = 60_000;
/** The llm integration's model scope, and what discovery must list through it. */
const SCOPE = 'claude-sonnet-4-*,claude-haiku-4-5,gpt-5*';
const SCOPED_CLAUDES = ['claude-sonnet-4-6', 'claude-sonnet-4-5', 'claude-haiku-4-5'];
const USAGE = { input: 41, output: 7, cacheRead: 300, cacheWrite: 20 };

let env: GatewayEnv;
let vm: VmNetwork;

interface Run extends ClientRun {
  /** CLAUDE_CONFIG_DIR/cache/gateway-models.json, as the CLI wrote it (null: not written). */
  discovered: { baseUrl: string; models: { id: string; display_name?: string }[] } | null;
}

async function claude(args: string[], extra: Record<string, string>, via: VmNetwork): Promise<Run> {
  const home = tempDir('gatehouse-claude-');
  const config = path.join(home, '.claude');
  // A clean environment: nothing of the developer's own Claude Code setup, no traffic but gatehouse's.
  const childEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CLAUDE_CONFIG_DIR: config,
    CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    HTTP_PROXY: via.url,
    NO_PROXY: '',
    ...extra,
  };
  const run = await runClient(CLAUDE, args, { env: childEnv, cwd: home, deadlineMs: DEADLINE_MS });
  const cache = path.join(config, 'cache', 'gateway-models.json');
  return { ...run, discovered: fs.existsSync(cache) ? JSON.parse(fs.readFileSync(cache, 'utf8')) : null };
}

async function usageByModel(): Promise<Map<string, any>> {
  const report = JSON.parse(await env.ok(env.alice, 'usage --group model --json'));
  return new Map(report.rows.map((r: any) => [r.model, r]));
}

describe('issue 15.5: Claude Code model discovery through gatehouse', { skip: CLAUDE.skip }, () => {
  before(async () => {
    env = await startGatewayEnv();
    vm = await vmNetwork(env.port, '127.0.0.2');
    await env.ok(env.alice, `integrations edit llm --models '${SCOPE}'`);
  });
  after(async () => {
    await vm?.close();
    await env?.stop();
  });

  // The VM calls with no gatehouse credential (its address is the identity); Claude Code still
  // wants one to start, so it sends a placeholder key, which gatehouse drops.
  const bases = [
    { name: 'the integration hostname', base: `http://${intHost('llm')}`, model: 'claude-sonnet-4-6', messages: '/v1/messages' },
    { name: 'the /anthropic prefix', base: `http://${intHost('llm')}/anthropic`, model: 'claude-sonnet-4-5', messages: '/anthropic/v1/messages' },
    { name: 'the metadata path /gateway/llm/anthropic', base: 'http://169.254.169.254/gateway/llm/anthropic', model: 'claude-haiku-4-5', messages: '/gateway/llm/anthropic/v1/messages' },
  ];
  for (const b of bases) {
    it(`at ${b.name}: discovery lists the integration's Claude models only; -p --model ${b.model} answers and is metered`, async () => {
      const asked = vm.exchanges.length;
      env.mock.reset();
      env.mock.setScenario({ usage: USAGE });
      const r = await claude(['-p', 'say pong', '--model', b.model], { ANTHROPIC_BASE_URL: b.base, ANTHROPIC_API_KEY: 'sk-ant-placeholder-on-the-vm' }, vm);
      assert.equal(r.code, 0, `claude exit ${r.code}; stderr: ${r.err.slice(-1500)}`);
      assert.match(r.out, /Hello/, 'the mock upstream’s answer is printed');
      const wire = vm.exchanges.slice(asked);
      assert.ok(wire.every((x) => x.host === new URL(b.base).host), `only gatehouse was asked: ${JSON.stringify(wire)}`);
      const discovery = wire.filter((x) => x.method === 'GET' && /\/v1\/models\?limit=1000$/.test(x.path));
      assert.equal(discovery.length, 1, `one discovery request: ${JSON.stringify(wire)}`);
      assert.equal(discovery[0].status, 200);
      assert.equal(new URL(b.base).pathname.replace(/\/$/, '') + '/v1/models?limit=1000', discovery[0].path);
      assert.equal(r.discovered?.baseUrl, b.base);
      assert.deepEqual(r.discovered!.models.map((m) => m.id).sort(), [...SCOPED_CLAUDES].sort(), 'the caller’s Claude models, and no others');
      assert.ok(r.discovered!.models.every((m) => m.display_name?.startsWith('Claude ')), 'display names from the catalog');
      assert.ok(wire.some((x) => x.method === 'POST' && x.path.startsWith(b.messages) && x.status === 200), `inference at ${b.messages}: ${JSON.stringify(wire)}`);
      const upstream = env.mock.requests.filter((q) => q.path === '/v1/messages');
      assert.equal(upstream.length, 1, `one Messages call upstream: ${env.mock.requests.map((q) => q.url).join(', ')}`);
      assert.equal(upstream[0].json?.model, b.model);
      assert.equal(upstream[0].headers['x-api-key'], OPERATOR_KEYS.anthropic, 'the operator key went upstream, not the placeholder');
      assert.ok(upstream[0].url.startsWith(`${BASE_PATH}/v1/messages`));
      const row = (await usageByModel()).get(b.model);
      assert.deepEqual(
        [row?.requests, row?.input_tokens, row?.output_tokens, row?.cache_read_tokens, row?.cache_write_tokens],
        [1, USAGE.input, USAGE.output, USAGE.cacheRead, USAGE.cacheWrite],
        `one usage row with the upstream's tokens: ${JSON.stringify(row)}`,
      );
    });
  }

  it('an API key caller gets its key’s narrower scope; a model outside it is refused (403), not served', async () => {
    const key = JSON.parse(await env.ok(env.alice, "keys create --name claude --models 'claude-haiku-*' --json")).key as string;
    const laptop = await vmNetwork(env.port, '127.0.0.1'); // not a VM: the key is the identity
    try {
      env.mock.reset();
      const base = 'http://gatehouse.example:8080/gateway/llm/anthropic';
      const ok = await claude(['-p', 'say pong', '--model', 'claude-haiku-4-5'], { ANTHROPIC_BASE_URL: base, ANTHROPIC_AUTH_TOKEN: key }, laptop);
      assert.equal(ok.code, 0, `claude exit ${ok.code}; stderr: ${ok.err.slice(-1500)}`);
      assert.deepEqual(ok.discovered?.models.map((m) => m.id), ['claude-haiku-4-5']);
      const refused = await claude(['-p', 'say pong', '--model', 'claude-sonnet-4-6'], { ANTHROPIC_BASE_URL: base, ANTHROPIC_AUTH_TOKEN: key }, laptop);
      assert.notEqual(refused.code, 0, 'a model outside the key’s scope fails the run');
      assert.ok(laptop.exchanges.some((x) => x.method === 'POST' && x.status === 403), JSON.stringify(laptop.exchanges));
      assert.equal(env.mock.requests.filter((q) => q.json?.model === 'claude-sonnet-4-6').length, 0, 'nothing went upstream for it');
    } finally {
      await laptop.close();
    }
  });

  it('an unknown gatehouse key: discovery is refused (401), nothing is cached and the run fails', async () => {
    const laptop = await vmNetwork(env.port, '127.0.0.1');
    try {
      const r = await claude(['-p', 'say pong', '--model', 'claude-haiku-4-5'], { ANTHROPIC_BASE_URL: `http://${intHost('llm')}`, ANTHROPIC_AUTH_TOKEN: `gk_${'x'.repeat(40)}`, CLAUDE_CODE_MAX_RETRIES: '0' }, laptop);
      assert.notEqual(r.code, 0);
      assert.equal(r.discovered, null);
      assert.ok(laptop.exchanges.some((x) => x.method === 'GET' && x.path === '/v1/models?limit=1000' && x.status === 401), JSON.stringify(laptop.exchanges));
    } finally {
      await laptop.close();
    }
  });
});
