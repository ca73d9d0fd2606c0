//! [`Storage`]: where a bot keeps JSON documents between turns, with optimistic concurrency.
//!
//! State ([`BotState`](crate::BotState)) is stored through this trait; [`MemoryStorage`] keeps
//! documents in memory, and durable backends (separate crates) keep them in a database. Every
//! backend passes the same conformance suite (`testing::storage_conformance`, feature
//! `test-util`); what a backend author needs beyond the trait is in [`backend`].
//!
//! # The contract
//!
//! - A document is a JSON **object**, stored under a string key. Keys are any non-empty
//!   string of up to 1 000 characters, including `/ : ? # % \`, spaces and any Unicode; a
//!   backend escapes what its store cannot hold, without letting two keys collide.
//! - Every stored document has an **eTag**, a non-empty string the store changes on every
//!   successful write. It travels inside the document, as the `"eTag"` field, exactly as
//!   BotBuilder (C#, JS, Python) keeps it: [`read`](Storage::read) adds it, and
//!   [`write`](Storage::write) takes the condition from it:
//!
//!   | `"eTag"` of the document written | the write succeeds when                    |
//!   |----------------------------------|--------------------------------------------|
//!   | absent, `null` or `"*"` ([`ETAG_ANY`]) | always (last writer wins)            |
//!   | `""` ([`ETAG_NEW`])              | no document is stored under the key        |
//!   | any other string                 | the stored document has exactly that eTag  |
//!
//!   In one sentence: *a missing document's eTag is the empty string, and a write with an
//!   eTag other than `*` succeeds only if it matches*. A write that does not succeed changes
//!   nothing and fails with [`Error::StorageConflict`] naming the key.
//! - A successful write returns each document's new eTag (so a writer can write again
//!   without reading). The `"eTag"` field itself is never stored as data.
//! - Reading a missing key yields nothing (the key is absent from the result), not an error.
//!   Deleting a missing key is fine. Deletion is unconditional.
//! - **Batches are not atomic.** When a write of several documents fails, each of the others
//!   may or may not have been written (BotBuilder's storages behave the same way;
//!   [`MemoryStorage`] happens to be atomic, but code must not rely on it). `BotState` writes
//!   one document per call, so this matters only to code that batches on its own.
//!
//! # Read-modify-write that never loses an update
//!
//! A document that many conversations (or processes) change, such as a job log, is best
//! changed through [`SharedDocument`]: it reads, changes and writes back under the eTag it
//! read, serializes writers in the process, and backs off and retries when another process
//! wrote first.
//!
//! ```
//! use std::sync::Arc;
//! use botbuilder_core::storage::{MemoryStorage, SharedDocument, Storage};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), botbuilder_core::Error> {
//! let store: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
//! let jobs = SharedDocument::<Vec<String>>::new(store, "jobs", "jobs");
//! jobs.update(|jobs| jobs.push("backup".to_owned())).await?;
//! jobs.update(|jobs| jobs.push("report".to_owned())).await?;
//! assert_eq!(jobs.read().await?, ["backup", "report"]);
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::Error;

pub mod backend;
mod memory;
mod shared;

pub use memory::MemoryStorage;
pub(crate) use shared::jittered;
pub use shared::{ConflictBackoff, SharedDocument};

use backend::document_with_e_tag;

/// Documents by key, as [`Storage::read`] returns them and [`Storage::write`] takes them.
pub type StoreItems = BTreeMap<String, Value>;

/// The new eTag of each document a [`Storage::write`] stored, by key.
pub type ETags = BTreeMap<String, String>;

/// The name of the field that carries a document's eTag (BotBuilder's `eTag`).
pub const ETAG_FIELD: &str = "eTag";

/// The eTag that makes a write unconditional: whatever is stored is replaced.
pub const ETAG_ANY: &str = "*";

/// The eTag of a missing document: a write with it succeeds only if nothing is stored under
/// the key (create, never overwrite).
pub const ETAG_NEW: &str = "";

