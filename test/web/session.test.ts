// Issue 17 (3, 6): the session cookie's flags, logging out (CSRF token and same-origin checks),
// the cap on a posted form, and `browser`'s help, QR code and refusal when the web is off.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { commandAsserts } from '../helpers/commands.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { openShell, signUp, type KeyPair } from '../helpers/ssh.js';
import { csrfOf, get, magicLink, openLink, postForm, signIn, whoIs } from '../helpers/web.js';

/** A POST whose body is written as given (declared length or chunked), answered or not: its status. */
function rawPost(port: number, headers: Record<string, string | number>, body: string[], end = true): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/logout', method: 'POST', headers, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject).on('timeout', () => reject(new Error('rawPost deadline')));
    req.flushHeaders(); // headers now, even with no body written yet
    for (const chunk of body) req.write(chunk);
    if (end) req.end();
  });
}

describe('web sessions over http', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  const { ok, okJson, fails } = commandAsserts(() => gh.sshPort);
  const web = (path: string) => `http://127.0.0.1:${gh.webPort}${path}`;
  before(async () => {
    gh = await startTestGatehouse();
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(() => gh?.stop());

  it('issue 17.3: the cookie is HttpOnly, SameSite=Lax, Path=/, 7 days, and not Secure on http', async () => {
    const s = await signIn(gh.sshPort, gh.webPort!, alice);
    const flags = s.setCookie.split('; ').slice(1);
    assert.deepEqual(flags.filter((f) => !f.startsWith('Max-Age=')), ['HttpOnly', 'SameSite=Lax', 'Path=/']);
    const maxAge = Number(flags.find((f) => f.startsWith('Max-Age='))!.slice(8));
    assert.ok(Math.abs(maxAge - 7 * 86_400) <= 5, `Max-Age ${maxAge}`);
    const session = (await (await get(web("/auth/session"), { cookie: s.cookie })).json()) as { expires_at: string };
    assert.ok(Math.abs(Date.parse(session.expires_at) - Date.now() - 7 * 86_400_000) < 10_000);
  });

  it('issue 17.6: logout without the CSRF token, with a wrong one, or from another origin: 403 and the session lives on', async () => {
    const s = await signIn(gh.sshPort, gh.webPort!, alice);
    const csrf = await csrfOf(gh.webPort!, s.cookie);
    const refused: [Record<string, string>, Record<string, string>][] = [
      [{}, {}],
      [{ csrf: '' }, {}],
      [{ csrf: 'x'.repeat(43) }, {}],
      [{ csrf: `${csrf}x` }, {}],
      [{ csrf }, { origin: 'https://evil.example' }],
      [{ csrf }, { origin: 'null' }],
      [{ csrf }, { 'sec-fetch-site': 'cross-site' }],
      [{ csrf }, { 'sec-fetch-site': 'same-site' }],
    ];
    for (const [fields, headers] of refused) {
      const res = await postForm(web('/logout'), fields, { cookie: s.cookie, ...headers });
      assert.equal(res.status, 403, JSON.stringify([fields, headers]));
      assert.equal(res.headers.get('set-cookie'), null);
      assert.match(await res.text(), /still signed in/);
      assert.equal(await whoIs(gh.webPort!, s.cookie), 'alice');
    }
  });

  it('issue 17.3: logout with the token ends this session only: 303 to a signed-out page, cookie cleared', async () => {
    const s = await signIn(gh.sshPort, gh.webPort!, alice);
    const other = await signIn(gh.sshPort, gh.webPort!, alice); // another browser of hers
    const csrf = await csrfOf(gh.webPort!, s.cookie);
    const res = await postForm(web('/logout'), { csrf }, { cookie: s.cookie, origin: `http://127.0.0.1:${gh.webPort}`, 'sec-fetch-site': 'same-origin' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/signed-out');
    assert.equal(res.headers.get('set-cookie'), 'gh_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0');
    assert.equal(await whoIs(gh.webPort!, s.cookie), 401);
    const stale = await get(web('/auth/session'), { cookie: s.cookie });
    assert.equal(stale.status, 401);
    assert.match(stale.headers.get('set-cookie')!, /^gh_session=; .*Max-Age=0/, 'the dead cookie is dropped');
    await stale.arrayBuffer();
    assert.equal(await whoIs(gh.webPort!, other.cookie), 'alice');
    const page = await get(web('/signed-out'));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /signed out[\s\S]*browser/);
    // Without a session there is nothing to end: the same answer, nothing else changes.
    const again = await postForm(web('/logout'), { csrf }, { cookie: s.cookie });
    assert.equal(again.status, 303);
  });

  it('issue 17.6: a posted form over 4 KiB (declared or streamed) or not a form is refused; the session lives on', async () => {
    const s = await signIn(gh.sshPort, gh.webPort!, alice);
    const csrf = await csrfOf(gh.webPort!, s.cookie);
    const form = { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' };
    assert.equal(await rawPost(gh.webPort!, { ...form, 'content-length': 1_000_000 }, [], false), 413);
    const padded = `csrf=${csrf}&pad=${'a'.repeat(1024)}`;
    assert.equal(await rawPost(gh.webPort!, { ...form, 'transfer-encoding': 'chunked' }, Array(8).fill(padded), false), 413);
    assert.equal(await rawPost(gh.webPort!, { ...form, 'content-type': 'application/json' }, [JSON.stringify({ csrf })]), 400);
    assert.equal(await whoIs(gh.webPort!, s.cookie), 'alice');
  });

  it('issue 17.3: a HEAD of the link (a preview) does not use it up', async () => {
    const { link } = await magicLink(gh.sshPort, alice);
    const head = await fetch(link, { method: 'HEAD', redirect: 'manual' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('set-cookie'), null);
    await openLink(link);
  });

  it('issue 17.3: browser --help, and --qr prints the link, a QR code block and the expiry', async () => {
    const help = await ok(alice, 'browser --help');
    assert.match(help, /one-time link/);
    assert.match(help, /--qr/);
    const out = await ok(alice, 'browser --qr');
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0], /\/auth\/verify\?token=[A-Za-z0-9_-]{43}$/);
    const qr = lines.filter((l) => /^[█▀▄ ]{21,}$/.test(l));
    assert.ok(qr.length >= 12, `a QR code block: ${qr.length} lines`);
    assert.ok(new Set(qr.map((l) => l.length)).size === 1, 'square rows');
    assert.doesNotMatch(out, /\x1b\[/, 'plain text in exec mode');
    assert.equal(lines.at(-1), 'Expires in 15 minutes.');
    assert.deepEqual(Object.keys(await okJson(alice, 'browser --qr')), ['magic_link', 'expires_at']);
    await fails(alice, 'browser extra', 2, /argument|unexpected|too many/i);
  });

  it('issue 17.3: browser --qr at the prompt: the QR code\'s rows line up under a PTY', async () => {
    const term = await openShell(gh.sshPort, alice, { cols: 100, rows: 60 });
    try {
      await term.waitForPrompt();
      const shown = await term.run('browser --qr\r');
      const rows = shown.split('\n').filter((l) => /^[█▀▄ ]{21,}$/.test(l));
      assert.ok(rows.length >= 12, shown);
      assert.equal(new Set(rows.map((l) => l.length)).size, 1, 'every row starts at the left edge');
      assert.match(shown, /Expires in 15 minutes\./);
    } finally {
      term.close();
    }
  });
});

describe('web sessions under https and with the web off', () => {
  let secure: TestGatehouse;
  let off: TestGatehouse;
  before(async () => {
    [secure, off] = await Promise.all([startTestGatehouse({ GATEHOUSE_PUBLIC_URL: 'https://gatehouse.example/base/' }), startTestGatehouse({ GATEHOUSE_WEB_LISTEN: 'off' })]);
  });
  after(() => Promise.all([secure?.stop(), off?.stop()]));

  it('issue 17.3: with GATEHOUSE_PUBLIC_URL=https://… the link uses it and the cookie is Secure', async () => {
    const key = await signUp(secure.sshPort, 'alice');
    const { link, token } = await magicLink(secure.sshPort, key);
    assert.equal(link, `https://gatehouse.example/base/auth/verify?token=${token}`);
    const s = await openLink(`http://127.0.0.1:${secure.webPort}/auth/verify?token=${token}`); // the TLS proxy's side
    assert.match(s.setCookie, /; Secure$/);
    const csrf = await csrfOf(secure.webPort!, s.cookie);
    const res = await postForm(`http://127.0.0.1:${secure.webPort}/logout`, { csrf }, { cookie: s.cookie, origin: 'https://gatehouse.example' });
    assert.equal(res.status, 303, 'the public origin is this site');
    assert.match(res.headers.get('set-cookie')!, /Max-Age=0; Secure$/);
  });

  it('issue 17.3: with GATEHOUSE_WEB_LISTEN=off, browser says the web pages are off', async () => {
    const key = await signUp(off.sshPort, 'alice');
    const { fails, failsJson } = commandAsserts(() => off.sshPort);
    await fails(key, 'browser', 1, /web pages are turned off/);
    await failsJson(key, 'browser', 1, /web pages are turned off/);
  });
});
