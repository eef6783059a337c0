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

export interface Database {
  users: UsersTable;
  ssh_keys: SshKeysTable;
  vms: VmsTable;
  vm_tags: VmTagsTable;
  command_history: CommandHistoryTable;
  integrations: IntegrationsTable;
  integration_secrets: IntegrationSecretsTable;
  attachments: AttachmentsTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type SshKey = Selectable<SshKeysTable>;
export type Vm = Selectable<VmsTable>;
export type IntegrationRow = Selectable<IntegrationsTable>;
export type AttachmentRow = Selectable<AttachmentsTable>;
