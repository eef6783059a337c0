import type { Provider } from './provider.js';

export const anthropic: Provider = {
  id: 'anthropic',
  displayName: 'Anthropic',
  apiPrefix: '/v1',
  openaiCompatBase: '/v1',
  modelsPath: '/models',
  modelPattern: /^claude-/,
  defaultHeaders: { 'anthropic-version': '2023-06-01' },
  credentialHeader: (key) => ['x-api-key', key],
  badKeyStatuses: [401, 403],
  errorStyle: 'anthropic',
};
