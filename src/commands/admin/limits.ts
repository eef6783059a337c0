// `admin limits set USER …` and `admin limits show [USER]`: one definition (the shell resolves two
// words), its verbs in limitsSet.ts and limitsShow.ts.
import { listUsers } from '../../db/users.js';
import { GatehouseError } from '../../errors.js';
import { shown } from '../../shell/output.js';
import type { CommandDef } from '../../shell/types.js';
import { limitsSet, SET_FLAGS } from './limitsSet.js';
import { limitsShow } from './limitsShow.js';

const VERBS = ['set', 'show'];

export const adminLimits: CommandDef = {
  path: ['admin', 'limits'],
  audit: { target: ([, user]) => (user === undefined ? undefined : `user ${user}`) },
  summary: "show or override users' gateway rate limits (requests per minute, requests in flight)",
  adminOnly: true,
  args: [
    { name: 'set|show', complete: async () => VERBS },
    { name: 'USER', optional: true, complete: async (ctx) => (await listUsers(ctx.db)).map((u) => u.name) },
  ],
  options: {
    rpm: { type: 'string', value: 'N', describe: 'requests per minute for the user (all their VMs and keys); "default" drops the override' },
    concurrent: { type: 'string', value: 'N', describe: 'requests in flight at once for the user, streams included' },
    'key-rpm': { type: 'string', value: 'N', describe: 'requests per minute for each of the user\'s API keys' },
    'key-concurrent': { type: 'string', value: 'N', describe: 'requests in flight at once for each of the user\'s API keys' },
    reset: { type: 'boolean', describe: 'drop every override first (back to the installation defaults)' },
  },
  examples: ['admin limits show', 'admin limits show alice --json', 'admin limits set alice --rpm 1200 --concurrent 128', 'admin limits set alice --reset'],
  async run(ctx, args) {
    const [verb, user] = args._;
    if (verb === 'show') {
      const extra = SET_FLAGS.find((f) => args[f] !== undefined && args[f] !== false);
      if (extra) throw new GatehouseError('usage', `flag --${extra} belongs to "admin limits set"`, { hint: 'usage: admin limits show [USER]' });
      return limitsShow(ctx, user, args.json);
    }
    if (verb === 'set') {
      if (user === undefined) throw new GatehouseError('usage', 'missing argument USER', { hint: 'usage: admin limits set USER [--rpm N] [--concurrent N] [--key-rpm N] [--key-concurrent N] [--reset]' });
      return limitsSet(ctx, user, args);
    }
    throw new GatehouseError('usage', `"admin limits" subcommand "${shown(verb)}" not found, valid subcommands are: ${VERBS.join(', ')}`);
  },
};
