//! [`SharedDocument`]: one value shared by every conversation, kept in the store under a
//! fixed key, for the examples that must find all their data again after a restart (the
//! store cannot list its keys): the reminders bot's pending reminders, the broadcast bot's
//! conversations. Included with `#[path = "../common/shared_document.rs"] mod shared_document;`.
//!
//! It is a `BotState::with_fixed_key` scope with one property. Every conversation writes it,
//! so a save can meet another conversation's change: the store refuses the save (an eTag
//! conflict) rather than lose that change, and [`SharedDocument::update`] reloads and redoes
//! its change until it saves. The examples save it themselves, at once, not with
//! `AutoSaveStateMiddleware` at the end of the turn: a change they announce to the user is
//! saved before they announce it.

use std::fmt;

use botbuilder::core::Error;
use botbuilder::core::state::{BotState, StatePropertyAccessor};
use botbuilder::core::storage::Storage;
use botbuilder::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How often a change is tried before giving up. Each conflict means another conversation's
/// save succeeded, so `n` conversations saving at the same moment need at most `n` attempts.
const CONFLICT_RETRIES: usize = 32;

/// A value of type `T` shared by every conversation, stored under one key.
pub(crate) struct SharedDocument<T> {
    state: BotState,
    value: StatePropertyAccessor<T>,
    key: &'static str,
    property: &'static str,
}

impl<T> Clone for SharedDocument<T> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            value: self.value.clone(),
            key: self.key,
            property: self.property,
        }
    }
}

impl<T> fmt::Debug for SharedDocument<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharedDocument({}.{})", self.key, self.property)
    }
}

impl<T> SharedDocument<T>
where
    T: Serialize + DeserializeOwned + Default,
{
    /// The value stored as property `property` of the document under `key`.
    pub(crate) fn new(
        storage: impl Storage + 'static,
        key: &'static str,
        property: &'static str,
    ) -> Self {
        let state = BotState::with_fixed_key(storage, key);
        Self {
            value: state.create_property(property),
            state,
            key,
            property,
        }
    }

    /// The value as stored now, outside any turn (`T::default()` when there is none).
    ///
    /// # Errors
    /// When the store cannot be read, or holds something that is not a `T`.
    pub(crate) async fn read(&self) -> Result<T, Error> {
        let mut items = self.state.storage().read(&[self.key]).await?;
        let stored = items
            .remove(self.key)
            .and_then(|mut document| document.get_mut(self.property).map(serde_json::Value::take));
        match stored {
            None => Ok(T::default()),
            Some(value) => serde_json::from_value(value).map_err(|source| Error::StateRead {
                property: self.property.to_owned(),
                source,
            }),
        }
    }

    /// The value in a turn, as read by the turn's first access (or last [`reload`](Self::reload)).
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub(crate) async fn get(&self, ctx: &mut TurnContext) -> Result<T, Error> {
        Ok(self.value.get(ctx).await?.unwrap_or_default())
    }

    /// Reads the value again in a turn, dropping what the turn read before.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    #[allow(dead_code)] // the broadcast bot does not need it
    pub(crate) async fn reload(&self, ctx: &mut TurnContext) -> Result<T, Error> {
        self.state.load(ctx, true).await?;
        self.get(ctx).await
    }

    /// Changes the value with `change` and saves it (when it changed), reloading and redoing
    /// the change when another conversation saved meanwhile. Returns what `change` returned
    /// on the attempt that was saved.
    ///
    /// # Errors
    /// Storage errors; a conflict still there after [`CONFLICT_RETRIES`] attempts.
    pub(crate) async fn update<R>(
        &self,
        ctx: &mut TurnContext,
        mut change: impl FnMut(&mut T) -> R,
    ) -> Result<R, Error> {
        let mut attempt = 0;
        loop {
            self.state.load(ctx, attempt > 0).await?;
            let result = self.value.update(ctx, &mut change).await?;
            match self.state.save_changes(ctx, false).await {
                Ok(()) => return Ok(result),
                Err(e) if e.is_conflict() && attempt + 1 < CONFLICT_RETRIES => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }
}
