import type { Provider } from './provider.js';

export const gemini: Provider = {
  id: 'gemini',
  displayName: 'Gemini',
  apiPrefix: '/v1beta',
  openaiCompatBase: '/v1beta/openai',
  modelsPath: '/models',
  modelPattern: /^(gemini-|gemma-|embedding-)/,
  defaultHeaders: {},
  credentialHeader: (key) => ['x-goog-api-key', key],
  badKeyStatuses: [400, 401, 403],
  errorStyle: 'gemini',
};
