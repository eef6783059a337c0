// Frozen: never edit a migration that has shipped; add a new one.
// The audit log (issue 16): who changed what, from where, and how it went. No trigger and no
// change topic: an audit insert must never rebuild any instance's caches. No foreign keys: the
// history outlives the accounts it names. 0012 is the teams migration (issue 14).
import type { Kysely } from 'kysely';
import { withId } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .$call(withId(db, true))
    .addColumn('at', 'varchar(32)', (c) => c.notNull())
    .addColumn('instance', 'varchar(32)', (c) => c.notNull())
    .addColumn('via', 'varchar(8)', (c) => c.notNull()) // ssh | cli | system
    .addColumn('actor_user_id', 'integer')
    .addColumn('actor_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('key_fingerprint', 'varchar(128)')
    .addColumn('api_key_name', 'varchar(64)')
    .addColumn('address', 'varchar(64)')
    .addColumn('subject_user_id', 'integer')
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('target', 'varchar(200)')
    .addColumn('detail', 'varchar(500)')
    .addColumn('outcome', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
  await db.schema.createIndex('audit_log_subject_at').on('audit_log').columns(['subject_user_id', 'at']).execute();
  await db.schema.createIndex('audit_log_actor_at').on('audit_log').columns(['actor_user_id', 'at']).execute();
  await db.schema.createIndex('audit_log_action_at').on('audit_log').columns(['action', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
}
