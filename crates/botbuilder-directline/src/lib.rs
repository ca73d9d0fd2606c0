//! A local Direct Line 3.0 endpoint and a built-in chat page: chat with a bot in a browser
//! tab, with no Azure registration, tunnel or Emulator. The facade re-exports this crate as
//! `botbuilder::directline` (feature `directline`, on by default).
//!
//! Direct Line is the protocol between a chat client (the Bot Framework Web Chat, or any page
//! using the `botframework-directlinejs` client) and a bot's channel. [`DirectLine`] speaks it
//! on the bot's own server, next to `/api/messages`, as an *in-process channel*: a client's
//! activity becomes a turn through the same [`CloudAdapter`], middleware and bot as any
//! channel's (`channelId` `webchat`), and the bot's replies, and its proactive messages
//! (`continue_conversation` with a stored reference), go straight into the conversation's
//! stream with no HTTP hop (the endpoint is the adapter's [`DeliveryTarget`] for its service
//! URL).
//!
//! | request | answer |
//! |---|---|
//! | `POST /v3/directline/conversations` | `201 {"conversationId", "token", "expires_in", "streamUrl"}`; the bot gets a `conversationUpdate` with `membersAdded` = [bot, user] |
//! | `GET /v3/directline/conversations/{id}/activities?watermark={w}` | `200 {"activities": [...], "watermark"}`: everything after `w`, the client's own messages included |
//! | `POST /v3/directline/conversations/{id}/activities` | `200 {"id"}` once the bot's turn has run; `502` when it failed |
//! | `GET /v3/directline/conversations/{id}/stream?watermark={w}&t={token}` | a WebSocket: one `{"activities", "watermark"}` text frame per batch, empty frames as keep-alives |
//! | `GET /v3/directline/conversations/{id}?watermark={w}` | a fresh token and `streamUrl` (to reconnect) |
//! | `POST /v3/directline/tokens/refresh` | `200 {"conversationId", "token", "expires_in"}` |
//! | `POST /v3/directline/tokens/generate` | a token for a new conversation (for a token server) |
//! | `OPTIONS` any of them | a CORS preflight answer; every answer, errors too, allows any origin |
//! | `GET /chat` | the built-in chat page: one HTML file, no external script, style or font |
//! | `GET`/`POST /signin` | with [local sign-in](DirectLineBuilder::local_sign_in) only: the page that signs a user in with a test token ([`LocalSignIn`]) |
//!
//! Errors: 401 without `Authorization`, 403 for a token that is expired, invalid or for
//! another conversation, 404 for an unknown (or expired) conversation, 400 for a body that is
//! not an activity, 429 when a conversation has too many turns waiting. A poll never answers
//! 5xx: the transcript is in memory.
//!
//! **Security.** On a loopback address the endpoint runs anonymously: any local page may
//! start a conversation (each still gets its own token, and a token opens only its own
//! conversation). Listening beyond loopback requires a Direct Line secret (`DirectLineSecret`
//! in the environment or `.env`, or [`DirectLineBuilder::secret`]): starting a conversation
//! then takes the secret, or a token that `tokens/generate` issued from it, and tokens are
//! signed with it. Conversations live in memory, bounded in number and length; idle ones
//! expire ([`DirectLineOptions`]).
//!
//! ```no_run
//! use std::sync::Arc;
//! use botbuilder_connector::adapter::CloudAdapter;
//! use botbuilder_directline::DirectLine;
//! use botbuilder_connector::hosting;
//! use botbuilder_core::{bot_fn, Bot};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let adapter = CloudAdapter::from_env()?;
//!     let bot: Arc<dyn Bot> = Arc::new(bot_fn(async move |ctx| {
//!         let text = ctx.activity().text().to_owned();
//!         ctx.send_activity(format!("Echo: {text}")).await?;
//!         Ok(())
//!     }));
//!     // A taken port fails here; an invalid Direct Line setting on the next line. Either
//!     // way the error is a `ConnectorError` and nothing is served.
//!     let server = hosting::Server::bind("127.0.0.1:3978").await?;
//!     let direct_line = DirectLine::from_env(adapter.clone(), bot.clone(), server.local_addr())?;
//!     if let Some(url) = direct_line.chat_url() {
//!         println!("Chat with the bot: {url}");
//!     }
//!     let app = hosting::router(adapter, bot).merge(direct_line.router());
//!     server.serve(app).await?;
//!     Ok(())
//! }
//! ```
//!
//! Or in one call, [`serve`]. The official Web Chat talks to the endpoint too: give it
//! `createDirectLine({ domain: "http://127.0.0.1:3978/v3/directline", token: "" })` (see
//! `docs/chat-in-browser.md`).

