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
    ActionTypes, Activity, ActivityTypes, Attachment, CardAction, ChannelId, InputHints,
    InvokeResponse, OAuthCard, SignInResource, SigninCard, TokenExchangeInvokeRequest,
    TokenExchangeInvokeResponse, TokenExchangeRequest, TokenResponse, TokenStatus,
};
use serde_json::Value;

use crate::{Error, TurnContext};

/// The name of the invoke Teams sends when the user finished signing in through the card's
/// link (its value's `state` is the magic code).
pub const VERIFY_STATE_OPERATION: &str = "signin/verifyState";

/// The name of the invoke Teams sends with a single sign-on token to exchange
/// ([`TokenExchangeInvokeRequest`]).
pub const TOKEN_EXCHANGE_OPERATION: &str = "signin/tokenExchange";

/// The Bot Framework token service, as a turn uses it: a user's tokens for the OAuth
/// connections of the bot's Azure Bot resource, sign-in links, sign-out, and token exchange
/// (single sign-on). BotBuilder's `UserTokenClient`; the routes are in `docs/sign-in.md`.
///
/// Adapters put one in the turn state of every turn as an `Arc<dyn UserTokenProvider>`
/// ([`TurnContext::set_user_token_provider`]); bots reach it through
/// [`TurnContext::user_token_provider`], or more simply [`TurnContext::user_token`] and the
/// [`SignIn`] helper. Implementations never log tokens or magic
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

/// What a `signin/tokenExchange` answer says when the exchange failed (BotBuilder's words):
/// with status 412, Teams then shows the sign-in card instead.
pub const TOKEN_EXCHANGE_FAILED_DETAIL: &str =
    "The bot is unable to exchange token. Proceed with regular login.";

/// Signing the user in to one OAuth connection: the card that asks them, and reading what
/// comes back (a magic code, the `tokens/response` event, Teams' `signin/verifyState` and
/// `signin/tokenExchange` invokes). BotBuilder's `OAuthPromptSettings` with the prompt's
/// logic, usable without dialogs; `botbuilder-dialogs`' `OAuthPrompt` is built on it.
///
/// In a plain handler, [`get_or_request`](Self::get_or_request) on every turn that needs the
/// token: it returns the token when the user is (or just got) signed in, and otherwise sends
/// the card and returns `None`:
///
/// ```
/// use botbuilder_core::{bot_fn, testing::{TestAdapter, TestFlow}};
/// use botbuilder_core::user_token::SignIn;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let adapter = TestAdapter::new();
/// adapter.user_tokens().add_user_token("graph", "test", "user1", "eyJ-token", Some("123456"));
/// let bot = bot_fn(async |ctx| {
///     let sign_in = SignIn::new("graph").with_text("Please sign in to read your calendar.");
///     if let Some(_token) = sign_in.get_or_request(ctx).await? {
///         ctx.send_activity("You are signed in.").await?;
///     }
///     Ok(())
/// });
/// TestFlow::new(adapter, bot)
///     .send("calendar")
///     .assert_reply_that("an OAuth card", |a| {
///         a.attachments().first().is_some_and(|c| c.content_type == "application/vnd.microsoft.card.oauth")
///     })
///     .test("my code is 123456", "You are signed in.")
///     .await;
/// # }
/// ```
///
/// Which card goes to which channel, as BotBuilder decides: an [`OAuthCard`] (with the
/// sign-in resource's `tokenExchangeResource`, so Teams can sign the user in silently by
/// single sign-on) on every channel but Skype, Skype for Business and Cortana, which get a
/// [`SigninCard`] with the link. The OAuth card's button carries the sign-in link only on
/// Teams (or when [`with_show_sign_in_link(true)`](Self::with_show_sign_in_link)); elsewhere
/// the channel (Web Chat, Direct Line, the Emulator) fills the link in itself.
///
/// [`OAuthCard`]: botbuilder_schema::OAuthCard
/// [`SigninCard`]: botbuilder_schema::SigninCard
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignIn {
    connection_name: String,
    title: String,
    text: Option<String>,
    show_sign_in_link: Option<bool>,
}

