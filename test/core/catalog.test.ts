// The model catalog (issue #3): the built-in file, `integrations catalog`, and an operator's
// GATEHOUSE_MODELS file that is validated at start (a broken one stops startup, naming the file).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { PROVIDER_IDS } from '../../src/config.js';
import { loadCatalog } from '../../src/core/catalog.js';
import { GatehouseError } from '../../src/errors.js';
import { startTestGatehouse, tempDir, type TestGatehouse } from '../helpers/gatehouse.js';
import { exec, signUp, type KeyPair } from '../helpers/ssh.js';

const BIN = fileURLToPath(new URL('../../../bin/gatehouse.js', import.meta.url));
const dir = tempDir('gatehouse-catalog-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const model = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  provider: 'anthropic',
  display_name: `Model ${id}`,
  context_window: 200000,
  max_output_tokens: 64000,
  apis: ['messages'],
  price: { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  ...extra,
});

let fileCount = 0;
function writeFile(content: unknown): string {
  const file = path.join(dir, `models-${++fileCount}.json`);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The broken files the issue names, each with the problem its message must state. */
function brokenFiles(): { what: string; file: string; problem: RegExp }[] {
  return [
    { what: 'bad JSON', file: writeFile('{"models": [ {"id": "x",'), problem: /not valid JSON/ },
    { what: 'missing file', file: path.join(dir, 'does-not-exist.json'), problem: /cannot read the file \(ENOENT\)/ },
    { what: 'bad price', file: writeFile({ models: [model('claude-a', { price: { input: -1, output: 15, cache_read: 0, cache_write: 0 } })] }), problem: /models\[0\] \(claude-a\): "price\.input" must be a non-negative number/ },
    { what: 'duplicate id', file: writeFile({ models: [model('claude-a'), model('claude-b'), model('claude-a')] }), problem: /models\[2\] \(claude-a\): duplicate id/ },
  ];
}

function assertNamesFileAndProblem(err: unknown, file: string, problem: RegExp): true {
  assert.ok(err instanceof GatehouseError, String(err));
  assert.equal(err.code, 'config');
  assert.match(err.message, new RegExp(`^GATEHOUSE_MODELS: ${escape(file)}: `));
  assert.match(err.message, problem);
  return true;
}

describe('the built-in catalog', () => {
  it('lists at least 12 models from every provider, each with limits and prices', () => {
    const catalog = loadCatalog();
    assert.ok(catalog.models.length >= 12, `${catalog.models.length} models`);
    assert.equal(new Set(catalog.models.map((m) => m.id)).size, catalog.models.length, 'ids are unique');
    for (const p of PROVIDER_IDS) assert.ok(catalog.models.some((m) => m.provider === p), `a ${p} model`);
    for (const m of catalog.models) {
      assert.ok(Number.isInteger(m.context_window) && m.context_window > 0, m.id);
      assert.ok(Number.isInteger(m.max_output_tokens) && m.max_output_tokens > 0, m.id);
      for (const f of ['input', 'output', 'cache_read', 'cache_write'] as const) assert.ok(Number.isFinite(m.price[f]) && m.price[f] >= 0, `${m.id} price.${f}`);
      assert.ok(m.price.input > 0, `${m.id} has an input price`);
      assert.equal(catalog.get(m.id), m);
    }
  });
});

describe('GATEHOUSE_MODELS validation', () => {
  it('refuses bad JSON, a missing file, a bad price and a duplicate id, naming the file and the problem', () => {
    for (const { what, file, problem } of brokenFiles()) {
      assert.throws(() => loadCatalog(file), (err) => assertNamesFileAndProblem(err, file, problem), what);
    }
  });

  it('refuses other malformed entries with the field named', () => {
    const cases: [unknown, RegExp][] = [
      ['', /not valid JSON/],
      ['null', /expected \{"models": \[ … \]\} with at least one model/],
      [{ models: [] }, /at least one model/],
      [[model('claude-a')], /expected \{"models"/],
      [{ models: [model('claude-a', { price: { input: '3', output: 15, cache_read: 0, cache_write: 0 } })] }, /"price\.input" must be a non-negative number/],
      [{ models: [model('claude-a', { price: { input: 3, output: 15, cache_read: 0 } })] }, /"price\.cache_write" must be a non-negative number/],
      [{ models: [model('claude-a', { price: undefined })] }, /"price\.input"/],
      [{ models: [model('claude-a', { provider: 'mistral' })] }, /models\[0\] \(claude-a\): "provider" must be one of anthropic, openai, fireworks, gemini/],
      [{ models: [model('claude-a', { context_window: 0 })] }, /"context_window" must be a positive integer/],
      [{ models: [model('claude-a', { max_output_tokens: 1.5 })] }, /"max_output_tokens" must be a positive integer/],
      [{ models: [model('claude-a', { display_name: '' })] }, /"display_name" must be a non-empty string/],
      [{ models: [model('claude-a', { apis: ['telepathy'] })] }, /"apis" must list some of/],
      [{ models: [model('has space')] }, /models\[0\] \(has space\): "id" must be a model id string/],
      [{ models: [{ ...model('x'), id: 42 }] }, /models\[0\]: "id" must be a model id string/],
    ];
    for (const [content, problem] of cases) {
      const file = writeFile(content);
      assert.throws(() => loadCatalog(file), (err) => assertNamesFileAndProblem(err, file, problem), JSON.stringify(content));
    }
  });

  it('makes startTestGatehouse fail with the message naming the file and the problem', async () => {
    for (const { what, file, problem } of brokenFiles()) {
      const dataDir = tempDir('gatehouse-catalog-start-');
      try {
        await assert.rejects(startTestGatehouse({ GATEHOUSE_MODELS: file }, dataDir), (err) => assertNamesFileAndProblem(err, file, problem), what);
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });

  it('makes `gatehouse serve` exit 1 with the message naming the file and the problem', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
    for (const { what, file, problem } of brokenFiles()) {
      const dataDir = tempDir('gatehouse-catalog-serve-');
      try {
        const r = await runServe({ ...env, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SSH_LISTEN: '127.0.0.1:0', GATEHOUSE_GATEWAY_LISTEN: '127.0.0.1:0', GATEHOUSE_ADMIN_LISTEN: '127.0.0.1:0', GATEHOUSE_WEB_LISTEN: '127.0.0.1:0', GATEHOUSE_MODELS: file });
        assert.equal(r.code, 1, `${what}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^gatehouse: error: GATEHOUSE_MODELS: ${escape(file)}: `), what);
        assert.match(r.stderr, problem, what);
        assert.doesNotMatch(r.stdout, /SSH control plane on/, 'it never started listening');
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });
});

function runServe(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`serve did not exit; stdout: ${stdout}; stderr: ${stderr}`));
    }, 10_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('integrations catalog, built-in', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  before(async () => {
    gh = await startTestGatehouse();
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(() => gh.stop());

  async function ok(command: string): Promise<string> {
    const r = await exec(gh.sshPort, alice, command);
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    return r.stdout;
  }

  it('--json lists at least 12 models with their prices, as one line', async () => {
    const out = await ok('integrations catalog --json');
    assert.equal(out.split('\n').length, 2);
    const models = JSON.parse(out);
    assert.ok(models.length >= 12, `${models.length} models`);
    for (const m of models) {
      assert.deepEqual(Object.keys(m).sort(), ['apis', 'context_window', 'display_name', 'id', 'max_output_tokens', 'price', 'provider']);
      assert.deepEqual(Object.keys(m.price).sort(), ['cache_read', 'cache_write', 'input', 'output']);
      for (const v of Object.values(m.price)) assert.equal(typeof v, 'number');
    }
    assert.deepEqual(JSON.parse(await ok('int catalog --json')), models, 'the int alias is the same command');
  });

  it('prints aligned columns with a header, and filters by a term', async () => {
    const text = await ok('integrations catalog');
    const [header, ...rows] = text.trimEnd().split('\n');
    assert.match(header, /^MODEL +PROVIDER +NAME +CONTEXT +MAX OUT +INPUT +OUTPUT +CACHE READ +CACHE WRITE$/);
    assert.equal(rows.length, JSON.parse(await ok('integrations catalog --json')).length);
    assert.match(text, /^claude-haiku-4-5 +anthropic +Claude Haiku 4\.5 +200000 +64000 +\$1 +\$5 +\$0\.1 +\$1\.25$/m);
    const gemini = JSON.parse(await ok('integrations catalog gemini --json'));
    assert.ok(gemini.length > 0);
    assert.ok(gemini.every((m: { provider: string }) => m.provider === 'gemini'));
    const claude = JSON.parse(await ok('integrations catalog CLAUDE --json'));
    assert.ok(claude.length > 0 && claude.every((m: { id: string }) => m.id.startsWith('claude-')));
    assert.equal(await ok('integrations catalog no-such-model'), 'No models match "no-such-model".\n');
    assert.deepEqual(JSON.parse(await ok('integrations catalog no-such-model --json')), []);
  });

  it('refuses an extra argument and an unknown flag', async () => {
    const extra = await exec(gh.sshPort, alice, 'integrations catalog a b');
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /^error: unexpected argument "b"/);
    const flag = await exec(gh.sshPort, alice, 'integrations catalog --price');
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^error: unknown flag --price/);
  });
});

describe('integrations catalog, from GATEHOUSE_MODELS', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  const custom = [
    model('claude-custom', { display_name: 'Custom Claude' }),
    model('gpt-custom', { provider: 'openai', display_name: 'Custom GPT', apis: ['chat', 'responses'], price: { input: 1.25, output: 10, cache_read: 0.125, cache_write: 0 } }),
  ];
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_MODELS: writeFile({ version: 1, models: custom }) });
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(() => gh.stop());

  it('serves exactly the operator’s models; a zero price shows as "-"', async () => {
    const json = await exec(gh.sshPort, alice, 'integrations catalog --json');
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.stdout), custom);
    const text = await exec(gh.sshPort, alice, 'integrations catalog');
    assert.equal(
      text.stdout,
      [
        'MODEL          PROVIDER   NAME           CONTEXT  MAX OUT  INPUT  OUTPUT  CACHE READ  CACHE WRITE',
        'claude-custom  anthropic  Custom Claude  200000   64000    $3     $15     $0.3        $3.75',
        'gpt-custom     openai     Custom GPT     200000   64000    $1.25  $10     $0.125      -',
        '',
      ].join('\n'),
    );
  });
});
