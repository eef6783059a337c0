// With GATEHOUSE_TLS_CERT/KEY the gateway's ports speak HTTPS as well as HTTP (told apart by the
// first byte of each connection). A self-signed wildcard certificate is made with openssl.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestGatehouse, tempDir, type TestGatehouse } from '../helpers/gatehouse.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

function get(url: string, options: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(url, { ...options, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('deadline')));
  });
}

describe('gateway over HTTPS', { skip: hasOpenssl ? false : 'openssl is not installed' }, () => {
  let gh: TestGatehouse;
  let cert: string;
  before(async () => {
    const dir = tempDir('gatehouse-tls-');
    cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=*.int.gatehouse.localhost', '-addext', 'subjectAltName=DNS:*.int.gatehouse.localhost,IP:127.0.0.1', '-keyout', key, '-out', cert]);
    assert.equal(made.status, 0, made.stderr.toString());
    gh = await startTestGatehouse({ GATEHOUSE_TLS_CERT: cert, GATEHOUSE_TLS_KEY: key });
  });
  after(() => gh?.stop());

  it('answers HTTPS and plain HTTP on the same port', async () => {
    const { readFileSync } = await import('node:fs');
    const secure = await get(`https://127.0.0.1:${gh.gatewayPort}/api/hello`, { ca: readFileSync(cert) });
    assert.equal(secure.status, 200);
    assert.match(secure.body, /"status":"ok"/);
    const plain = await get(`http://127.0.0.1:${gh.gatewayPort}/api/hello`);
    assert.equal(plain.status, 200);
  });

  it('refuses a client that does not trust the certificate, and keeps serving', async () => {
    await assert.rejects(get(`https://127.0.0.1:${gh.gatewayPort}/api/hello`), /self[- ]signed|unable to verify|certificate/i);
    assert.equal((await get(`http://127.0.0.1:${gh.gatewayPort}/`)).status, 200);
  });

  it('a TLS key file that cannot be read stops the start with a message naming it', async () => {
    await assert.rejects(startTestGatehouse({ GATEHOUSE_TLS_CERT: cert, GATEHOUSE_TLS_KEY: '/nonexistent/key.pem' }), /GATEHOUSE_TLS_CERT\/KEY: cannot read \/nonexistent\/key.pem/);
  });
});