impl SignIn {
    /// Signing in to this OAuth connection (its name in the Azure Bot resource), with a
    /// `Sign in` button.
    #[must_use]
    pub fn new(connection_name: impl Into<String>) -> Self {
        Self {
            connection_name: connection_name.into(),
            title: "Sign in".to_owned(),
            text: None,
            show_sign_in_link: None,
        }
    }

    /// Sets the title of the card's button.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the text of the card.
    #[must_use]
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Whether the OAuth card's button carries the sign-in link: by default only on Teams
    /// (other channels put it in themselves).
    #[must_use]
    pub fn with_show_sign_in_link(mut self, show: bool) -> Self {
        self.show_sign_in_link = Some(show);
        self
    }

    /// The OAuth connection's name.
    #[must_use]
    pub fn connection_name(&self) -> &str {
        &self.connection_name
    }

    /// The title of the card's button.
    #[must_use]
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The text of the card.
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// The token of the turn's user for this connection (with a magic code, if given);
    /// `None` when not signed in.
    ///
    /// # Errors
    /// As [`TurnContext::user_token`].
    pub async fn get_user_token(
        &self,
        ctx: &TurnContext,
        magic_code: Option<&str>,
    ) -> Result<Option<TokenResponse>, Error> {
        ctx.user_token(&self.connection_name, magic_code).await
    }

    /// Signs the turn's user out of this connection.
    ///
    /// # Errors
    /// As [`TurnContext::sign_out_user`].
    pub async fn sign_out(&self, ctx: &TurnContext) -> Result<(), Error> {
        ctx.sign_out_user(Some(&self.connection_name)).await
    }

    /// The token if the user is signed in or this turn signs them in (see
    /// [`recognize`](Self::recognize)); otherwise sends the sign-in card and returns `None`.
    /// An invoke this turn answered (a failed verification or exchange) sends no card: the
    /// channel shows its own.
    ///
    /// # Errors
    /// As [`recognize`](Self::recognize) and [`send_card`](Self::send_card).
    pub async fn get_or_request(&self, ctx: &TurnContext) -> Result<Option<TokenResponse>, Error> {
        if let Some(token) = self.recognize(ctx).await? {
            return Ok(Some(token));
        }
        if ctx.invoke_response().is_some() {
            return Ok(None);
        }
        if let Some(token) = self.get_user_token(ctx, None).await? {
            return Ok(Some(token));
        }
        self.send_card(ctx, None).await?;
        Ok(None)
    }

    /// Sends the sign-in card for this turn's channel, added to `prompt` (or to an empty
    /// message), with `inputHint` `expectingInput` unless the prompt sets one.
    ///
    /// # Errors
    /// [`Error::NotSupported`] without a token service; [`Error::UserToken`] when the
    /// sign-in resource could not be had; the send's error.
    pub async fn send_card(
        &self,
        ctx: &TurnContext,
        prompt: Option<Activity>,
    ) -> Result<(), Error> {
        let mut prompt = prompt.unwrap_or_else(|| Activity::message(""));
        if prompt.text.as_deref() == Some("") {
            prompt.text = None;
        }
        prompt
            .attachments
            .get_or_insert_with(Vec::new)
            .push(self.card(ctx).await?);
        if prompt.input_hint.is_none() {
            prompt.input_hint = Some(InputHints::ExpectingInput);
        }
        ctx.send_activity(prompt).await?;
        Ok(())
    }

    /// The sign-in card for this turn's channel (see the type's documentation), with the
    /// sign-in resource the token service gives for this turn's activity.
    ///
    /// # Errors
    /// As [`send_card`](Self::send_card).
    pub async fn card(&self, ctx: &TurnContext) -> Result<Attachment, Error> {
        let provider = ctx.require_user_token_provider()?;
        let resource = provider
            .get_sign_in_resource(&self.connection_name, ctx.activity(), None)
            .await?;
        let channel = ctx.activity().channel_id.as_ref();
        if !channel.is_none_or(supports_oauth_card) {
            let mut card = SigninCard {
                text: self.text.clone(),
                ..SigninCard::default()
            };
            card.buttons = Some(vec![CardAction {
                action_type: Some(ActionTypes::Signin),
                title: Some(self.title.clone()),
                value: resource.sign_in_link.map(Value::String),
                ..CardAction::default()
            }]);
            return Ok(card.into_attachment());
        }
        let show_link = self
            .show_sign_in_link
            .unwrap_or_else(|| channel.is_some_and(|c| *c == ChannelId::Msteams));
        let card = OAuthCard {
            text: self.text.clone(),
            connection_name: self.connection_name.clone(),
            token_exchange_resource: resource.token_exchange_resource,
            token_post_resource: resource.token_post_resource,
            buttons: Some(vec![CardAction {
                action_type: Some(ActionTypes::Signin),
                title: Some(self.title.clone()),
                text: self.text.clone(),
                value: resource
                    .sign_in_link
                    .filter(|_| show_link)
                    .map(Value::String),
                ..CardAction::default()
            }]),
            ..OAuthCard::default()
        };
        Ok(card.into_attachment())
    }

