import type { CommandDef } from '../../shell/types.js';

const perMillion = (usd: number) => (usd === 0 ? '-' : `$${usd}`);

export const integrationsCatalog: CommandDef = {
  path: ['integrations', 'catalog'],
  audit: 'read',
  summary: 'list the models this gatehouse knows, with limits and prices (USD per 1M tokens)',
  args: [{ name: 'TERM', optional: true }],
  examples: ['integrations catalog', 'integrations catalog claude', 'integrations catalog gemini --json'],
  async run(ctx, args) {
    const models = ctx.services.catalog.search(args._[0]);
    if (args.json) return void ctx.out.json(models);
    if (models.length === 0) return void ctx.out.line(`No models match "${args._[0]}".`);
    ctx.out.table(
      models.map((m) => [m.id, m.provider, m.display_name, String(m.context_window), String(m.max_output_tokens), perMillion(m.price.input), perMillion(m.price.output), perMillion(m.price.cache_read), perMillion(m.price.cache_write)]),
      ['MODEL', 'PROVIDER', 'NAME', 'CONTEXT', 'MAX OUT', 'INPUT', 'OUTPUT', 'CACHE READ', 'CACHE WRITE'],
    );
  },
};
