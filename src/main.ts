// The operator CLI's process: argv in, signals, exit status out. The commands (serve, user add,
// user list, audit) are declared in src/cli/ and parsed and helped by the shell's own machinery.
import os from 'node:os';
import { runCli } from './cli/index.js';
import type { CliContext, StopSignal } from './cli/types.js';
import { asPublicError } from './errors.js';
import { createLog } from './log.js';
import { Output } from './shell/output.js';

/** Resolves on the next SIGINT or SIGTERM (handled: neither ends the process by itself). */
function nextSignal(): Promise<StopSignal> {
  return new Promise((resolve) => {
    const on = (signal: StopSignal) => {
      process.off('SIGINT', on).off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on).on('SIGTERM', on);
  });
}

/** Named in audit rows; a container may run as a uid with no passwd entry. */
function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`;
  }
}

const out = new Output((stream, text) => void process[stream].write(text), { color: false, prettyJson: false });
const ctx: CliContext = { out, env: process.env, osUser: osUser(), log: (config) => createLog({ level: config.logLevel, format: config.logFormat }), nextSignal, exit: (status) => process.exit(status) };

runCli(process.argv.slice(2), ctx).then(
  (code) => process.exit(code),
  (err) => {
    const pub = asPublicError(err);
    console.error(`gatehouse: error: ${pub.message}`);
    if (pub.hint) console.error(pub.hint);
    if (pub.code === 'internal') console.error(err);
    process.exit(pub.exitStatus);
  },
);