#![warn(clippy::unwrap_used)]

mod routes;
mod signin;
mod store;
mod token;
mod worker;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::http::StatusCode;
use botbuilder_core::Bot;
use botbuilder_core::user_token::UserTokenProvider;
use botbuilder_schema::RoleTypes;
use botbuilder_schema::{Activity, ActivityTypes, ChannelAccount, ChannelId, ResourceResponse};
use tokio::net::ToSocketAddrs;

use botbuilder_connector::adapter::{CloudAdapter, DeliveryTarget};
use botbuilder_connector::auth::Secret;
use botbuilder_connector::clock::{Clock, SystemClock};
use botbuilder_connector::{ConnectorError, hosting};

pub use signin::{LocalSignIn, LocalUser, SIGN_IN_PATH};
use store::{Limits, Missing, Store};
use token::Tokens;

/// Where the endpoint is mounted: clients are given `http://host:port/v3/directline` as their
/// Direct Line domain.
pub const DIRECT_LINE_PATH: &str = "/v3/directline";
/// Where the built-in chat page is served by default.
pub const CHAT_PATH: &str = "/chat";
/// The configuration key of the Direct Line secret (environment or `.env`).
pub const SECRET_KEY: &str = "DirectLineSecret";
/// The shortest secret accepted, in characters.
pub const MIN_SECRET_LEN: usize = 16;

/// The endpoint's limits and timings. Every field has a default; change some with struct
/// update syntax.
///
/// ```
/// use std::time::Duration;
/// use botbuilder_directline::DirectLineOptions;
///
/// let options = DirectLineOptions {
///     idle_timeout: Duration::from_secs(10 * 60),
///     chat_path: None, // no chat page, only the Direct Line API
///     ..DirectLineOptions::default()
/// };
/// assert_eq!(options.max_conversations, 1000);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DirectLineOptions {
    /// Where the chat page is served (default [`CHAT_PATH`]); `None` for no page.
    pub chat_path: Option<String>,
    /// How many conversations are kept (default 1000); starting one more forgets the least
    /// recently active.
    pub max_conversations: usize,
    /// How many activities a conversation keeps (default 500); older ones are dropped, and a
    /// client that asks from before them gets what is left.
    pub max_activities_per_conversation: usize,
    /// How many WebSocket streams may be open on one conversation (default 8); more get 429.
    pub max_streams_per_conversation: usize,
    /// How long a conversation lives without a client request and with no stream open
    /// (default 1 hour).
    pub idle_timeout: Duration,
    /// How long a token is valid (default 30 minutes; clients refresh every 15).
    pub token_lifetime: Duration,
    /// How often an open WebSocket stream gets an empty keep-alive frame (default 15 s).
    pub keep_alive: Duration,
    /// The largest activity a client may post, in bytes (default 256 KiB).
    pub body_limit: usize,
    /// The bot's account on the stream (`recipient` of client activities); default: the app
    /// id (or `bot` when anonymous), named `Bot`.
    pub bot_account: Option<ChannelAccount>,
}

impl Default for DirectLineOptions {
    fn default() -> Self {
        Self {
            chat_path: Some(CHAT_PATH.to_owned()),
            max_conversations: 1000,
            max_activities_per_conversation: 500,
            max_streams_per_conversation: 8,
            idle_timeout: Duration::from_secs(60 * 60),
            token_lifetime: Duration::from_secs(30 * 60),
            keep_alive: Duration::from_secs(15),
            body_limit: hosting::DEFAULT_BODY_LIMIT,
            bot_account: None,
        }
    }
}

