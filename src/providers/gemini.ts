import type { Provider } from './provider.js';

export const gemini: Provider = {
  id: 'gemini',
  displayName: 'Gemini',
  apiPrefix: '/v1beta',
  modelsPath: '/models',
  defaultHeaders: {},
  credentialHeader: (key) => ['x-goog-api-key', key],
};
