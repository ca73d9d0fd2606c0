//! State: what a bot remembers between turns, kept in a [`Storage`].
//!
//! - [`BotState`]: one *scope* of state, a JSON document of named properties stored under a
//!   key computed from the turn. The BotBuilder scopes are [`ConversationState`],
//!   [`UserState`] and [`PrivateConversationState`]; [`BotState::with_key_fn`] and
//!   [`BotState::with_fixed_key`] make others.
//! - [`StatePropertyAccessor`]: a typed property of a scope, from
//!   [`create_property::<T>("name")`](BotState::create_property).
//! - [`BotStateSet`] and [`AutoSaveStateMiddleware`]: save every scope at the end of each
//!   turn.
//!
//! A scope is read from storage once per turn, the first time a property is used, and cached
//! in the turn. It is written back only if it changed, with the eTag it was read with: if
//! another turn saved it in between, the save fails with [`Error::StorageConflict`] instead
//! of silently overwriting that turn's work. Adapters that order each conversation's turns
//! ([`ConversationLocks`](crate::ConversationLocks), on by default in the `TestAdapter`)
//! make such conflicts rare. `docs/state.md` explains the model and how to choose.
//!
//! A bot that counts messages per conversation:
//!
//! ```
//! use botbuilder_core::{async_trait, ActivityHandler, TurnContext, TurnResult};
//! use botbuilder_core::state::{AutoSaveStateMiddleware, ConversationState, StatePropertyAccessor};
//! use botbuilder_core::storage::MemoryStorage;
//! use botbuilder_core::testing::{TestAdapter, TestFlow};
//!
//! struct CountingBot {
//!     count: StatePropertyAccessor<u32>,
//! }
//!
//! #[async_trait]
//! impl ActivityHandler for CountingBot {
//!     async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
//!         let n = self.count.update(ctx, |n| { *n += 1; *n }).await?;
//!         ctx.send_activity(format!("message {n}")).await?;
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let conversation = ConversationState::new(MemoryStorage::new());
//! let bot = CountingBot { count: conversation.create_property("count") };
//! let adapter = TestAdapter::new()
//!     .with_middleware(AutoSaveStateMiddleware::default().with(conversation.clone()));
//! TestFlow::new(adapter, bot)
//!     .test("hi", "message 1")
//!     .test("hi again", "message 2")
//!     .in_conversation("another")
//!     .test("hello", "message 1")
//!     .await;
//! # }
//! ```

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use botbuilder_schema::{Activity, SchemaError};
use serde_json::{Map, Value};
use tracing::Instrument;

use crate::storage::backend::document_with_e_tag;
use crate::storage::{ETAG_ANY, ETAG_FIELD, ETAG_NEW, Storage, StoreItems};
use crate::{Error, TurnContext};

mod accessor;
mod set;

pub use accessor::StatePropertyAccessor;
pub use set::{AutoSaveStateMiddleware, BotStateSet};

/// One scope of state: a JSON object of named properties, stored under a key the scope
/// computes from the turn (BotBuilder's `BotState`).
///
/// Create each scope once, when the bot starts, and clone it where needed: clones share the
/// same per-turn cache. Two scopes created separately are cached separately even when they
/// compute the same key, and saving both in one turn is then a conflict.
///
/// The stored document has BotBuilder's shape, one field per property plus the store's
/// `eTag`, so state written by a C#, JS or Python bot in a shared store reads back here and
/// the other way round:
///
/// ```json
/// { "count": 3, "profile": { "name": "Ada" }, "eTag": "17" }
/// ```
///
/// A custom scope, keyed by the user's tenant:
///
/// ```
/// use botbuilder_core::{BotState, Error};
/// use botbuilder_core::schema::SchemaError;
/// use botbuilder_core::storage::MemoryStorage;
///
/// let tenant_state = BotState::with_key_fn(MemoryStorage::new(), "TenantState", |ctx| {
///     let tenant = ctx
///         .activity()
///         .conversation
///         .as_ref()
///         .and_then(|c| c.tenant_id.clone())
///         .ok_or(Error::Schema(SchemaError::MissingField {
///             field: "conversation.tenantId",
///             context: "to compute the tenant state key",
///         }))?;
///     Ok(format!("tenants/{tenant}"))
/// });
/// let plan = tenant_state.create_property::<String>("plan");
/// # let _ = plan;
/// ```
#[derive(Clone)]
pub struct BotState {
    inner: Arc<Inner>,
}