    /// Reads a token from this turn, as BotBuilder's `OAuthPrompt` does:
    ///
    /// | the activity | what happens |
    /// |---|---|
    /// | event `tokens/response` | its value is the token |
    /// | invoke `signin/verifyState` | its `state` is a magic code: the token service's token for it; answered 200, 404 (no token) or 500 (the service failed) |
    /// | invoke `signin/tokenExchange` | the single sign-on token is exchanged: answered 200 with `{id, connectionName}`; 412 with a failure detail when the exchange failed (Teams then shows the card); 400 when the value is missing or names another connection |
    /// | message with six digits in a row | the first six are a magic code: the token service's token for it |
    ///
    /// `None` for anything else, or when no token came of it.
    ///
    /// # Errors
    /// [`Error::NotSupported`] without a token service; [`Error::UserToken`] when the service
    /// failed on a magic code in a message (invokes are answered instead); the send's error.
    pub async fn recognize(&self, ctx: &TurnContext) -> Result<Option<TokenResponse>, Error> {
        let activity = ctx.activity();
        let name = activity.name.as_deref();
        match activity.activity_type {
            ActivityTypes::Event if name == Some(crate::TOKEN_RESPONSE_EVENT) => {
                let token = activity
                    .value
                    .clone()
                    .and_then(|v| serde_json::from_value::<TokenResponse>(v).ok())
                    .filter(|t| !t.token.is_empty());
                if token.is_none() {
                    tracing::debug!("a tokens/response event without a token");
                }
                Ok(token)
            }
            ActivityTypes::Invoke if name == Some(VERIFY_STATE_OPERATION) => {
                self.verify_state(ctx).await
            }
            ActivityTypes::Invoke if name == Some(TOKEN_EXCHANGE_OPERATION) => {
                self.exchange(ctx).await
            }
            ActivityTypes::Message => match magic_code(activity.text()) {
                Some(code) => self.get_user_token(ctx, Some(code)).await,
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }

    async fn verify_state(&self, ctx: &TurnContext) -> Result<Option<TokenResponse>, Error> {
        let code = ctx
            .activity()
            .value
            .as_ref()
            .and_then(|v| v.get("state"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        match self.get_user_token(ctx, code.as_deref()).await {
            Ok(Some(token)) => {
                ctx.set_invoke_response(InvokeResponse::new(200, None));
                Ok(Some(token))
            }
            Ok(None) => {
                ctx.set_invoke_response(InvokeResponse::new(404, None));
                Ok(None)
            }
            Err(error) => {
                tracing::warn!(error = %crate::error::report(&error), "signin/verifyState: the token service failed");
                ctx.set_invoke_response(InvokeResponse::new(500, None));
                Ok(None)
            }
        }
    }

    async fn exchange(&self, ctx: &TurnContext) -> Result<Option<TokenResponse>, Error> {
        let request = ctx
            .activity()
            .value
            .clone()
            .and_then(|v| serde_json::from_value::<TokenExchangeInvokeRequest>(v).ok())
            .filter(|r| !r.token.is_empty());
        let Some(request) = request else {
            answer_exchange(
                ctx,
                400,
                TokenExchangeInvokeResponse::new("", &self.connection_name).with_failure_detail(
                    "The bot received an InvokeActivity that is missing a \
                     TokenExchangeInvokeRequest value. This is required to be sent with the \
                     InvokeActivity.",
                ),
            );
            return Ok(None);
        };
        if request.connection_name != self.connection_name {
            answer_exchange(
                ctx,
                400,
                TokenExchangeInvokeResponse::new(&request.id, &self.connection_name)
                    .with_failure_detail(
                        "The bot received an InvokeActivity with a TokenExchangeInvokeRequest \
                         containing a ConnectionName that does not match the ConnectionName \
                         expected by the bot's active OAuthPrompt. Ensure these names match \
                         when sending the InvokeActivity.",
                    ),
            );
            return Ok(None);
        }
        match exchange_sso_token(ctx, &self.connection_name, &request).await {
            Some(token) => {
                answer_exchange(
                    ctx,
                    200,
                    TokenExchangeInvokeResponse::new(&request.id, &self.connection_name),
                );
                Ok(Some(token))
            }
            None => {
                answer_exchange(
                    ctx,
                    412,
                    TokenExchangeInvokeResponse::new(&request.id, &self.connection_name)
                        .with_failure_detail(TOKEN_EXCHANGE_FAILED_DETAIL),
                );
                Ok(None)
            }
        }
    }
}

/// Exchanges the token of a `signin/tokenExchange` request through the turn's token
/// service; `None` when it could not be exchanged (no service, the service refused or failed,
/// or an empty token), which is logged without the token.
pub(crate) async fn exchange_sso_token(
    ctx: &TurnContext,
    connection_name: &str,
    request: &TokenExchangeInvokeRequest,
) -> Option<TokenResponse> {
    let attempt = async {
        let provider = ctx.require_user_token_provider()?;
        let (user, channel) = user_and_channel(ctx)?;
        let exchanged = provider
            .exchange_token(
                user,
                connection_name,
                channel,
                &TokenExchangeRequest::with_token(request.token.clone()),
            )
            .await?;
        Ok::<_, Error>(TokenResponse {
            channel_id: ctx.activity().channel_id.clone(),
            connection_name: connection_name.to_owned(),
            ..exchanged
        })
    };
    match attempt.await {
        Ok(token) if !token.token.is_empty() => Some(token),
        Ok(_) => {
            tracing::info!(connection_name, "the token service exchanged no token");
            None
        }
        Err(error) => {
            tracing::info!(connection_name, error = %crate::error::report(&error), "the token exchange failed");
            None
        }
    }
}

/// Sets the invoke response of a `signin/tokenExchange`.
pub(crate) fn answer_exchange(ctx: &TurnContext, status: u16, body: TokenExchangeInvokeResponse) {
    let body = serde_json::to_value(body).ok();
    ctx.set_invoke_response(InvokeResponse::new(status, body));
}

/// Whether BotBuilder sends an OAuth card (rather than a sign-in card) on this channel.
fn supports_oauth_card(channel: &ChannelId) -> bool {
    !matches!(
        channel,
        ChannelId::Skype | ChannelId::SkypeForBusiness | ChannelId::Cortana
    )
}

/// The first six ASCII digits in a row in `text`, as BotBuilder's `(\d{6})` finds them.
fn magic_code(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut run = 0;
    for (i, b) in bytes.iter().enumerate() {
        if b.is_ascii_digit() {
            run += 1;
            if run == 6 {
                return text.get(i + 1 - 6..=i);
            }
        } else {
            run = 0;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_codes_are_six_digits_in_a_row() {
        assert_eq!(magic_code("123456"), Some("123456"));
        assert_eq!(magic_code("code: 654321."), Some("654321"));
        assert_eq!(magic_code("12345"), None);
        assert_eq!(magic_code("123 456"), None);
        assert_eq!(magic_code("12345678"), Some("123456"));
        assert_eq!(magic_code("é123456"), Some("123456"));
        assert_eq!(magic_code(""), None);
    }

    #[test]
    fn oauth_cards_everywhere_but_skype_and_cortana() {
        assert!(supports_oauth_card(&ChannelId::Msteams));
        assert!(supports_oauth_card(&ChannelId::Webchat));
        assert!(supports_oauth_card(&ChannelId::Emulator));
        assert!(!supports_oauth_card(&ChannelId::Skype));
        assert!(!supports_oauth_card(&ChannelId::Cortana));
    }
}
