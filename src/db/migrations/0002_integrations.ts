// Frozen: never edit a migration that has shipped; add a new one. (The portable.ts helpers
// leave its SQLite schema exactly as shipped; they only spell it for PostgreSQL too.)
import type { Kysely } from 'kysely';
import { withId } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('integrations')
    .$call(withId(db))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(63)', (c) => c.notNull())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull()) // JSON, never holds a secret
    .addColumn('comment', 'text')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('integrations_owner_name', ['user_id', 'name'])
    .execute();

  // One sealed provider key per (integration, provider): AES-256-GCM, see core/secrets.ts.
  await db.schema
    .createTable('integration_secrets')
    .addColumn('integration_id', 'integer', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
    .addColumn('provider', 'varchar(32)', (c) => c.notNull())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('integration_secrets_pk', ['integration_id', 'provider'])
    .execute();

  // An attachment targets one VM (by id, so renames follow and removal cascades), a tag, or all VMs.
  await db.schema
    .createTable('attachments')
    .$call(withId(db))
    .addColumn('integration_id', 'integer', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('vm_id', 'integer', (c) => c.references('vms.id').onDelete('cascade'))
    .addColumn('tag', 'varchar(64)')
    .addColumn('target_key', 'varchar(80)', (c) => c.notNull()) // vm:<id> | tag:<name> | auto:all, for uniqueness
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('attachments_unique', ['integration_id', 'target_key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['attachments', 'integration_secrets', 'integrations']) await db.schema.dropTable(t).execute();
}
