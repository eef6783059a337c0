// Frozen: never edit a migration that has shipped; add a new one.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Removing a VM cascades to its attachments: without this, every removal scans them all.
  await db.schema.createIndex('attachments_vm').on('attachments').column('vm_id').execute();
  // A credit top-up sums the user's grants of the month.
  await db.schema.createIndex('credit_grants_user_month').on('credit_grants').columns(['user_id', 'month']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('credit_grants_user_month').execute();
  await db.schema.dropIndex('attachments_vm').execute();
}
