import init from "../../migrations/0001_init.sql";
import audit from "../../migrations/0002_audit.sql";
import memberHour from "../../migrations/0003_member_hour.sql";
import deliveryAudit from "../../migrations/0004_delivery_audit.sql";
import cacheExpiry from "../../migrations/0005_cache_expiry.sql";
import guardHour from "../../migrations/shared-key-guard/0001_hour.sql";
import memoryInit from "../../migrations/memory-store/0001_init.sql";
import digestInit from "../../migrations/digest-store/0001_init.sql";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every schema change of the usage agents, in order. Append only: an applied migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "0001_init", sql: init },
  { version: 2, name: "0002_audit", sql: audit },
  { version: 3, name: "0003_member_hour", sql: memberHour },
  { version: 4, name: "0004_delivery_audit", sql: deliveryAudit },
  { version: 5, name: "0005_cache_expiry", sql: cacheExpiry },
];

/** The same for the shared-key guard, whose storage is its own. */
export const SHARED_KEY_GUARD_MIGRATIONS: readonly Migration[] = [{ version: 1, name: "shared-key-guard/0001_hour", sql: guardHour }];

/** The same for the team memory stores (annotations, targets, site context). */
export const MEMORY_STORE_MIGRATIONS: readonly Migration[] = [{ version: 1, name: "memory-store/0001_init", sql: memoryInit }];

/** The digest stores' (subscriptions per scope, and the index of scopes). */
export const DIGEST_STORE_MIGRATIONS: readonly Migration[] = [{ version: 1, name: "digest-store/0001_init", sql: digestInit }];

/**
 * Brings the storage up to the newest schema, each migration in its own
 * transaction, recording what ran in `schema_version`. Safe to call on every start.
 */
export function applyMigrations(storage: DurableObjectStorage, migrations: readonly Migration[] = MIGRATIONS): number {
  const { sql } = storage;
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)");
  const current = sql.exec<{ version: number | null }>("SELECT MAX(version) AS version FROM schema_version").one().version ?? 0;
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    storage.transactionSync(() => {
      sql.exec(migration.sql);
      sql.exec("INSERT INTO schema_version (version, name, applied_ms) VALUES (?, ?, ?)", migration.version, migration.name, Date.now());
    });
  }
  return migrations.at(-1)?.version ?? current;
}
