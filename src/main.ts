// The operator CLI: `gatehouse serve | user add | user list`. Process concerns only: argv, env,
// signals, exit codes. Everything else is in app.ts and the rooms.
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { startGatehouse } from './app.js';
import { describeDatabase, loadConfig, SETTINGS, type Config } from './config.js';
import { createAccount } from './core/accounts.js';
import { parsePublicKey } from './core/publicKey.js';
import { openDatabase } from './db/open.js';
import { listUsers } from './db/users.js';
import { asPublicError, GatehouseError } from './errors.js';

const USAGE = `usage: gatehouse <command>

commands:
  serve                 run the SSH control plane and the gateway
  user add NAME (--key-file F | --key "ssh-ed25519 …") [--email E] [--admin] [--database-url URL]
  user list [--json] [--database-url URL]

Run "gatehouse <command> --help" for details. Settings come from GATEHOUSE_* variables or flags.`;

const DATABASE_HELP = '\nActs on the database serve uses: --database-url (GATEHOUSE_DATABASE_URL, postgres://… for a fleet),\nelse the SQLite file in --data-dir (GATEHOUSE_DATA_DIR). Safe while serve runs.';

const settingFlags: ParseArgsConfig['options'] = Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: 'string' }]));

function envWithFlags(values: Record<string, unknown>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const s of SETTINGS) if (typeof values[s.flag] === 'string') env[s.env] = values[s.flag] as string;
  return env;
}

/** Config errors name the variable; when the operator gave the flag instead, name the flag too. */
function namingFlag(err: unknown, values: Record<string, unknown>): unknown {
  if (!(err instanceof GatehouseError) || err.code !== 'config') return err;
  const s = SETTINGS.find((s) => typeof values[s.flag] === 'string' && err.message.startsWith(`${s.env}:`));
  if (!s) return err;
  return new GatehouseError('config', `--${s.flag} (${s.env})${err.message.slice(s.env.length)}`, { hint: err.hint, cause: err });
}

function configFromFlags(values: Record<string, unknown>): Readonly<Config> {
  try {
    return loadConfig(envWithFlags(values));
  } catch (err) {
    throw namingFlag(err, values);
  }
}

function parse(args: string[], options: ParseArgsConfig['options'], allowPositionals = false): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true }) as never;
  } catch (err) {
    throw new GatehouseError('usage', (err as Error).message.split('\n')[0]);
  }
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, settingFlags);
  if (values.help) {
    console.log('usage: gatehouse serve [flags]\n\nEvery flag has an environment variable; flags win.\n');
    for (const s of SETTINGS) console.log(`  --${s.flag.padEnd(20)} ${s.env.padEnd(28)} ${s.help} (default: ${s.default})`);
    return 0;
  }
  const config = configFromFlags(values);
  const app = await startGatehouse(config).catch((err) => {
    throw namingFlag(err, values);
  });
  // Listen before the startup lines: a supervisor may send SIGTERM as soon as it reads them.
  const stopSignal = nextSignal();
  const ssh = `${config.sshListen.host}:${app.sshPort}`;
  console.log(`gatehouse: SSH control plane on ${ssh}  (try: ssh -p ${app.sshPort} ${config.sshListen.host === '127.0.0.1' ? 'localhost' : config.sshListen.host})`);
  config.gatewayListen.forEach((l, i) => console.log(`gatehouse: gateway on http://${l.host.includes(':') ? `[${l.host}]` : l.host}:${app.gatewayPorts[i]}`));
  console.log(`gatehouse: data in ${config.dataDir}; sign-up is ${config.signup}`);
  console.log(`gatehouse: database ${describeDatabase(config.database)}`);
  const signal = await stopSignal;
  console.log(`gatehouse: ${signal} received, shutting down`);
  void nextSignal().then(async (again) => {
    console.log(`gatehouse: ${again} received again, stopping now`);
    await app.halt();
    // 128 + signal number, as a shell reports a process ended by that signal: the stop was not clean
    // (streams were cut), and a supervisor or script can tell it from a drained stop (0).
    process.exit(128 + os.constants.signals[again]);
  });
  await app.stop({ drainMs: config.drainMs });
  console.log('gatehouse: stopped');
  return 0;
}

/** Resolves on the next SIGINT or SIGTERM (handled: neither ends the process by itself). */
function nextSignal(): Promise<'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    const on = (signal: 'SIGINT' | 'SIGTERM') => {
      process.off('SIGINT', on).off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on).on('SIGTERM', on);
  });
}

async function userAdd(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { 'key-file': { type: 'string' }, key: { type: 'string' }, email: { type: 'string' }, admin: { type: 'boolean' }, 'data-dir': { type: 'string' }, 'database-url': { type: 'string' } },
    true,
  );
  if (values.help) {
    console.log('usage: gatehouse user add NAME (--key-file F | --key "ssh-ed25519 …") [--email E] [--admin] [--data-dir DIR | --database-url URL]');
    console.log(DATABASE_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new GatehouseError('usage', 'give exactly one user name', { hint: 'gatehouse user add alice --key-file alice.pub' });
  if (Boolean(values['key-file']) === Boolean(values.key)) throw new GatehouseError('usage', 'give exactly one of --key-file F or --key "ssh-ed25519 …"');
  let keyText = values.key as string | undefined;
  if (values['key-file']) {
    try {
      keyText = fs.readFileSync(values['key-file'] as string, 'utf8');
    } catch (err) {
      throw new GatehouseError('invalid_input', `cannot read ${values['key-file']}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  const config = configFromFlags(values);
  const db = await openDatabase(config.database);
  try {
    const user = await createAccount(db, { name: positionals[0], email: values.email as string | undefined, admin: Boolean(values.admin), key: parsePublicKey(keyText!) });
    console.log(`Added user ${user.name}${user.is_admin ? ' (admin)' : ''}`);
  } finally {
    await db.destroy();
  }
  return 0;
}

async function userList(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, 'data-dir': { type: 'string' }, 'database-url': { type: 'string' } });
  if (values.help) {
    console.log('usage: gatehouse user list [--json] [--data-dir DIR | --database-url URL]');
    console.log(DATABASE_HELP);
    return 0;
  }
  const db = await openDatabase(configFromFlags(values).database);
  try {
    const users = await listUsers(db);
    if (values.json) {
      console.log(JSON.stringify(users.map((u) => ({ name: u.name, email: u.email ?? '', admin: Boolean(u.is_admin), keys: Number(u.key_count), vms: Number(u.vm_count), created_at: u.created_at }))));
    } else {
      const rows = [['NAME', 'EMAIL', 'ADMIN', 'KEYS', 'VMS', 'CREATED'], ...users.map((u) => [u.name, u.email ?? '-', u.is_admin ? 'yes' : 'no', String(u.key_count), String(u.vm_count), u.created_at.slice(0, 10)])];
      const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
    }
  } finally {
    await db.destroy();
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === 'serve') return serve(argv.slice(1));
  if (command === 'user' && sub === 'add') return userAdd(rest);
  if (command === 'user' && sub === 'list') return userList(rest);
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  const what = command === 'user' ? `"user" subcommand "${sub ?? ''}" not found, valid subcommands are: add, list` : `command not found: "${command}"`;
  throw new GatehouseError('usage', what, { hint: 'run "gatehouse --help"' });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const pub = asPublicError(err);
    console.error(`gatehouse: error: ${pub.message}`);
    if (pub.hint) console.error(pub.hint);
    if (pub.code === 'internal') console.error(err);
    process.exit(pub.exitStatus);
  },
);