/// A local Direct Line endpoint for one bot; see the [module docs](self).
///
/// Cheap to clone (a handle). Building it registers it on the adapter as the
/// [`DeliveryTarget`] of its [service URL](Self::service_url); [`router`](Self::router) gives
/// its routes, to merge with [`hosting::router`].
#[derive(Clone)]
pub struct DirectLine {
    shared: Arc<Shared>,
}

impl fmt::Debug for DirectLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectLine")
            .field("service_url", &self.shared.service_url)
            .field("anonymous", &!self.shared.tokens.has_secret())
            .field("conversations", &self.conversation_count())
            .finish_non_exhaustive()
    }
}

/// Builds a [`DirectLine`]; see [`DirectLine::builder`].
#[must_use]
pub struct DirectLineBuilder {
    adapter: CloudAdapter,
    bot: Arc<dyn Bot>,
    listen: SocketAddr,
    options: DirectLineOptions,
    secret: Option<Secret>,
    clock: Option<Arc<dyn Clock>>,
    local_sign_in: bool,
}

impl fmt::Debug for DirectLineBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectLineBuilder")
            .field("listen", &self.listen)
            .field("options", &self.options)
            .field("secret", &self.secret)
            .field("local_sign_in", &self.local_sign_in)
            .finish_non_exhaustive()
    }
}

impl DirectLineBuilder {
    /// Sets the limits and timings.
    pub fn options(mut self, options: DirectLineOptions) -> Self {
        self.options = options;
        self
    }

    /// Requires this secret to start conversations, and signs tokens with it (at least
    /// [`MIN_SECRET_LEN`] characters; required beyond loopback).
    pub fn secret(mut self, secret: impl Into<Secret>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// Takes the secret from `DirectLineSecret` in the process environment, or else a `.env`
    /// file (the current directory or a parent), when it is set and not empty.
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] when a `.env` file exists but cannot be read.
    pub fn secret_from_env(mut self) -> Result<Self, ConnectorError> {
        if let Some(secret) = secret_from_env()? {
            self.secret = Some(secret);
        }
        Ok(self)
    }

    /// Stands in for the Bot Framework token service in this endpoint's conversations, for
    /// development: the bot's sign-in cards link to a page on its own server that issues a
    /// magic code and a test token ([`LocalSignIn`]; `docs/sign-in.md`). Only on an anonymous
    /// endpoint on a loopback address, for a bot with no app id: [`build`](Self::build)
    /// refuses it anywhere else.
    pub fn local_sign_in(mut self) -> Self {
        self.local_sign_in = true;
        self
    }

