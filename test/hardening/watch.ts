// A bystander for hostile-input tests (issue 11, "One event loop serves everyone"): while a hostile
// client runs, another client keeps asking the gateway `GET /api/hello` and the SSH shell `whoami`
// (a fresh exec channel on a kept connection: the command's latency, not the handshake's), and
// records the slowest answer of each.
import assert from 'node:assert/strict';
import http from 'node:http';
import type ssh2 from 'ssh2';
import { connect, execOn, type KeyPair } from '../helpers/ssh.js';

export interface Bystander {
  /** Stops asking and returns the slowest answers, in ms. */
  stop(): Promise<{ hello: number; whoami: number; hellos: number; whoamis: number }>;
}

const DEADLINE_MS = 5_000;

function hello(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/hello', localAddress: '127.0.0.1', agent: false, timeout: DEADLINE_MS }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`hello answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('hello deadline')));
    req.on('error', reject);
  });
}

async function whoami(client: ssh2.Client): Promise<void> {
  const r = await execOn(client, 'whoami');
  if (r.code !== 0 || !r.stdout.trim()) throw new Error(`whoami failed: ${r.code} ${r.stderr}`);
}

/** Asks every `everyMs` until stopped; one question of each kind in flight at a time. */
export async function startBystander(gatewayPort: number, sshPort: number, key: KeyPair, everyMs = 25): Promise<Bystander> {
  const client = await connect(sshPort, key);
  const worst = { hello: 0, whoami: 0, hellos: 0, whoamis: 0 };
  let running = true;
  const loop = async (kind: 'hello' | 'whoami', ask: () => Promise<void>) => {
    while (running) {
      const started = performance.now();
      await ask();
      worst[kind] = Math.max(worst[kind], performance.now() - started);
      worst[kind === 'hello' ? 'hellos' : 'whoamis']++;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  };
  const loops = Promise.all([loop('hello', () => hello(gatewayPort)), loop('whoami', () => whoami(client))]);
  return {
    async stop() {
      running = false;
      await loops;
      client.end();
      assert.ok(worst.hellos > 0 && worst.whoamis > 0, 'the bystander got answers');
      return worst;
    },
  };
}
