//! [`StatePropertyAccessor`]: a typed property of a state scope.

use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{BotState, CachedState};
use crate::{Error, TurnContext};

/// A typed property of a [`BotState`] scope, made by
/// [`create_property::<T>("name")`](BotState::create_property) (BotBuilder's
/// `IStatePropertyAccessor<T>`). Cheap to clone; keep it in your bot.
///
/// Every method first reads the scope from storage if this turn has not yet (once per
/// turn), then works on the turn's cached copy; nothing is written until the scope is saved
/// ([`BotState::save_changes`], or [`AutoSaveStateMiddleware`](super::AutoSaveStateMiddleware)
/// at the end of the turn). Values are stored as JSON (`serde_json`), so any serde type
/// works and C#/JS bots can read them.
///
/// ```
/// use botbuilder_core::bot_fn;
/// use botbuilder_core::state::{AutoSaveStateMiddleware, UserState};
/// use botbuilder_core::storage::MemoryStorage;
/// use botbuilder_core::testing::{TestAdapter, TestFlow};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Clone, Debug, Default, Deserialize, Serialize)]
/// struct Profile {
///     name: Option<String>,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let users = UserState::new(MemoryStorage::new());
/// let profile = users.create_property::<Profile>("profile");
/// let bot = bot_fn(async move |ctx| {
///         let text = ctx.activity().text().to_owned();
///         let mut p = profile.get_or_default(ctx).await?;
///         match (p.name.as_deref(), text.strip_prefix("I am ")) {
///             (_, Some(name)) => {
///                 p.name = Some(name.to_owned());
///                 profile.set(ctx, &p).await?;
///                 ctx.send_activity(format!("Hello {name}!")).await?;
///             }
///             (Some(name), None) => {
///                 ctx.send_activity(format!("You are {name}.")).await?;
///             }
///             (None, None) => {
///                 ctx.send_activity("Who are you?").await?;
///             }
///         }
///         Ok(())
///     });
/// let adapter = TestAdapter::new().with_middleware(AutoSaveStateMiddleware::default().with(users.clone()));
/// TestFlow::new(adapter, bot)
///     .test("hi", "Who are you?")
///     .test("I am Ada", "Hello Ada!")
///     .test("who am I?", "You are Ada.")
///     .await;
/// # }
/// ```
pub struct StatePropertyAccessor<T> {
    state: BotState,
    name: Arc<str>,
    _type: PhantomData<fn() -> T>,
}

impl<T> StatePropertyAccessor<T> {
    pub(super) fn new(state: BotState, name: String) -> Self {
        Self {
            state,
            name: name.into(),
            _type: PhantomData,
        }
    }

    /// The property's name: its field in the scope's document.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The scope the property belongs to.
    #[must_use]
    pub fn state(&self) -> &BotState {
        &self.state
    }
}