struct Inner {
    id: u64,
    name: String,
    storage: Arc<dyn Storage>,
    key: KeyKind,
}

type KeyFn = dyn Fn(&TurnContext) -> Result<String, Error> + Send + Sync;

enum KeyKind {
    Conversation(Option<String>),
    User(Option<String>),
    PrivateConversation(Option<String>),
    Fixed(String),
    Custom(Box<KeyFn>),
}

impl BotState {
    fn from_parts(storage: Arc<dyn Storage>, name: String, key: KeyKind) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Self {
            inner: Arc::new(Inner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                name,
                storage,
                key,
            }),
        }
    }

    /// A scope whose key a function computes from the turn. `name` names the scope in logs.
    pub fn with_key_fn<F>(storage: impl Storage + 'static, name: impl Into<String>, key: F) -> Self
    where
        F: Fn(&TurnContext) -> Result<String, Error> + Send + Sync + 'static,
    {
        Self::from_parts(
            Arc::new(storage),
            name.into(),
            KeyKind::Custom(Box::new(key)),
        )
    }

    /// A scope stored under one fixed key, whatever the turn: state shared by every
    /// conversation, such as a log of proactive jobs. Turns of different conversations can
    /// save it at the same time, so expect conflicts (see `docs/state.md`).
    ///
    /// ```
    /// use botbuilder_core::BotState;
    /// use botbuilder_core::storage::MemoryStorage;
    ///
    /// let jobs = BotState::with_fixed_key(MemoryStorage::new(), "bot/proactive-jobs");
    /// let pending = jobs.create_property::<Vec<String>>("pending");
    /// assert_eq!(jobs.name(), "bot/proactive-jobs");
    /// # let _ = pending;
    /// ```
    pub fn with_fixed_key(storage: impl Storage + 'static, key: impl Into<String>) -> Self {
        let key = key.into();
        Self::from_parts(Arc::new(storage), key.clone(), KeyKind::Fixed(key))
    }

    /// The scope's name: `ConversationState`, `UserState`, `PrivateConversationState`, or
    /// the name given to a custom scope.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The storage this scope reads and writes.
    #[must_use]
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// The key this scope's document has in storage for this turn.
    ///
    /// # Errors
    /// [`Error::Schema`] when the activity lacks what the key needs (channel, conversation
    /// or user id); a custom key function's error.
    pub fn storage_key(&self, ctx: &TurnContext) -> Result<String, Error> {
        let activity = ctx.activity();
        match &self.inner.key {
            KeyKind::Conversation(namespace) => Ok(with_namespace(
                format!(
                    "{}/conversations/{}",
                    channel_id(activity, "to compute the conversation state key")?,
                    conversation_id(activity, "to compute the conversation state key")?
                ),
                namespace.as_deref(),
            )),
            KeyKind::User(namespace) => Ok(with_namespace(
                format!(
                    "{}/users/{}",
                    channel_id(activity, "to compute the user state key")?,
                    user_id(activity, "to compute the user state key")?
                ),
                namespace.as_deref(),
            )),
            KeyKind::PrivateConversation(namespace) => {
                const WHY: &str = "to compute the private conversation state key";
                Ok(with_namespace(
                    format!(
                        "{}/conversations/{}/users/{}",
                        channel_id(activity, WHY)?,
                        conversation_id(activity, WHY)?,
                        user_id(activity, WHY)?
                    ),
                    namespace.as_deref(),
                ))
            }
            KeyKind::Fixed(key) => Ok(key.clone()),
            KeyKind::Custom(f) => f(ctx),
        }
    }

    /// A typed property of this scope, stored as the document's field `name`. Any serde
    /// type works; properties are stored as JSON so C# and JS bots can share them.
    ///
    /// # Panics
    /// When `name` is `eTag`, the field that carries the document's eTag.
    #[must_use]
    pub fn create_property<T>(&self, name: impl Into<String>) -> StatePropertyAccessor<T> {
        let name = name.into();
        assert!(
            name != ETAG_FIELD,
            "`eTag` is reserved for the storage eTag and cannot name a state property"
        );
        StatePropertyAccessor::new(self.clone(), name)
    }

    /// Reads this scope from storage into the turn, unless it is already cached (or `force`).
    /// Property accessors call it; call it yourself to read early or, with `force`, to drop
    /// unsaved changes and read again.
    ///
    /// # Errors
    /// [`Error::Schema`] when the key cannot be computed; storage errors;
    /// [`Error::InvalidDocument`] when the stored document is not an object.
    pub async fn load(&self, ctx: &mut TurnContext, force: bool) -> Result<(), Error> {
        self.loaded(ctx, force).await.map(|_| ())
    }

    /// Writes this scope to storage if it changed in this turn (or `force`), carrying the
    /// eTag it was read with. Does nothing when the scope was not read in this turn.
    ///
    /// # Errors
    /// [`Error::StorageConflict`] when the document changed in storage since it was read (the
    /// turn's changes stay cached, unsaved); other storage errors.
    pub async fn save_changes(&self, ctx: &mut TurnContext, force: bool) -> Result<(), Error> {
        let Some(cached) = self.cached(ctx) else {
            return Ok(());
        };
        if !force && !cached.is_changed() {
            return Ok(());
        }
        let key = cached.key.clone();
        let document = document_with_e_tag(cached.state.clone(), cached.e_tag.clone());
        tracing::debug!(scope = %self.inner.name, %key, "saving state");
        let span = tracing::info_span!(
            "botbuilder.state.save",
            botbuilder.state.scope = &*self.inner.name,
            db.operation.name = "write",
        );
        let written = self
            .inner
            .storage
            .write(StoreItems::from([(key.clone(), document)]))
            .instrument(span)
            .await;
        if let Err(error) = &written
            && error.is_conflict()
        {
            crate::telemetry::record(crate::telemetry::Measurement::StorageConflict {
                scope: &self.inner.name,
            });
        }
        let mut e_tags = written?;
        let e_tag = e_tags.remove(&key).ok_or_else(|| {
            Error::storage(format!("writing {key:?}"), "the storage returned no eTag")
        })?;
        if let Some(cached) = self.cached_mut(ctx) {
            cached.e_tag = e_tag;
            cached.saved = cached.state.clone();
        }
        Ok(())
    }

    /// Empties this scope in the turn: every property is gone. Saving then writes the empty
    /// document (with the eTag read, so a concurrent change is still a conflict).
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub async fn clear_state(&self, ctx: &mut TurnContext) -> Result<(), Error> {
        self.loaded(ctx, false).await?.state.clear();
        Ok(())
    }

    /// Deletes this scope's document from storage (whatever its eTag) and from the turn. A
    /// property read afterwards in the turn starts from nothing.
    ///
    /// # Errors
    /// [`Error::Schema`] when the key cannot be computed; storage errors.
    pub async fn delete(&self, ctx: &mut TurnContext) -> Result<(), Error> {
        let key = self.storage_key(ctx)?;
        if let Some(cache) = ctx.turn_state_mut().get_mut::<StateCache>() {
            cache.0.remove(&self.inner.id);
        }
        self.inner.storage.delete(&[key.as_str()]).await
    }

    /// The properties of this scope as cached in the turn (without the eTag), if it was read.
    #[must_use]
    pub fn cached_state<'a>(&self, ctx: &'a TurnContext) -> Option<&'a Map<String, Value>> {
        self.cached(ctx).map(|c| &c.state)
    }

    /// Whether this scope changed in the turn since it was read or last saved.
    #[must_use]
    pub fn is_changed(&self, ctx: &TurnContext) -> bool {
        self.cached(ctx).is_some_and(CachedState::is_changed)
    }

    /// The scope's cache entry, read from storage first if needed.
    async fn loaded<'a>(
        &self,
        ctx: &'a mut TurnContext,
        force: bool,
    ) -> Result<&'a mut CachedState, Error> {
        let key = self.storage_key(ctx)?;
        let reload = force || self.cached(ctx).is_none_or(|c| c.key != key);
        let fresh = if reload {
            Some(self.read(key.clone()).await?)
        } else {
            None
        };
        let cache = &mut ctx
            .turn_state_mut()
            .get_or_insert_with(StateCache::default)
            .0;
        Ok(match (cache.entry(self.inner.id), fresh) {
            (Entry::Occupied(mut entry), Some(fresh)) => {
                entry.insert(fresh);
                entry.into_mut()
            }
            (Entry::Occupied(entry), None) => entry.into_mut(),
            (Entry::Vacant(entry), Some(fresh)) => entry.insert(fresh),
            // Unreachable (`reload` is false only when an entry exists); if it were reached,
            // starting from nothing with eTag "" could still never overwrite stored state.
            (Entry::Vacant(entry), None) => entry.insert(CachedState::missing(key)),
        })
    }

    async fn read(&self, key: String) -> Result<CachedState, Error> {
        tracing::debug!(scope = %self.inner.name, %key, "loading state");
        let span = tracing::info_span!(
            "botbuilder.state.load",
            botbuilder.state.scope = &*self.inner.name,
            db.operation.name = "read",
        );
        let document = self
            .inner
            .storage
            .read(&[key.as_str()])
            .instrument(span)
            .await?
            .remove(&key);
        match document {
            None => Ok(CachedState::missing(key)),
            Some(Value::Object(mut state)) => {
                let e_tag = match state.remove(ETAG_FIELD) {
                    Some(Value::String(e_tag)) => e_tag,
                    _ => {
                        tracing::warn!(
                            scope = %self.inner.name, %key,
                            "the storage returned a document without an eTag; it will be overwritten unconditionally"
                        );
                        ETAG_ANY.to_owned()
                    }
                };
                Ok(CachedState {
                    key,
                    e_tag,
                    saved: state.clone(),
                    state,
                })
            }
            Some(_) => Err(Error::InvalidDocument {
                key,
                reason: "a state document must be a JSON object".to_owned(),
            }),
        }
    }

    fn cached<'a>(&self, ctx: &'a TurnContext) -> Option<&'a CachedState> {
        ctx.turn_state()
            .get::<StateCache>()
            .and_then(|cache| cache.0.get(&self.inner.id))
    }

    fn cached_mut<'a>(&self, ctx: &'a mut TurnContext) -> Option<&'a mut CachedState> {
        ctx.turn_state_mut()
            .get_mut::<StateCache>()
            .and_then(|cache| cache.0.get_mut(&self.inner.id))
    }
}

