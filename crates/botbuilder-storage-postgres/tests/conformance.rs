//! The storage conformance suite and the multi-instance test against a real PostgreSQL, at
//! the URL in `BOTBUILDER_TEST_POSTGRES_URL`, and over TLS at
//! `BOTBUILDER_TEST_POSTGRES_TLS_URL` (`sslmode=verify-full`, the server's certificate for
//! `localhost` from the CA in `sslrootcert`; `BOTBUILDER_TEST_TLS_WRONG_CA` a CA that did not
//! sign it; `.ci/run` starts the server with `ssl=on`). Without them the tests say they were
//! skipped, unless `BOTBUILDER_REQUIRE_SERVERS=1`, which makes them fail.

use std::sync::Arc;

use botbuilder_core::Error;
use botbuilder_core::storage::backend::{CertificateProblem, TlsCertificateError};
use botbuilder_core::storage::{Storage, StoreItems};
use botbuilder_core::testing::server_url as storage_conformance_server_url;
use botbuilder_core::testing::storage_conformance;
use botbuilder_storage_postgres::{PostgresStorage, PostgresUrlError};
use futures::future::join_all;
use serde_json::json;

const URL_VAR: &str = "BOTBUILDER_TEST_POSTGRES_URL";

/// The server's URL, or `None` (after saying so) when the test is to be skipped.
fn server_url(test: &str) -> Option<String> {
    storage_conformance_server_url(URL_VAR, test)
}

/// A table name unique to this test run.
fn run_table(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("botbuilder_test_{test}_{}_{nanos:x}", std::process::id())
}

