import type { Provider } from './provider.js';

export const openai: Provider = {
  id: 'openai',
  displayName: 'OpenAI',
  apiPrefix: '/v1',
  openaiCompatBase: '/v1',
  modelsPath: '/models',
  modelPattern: /^(gpt-|o[0-9]|codex-|chatgpt-|text-embedding-|omni-|dall-e|whisper|tts-)/,
  defaultHeaders: {},
  credentialHeader: (key) => ['authorization', `Bearer ${key}`],
  badKeyStatuses: [401, 403],
  errorStyle: 'openai',
};
