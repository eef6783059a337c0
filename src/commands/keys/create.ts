import { displayPrefix, generateApiKey, parseExpiry } from '../../core/apiKeys.js';
import { listVisibleIntegrations } from '../../core/integrationNames.js';
import type { Integration } from '../../core/integrations.js';
import { parseModelGlobs } from '../../core/integrations.js';
import { checkKeyName, shown } from '../../core/names.js';
import { findApiKey, insertApiKey } from '../../db/apiKeys.js';
import { GatehouseError } from '../../errors.js';
import type { CommandContext, CommandDef } from '../../shell/types.js';
import { integrationNames } from '../integrations/shared.js';
import { isUniqueViolation } from '../../db/dialect.js';

export const keysCreate: CommandDef = {
  path: ['keys', 'create'],
  audit: {},
  summary: 'mint a gateway API key for clients outside VMs (shown once)',
  options: {
    name: { type: 'string', value: 'NAME', describe: 'a name to recognise it by (required)' },
    integration: { type: 'array', value: 'NAME', describe: 'limit it to this integration, yours or your team’s (repeatable; default: all of yours)', complete: integrationNames },
    models: { type: 'string', value: 'GLOB,…', describe: "limit it to these models, e.g. 'claude-*'" },
    expires: { type: 'string', value: 'WHEN', describe: '30d, 12h, a date like 2027-01-31, or never (default: never)' },
  },
  examples: ["keys create --name laptop --models 'claude-*' --expires 30d", 'keys create --name ci --integration llm --expires 2027-01-31 --json'],
  async run(ctx, args) {
    if (args.name === undefined) throw new GatehouseError('usage', 'missing --name', { hint: 'e.g. keys create --name laptop' });
    const name = checkKeyName(String(args.name));
    if (await findApiKey(ctx.db, ctx.user.id, name)) throw new GatehouseError('conflict', `you already have an API key named "${name}"`, { hint: `revoke it first: keys revoke ${name}` });
    const wanted = [...new Set((args.integration as string[] | undefined) ?? [])];
    // The team's integrations too: one namespace per user, so a name means one integration.
    const mine = new Map((await listVisibleIntegrations(ctx.db, ctx.user.id)).map((i) => [i.name, i]));
    for (const i of wanted) if (!mine.has(i)) throw new GatehouseError('not_found', `integration "${shown(i)}" not found`, { hint: 'run "integrations list" to see yours' });
    checkKeyTypes(ctx, wanted.map((i) => mine.get(i)!));
    const scope = wanted.length ? wanted.map((i) => mine.get(i)!.id) : null; // ids: a renamed integration stays in scope
    const models = args.models === undefined ? null : parseModelGlobs(String(args.models));
    const expiresAt = parseExpiry(args.expires === undefined ? 'never' : String(args.expires));
    ctx.audit.target(`api key ${name}`);
    const secret = generateApiKey();
    const row = await insertApiKey(ctx.db, { userId: ctx.user.id, name, prefix: displayPrefix(secret), hash: ctx.services.sealer.pepperedHash(secret), integrations: scope, models, expiresAt }).catch((cause) => {
      // Another session created this name between the check above and this insert.
      if (isUniqueViolation(cause)) throw new GatehouseError('conflict', `you already have an API key named "${name}"`, { hint: `revoke it first: keys revoke ${name}`, cause });
      throw cause;
    });
    if (args.json) return void ctx.out.json({ name, key: secret, integrations: wanted.length ? wanted : 'all', models: models ?? 'all', expires_at: row.expires_at });
    ctx.out.line(`Created API key ${ctx.out.c.bold(name)}:`);
    ctx.out.line();
    ctx.out.line(`  ${secret}`);
    ctx.out.line();
    ctx.out.warn('copy it now: it will not be shown again');
    ctx.out.line(`Scope: integrations ${wanted.length ? wanted.join(', ') : 'all'}; models ${models ? models.join(', ') : 'all'}; expires ${row.expires_at ?? 'never'}`);
  },
};

/**
 * A key calls llm integrations: the others (reflection) answer VMs only. A scope of nothing but
 * those is refused, as the key could call nothing; in a wider scope they are pointed out.
 */
function checkKeyTypes(ctx: CommandContext, scope: Integration[]): void {
  const others = scope.filter((i) => i.type !== 'llm');
  if (others.length === 0) return;
  const what = others.map((i) => `"${i.name}" is a ${i.type} integration`).join(', ');
  if (others.length === scope.length) {
    throw new GatehouseError('invalid_input', `an API key calls llm integrations only: ${what}, which answers VMs only`, { hint: 'e.g. keys create --name NAME --integration llm' });
  }
  ctx.out.warn(`${what}, which answers VMs only: this key cannot use it`);
}
