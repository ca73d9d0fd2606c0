//! User sign-in: the Bot Framework token service as a turn sees it.
//!
//! A bot that acts for its user (reads their calendar, files a ticket as them) needs the
//! user's token for one of the OAuth connections of its Azure Bot resource. The token service
//! keeps those tokens; [`UserTokenProvider`] is how a turn reaches it. Every adapter puts one
//! in the turn state of every turn, incoming and proactive (BotBuilder's `UserTokenClient` in
//! turn state): `botbuilder-connector`'s `CloudAdapter` the HTTP client of the configured
//! `OAuthUrl`, [`TestAdapter`](crate::testing::TestAdapter) an in-memory service,
//! [`TestUserTokens`](crate::testing::TestUserTokens).
//!
//! ```
//! use botbuilder_core::{bot_fn, testing::{TestAdapter, TestFlow}};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let adapter = TestAdapter::new();
//! adapter.user_tokens().add_user_token("graph", "test", "user1", "eyJ-token", None);
//! let bot = bot_fn(async |ctx| {
//!     let answer = match ctx.user_token("graph", None).await? {
//!         Some(_token) => "signed in",
//!         None => "not signed in",
//!     };
//!     ctx.send_activity(answer).await?;
//!     Ok(())
//! });
//! TestFlow::new(adapter, bot).test("hi", "signed in").await;
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use botbuilder_schema::{
    Activity, SignInResource, TokenExchangeRequest, TokenResponse, TokenStatus,
};

use crate::{Error, TurnContext};

/// The name of the invoke Teams sends when the user finished signing in through the card's
/// link (its value's `state` is the magic code).
pub const VERIFY_STATE_OPERATION: &str = "signin/verifyState";

/// The name of the invoke Teams sends with a single sign-on token to exchange
/// ([`TokenExchangeInvokeRequest`](botbuilder_schema::TokenExchangeInvokeRequest)).
pub const TOKEN_EXCHANGE_OPERATION: &str = "signin/tokenExchange";

/// The Bot Framework token service, as a turn uses it: a user's tokens for the OAuth
/// connections of the bot's Azure Bot resource, sign-in links, sign-out, and token exchange
/// (single sign-on). BotBuilder's `UserTokenClient`; the routes are in `docs/sign-in.md`.
///
/// Adapters put one in the turn state of every turn as an `Arc<dyn UserTokenProvider>`
/// ([`TurnContext::set_user_token_provider`]); bots reach it through
/// [`TurnContext::user_token_provider`], or more simply [`TurnContext::user_token`] and the
/// `SignIn` helper. Implementations never log tokens or magic
/// codes.
///
/// Every method fails with [`Error::UserToken`] when the service failed or refused.
#[async_trait]
pub trait UserTokenProvider: Send + Sync {
    /// The user's token for a connection, with the magic code the user typed if the channel
    /// showed one; `Ok(None)` when the user is not signed in.
    async fn get_user_token(
        &self,
        user_id: &str,
        connection_name: &str,
        channel_id: &str,
        magic_code: Option<&str>,
    ) -> Result<Option<TokenResponse>, Error>;

    /// The sign-in link and single sign-on resources of a connection for the user and
    /// conversation of `activity`; after sign-in the browser goes to `final_redirect` if
    /// given.
    async fn get_sign_in_resource(
        &self,
        connection_name: &str,
        activity: &Activity,
        final_redirect: Option<&str>,
    ) -> Result<SignInResource, Error>;

    /// Signs the user out of one connection, or of all when `connection_name` is `None`.
    async fn sign_out_user(
        &self,
        user_id: &str,
        connection_name: Option<&str>,
        channel_id: &str,
    ) -> Result<(), Error>;

    /// Whether the user has a token for each connection (or for the comma-separated
    /// connection names of `include_filter`).
    async fn get_token_status(
        &self,
        user_id: &str,
        channel_id: &str,
        include_filter: Option<&str>,
    ) -> Result<Vec<TokenStatus>, Error>;

    /// Microsoft Entra ID tokens of a connection for these resource URLs, by URL.
    async fn get_aad_tokens(
        &self,
        user_id: &str,
        connection_name: &str,
        resource_urls: &[String],
        channel_id: &str,
    ) -> Result<HashMap<String, TokenResponse>, Error>;

    /// Exchanges a token the client got by single sign-on for the connection's token. A
    /// refused exchange (for example because the user must consent first) is an error or a
    /// response with an empty token; callers treat both as "not exchanged".
    async fn exchange_token(
        &self,
        user_id: &str,
        connection_name: &str,
        channel_id: &str,
        request: &TokenExchangeRequest,
    ) -> Result<TokenResponse, Error>;
}

impl fmt::Debug for dyn UserTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserTokenProvider")
    }
}

/// The user and channel of a turn, as the token service names them.
pub(crate) fn user_and_channel(ctx: &TurnContext) -> Result<(&str, &str), Error> {
    let activity = ctx.activity();
    let user = activity
        .from
        .as_ref()
        .map(|f| f.id.as_str())
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Error::user_token("find the user", "the activity has no from.id"))?;
    let channel = activity
        .channel_id
        .as_ref()
        .map(|c| c.as_str())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::user_token("find the channel", "the activity has no channelId"))?;
    Ok((user, channel))
}

impl TurnContext {
    /// The token service of this turn, which the adapter put in the turn state; `None` when
    /// the adapter has none.
    #[must_use]
    pub fn user_token_provider(&self) -> Option<Arc<dyn UserTokenProvider>> {
        self.turn_state()
            .get::<Arc<dyn UserTokenProvider>>()
            .cloned()
    }

    /// Puts the token service in this turn's state (adapters call this for every turn;
    /// middleware may replace it). Returns the one it replaces.
    pub fn set_user_token_provider(
        &mut self,
        provider: Arc<dyn UserTokenProvider>,
    ) -> Option<Arc<dyn UserTokenProvider>> {
        self.turn_state_mut().insert(provider)
    }

    /// The token service of this turn, or an error saying there is none.
    ///
    /// # Errors
    /// [`Error::NotSupported`] when the adapter put no token service in the turn state.
    pub fn require_user_token_provider(&self) -> Result<Arc<dyn UserTokenProvider>, Error> {
        self.user_token_provider().ok_or(Error::NotSupported {
            operation: "user sign-in (the adapter put no token service in the turn state)",
        })
    }

    /// The token of the user of this turn for a connection (with the magic code the user
    /// typed, if any); `Ok(None)` when the user is not signed in. To sign them in, see
    /// [`SignIn`](crate::user_token::SignIn).
    ///
    /// # Errors
    /// [`Error::NotSupported`] without a token service; [`Error::UserToken`] when the
    /// activity has no user or channel, or the service failed.
    pub async fn user_token(
        &self,
        connection_name: &str,
        magic_code: Option<&str>,
    ) -> Result<Option<TokenResponse>, Error> {
        let provider = self.require_user_token_provider()?;
        let (user, channel) = user_and_channel(self)?;
        provider
            .get_user_token(user, connection_name, channel, magic_code)
            .await
    }

    /// Signs the user of this turn out of a connection, or of all when `connection_name` is
    /// `None`.
    ///
    /// # Errors
    /// As [`user_token`](Self::user_token).
    pub async fn sign_out_user(&self, connection_name: Option<&str>) -> Result<(), Error> {
        let provider = self.require_user_token_provider()?;
        let (user, channel) = user_and_channel(self)?;
        provider.sign_out_user(user, connection_name, channel).await
    }
}
