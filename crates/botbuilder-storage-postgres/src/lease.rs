//! Turn leases in PostgreSQL: [`PostgresStorage`] as a [`ConversationLock`].

use std::time::Duration;

use async_trait::async_trait;
use botbuilder_core::{ConversationLock, Error};

use crate::{PostgresStorage, quote_table_name};

/// The statements of the lease table, made once per store.
pub(crate) struct LeaseSql {
    /// Calls the function that takes the lease or keeps the place in line.
    acquire: String,
    extend: String,
    release: String,
}

/// The names beside `table` (`{table}_turns`, in the same schema, quoted): the lease table,
/// its holder index (unqualified) and the acquire function.
fn lease_names(table: &str) -> Result<(String, String, String), Error> {
    let (schema, name) = match table.rsplit_once('.') {
        Some((schema, name)) => (Some(schema), name),
        None => (None, table),
    };
    // Identifiers are at most 63 bytes (ASCII here): leave room for the suffixes.
    let base: String = name.chars().take(48).collect();
    let qualified = |suffix: &str| match schema {
        Some(schema) => quote_table_name(&format!("{schema}.{base}{suffix}")),
        None => quote_table_name(&format!("{base}{suffix}")),
    };
    Ok((
        qualified("_turns")?,
        format!("\"{base}_turns_holder\""),
        qualified("_turns_acquire")?,
    ))
}

/// The statements that create the lease table and its function (see the crate docs).
pub(crate) fn create_lease_table_sql(table: &str) -> Result<String, Error> {
    let (leases, holder_index, acquire) = lease_names(table)?;
    Ok(format!(
        "CREATE UNLOGGED TABLE IF NOT EXISTS {leases} (\n\
         \x20   key        text COLLATE \"C\" NOT NULL,\n\
         \x20   token      text COLLATE \"C\" NOT NULL,\n\
         \x20   holds      boolean NOT NULL,\n\
         \x20   arrival    bigint GENERATED ALWAYS AS IDENTITY,\n\
         \x20   expires_at timestamptz NOT NULL,\n\
         \x20   PRIMARY KEY (key, token));\n\
         CREATE UNIQUE INDEX IF NOT EXISTS {holder_index} ON {leases} (key) WHERE holds;\n\
         CREATE OR REPLACE FUNCTION {acquire}(p_key text, p_token text, p_ttl_ms float8)\n\
         RETURNS boolean LANGUAGE plpgsql AS $fn$\n\
         DECLARE\n\
         \x20   v_first text;\n\
         \x20   v_until timestamptz := clock_timestamp() + p_ttl_ms * interval '1 millisecond';\n\
         BEGIN\n\
         \x20   PERFORM pg_advisory_xact_lock(hashtext('botbuilder-turn'), hashtext(p_key));\n\
         \x20   DELETE FROM {leases} WHERE key = p_key AND expires_at < clock_timestamp();\n\
         \x20   SELECT token INTO v_first FROM {leases} WHERE key = p_key\n\
         \x20       ORDER BY holds DESC, arrival LIMIT 1;\n\
         \x20   IF v_first IS NULL OR v_first = p_token THEN\n\
         \x20       INSERT INTO {leases} (key, token, holds, expires_at)\n\
         \x20           VALUES (p_key, p_token, true, v_until)\n\
         \x20           ON CONFLICT (key, token) DO UPDATE\n\
         \x20           SET holds = true, expires_at = EXCLUDED.expires_at;\n\
         \x20       RETURN true;\n\
         \x20   END IF;\n\
         \x20   INSERT INTO {leases} (key, token, holds, expires_at)\n\
         \x20       VALUES (p_key, p_token, false, v_until)\n\
         \x20       ON CONFLICT (key, token) DO UPDATE SET expires_at = EXCLUDED.expires_at;\n\
         \x20   RETURN false;\n\
         END\n\
         $fn$"
    ))
}

