//! `botbuilder::storage::open`: a store chosen by URL, as an application configures it.
//! Redis and PostgreSQL cases run when `BOTBUILDER_TEST_REDIS_URL` /
//! `BOTBUILDER_TEST_POSTGRES_URL` are set (see `.ci/run`), and say they were skipped
//! otherwise, unless `BOTBUILDER_REQUIRE_SERVERS=1`.

#[cfg(any(feature = "redis", feature = "postgres"))]
use botbuilder::core::testing::server_url;
use botbuilder::storage::{self, StorageUrlError, StoreItems};
use serde_json::json;

#[cfg_attr(
    not(any(feature = "sqlite", feature = "redis", feature = "postgres")),
    allow(dead_code)
)]
fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos:x}", std::process::id())
}

/// Writes a document, "restarts" (drops the store and opens the URL again), and reads it.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "redis", feature = "postgres")),
    allow(dead_code)
)]
async fn survives_a_restart(url: &str) {
    let key = format!("test/conversations/{}", unique("restart"));
    let e_tags = {
        let store = storage::open(url).await.unwrap();
        store
            .write(StoreItems::from([(
                key.clone(),
                json!({"jobs": ["backup"]}),
            )]))
            .await
            .unwrap()
    };
    let store = storage::open(url).await.unwrap();
    let read = store.read(&[&key]).await.unwrap();
    assert_eq!(
        read[&key],
        json!({"jobs": ["backup"], "eTag": e_tags[&key]})
    );
    store.delete(&[&key]).await.unwrap();
}