impl<T> StatePropertyAccessor<T>
where
    T: Serialize + DeserializeOwned,
{
    /// The property's value, or `None` when it is not set.
    ///
    /// # Errors
    /// [`Error::StateRead`] when the stored value does not deserialize to `T`; errors of
    /// [`BotState::load`].
    pub async fn get(&self, ctx: &mut TurnContext) -> Result<Option<T>, Error> {
        let cached = self.state.loaded(ctx, false).await?;
        self.read(cached)
    }

    /// The property's value; when it is not set, `T::default()`, which is also stored (so it
    /// is saved, as in BotBuilder).
    ///
    /// # Errors
    /// As [`get`](Self::get), and [`Error::StateWrite`] when the default does not serialize.
    pub async fn get_or_default(&self, ctx: &mut TurnContext) -> Result<T, Error>
    where
        T: Default,
    {
        self.get_or_insert_with(ctx, T::default).await
    }

    /// The property's value; when it is not set, `make()`, which is also stored.
    ///
    /// ```
    /// use botbuilder_core::bot_fn;
    /// use botbuilder_core::state::ConversationState;
    /// use botbuilder_core::storage::MemoryStorage;
    /// use botbuilder_core::testing::{TestAdapter, TestFlow};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let state = ConversationState::new(MemoryStorage::new());
    /// let greeting = state.create_property::<String>("greeting");
    /// let bot = bot_fn(async move |ctx| {
    ///         let text = greeting.get_or_insert_with(ctx, || "Hello!".to_owned()).await?;
    ///         ctx.send_activity(text).await?;
    ///         Ok(())
    ///     });
    /// TestFlow::new(TestAdapter::new(), bot).test("hi", "Hello!").await;
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`get_or_default`](Self::get_or_default).
    pub async fn get_or_insert_with<F>(&self, ctx: &mut TurnContext, make: F) -> Result<T, Error>
    where
        F: FnOnce() -> T,
    {
        let cached = self.state.loaded(ctx, false).await?;
        if let Some(value) = self.read(cached)? {
            return Ok(value);
        }
        let value = make();
        self.write(cached, &value)?;
        Ok(value)
    }

    /// Sets the property (takes `T` or `&T`).
    ///
    /// # Errors
    /// [`Error::StateWrite`] when the value does not serialize; errors of
    /// [`BotState::load`].
    pub async fn set(&self, ctx: &mut TurnContext, value: impl Borrow<T>) -> Result<(), Error> {
        let cached = self.state.loaded(ctx, false).await?;
        self.write(cached, value.borrow())
    }

    /// Removes the property.
    ///
    /// # Errors
    /// Errors of [`BotState::load`].
    pub async fn delete(&self, ctx: &mut TurnContext) -> Result<(), Error> {
        let cached = self.state.loaded(ctx, false).await?;
        cached.state.remove(&*self.name);
        Ok(())
    }

    /// Changes the property in place, starting from `T::default()` when it is not set, and
    /// returns what `change` returns.
    ///
    /// ```
    /// use botbuilder_core::bot_fn;
    /// use botbuilder_core::state::{AutoSaveStateMiddleware, ConversationState};
    /// use botbuilder_core::storage::MemoryStorage;
    /// use botbuilder_core::testing::{TestAdapter, TestFlow};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let state = ConversationState::new(MemoryStorage::new());
    /// let seen = state.create_property::<Vec<String>>("seen");
    /// let bot = bot_fn(async move |ctx| {
    ///         let text = ctx.activity().text().to_owned();
    ///         let all = seen.update(ctx, |seen| { seen.push(text); seen.join(", ") }).await?;
    ///         ctx.send_activity(all).await?;
    ///         Ok(())
    ///     });
    /// let adapter = TestAdapter::new().with_middleware(AutoSaveStateMiddleware::default().with(state.clone()));
    /// TestFlow::new(adapter, bot).test("a", "a").test("b", "a, b").await;
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`get_or_default`](Self::get_or_default).
    pub async fn update<R, F>(&self, ctx: &mut TurnContext, change: F) -> Result<R, Error>
    where
        T: Default,
        F: FnOnce(&mut T) -> R,
    {
        let cached = self.state.loaded(ctx, false).await?;
        let mut value = self.read(cached)?.unwrap_or_default();
        let out = change(&mut value);
        self.write(cached, &value)?;
        Ok(out)
    }

    fn read(&self, cached: &CachedState) -> Result<Option<T>, Error> {
        cached
            .state
            .get(&*self.name)
            .map(|value| {
                T::deserialize(value).map_err(|source| Error::StateRead {
                    property: self.name.to_string(),
                    source,
                })
            })
            .transpose()
    }

    fn write(&self, cached: &mut CachedState, value: &T) -> Result<(), Error> {
        let value: Value = serde_json::to_value(value).map_err(|source| Error::StateWrite {
            property: self.name.to_string(),
            source,
        })?;
        cached.state.insert(self.name.to_string(), value);
        Ok(())
    }
}

impl<T> Clone for StatePropertyAccessor<T> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            name: self.name.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> fmt::Debug for StatePropertyAccessor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatePropertyAccessor")
            .field("state", &self.state.name())
            .field("name", &self.name)
            .field("type", &std::any::type_name::<T>())
            .finish()
    }
}
