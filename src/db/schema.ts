// Table types for kysely. Timestamps are ISO-8601 UTC strings and booleans are 0/1 integers,
// so the same queries run on SQLite today and on Postgres later.
import type { Generated, Insertable, Selectable } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  name: string;
  email: string | null;
  is_admin: number;
  created_at: string;
}

export interface SshKeysTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  public_key: string; // "type base64" without the comment
  fingerprint: string; // SHA256:… as OpenSSH prints it
  created_at: string;
  last_used_at: string | null;
}

export interface VmsTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  address: string; // canonical text form: dotted IPv4 or compressed lowercase IPv6
  comment: string | null;
  created_at: string;
}

export interface VmTagsTable {
  vm_id: number;
  tag: string;
}

export interface CommandHistoryTable {
  id: Generated<number>;
  user_id: number;
  line: string;
  created_at: string;
}

export interface IntegrationsTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  type: string;
  settings: string; // JSON of the type's settings; never a secret
  comment: string | null;
  created_at: string;
  updated_at: string;
}

export interface IntegrationSecretsTable {
  integration_id: number;
  provider: string;
  sealed: string;
  created_at: string;
}

export interface AttachmentsTable {
  id: Generated<number>;
  integration_id: number;
  kind: 'vm' | 'tag' | 'auto';
  vm_id: number | null;
  tag: string | null;
  target_key: string;
  created_at: string;
}

export interface UsageTable {
  id: Generated<number>;
  created_at: string;
  month: string;
  request_id: string;
  user_id: number;
  vm_id: number | null;
  vm_name: string | null;
  api_key_id: number | null;
  api_key_name: string | null;
  integration_id: number | null;
  integration_name: string;
  provider: string;
  model: string;
  source: string;
  api: string;
  status: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_micros: number;
  latency_ms: number;
  ttfb_ms: number | null;
  session_id: string | null;
  /** The team whose integration served it (migration 0014); null for a personal integration. */
  team_id: number | null;
}

export interface CreditGrantsTable {
  id: Generated<number>;
  user_id: number;
  month: string;
  micros: number;
  note: string | null;
  granted_by: string;
  created_at: string;
}

/** A slice of a user's monthly balance leased by one instance of a fleet (src/core/credits.ts). */
export interface CreditLeasesTable {
  user_id: number;
  month: string;
  instance: string;
  outstanding_micros: number;
  spent_micros: number;
  expires_at: string;
}

export interface ApiKeysTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  prefix: string;
  hash: string;
  integrations: string | null; // JSON list of integration ids
  models: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface UserLimitsTable {
  user_id: number;
  rpm: number | null; // null: the installation default
  concurrent: number | null;
  key_rpm: number | null;
  key_concurrent: number | null;
  updated_by: string;
  updated_at: string;
}

/** Facts about the installation, one row each (migration 0008). */
export interface InstallationTable {
  name: string;
  value: string;
  created_at: string | null;
}

/** A connected ChatGPT account (migration 0011); never a token: those are in chatgpt_tokens, sealed. */
export interface ChatgptAccountsTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  email: string | null;
  plan: string | null;
  chatgpt_account_id: string;
  state: string; // ok | needs_login
  state_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface ChatgptTokensTable {
  account_id: number;
  /** Sealed JSON {access_token, refresh_token} (core/secrets.ts), bound to "chatgpt:<account id>:tokens". */
  sealed: string;
  access_expires_at: string | null;
  generation: number;
  refreshed_at: string;
}

export interface ChatgptWindowsTable {
  account_id: number;
  primary_used_percent: number | null;
  primary_window_minutes: number | null;
  primary_reset_at: number | null;
  secondary_used_percent: number | null;
  secondary_window_minutes: number | null;
  secondary_reset_at: number | null;
  observed_at: string;
}

/** One audited event (migration 0013): never a secret value; text is clipped to its column. */
export interface AuditTable {
  id: Generated<number>;
  at: string;
  instance: string;
  via: 'ssh' | 'cli' | 'system';
  actor_user_id: number | null;
  actor_name: string;
  key_fingerprint: string | null;
  api_key_name: string | null;
  address: string | null;
  subject_user_id: number | null;
  action: string;
  target: string | null;
  detail: string | null;
  outcome: string;
}

/** A team (migration 0014); its id is also the id of its hidden `users` row "team:NAME". */
export interface TeamsTable {
  id: number;
  name: string;
  created_at: string;
}

export type TeamRole = 'owner' | 'admin' | 'user';

export interface TeamMembersTable {
  team_id: number;
  user_id: number;
  role: TeamRole;
  created_at: string;
}

/** A one-time sign-in link printed by `browser` (migration 0015): only the token's SHA-256. */
export interface WebLinksTable {
  id: Generated<number>;
  token_hash: string;
  user_id: number;
  created_at: string;
  expires_at: string;
  /** Set once, by the request that used it: a link opens one session. */
  used_at: string | null;
}

/** A signed-in browser (migration 0015): only the session id's SHA-256; csrf is what its forms carry back. */
export interface WebSessionsTable {
  id: Generated<number>;
  session_hash: string;
  user_id: number;
  csrf: string;
  created_at: string;
  expires_at: string;
}

export interface Database {
  installation: InstallationTable;
  users: UsersTable;
  ssh_keys: SshKeysTable;
  vms: VmsTable;
  vm_tags: VmTagsTable;
  command_history: CommandHistoryTable;
  integrations: IntegrationsTable;
  integration_secrets: IntegrationSecretsTable;
  attachments: AttachmentsTable;
  usage: UsageTable;
  credit_grants: CreditGrantsTable;
  credit_leases: CreditLeasesTable;
  api_keys: ApiKeysTable;
  user_limits: UserLimitsTable;
  chatgpt_accounts: ChatgptAccountsTable;
  chatgpt_tokens: ChatgptTokensTable;
  chatgpt_windows: ChatgptWindowsTable;
  audit_log: AuditTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  web_links: WebLinksTable;
  web_sessions: WebSessionsTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type SshKey = Selectable<SshKeysTable>;
export type Vm = Selectable<VmsTable>;
export type IntegrationRow = Selectable<IntegrationsTable>;
export type AttachmentRow = Selectable<AttachmentsTable>;
export type NewUsageRow = Insertable<UsageTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type UserLimitsRow = Selectable<UserLimitsTable>;
export type ChatgptAccountRow = Selectable<ChatgptAccountsTable>;
export type ChatgptTokensRow = Selectable<ChatgptTokensTable>;
export type ChatgptWindowsRow = Selectable<ChatgptWindowsTable>;
export type TeamRow = Selectable<TeamsTable>;
export type TeamMemberRow = Selectable<TeamMembersTable>;
export type AuditRow = Selectable<AuditTable>;
export type NewAuditRow = Insertable<AuditTable>;
export type WebSessionRow = Selectable<WebSessionsTable>;
