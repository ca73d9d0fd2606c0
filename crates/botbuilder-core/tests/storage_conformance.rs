//! `MemoryStorage` passes the storage conformance suite.

use std::sync::Arc;

use botbuilder_core::storage::MemoryStorage;
use botbuilder_core::testing::storage_conformance;

#[tokio::test]
async fn memory_storage_conforms() {
    storage_conformance::run_all(Arc::new(MemoryStorage::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_storage_conforms_on_a_multi_thread_runtime() {
    storage_conformance::run_all(Arc::new(MemoryStorage::new())).await;
}

#[tokio::test]
async fn memory_storage_clones_lose_no_update_across_clients() {
    let store = MemoryStorage::new();
    let conflicts = storage_conformance::no_lost_updates_across_clients(
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        50,
    )
    .await;
    // The clients interleave between read and write, so the retry path really ran.
    assert!(conflicts > 0);
    // Every key the suite wrote was cleaned up.
    assert!(store.is_empty(), "left behind: {:?}", store.keys());
}

#[tokio::test]
async fn the_suite_leaves_nothing_behind() {
    let store = MemoryStorage::new();
    storage_conformance::run_all(Arc::new(store.clone())).await;
    assert!(store.is_empty(), "left behind: {:?}", store.keys());
}

// The suite fails storages that break the contract.

mod broken {
    use async_trait::async_trait;
    use botbuilder_core::Error;
    use botbuilder_core::storage::{
        ETAG_ANY, ETAG_FIELD, ETags, MemoryStorage, Storage, StoreItems,
    };
    use serde_json::json;

    /// Ignores eTags, as BotBuilder's `BotState` does by writing `*`.
    #[derive(Default)]
    pub(crate) struct LastWriterWins(pub(crate) MemoryStorage);

    #[async_trait]
    impl Storage for LastWriterWins {
        async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
            self.0.read(keys).await
        }
        async fn write(&self, mut changes: StoreItems) -> Result<ETags, Error> {
            for doc in changes.values_mut() {
                if doc.is_object() {
                    doc[ETAG_FIELD] = json!(ETAG_ANY);
                }
            }
            self.0.write(changes).await
        }
        async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
            self.0.delete(keys).await
        }
    }

    /// Folds keys to lower case, as a case-insensitive SQL collation would.
    #[derive(Default)]
    pub(crate) struct CaseInsensitive(pub(crate) MemoryStorage);

    #[async_trait]
    impl Storage for CaseInsensitive {
        async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
            let mut out = StoreItems::new();
            for key in keys {
                let lower = key.to_lowercase();
                if let Some(doc) = self.0.read(&[&lower]).await?.remove(&lower) {
                    out.insert((*key).to_owned(), doc);
                }
            }
            Ok(out)
        }
        async fn write(&self, changes: StoreItems) -> Result<ETags, Error> {
            let mut out = ETags::new();
            for (key, doc) in changes {
                let lower = key.to_lowercase();
                let mut e = self
                    .0
                    .write(StoreItems::from([(lower.clone(), doc)]))
                    .await?;
                out.insert(key, e.remove(&lower).unwrap_or_default());
            }
            Ok(out)
        }
        async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
            for key in keys {
                self.0.delete(&[&key.to_lowercase()]).await?;
            }
            Ok(())
        }
    }

    /// Accepts any eTag on a missing key, as BotBuilder's memory storages do: a stale write
    /// brings a deleted document back.
    #[derive(Default)]
    pub(crate) struct Resurrects(pub(crate) MemoryStorage);

    #[async_trait]
    impl Storage for Resurrects {
        async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
            self.0.read(keys).await
        }
        async fn write(&self, mut changes: StoreItems) -> Result<ETags, Error> {
            for (key, doc) in &mut changes {
                if self.0.read(&[key]).await?.is_empty() && doc.is_object() {
                    doc[ETAG_FIELD] = json!(ETAG_ANY);
                }
            }
            self.0.write(changes).await
        }
        async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
            self.0.delete(keys).await
        }
    }
}

#[tokio::test]
#[should_panic(expected = "[stale_etag_conflicts] expected a conflict")]
async fn the_suite_catches_a_storage_that_ignores_etags() {
    storage_conformance::stale_etag_conflicts(&broken::LastWriterWins::default()).await;
}

#[tokio::test]
#[should_panic(expected = "[special_keys] the key")]
async fn the_suite_catches_keys_that_collide() {
    storage_conformance::special_keys(&broken::CaseInsensitive::default()).await;
}

#[tokio::test]
#[should_panic(expected = "[etag_of_deleted_document_conflicts] expected a conflict")]
async fn the_suite_catches_a_storage_that_resurrects_deleted_documents() {
    storage_conformance::etag_of_deleted_document_conflicts(&broken::Resurrects::default()).await;
}

#[tokio::test]
#[should_panic(expected = "[no_lost_updates_across_clients] updates were lost")]
async fn the_suite_catches_lost_updates_across_clients() {
    let store = MemoryStorage::new();
    storage_conformance::no_lost_updates_across_clients(
        Arc::new(broken::LastWriterWins(store.clone())),
        Arc::new(broken::LastWriterWins(store)),
        20,
    )
    .await;
}
