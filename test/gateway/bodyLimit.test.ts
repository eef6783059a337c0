// Issue 11.4: a body over GATEHOUSE_MAX_BODY_BYTES (32 MiB by default) is answered 413 in the
// caller's shape, and the client, still uploading, reads that answer: the connection closes only
// after the answer and a bounded drain of the rest of the upload (a lingering close).
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { tempDir } from '../helpers/gatehouse.js';
import { ANTHROPIC_BODY, CHAT_BODY, errorOf, intHost, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';

const MIB = 1024 * 1024;
const LIMIT = 32 * MIB;
const UPLOAD = 64 * MIB;
const DEADLINE_MS = 20_000;
const LLM = intHost('llm');
let env: GatewayEnv;
let payload: Buffer;

before(async () => {
  env = await startGatewayEnv();
  // A JSON body of 64 MiB, as a client that inlines a huge file would send.
  const head = JSON.stringify({ ...ANTHROPIC_BODY, padding: '' }).slice(0, -2);
  payload = Buffer.alloc(UPLOAD, 'x');
  payload.write(head, 0, 'latin1');
  payload.write('"}', UPLOAD - 2, 'latin1');
});
after(() => env.stop());
beforeEach(() => env.mock.reset());

interface Upload {
  status: number;
  body: string;
  /** Any error the client saw (EPIPE, ECONNRESET …). */
  error?: Error;
}

/**
 * node:http uploads `chunks` (Content-Length or chunked) with back-pressure and reads the answer
 * as it comes; it stops uploading by itself once a `connection: close` answer has ended.
 * Resolves when the request is closed, with any error it saw on the way.
 */
function upload(path: string, chunks: Buffer[], headers: Record<string, string>): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('deadline: the request did not close')), DEADLINE_MS);
    const req = http.request({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2', method: 'POST', path, agent: false, headers: { host: LLM, 'content-type': 'application/json', ...headers } });
    const result: Upload = { status: 0, body: '' };
    req.on('error', (err) => (result.error ??= err));
    req.on('response', (res) => {
      result.status = res.statusCode ?? 0;
      res.on('data', (d) => (result.body += d));
    });
    req.on('close', () => {
      clearTimeout(timer);
      resolve(result);
    });
    const next = (i: number): void => {
      for (; i < chunks.length && !req.destroyed; i++) if (!req.write(chunks[i])) return void req.once('drain', () => next(i + 1));
      if (!req.destroyed) req.end();
    };
    next(0);
  });
}

/**
 * A client that writes its whole upload before it reads anything (as many do): with the answer
 * waiting unread in its socket, a reset would throw it away. Resolves with all it read, once closed.
 */
function uploadThenRead(head: string, body: Buffer[], connect = () => net.connect({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2' })): Promise<{ text: string; error?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect();
    const timer = setTimeout(() => reject(new Error('deadline: the connection did not close')), DEADLINE_MS);
    socket.pause();
    let text = '';
    let error: string | undefined;
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err.code));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, error });
    });
    socket.write(head);
    const next = (i: number): void => {
      for (; i < body.length; i++) if (!socket.write(body[i])) return void socket.once('drain', () => next(i + 1));
      socket.write('', () => socket.resume()); // all handed to the kernel: now read
    };
    next(0);
  });
}

const slices = (buf: Buffer, size: number) => Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));
const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));

