// Issue 17, acceptance, in headless Chromium as a new user would: `ssh … browser` prints a link
// that, opened once, shows the user's page (credits, this month's usage equal to `usage --json`,
// a per-day chart); opened again it is refused; the month switches; logging out ends the session;
// bob's session never shows alice's usage, whatever the URL. No request leaves the machine.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { formatUsd } from '../../src/core/pricing.js';
import { browserSkip, screenshot } from '../helpers/browser.js';
import { ok } from '../metering/helpers.js';
import { assertChartMatches, assertTableMatches } from './browserAsserts.js';
import { LAST_MONTH, suiteWorld, THIS_MONTH, type BrowserWorld } from './browserWorld.js';
import { chartDrawn } from './pageProbe.js';

const GROUPS = ['model', 'vm', 'integration', 'key', 'session'] as const;

describe('the web pages in a real browser (issue 17.8)', { skip: browserSkip }, () => {
  const suite = suiteWorld();
  let w: BrowserWorld;
  let alicesLink: string;
  const tab = suite.tab;
  /** Opens a user's link in a fresh browser: a signed-in tab on /user. */
  const signIn = async (key: BrowserWorld['alice']) => {
    const t = await tab();
    const reply = await t.page.goto(await w.link(key));
    assert.equal(reply?.status(), 200);
    assert.equal(new URL(t.page.url()).pathname, '/user');
    return t;
  };

  before(() => (w = suite.world()));

  it('`browser` prints a one-time link and when it expires; --json gives {"magic_link"}', async () => {
    const out = await ok(w.world.gh.sshPort, w.alice, 'browser');
    assert.match(out, new RegExp(`${w.origin.replace(/\./g, '\\.')}/auth/verify\\?token=[A-Za-z0-9_-]{43}\\b`));
    assert.match(out, /Expires in 15 minutes\./);
    alicesLink = await w.link(w.alice);
  });

  it("opened once, the link shows alice's page: her credits and this month's usage equal to `usage --json`, and a per-day chart", async () => {
    const t = await tab();
    assert.equal((await t.page.goto(alicesLink))?.status(), 200);
    assert.equal(new URL(t.page.url()).pathname, '/user');
    await chartDrawn(t.page);
    for (const group of GROUPS) await assertTableMatches(t.page, await w.json(w.alice, `usage --group ${group}`));
    await assertChartMatches(t.page, await w.json(w.alice, 'usage --group day'));
    const credits = await w.json(w.alice, 'credits');
    for (const field of ['allocation', 'used', 'granted', 'remaining']) {
      const shown = t.page.locator(`#credits [data-testid=credits-${field}]`);
      assert.equal(Number(await shown.getAttribute('data-micros')), credits[`${field}_micros`], `credits ${field}`);
      assert.equal(await shown.innerText(), formatUsd(credits[`${field}_micros`]), `credits ${field}, as shown`);
    }
    assert.equal(await t.page.locator('#credits [data-testid=credits-resets]').getAttribute('data-iso'), credits.resets_at);
    assert.ok(await t.page.locator('#credits-meter').isVisible(), 'the credits bar');
    const cookie = (await t.context.cookies()).find((c) => c.name === 'gh_session');
    assert.ok(cookie, 'a session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.secure, false, 'plain http here: Secure only under https');
    assert.equal(await t.page.evaluate(() => (globalThis as any).document.cookie), '', 'HttpOnly: no script of the page reads it');
    await screenshot(t.page, 'user');
    t.assertClean();
  });

  it('opened a second time, the link is refused: a page that says so, and no session', async () => {
    const t = await tab();
    const reply = await t.page.goto(alicesLink);
    assert.equal(reply?.status(), 410);
    assert.match(await t.page.locator('h1').innerText(), /already used/);
    assert.deepEqual(await t.context.cookies(), []);
    await screenshot(t.page, 'link-used');
    assert.equal((await t.page.goto(`${w.origin}/user`))?.status(), 401, 'still signed out');
    t.assertClean();
  });

  it("the month switcher shows last month, equal to `usage --month … --json`, and back", async () => {
    const t = await signIn(w.alice);
    await t.page.click('#month-prev');
    await t.page.waitForURL(`**/user?month=${LAST_MONTH}`);
    assert.equal(await t.page.locator('#month').getAttribute('data-month'), LAST_MONTH);
    await chartDrawn(t.page);
    for (const group of GROUPS) await assertTableMatches(t.page, await w.json(w.alice, `usage --month ${LAST_MONTH} --group ${group}`));
    await assertChartMatches(t.page, await w.json(w.alice, `usage --month ${LAST_MONTH} --group day`));
    await t.page.click('#month-next');
    await t.page.waitForURL(`**/user?month=${THIS_MONTH}`);
    await assertTableMatches(t.page, await w.json(w.alice, 'usage'));
    t.assertClean();
  });

  it("bob's session cannot see alice's usage by any URL", async () => {
    const t = await signIn(w.bob);
    await assertTableMatches(t.page, await w.json(w.bob, 'usage'));
    const alices = await w.json(w.alice, 'usage --group vm');
    const marks = ['devbox', 'buildbox', 'sess-web-1', alices.total.cost_usd.toString(), 'alice'];
    const ids = ['1', 'alice', 'acme'];
    const urls = ['/user', '/team', '/admin', ...ids.flatMap((id) => [`/user?user=${id}`, `/user?user_id=${id}`, `/user?id=${id}`, `/user/${id}`, `/users/${id}`, `/team?team=${id}`, `/admin?user=${id}`])];
    // Every URL with bob's cookie (the context's own request client): the whole HTML, hidden parts included.
    for (const url of [...urls, ...urls.map((u) => `${u}${u.includes('?') ? '&' : '?'}month=${THIS_MONTH}`)]) {
      const reply = await t.context.request.get(`${w.origin}${url}`, { maxRedirects: 0 });
      const text = await reply.text();
      for (const mark of marks) assert.ok(!text.includes(mark), `${url} (${reply.status()}) shows "${mark}"`);
    }
    // And as rendered, where bob's own page is.
    await t.page.goto(`${w.origin}/user?user=alice`);
    assert.equal(await t.page.locator('[data-testid=signed-in-as]').innerText(), 'bob');
    for (const mark of marks) assert.ok(!(await t.page.locator('body').innerText()).includes(mark), mark);
    t.assertClean();
  });

  it('log out ends the session, on the server too: /user shows the sign-in page, even with the old cookie', async () => {
    const t = await signIn(w.alice);
    const cookies = await t.context.cookies();
    const [posted] = await Promise.all([t.page.waitForResponse((r) => r.request().method() === 'POST'), t.page.click('form[action="/logout"] button')]);
    if (posted.status() !== 303) assert.fail(`POST /logout from the page's own button: ${posted.status()} ${await posted.text()}`);
    await t.page.waitForURL('**/signed-out');
    assert.deepEqual((await t.context.cookies()).filter((c) => c.name === 'gh_session'), []);
    assert.equal((await t.page.goto(`${w.origin}/user`))?.status(), 401);
    assert.match(await t.page.locator('h1').innerText(), /Sign in/);
    const stale = await tab();
    await stale.context.addCookies(cookies);
    assert.equal((await stale.page.goto(`${w.origin}/user`))?.status(), 401, 'the old cookie opens nothing');
    t.assertClean();
  });
});