impl fmt::Debug for BotState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotState")
            .field("name", &self.inner.name)
            .finish_non_exhaustive()
    }
}

/// Every scope's cached state in a turn, by scope id.
#[derive(Default)]
struct StateCache(HashMap<u64, CachedState>);

struct CachedState {
    /// The storage key it was read from.
    key: String,
    /// The eTag it was read (or last saved) with; [`ETAG_NEW`] when nothing was stored.
    e_tag: String,
    /// The properties, as the turn changed them.
    state: Map<String, Value>,
    /// The properties as read or last saved, to tell whether the turn changed them.
    saved: Map<String, Value>,
}

impl CachedState {
    fn missing(key: String) -> Self {
        Self {
            key,
            e_tag: ETAG_NEW.to_owned(),
            state: Map::new(),
            saved: Map::new(),
        }
    }

    fn is_changed(&self) -> bool {
        self.state != self.saved
    }
}

fn with_namespace(key: String, namespace: Option<&str>) -> String {
    match namespace {
        Some(namespace) => format!("{key}/{namespace}"),
        None => key,
    }
}

fn channel_id<'a>(activity: &'a Activity, context: &'static str) -> Result<&'a str, Error> {
    activity
        .channel_id
        .as_ref()
        .map(|c| c.as_str())
        .filter(|c| !c.is_empty())
        .ok_or(Error::Schema(SchemaError::MissingField {
            field: "channelId",
            context,
        }))
}

