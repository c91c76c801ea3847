import { sql } from 'kysely';
import type { AuditDatabase } from '../../src/privacy/audit/store/migrations.js';

/**
 * Makes the audit refuse every write ("disk full"), on either engine, until the returned function
 * is called: what an audit outage looks like to the writer.
 */
export async function auditOutage(database: AuditDatabase): Promise<() => Promise<void>> {
  if (database.dialect === 'sqlite') {
    database.sqlite.exec(
      `create trigger audit_outage before insert on audit_batches begin select raise(abort, 'disk full'); end`,
    );
    return async () => void database.sqlite.exec('drop trigger audit_outage');
  }
  await sql`create or replace function audit_outage() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`.execute(
    database.db,
  );
  await sql`create trigger audit_outage before insert on audit_batches for each row execute function audit_outage()`.execute(
    database.db,
  );
  return async () =>
    void (await sql`drop trigger audit_outage on audit_batches`.execute(database.db));
}
