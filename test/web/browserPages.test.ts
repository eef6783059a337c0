// Issue 17, acceptance, in headless Chromium: /models lists every model of `integrations catalog
// --json` with the same prices and filters as you type; with a month of 10,000 usage rows the
// user's page loads and draws its chart in under a second; the team's and the installation's
// pages match `team usage` and `admin usage`. No request leaves the machine.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { browserSkip, screenshot, type WebTab } from '../helpers/browser.js';
import { assertTableMatches, shownRows } from './browserAsserts.js';
import { BULK_ROWS, suiteWorld, type BrowserWorld } from './browserWorld.js';
import { chartDrawn, untilVisible, visibleKeys } from './pageProbe.js';

const RENDER_BUDGET_MS = 1000;

/** Opens `url` (ending on /user); how long, by the page's clock, until its load event and its chart drawn. */
async function loadUserPage(t: WebTab, url: string): Promise<{ ms: number; text: string }> {
  const started = performance.now();
  await t.page.goto(url, { waitUntil: 'load' });
  const drawnAt = await chartDrawn(t.page);
  const wall = performance.now() - started;
  const nav = await t.page.evaluate(() => (globalThis as any).performance.getEntriesByType('navigation')[0].toJSON());
  const ms = Math.max(nav.loadEventEnd, drawnAt);
  const text = `${ms.toFixed(0)} ms (server ${(nav.responseStart - nav.requestStart).toFixed(0)} ms, load event ${nav.loadEventEnd.toFixed(0)} ms, chart ${drawnAt.toFixed(0)} ms; ${wall.toFixed(0)} ms as the test drove it)`;
  return { ms, text };
}

/** A price cell as shown ("$3", "-" for none) in USD per 1M tokens. */
const price = (text: string) => (text === '-' ? 0 : Number(text.replace(/^\$/, '')));

