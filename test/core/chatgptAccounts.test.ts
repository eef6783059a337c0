// ChatgptAccounts (issue 13) on both databases, against the mock ChatGPT issuer over real sockets:
// connect, list, credential with proactive refresh, single-flight refresh, permanent and
// transient failures, the 401 path, removal, usage windows.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_ACCOUNTS_PER_USER, type ChatgptAccounts } from '../../src/core/chatgpt/accounts.js';
import * as issuer from '../../src/core/chatgpt/issuer.js';
import { nowIso } from '../../src/db/open.js';
import type { GatehouseError } from '../../src/errors.js';
import type { MockChatgpt } from '../fixtures/mockChatgpt.js';
import { accountsWithAliceAndBob, connectAccount, mockLogin, type AccountsBench, type ChatgptService } from '../helpers/chatgpt.js';
import { DATABASES } from '../helpers/databases.js';
import type { TestGatehouse } from '../helpers/gatehouse.js';

const who = (accountId: string, plan = 'plus') => ({ email: `${accountId}@example.com`, plan, accountId });
const code = (c: string) => (err: GatehouseError) => err.code === c;

for (const database of DATABASES) describe(`ChatgptAccounts (${database.name})`, () => {
  let gpt: MockChatgpt;
  let gh: TestGatehouse;
  let svc: ChatgptService;
  let accounts: ChatgptAccounts;
  let alice: number;
  let bob: number;
  let bench: AccountsBench | undefined;

  before(async () => {
    bench = await accountsWithAliceAndBob(await database.env());
    ({ gpt, gh, svc, accounts, alice, bob } = bench);
  });

  after(() => bench?.stop());

  /** A login whose access token lives `ttlS` seconds; later logins get an hour again. */
  async function connect(name: string, accountId: string, ttlS = 3600, userId = alice) {
    gpt.accessTtlS = ttlS;
    try {
      return await connectAccount(gpt, accounts, userId, name, who(accountId));
    } finally {
      gpt.accessTtlS = 3600;
    }
  }

  it('issue 13: connect stores the account from the id_token claims; list and find show it to its owner only; a re-login keeps the id', async () => {
    const work = await connect('work', 'acct-work');
    assert.equal(work.name, 'work');
    assert.equal(work.email, 'acct-work@example.com');
    assert.equal(work.plan, 'plus');
    assert.equal(work.chatgptAccountId, 'acct-work');
    assert.equal(work.state, 'ok');
    assert.ok(work.refreshedAt);
    assert.deepEqual((await accounts.list(alice)).map((a) => a.name), ['work']);
    assert.deepEqual(await accounts.list(bob), []);
    assert.equal(await accounts.find(bob, 'work'), undefined);
    gpt.accessTtlS = 3600;
    const again = await accounts.connect(alice, 'work', await mockLogin(gpt, accounts.issuer, who('acct-work', 'pro')));
    assert.equal(again.id, work.id);
    assert.equal(again.plan, 'pro');
    assert.doesNotMatch(JSON.stringify(await accounts.list(alice)), /rt_mock_|eyJ/, 'no token in a listing');
  });

  it('issue 13: names are DNS labels of at most 32; a user connects at most 10 accounts; a re-login of one is still allowed', async () => {
    for (const bad of ['Work', '-x', 'a'.repeat(33), 'a b', '']) await assert.rejects(accounts.checkNewLogin(alice, bad), code('invalid_input'), bad);
    for (let i = 0; i < MAX_ACCOUNTS_PER_USER; i++) await connect(`b${i}`, `acct-bob-${i}`, 3600, bob);
    await assert.rejects(accounts.checkNewLogin(bob, 'one-more'), code('conflict'));
    await assert.rejects(connect('one-more', 'acct-bob-x', 3600, bob), code('conflict'));
    await accounts.checkNewLogin(bob, 'b0');
  });

  it('issue 13: credential gives the stored token without a refresh while it is fresh; within 5 minutes of expiry it refreshes first', async () => {
    await connect('fresh', 'acct-fresh', 360);
    const before = gpt.refreshCount;
    const fresh = await accounts.credential(alice, 'fresh');
    assert.equal(fresh.chatgptAccountId, 'acct-fresh');
    assert.equal(gpt.refreshCount, before, '6 minutes left: no refresh');
    await connect('soon', 'acct-soon', 240);
    const stale = await accounts.credential(alice, 'soon');
    assert.equal(gpt.refreshCount, before + 1, '4 minutes left: one refresh');
    assert.equal(stale.generation, 2);
    assert.deepEqual(await accounts.credential(alice, 'soon'), stale, 'the refreshed token is kept');
    await assert.rejects(accounts.credential(alice, 'nope'), code('not_configured'));
    await assert.rejects(accounts.credential(bob, 'soon'), code('not_configured'), "another user's account");
  });

  it('issue 13.A6: 20 concurrent credential() calls with an expired token cause exactly one refresh', async () => {
    await connect('busy', 'acct-busy', -60);
    gpt.refreshDelayMs = 200;
    const before = gpt.refreshCount;
    try {
      const creds = await Promise.all(Array.from({ length: 20 }, () => accounts.credential(alice, 'busy')));
      assert.equal(gpt.refreshCount - before, 1);
      assert.equal(new Set(creds.map((c) => c.accessToken)).size, 1);
      assert.equal(creds[0].generation, 2);
    } finally {
      gpt.refreshDelayMs = 0;
    }
  });

  it('issue 13.A7: a reused refresh token marks the account needs_login; later calls name the fix without asking the issuer', async () => {
    gpt.accessTtlS = -60;
    const tokens = await mockLogin(gpt, accounts.issuer, who('acct-reuse'));
    gpt.accessTtlS = 3600;
    await accounts.connect(alice, 'reuse', tokens);
    assert.ok((await issuer.refresh(accounts.issuer, tokens.refreshToken)).ok, 'someone else used the refresh token');
    const before = gpt.refreshCount;
    await assert.rejects(accounts.credential(alice, 'reuse'), (err: GatehouseError) => {
      assert.equal(err.code, 'unauthenticated');
      assert.equal(err.message, 'ChatGPT account "reuse" needs a new login (refresh_token_reused); its owner must run: integrations setup chatgpt --name reuse');
      return true;
    });
    await assert.rejects(accounts.credential(alice, 'reuse'), code('unauthenticated'));
    assert.equal(gpt.refreshCount, before + 1, 'a permanent failure is not retried');
    const found = await accounts.find(alice, 'reuse');
    assert.equal(found?.state, 'needs_login');
    assert.equal(found?.stateReason, 'refresh_token_reused');
    assert.deepEqual(await accounts.refreshNow(alice, 'reuse'), { needsLogin: 'refresh_token_reused' });
    // a new login makes it usable again
    await connect('reuse', 'acct-reuse');
    assert.equal((await accounts.find(alice, 'reuse'))?.state, 'ok');
    assert.equal((await accounts.credential(alice, 'reuse')).chatgptAccountId, 'acct-reuse');
  });

  it('issue 13.A7: a revoked login shows in refreshNow as needs login (refresh_token_invalidated)', async () => {
    await connect('revoked', 'acct-revoked');
    assert.equal(await accounts.refreshNow(alice, 'revoked'), 'ok');
    gpt.revoke('acct-revoked');
    assert.deepEqual(await accounts.refreshNow(alice, 'revoked'), { needsLogin: 'refresh_token_invalidated' });
    await assert.rejects(accounts.credential(alice, 'revoked'), code('unauthenticated'));
  });

  it('issue 13: a transient issuer failure writes nothing: a still-valid token is used, an expired one is 503, --verify refreshes', async () => {
    await connect('flaky', 'acct-flaky', 240);
    gpt.failNextRefresh(500);
    const before = gpt.refreshCount;
    const kept = await accounts.credential(alice, 'flaky');
    assert.equal(kept.generation, 1, 'the old, still valid token');
    assert.equal((await accounts.credential(alice, 'flaky')).generation, 1);
    assert.equal(gpt.refreshCount, before + 1, 'not asked again at once while the token is usable');
    assert.equal((await accounts.find(alice, 'flaky'))?.state, 'ok');
    await connect('down', 'acct-down', -60);
    gpt.failNextRefresh(500);
    await assert.rejects(accounts.credential(alice, 'down'), (err: GatehouseError) => err.code === 'unavailable' && /retry shortly/.test(err.message));
    assert.equal((await accounts.find(alice, 'down'))?.state, 'ok');
    gpt.failNextRefresh(502);
    assert.deepEqual(await accounts.refreshNow(alice, 'down'), { transient: 'status 502' });
    assert.equal(await accounts.refreshNow(alice, 'down'), 'ok'); // requests stay quiet for 10 s; --verify asks
    assert.equal((await accounts.credential(alice, 'down')).generation, 2);
  });

  it('issue 13: after a 401 the token is refreshed once, however many requests saw the 401', async () => {
    await connect('denied', 'acct-denied');
    const used = await accounts.credential(alice, 'denied');
    gpt.expireAccess('acct-denied');
    const before = gpt.refreshCount;
    const again = await Promise.all(Array.from({ length: 5 }, () => accounts.afterUnauthorized(used)));
    assert.equal(gpt.refreshCount - before, 1);
    assert.equal(new Set(again.map((c) => c.generation)).size, 1);
    assert.notEqual(again[0].accessToken, used.accessToken);
    await accounts.afterUnauthorized(used);
    assert.equal(gpt.refreshCount - before, 1, 'a late 401 for the old token finds the new one');
  });

  it('issue 13.A2: remove is refused while an integration uses the account, then deletes it and revokes the login', async () => {
    const acct = await connect('gone', 'acct-gone');
    const settings = { providers: { anthropic: { source: 'gateway' }, openai: { source: 'chatgpt', account: 'gone' }, fireworks: { source: 'gateway' }, gemini: { source: 'gateway' } }, models: null };
    const now = nowIso();
    await svc.db.insertInto('integrations').values({ user_id: alice, name: 'uses-gone', type: 'llm', settings: JSON.stringify(settings), comment: null, created_at: now, updated_at: now }).execute();
    await assert.rejects(accounts.remove(alice, 'gone'), (err: GatehouseError) => {
      assert.equal(err.code, 'conflict');
      assert.equal(err.message, 'ChatGPT account "gone" is used by integrations uses-gone; switch them first: integrations edit uses-gone --openai=gateway');
      return true;
    });
    await assert.rejects(accounts.remove(bob, 'gone'), code('not_found'));
    await svc.db.deleteFrom('integrations').where('name', '=', 'uses-gone').execute();
    accounts.noteWindows(acct.id, { 'x-codex-primary-used-percent': '42' }, { force: true });
    await accounts.close();
    const revokes = gpt.issuerRequests.filter((r) => r.path === '/oauth/revoke').length;
    await accounts.remove(alice, 'gone');
    assert.equal(gpt.issuerRequests.filter((r) => r.path === '/oauth/revoke').length, revokes + 1);
    assert.equal(await accounts.find(alice, 'gone'), undefined);
    assert.equal((await svc.db.selectFrom('chatgpt_tokens').selectAll().where('account_id', '=', acct.id).execute()).length, 0);
    assert.equal((await svc.db.selectFrom('chatgpt_windows').selectAll().where('account_id', '=', acct.id).execute()).length, 0);
    await assert.rejects(accounts.credential(alice, 'gone'), code('not_configured'));
    await assert.rejects(accounts.remove(alice, 'gone'), code('not_found'));
  });

  it('issue 13: usage windows from headers and codex.rate_limits frames are stored, at most every 30 s unless forced', async () => {
    const acct = await connect('windows', 'acct-windows');
    accounts.noteWindows(acct.id, { 'x-codex-primary-used-percent': '42.5', 'x-codex-primary-window-minutes': '300', 'x-codex-primary-reset-at': '1900000000', 'x-codex-secondary-used-percent': '13' });
    accounts.noteWindows(acct.id, { 'x-codex-primary-used-percent': '50' }); // within 30 s: dropped
    await accounts.close();
    let w = (await accounts.find(alice, 'windows'))?.windows;
    assert.deepEqual(w?.primary, { usedPercent: 42.5, windowMinutes: 300, resetAt: 1900000000 });
    assert.deepEqual(w?.secondary, { usedPercent: 13, windowMinutes: null, resetAt: null });
    accounts.noteWindows(acct.id, { type: 'codex.rate_limits', rate_limits: { primary: { used_percent: 99, window_minutes: 300, reset_at: 1900000100 }, secondary: null } }, { force: true });
    accounts.noteWindows(acct.id, { 'x-codex-primary-used-percent': 'lots' }, { force: true }); // nothing usable: ignored
    await accounts.close();
    w = (await accounts.find(alice, 'windows'))?.windows;
    assert.equal(w?.primary?.usedPercent, 99);
    assert.equal(w?.secondary, null);
  });

  it('issue 13.A8: no token in the service log', async () => {
    // a login (a re-login: alice is at the 10-account limit here) and a refresh of its own
    await connect('windows', 'acct-windows', -60);
    assert.ok((await accounts.credential(alice, 'windows')).generation > 1);
    const tokens = gpt.issuedTokens();
    assert.ok(tokens.length > 0);
    const log = svc.logLines.join('\n') + gh.logLines.join('\n');
    for (const token of tokens) assert.ok(!log.includes(token), 'a token reached the log');
  });
});
