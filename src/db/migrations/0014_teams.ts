// Frozen: never edit a migration that has shipped; add a new one.
// Teams (issue 14). A team is also a row of `users` named "team:NAME" (a name no person can
// have: user names take no ":"), and teams.id is that row's id. So a team owns integrations,
// sealed keys, credit grants and credit leases exactly as a person does, through the same
// tables and code, and deleting that row removes all of it. Numbered 0014 because 0013 shipped
// first: kysely refuses a migration older than the last one run.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('teams')
    .addColumn('id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(63)', (c) => c.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  // UNIQUE(user_id): a user belongs to at most one team.
  await db.schema
    .createTable('team_members')
    .addColumn('team_id', 'integer', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().unique().references('users.id').onDelete('cascade'))
    .addColumn('role', 'varchar(8)', (c) => c.notNull()) // owner | admin | user
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  // Exactly one owner: at most one by this index, at least one by the rules (core/teams.ts).
  await sql`CREATE UNIQUE INDEX team_members_one_owner ON team_members (team_id) WHERE role = 'owner'`.execute(db);
  await db.schema.createIndex('team_members_team').on('team_members').column('team_id').execute();

  // Which team's integration served the request (null: a personal one). No foreign key: usage
  // outlives the team, as it outlives integrations.
  await db.schema.alterTable('usage').addColumn('team_id', 'integer').execute();
  await db.schema.createIndex('usage_team_month').on('usage').columns(['team_id', 'month']).execute();

  if (dialectOf(db) === 'postgres') {
    // As migration 0006 does for the other watched tables.
    for (const table of ['teams', 'team_members']) {
      await sql`
        CREATE TRIGGER gatehouse_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${sql.table(table)}
        FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change('teams')`.execute(db);
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('usage_team_month').execute();
  await db.schema.alterTable('usage').dropColumn('team_id').execute();
  for (const t of ['team_members', 'teams']) await db.schema.dropTable(t).execute();
}
