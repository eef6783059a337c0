// ChatgptAccounts when the issuer or the database misbehaves (issue 13 review 2–9), on both
// databases, against the mock ChatGPT issuer over real sockets: 200 answers without tokens, absurd
// expiries, a token write refused by the database, the quiet period, the refresh limit, removal
// during a refresh.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { ChatgptAccounts } from '../../src/core/chatgpt/accounts.js';
import { REFRESH_CONCURRENCY } from '../../src/core/chatgpt/refresh.js';
import { dialectOf } from '../../src/db/dialect.js';
import type { GatehouseError } from '../../src/errors.js';
import type { MockChatgpt } from '../fixtures/mockChatgpt.js';
import { pollUntil } from '../fleet/fleet.js';
import { accountsWithAliceAndBob, connectAccount, mockLogin, type AccountsBench, type ChatgptService } from '../helpers/chatgpt.js';
import { DATABASES } from '../helpers/databases.js';
import type { TestGatehouse } from '../helpers/gatehouse.js';

const code = (c: string) => (err: GatehouseError) => err.code === c;

for (const database of DATABASES) describe(`ChatgptAccounts under faults (${database.name})`, () => {
  let gpt: MockChatgpt;
  let gh: TestGatehouse;
  let svc: ChatgptService;
  let accounts: ChatgptAccounts;
  let alice: number;
  let bob: number;
  let bench: AccountsBench | undefined;

  before(async () => {
    bench = await accountsWithAliceAndBob(await database.env());
    ({ gpt, gh, svc, accounts, alice, bob } = bench); // bob: the refresh-limit test's accounts (a user connects at most 10)
  });

  after(() => bench?.stop());

  async function connect(name: string, ttlS = 3600, userId = alice) {
    gpt.accessTtlS = ttlS;
    try {
      return await connectAccount(gpt, accounts, userId, name, { email: `${name}@example.com`, plan: 'plus', accountId: `acct-${name}` });
    } finally {
      gpt.accessTtlS = 3600;
    }
  }

  const stored = async (id: number) => svc.db.selectFrom('chatgpt_tokens').select(['generation', 'access_expires_at']).where('account_id', '=', id).executeTakeFirstOrThrow();

  it('issue 13: a refresh answered 200 without tokens ({}, an HTML page, a body over 256 KiB) writes nothing and is a transient failure', async () => {
    const acct = await connect('empty', -60);
    gpt.answerNextRefresh(200, '{}');
    await assert.rejects(accounts.credential(alice, 'empty'), code('unavailable'), 'an expired token is not handed out as refreshed');
    for (const [body, type] of [['<html><body>maintenance</body></html>', 'text/html'], [JSON.stringify({ access_token: 'x', pad: 'a'.repeat(300 * 1024) }), 'application/json']]) {
      gpt.answerNextRefresh(200, body, type);
      assert.deepEqual(await accounts.refreshNow(alice, 'empty'), { transient: 'unexpected answer' });
    }
    assert.equal((await stored(acct.id)).generation, 1, 'nothing written');
    assert.equal(await accounts.refreshNow(alice, 'empty'), 'ok', 'the refresh token was not used up');
    assert.equal((await accounts.credential(alice, 'empty')).generation, 2);
    assert.equal((await accounts.find(alice, 'empty'))?.state, 'ok');
  });

  it('issue 13: absurd exp or expires_in from the issuer: the rotated tokens are stored with the expiry unknown or from the sane value', async () => {
    gpt.oddNextTokens({ exp: 1e16, expiresIn: 1e300 });
    const acct = await connect('odd', -60);
    assert.equal((await stored(acct.id)).access_expires_at, null, 'a login with absurd values is stored, expiry unknown');
    gpt.accessTtlS = -60;
    assert.equal(await accounts.refreshNow(alice, 'odd'), 'ok'); // expired again, so the next credential refreshes
    gpt.accessTtlS = 3600;
    gpt.oddNextTokens({ exp: 1e16, expiresIn: 1e300 });
    const cred = await accounts.credential(alice, 'odd');
    assert.equal(cred.generation, 3);
    assert.equal((await stored(acct.id)).access_expires_at, null);
    gpt.oddNextTokens({ exp: Date.now(), expiresIn: 3600 }); // exp in milliseconds
    assert.equal(await accounts.refreshNow(alice, 'odd'), 'ok', 'the token rotated before was kept');
    const expiresAt = Date.parse((await stored(acct.id)).access_expires_at!);
    assert.ok(Math.abs(expiresAt - (Date.now() + 3600_000)) < 60_000, `expiry from expires_in, not year 58893: ${new Date(expiresAt).toISOString()}`);
  });

  it('issue 13: a token write refused after the issuer answered keeps the new tokens: used from memory, written once the database takes it', async () => {
    const acct = await connect('nowrite', -60);
    await refuseTokenWrites(svc, acct.id, true);
    let cred;
    const before = gpt.refreshCount;
    try {
      cred = await accounts.credential(alice, 'nowrite');
      assert.equal(cred.generation, 2);
      assert.equal((await stored(acct.id)).generation, 1, 'the write was refused');
      assert.ok(svc.logLines.some((l) => l.startsWith('ERROR chatgpt: storing the refreshed tokens of account')));
      svc.changes.emit('chatgpt'); // memory of tokens dropped, as on a login elsewhere: the kept ones still win
      assert.deepEqual(await accounts.credential(alice, 'nowrite'), cred);
      assert.equal(gpt.refreshCount, before + 1, 'the used refresh token was not sent again');
    } finally {
      await refuseTokenWrites(svc, acct.id, false);
    }
    await pollUntil(10_000, async () => (await stored(acct.id)).generation === 2 || 'not written yet');
    assert.equal(await accounts.refreshNow(alice, 'nowrite'), 'ok', 'the stored refresh token is the live one');
    assert.equal((await accounts.find(alice, 'nowrite'))?.state, 'ok');
  });

  it('issue 13: after a transient failure an expired token is answered unavailable at once for the quiet period, without asking the issuer', async () => {
    await connect('quiet', -60);
    gpt.failNextRefresh(500);
    await assert.rejects(accounts.credential(alice, 'quiet'), code('unavailable'));
    const before = gpt.refreshCount;
    for (let i = 0; i < 5; i++) await assert.rejects(accounts.credential(alice, 'quiet'), code('unavailable'));
    assert.equal(gpt.refreshCount, before, 'the issuer was not asked again');
    assert.equal(await accounts.refreshNow(alice, 'quiet'), 'ok', '--verify still asks');
    assert.equal((await accounts.credential(alice, 'quiet')).generation, 2);
  });

  it(`issue 13: at most ${REFRESH_CONCURRENCY} refreshes run at once per instance, however many accounts are stale`, async () => {
    const names = ['many-a', 'many-b', 'many-c', 'many-d', 'many-e', 'many-f'];
    for (const name of names) await connect(name, -60, bob);
    gpt.refreshDelayMs = 150;
    gpt.refreshPeak = 0;
    try {
      const creds = await Promise.all(names.map((n) => accounts.credential(bob, n)));
      assert.deepEqual(new Set(creds.map((c) => c.generation)), new Set([2]));
      assert.ok(gpt.refreshPeak <= REFRESH_CONCURRENCY && gpt.refreshPeak > 0, `peak ${gpt.refreshPeak}`);
    } finally {
      gpt.refreshDelayMs = 0;
    }
  });

  it('issue 13: removing an account while it refreshes revokes the rotated refresh token, not the used one', async () => {
    await connect('rotating', -60);
    gpt.refreshDelayMs = 1000;
    const seen = gpt.issuerRequests.length;
    const asked = () => gpt.issuerRequests.some((r) => r.index >= seen && r.json?.grant_type === 'refresh_token');
    try {
      const refreshing = accounts.credential(alice, 'rotating');
      await gpt.waitFor(asked); // the refresh call reached the issuer, which answers a second later
      await accounts.remove(alice, 'rotating');
      assert.equal((await refreshing).generation, 2, 'the refresh finished before the removal');
    } finally {
      gpt.refreshDelayMs = 0;
    }
    const revoked = gpt.issuerRequests.filter((r) => r.path === '/oauth/revoke').at(-1)?.json?.token;
    const latest = gpt.issuedTokens().filter((t) => t.startsWith('rt_mock_')).at(-1);
    assert.equal(revoked, latest);
  });

  it('issue 13: a 401 for an account removed meanwhile names the account', async () => {
    await connect('brief');
    const used = await accounts.credential(alice, 'brief');
    await accounts.remove(alice, 'brief');
    await assert.rejects(accounts.afterUnauthorized(used), (err: GatehouseError) => err.code === 'not_configured' && err.message.includes('"brief"') && !err.message.includes('ACCT'));
  });

  it('issue 13: a re-login racing a refresh gets a generation of its own, counted in SQL', { skip: database.name !== 'postgres' && 'PostgreSQL only: on SQLite nothing interleaves with the login transaction' }, async () => {
    const acct = await connect('race');
    const login = await mockLogin(gpt, accounts.issuer, { email: 'race@example.com', plan: 'plus', accountId: 'acct-race' });
    await slowTokenInserts(svc, acct.id, true);
    try {
      const relogin = accounts.connect(alice, 'race', login);
      // the login read what it read and waits before its write: a refresh commits meanwhile
      await pollUntil(5000, async () => (await sleepers(svc)) > 0 || 'the login is not at its write yet');
      assert.equal(await accounts.refreshNow(alice, 'race'), 'ok');
      await relogin;
    } finally {
      await slowTokenInserts(svc, acct.id, false);
    }
    assert.equal((await stored(acct.id)).generation, 3, 'the login does not reuse the refresh\'s generation');
  });

  it('issue 13: no token in the service log after these faults', () => {
    const tokens = gpt.issuedTokens();
    assert.ok(tokens.length > 0);
    const log = svc.logLines.join('\n') + gh.logLines.join('\n');
    for (const token of tokens) assert.ok(!log.includes(token), 'a token reached the log');
  });
});

