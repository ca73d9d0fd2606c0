//! The storage conformance suite and the multi-instance test against Azurite, the Azure
//! Storage emulator, at the `azblob:` URL in `BOTBUILDER_TEST_AZURE_BLOB_URL` (a connection
//! string; `.ci/run` starts Azurite). Without it the tests say they were skipped, unless
//! `BOTBUILDER_REQUIRE_SERVERS=1`, which makes them fail.

use std::sync::Arc;

use botbuilder_core::storage::{Storage, StoreItems};
use botbuilder_core::testing::server_url as storage_conformance_server_url;
use botbuilder_core::testing::storage_conformance;
use botbuilder_storage_azure_blob::{AzureBlobError, BlobStorage, KeyLayout};
use serde_json::json;

/// The connection string URL with a container unique to this test run, or `None` when the
/// test is to be skipped.
fn server_url(test: &str) -> Option<String> {
    let url = storage_conformance_server_url("BOTBUILDER_TEST_AZURE_BLOB_URL", test)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let container = format!("t{}-{nanos:x}", std::process::id());
    Some(format!(
        "{};ContainerName={container}",
        url.trim_end_matches(';')
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance() {
    let Some(url) = server_url("conformance") else {
        return;
    };
    let store = BlobStorage::connect_url(&url).await.unwrap();
    storage_conformance::run_all(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_with_the_javascript_layout() {
    let Some(url) = server_url("conformance_with_the_javascript_layout") else {
        return;
    };
    let store = BlobStorage::connect_url(&format!("{url};Layout=js"))
        .await
        .unwrap();
    assert_eq!(store.layout(), KeyLayout::JavaScript);
    storage_conformance::run_all(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_lost_updates_across_two_instances() {
    let Some(url) = server_url("no_lost_updates_across_two_instances") else {
        return;
    };
    let a = BlobStorage::connect_url(&url).await.unwrap();
    let b = BlobStorage::connect_url(&url).await.unwrap();
    let conflicts =
        storage_conformance::no_lost_updates_across_clients(Arc::new(a), Arc::new(b), 50).await;
    eprintln!("azure blob, two instances: {conflicts} conflicts retried");
}

#[tokio::test]
async fn a_wrong_account_key_is_refused_with_a_typed_error() {
    let Some(url) = server_url("a_wrong_account_key_is_refused_with_a_typed_error") else {
        return;
    };
    let wrong: String = url
        .split(';')
        .map(|part| {
            if part.starts_with("AccountKey=") {
                "AccountKey=d3Jvbmcga2V5".to_owned()
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(";");
    let e = BlobStorage::connect_url(&wrong).await.unwrap_err();
    let AzureBlobError::Connect { url, source } = &e else {
        panic!("expected a connect error, got {e:?}");
    };
    assert!(url.contains("AccountKey=***"), "{url}");
    let status = std::error::Error::source(source)
        .and_then(|s| s.downcast_ref::<AzureBlobError>())
        .expect("the service's answer is the source");
    assert!(status.is_forbidden(), "{status}");
    let shown = format!("{} {e:?}", botbuilder_core::error::report(&e));
    assert!(!shown.contains("d3Jvbmcga2V5"), "{shown}");
}

#[tokio::test]
async fn documents_survive_a_new_client() {
    let Some(url) = server_url("documents_survive_a_new_client") else {
        return;
    };
    let e_tags = BlobStorage::connect_url(&url)
        .await
        .unwrap()
        .write(StoreItems::from([(
            "msteams/conversations/19:a b@thread.v2".to_owned(),
            json!({"count": 1, "nested": {"list": [1.5, "ü", null]}}),
        )]))
        .await
        .unwrap();
    let store = BlobStorage::connect_url(&url).await.unwrap();
    let read = store
        .read(&["msteams/conversations/19:a b@thread.v2", "missing"])
        .await
        .unwrap();
    assert_eq!(read.len(), 1);
    let doc = &read["msteams/conversations/19:a b@thread.v2"];
    assert_eq!(doc["nested"]["list"], json!([1.5, "ü", null]));
    assert_eq!(
        doc["eTag"],
        e_tags["msteams/conversations/19:a b@thread.v2"]
    );
}
