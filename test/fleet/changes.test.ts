// Issue 12.2, "shared state, local speed": two instances A and B on one PostgreSQL. Each answers
// the gateway from its in-memory indexes, and a change made anywhere (through A, through B, or by
// `gatehouse user add` against the database) reaches the other within one second, published by
// the database (triggers → NOTIFY → each instance's change feed), not by the command.
// Latencies are measured from the moment the changing command returned, polling every 20 ms.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { tempDir, type TestGatehouse } from '../helpers/gatehouse.js';
import { ANTHROPIC_BODY, request } from '../helpers/gateway.js';
import { exec, newKey, type KeyPair } from '../helpers/ssh.js';
import { killListeners, NO_POSTGRES, pollUntil, startFleet, type Fleet } from './fleet.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ONE_SECOND = 1000;
const BOX = '127.0.0.3'; // alice's VM, registered through A

let fleet: Fleet;
let A: TestGatehouse;
let B: TestGatehouse;
let alice: KeyPair;

async function ok(gh: TestGatehouse, key: KeyPair, command: string): Promise<string> {
  const r = await exec(gh.sshPort, key, command);
  assert.equal(r.code, 0, `${command}: ${r.stderr}`);
  return r.stdout;
}

/** The status of an Anthropic call through `gh`'s gateway, from a VM address or with an API key. */
async function status(gh: TestGatehouse, from: string, apiKey?: string): Promise<number> {
  const headers: Record<string, string> = apiKey ? { 'x-api-key': apiKey } : {};
  return (await request(gh.gatewayPort, { from, path: '/gateway/llm/anthropic/v1/messages', headers, body: ANTHROPIC_BODY })).status;
}

const expect = (gh: TestGatehouse, from: string, want: number, apiKey?: string) => async () => {
  const got = await status(gh, from, apiKey);
  return got === want || `status ${got}`;
};

describe('issue 12.2: two instances on one PostgreSQL see each other’s changes within 1 s', { skip: NO_POSTGRES }, () => {
  before(async () => {
    fleet = await startFleet(2);
    [A, B] = fleet.instances;
  });

  after(async () => {
    await fleet?.stop();
  });

  it('issue 12.2: `gatehouse user add alice` against the database lets alice ssh into B', async (t) => {
    alice = newKey('alice-laptop');
    const dir = tempDir('gatehouse-cli-');
    const keyFile = path.join(dir, 'alice.pub');
    fs.writeFileSync(keyFile, alice.public);
    // The operator's CLI is a third writer, with no change feed of its own: the triggers publish.
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/gatehouse.js', 'user', 'add', 'alice', '--key-file', keyFile, '--data-dir', dir, '--database-url', fleet.url], {
      cwd: ROOT,
      timeout: 30_000,
    });
    assert.match(stdout, /Added user alice/);
    const ms = await pollUntil(ONE_SECOND, async () => {
      const r = await exec(B.sshPort, alice, 'whoami --json');
      return (r.code === 0 && JSON.parse(r.stdout).name === 'alice') || `exit ${r.code}: ${r.stderr}`;
    });
    t.diagnostic(`user add → alice's ssh into B: ${ms.toFixed(1)} ms`);
  });

  it('issue 12.2: a VM registered through A calls the gateway through B within 1 s', async (t) => {
    assert.equal(await status(B, BOX), 401, 'B has read its VM index: 127.0.0.3 is no VM yet');
    await ok(A, alice, `new --name alice-box --address ${BOX}`);
    const ms = await pollUntil(ONE_SECOND, expect(B, BOX, 200));
    t.diagnostic(`vm new on A → served by B: ${ms.toFixed(1)} ms`);
  });

  it('issue 12.2: `keys revoke` on B is refused on A within 1 s', async (t) => {
    const { key } = JSON.parse(await ok(B, alice, 'keys create --name laptop --json'));
    // A learns of the new key the same way, then holds it in its index.
    const learnt = await pollUntil(ONE_SECOND, expect(A, '127.0.0.1', 200, key));
    t.diagnostic(`keys create on B → accepted by A: ${learnt.toFixed(1)} ms`);
    await ok(B, alice, 'keys revoke laptop');
    const ms = await pollUntil(ONE_SECOND, expect(A, '127.0.0.1', 401, key));
    t.diagnostic(`keys revoke on B → refused by A: ${ms.toFixed(1)} ms`);
  });

  it('issue 12.2: `integrations edit llm --anthropic=disabled` on A is refused on B within 1 s', async (t) => {
    assert.equal(await status(B, BOX), 200);
    await ok(A, alice, 'integrations edit llm --anthropic=disabled');
    const ms = await pollUntil(ONE_SECOND, expect(B, BOX, 403));
    t.diagnostic(`integrations edit on A → refused by B: ${ms.toFixed(1)} ms`);
    await ok(B, alice, 'integrations edit llm --anthropic=gateway');
    const back = await pollUntil(ONE_SECOND, expect(A, BOX, 200));
    t.diagnostic(`integrations edit on B → served by A: ${back.toFixed(1)} ms`);
  });

  it('issue 12.2: with the listener connections killed, a change made afterwards still reaches B (reconnect, then the version check)', async (t) => {
    assert.equal(await status(B, BOX), 200);
    assert.equal(await killListeners(fleet.url), 2, 'one listener per instance');
    await pollUntil(5_000, async () => B.logLines.some((l) => /WARN change listener lost/.test(l)) || 'no "lost" warning yet');
    await ok(A, alice, 'rm alice-box');
    const ms = await pollUntil(B.config.changeCheckMs + ONE_SECOND, expect(B, BOX, 401));
    t.diagnostic(`listeners killed, rm on A → refused by B: ${ms.toFixed(1)} ms`);
    await pollUntil(5_000, async () => B.logLines.some((l) => /WARN change listener regained after \d+ ms/.test(l)) || 'no "regained" warning yet');
    // And the listener works again: a change through B is seen by A as fast as before.
    await ok(B, alice, `new --name alice-box --address ${BOX}`);
    const again = await pollUntil(ONE_SECOND, expect(A, BOX, 200));
    t.diagnostic(`after reconnect, vm new on B → served by A: ${again.toFixed(1)} ms`);
  });

  it('never logs the database URL', () => {
    for (const gh of [A, B]) for (const line of gh.logLines) assert.ok(!line.includes(fleet.url) && !line.includes('postgres://'), line);
  });
});
