//! The storage conformance suite and the multi-instance test against a real Redis, at the URL
//! in `BOTBUILDER_TEST_REDIS_URL`, and over TLS at `BOTBUILDER_TEST_REDIS_TLS_URL`
//! (`rediss://localhost:PORT/0?ca_cert=CA`, with `BOTBUILDER_TEST_TLS_WRONG_CA` a CA that did
//! not sign its certificate; `.ci/run` starts both servers). Without them the tests say they
//! were skipped, unless `BOTBUILDER_REQUIRE_SERVERS=1`, which makes them fail.

use std::sync::Arc;
use std::time::Duration;

use botbuilder_core::storage::backend::{CertificateProblem, TlsCertificateError};
use botbuilder_core::storage::{Storage, StoreItems};
use botbuilder_core::testing::server_url as storage_conformance_server_url;
use botbuilder_core::testing::storage_conformance;
use botbuilder_storage_redis::{RedisStorage, RedisUrlError};
use serde_json::json;

const URL_VAR: &str = "BOTBUILDER_TEST_REDIS_URL";

/// The server's URL, or `None` (after saying so) when the test is to be skipped.
fn server_url(test: &str) -> Option<String> {
    storage_conformance_server_url(URL_VAR, test)
}

/// A prefix unique to this test run, so that runs sharing a server never meet.
fn run_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("botbuilder-test:{test}:{}-{nanos:x}:", std::process::id())
}