    /// Takes time from this clock: token lifetimes, idle expiry, timestamps.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Builds the endpoint and registers it on the adapter for its service URL.
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] (key `DirectLineSecret`) when the address is not a loopback
    /// address and there is no secret, or the secret is too short;
    /// [`ConnectorError::InvalidArgument`] for a chat path that does not start with `/`, or
    /// for [local sign-in](Self::local_sign_in) beyond loopback, with a secret or for a bot
    /// with an app id.
    pub fn build(self) -> Result<DirectLine, ConnectorError> {
        if let Some(secret) = &self.secret
            && secret.expose().chars().count() < MIN_SECRET_LEN
        {
            return Err(ConnectorError::setting(
                SECRET_KEY,
                format!("must be at least {MIN_SECRET_LEN} characters long"),
            ));
        }
        botbuilder_connector::listen::require_beyond_loopback(
            self.listen,
            self.secret.is_some(),
            SECRET_KEY,
            "the Direct Line endpoint",
        )?;
        if let Some(path) = &self.options.chat_path
            && (!path.starts_with('/') || path.starts_with(DIRECT_LINE_PATH))
        {
            return Err(ConnectorError::invalid_argument(format!(
                "the chat page path `{path}` must start with `/` and lie outside {DIRECT_LINE_PATH}"
            )));
        }
        if self.local_sign_in
            && !local_sign_in_allowed(&self.adapter, self.listen, self.secret.is_some())
        {
            return Err(ConnectorError::invalid_argument(format!(
                "local sign-in is for development only: it needs an anonymous bot (no app id) \
                 and an anonymous Direct Line endpoint (no {SECRET_KEY}) on a loopback address"
            )));
        }
        let local = local_origin(self.listen);
        let clock: Arc<dyn Clock> = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let sign_in = self
            .local_sign_in
            .then(|| LocalSignIn::new(local.clone(), Arc::clone(&clock)));
        let service_url = format!("{local}{DIRECT_LINE_PATH}/");
        let bot_account = self.options.bot_account.clone().unwrap_or_else(|| {
            let mut bot =
                ChannelAccount::new(self.adapter.app_id().unwrap_or("bot")).with_name("Bot");
            bot.role = Some(RoleTypes::Bot);
            bot
        });
        let tokens = Tokens::new(self.secret, self.options.token_lifetime)?;
        let shared = Arc::new(Shared {
            adapter: self.adapter.clone(),
            bot: self.bot,
            clock,
            tokens,
            sign_in,
            service_url: service_url.clone(),
            local_origin: local,
            bot_account,
            store: Mutex::new(Store::new(Limits {
                max_conversations: self.options.max_conversations,
                max_activities: self.options.max_activities_per_conversation,
                idle_timeout: self.options.idle_timeout,
            })),
            options: self.options,
        });
        self.adapter
            .register_delivery_target(&service_url, Arc::new(Target(Arc::downgrade(&shared))))?;
        if shared.tokens.has_secret() {
            tracing::info!(%service_url, "Direct Line endpoint ready; starting a conversation takes the Direct Line secret");
        } else {
            tracing::info!(%service_url, "Direct Line endpoint ready, anonymous (loopback only)");
        }
        if shared.sign_in.is_some() {
            tracing::info!(
                page = %format!("{}{SIGN_IN_PATH}", shared.local_origin),
                "local sign-in is on: sign-in cards link to a page that issues test tokens"
            );
        }
        Ok(DirectLine { shared })
    }
    /// Builds the endpoint where it may be served: on a loopback address, or on any address
    /// with a secret. Beyond loopback without a secret it is `Ok(None)`: the bot serves its
    /// channels and no chat page ([`ChatPage::NeedsSecret`] says why).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use botbuilder_connector::{BotConfig, CloudAdapter};
    /// use botbuilder_directline::DirectLine;
    /// use botbuilder_core::{bot_fn, Bot};
    ///
    /// let adapter = CloudAdapter::new(&BotConfig::anonymous())?;
    /// let bot: Arc<dyn Bot> = Arc::new(bot_fn(async |_ctx| { Ok(()) }));
    /// let everywhere = "0.0.0.0:3978".parse()?;
    /// let none = DirectLine::builder(adapter.clone(), bot.clone(), everywhere).build_if_allowed()?;
    /// assert!(none.is_none());
    /// let some = DirectLine::builder(adapter, bot, everywhere)
    ///     .secret("a secret of 16 characters or more")
    ///     .build_if_allowed()?;
    /// assert!(some.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`build`](Self::build), but for the missing secret beyond loopback: a secret that is
    /// too short, or an invalid chat path.
    pub fn build_if_allowed(self) -> Result<Option<DirectLine>, ConnectorError> {
        if self.secret.is_none() && botbuilder_connector::listen::is_beyond_loopback(&self.listen) {
            return Ok(None);
        }
        self.build().map(Some)
    }
}

/// Local sign-in's rule: a bot with no app id, an endpoint with no secret, on loopback.
fn local_sign_in_allowed(adapter: &CloudAdapter, listen: SocketAddr, has_secret: bool) -> bool {
    !has_secret && listen.ip().is_loopback() && adapter.app_id().is_none()
}