/** A trigger that makes the database refuse every update of the account's tokens (or drops it). */
async function refuseTokenWrites(svc: ChatgptService, accountId: number, on: boolean): Promise<void> {
  const id = sql.raw(String(Number(accountId)));
  if (dialectOf(svc.db) === 'postgres') {
    if (!on) return void (await sql`drop trigger gh_refuse on chatgpt_tokens`.execute(svc.db));
    await sql`create or replace function gh_refuse() returns trigger language plpgsql as $$ begin raise exception 'write refused by the test'; end $$`.execute(svc.db);
    await sql`create trigger gh_refuse before update on chatgpt_tokens for each row when (old.account_id = ${id}) execute function gh_refuse()`.execute(svc.db);
  } else if (on) {
    await sql`create trigger gh_refuse before update on chatgpt_tokens when old.account_id = ${id} begin select raise(abort, 'write refused by the test'); end`.execute(svc.db);
  } else {
    await sql`drop trigger gh_refuse`.execute(svc.db);
  }
}

/** PostgreSQL: inserts of the account's tokens wait a second first (or no longer). */
async function slowTokenInserts(svc: ChatgptService, accountId: number, on: boolean): Promise<void> {
  const id = sql.raw(String(Number(accountId)));
  if (!on) return void (await sql`drop trigger gh_slow on chatgpt_tokens`.execute(svc.db));
  await sql`create or replace function gh_slow() returns trigger language plpgsql as $$ begin perform pg_sleep(1); return new; end $$`.execute(svc.db);
  await sql`create trigger gh_slow before insert on chatgpt_tokens for each row when (new.account_id = ${id}) execute function gh_slow()`.execute(svc.db);
}

async function sleepers(svc: ChatgptService): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep'`.execute(svc.db);
  return Number(rows[0].n);
}
