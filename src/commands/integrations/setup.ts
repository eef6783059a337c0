// "integrations setup chatgpt": connect a ChatGPT plan by device-code login, as Codex does it
// (research §1.2): show a URL and a code, wait while the user approves elsewhere, store the
// tokens sealed. The wait is interruptible: ^C, a disconnect or shutdown cancel it and nothing
// is stored. The codes of the flow (device_auth_id, authorization code, verifier) and the tokens
// stay in memory: only the user code, which the user must type, is ever shown.
import type { ChatgptAccount } from '../../core/chatgpt/accounts.js';
import { awaitApproval, exchangeCode, requestUserCode, revoke, type IssuedTokens } from '../../core/chatgpt/issuer.js';
import { shown } from '../../core/names.js';
import { GatehouseError } from '../../errors.js';
import type { CommandContext, CommandDef, ParsedArgs } from '../../shell/types.js';
import { chatgptAccountNames } from './shared.js';
import { checkAccountName } from '../../core/chatgpt/accountViews.js';
import { accountJson, deleteAccount, listAccounts, verifyAccounts } from './setupList.js';

const SERVICES = ['chatgpt'];

export const integrationsSetup: CommandDef = {
  path: ['integrations', 'setup'],
  audit: { readOnly: (args) => Boolean(args.list || args.verify) },
  summary: 'connect an account of an outside service (a ChatGPT plan) by signing in to it',
  args: [{ name: 'SERVICE', complete: async () => SERVICES }],
  options: {
    name: { type: 'string', value: 'ACCT', describe: 'the account to sign in to (again), or to --delete', complete: chatgptAccountNames },
    list: { type: 'boolean', describe: 'show your connected accounts: state, last refresh, usage windows' },
    verify: { type: 'boolean', describe: 'refresh each account (or --name ACCT) now and report' },
    delete: { type: 'boolean', describe: 'with --name: remove the account (refused while an integration uses it)' },
  },
  examples: [
    'integrations setup chatgpt --name work',
    'integrations setup chatgpt --list',
    'integrations setup chatgpt --verify',
    'integrations setup chatgpt --name work --delete',
  ],
  async run(ctx, args) {
    const service = String(args._[0]);
    if (!SERVICES.includes(service)) throw new GatehouseError('invalid_input', `unknown service "${shown(service)}": only chatgpt can be set up`);
    const name = args.name === undefined ? undefined : checkAccountName(String(args.name));
    const modes = (['list', 'verify', 'delete'] as const).filter((m) => args[m]);
    if (modes.length > 1) throw new GatehouseError('usage', `--${modes[0]} and --${modes[1]} do not go together`);
    if (modes[0] === 'list') {
      if (name !== undefined) throw new GatehouseError('usage', '--list shows every account; leave out --name');
      return listAccounts(ctx, args.json);
    }
    if (modes[0] === 'verify') return verifyAccounts(ctx, name, args.json);
    if (name === undefined) {
      throw new GatehouseError('usage', modes[0] === 'delete' ? '--delete needs --name ACCT' : 'missing --name', {
        hint: 'sign in: integrations setup chatgpt --name work (see also --list, --verify, --name ACCT --delete)',
      });
    }
    ctx.audit.target(`chatgpt account ${name}`);
    ctx.audit.note(modes[0] === 'delete' ? 'account deleted' : 'signed in');
    if (modes[0] === 'delete') return deleteAccount(ctx, name, args.json);
    return login(ctx, name, args);
  },
};

async function login(ctx: CommandContext, name: string, args: ParsedArgs): Promise<number> {
  const accounts = ctx.services.chatgpt;
  // Before the issuer is asked: a bad name or one account too many must not cost a sign-in.
  await accounts.checkNewLogin(ctx.user.id, name);
  // Under --json stdout carries one object: the instructions are for the person, on stderr.
  const say = (text: string) => (args.json ? ctx.out.note(text) : ctx.out.line(text));
  let issued: IssuedTokens | undefined;
  let account: ChatgptAccount;
  try {
    await ctx.input.interruptible(async (signal) => {
      const code = await requestUserCode(accounts.issuer, signal);
      say(`Open this URL to authorize ChatGPT:\n  ${code.verificationUrl}\n\nEnter this code:\n  ${shown(code.userCode)}\n\nWaiting for authorization...`);
      const grant = await awaitApproval(accounts.issuer, code, { timeoutMs: ctx.config.chatgpt.loginTimeoutMs, signal });
      issued = await exchangeCode(accounts.issuer, grant, signal);
    });
    account = await accounts.connect(ctx.user.id, name, issued!);
  } catch (err) {
    // Tokens were issued but will not be kept (a cancel just after the exchange, the 10-account
    // limit reached meanwhile by another login, a failed write): revoke them so that no live
    // login is left at OpenAI that nobody holds (review item 11). Best effort and not awaited:
    // revoke() never throws, and the user should not wait up to 10 s for it.
    if (issued) void revoke(accounts.issuer, issued.refreshToken);
    throw err;
  }
  if (args.json) ctx.out.json(accountJson(account));
  else ctx.out.line(`Connected ChatGPT account ${ctx.out.c.bold(account.name)} (${shown(account.email ?? 'no email')}, plan ${shown(account.plan ?? 'unknown')})`);
  return 0;
}
