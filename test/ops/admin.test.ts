// Issue 16.1: the admin listener. /healthz answers whenever the process does; /readyz is 503 while
// the database cannot be reached and from the moment a stop begins; /metrics is Prometheus text;
// nothing of it is reachable on the gateway's address.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ANTHROPIC_BODY, intHost, type GatewayEnv, startGatewayEnv } from '../helpers/gateway.js';
import { startTestGatehouse } from '../helpers/gatehouse.js';
import { freshPostgresUrl, POSTGRES_URL } from '../helpers/databases.js';

const DEADLINE_MS = 10_000;

interface AdminReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function admin(port: number, path: string, method = 'GET', from = '127.0.0.1'): Promise<AdminReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, localAddress: from, agent: false, timeout: DEADLINE_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`deadline: ${method} ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `probe` until it holds, failing at the deadline with what it last saw. */
async function until(what: string, probe: () => Promise<boolean | string>, deadlineMs = DEADLINE_MS): Promise<void> {
  const started = performance.now();
  let seen: boolean | string = false;
  while (performance.now() - started < deadlineMs) {
    seen = await probe();
    if (seen === true) return;
    await new Promise((r) => setTimeout(r, 50)); // a poll of a cached check, not a sleep standing in for an event
  }
  assert.fail(`${what}: not within ${deadlineMs} ms (last: ${seen})`);
}

describe('issue 16.1: the admin listener', () => {
  let env: GatewayEnv;
  let port: number;
  before(async () => {
    env = await startGatewayEnv();
    port = env.gh.adminPort!;
    assert.ok(port > 0 && port !== env.port, 'an admin port of its own');
  });
  after(() => env.stop());

  it('issue 16.1: /healthz is 200 {"status":"ok"}; HEAD too, without a body', async () => {
    const r = await admin(port, '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), { status: 'ok' });
    const head = await admin(port, '/healthz', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
  });

  it('issue 16.1: /readyz is 200 with every check true once the listeners are up', async () => {
    const r = await admin(port, '/readyz');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text), { status: 'ok', checks: { listeners: true, database: true, indexes: true } });
  });

  it('issue 16.1: /metrics answers in the Prometheus text content type', async () => {
    const r = await admin(port, '/metrics');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  });

  it('issue 16.1: unknown paths are 404, other methods 405 (with Allow), a query string is ignored', async () => {
    for (const path of ['/', '/metricsx', '/metrics/', '/admin', '/%2e%2e/etc/passwd']) assert.equal((await admin(port, path)).status, 404, path);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const r = await admin(port, '/metrics', method);
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
    assert.equal((await admin(port, '/healthz?verbose=1')).status, 200);
  });

  it('issue 16.1: hostile requests: an oversized header is refused, and the listener still answers', async () => {
    const r = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/metrics', agent: false, headers: { 'x-big': 'a'.repeat(64 * 1024) } }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on('error', reject);
      req.end();
    }).catch(() => 431);
    assert.equal(r, 431);
    assert.equal((await admin(port, '/healthz')).status, 200);
  });

  it('issue 16.1: the gateway answers its own 404 for /metrics, /healthz and /readyz (nothing of the admin listener there)', async () => {
    for (const path of ['/metrics', '/healthz', '/readyz']) {
      const r = await env.request({ path });
      assert.notEqual(r.status, 200, path);
      assert.doesNotMatch(r.text, /# (HELP|TYPE)|"checks"/, path);
      const vm = await env.request({ path, host: intHost('llm') });
      assert.notEqual(vm.status, 200, `${path} through an integration host`);
    }
  });

  it('issue 16.1: an admin port already taken stops the start with one clear config error', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const busy = (taken.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startTestGatehouse({ GATEHOUSE_ADMIN_LISTEN: `127.0.0.1:${busy}`, GATEHOUSE_GATEWAY_LISTEN: '127.0.0.1:0' }), (err: Error & { code?: string }) => err.code === 'config' && err.message === `GATEHOUSE_ADMIN_LISTEN: cannot listen on 127.0.0.1:${busy} (EADDRINUSE)`);
    } finally {
      taken.close();
    }
  });

  it('issue 16.1: GATEHOUSE_ADMIN_LISTEN=off: no admin port', async () => {
    const gh = await startTestGatehouse({ GATEHOUSE_ADMIN_LISTEN: 'off' });
    try {
      assert.equal(gh.adminPort, undefined);
    } finally {
      await gh.stop();
    }
  });
});

describe('issue 16.1: /readyz during a drain', () => {
  it('issue 16.1: 503 (listeners false) from the moment stop() begins while a request drains; /healthz and /metrics still answer', async () => {
    const env = await startGatewayEnv();
    const port = env.gh.adminPort!;
    try {
      const req = http.request({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2', method: 'POST', path: '/v1/messages', agent: false, headers: { host: intHost('llm'), 'content-type': 'application/json', 'x-mock-scenario': JSON.stringify({ headersDelayMs: 8000 }) } });
      req.on('error', () => {});
      req.end(JSON.stringify(ANTHROPIC_BODY));
      await env.mock.waitForRequests(1);
      const stopped = env.gh.app.stop({ drainMs: 8000 });
      const r = await admin(port, '/readyz');
      assert.equal(r.status, 503);
      assert.deepEqual(JSON.parse(r.text).checks.listeners, false);
      assert.equal(JSON.parse(r.text).status, 'unavailable');
      assert.equal((await admin(port, '/healthz')).status, 200);
      assert.equal((await admin(port, '/metrics')).status, 200);
      req.destroy(); // the drain ends with its last request
      await stopped;
      await assert.rejects(admin(port, '/healthz'), 'the admin listener closes last, with the stop');
    } finally {
      await env.mock.close();
    }
  });
});

describe('issue 16.1: /readyz when PostgreSQL cannot be reached', { skip: !POSTGRES_URL && 'no PostgreSQL' }, () => {
  it('issue 16.1: 503 with database false while connections are refused, 200 again once they are allowed', async () => {
    const url = await freshPostgresUrl();
    const name = new URL(url).pathname.slice(1);
    const gh = await startTestGatehouse({ GATEHOUSE_DATABASE_URL: url });
    const superuser = new pg.Client({ connectionString: POSTGRES_URL });
    await superuser.connect();
    try {
      assert.equal((await admin(gh.adminPort!, '/readyz')).status, 200);
      await superuser.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await superuser.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      await until('readyz 503', async () => {
        const r = await admin(gh.adminPort!, '/readyz');
        return r.status === 503 || `${r.status} ${r.text}`;
      });
      const r = await admin(gh.adminPort!, '/readyz');
      assert.equal(JSON.parse(r.text).checks.database, false);
      assert.equal((await admin(gh.adminPort!, '/healthz')).status, 200, 'the process still answers');
      assert.ok(!gh.rawLog.some((l) => l.includes(url)), 'no connection string in the log');
      await superuser.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await until('readyz 200 again', async () => {
        const again = await admin(gh.adminPort!, '/readyz');
        return again.status === 200 || `${again.status} ${again.text}`;
      });
    } finally {
      await superuser.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
      await superuser.end();
      await gh.stop();
    }
  });
});