impl LeaseSql {
    fn new(table: &str) -> Result<Self, Error> {
        let (t, _, acquire) = lease_names(table)?;
        let until = "clock_timestamp() + $3::float8 * interval '1 millisecond'";
        Ok(Self {
            acquire: format!("SELECT {acquire}($1, $2, $3::float8)"),
            extend: format!(
                "UPDATE {t} SET expires_at = {until} WHERE key = $1 AND token = $2 AND holds \
                 AND expires_at >= clock_timestamp()"
            ),
            release: format!("DELETE FROM {t} WHERE key = $1 AND token = $2"),
        })
    }
}

fn millis(ttl: Duration) -> f64 {
    ttl.as_secs_f64() * 1000.0
}

impl PostgresStorage {
    /// The lease statements, creating the lease table first (once per store) unless the
    /// store was told not to create tables.
    async fn lease_sql(&self) -> Result<&LeaseSql, Error> {
        self.inner
            .leases
            .get_or_try_init(|| async {
                let sql = LeaseSql::new(&self.inner.table)?;
                if self.inner.create_table {
                    let failed = |e| Error::storage("creating the postgres turn lease table", e);
                    let mut client = self.client().await?;
                    let tx = client.transaction().await.map_err(failed)?;
                    // As for the documents' table: instances starting together take turns.
                    tx.execute(
                        "SELECT pg_advisory_xact_lock(hashtext($1))",
                        &[&format!("botbuilder-turns {}", self.inner.table)],
                    )
                    .await
                    .map_err(failed)?;
                    tx.batch_execute(&create_lease_table_sql(&self.inner.table)?)
                        .await
                        .map_err(failed)?;
                    tx.commit().await.map_err(failed)?;
                }
                Ok(sql)
            })
            .await
    }
}

/// Turn leases for [`TurnOrdering::Distributed`](botbuilder_core::TurnOrdering::Distributed),
/// in the table `{table}_turns`: taking is one call of the function `{table}_turns_acquire`
/// (under a transaction-scoped advisory lock on the conversation, timed by the server's
/// clock); extending and releasing are one statement each: one round trip each. See the [crate docs](crate#turn-ordering-across-instances).
#[async_trait]
impl ConversationLock for PostgresStorage {
    async fn try_acquire(&self, key: &str, token: &str, ttl: Duration) -> Result<bool, Error> {
        let sql = self.lease_sql().await?;
        let failed = |e| Error::storage("taking a turn lease in postgres", e);
        let client = self.client().await?;
        let statement = client.prepare_cached(&sql.acquire).await.map_err(failed)?;
        let row = client
            .query_one(&statement, &[&key, &token, &millis(ttl)])
            .await
            .map_err(failed)?;
        row.try_get(0).map_err(failed)
    }

    async fn extend(&self, key: &str, token: &str, ttl: Duration) -> Result<bool, Error> {
        let sql = self.lease_sql().await?;
        let failed = |e| Error::storage("extending a turn lease in postgres", e);
        let client = self.client().await?;
        let statement = client.prepare_cached(&sql.extend).await.map_err(failed)?;
        let updated = client
            .execute(&statement, &[&key, &token, &millis(ttl)])
            .await
            .map_err(failed)?;
        Ok(updated == 1)
    }

    async fn release(&self, key: &str, token: &str) -> Result<(), Error> {
        let sql = self.lease_sql().await?;
        let failed = |e| Error::storage("releasing a turn lease in postgres", e);
        let client = self.client().await?;
        let statement = client.prepare_cached(&sql.release).await.map_err(failed)?;
        client
            .execute(&statement, &[&key, &token])
            .await
            .map_err(failed)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_table_sits_beside_the_documents_table() {
        let (table, index, function) = lease_names("bot").unwrap();
        assert_eq!(
            (table.as_str(), index.as_str(), function.as_str()),
            (
                "\"bot_turns\"",
                "\"bot_turns_holder\"",
                "\"bot_turns_acquire\""
            )
        );
        assert_eq!(lease_names("app.bot").unwrap().0, "\"app\".\"bot_turns\"");
        let long = "x".repeat(63);
        let (table, _, function) = lease_names(&long).unwrap();
        assert_eq!(table, format!("\"{}_turns\"", "x".repeat(48)));
        assert!(function.len() <= 63 + 2);
        let sql = create_lease_table_sql("bot").unwrap();
        assert!(sql.contains("WHERE holds") && sql.contains("LANGUAGE plpgsql"));
    }
}