fn conversation_id<'a>(activity: &'a Activity, context: &'static str) -> Result<&'a str, Error> {
    activity
        .conversation_id()
        .ok_or(Error::Schema(SchemaError::MissingField {
            field: "conversation.id",
            context,
        }))
}

fn user_id<'a>(activity: &'a Activity, context: &'static str) -> Result<&'a str, Error> {
    activity
        .from
        .as_ref()
        .map(|from| from.id.as_str())
        .filter(|id| !id.is_empty())
        .ok_or(Error::Schema(SchemaError::MissingField {
            field: "from.id",
            context,
        }))
}

macro_rules! scope {
    (
        $(#[$doc:meta])*
        $name:ident, $kind:ident, $key:literal, $example:literal
    ) => {
        $(#[$doc])*
        ///
        #[doc = concat!("Its storage key is `", $key, "`, as in BotBuilder C# and Python; ")]
        #[doc = concat!("[`with_namespace`](Self::with_namespace) appends `/{namespace}`, as ")]
        /// BotBuilder JS does (JS's default namespace is the empty string, so a JS bot's key
        /// ends with `/`: use `with_namespace(storage, "")` to share its state).
        ///
        /// It is a [`BotState`] (it dereferences to one, and converts into one).
        ///
        /// ```
        #[doc = concat!("use botbuilder_core::state::", stringify!($name), ";")]
        /// use botbuilder_core::storage::MemoryStorage;
        ///
        #[doc = concat!("let state = ", stringify!($name), "::new(MemoryStorage::new());")]
        #[doc = concat!("assert_eq!(state.name(), \"", stringify!($name), "\");")]
        #[doc = concat!("let property = state.create_property::<", $example, ">(\"property\");")]
        /// # let _ = property;
        /// ```
        #[derive(Clone, Debug)]
        pub struct $name(BotState);

        impl $name {
            /// The scope, stored in `storage`.
            pub fn new(storage: impl Storage + 'static) -> Self {
                Self(BotState::from_parts(
                    Arc::new(storage),
                    stringify!($name).to_owned(),
                    KeyKind::$kind(None),
                ))
            }

            /// The scope, with `/{namespace}` appended to its keys (BotBuilder JS's
            /// `namespace`).
            pub fn with_namespace(
                storage: impl Storage + 'static,
                namespace: impl Into<String>,
            ) -> Self {
                Self(BotState::from_parts(
                    Arc::new(storage),
                    stringify!($name).to_owned(),
                    KeyKind::$kind(Some(namespace.into())),
                ))
            }
        }

        impl Deref for $name {
            type Target = BotState;

            fn deref(&self) -> &BotState {
                &self.0
            }
        }

        impl From<$name> for BotState {
            fn from(scope: $name) -> BotState {
                scope.0
            }
        }

        impl AsRef<BotState> for $name {
            fn as_ref(&self) -> &BotState {
                &self.0
            }
        }
    };
}

scope! {
    /// State of a conversation, shared by everyone in it (BotBuilder's `ConversationState`):
    /// where dialog stacks live.
    ConversationState, Conversation, "{channelId}/conversations/{conversationId}", "u32"
}

scope! {
    /// State of a user across all their conversations on a channel (BotBuilder's
    /// `UserState`): profile, preferences. The user is the activity's `from`.
    UserState, User, "{channelId}/users/{userId}", "String"
}

scope! {
    /// State of one user in one conversation (BotBuilder's `PrivateConversationState`): what
    /// a user told the bot in a group chat that others should not share.
    PrivateConversationState, PrivateConversation,
    "{channelId}/conversations/{conversationId}/users/{userId}", "bool"
}

#[cfg(test)]
mod tests;