describe('the web pages in a real browser: models, volume, team and admin (issue 17.8)', { skip: browserSkip }, () => {
  const suite = suiteWorld();
  let w: BrowserWorld;
  const tab = suite.tab;
  before(() => (w = suite.world()));

  it('the guard itself: a request elsewhere is aborted and recorded; the CSP refuses a script\'s fetch elsewhere', async () => {
    const t = await w.tab(); // not in `tabs`: it is meant to be unclean
    try {
      await t.page.goto(`${w.origin}/models`);
      const fetched = await t.page.evaluate(() => (globalThis as any).fetch('https://example.com/beacon').then(() => 'sent', (e: Error) => `refused: ${e.message}`));
      assert.match(fetched, /^refused/);
      assert.deepEqual(t.offsite, [], 'the CSP stopped it before the network');
      assert.ok(t.errors.some((e) => /Content Security Policy/.test(e)), t.errors.join('; '));
      await assert.rejects(t.page.goto('https://cdn.example.com/chart.js'));
      assert.deepEqual(t.offsite, ['GET https://cdn.example.com/chart.js']);
    } finally {
      await t.close();
    }
  });

  it('/models lists every model of `integrations catalog --json`, with the same limits and prices, signed out', async () => {
    const catalog: any[] = await w.json(w.alice, 'integrations catalog');
    const t = await tab();
    assert.equal((await t.page.goto(`${w.origin}/models`))?.status(), 200);
    const rows = await shownRows(t.page, 'models');
    assert.deepEqual(rows.map((r) => r.key), catalog.map((m) => m.id));
    for (const [i, m] of catalog.entries()) {
      const c = rows[i].cells;
      assert.deepEqual(
        { provider: c.provider, name: c.display_name, context: Number(c.context_window.replace(/\D/g, '')), max: Number(c.max_output_tokens.replace(/\D/g, '')) },
        { provider: m.provider, name: m.display_name, context: m.context_window, max: m.max_output_tokens },
        m.id,
      );
      assert.deepEqual({ input: price(c.input), output: price(c.output), cache_read: price(c.cache_read), cache_write: price(c.cache_write) }, m.price, `${m.id}: prices`);
    }
    const json = await (await t.page.goto(`${w.origin}/models.json`))!.json();
    assert.deepEqual(json.models, catalog, '/models.json: the same data for programs');
    t.assertClean();
  });

  it('/models filters as you type, one key at a time', async () => {
    const catalog: any[] = await w.json(w.alice, 'integrations catalog');
    const t = await tab();
    await t.page.goto(`${w.origin}/models`);
    await screenshot(t.page, 'models');
    const rows = 'table#models tbody tr';
    assert.equal((await visibleKeys(t.page, rows)).length, catalog.length);
    const filter = t.page.locator('#model-filter');
    // models.js: a plain substring of id, provider and name, the typed text trimmed.
    const matching = (term: string) => catalog.filter((m) => `${m.id} ${m.provider} ${m.display_name}`.toLowerCase().includes(term.trim().toLowerCase()));
    let typed = '';
    for (const key of 'Gemini 2.5') {
      await filter.press(key === ' ' ? 'Space' : key);
      typed += key;
      const expected = matching(typed);
      await untilVisible(t.page, rows, expected.length);
      assert.deepEqual(await visibleKeys(t.page, rows), expected.map((m) => m.id), `after typing "${typed}"`);
      assert.equal(await t.page.locator('#models-count').innerText(), `${expected.length} model${expected.length === 1 ? '' : 's'}`);
    }
    assert.ok(matching(typed).length > 0 && matching(typed).length < catalog.length);
    await filter.fill('no such model');
    await untilVisible(t.page, rows, 0);
    assert.equal(await t.page.locator('#models-none').isVisible(), true, 'says that nothing matches');
    await filter.fill('');
    await untilVisible(t.page, rows, catalog.length);
    t.assertClean();
  });

  it('/models: a copy button puts a model id, or a client\'s setup, on the clipboard; every client has its setup', async () => {
    const t = await tab();
    await t.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: w.origin });
    await t.page.goto(`${w.origin}/models`);
    const clipboard = () => t.page.evaluate(() => (globalThis as any).navigator.clipboard.readText() as Promise<string>);
    await t.page.click('table#models tr[data-key="gpt-5.5"] button.copy');
    await t.page.waitForSelector('table#models tr[data-key="gpt-5.5"] button.copied');
    assert.equal(await clipboard(), 'gpt-5.5');
    for (const client of ['claude-code', 'codex', 'openai', 'anthropic', 'genai', 'curl']) assert.ok(await t.page.locator(`pre#setup-${client}`).isVisible(), client);
    await t.page.click('button.copy[data-copy-from="setup-curl"]');
    await t.page.waitForFunction(() => (globalThis as any).document.querySelector('button.copy[data-copy-from="setup-curl"]').classList.contains('copied'));
    assert.equal(await clipboard(), await t.page.locator('pre#setup-curl').textContent());
    assert.match(await clipboard(), /^curl http:\/\/llm\.int\.gatehouse\.localhost\/v1\/models/);
    t.assertClean();
  });

  it(`with ${BULK_ROWS.toLocaleString('en')} usage rows in the month, the user page loads and draws its chart in under a second`, async (ctx) => {
    const t = await tab();
    await t.page.goto(`${w.origin}/models`); // the browser is open already, as the user's is
    const link = await w.link(w.carol);
    // First visit: the link, its redirect, /user and Chart.js with a cold cache; then the page again, three times.
    const cold = await loadUserPage(t, link);
    const report = await w.json(w.carol, 'usage');
    assert.ok(report.total.requests > BULK_ROWS);
    await assertTableMatches(t.page, report);
    const again = [await loadUserPage(t, `${w.origin}/user`), await loadUserPage(t, `${w.origin}/user`), await loadUserPage(t, `${w.origin}/user`)];
    const median = again.sort((a, b) => a.ms - b.ms)[1];
    ctx.diagnostic(`/user with ${report.total.requests} rows, first visit: ${cold.text}; again (median of 3): ${median.text}`);
    // The browser's own clock, from navigation start to the load event and the chart drawn: what the
    // user waits. The median of three, as npm test shares two cores with other suites (and here with
    // other engineers' runs); the first visit also fetches and compiles Chart.js (200 kB), which has
    // nothing to do with the rows: it gets a looser bound, so a regression still shows.
    assert.ok(median.ms < RENDER_BUDGET_MS, `again: ${median.text}`);
    assert.ok(cold.ms < 2 * RENDER_BUDGET_MS, `first visit: ${cold.text}`);
    t.assertClean();
  });

  it("the team's page, for its owner, matches `team usage --json`", async () => {
    const t = await tab();
    await t.page.goto(await w.link(w.alice));
    assert.equal((await t.page.goto(`${w.origin}/team`))?.status(), 200);
    await chartDrawn(t.page);
    await assertTableMatches(t.page, await w.json(w.alice, 'team usage --group member'));
    await assertTableMatches(t.page, await w.json(w.alice, 'team usage --group model'));
    await screenshot(t.page, 'team');
    t.assertClean();
  });

  it("the admin's page shows everyone's usage, matching `admin usage --json`; a non-admin is refused", async () => {
    const t = await tab();
    await t.page.goto(await w.link(w.alice));
    assert.equal((await t.page.goto(`${w.origin}/admin`))?.status(), 200);
    await chartDrawn(t.page);
    await assertTableMatches(t.page, await w.json(w.alice, 'admin usage --group user'));
    await assertTableMatches(t.page, await w.json(w.alice, 'admin usage --group model'));
    await screenshot(t.page, 'admin');
    const bob = await tab();
    await bob.page.goto(await w.link(w.bob));
    const refused = await bob.page.goto(`${w.origin}/admin`);
    assert.ok([403, 404].includes(refused?.status() ?? 0), `bob on /admin: ${refused?.status()}`);
    t.assertClean();
  });
});
