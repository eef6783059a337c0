// The ChatGPT Codex backend (chatgpt.com/backend-api/codex) as data: where a ChatGPT-plan account's
// model calls go and how they are signed (issue 13 research §1.8, read from openai/codex). It is
// not a Provider of its own: it is a source of the openai provider, serving the Responses API only.

export const chatgptBackend = {
  /** POST, streaming only (stream:true, store:false, instructions required). */
  responsesPath: '/responses',
  /** Codex's remote compaction: unary JSON. */
  compactPath: '/responses/compact',
  /** GET ?client_version=…: {models:[{slug, visibility, …}]}. */
  modelsPath: '/models',
  /** The Codex version gatehouse names when it lists models (the backend filters by it). */
  clientVersion: '0.169.0',
  /** Sent when the client sent none: every Codex request carries an originator. */
  defaultHeaders: { originator: 'codex_cli_rs' } as Record<string, string>,
  /** The instructions filled in when a client sends none (the backend requires them). */
  defaultInstructions: 'You are a helpful assistant.',
  /** The account's credential: its access token and its ChatGPT account id (Codex's exact header). */
  credentialHeaders(accessToken: string, chatgptAccountId: string): [name: string, value: string][] {
    return [
      ['authorization', `Bearer ${accessToken}`],
      ['chatgpt-account-id', chatgptAccountId],
    ];
  },
  /** Response headers that report the plan's usage windows (x-codex-primary-used-percent …). */
  windowHeaderPrefix: 'x-codex-',
} as const;
