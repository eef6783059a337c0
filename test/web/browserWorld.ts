// The world the browser tests look at (issue 17.8): a mock upstream and a real gatehouse; alice
// (the first account: admin) and bob, each with a VM, whose usage is made by real gateway traffic;
// carol, whose month holds 10,000 usage rows (the acceptance's volume); and Debian's chromium.
// SQLite only: the same numbers on PostgreSQL are checked over HTTP (user.test.ts, volume.test.ts);
// the browser adds what only a browser shows (scripts run, the CSP holds, nothing leaves).
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Browser } from 'playwright-core';
import { monthOf } from '../../src/core/month.js';
import { findUserByName } from '../../src/db/users.js';
import { openDatabase } from '../../src/db/open.js';
import { insertUsageRows } from '../../src/db/usage.js';
import type { NewUsageRow } from '../../src/db/schema.js';
import { launchBrowser, openTab, type WebTab } from '../helpers/browser.js';
import type { KeyPair } from '../helpers/ssh.js';
import { closeAgents, ok, okJson, send, startWorld, userWithVm, type World } from '../metering/helpers.js';

export const THIS_MONTH = monthOf(new Date());
export const LAST_MONTH = monthOf(new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 15)));
export const BULK_ROWS = 10_000;

export interface BrowserWorld {
  world: World;
  browser: Browser;
  origin: string;
  alice: KeyPair;
  bob: KeyPair;
  carol: KeyPair;
  /** A fresh browser context (its own cookies) on the gatehouse web origin. */
  tab(): Promise<WebTab>;
  /** `ssh … browser --json`: the one-time link. */
  link(key: KeyPair): Promise<string>;
  json(key: KeyPair, command: string): Promise<any>;
  stop(): Promise<void>;
}

const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const SONNET = { model: 'claude-sonnet-5-5', max_tokens: 10, messages: [] };

export async function startBrowserWorld(): Promise<BrowserWorld> {
  const browser = await launchBrowser(); // first: without chromium (under CI) nothing else is left running
  const world = await startWorld({ GATEHOUSE_MONTHLY_CREDITS: '25' }).catch(async (err) => {
    await browser.close();
    throw err;
  });
  try {
    return await populate(world, browser);
  } catch (err) {
    await browser.close();
    await world.stop();
    throw err;
  }
}

async function populate(world: World, browser: Browser): Promise<BrowserWorld> {
  const port = world.gh.sshPort;
  assert.ok(world.gh.webPort, 'the web listener is on');
  const origin = `http://127.0.0.1:${world.gh.webPort}`;
  const alice = await userWithVm(world.gh, 'alice', '127.0.0.2', 'devbox');
  await ok(port, alice, 'new --name buildbox --address 127.0.0.5');
  const bob = await userWithVm(world.gh, 'bob', '127.0.0.3', 'bobbox');
  const carol = await userWithVm(world.gh, 'carol', '127.0.0.4', 'carolbox');
  // A team for the team page: alice owns acme, carol is a member whose VM uses the team's integration.
  await ok(port, alice, 'team create acme');
  await ok(port, alice, 'team add carol');
  await ok(port, alice, 'integrations add llm --name pooled --team --anthropic=gateway --attach tag:dev');
  await ok(port, carol, 'tag carolbox dev');
  await traffic(world, alice);
  await arrange(world, 'alice', LAST_MONTH, 3);
  await arrange(world, 'carol', THIS_MONTH, BULK_ROWS);
  return {
    world,
    browser,
    origin,
    alice,
    bob,
    carol,
    tab: () => openTab(browser, origin),
    async link(key) {
      const { magic_link } = await okJson(port, key, 'browser');
      assert.ok(magic_link.startsWith(`${origin}/auth/verify?token=`), magic_link);
      return magic_link;
    },
    json: (key, command) => okJson(port, key, command),
    async stop() {
      await browser.close();
      closeAgents();
      await world.stop();
    },
  };
}

