//! [`MemoryStorage`]: documents in memory, for tests and single-process bots.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::backend::{document_with_e_tag, prepare_write};
use super::{ETags, Storage, StoreItems};
use crate::Error;

/// A [`Storage`] that keeps documents in memory: for tests, the Emulator, and bots whose
/// state may vanish on restart.
///
/// - Concurrent: any number of tasks and threads read and write at once; eTags make
///   read-modify-write safe (see the [storage contract](super)).
/// - Cheap to clone: clones share the same documents, so two clones act as two clients of
///   one store.
/// - Documents are held as copies: changing a document after writing it, or one read back,
///   never changes what is stored.
/// - A batch write is atomic here: either every document's eTag matches and all are written,
///   or none is. The [`Storage`] contract does not promise this; do not rely on it.
///
/// eTags are decimal counters, unique within one store.
///
/// ```
/// use botbuilder_core::storage::{MemoryStorage, Storage, StoreItems};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), botbuilder_core::Error> {
/// let store = MemoryStorage::new();
/// let client_b = store.clone();
/// store.write(StoreItems::from([("k".to_owned(), json!({"n": 1}))])).await?;
/// assert_eq!(client_b.read(&["k"]).await?["k"]["n"], 1);
/// assert_eq!(store.len(), 1);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct MemoryStorage {
    inner: Arc<RwLock<Memory>>,
}

#[derive(Default)]
struct Memory {
    documents: HashMap<String, Stored>,
    last_e_tag: u64,
}

/// A document as stored: its JSON text (a tenth of the memory of a `serde_json::Value` tree,
/// and naturally a copy), shared so that the lock is held only to take or swap a pointer;
/// parsing a document out (reads) and freeing a replaced one (writes) happen after the lock
/// is released.
#[derive(Clone)]
struct Stored {
    body: Arc<str>,
    e_tag: Arc<str>,
}

impl MemoryStorage {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many documents are stored.
    #[must_use]
    pub fn len(&self) -> usize {
        self.read_lock().documents.len()
    }

    /// Whether no document is stored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.read_lock().documents.is_empty()
    }

    /// The keys of every stored document, sorted.
    #[must_use]
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.read_lock().documents.keys().cloned().collect();
        keys.sort();
        keys
    }

    fn read_lock(&self) -> std::sync::RwLockReadGuard<'_, Memory> {
        // Nothing panics while the lock is held; if something did, the map is still whole.
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_lock(&self) -> std::sync::RwLockWriteGuard<'_, Memory> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Storage for MemoryStorage {
    async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
        let found: Vec<(&str, Stored)> = {
            let memory = self.read_lock();
            keys.iter()
                .filter_map(|&key| memory.documents.get(key).map(|s| (key, s.clone())))
                .collect()
        };
        found
            .into_iter()
            .map(|(key, stored)| {
                let body: Map<String, Value> =
                    serde_json::from_str(&stored.body).map_err(|e| Error::InvalidDocument {
                        key: key.to_owned(),
                        reason: format!("the stored document does not parse: {e}"),
                    })?;
                Ok((key.to_owned(), document_with_e_tag(body, &*stored.e_tag)))
            })
            .collect()
    }

    async fn write(&self, changes: StoreItems) -> Result<ETags, Error> {
        // Validate every document before taking the lock, then check every condition before
        // changing anything: the batch is all or nothing.
        let prepared = changes
            .into_iter()
            .map(|(key, document)| prepare_write(&key, document).map(|p| (key, p)))
            .collect::<Result<Vec<_>, Error>>()?;
        let prepared = prepared
            .into_iter()
            .map(|(key, (body, condition))| {
                let text = serde_json::to_string(&body).map_err(|e| Error::InvalidDocument {
                    key: key.clone(),
                    reason: format!("the document cannot be written as JSON: {e}"),
                })?;
                Ok((key, Arc::<str>::from(text), condition))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut e_tags = ETags::new();
        // Replaced documents are freed after the lock is released.
        let mut replaced = Vec::with_capacity(prepared.len());
        {
            let mut memory = self.write_lock();
            for (key, _, condition) in &prepared {
                let stored = memory.documents.get(key).map(|s| &*s.e_tag);
                if !condition.allows(stored) {
                    return Err(Error::StorageConflict { key: key.clone() });
                }
            }
            for (key, body, _) in prepared {
                memory.last_e_tag += 1;
                let e_tag: Arc<str> = memory.last_e_tag.to_string().into();
                e_tags.insert(key.clone(), e_tag.to_string());
                replaced.extend(memory.documents.insert(key, Stored { body, e_tag }));
            }
        }
        drop(replaced);
        Ok(e_tags)
    }

    async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
        let removed: Vec<Stored> = {
            let mut memory = self.write_lock();
            keys.iter()
                .filter_map(|key| memory.documents.remove(*key))
                .collect()
        };
        drop(removed);
        Ok(())
    }
}

impl fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStorage")
            .field("documents", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn items(key: &str, doc: Value) -> StoreItems {
        StoreItems::from([(key.to_owned(), doc)])
    }

    #[tokio::test]
    async fn documents_are_copies() {
        let store = MemoryStorage::new();
        let mut doc = json!({"list": [1, 2]});
        store.write(items("k", doc.clone())).await.unwrap();
        doc["list"] = json!([]);
        let mut read = store.read(&["k"]).await.unwrap().remove("k").unwrap();
        read["list"] = json!(["changed"]);
        let again = store.read(&["k"]).await.unwrap().remove("k").unwrap();
        assert_eq!(again["list"], json!([1, 2]));
    }

    #[tokio::test]
    async fn batch_writes_are_atomic_here() {
        let store = MemoryStorage::new();
        let e = store.write(items("a", json!({"v": 1}))).await.unwrap();
        let batch = StoreItems::from([
            ("a".to_owned(), json!({"v": 2, "eTag": "stale"})),
            ("b".to_owned(), json!({"v": 2})),
        ]);
        let err = store.write(batch).await.unwrap_err();
        assert!(matches!(err, Error::StorageConflict { ref key } if key == "a"));
        assert_eq!(store.keys(), vec!["a".to_owned()]);
        let a = store.read(&["a"]).await.unwrap().remove("a").unwrap();
        assert_eq!(a, json!({"v": 1, "eTag": e["a"]}));
    }

    #[tokio::test]
    async fn clones_share_documents_and_etags_grow() {
        let store = MemoryStorage::new();
        let other = store.clone();
        let first = store.write(items("k", json!({}))).await.unwrap();
        let second = other.write(items("k", json!({}))).await.unwrap();
        assert_ne!(first["k"], second["k"]);
        assert_eq!(store.len(), 1);
        other.delete(&["k", "missing"]).await.unwrap();
        assert!(store.is_empty());
        assert_eq!(format!("{store:?}"), "MemoryStorage { documents: 0 }");
    }
}