fn secret_from_env() -> Result<Option<Secret>, ConnectorError> {
    if let Ok(value) = std::env::var(SECRET_KEY) {
        let value = value.trim();
        return Ok((!value.is_empty()).then(|| Secret::new(value)));
    }
    match dotenvy::dotenv_iter() {
        Ok(iter) => {
            for item in iter {
                let (key, value) = item
                    .map_err(|e| ConnectorError::setting(".env", format!("cannot be read: {e}")))?;
                if key.trim().eq_ignore_ascii_case(SECRET_KEY) {
                    let value = value.trim();
                    return Ok((!value.is_empty()).then(|| Secret::new(value)));
                }
            }
            Ok(None)
        }
        Err(e) if e.not_found() => Ok(None),
        Err(e) => Err(ConnectorError::setting(
            ".env",
            format!("cannot be read: {e}"),
        )),
    }
}

/// `http://127.0.0.1:3978` for a listen address (the loopback address of its family when it
/// listens on all interfaces).
fn local_origin(listen: SocketAddr) -> String {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, listen.port()))
}

impl DirectLine {
    /// A builder for an endpoint of `adapter` and `bot`, served on `listen` (the address the
    /// server is bound to: `listener.local_addr()?`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use botbuilder_connector::{BotConfig, CloudAdapter};
    /// use botbuilder_directline::{DirectLine, DirectLineOptions};
    /// use botbuilder_core::{bot_fn, Bot};
    ///
    /// let adapter = CloudAdapter::new(&BotConfig::anonymous())?;
    /// let bot: Arc<dyn Bot> = Arc::new(bot_fn(async |_ctx| { Ok(()) }));
    /// let direct_line = DirectLine::builder(adapter, bot, "127.0.0.1:3978".parse()?)
    ///     .options(DirectLineOptions { max_conversations: 50, ..DirectLineOptions::default() })
    ///     .build()?;
    /// assert_eq!(direct_line.service_url(), "http://127.0.0.1:3978/v3/directline/");
    /// assert_eq!(direct_line.chat_url().as_deref(), Some("http://127.0.0.1:3978/chat"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(
        adapter: CloudAdapter,
        bot: Arc<dyn Bot>,
        listen: SocketAddr,
    ) -> DirectLineBuilder {
        DirectLineBuilder {
            adapter,
            bot,
            listen,
            options: DirectLineOptions::default(),
            secret: None,
            clock: None,
            local_sign_in: false,
        }
    }

    /// An endpoint with the default options and the secret from `DirectLineSecret` (process
    /// environment, or `.env`), if set.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use botbuilder_connector::{BotConfig, CloudAdapter, ConnectorError};
    /// use botbuilder_directline::DirectLine;
    /// use botbuilder_core::{bot_fn, Bot};
    ///
    /// let adapter = CloudAdapter::new(&BotConfig::anonymous())?;
    /// let bot: Arc<dyn Bot> = Arc::new(bot_fn(async |_ctx| { Ok(()) }));
    /// // Beyond loopback, a secret is required.
    /// # if std::env::var("DirectLineSecret").is_err() {
    /// let error = DirectLine::from_env(adapter, bot, "0.0.0.0:3978".parse()?).unwrap_err();
    /// assert!(matches!(error, ConnectorError::Setting { key: "DirectLineSecret", .. }));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`DirectLineBuilder::secret_from_env`] and [`DirectLineBuilder::build`].
    pub fn from_env(
        adapter: CloudAdapter,
        bot: Arc<dyn Bot>,
        listen: SocketAddr,
    ) -> Result<Self, ConnectorError> {
        Self::builder(adapter, bot, listen)
            .secret_from_env()?
            .build()
    }

    /// [`from_env`](Self::from_env) where the endpoint may be served: on a loopback address, or
    /// with `DirectLineSecret` set; `Ok(None)` beyond loopback without a secret (see
    /// [`DirectLineBuilder::build_if_allowed`]). What a bot's `main` calls to serve the chat
    /// page when it can:
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # use botbuilder_connector::{CloudAdapter, hosting};
    /// # use botbuilder_core::Bot;
    /// # use botbuilder_directline::{ChatPage, DirectLine};
    /// # async fn demo(adapter: CloudAdapter, bot: Arc<dyn Bot>) -> Result<(), botbuilder_connector::ConnectorError> {
    /// let server = hosting::Server::bind("0.0.0.0:3978").await?;
    /// let mut app = hosting::router(adapter.clone(), bot.clone());
    /// let direct_line = DirectLine::from_env_if_allowed(adapter, bot, server.local_addr())?;
    /// if let Some(direct_line) = &direct_line {
    ///     app = app.merge(direct_line.router());
    /// }
    /// println!("chat page: {:?}", ChatPage::of(direct_line.as_ref()));
    /// server.serve(app).await
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env), but for the missing secret beyond loopback.
    pub fn from_env_if_allowed(
        adapter: CloudAdapter,
        bot: Arc<dyn Bot>,
        listen: SocketAddr,
    ) -> Result<Option<Self>, ConnectorError> {
        Self::builder(adapter, bot, listen)
            .secret_from_env()?
            .build_if_allowed()
    }

    /// Whether [local sign-in](DirectLineBuilder::local_sign_in) may run for `adapter`'s bot
    /// served on `listen`, with the Direct Line secret of the environment (as
    /// [`from_env`](Self::from_env) reads it): only for a bot with no app id, with no
    /// `DirectLineSecret`, on a loopback address. What a development `main` asks before it
    /// turns local sign-in on.
    ///
    /// ```
    /// use botbuilder_connector::{BotConfig, CloudAdapter};
    /// use botbuilder_directline::DirectLine;
    ///
    /// let anonymous = CloudAdapter::new(&BotConfig::anonymous())?;
    /// assert!(!DirectLine::local_sign_in_allowed(&anonymous, "0.0.0.0:3978".parse()?)?);
    /// let registered = CloudAdapter::new(&BotConfig::new("app-id", "password"))?;
    /// assert!(!DirectLine::local_sign_in_allowed(&registered, "127.0.0.1:3978".parse()?)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] when a `.env` file exists but cannot be read.
    pub fn local_sign_in_allowed(
        adapter: &CloudAdapter,
        listen: SocketAddr,
    ) -> Result<bool, ConnectorError> {
        let has_secret = secret_from_env()?.is_some();
        Ok(local_sign_in_allowed(adapter, listen, has_secret))
    }

    /// Whether and where the chat page is served, for a start banner.
    #[must_use]
    pub fn chat_page(&self) -> ChatPage {
        match self.chat_url() {
            Some(url) => ChatPage::Served {
                url,
                needs_secret: !self.is_anonymous(),
            },
            None => ChatPage::Disabled,
        }
    }

    /// The endpoint's routes (the Direct Line API under [`DIRECT_LINE_PATH`], with CORS, and
    /// the chat page), to merge with [`hosting::router`] into an app of any state `S`.
    pub fn router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        routes::router(Arc::clone(&self.shared))
    }

    /// The service URL on the activities the bot receives, under which the endpoint is
    /// registered on the adapter (`http://127.0.0.1:3978/v3/directline/`).
    #[must_use]
    pub fn service_url(&self) -> &str {
        &self.shared.service_url
    }

    /// The Direct Line domain to give a client on this machine
    /// (`http://127.0.0.1:3978/v3/directline`).
    #[must_use]
    pub fn endpoint_url(&self) -> String {
        format!("{}{DIRECT_LINE_PATH}", self.shared.local_origin)
    }

    /// The chat page's URL on this machine (`http://127.0.0.1:3978/chat`), unless the page is
    /// turned off.
    #[must_use]
    pub fn chat_url(&self) -> Option<String> {
        let path = self.shared.options.chat_path.as_deref()?;
        Some(format!("{}{path}", self.shared.local_origin))
    }

    /// The local sign-in stand-in, when it is on ([`DirectLineBuilder::local_sign_in`]): what
    /// a stand-in API checks test tokens with.
    #[must_use]
    pub fn local_sign_in(&self) -> Option<&LocalSignIn> {
        self.shared.sign_in.as_ref()
    }

    /// Whether conversations start without a secret (loopback, no secret configured).
    #[must_use]
    pub fn is_anonymous(&self) -> bool {
        !self.shared.tokens.has_secret()
    }

    /// How many conversations are kept now (expired ones are forgotten first).
    #[must_use]
    pub fn conversation_count(&self) -> usize {
        let now = self.shared.clock.now();
        let mut store = self.shared.store();
        store.sweep(now);
        store.len()
    }

    /// The activities a client of `conversation_id` would receive from the start, oldest
    /// first; `None` for an unknown or expired conversation. For tests and diagnostics.
    #[must_use]
    pub fn transcript(&self, conversation_id: &str) -> Option<Vec<Activity>> {
        let now = self.shared.clock.now();
        let mut store = self.shared.store();
        Some(store.get(conversation_id, now)?.after(None).0)
    }
}

