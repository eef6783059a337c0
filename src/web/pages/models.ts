// Public /models and /models.json (issue 17): every catalog model with its limits and the four
// prices per 1M tokens, as `integrations catalog --json` lists them (the same Catalog.search()),
// a filter as you type and a copy button per id (models.js), and setup snippets for the clients.
import type { Model } from '../../core/catalog.js';
import { layout, type Column } from '../layout.js';
import { esc, html, json } from '../respond.js';
import type { WebContext, WebRoute } from '../types.js';
import { setupSnippets } from './setup.js';

const price = (usd: number) => (usd === 0 ? '-' : `$${usd}`);

const COLUMNS: Column<Model>[] = [
  { key: 'id', label: 'Model', cell: (m) => m.id },
  { key: 'provider', label: 'Provider', cell: (m) => m.provider },
  { key: 'display_name', label: 'Name', cell: (m) => m.display_name },
  { key: 'context_window', label: 'Context', cell: (m) => m.context_window, num: true },
  { key: 'max_output_tokens', label: 'Max output', cell: (m) => m.max_output_tokens, num: true },
  { key: 'input', label: 'Input', cell: (m) => price(m.price.input), num: true },
  { key: 'output', label: 'Output', cell: (m) => price(m.price.output), num: true },
  { key: 'cache_read', label: 'Cache read', cell: (m) => price(m.price.cache_read), num: true },
  { key: 'cache_write', label: 'Cache write', cell: (m) => price(m.price.cache_write), num: true },
];

/** The id cell gets a copy button; the row a lower-case search text for the filter. */
function modelRows(models: Model[]): string {
  return models
    .map((m) => {
      const cells = COLUMNS.map((c) =>
        c.key === 'id'
          ? `<td data-col="id"><code>${esc(m.id)}</code> <button type="button" class="copy" data-copy="${esc(m.id)}" aria-label="copy ${esc(m.id)}">Copy</button></td>`
          : `<td data-col="${c.key}"${c.num ? ' class="num"' : ''}>${esc(c.cell(m))}</td>`,
      );
      return `<tr data-key="${esc(m.id)}" data-search="${esc(`${m.id} ${m.provider} ${m.display_name}`.toLowerCase())}">${cells.join('')}</tr>`;
    })
    .join('');
}

function page(ctx: WebContext, models: Model[]): string {
  const head = COLUMNS.map((c) => `<th${c.num ? ' class="num"' : ''}>${esc(c.label)}</th>`).join('');
  const list = `<table id="models"><thead><tr>${head}</tr></thead><tbody>${modelRows(models)}</tbody></table>`;
  return layout(
    { title: 'Models', scripts: ['copy.js', 'models.js'], session: ctx.session },
    `<h1>Models</h1>
<p>Every model this gatehouse serves, with its limits and prices in USD per 1M tokens (<a href="/models.json">as JSON</a>).</p>
<p class="filter"><label for="model-filter">Filter</label> <input id="model-filter" type="search" placeholder="claude, gpt, gemini…" autocomplete="off" maxlength="100"> <span id="models-count" data-total="${models.length}">${models.length} models</span></p>
${list}
<p id="models-none" class="empty" hidden>No model matches.</p>
${setupSnippets(ctx.deps.config.domain)}`,
  );
}

export const modelsPage: WebRoute = {
  method: 'GET',
  path: '/models',
  auth: 'public',
  async handle(ctx) {
    html(ctx.res, 200, page(ctx, ctx.deps.services.catalog.search()), { 'cache-control': 'no-cache' });
  },
};

/** `{"models": [...]}`: each model exactly as `integrations catalog --json` prints it. */
export const modelsJson: WebRoute = {
  method: 'GET',
  path: '/models.json',
  auth: 'public',
  async handle(ctx) {
    json(ctx.res, 200, { models: ctx.deps.services.catalog.search() }, { 'cache-control': 'no-cache' });
  },
};
