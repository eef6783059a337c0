// The flags of "integrations add" and "integrations edit", and how they change an integration's
// settings. edit changes only what it is given; a key is read from stdin with "-".
import { PROVIDER_IDS, type ProviderId } from '../../config.js';
import { parseFields, parseModelGlobs, SOURCES, type LlmSettings, type Source } from '../../core/integrations.js';
import { checkComment, shown } from '../../core/names.js';
import { GatehouseError } from '../../errors.js';
import { providers } from '../../providers/index.js';
import type { CommandContext, OptionSpec, ParsedArgs } from '../../shell/types.js';
import { checkAccountName, notFound } from '../../core/chatgpt/accountViews.js';
import { CHATGPT_PERSONAL, teamOption } from './owner.js';
import { attachSpecs, chatgptAccountNames } from './shared.js';

const sourceList = 'gateway, byok or disabled (openai also: chatgpt)';

export const integrationOptions: Record<string, OptionSpec> = {
  ...Object.fromEntries(
    PROVIDER_IDS.flatMap((p) => [
      [p, { type: 'string', value: 'SOURCE', describe: `llm: how to reach ${providers[p].displayName}: ${p === 'openai' ? 'gateway, byok, chatgpt or disabled' : 'gateway, byok or disabled'}`, complete: async () => [...SOURCES].filter((s) => s !== 'chatgpt' || p === 'openai') }],
      [`${p}-key`, { type: 'string', value: 'KEY|-', describe: `llm: your ${providers[p].displayName} key for byok; "-" reads it from stdin`, secret: true }],
    ]),
  ),
  'openai-account': { type: 'string', value: 'ACCT', describe: 'llm: the connected ChatGPT account, with --openai=chatgpt', complete: chatgptAccountNames },
  models: { type: 'string', value: 'GLOB,…', describe: "llm: only serve these models, e.g. 'claude-*,gpt-5*' (all: every model)" },
  fields: { type: 'string', value: 'FIELDS', describe: 'reflection: all, none, or a list of email,tags,comment,integrations' },
  attach: { type: 'array', value: 'SPEC', describe: 'attach to vm:NAME, tag:NAME or auto:all (repeatable)', complete: attachSpecs },
  comment: { type: 'string', value: 'TEXT', describe: 'free-form note' },
  ...teamOption,
};

export interface LlmChange {
  settings: LlmSettings;
  keys: Partial<Record<ProviderId, string>>;
  dropKeys: ProviderId[];
}

function checkKey(p: ProviderId, key: string): string {
  const k = key.trim();
  if (!k) throw new GatehouseError('invalid_input', `the ${providers[p].displayName} key is empty`, { hint: `pipe it in: printf %s "$KEY" | ssh … --${p}-key=-` });
  // Keys travel in an HTTP header: printable ASCII only (a non-ASCII character would fail every request).
  if (k.length > 1024 || /[^\x21-\x7e]/.test(k)) {
    throw new GatehouseError('invalid_input', `the ${providers[p].displayName} key does not look like an API key (spaces, control or non-ASCII characters, or too long)`);
  }
  return k;
}

/**
 * Applies --<provider>, --<provider>-key, --openai-account and --models to current settings.
 * Every flag is checked before any key is read, so a mistake never costs a typed key.
 */
export async function applyLlmFlags(ctx: CommandContext, args: ParsedArgs, current: LlmSettings, keyed: string[]): Promise<LlmChange> {
  const { settings, dropKeys, toRead } = llmSettingsFrom(args, current, keyed, ctx.interactive);
  const openai = settings.providers.openai;
  // The account must be the user's own (accounts are looked up by owner and name, never by name alone).
  if (openai.source === 'chatgpt' && !(await ctx.services.chatgpt.find(ctx.user.id, openai.account!))) throw notFound(openai.account!);
  const keys: LlmChange['keys'] = {};
  for (const p of toRead) {
    const keyArg = args[`${p}-key`] as string;
    if (keyArg === '-') keys[p] = checkKey(p, await ctx.input.read(`${providers[p].displayName} API key: `, { secret: true }));
    else {
      // Even a key refused below is already in the shell history: warn first.
      ctx.out.warn(`the ${providers[p].displayName} key is now in your shell history; next time use --${p}-key=- and pipe it on stdin`);
      keys[p] = checkKey(p, keyArg);
    }
  }
  return { settings, keys, dropKeys };
}

