// Issue 17 (3, 6): signing in to the web pages with `browser`'s one-time link, on SQLite and
// PostgreSQL. A link opens one session, once, within 15 minutes, however many requests race for
// it; a refused link starts nothing and says why; neither the token nor the session id is ever
// stored, logged or audited in plain text; a session is its own user's, whatever the URL says.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashSecret } from '../../src/core/webSignIn.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import { insertWebLink, insertWebSession } from '../../src/db/webAuth.js';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { storedBytes } from '../helpers/stored.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';
import { get, magicLink, openLink, signIn, whoIs } from '../helpers/web.js';

for (const database of DATABASES) describe(`web sign-in (${database.name})`, () => {
  let gh: TestGatehouse;
  let db: Db; // a second handle, for the one expiry test and the session count
  let alice: KeyPair;
  let bob: KeyPair;
  const secrets: string[] = []; // every token and session id handed out: none may be stored or logged
  const { ok, okJson } = commandAsserts(() => gh.sshPort);
  const web = (path: string) => `http://127.0.0.1:${gh.webPort}${path}`;
  const link = async (key: KeyPair) => {
    const l = await magicLink(gh.sshPort, key);
    secrets.push(l.token);
    return l;
  };
  const open = async (url: string) => {
    const s = await openLink(url);
    secrets.push(s.sessionId);
    return s;
  };

  before(async () => {
    gh = await startTestGatehouse(await database.env());
    db = await openDatabase(gh.config.database);
    alice = await signUp(gh.sshPort, 'alice');
    bob = await signUp(gh.sshPort, 'bob');
  });
  after(async () => {
    await db?.destroy();
    await gh?.stop();
  });

  it('issue 17.3: browser --json gives {magic_link, expires_at} 15 minutes ahead; text says "Expires in 15 minutes."', async () => {
    const before = Date.now();
    const body = await okJson(alice, 'browser');
    assert.deepEqual(Object.keys(body), ['magic_link', 'expires_at']);
    assert.match(body.magic_link, new RegExp(`^http://127\\.0\\.0\\.1:${gh.webPort}/auth/verify\\?token=[A-Za-z0-9_-]{43}$`));
    const ttl = Date.parse(body.expires_at) - before;
    assert.ok(ttl > 14.9 * 60_000 && ttl <= 15 * 60_000 + 5_000, `expires in ${ttl} ms`);
    secrets.push(new URL(body.magic_link).searchParams.get('token')!);
    const text = await ok(alice, 'browser');
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0], /^http:\/\/127\.0\.0\.1:\d+\/auth\/verify\?token=[A-Za-z0-9_-]{43}$/);
    assert.equal(lines.at(-1), 'Expires in 15 minutes.');
    secrets.push(new URL(lines[0]).searchParams.get('token')!);
  });

  it('issue 17.3: a link signs in once: 303 to /user with the cookie; opened again it is refused with a page and no cookie', async () => {
    const { link: url } = await link(alice);
    const s = await open(url);
    assert.equal(await whoIs(gh.webPort!, s.cookie), 'alice');
    const again = await get(url);
    assert.equal(again.status, 410);
    assert.equal(again.headers.get('set-cookie'), null);
    const page = await again.text();
    assert.match(page, /already used/);
    assert.match(page, /ssh -p \d+ localhost browser/);
    assert.match(again.headers.get('content-type')!, /^text\/html/);
  });

  it('issue 17.6: an expired link shows a page and starts nothing (its row\'s expires_at set in the past through the store)', async () => {
    const { link: url, token } = await link(alice);
    const past = new Date(Date.now() - 1000).toISOString();
    const changed = await db.updateTable('web_links').set({ expires_at: past }).where('token_hash', '=', hashSecret(token)).executeTakeFirst();
    assert.equal(Number(changed.numUpdatedRows), 1);
    const res = await get(url);
    assert.equal(res.status, 410);
    assert.equal(res.headers.get('set-cookie'), null);
    assert.match(await res.text(), /expired/);
  });

  it('issue 17.6: unknown, malformed, missing and oversized tokens are refused with a page, no cookie', async () => {
    const cases: [string, number, RegExp][] = [
      [`?token=${'A'.repeat(43)}`, 400, /not valid/],
      ['?token=short', 400, /not valid/],
      ['?token=%00%ff%fe<script>', 400, /not valid/],
      ['', 400, /not valid/],
      [`?token=${'A'.repeat(1500)}`, 400, /not valid/],
      [`?token=${'A'.repeat(5000)}`, 413, /too long/],
    ];
    for (const [query, status, page] of cases) {
      const res = await get(web(`/auth/verify${query}`));
      assert.equal(res.status, status, query.slice(0, 40));
      assert.equal(res.headers.get('set-cookie'), null);
      const body = await res.text();
      assert.match(body, page);
      assert.doesNotMatch(body, /<script>/);
    }
  });

  it('issue 17.6: two requests racing with one link: exactly one session starts', async () => {
    for (let round = 0; round < 5; round++) {
      const { link: url, token } = await link(bob);
      const answers = await Promise.all([get(url), get(url), get(url)]);
      await Promise.all(answers.map((r) => r.arrayBuffer()));
      const statuses = answers.map((r) => r.status).sort();
      assert.deepEqual(statuses, [303, 410, 410], `round ${round}`);
      const cookies = answers.map((r) => r.headers.get('set-cookie')).filter(Boolean);
      assert.equal(cookies.length, 1);
      secrets.push(/^gh_session=([^;]+)/.exec(cookies[0]!)![1], token);
    }
  });

  it('issue 17.6: a session is its own user\'s whatever the URL or a second cookie says; a bad cookie is no session', async () => {
    const a = await open((await link(alice)).link);
    const b = await open((await link(bob)).link);
    assert.equal(await whoIs(gh.webPort!, b.cookie), 'bob');
    assert.equal(await whoIs(gh.webPort!, b.cookie, '/auth/session?user=alice'), 'bob');
    assert.equal(await whoIs(gh.webPort!, `${b.cookie}; ${a.cookie}`), 'bob');
    assert.equal(await whoIs(gh.webPort!, a.cookie), 'alice');
    for (const cookie of ['', 'gh_session=', 'gh_session=nope', `gh_session=${'A'.repeat(43)}`, `gh_session=${b.sessionId}x`, `x=${'y'.repeat(9000)}; ${b.cookie}`]) {
      assert.equal(await whoIs(gh.webPort!, cookie), 401, cookie.slice(0, 40));
    }
    const signInPage = await get(web('/auth/session'));
    assert.equal(signInPage.status, 401);
    assert.match(await signInPage.text(), /ssh -p \d+ localhost browser/);
  });

  it('issue 17.6: no token or session id is stored in plain text, logged, or in audit --json (only their SHA-256)', async () => {
    assert.ok(secrets.length >= 15);
    const stored = await storedBytes(gh);
    const all = Buffer.concat(stored.map((s) => s.bytes));
    for (const secret of secrets) {
      for (const s of stored) assert.ok(!s.bytes.includes(secret), `a secret stored plain in ${s.where}`);
      assert.ok(!gh.rawLog.some((l) => l.includes(secret)), 'a secret in the log');
    }
    assert.ok(all.includes(hashSecret(secrets[0])), 'the scan sees the hashes: it looked in the right place');
    const audit = JSON.stringify([await okJson(alice, 'audit'), await okJson(bob, 'audit')]);
    for (const secret of secrets) assert.ok(!audit.includes(secret), 'a secret in the audit log');
    const rows = (await okJson(alice, 'audit')) as { action: string; target: string }[];
    assert.ok(rows.some((r) => r.action === 'browser' && r.target === 'web link'));
  });

  it('issue 17.6: expired links and sessions are pruned as links are made, at most 100 of each at a time', async () => {
    const userId = (await db.selectFrom('users').select('id').where('name', '=', 'bob').executeTakeFirstOrThrow()).id;
    const past = new Date(Date.now() - 60_000).toISOString();
    for (let i = 0; i < 250; i++) {
      const hash = hashSecret(`planted-expired-${i}`);
      await insertWebLink(db, { tokenHash: hash, userId, createdAt: past, expiresAt: past });
      await insertWebSession(db, { sessionHash: hash, userId, csrf: 'x', createdAt: past, expiresAt: past });
    }
    const expired = async (table: 'web_links' | 'web_sessions') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('expires_at', '<=', new Date().toISOString()).executeTakeFirstOrThrow()).n);
    const linksBefore = await expired('web_links');
    const sessionsBefore = await expired('web_sessions');
    await link(bob);
    assert.equal(await expired('web_links'), linksBefore - 100);
    assert.equal(await expired('web_sessions'), sessionsBefore - 100);
    await link(bob);
    await link(bob);
    assert.equal(await expired('web_links'), 0);
    assert.equal(await expired('web_sessions'), 0);
  });

  it('issue 17.6: deleting the user ends their sessions and links (ON DELETE CASCADE)', async () => {
    const carol = await signUp(gh.sshPort, 'carol');
    const s = await open((await link(carol)).link);
    const { link: unused } = await link(carol);
    assert.equal(await whoIs(gh.webPort!, s.cookie), 'carol');
    await db.deleteFrom('users').where('name', '=', 'carol').execute();
    assert.equal(await whoIs(gh.webPort!, s.cookie), 401);
    const res = await get(unused);
    assert.equal(res.status, 400);
    await res.arrayBuffer();
  });
});
