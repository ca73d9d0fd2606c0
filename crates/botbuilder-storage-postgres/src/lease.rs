//! Turn leases in PostgreSQL: [`PostgresStorage`] as a [`ConversationLock`].

use std::time::Duration;

use async_trait::async_trait;
use botbuilder_core::{ConversationLock, Error};

use crate::{PostgresStorage, quote_table_name};

/// The statements of the lease table, made once per store.
pub(crate) struct LeaseSql {
    /// Serializes the operations on one conversation's leases for one transaction.
    lock: String,
    /// Drops expired rows, then reads the holder, or else the first in line.
    head: String,
    /// Makes the token the holder.
    take: String,
    /// Takes or keeps the token's place in line.
    wait: String,
    extend: String,
    release: String,
}

/// The name of the lease table beside `table`: `{table}_turns`, in the same schema, quoted.
fn lease_table(table: &str) -> Result<(String, String), Error> {
    let (schema, name) = match table.rsplit_once('.') {
        Some((schema, name)) => (Some(schema), name),
        None => (None, table),
    };
    // Identifiers are at most 63 bytes (ASCII here): leave room for the suffixes.
    let base: String = name.chars().take(48).collect();
    let leases = match schema {
        Some(schema) => format!("{schema}.{base}_turns"),
        None => format!("{base}_turns"),
    };
    Ok((
        quote_table_name(&leases)?,
        format!("\"{base}_turns_holder\""),
    ))
}

/// The statements that create the lease table (see the crate docs).
pub(crate) fn create_lease_table_sql(table: &str) -> Result<String, Error> {
    let (leases, holder_index) = lease_table(table)?;
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS {leases} (\
         key text COLLATE \"C\" NOT NULL, \
         token text COLLATE \"C\" NOT NULL, \
         holds boolean NOT NULL, \
         arrival bigint GENERATED ALWAYS AS IDENTITY, \
         expires_at timestamptz NOT NULL, \
         PRIMARY KEY (key, token)); \
         CREATE UNIQUE INDEX IF NOT EXISTS {holder_index} ON {leases} (key) WHERE holds"
    ))
}

impl LeaseSql {
    fn new(table: &str) -> Result<Self, Error> {
        let (t, _) = lease_table(table)?;
        let until = "clock_timestamp() + $3::float8 * interval '1 millisecond'";
        Ok(Self {
            lock: "SELECT pg_advisory_xact_lock(hashtext('botbuilder-turn'), hashtext($1))"
                .to_owned(),
            head: format!(
                "WITH gone AS (DELETE FROM {t} WHERE key = $1 AND expires_at < clock_timestamp()) \
                 SELECT token, holds FROM {t} WHERE key = $1 AND expires_at >= clock_timestamp() \
                 ORDER BY holds DESC, arrival LIMIT 1"
            ),
            take: format!(
                "INSERT INTO {t} (key, token, holds, expires_at) VALUES ($1, $2, true, {until}) \
                 ON CONFLICT (key, token) DO UPDATE SET holds = true, expires_at = EXCLUDED.expires_at"
            ),
            wait: format!(
                "INSERT INTO {t} (key, token, holds, expires_at) VALUES ($1, $2, false, {until}) \
                 ON CONFLICT (key, token) DO UPDATE SET expires_at = EXCLUDED.expires_at"
            ),
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
/// in the table `{table}_turns`: taking is one short transaction under a transaction-scoped
/// advisory lock on the conversation, timed by the server's clock; extending and releasing
/// are one statement each. See the [crate docs](crate#turn-ordering-across-instances).
#[async_trait]
impl ConversationLock for PostgresStorage {
    async fn try_acquire(&self, key: &str, token: &str, ttl: Duration) -> Result<bool, Error> {
        let sql = self.lease_sql().await?;
        let failed = |e| Error::storage("taking a turn lease in postgres", e);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(failed)?;
        let lock = tx.prepare_cached(&sql.lock).await.map_err(failed)?;
        tx.execute(&lock, &[&key]).await.map_err(failed)?;
        let head = tx.prepare_cached(&sql.head).await.map_err(failed)?;
        let first = tx.query_opt(&head, &[&key]).await.map_err(failed)?;
        let first: Option<(String, bool)> = match first {
            Some(row) => Some((
                row.try_get(0).map_err(failed)?,
                row.try_get(1).map_err(failed)?,
            )),
            None => None,
        };
        let takes = match &first {
            None => true,
            Some((first, _)) if first == token => true,
            Some(_) => false,
        };
        let statement = if takes { &sql.take } else { &sql.wait };
        let statement = tx.prepare_cached(statement).await.map_err(failed)?;
        tx.execute(&statement, &[&key, &token, &millis(ttl)])
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        Ok(takes)
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
        assert_eq!(lease_table("bot").unwrap().0, "\"bot_turns\"");
        assert_eq!(lease_table("app.bot").unwrap().0, "\"app\".\"bot_turns\"");
        let long = "x".repeat(63);
        let (table, index) = lease_table(&long).unwrap();
        assert_eq!(table, format!("\"{}_turns\"", "x".repeat(48)));
        assert!(index.len() <= 63 + 2);
        assert!(
            create_lease_table_sql("bot")
                .unwrap()
                .contains("WHERE holds")
        );
    }
}