/** Real gateway traffic: what `usage --json` and the pages must agree on, to the token and the cent. */
async function traffic(world: World, alice: KeyPair): Promise<void> {
  const call = async (from: string, path: string, body: unknown, usage: object, headers: Record<string, string> = {}) => {
    const r = await send(world.gh.gatewayPort, path, body, { from, headers: { ...headers, 'x-mock-scenario': JSON.stringify({ usage }) } });
    assert.equal(r.status, 200, r.body);
  };
  await call('127.0.0.2', '/gateway/llm/anthropic/v1/messages', SONNET, { input: 1200, output: 800, cacheRead: 50_000, cacheWrite: 2000 }, { ...ANTHROPIC, 'x-claude-code-session-id': 'sess-web-1' });
  await call('127.0.0.2', '/gateway/llm/anthropic/v1/messages', SONNET, { input: 3000, output: 1500, cacheRead: 90_000 }, { ...ANTHROPIC, 'x-claude-code-session-id': 'sess-web-1' });
  await call('127.0.0.5', '/gateway/llm/openai/v1/chat/completions', { model: 'gpt-5.5', messages: [] }, { input: 20_000, output: 4000 });
  const key = (await okJson(world.gh.sshPort, alice, 'keys create --name laptop')).key;
  await call('127.0.0.1', '/gateway/llm/anthropic/v1/messages', SONNET, { input: 500, output: 100 }, { ...ANTHROPIC, authorization: `Bearer ${key}` });
  await call('127.0.0.3', '/gateway/llm/gemini/v1beta/models/gemini-2.5-flash:generateContent', { contents: [] }, { input: 7000, output: 900 }); // bob
  await call('127.0.0.4', '/v1/messages', SONNET, { input: 900, output: 300 }, { ...ANTHROPIC, host: 'pooled.team.gatehouse.localhost' }); // carol, on acme's integration
}

/**
 * Usage rows written at the storage level, through the app's own insertUsageRows: 10,000 real
 * gateway requests would take the suite minutes, and the page reads rows, however they came.
 * Spread over the month's days so far, several models, VMs, keys and sessions.
 */
async function arrange(world: World, name: string, month: string, count: number): Promise<void> {
  const db = await openDatabase(world.gh.config.database);
  try {
    const user = await findUserByName(db, name);
    assert.ok(user, name);
    const days = month === THIS_MONTH ? new Date().getUTCDate() : 28;
    const models = [['anthropic', 'claude-sonnet-5-5'], ['anthropic', 'claude-haiku-4-5'], ['openai', 'gpt-5.5'], ['gemini', 'gemini-2.5-flash']];
    const rows: NewUsageRow[] = Array.from({ length: count }, (_, i) => {
      const [provider, model] = models[i % models.length];
      const day = String(1 + (i % days)).padStart(2, '0');
      return {
        created_at: `${month}-${day}T12:00:00.000Z`, month, request_id: `arranged-${name}-${month}-${i}`, user_id: user.id, vm_id: null, vm_name: `vm-${i % 7}`,
        api_key_id: null, api_key_name: null, integration_id: null, integration_name: 'llm', provider, model, source: 'gateway', api: 'messages', status: 200,
        input_tokens: 100 + (i % 13), output_tokens: 20 + (i % 5), cache_read_tokens: i % 3 ? 0 : 400, cache_write_tokens: 0, cost_micros: 150 + (i % 11),
        latency_ms: 40, ttfb_ms: 10, session_id: `sess-${i % 40}`, team_id: null,
      };
    });
    for (let i = 0; i < rows.length; i += 500) await insertUsageRows(db, rows.slice(i, i + 500), 'browser-test-arrangement');
  } finally {
    await db.destroy();
  }
}

/**
 * The world of one suite, started before its tests and stopped after them. `tab()` opens a fresh
 * browser (own cookies) that is closed, and checked for requests off the machine, script errors and
 * CSP refusals, after the suite.
 */
export function suiteWorld(): { world(): BrowserWorld; tab(): Promise<WebTab> } {
  let w: BrowserWorld | undefined;
  const tabs: WebTab[] = [];
  before(async () => (w = await startBrowserWorld()));
  after(async () => {
    for (const t of tabs) t.assertClean();
    await Promise.all(tabs.map((t) => t.close()));
    await w?.stop();
  });
  return {
    world: () => w!,
    tab: async () => {
      const t = await w!.tab();
      tabs.push(t);
      return t;
    },
  };
}