/**
 * The settings the flags make of `current`, the stored keys they drop and the keys they need read,
 * reading nothing: `integrations edit` applies the same flags again to the integration as it is
 * when its transaction holds it, so an edit made meanwhile is built on, not undone.
 */
export function llmSettingsFrom(args: ParsedArgs, current: LlmSettings, keyed: string[], interactive: boolean): Omit<LlmChange, 'keys'> & { toRead: ProviderId[] } {
  if (args.fields !== undefined) throw new GatehouseError('usage', '--fields is for reflection integrations');
  const settings: LlmSettings = { providers: structuredClone(current.providers), models: current.models };
  const dropKeys: ProviderId[] = [];
  const fromStdin = PROVIDER_IDS.filter((p) => args[`${p}-key`] === '-');
  if (fromStdin.length > 1 && !interactive) {
    throw new GatehouseError('usage', 'only one key can be read from stdin per command', { hint: `set the others afterwards with "integrations edit NAME --${fromStdin[1]}-key=-"` });
  }
  const toRead: ProviderId[] = [];
  for (const p of PROVIDER_IDS) {
    const given = args[p] as string | undefined;
    if (given !== undefined && !SOURCES.includes(given as Source)) {
      throw new GatehouseError('invalid_input', `unknown source "${shown(given)}" for --${p}: use ${sourceList}`);
    }
    if (given === 'chatgpt' && p !== 'openai') throw new GatehouseError('invalid_input', `chatgpt is a source for openai only: use --${p}=gateway, byok or disabled`);
    // A ChatGPT plan is one person's: a team integration would spend it for everyone.
    if (given === 'chatgpt' && args.team === true) throw new GatehouseError('invalid_input', CHATGPT_PERSONAL);
    const source = (given as Source | undefined) ?? settings.providers[p].source;
    const keyArg = args[`${p}-key`] as string | undefined;
    if (keyArg !== undefined && source !== 'byok') {
      throw new GatehouseError('usage', `--${p}-key is only used when ${p} is on byok`, { hint: `add --${p}=byok` });
    }
    if (keyArg !== undefined) toRead.push(p);
    else if (source === 'byok' && !keyed.includes(p)) {
      throw new GatehouseError('usage', `--${p}=byok needs your key`, { hint: `add --${p}-key=- and pipe the key on stdin` });
    }
    if (source !== 'byok' && keyed.includes(p)) dropKeys.push(p);
    settings.providers[p] = source === 'chatgpt' ? { source, account: chatgptAccount(args, settings.providers[p].account) } : { source };
  }
  if (args['openai-account'] !== undefined && settings.providers.openai.source !== 'chatgpt') {
    throw new GatehouseError('usage', '--openai-account is only used with --openai=chatgpt');
  }
  if (args.models !== undefined) settings.models = parseModelGlobs(String(args.models));
  return { settings, dropKeys, toRead };
}

function chatgptAccount(args: ParsedArgs, current: string | undefined): string {
  const account = (args['openai-account'] as string | undefined) ?? current;
  if (!account) throw new GatehouseError('usage', '--openai=chatgpt needs --openai-account=ACCT', { hint: 'list connected accounts with "integrations setup chatgpt --list"' });
  // Whether it exists is checked by applyLlmFlags (a database read); here only its form.
  return checkAccountName(account);
}

/** Rejects llm flags on a reflection integration, and reads --fields. */
export function applyReflectionFlags(args: ParsedArgs, current: string[] | undefined): string[] {
  const llmFlag = [...PROVIDER_IDS, ...PROVIDER_IDS.map((p) => `${p}-key`), 'openai-account', 'models'].find((f) => args[f] !== undefined);
  if (llmFlag) throw new GatehouseError('usage', `--${llmFlag} is for llm integrations`);
  if (args.fields !== undefined) return parseFields(String(args.fields));
  if (current) return current;
  throw new GatehouseError('usage', 'a reflection integration needs --fields', { hint: 'e.g. --fields all, --fields none, or --fields email,tags' });
}

export function commentFrom(args: ParsedArgs): string | null | undefined {
  if (args.comment === undefined) return undefined;
  const text = checkComment(String(args.comment)).trim();
  return text || null;
}
