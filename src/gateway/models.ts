// GET /v1/models and /models.json on an integration hostname: the models this caller may use
// through this integration, from the catalog (OpenAI list shape, or Anthropic's when asked).
import type { Catalog, Model } from '../core/catalog.js';
import type { IndexedIntegration } from '../core/integrationIndex.js';
import { modelAllowed } from '../core/glob.js';
import type { LlmSettings } from '../core/integrations.js';

export function usableModels(integration: IndexedIntegration, catalog: Catalog, keyGlobs?: string[] | null): Model[] {
  const settings = integration.settings as LlmSettings;
  const allowed = (globs: string[] | null | undefined, m: Model) => !globs || modelAllowed(globs, m.provider, m.id);
  return catalog.models.filter((m) => settings.providers[m.provider]?.source !== 'disabled' && allowed(settings.models, m) && allowed(keyGlobs, m));
}

export function openAiModelList(models: Model[]): object {
  const data = models.flatMap((m) => [m.id, `${m.provider}/${m.id}`].map((id) => ({ id, object: 'model', created: 0, owned_by: m.provider })));
  return { object: 'list', data };
}

export function anthropicModelList(models: Model[]): object {
  const data = models.map((m) => ({ type: 'model', id: m.id, display_name: m.display_name, created_at: '1970-01-01T00:00:00Z' }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

export function modelsJson(models: Model[]): object {
  return { models };
}

export function geminiModelList(models: Model[]): object {
  return {
    models: models.map((m) => ({ name: `models/${m.id}`, displayName: m.display_name, inputTokenLimit: m.context_window, outputTokenLimit: m.max_output_tokens, supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'] })),
  };
}

/** A provider's own models-list shape, for GET …/models on a provider path served by the managed key. */
export function nativeModelList(style: 'anthropic' | 'openai' | 'gemini', models: Model[]): object {
  if (style === 'anthropic') return anthropicModelList(models);
  if (style === 'gemini') return geminiModelList(models);
  return { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider })) };
}
