// Issue #6, SSH side: `keys create|list|revoke`. A key is shown once, at creation; afterwards only
// its name and a short prefix exist anywhere (outputs, logs, the database files, which hold only
// a peppered hash). Errors name what was wrong; another user's keys are invisible.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { loadSecretKey, Sealer } from '../../src/core/secrets.js';
import { allApiKeys } from '../../src/db/apiKeys.js';
import { openDatabase } from '../../src/db/open.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { storedBytes } from '../helpers/stored.js';
import { exec, openShell, signUp, type ExecResult, type KeyPair } from '../helpers/ssh.js';
import { KEYS } from '../helpers/terminal.js';

const KEY = /gk_[A-Za-z0-9]{40}/g;
const DAY = 86_400_000;

for (const database of DATABASES) describe(`keys commands (${database.name})`, () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  let bob: KeyPair;
  /** Every key minted in this file: none may show up anywhere after its creation. */
  const minted: string[] = [];

  async function sh(user: KeyPair, command: string): Promise<ExecResult> {
    const r = await exec(gh.sshPort, user, command);
    assert.doesNotMatch(r.stdout + r.stderr, /internal error|\n\s+at .+:\d+:\d+/, `${command}: ${r.stderr}`);
    return r;
  }

  async function ok(user: KeyPair, command: string): Promise<string> {
    const r = await sh(user, command);
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    return r.stdout;
  }

  async function okJson(user: KeyPair, command: string): Promise<any> {
    const out = await ok(user, `${command} --json`);
    assert.equal(out.split('\n').length, 2, 'one compact JSON line in exec mode');
    return JSON.parse(out);
  }

  async function fails(user: KeyPair, command: string, code: number, message: RegExp): Promise<void> {
    const r = await sh(user, command);
    assert.equal(r.code, code, `${command}: exit ${r.code}, stderr ${r.stderr}`);
    assert.equal(r.stdout, '', `${command} printed: ${r.stdout}`);
    assert.match(r.stderr, /^error: /);
    assert.match(r.stderr, message);
  }

  async function mint(user: KeyPair, flags: string): Promise<any> {
    const out = await okJson(user, `keys create ${flags}`);
    minted.push(out.key);
    return out;
  }

  const names = async (user: KeyPair) => (await okJson(user, 'keys list')).map((k: { name: string }) => k.name);

  before(async () => {
    gh = await startTestGatehouse(await database.env());
    [alice, bob] = await Promise.all([signUp(gh.sshPort, 'alice', 'alice@example.com'), signUp(gh.sshPort, 'bob')]);
  });

  after(async () => {
    await gh?.stop();
  });

  describe('keys create (issue #6)', () => {
    it('prints a gk_ key once, warns it will not be shown again; default scope: all integrations, no expiry', async () => {
      const r = await sh(alice, 'keys create --name laptop');
      assert.equal(r.code, 0, r.stderr);
      const keys = r.stdout.match(KEY) ?? [];
      assert.equal(keys.length, 1, `exactly one key, once: ${r.stdout}`);
      minted.push(keys[0]);
      assert.match(r.stdout, /^Created API key laptop:\n\n {2}gk_[A-Za-z0-9]{40}\n\n/);
      assert.match(r.stdout, /Scope: integrations all; models all; expires never/);
      assert.match(r.stderr, /^warning: .*will not be shown again/m);
      assert.deepEqual(await okJson(alice, 'keys list').then((l) => l.map((k: any) => [k.name, k.integrations, k.models, k.expires_at])), [['laptop', 'all', 'all', null]]);
    });

    it('--json: {name, key, integrations, models, expires_at}, with --integration, --models and --expires', async () => {
      const before = Date.now();
      const out = await mint(alice, "--name ci --integration llm --integration reflection --integration llm --models 'claude-*, gpt-5*' --expires 30d");
      assert.deepEqual(Object.keys(out).sort(), ['expires_at', 'integrations', 'key', 'models', 'name']);
      assert.match(out.key, /^gk_[A-Za-z0-9]{40}$/);
      assert.deepEqual([out.name, out.integrations, out.models], ['ci', ['llm', 'reflection'], ['claude-*', 'gpt-5*']]);
      const expires = Date.parse(out.expires_at);
      assert.ok(expires >= before + 30 * DAY && expires <= Date.now() + 30 * DAY, out.expires_at);
      const plain = await mint(alice, '--name plain');
      assert.deepEqual([plain.integrations, plain.models, plain.expires_at], ['all', 'all', null]);
      assert.notEqual(plain.key, out.key);
    });

    it('--expires takes 12h, 90m, 2w, a date (the end of that day, UTC) and never', async () => {
      const year = new Date().getUTCFullYear() + 1;
      const cases: [string, (at: number) => boolean][] = [
        ['12h', (at) => Math.abs(at - (Date.now() + 12 * 3_600_000)) < 60_000],
        ['90m', (at) => Math.abs(at - (Date.now() + 90 * 60_000)) < 60_000],
        ['2w', (at) => Math.abs(at - (Date.now() + 14 * DAY)) < 60_000],
        [`${year}-01-31`, (at) => new Date(at).toISOString() === `${year}-01-31T23:59:59.999Z`],
      ];
      for (const [i, [when, check]] of cases.entries()) {
        const out = await mint(alice, `--name expiry-${i} --expires ${when}`);
        assert.ok(check(Date.parse(out.expires_at)), `--expires ${when}: ${out.expires_at}`);
      }
      assert.equal((await mint(alice, '--name expiry-never --expires never')).expires_at, null);
    });

    it('refuses, creating nothing: missing or bad --name, duplicate name, unknown integration, bad --models, bad or past --expires', async () => {
      const before = await names(alice);
      await fails(alice, 'keys create', 2, /missing --name/);
      await fails(alice, 'keys create --integration llm', 2, /missing --name/);
      await fails(alice, 'keys create --name', 2, /flag --name needs a value/);
      await fails(alice, "keys create --name 'two words'", 1, /invalid key name "two words"/);
      await fails(alice, `keys create --name ${'n'.repeat(65)}`, 1, /invalid key name/);
      await fails(alice, 'keys create --name laptop', 1, /you already have an API key named "laptop"/);
      await fails(alice, 'keys create --name new1 --integration nope', 1, /integration "nope" not found/);
      await fails(alice, 'keys create --name new1 --integration llm --integration nope', 1, /integration "nope" not found/);
      await fails(alice, "keys create --name new1 --models 'claude-*;rm'", 1, /invalid model pattern "claude-\*;rm"/);
      await fails(alice, "keys create --name new1 --models 'a b'", 1, /invalid model pattern/);
      await fails(alice, 'keys create --name new1 --expires soon', 1, /invalid --expires "soon": use 30d, 12h, a date like 2027-01-31, or never/);
      await fails(alice, 'keys create --name new1 --expires 0d', 1, /--expires must be in the future/);
      await fails(alice, 'keys create --name new1 --expires -5d', 2, /--expires needs a value/);
      await fails(alice, 'keys create --name new1 --expires 2020-01-31', 1, /--expires 2020-01-31 is in the past/);
      await fails(alice, `keys create --name new1 --expires ${new Date().getUTCFullYear() + 1}-02-30`, 1, /invalid date/);
      await fails(alice, 'keys create --name new1 --colour red', 2, /unknown flag --colour/);
      const json = await sh(alice, 'keys create --name laptop --json');
      assert.equal(json.code, 1);
      assert.match(JSON.parse(json.stdout).error, /already have an API key named "laptop"/);
      assert.deepEqual(await names(alice), before, 'no key was created by a refused command');
    });

    it('two sessions creating the same name at once: one key, and a clear conflict for the other', async () => {
      const results = await Promise.all(Array.from({ length: 4 }, () => exec(gh.sshPort, alice, 'keys create --name racer --json')));
      const created = results.filter((r) => r.code === 0);
      assert.equal(created.length, 1, results.map((r) => r.stdout).join(''));
      minted.push(JSON.parse(created[0].stdout).key);
      for (const r of results.filter((r) => r.code !== 0)) {
        assert.equal(r.code, 1);
        assert.match(JSON.parse(r.stdout).error, /already have an API key named "racer"/);
      }
      assert.ok(!gh.logLines.some((l) => l.includes('UNIQUE')), 'no internal error was logged');
    });
  });

  describe('keys list (issue #6)', () => {
    it('shows name, key prefix, scope, created, last used and expiry — never the key', async () => {
      const out = await mint(alice, "--name listed --integration llm --models 'claude-*' --expires 7d");
      // Use it once (a model list is answered by the gateway itself) so "last used" is set.
      const used = await new Promise<number>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: gh.gatewayPort, localAddress: '127.0.0.1', path: '/v1/models', headers: { host: 'llm.int.gatehouse.localhost', authorization: `Bearer ${out.key}` }, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
      });
      assert.equal(used, 200);
      const text = await ok(alice, 'keys list');
      const lines = text.trimEnd().split('\n');
      assert.match(lines[0], /^NAME\s+KEY\s+SCOPE\s+CREATED\s+LAST USED\s+EXPIRES$/);
      const row = lines.find((l) => l.startsWith('listed '));
      const day = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d';
      assert.match(row ?? '', new RegExp(`^listed\\s+${out.key.slice(0, 9)}…\\s+integrations=llm models=claude-\\*\\s+${day}\\s+${day}\\s+${day}$`));
      assert.match(lines.find((l) => l.startsWith('laptop ')) ?? '', new RegExp(`integrations=all models=all\\s+${day}\\s+-\\s+-$`));
      const entry = (await okJson(alice, 'keys list')).find((k: { name: string }) => k.name === 'listed');
      assert.deepEqual(Object.keys(entry).sort(), ['created_at', 'expires_at', 'integrations', 'last_used_at', 'models', 'name', 'prefix']);
      assert.deepEqual([entry.prefix, entry.integrations, entry.models, entry.expires_at], [out.key.slice(0, 9), ['llm'], ['claude-*'], out.expires_at]);
      assert.ok(Date.parse(entry.last_used_at) <= Date.now() && Date.parse(entry.last_used_at) > Date.now() - 60_000, entry.last_used_at);
      assert.match(await ok(bob, 'keys list'), /^No API keys\. Mint one with: keys create --name NAME\n$/);
    });

    it("another user's keys are invisible: not listed, not revocable, their names free to reuse", async () => {
      assert.deepEqual(await names(bob), []);
      await fails(bob, 'keys revoke laptop', 1, /API key "laptop" not found/);
      assert.ok((await names(alice)).includes('laptop'), "bob's revoke left alice's key alone");
      const bobs = await mint(bob, '--name laptop');
      assert.equal(bobs.name, 'laptop');
      assert.deepEqual(await names(bob), ['laptop']);
      assert.ok(!(await names(alice)).includes('desktop'));
      await mint(bob, '--name desktop');
      await ok(alice, 'keys revoke laptop');
      assert.deepEqual(await names(bob), ['desktop', 'laptop'], "alice's revoke left bob's same-named key alone");
    });
  });

  describe('keys revoke (issue #6)', () => {
    it('revokes by name; then it is gone; unknown or missing names are errors', async () => {
      await mint(alice, '--name doomed');
      assert.equal(await ok(alice, 'keys revoke doomed'), 'Revoked API key doomed\n');
      assert.ok(!(await names(alice)).includes('doomed'));
      await fails(alice, 'keys revoke doomed', 1, /API key "doomed" not found/);
      await fails(alice, 'keys revoke nothing-here', 1, /API key "nothing-here" not found/);
      await fails(alice, 'keys revoke', 2, /missing argument NAME/);
      await fails(alice, 'keys revoke a b', 2, /unexpected argument "b"/);
      // A hostile name is echoed escaped and cut short.
      const r = await sh(alice, `keys revoke '${'x'.repeat(500)}'`);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.length < 200, `echoed ${r.stderr.length} characters`);
      await mint(alice, '--name doomed-json');
      assert.deepEqual(await okJson(alice, 'keys revoke doomed-json'), { revoked: 'doomed-json' });
    });

    it('completes key names with Tab, only the user’s own', async () => {
      await mint(alice, '--name deploy-ci');
      await mint(alice, '--name laptop'); // revoked above: its name is free again
      const term = await openShell(gh.sshPort, alice);
      try {
        await term.waitForPrompt();
        term.type(`keys revoke la${KEYS.tab}`);
        await term.waitFor(() => term.currentLine().startsWith('gatehouse ▶ keys revoke laptop'));
      } finally {
        term.close();
      }
      // bob has "desktop"; alice's "deploy-ci" would make "de" ambiguous if it leaked into bob's list.
      const bobTerm = await openShell(gh.sshPort, bob);
      try {
        await bobTerm.waitForPrompt();
        bobTerm.type(`keys revoke de${KEYS.tab}`);
        await bobTerm.waitFor(() => bobTerm.currentLine().startsWith('gatehouse ▶ keys revoke desktop'));
      } finally {
        bobTerm.close();
      }
    });
  });

  describe('a key exists only at its creation (issue #6)', () => {
    it('the database holds a peppered hash and a short prefix, never the key', async () => {
      assert.ok(minted.length >= 10);
      const bytes = Buffer.concat((await storedBytes(gh)).map((s) => s.bytes));
      const sealer = new Sealer(loadSecretKey(undefined, gh.dataDir));
      const db = await openDatabase(gh.config.database);
      try {
        const rows = await allApiKeys(db);
        for (const key of minted) {
          assert.ok(!bytes.includes(key), 'the full key is in the database');
          assert.ok(!bytes.includes(key.slice(9)), 'the secret part of the key is in the database');
          const sha256 = crypto.createHash('sha256').update(key).digest();
          for (const encoded of [sha256.toString('hex'), sha256.toString('base64'), sha256.toString('base64url')]) {
            assert.ok(!bytes.includes(encoded), 'a plain SHA-256 of the key is stored');
          }
        }
        const live = minted.map((key) => rows.find((r) => r.hash === sealer.pepperedHash(key))).filter((r) => r !== undefined);
        assert.ok(live.length >= 10, 'live keys are stored as their HMAC under the pepper');
        for (const row of live) {
          assert.match(row.prefix, /^gk_[A-Za-z0-9]{6}$/);
          assert.match(row.hash, /^[0-9a-f]{64}$/);
        }
      } finally {
        await db.destroy();
      }
    });

    it('no later output shows a key: keys list, usage, whoami, integrations list (text and JSON), nor the log', async () => {
      for (const user of [alice, bob]) {
        for (const command of ['keys list', 'usage --group key', 'usage', 'credits', 'whoami', 'integrations list', 'help keys']) {
          for (const line of [command, `${command} --json`]) {
            const r = await sh(user, line);
            assert.equal(r.code, 0, `${line}: ${r.stderr}`);
            assert.doesNotMatch(r.stdout + r.stderr, KEY, `a key in the output of ${line}`);
            for (const key of minted) assert.ok(!(r.stdout + r.stderr).includes(key.slice(9)), `part of a key in ${line}`);
          }
        }
      }
      for (const key of minted) assert.ok(!gh.logLines.some((l) => l.includes(key.slice(3))), 'a key reached the log');
    });
  });
});
