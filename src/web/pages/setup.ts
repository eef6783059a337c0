// Ready-to-paste setup for the clients (issue 17), as the README's recipes give it: on a VM the
// gateway knows the caller by its address, so no key is needed and the base URL is the
// integration's hostname, llm.int.DOMAIN with this gatehouse's domain. Text only: nothing here is
// loaded by the page (the addresses are for the reader's clients).
import { esc } from '../respond.js';

interface Snippet {
  id: string;
  title: string;
  note: string;
  code: string;
}

function snippets(domain: string): Snippet[] {
  const host = `http://llm.int.${domain}`;
  return [
    { id: 'claude-code', title: 'Claude Code', note: 'Claude Code will not start without a key; the gateway drops this one.', code: `ANTHROPIC_BASE_URL=${host} ANTHROPIC_API_KEY=placeholder claude` },
    {
      id: 'codex',
      title: 'Codex',
      note: 'In ~/.codex/config.toml (Codex ignores an OPENAI_BASE_URL variable), or once with codex -c openai_base_url=…; no key.',
      code: `# ~/.codex/config.toml\nopenai_base_url = "${host}/openai/v1"\n\n# or for one run:\ncodex -c openai_base_url='"${host}/openai/v1"'`,
    },
    { id: 'openai', title: 'OpenAI SDK', note: 'Chat Completions, Responses and embeddings; the model picks the provider.', code: `import OpenAI from 'openai';\nconst client = new OpenAI({ baseURL: '${host}/v1', apiKey: 'placeholder' });` },
    { id: 'anthropic', title: 'Anthropic SDK', note: 'Messages and token counting.', code: `import Anthropic from '@anthropic-ai/sdk';\nconst client = new Anthropic({ baseURL: '${host}', apiKey: 'placeholder' });` },
    { id: 'genai', title: 'Google Gen AI SDK', note: "Gemini's native API.", code: `import { GoogleGenAI } from '@google/genai';\nconst ai = new GoogleGenAI({ apiKey: 'placeholder', httpOptions: { baseUrl: '${host}' } });` },
    {
      id: 'curl',
      title: 'curl',
      note: 'The models you may call, then a message.',
      code: `curl ${host}/v1/models\ncurl ${host}/v1/messages -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' \\\n  -d '{"model":"claude-haiku-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}'`,
    },
  ];
}

/** section#setup with one pre#setup-ID a client, each with a copy button. */
export function setupSnippets(domain: string): string {
  const parts = snippets(domain).map(
    (s) => `<div class="snippet"><h3>${esc(s.title)}</h3><p>${esc(s.note)}</p><pre id="setup-${s.id}"><code>${esc(s.code)}</code></pre><button type="button" class="copy" data-copy-from="setup-${s.id}">Copy</button></div>`,
  );
  return `<section id="setup"><h2>Set up your clients</h2>
<p>On a VM: the gateway knows the VM by its address, so no key is needed. Replace <code>llm</code> with the name of an integration attached to the VM (<code>integrations list</code> over SSH); a team's integration answers at <code>NAME.team.${esc(domain)}</code>.</p>
${parts.join('\n')}
<p>From a laptop: mint a key over SSH (<code>keys create --name laptop</code>), use <code>http://HOST:PORT/gateway/llm/anthropic</code> (or <code>/openai/v1</code>, <code>/gemini</code>) at the gateway's address as the base URL, and the <code>gk_…</code> key as the API key (<code>ANTHROPIC_AUTH_TOKEN</code> for Claude Code).</p>
</section>`;
}
