// Issue 13: the GATEHOUSE_CHATGPT_* settings, and the pure readers of what ChatGPT sends: JWT
// claims (hostile and malformed ones too), usage-window headers and frames, and the issuer
// client against an issuer that is down or answers nonsense.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as issuer from '../../src/core/chatgpt/issuer.js';
import type { GatehouseError } from '../../src/errors.js';
import { idTokenClaims, jwtExp } from '../../src/core/chatgpt/claims.js';
import { EXPIRY_SKEW_MS, isStale, NO_EXP_REFRESH_MS } from '../../src/core/chatgpt/refresh.js';
import { parseWindows } from '../../src/core/chatgpt/windows.js';
import { loadConfig, SETTINGS } from '../../src/config.js';
import { mockJwt } from '../fixtures/mock/chatgpt/tokens.js';
import { tempDir } from '../helpers/gatehouse.js';

describe('issue 13: ChatGPT settings', () => {
  const dir = tempDir();

  it('default to the real issuer, Codex client id and backend, and a 15-minute login; all are in serve --help', () => {
    assert.deepEqual({ ...loadConfig({ GATEHOUSE_DATA_DIR: dir }).chatgpt }, {
      issuer: 'https://auth.openai.com',
      clientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
      backend: 'https://chatgpt.com/backend-api/codex',
      loginTimeoutMs: 900000,
    });
    for (const env of ['GATEHOUSE_CHATGPT_ISSUER', 'GATEHOUSE_CHATGPT_CLIENT_ID', 'GATEHOUSE_CHATGPT_BACKEND', 'GATEHOUSE_CHATGPT_LOGIN_TIMEOUT_MS']) assert.ok(SETTINGS.some((s) => s.env === env), env);
    const c = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_CHATGPT_ISSUER: 'http://127.0.0.1:9/', GATEHOUSE_CHATGPT_BACKEND: 'http://127.0.0.1:9/backend-api/codex/', GATEHOUSE_CHATGPT_LOGIN_TIMEOUT_MS: '2000' }).chatgpt;
    assert.equal(c.issuer, 'http://127.0.0.1:9');
    assert.equal(c.backend, 'http://127.0.0.1:9/backend-api/codex');
    assert.equal(c.loginTimeoutMs, 2000);
    assert.ok(Object.isFrozen(c));
  });

  it('refuse a non-URL, a query, a bad client id and a timeout beyond an hour', () => {
    const bad: Record<string, string>[] = [
      { GATEHOUSE_CHATGPT_ISSUER: 'auth.openai.com' },
      { GATEHOUSE_CHATGPT_ISSUER: 'ftp://auth.openai.com' },
      { GATEHOUSE_CHATGPT_BACKEND: 'https://chatgpt.com/x?y=1' },
      { GATEHOUSE_CHATGPT_CLIENT_ID: 'has space' },
      { GATEHOUSE_CHATGPT_LOGIN_TIMEOUT_MS: '0' },
      { GATEHOUSE_CHATGPT_LOGIN_TIMEOUT_MS: '3600001' },
    ];
    for (const env of bad) assert.throws(() => loadConfig({ GATEHOUSE_DATA_DIR: dir, ...env }), new RegExp(Object.keys(env)[0]), JSON.stringify(env));
  });
});

describe('issue 13: ChatGPT token claims and usage windows', () => {
  it('read email (or the profile email), plan and account id from an id_token, and exp from an access token', () => {
    const auth = { chatgpt_account_id: 'acct-1', chatgpt_plan_type: 'pro' };
    assert.deepEqual(idTokenClaims(mockJwt({ email: 'a@b.c', 'https://api.openai.com/auth': auth })), { email: 'a@b.c', plan: 'pro', chatgptAccountId: 'acct-1' });
    assert.equal(idTokenClaims(mockJwt({ 'https://api.openai.com/profile': { email: 'p@b.c' } })).email, 'p@b.c');
    assert.equal(jwtExp(mockJwt({ exp: 1900000000 })), 1900000000);
  });

  it('give nothing for malformed or hostile tokens, never an exception', () => {
    for (const jwt of ['', 'abc', 'a.b', 'a.!!!.c', `a.${Buffer.from('[1]').toString('base64url')}.c`, `a.${Buffer.from('null').toString('base64url')}.c`, `a.${'A'.repeat(100_000)}.c`]) {
      assert.deepEqual(idTokenClaims(jwt), { email: null, plan: null, chatgptAccountId: null }, jwt.slice(0, 20));
      assert.equal(jwtExp(jwt), undefined);
    }
    assert.equal(jwtExp(mockJwt({ exp: 'soon' })), undefined);
    assert.deepEqual(idTokenClaims(mockJwt({ email: 5, 'https://api.openai.com/auth': { chatgpt_account_id: 'x'.repeat(129), chatgpt_plan_type: ['plus'] } })), { email: null, plan: null, chatgptAccountId: null });
  });

  it('stale: within 5 minutes of exp; without exp, 8 days after the last refresh (as Codex)', () => {
    const now = Date.now();
    const held = (expMs: number | undefined, refreshedAtMs = now) => ({ access: 'a', refresh: 'r', generation: 1, expMs, refreshedAtMs });
    assert.equal(isStale(held(now + EXPIRY_SKEW_MS + 1000), now), false);
    assert.equal(isStale(held(now + EXPIRY_SKEW_MS - 1000), now), true);
    assert.equal(isStale(held(undefined, now - NO_EXP_REFRESH_MS + 1000), now), false);
    assert.equal(isStale(held(undefined, now - NO_EXP_REFRESH_MS), now), true);
    assert.equal(NO_EXP_REFRESH_MS, 8 * 24 * 3600_000);
  });

  it('parse x-codex-* headers and codex.rate_limits frames; nonsense values are dropped', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    assert.deepEqual(parseWindows({ 'x-codex-primary-used-percent': '42', 'x-codex-primary-window-minutes': '300', 'x-codex-primary-reset-at': '1900000000' }, at), {
      primary: { usedPercent: 42, windowMinutes: 300, resetAt: 1900000000 },
      secondary: null,
      observedAt: at.toISOString(),
    });
    assert.equal(parseWindows({ 'x-codex-primary-used-percent': 'NaN' }), null);
    assert.equal(parseWindows({}), null);
    assert.deepEqual(parseWindows({ 'x-codex-secondary-used-percent': ['7', '8'], 'x-codex-secondary-window-minutes': '-1' })?.secondary, { usedPercent: 7, windowMinutes: null, resetAt: null });
    assert.equal(parseWindows({ type: 'codex.rate_limits', rate_limits: { primary: { used_percent: 5, window_minutes: 300, reset_at: 1 } } })?.primary?.usedPercent, 5);
    assert.equal(parseWindows({ type: 'codex.rate_limits', rate_limits: null }), null);
  });
});