/// A plain connection, to look at the table as an operator would.
async fn raw_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance() {
    let Some(url) = server_url("conformance") else {
        return;
    };
    let store = PostgresStorage::connect(&url).await.unwrap();
    storage_conformance::run_all(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_lost_updates_across_two_instances() {
    let Some(url) = server_url("no_lost_updates_across_two_instances") else {
        return;
    };
    // Two pools, as two bot instances would have.
    let a = PostgresStorage::connect(&url).await.unwrap();
    let b = PostgresStorage::connect(&url).await.unwrap();
    let conflicts =
        storage_conformance::no_lost_updates_across_clients(Arc::new(a), Arc::new(b), 100).await;
    eprintln!("postgres, two instances: {conflicts} conflicts retried");
}

#[tokio::test]
async fn instances_starting_together_create_the_table_once() {
    let Some(url) = server_url("instances_starting_together_create_the_table_once") else {
        return;
    };
    let table = run_table("create");
    let stores = join_all((0..4).map(|_| PostgresStorage::builder(&url).table(&table).connect()))
        .await
        .into_iter()
        .collect::<Result<Vec<_>, Error>>()
        .unwrap();
    assert_eq!(stores[0].table(), table);
    let e_tags = stores[0]
        .write(StoreItems::from([("k".to_owned(), json!({"v": 1}))]))
        .await
        .unwrap();
    assert_eq!(
        stores[3].read(&["k"]).await.unwrap()["k"],
        json!({"v": 1, "eTag": e_tags["k"]})
    );
    raw_client(&url)
        .await
        .batch_execute(&format!("DROP TABLE \"{table}\""))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_table_holds_keys_verbatim_and_documents_as_json() {
    let Some(url) = server_url("the_table_holds_keys_verbatim_and_documents_as_json") else {
        return;
    };
    let table = run_table("layout");
    let store = PostgresStorage::builder(&url)
        .table(&table)
        .connect()
        .await
        .unwrap();
    let key = "msteams/conversations/a:1Xy?x=1#z %2F ключ";
    let e_tags = store
        .write(StoreItems::from([(key.to_owned(), json!({"count": 1}))]))
        .await
        .unwrap();
    let raw = raw_client(&url).await;
    let row = raw
        .query_one(
            &format!(
                "SELECT e_tag, document->>'count', pg_typeof(document)::text \
                 FROM \"{table}\" WHERE key = $1"
            ),
            &[&key],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), e_tags[key]);
    assert_eq!(row.get::<_, String>(1), "1");
    assert_eq!(row.get::<_, String>(2), "json");

    // A key PostgreSQL text cannot hold is refused on write and never found.
    let err = store
        .write(StoreItems::from([("nul\u{0}key".to_owned(), json!({}))]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidDocument { ref key, .. } if key == "nul\u{0}key"));
    assert!(store.read(&["nul\u{0}key"]).await.unwrap().is_empty());
    store.delete(&["nul\u{0}key"]).await.unwrap();

    raw.batch_execute(&format!("DROP TABLE \"{table}\""))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_batch_that_conflicts_writes_nothing() {
    let Some(url) = server_url("a_batch_that_conflicts_writes_nothing") else {
        return;
    };
    let table = run_table("batch");
    let store = PostgresStorage::builder(&url)
        .table(&table)
        .connect()
        .await
        .unwrap();
    store
        .write(StoreItems::from([("a".to_owned(), json!({"v": 1}))]))
        .await
        .unwrap();
    let err = store
        .write(StoreItems::from([
            ("a".to_owned(), json!({"v": 2, "eTag": "stale"})),
            ("b".to_owned(), json!({"v": 2})),
        ]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StorageConflict { ref key } if key == "a"));
    assert!(store.read(&["b"]).await.unwrap().is_empty());
    raw_client(&url)
        .await
        .batch_execute(&format!("DROP TABLE \"{table}\""))
        .await
        .unwrap();
}

#[tokio::test]
async fn wrong_credentials_are_a_storage_error_without_the_password() {
    let Some(url) = server_url("wrong_credentials_are_a_storage_error_without_the_password") else {
        return;
    };
    let mut config: tokio_postgres::Config = url.parse().unwrap();
    config.password("wrong-password-hunter2");
    let user = config.get_user().unwrap().to_owned();
    let host = "127.0.0.1";
    let port = config.get_ports()[0];
    let dbname = config.get_dbname().unwrap().to_owned();
    let bad = format!("postgres://{user}:wrong-password-hunter2@{host}:{port}/{dbname}");
    let err = PostgresStorage::connect(&bad).await.unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    let shown = format!("{} {err:?}", botbuilder_core::error::report(&err));
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[tokio::test]
async fn lease_conformance() {
    let Some(url) = server_url("lease_conformance") else {
        return;
    };
    let store = PostgresStorage::builder(&url)
        .table(run_table("leases"))
        .connect()
        .await
        .unwrap();
    assert!(store.conversation_lock().is_some());
    botbuilder_core::testing::lease_conformance::run_all(Arc::new(store.clone())).await;
    let client = raw_client(&url).await;
    let table = format!("{}_turns", store.table());
    let rows: i64 = client
        .query_one(&format!("SELECT count(*) FROM \"{table}\""), &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0, "released leases and places leave no rows");
    client
        .batch_execute(&format!(
            "DROP FUNCTION \"{table}_acquire\"; DROP TABLE \"{table}\"; DROP TABLE \"{}\"",
            store.table()
        ))
        .await
        .unwrap();
}

/// The TLS URL (`postgres://...@localhost:PORT/db?sslmode=verify-full&sslrootcert=CA`,
/// `.ci/run` sets it), or `None` when the test is to be skipped.
fn tls_server_url(test: &str) -> Option<String> {
    storage_conformance_server_url("BOTBUILDER_TEST_POSTGRES_TLS_URL", test)
}

/// The URL with another host, and `extra` query parameters in place of its own.
fn changed(url: &str, host: Option<&str>, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(url).unwrap();
    if let Some(host) = host {
        url.set_host(Some(host)).unwrap();
    }
    url.set_query(None);
    for (name, value) in extra {
        url.query_pairs_mut().append_pair(name, value);
    }
    url.to_string()
}

/// Whether the store's connections (named `application_name`) use TLS, as the server sees.
async fn connections_use_tls(plain_url: &str, application_name: &str) -> Vec<bool> {
    raw_client(plain_url)
        .await
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = $1",
            &[&application_name],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_over_tls() {
    let (Some(url), Some(plain)) = (
        tls_server_url("conformance_over_tls"),
        server_url("conformance_over_tls"),
    ) else {
        return;
    };
    let name = run_table("tls");
    let store = PostgresStorage::builder_from_url(&format!("{url}&application_name={name}"))
        .unwrap()
        .table(&name)
        .connect()
        .await
        .unwrap();
    let tls = connections_use_tls(&plain, &name).await;
    assert!(
        !tls.is_empty() && tls.iter().all(|&t| t),
        "not over TLS: {tls:?}"
    );
    storage_conformance::run_all(Arc::new(store)).await;
}

#[tokio::test]
async fn sslmode_disable_connects_without_tls_and_require_with_it() {
    let (Some(url), Some(plain)) = (
        tls_server_url("sslmode_disable_connects_without_tls_and_require_with_it"),
        server_url("sslmode_disable_connects_without_tls_and_require_with_it"),
    ) else {
        return;
    };
    // `require` checks no certificate: the built-in roots do not know the test CA, and the
    // certificate does not name 127.0.0.1, yet it connects, encrypted.
    for (mode, expected) in [("disable", false), ("require", true), ("prefer", true)] {
        let name = run_table(mode);
        let url = changed(
            &url,
            Some("127.0.0.1"),
            &[("sslmode", mode), ("application_name", &name)],
        );
        let store = PostgresStorage::connect_url(&url).await.unwrap();
        let tls = connections_use_tls(&plain, &name).await;
        assert_eq!(tls, [expected], "sslmode={mode}");
        drop(store);
    }
}

#[tokio::test]
async fn a_wrong_ca_or_host_name_is_refused_with_a_typed_error() {
    let Some(url) = tls_server_url("a_wrong_ca_or_host_name_is_refused_with_a_typed_error") else {
        return;
    };
    let ca = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "sslrootcert")
        .map(|(_, value)| value.into_owned())
        .expect("the TLS url names its CA with sslrootcert");
    let wrong_ca = std::env::var("BOTBUILDER_TEST_TLS_WRONG_CA").expect(
        "BOTBUILDER_TEST_TLS_WRONG_CA names a CA that did not sign the server's certificate",
    );
    let full = ("sslmode", "verify-full");
    let cases = [
        (
            changed(&url, None, &[full, ("sslrootcert", &wrong_ca)]),
            CertificateProblem::UnknownIssuer,
        ),
        (
            changed(&url, None, &[full]),
            CertificateProblem::UnknownIssuer,
        ),
        (
            changed(
                &url,
                None,
                &[("sslmode", "verify-ca"), ("sslrootcert", &wrong_ca)],
            ),
            CertificateProblem::UnknownIssuer,
        ),
        // The certificate names `localhost` only.
        (
            changed(&url, Some("127.0.0.1"), &[full, ("sslrootcert", &ca)]),
            CertificateProblem::WrongHostName,
        ),
    ];
    for (bad, expected) in cases {
        let e = PostgresStorage::connect_url(&bad).await.unwrap_err();
        match &e {
            PostgresUrlError::Tls {
                problem, source, ..
            } => {
                assert_eq!(*problem, expected, "{bad}: {e}");
                let refused = TlsCertificateError::find(source).expect("the source says why");
                assert_eq!(refused.problem(), expected);
            }
            other => panic!("{bad}: expected a TLS error, got {other:?}"),
        }
        eprintln!("{}", botbuilder_core::error::report(&e));
    }
    // verify-ca checks the chain but not the name.
    let store = PostgresStorage::connect_url(&changed(
        &url,
        Some("127.0.0.1"),
        &[("sslmode", "verify-ca"), ("sslrootcert", &ca)],
    ))
    .await
    .unwrap();
    drop(store);
}