/// Whether and where the chat page is served: what a start banner says about it.
///
/// ```
/// use botbuilder_directline::ChatPage;
///
/// // Beyond loopback without a secret, `from_env_if_allowed` gives no endpoint:
/// assert_eq!(ChatPage::of(None), ChatPage::NeedsSecret);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatPage {
    /// The page is served at `url` (on this machine: `http://127.0.0.1:3978/chat`).
    Served {
        /// The page's URL on this machine.
        url: String,
        /// Whether starting a conversation takes the Direct Line secret (the page asks for it).
        needs_secret: bool,
    },
    /// The endpoint is served without its page ([`DirectLineOptions::chat_path`] is `None`).
    Disabled,
    /// Not served: the server listens beyond loopback and no Direct Line secret is set.
    NeedsSecret,
}

impl ChatPage {
    /// The state of the page of an endpoint from [`DirectLine::from_env_if_allowed`] or
    /// [`DirectLineBuilder::build_if_allowed`]: `None` means it needed a secret.
    #[must_use]
    pub fn of(direct_line: Option<&DirectLine>) -> Self {
        direct_line.map_or(Self::NeedsSecret, DirectLine::chat_page)
    }
}

/// Binds `addr`, serves the bot's [`hosting::router`] and a [`DirectLine`] endpoint with its
/// chat page ([`DirectLine::from_env`]), logs the chat URL, and stops on ctrl-c or SIGTERM:
/// [`hosting::serve`] with the chat page. Both fail the same way: a part that cannot start
/// is an error and nothing is served.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use botbuilder_connector::CloudAdapter;
/// # use botbuilder_core::{bot_fn, Bot};
/// # async fn demo(bot: Arc<dyn Bot>) -> Result<(), botbuilder_connector::ConnectorError> {
/// // Then open http://127.0.0.1:3978/chat
/// botbuilder_directline::serve("127.0.0.1:3978", CloudAdapter::from_env()?, bot).await
/// # }
/// ```
///
/// # Errors
/// As [`hosting::Server::bind`] (the address cannot be bound) and [`DirectLine::from_env`]
/// (the Direct Line settings are invalid; the port is released before this returns).
pub async fn serve(
    addr: impl ToSocketAddrs,
    adapter: CloudAdapter,
    bot: Arc<dyn Bot>,
) -> Result<(), ConnectorError> {
    let server = hosting::Server::bind(addr).await?;
    let direct_line = DirectLine::from_env(adapter.clone(), Arc::clone(&bot), server.local_addr())?;
    if let Some(url) = direct_line.chat_url() {
        tracing::info!(%url, "chat with the bot in a browser");
    }
    server
        .serve(hosting::router(adapter, bot).merge(direct_line.router()))
        .await
}