describe('issue 13: the issuer client against a broken issuer', () => {
  let server: http.Server;
  let cfg: issuer.IssuerConfig;
  let answer: (res: http.ServerResponse) => void = (res) => res.end();
  before(async () => {
    server = http.createServer((req, res) => req.resume().on('end', () => answer(res)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cfg = { issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, clientId: 'app_x' };
  });
  after(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));

  it('an oversized, non-JSON or incomplete answer is refused without echoing it', async () => {
    answer = (res) => res.end(JSON.stringify({ device_auth_id: 'd', user_code: 'U', pad: 'x'.repeat(1024 * 1024) }));
    await assert.rejects(issuer.requestUserCode(cfg), (err: GatehouseError) => err.code === 'upstream_unreachable' && !err.message.includes('xxxx'));
    answer = (res) => res.end('<html>oops</html>');
    await assert.rejects(issuer.requestUserCode(cfg), (err: GatehouseError) => err.code === 'upstream_unreachable' && !err.message.includes('oops'));
    answer = (res) => (res.writeHead(200, { 'content-type': 'application/json' }), res.end(JSON.stringify({ access_token: 'a' })));
    await assert.rejects(issuer.exchangeCode(cfg, { authorizationCode: 'c', codeVerifier: 'v' }), (err: GatehouseError) => err.code === 'upstream_unreachable');
    answer = (res) => (res.writeHead(400, { 'content-type': 'application/json' }), res.end(JSON.stringify({ error: 'invalid_grant', secret: 'rt_leak' })));
    await assert.rejects(issuer.exchangeCode(cfg, { authorizationCode: 'c', codeVerifier: 'v' }), (err: GatehouseError) => /status 400 \(invalid_grant\)/.test(err.message) && !err.message.includes('rt_leak'));
    // interval as a number, a string, nonsense
    for (const [interval, s] of [[5, 5], ['3', 3], ['soon', 0], [undefined, 0]] as const) {
      answer = (res) => res.end(JSON.stringify({ device_auth_id: 'd', user_code: 'ABCD-EFGH', interval }));
      assert.equal((await issuer.requestUserCode(cfg)).intervalS, s);
    }
  });

  it('a refresh that meets an error code in any of its three shapes, a 401 or a 5xx is classified', async () => {
    const cases: Array<[number, unknown, issuer.RefreshResult]> = [
      [400, { error: { code: 'refresh_token_reused' } }, { ok: false, permanent: true, reason: 'refresh_token_reused' }],
      [400, { error: 'refresh_token_expired' }, { ok: false, permanent: true, reason: 'refresh_token_expired' }],
      [400, { code: 'refresh_token_invalidated' }, { ok: false, permanent: true, reason: 'refresh_token_invalidated' }],
      [401, {}, { ok: false, permanent: true, reason: 'unauthorized' }],
      [503, 'busy', { ok: false, permanent: false, reason: 'status 503' }],
      [400, { error: 'invalid_request' }, { ok: false, permanent: false, reason: 'status 400' }],
    ];
    for (const [status, body, expected] of cases) {
      answer = (res) => (res.writeHead(status), res.end(typeof body === 'string' ? body : JSON.stringify(body)));
      assert.deepEqual(await issuer.refresh(cfg, 'rt'), expected, JSON.stringify(body));
    }
  });

  it('an issuer that is down: unreachable errors, a transient refresh, a failed revoke', async () => {
    const down = { issuer: 'http://127.0.0.1:9', clientId: 'x' };
    await assert.rejects(issuer.requestUserCode(down), (err: GatehouseError) => err.code === 'upstream_unreachable');
    assert.deepEqual(await issuer.refresh(down, 'rt'), { ok: false, permanent: false, reason: 'unreachable' });
    assert.equal(await issuer.revoke(down, 'rt'), false);
  });
});