async fn raw_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance() {
    let Some(url) = server_url("conformance") else {
        return;
    };
    let store = RedisStorage::builder(&url)
        .prefix(run_prefix("conformance"))
        .connect()
        .await
        .unwrap();
    storage_conformance::run_all(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_lost_updates_across_two_instances() {
    let Some(url) = server_url("no_lost_updates_across_two_instances") else {
        return;
    };
    let prefix = run_prefix("instances");
    // Two connection managers, as two bot instances would have.
    let a = RedisStorage::builder(&url)
        .prefix(&prefix)
        .connect()
        .await
        .unwrap();
    let b = RedisStorage::builder(&url)
        .prefix(&prefix)
        .connect()
        .await
        .unwrap();
    let conflicts =
        storage_conformance::no_lost_updates_across_clients(Arc::new(a), Arc::new(b), 100).await;
    eprintln!("redis, two instances: {conflicts} conflicts retried");
}

#[tokio::test]
async fn keys_are_the_prefix_and_the_storage_key_verbatim() {
    let Some(url) = server_url("keys_are_the_prefix_and_the_storage_key_verbatim") else {
        return;
    };
    let prefix = run_prefix("layout");
    let store = RedisStorage::builder(&url)
        .prefix(&prefix)
        .connect()
        .await
        .unwrap();
    let other = RedisStorage::builder(&url)
        .prefix(format!("{prefix}other:"))
        .connect()
        .await
        .unwrap();
    let key = "msteams/conversations/a:1Xy?x=1#z %2F ключ";
    let e_tags = store
        .write(StoreItems::from([(key.to_owned(), json!({"count": 1}))]))
        .await
        .unwrap();

    let mut raw = raw_connection(&url).await;
    let (e_tag, document): (String, String) = redis::cmd("HMGET")
        .arg(format!("{prefix}{key}"))
        .arg("eTag")
        .arg("document")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(e_tag, e_tags[key]);
    assert_eq!(document, r#"{"count":1}"#);
    assert!(
        other.read(&[key]).await.unwrap().is_empty(),
        "another prefix sees the document"
    );
    store.delete(&[key]).await.unwrap();
    let exists: bool = redis::cmd("EXISTS")
        .arg(format!("{prefix}{key}"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(!exists);
}

#[tokio::test]
async fn documents_expire_after_the_ttl_and_writes_renew_it() {
    let Some(url) = server_url("documents_expire_after_the_ttl_and_writes_renew_it") else {
        return;
    };
    let prefix = run_prefix("ttl");
    let expiring = RedisStorage::builder(&url)
        .prefix(&prefix)
        .ttl(Duration::from_secs(60))
        .connect()
        .await
        .unwrap();
    assert_eq!(expiring.ttl(), Some(Duration::from_secs(60)));
    let lasting = RedisStorage::builder(&url)
        .prefix(&prefix)
        .connect()
        .await
        .unwrap();
    let mut raw = raw_connection(&url).await;
    let pttl = |raw: &mut redis::aio::MultiplexedConnection, key: &str| {
        let key = format!("{prefix}{key}");
        let mut raw = raw.clone();
        async move {
            redis::cmd("PTTL")
                .arg(key)
                .query_async::<i64>(&mut raw)
                .await
                .unwrap()
        }
    };

    expiring
        .write(StoreItems::from([("k".to_owned(), json!({"v": 1}))]))
        .await
        .unwrap();
    let ttl = pttl(&mut raw, "k").await;
    assert!((1..=60_000).contains(&ttl), "PTTL {ttl}");
    // A store without a TTL writing the document makes it last.
    lasting
        .write(StoreItems::from([("k".to_owned(), json!({"v": 2}))]))
        .await
        .unwrap();
    assert_eq!(pttl(&mut raw, "k").await, -1, "the document still expires");

    let short = RedisStorage::builder(&url)
        .prefix(&prefix)
        .ttl(Duration::from_millis(100))
        .connect()
        .await
        .unwrap();
    short
        .write(StoreItems::from([("gone".to_owned(), json!({"v": 1}))]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        short.read(&["gone"]).await.unwrap().is_empty(),
        "the document outlived its TTL"
    );
    lasting.delete(&["k"]).await.unwrap();
}

#[tokio::test]
async fn lease_conformance() {
    let Some(url) = server_url("lease_conformance") else {
        return;
    };
    let store = RedisStorage::builder(&url)
        .prefix(run_prefix("leases"))
        .connect()
        .await
        .unwrap();
    assert!(store.conversation_lock().is_some());
    botbuilder_core::testing::lease_conformance::run_all(Arc::new(store.clone())).await;
}

/// The TLS server's URL (`rediss://localhost:PORT/0?ca_cert=CA`, `.ci/run` starts one), or
/// `None` when the test is to be skipped.
fn tls_server_url(test: &str) -> Option<String> {
    storage_conformance_server_url("BOTBUILDER_TEST_REDIS_TLS_URL", test)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_over_tls() {
    let Some(url) = tls_server_url("conformance_over_tls") else {
        return;
    };
    assert!(url.starts_with("rediss://"), "not a TLS url: {url}");
    let store = RedisStorage::builder_from_url(&url)
        .unwrap()
        .prefix(run_prefix("conformance-tls"))
        .connect()
        .await
        .unwrap();
    storage_conformance::run_all(Arc::new(store)).await;
}

/// The URL with another host, or another `ca_cert` (none: the built-in roots).
fn changed(url: &str, host: Option<&str>, ca_cert: Option<&str>) -> String {
    let mut url = url::Url::parse(url).unwrap();
    if let Some(host) = host {
        url.set_host(Some(host)).unwrap();
    }
    url.set_query(None);
    if let Some(ca) = ca_cert {
        url.query_pairs_mut().append_pair("ca_cert", ca);
    }
    url.to_string()
}

#[tokio::test]
async fn a_wrong_ca_or_host_name_is_refused_with_a_typed_error() {
    let Some(url) = tls_server_url("a_wrong_ca_or_host_name_is_refused_with_a_typed_error") else {
        return;
    };
    let ca = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "ca_cert")
        .map(|(_, value)| value.into_owned())
        .expect("the TLS url names its CA with ca_cert");
    let wrong_ca = std::env::var("BOTBUILDER_TEST_TLS_WRONG_CA").expect(
        "BOTBUILDER_TEST_TLS_WRONG_CA names a CA that did not sign the server's certificate",
    );
    let cases = [
        (
            changed(&url, None, Some(&wrong_ca)),
            CertificateProblem::UnknownIssuer,
        ),
        (changed(&url, None, None), CertificateProblem::UnknownIssuer),
        // The certificate names `localhost` only.
        (
            changed(&url, Some("127.0.0.1"), Some(&ca)),
            CertificateProblem::WrongHostName,
        ),
    ];
    for (bad, expected) in cases {
        let started = std::time::Instant::now();
        let e = RedisStorage::connect_url(&bad).await.unwrap_err();
        match &e {
            RedisUrlError::Tls {
                problem, source, ..
            } => {
                assert_eq!(*problem, expected, "{bad}: {e}");
                let refused = TlsCertificateError::find(source).expect("the source says why");
                assert_eq!(refused.problem(), expected);
            }
            other => panic!("{bad}: expected a TLS error, got {other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{bad}: a refused certificate took {:?} (retried?)",
            started.elapsed()
        );
        eprintln!("{}", botbuilder_core::error::report(&e));
    }
    // The right CA and host name connect.
    RedisStorage::connect_url(&changed(&url, None, Some(&ca)))
        .await
        .unwrap();
}