/// What the routes and the delivery target share.
struct Shared {
    adapter: CloudAdapter,
    bot: Arc<dyn Bot>,
    options: DirectLineOptions,
    clock: Arc<dyn Clock>,
    tokens: Tokens,
    /// The token service stand-in, when local sign-in is on.
    sign_in: Option<LocalSignIn>,
    service_url: String,
    /// `http://127.0.0.1:3978`.
    local_origin: String,
    bot_account: ChannelAccount,
    store: Mutex<Store>,
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Fills what the channel sets on an outgoing activity the bot left empty.
    fn complete_outgoing(&self, activity: &mut Activity) {
        if activity.channel_id.is_none() {
            activity.channel_id = Some(ChannelId::Webchat);
        }
        if activity.service_url.is_none() {
            activity.service_url = Some(self.service_url.clone());
        }
        if activity.from.is_none() {
            activity.from = Some(self.bot_account.clone());
        }
    }

    fn deliver(&self, mut activity: Activity) -> Result<ResourceResponse, ConnectorError> {
        if activity.activity_type == ActivityTypes::Trace {
            return Ok(ResourceResponse::default());
        }
        let conversation = activity
            .conversation_id()
            .ok_or_else(|| not_found("the activity names no conversation"))?
            .to_owned();
        self.complete_outgoing(&mut activity);
        if let Some(sign_in) = &self.sign_in {
            sign_in.fill_links(&mut activity);
        }
        activity.id = None;
        let now = self.clock.now();
        let stored = self.store().append(&conversation, activity, now);
        match stored {
            Ok(stored) => Ok(ResourceResponse::new(stored.id.unwrap_or_default())),
            Err(missing) => Err(missing_error(missing)),
        }
    }

