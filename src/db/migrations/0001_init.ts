// Frozen: never edit a migration that has shipped; add a new one. (The portable.ts helpers
// leave its SQLite schema exactly as shipped; they only spell it for PostgreSQL too.)
import type { Kysely } from 'kysely';
import { withId } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .$call(withId(db))
    .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('email', 'varchar(254)')
    .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('ssh_keys')
    .$call(withId(db))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_used_at', 'varchar(32)')
    .addUniqueConstraint('ssh_keys_user_name', ['user_id', 'name'])
    .execute();

  await db.schema
    .createTable('vms')
    .$call(withId(db))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(52)', (c) => c.notNull().unique())
    .addColumn('address', 'varchar(45)', (c) => c.notNull().unique())
    .addColumn('comment', 'text')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('vms_user').on('vms').column('user_id').execute();

  await db.schema
    .createTable('vm_tags')
    .addColumn('vm_id', 'integer', (c) => c.notNull().references('vms.id').onDelete('cascade'))
    .addColumn('tag', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('vm_tags_pk', ['vm_id', 'tag'])
    .execute();
  await db.schema.createIndex('vm_tags_tag').on('vm_tags').column('tag').execute();

  await db.schema
    .createTable('command_history')
    .$call(withId(db))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('line', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('command_history_user').on('command_history').columns(['user_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['command_history', 'vm_tags', 'vms', 'ssh_keys', 'users']) await db.schema.dropTable(t).execute();
}
