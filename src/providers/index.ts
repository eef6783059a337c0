// Every provider. Add a provider: write its file, add one line here.
import type { ProviderId } from '../config.js';
import { anthropic } from './anthropic.js';
import { fireworks } from './fireworks.js';
import { gemini } from './gemini.js';
import { openai } from './openai.js';
import type { Provider } from './provider.js';

export const providers: Record<ProviderId, Provider> = { anthropic, openai, fireworks, gemini };
export { chatgptBackend } from './chatgpt.js';