    fn replace(&self, mut activity: Activity) -> Result<ResourceResponse, ConnectorError> {
        let conversation = activity
            .conversation_id()
            .ok_or_else(|| not_found("the activity names no conversation"))?
            .to_owned();
        self.complete_outgoing(&mut activity);
        let now = self.clock.now();
        let replaced = self.store().replace(&conversation, activity, now);
        replaced.map(ResourceResponse::new).map_err(missing_error)
    }
}

fn not_found(message: &str) -> ConnectorError {
    ConnectorError::Service {
        status: StatusCode::NOT_FOUND,
        code: Some("NotFound".into()),
        message: Some(message.to_owned()),
        retry_after: None,
    }
}

fn missing_error(missing: Missing) -> ConnectorError {
    match missing {
        Missing::Conversation => not_found(
            "no such conversation on the local Direct Line endpoint (unknown, or expired)",
        ),
        Missing::Activity => not_found("no such activity in the conversation"),
    }
}

/// The adapter's way into the endpoint: holds it weakly, so dropping every [`DirectLine`]
/// handle (and router) frees it.
struct Target(Weak<Shared>);

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DirectLineTarget")
    }
}

impl Target {
    fn endpoint(&self) -> Result<Arc<Shared>, ConnectorError> {
        self.0
            .upgrade()
            .ok_or_else(|| not_found("the local Direct Line endpoint has stopped"))
    }
}

#[async_trait]
impl DeliveryTarget for Target {
    async fn send_activity(&self, activity: Activity) -> Result<ResourceResponse, ConnectorError> {
        self.endpoint()?.deliver(activity)
    }

    async fn update_activity(
        &self,
        activity: Activity,
    ) -> Result<ResourceResponse, ConnectorError> {
        self.endpoint()?.replace(activity)
    }

    async fn delete_activity(
        &self,
        conversation_id: &str,
        activity_id: &str,
    ) -> Result<(), ConnectorError> {
        let endpoint = self.endpoint()?;
        let now = endpoint.clock.now();
        let removed = endpoint.store().remove(conversation_id, activity_id, now);
        removed.map_err(missing_error)
    }

    fn user_token_provider(&self) -> Option<Arc<dyn UserTokenProvider>> {
        let endpoint = self.0.upgrade()?;
        let sign_in = endpoint.sign_in.clone()?;
        Some(Arc::new(sign_in))
    }
}