describe('issue 11.4: a body over the limit gets a readable 413', () => {
  it('a client that writes all 64 MiB (Content-Length) before reading still reads the 413, in Anthropic’s shape', async () => {
    const head = `POST /v1/messages HTTP/1.1\r\nHost: ${LLM}\r\nContent-Type: application/json\r\nContent-Length: ${UPLOAD}\r\n\r\n`;
    const r = await uploadThenRead(head, slices(payload, MIB));
    assert.equal(r.error, undefined, `the client saw ${r.error}`);
    assert.match(r.text, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
    assert.match(r.text, /\r\nconnection: close\r\n/i);
    assert.equal(errorOf('anthropic', bodyOf(r.text)).message, `request body is larger than ${LIMIT} bytes`);
    assert.equal(env.mock.requests.length, 0);
  });

  it('a client that writes a chunked upload growing to 64 MiB before reading still reads the 413, in OpenAI’s shape', async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: ${LLM}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const chunks = slices(payload, MIB).map((c) => Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]));
    const r = await uploadThenRead(head, [...chunks, Buffer.from('0\r\n\r\n')]);
    assert.equal(r.error, undefined, `the client saw ${r.error}`);
    assert.match(r.text, /^HTTP\/1\.1 413 /);
    assert.match(errorOf('openai', bodyOf(r.text)).message, /larger than/);
    assert.equal(env.mock.requests.length, 0);
  });

  it('node:http, 64 MiB with Content-Length and chunked: the 413 is read, with no EPIPE or reset', async () => {
    for (const headers of [{ 'content-length': String(UPLOAD) }, { 'transfer-encoding': 'chunked' }] as Record<string, string>[]) {
      const r = await upload('/v1/messages', slices(payload, MIB), headers);
      assert.equal(r.error, undefined, `the client saw ${r.error?.message}`);
      assert.equal(r.status, 413, r.body);
      assert.equal(errorOf('anthropic', JSON.parse(r.body)).message, `request body is larger than ${LIMIT} bytes`);
    }
    assert.equal(env.mock.requests.length, 0);
  });

  it('fetch (undici), 64 MiB: the 413 is read', async () => {
    // undici sets Host from the URL: *.localhost is resolved to the gateway here.
    const lookup = (_host: string, options: { all?: boolean }, cb: (err: Error | null, address: unknown, family?: number) => void) =>
      options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
    const dispatcher = new Agent({ localAddress: '127.0.0.2', connect: { lookup: lookup as never } });
    try {
      const res = await fetch(`http://${LLM}:${env.port}/v1/messages`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json' }, dispatcher });
      assert.equal(res.status, 413);
      assert.equal(res.headers.get('connection'), 'close');
      assert.ok(res.headers.get('x-gatehouse-request-id'));
      assert.match(errorOf('anthropic', await res.json()).message, /larger than/);
    } finally {
      await dispatcher.close();
    }
    assert.equal(env.mock.requests.length, 0);
  });

  it('issue 11: a body never read (the request was answered first) cannot trickle in forever: closed 2 s after the answer', async () => {
    const started = performance.now();
    const { answer, closedAfter } = await new Promise<{ answer: string; closedAfter: number }>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2' });
      let text = '';
      const drip = setInterval(() => socket.write('x'), 100);
      const timer = setTimeout(() => reject(new Error(`deadline: still open; got ${text.slice(0, 100)}`)), DEADLINE_MS);
      socket.on('data', (d) => (text += d.toString('latin1')));
      socket.on('close', () => {
        clearInterval(drip);
        clearTimeout(timer);
        resolve({ answer: text, closedAfter: performance.now() - started });
      });
      socket.on('error', () => {});
      // A route that answers without reading the body, and a body that would take years at this pace.
      socket.write(`POST /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n`);
    });
    assert.match(answer, /^HTTP\/1\.1 404 /, 'the answer came first');
    assert.ok(closedAfter >= 1500 && closedAfter < 5000, `closed after ${closedAfter.toFixed(0)} ms`);
  });

  it('Expect: 100-continue with a body declared over the limit: the 413 comes at once, no 100, nothing uploaded', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2' });
      let text = '';
      const timer = setTimeout(() => reject(new Error(`deadline: ${text}`)), DEADLINE_MS);
      socket.on('data', (d) => (text += d.toString('latin1')));
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(text);
      });
      socket.on('error', () => {});
      socket.write(`POST /v1/messages HTTP/1.1\r\nHost: ${LLM}\r\nContent-Type: application/json\r\nContent-Length: ${UPLOAD}\r\nExpect: 100-continue\r\n\r\n`);
    });
    assert.match(answer, /^HTTP\/1\.1 413 /, 'the final answer first, never 100 Continue');
    errorOf('anthropic', JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)));
    // A body within the limit still gets its 100 Continue and is served.
    const ok = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify(ANTHROPIC_BODY);
      const req = http.request({ host: '127.0.0.1', port: env.port, method: 'POST', path: '/v1/messages', localAddress: '127.0.0.2', headers: { host: LLM, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' } });
      req.on('continue', () => req.end(body));
      req.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on('error', reject);
    });
    assert.equal(ok, 200);
    assert.equal(env.mock.requests.length, 1);
  });

  it('the drain is bounded: a client that never stops sending is closed, and others are served meanwhile', async () => {
    // allowHalfOpen: it goes on sending after the gateway's FIN (a plain net socket would stop there).
    const socket = net.connect({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2', allowHalfOpen: true });
    socket.on('error', () => {});
    let text = '';
    let answeredAt = 0;
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (!answeredAt && text.includes('\r\n\r\n{')) answeredAt = performance.now();
    });
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now())));
    const chunk = Buffer.from(`${(MIB).toString(16)}\r\n${'x'.repeat(MIB)}\r\n`);
    let flooding = true;
    const flood = () => {
      while (flooding && socket.writable && socket.write(chunk));
      if (flooding && socket.writable) socket.once('drain', flood);
    };
    socket.write(`POST /v1/messages HTTP/1.1\r\nHost: ${LLM}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    flood();
    const timer = setTimeout(() => socket.destroy(), DEADLINE_MS);
    // While the flood lasts, another client is answered.
    const hello = performance.now();
    assert.equal((await env.request({ path: '/api/hello' })).status, 200);
    const helloMs = performance.now() - hello;
    const closedAt = await closed;
    flooding = false;
    clearTimeout(timer);
    assert.match(text, /^HTTP\/1\.1 413 /);
    assert.match(text, /connection: close/i);
    assert.ok(answeredAt > 0, 'the 413 body arrived');
    const lingered = closedAt - answeredAt;
    // At most LINGER_MS (2 s) or LINGER_BYTES (128 MiB, a fraction of a second on loopback), checked every 100 ms.
    assert.ok(lingered < 2000 + 1500, `closed ${Math.round(lingered)} ms after the answer`);
    assert.ok(socket.bytesWritten > UPLOAD, `the client went on sending (${socket.bytesWritten} bytes)`);
    assert.ok(helloMs < 2000, `another client waited ${Math.round(helloMs)} ms`);
    assert.equal(env.mock.requests.length, 0);
  });

  it('a slow upload that never ends is closed LINGER_MS (2 s) after the answer', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2', allowHalfOpen: true });
    socket.on('error', () => {});
    let answeredAt = 0;
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (!answeredAt && text.includes('\r\n\r\n{')) answeredAt = performance.now();
    });
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now())));
    const chunk = Buffer.from(`${MIB.toString(16)}\r\n${'x'.repeat(MIB)}\r\n`);
    // Fast up to the limit, then 20 MiB/s: below the byte budget, so only the time bound can end it.
    const send = (): void => {
      if (!socket.writable) return;
      socket.write(chunk);
      setTimeout(send, answeredAt ? 50 : 0);
    };
    socket.write(`POST /v1/messages HTTP/1.1\r\nHost: ${LLM}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    send();
    const timer = setTimeout(() => socket.destroy(), DEADLINE_MS);
    const lingered = (await closed) - answeredAt;
    clearTimeout(timer);
    assert.match(text, /^HTTP\/1\.1 413 /);
    assert.ok(lingered >= 1500 && lingered < 3500, `closed ${Math.round(lingered)} ms after the answer`);
  });

  it('a request pipelined after an oversized body is never served', async () => {
    const over = Buffer.alloc(LIMIT + 1, 'x');
    const next = `POST /v1/messages HTTP/1.1\r\nHost: ${LLM}\r\nContent-Type: application/json\r\nContent-Length: ${JSON.stringify(ANTHROPIC_BODY).length}\r\n\r\n${JSON.stringify(ANTHROPIC_BODY)}`;
    const socket = net.connect({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2' });
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write(`POST /v1/messages HTTP/1.1\r\nHost: ${LLM}\r\nContent-Type: application/json\r\nContent-Length: ${over.length}\r\n\r\n`);
    socket.write(over);
    socket.write(next);
    const timer = setTimeout(() => socket.destroy(), DEADLINE_MS);
    await closed;
    clearTimeout(timer);
    assert.deepEqual(text.match(/HTTP\/1\.1 \d+/g), ['HTTP/1.1 413']);
    assert.equal(env.mock.requests.length, 0);
    assert.equal((await env.request({ path: '/v1/messages', host: LLM, body: ANTHROPIC_BODY })).status, 200, 'the gateway still serves');
  });
});