#[tokio::test]
async fn memory_does_not_survive_a_restart() {
    let store = storage::open("memory").await.unwrap();
    store
        .write(StoreItems::from([("k".to_owned(), json!({}))]))
        .await
        .unwrap();
    let again = storage::open("memory").await.unwrap();
    assert!(again.read(&["k"]).await.unwrap().is_empty());
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_survives_a_restart() {
    let dir = std::env::temp_dir().join(unique("botbuilder-urls"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bot.db");
    assert!(path.is_absolute());
    survives_a_restart(&format!("sqlite:{}", path.display())).await;
    // `sqlite://` + an absolute path (`sqlite:///tmp/...`) names the same file.
    survives_a_restart(&format!("sqlite://{}", path.display())).await;
    assert!(path.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_file_that_cannot_be_created_is_an_open_error() {
    let err = storage::open("sqlite:/nonexistent-dir-botbuilder/x/bot.db")
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            StorageUrlError::Open {
                scheme: "sqlite",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "could not open the sqlite store at \"sqlite:/nonexistent-dir-botbuilder/x/bot.db\""
    );
    // The cause is reached through `source()`, and the report names it once.
    let shown = botbuilder::core::error::report(&err).to_string();
    assert!(
        shown.starts_with(&format!(
            "{err}: storage failed while opening the sqlite database: "
        )),
        "{shown}"
    );
}

#[tokio::test]
async fn malformed_urls_are_typed_errors() {
    for url in ["", "bot.db", "memory:extra"] {
        let err = storage::open(url).await.err().unwrap();
        assert!(
            matches!(err, StorageUrlError::Malformed { .. }),
            "{url}: {err}"
        );
    }
    // The SQLite backend reads its own URLs; without it, the URL is not looked into.
    for url in ["sqlite:", "sqlite::memory:"] {
        let err = storage::open(url).await.err().unwrap();
        if cfg!(feature = "sqlite") {
            assert!(
                matches!(err, StorageUrlError::Malformed { .. }),
                "{url}: {err}"
            );
        } else {
            assert!(
                matches!(
                    err,
                    StorageUrlError::NotCompiledIn {
                        feature: "sqlite",
                        ..
                    }
                ),
                "{url}: {err}"
            );
        }
    }
    let err = storage::open("mongodb://u:secret@127.0.0.1/db")
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, StorageUrlError::UnknownScheme { ref scheme, .. } if scheme == "mongodb"),
        "{err}"
    );
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_survives_a_restart_and_takes_its_options() {
    use botbuilder::storage::{RedisStorage, Storage};
    let Some(url) = server_url("BOTBUILDER_TEST_REDIS_URL", "redis_survives_a_restart") else {
        return;
    };
    let prefix = format!("{}:", unique("botbuilder-urls"));
    let sep = if url.contains('?') { '&' } else { '?' };
    let with_options = format!("{url}{sep}prefix={prefix}&ttl=600");
    survives_a_restart(&with_options).await;

    let store = storage::open(&with_options).await.unwrap();
    store
        .write(StoreItems::from([("k".to_owned(), json!({"v": 1}))]))
        .await
        .unwrap();
    let direct = RedisStorage::builder(&url)
        .prefix(&prefix)
        .connect()
        .await
        .unwrap();
    assert_eq!(direct.read(&["k"]).await.unwrap()["k"]["v"], 1);
    direct.delete(&["k"]).await.unwrap();
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_survives_a_restart_and_takes_its_options() {
    use botbuilder::storage::{PostgresStorage, Storage};
    let Some(url) = server_url(
        "BOTBUILDER_TEST_POSTGRES_URL",
        "postgres_survives_a_restart",
    ) else {
        return;
    };
    // One table for every run of this test; keys are unique to the run and deleted.
    let table = "botbuilder_test_urls";
    let sep = if url.contains('?') { '&' } else { '?' };
    let with_options = format!("{url}{sep}table={table}&max_connections=2");
    survives_a_restart(&with_options).await;

    let store = storage::open(&with_options).await.unwrap();
    let key = unique("k");
    store
        .write(StoreItems::from([(key.clone(), json!({"v": 1}))]))
        .await
        .unwrap();
    let direct = PostgresStorage::builder(&url)
        .table(table)
        .create_table(false)
        .connect()
        .await
        .unwrap();
    assert_eq!(direct.read(&[&key]).await.unwrap()[&key]["v"], 1);
    direct.delete(&[&key]).await.unwrap();

    // A wrong password: an open error that does not show it.
    let (scheme, rest) = url.split_once("://").unwrap();
    let host_and_db = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let wrong = format!("{scheme}://nobody:hunter2-wrong@{host_and_db}");
    let err = storage::open(&wrong).await.err().unwrap();
    assert!(
        matches!(
            err,
            StorageUrlError::Open {
                scheme: "postgres",
                ..
            }
        ),
        "{err:?}"
    );
    let shown = format!("{} {err:?}", botbuilder::core::error::report(&err));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("nobody:***@"), "{shown}");
}

/// `storage::open` over TLS, and a refused certificate (the CA that did not sign it) as
/// `StorageUrlError::Tls`, for a `BOTBUILDER_TEST_*_TLS_URL` whose CA is in `ca_option`.
#[cfg(any(feature = "redis", feature = "postgres"))]
async fn opens_over_tls_and_refuses_a_wrong_ca(url: &str, ca_option: &str, scheme: &str) {
    survives_a_restart(url).await;
    let wrong_ca = std::env::var("BOTBUILDER_TEST_TLS_WRONG_CA")
        .expect("BOTBUILDER_TEST_TLS_WRONG_CA is set with the TLS urls");
    let (base, query) = url.split_once('?').expect("the TLS url has options");
    let query: Vec<&str> = query
        .split('&')
        .filter(|option| !option.starts_with(&format!("{ca_option}=")))
        .collect();
    let wrong = format!("{base}?{}&{ca_option}={wrong_ca}", query.join("&"));
    let err = storage::open(&wrong).await.err().unwrap();
    assert!(
        matches!(
            &err,
            StorageUrlError::Tls { scheme: s, problem: storage::backend::CertificateProblem::UnknownIssuer, .. }
                if *s == scheme
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("not signed by a trusted certificate authority"),
        "{err}"
    );
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn rediss_urls_open_over_tls() {
    let Some(url) = server_url("BOTBUILDER_TEST_REDIS_TLS_URL", "rediss_urls_open_over_tls") else {
        return;
    };
    let with_prefix = format!("{url}&prefix={}:", unique("botbuilder-urls"));
    opens_over_tls_and_refuses_a_wrong_ca(&with_prefix, "ca_cert", "redis").await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_urls_open_with_sslmode_verify_full() {
    let Some(url) = server_url(
        "BOTBUILDER_TEST_POSTGRES_TLS_URL",
        "postgres_urls_open_with_sslmode_verify_full",
    ) else {
        return;
    };
    let with_table = format!("{url}&table=botbuilder_test_urls");
    opens_over_tls_and_refuses_a_wrong_ca(&with_table, "sslrootcert", "postgres").await;
}

#[cfg(feature = "azure-blob")]
#[tokio::test]
async fn azblob_connection_strings_open_azure_blob_storage() {
    let Some(url) = server_url(
        "BOTBUILDER_TEST_AZURE_BLOB_URL",
        "azblob_connection_strings_open_azure_blob_storage",
    ) else {
        return;
    };
    let container = unique("urls").to_ascii_lowercase();
    let url = format!("{};ContainerName={container}", url.trim_end_matches(';'));
    survives_a_restart(&url).await;
    let wrong_key: Vec<String> = url
        .split(';')
        .map(|part| {
            if part.starts_with("AccountKey=") {
                "AccountKey=d3Jvbmc=".to_owned()
            } else {
                part.to_owned()
            }
        })
        .collect();
    let err = storage::open(&wrong_key.join(";")).await.err().unwrap();
    assert!(
        matches!(&err, StorageUrlError::Open { scheme: "azblob", url, .. } if url.contains("AccountKey=***")),
        "{err:?}"
    );
    assert!(!format!("{err:?}").contains("d3Jvbmc="), "{err:?}");
}

#[cfg(not(feature = "azure-blob"))]
#[tokio::test]
async fn azblob_not_compiled_in_names_the_feature() {
    let err = storage::open("azblob://acct/state?sas=x")
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            StorageUrlError::NotCompiledIn {
                scheme: "azblob",
                feature: "azure-blob"
            }
        ),
        "{err:?}"
    );
}