/// Where a bot keeps JSON documents: batch read, write and delete by key, with optimistic
/// concurrency by eTag. See the [module docs](self) for the full contract; every backend
/// must pass the conformance suite (`testing::storage_conformance`, feature `test-util`) and
/// is built from the pieces in [`backend`].
///
/// Usable as `Arc<dyn Storage>`. Operations are cancel-safe in the sense that dropping a
/// future leaves each document either written or not; a dropped batch write may have
/// written some of its documents.
///
/// ```
/// use botbuilder_core::storage::{MemoryStorage, Storage, StoreItems, ETAG_FIELD};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), botbuilder_core::Error> {
/// let store = MemoryStorage::new();
/// let etags = store
///     .write(StoreItems::from([("user/42".to_owned(), json!({"name": "Ada"}))]))
///     .await?;
/// let items = store.read(&["user/42", "user/43"]).await?;
/// assert_eq!(items.len(), 1);
/// assert_eq!(items["user/42"]["name"], "Ada");
/// assert_eq!(items["user/42"][ETAG_FIELD], json!(etags["user/42"]));
///
/// // Writing back a stale copy is a conflict, not an overwrite.
/// store
///     .write(StoreItems::from([("user/42".to_owned(), items["user/42"].clone())]))
///     .await?;
/// let stale = store
///     .write(StoreItems::from([("user/42".to_owned(), items["user/42"].clone())]))
///     .await;
/// assert!(stale.is_err_and(|e| e.is_conflict()));
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait Storage: Send + Sync {
    /// Reads the documents stored under `keys`. Missing keys are absent from the result.
    /// Each document read carries its eTag in its `"eTag"` field.
    ///
    /// # Errors
    /// [`Error::Storage`] when the backend fails; [`Error::InvalidDocument`] when a stored
    /// document is not a JSON object.
    async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error>;

    /// Writes documents, each under the condition its `"eTag"` field sets (see the
    /// [module docs](self)), and returns their new eTags.
    ///
    /// # Errors
    /// [`Error::StorageConflict`] naming a document whose eTag did not match;
    /// [`Error::InvalidDocument`] when a document is not a JSON object or its eTag is not a
    /// string; [`Error::Storage`] when the backend fails. The batch is not atomic.
    async fn write(&self, changes: StoreItems) -> Result<ETags, Error>;

    /// Deletes the documents stored under `keys`, whatever their eTags. Missing keys are
    /// fine.
    ///
    /// # Errors
    /// [`Error::Storage`] when the backend fails.
    async fn delete(&self, keys: &[&str]) -> Result<(), Error>;

    /// The lease this store grants on a conversation's turn, when it is shared by several
    /// instances of a bot and can order their turns (Redis, PostgreSQL): hand it to
    /// [`TurnLeases`](crate::TurnLeases) for
    /// [`TurnOrdering::Distributed`](crate::TurnOrdering::Distributed). `None` (the default)
    /// for stores that cannot.
    fn conversation_lock(&self) -> Option<Arc<dyn crate::ConversationLock>> {
        None
    }
}

#[async_trait]
impl<S: Storage + ?Sized> Storage for Arc<S> {
    async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
        (**self).read(keys).await
    }

    async fn write(&self, changes: StoreItems) -> Result<ETags, Error> {
        (**self).write(changes).await
    }

    async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
        (**self).delete(keys).await
    }

    fn conversation_lock(&self) -> Option<Arc<dyn crate::ConversationLock>> {
        (**self).conversation_lock()
    }
}

/// The eTag a document carries, if any.
///
/// ```
/// use botbuilder_core::storage::e_tag;
/// use serde_json::json;
///
/// assert_eq!(e_tag(&json!({"eTag": "3", "x": 1})), Some("3"));
/// assert_eq!(e_tag(&json!({"x": 1})), None);
/// ```
#[must_use]
pub fn e_tag(document: &Value) -> Option<&str> {
    document.get(ETAG_FIELD).and_then(Value::as_str)
}

/// An empty document that, written, is created only if nothing is stored under its key
/// (its eTag is [`ETAG_NEW`]): what to start from when a read found nothing.
///
/// ```
/// use botbuilder_core::storage::{new_document, e_tag, ETAG_NEW};
///
/// assert_eq!(e_tag(&new_document()), Some(ETAG_NEW));
/// ```
#[must_use]
pub fn new_document() -> Value {
    document_with_e_tag(Map::new(), ETAG_NEW)
}