describe('issue 11.4 over HTTPS (and plain HTTP on the same sniffing port)', { skip: spawnSync('openssl', ['version']).status === 0 ? false : 'openssl is not installed' }, () => {
  let secure: GatewayEnv;
  before(async () => {
    const dir = tempDir('gatehouse-tls-');
    const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=x', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
    assert.equal(made.status, 0, made.stderr.toString());
    secure = await startGatewayEnv({ env: { GATEHOUSE_TLS_CERT: cert, GATEHOUSE_TLS_KEY: key } });
  });
  after(() => secure?.stop());

  it('a client that writes all 64 MiB before reading reads the 413, over TLS and plain', async () => {
    const head = `POST /v1/messages HTTP/1.1\r\nHost: ${LLM}\r\nContent-Type: application/json\r\nContent-Length: ${UPLOAD}\r\n\r\n`;
    const to = { host: '127.0.0.1', port: secure.port, localAddress: '127.0.0.2' };
    for (const connect of [() => tls.connect({ ...to, rejectUnauthorized: false }), () => net.connect(to)]) {
      const r = await uploadThenRead(head, slices(payload, MIB), connect);
      assert.equal(r.error, undefined, `the client saw ${r.error}`);
      assert.match(r.text, /^HTTP\/1\.1 413 /);
      assert.equal(errorOf('anthropic', bodyOf(r.text)).message, `request body is larger than ${LIMIT} bytes`);
    }
    assert.equal(secure.mock.requests.length, 0);
  });
});
