//! [`CloudAdapter`]: the HTTP adapter. It authenticates each request, runs the turn through
//! middleware and the bot, and delivers replies through the Bot Connector API; it also runs
//! proactive turns (`continue_conversation`, `create_conversation`).
//!
//! It is framework-independent: [`CloudAdapter::process`] takes the `Authorization` header
//! and the body bytes and returns an [`AdapterResponse`] (status, JSON body). The
//! [`hosting`](crate::hosting) module (feature `axum`) wraps it in an axum `Router`; any other
//! framework needs a dozen lines (see `docs/hosting.md`).

mod outbound;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use botbuilder_core::adapter::{ContinueLogic, TurnPipeline};
use botbuilder_core::error::report;
use botbuilder_core::user_token::UserTokenProvider;
use botbuilder_core::{
    Bot, BotAdapter, ConversationLocks, Error, Middleware, TurnContext, TurnErrorHandler,
};
use botbuilder_schema::{
    Activity, ActivityTypes, ConversationAccount, ConversationParameters, ConversationReference,
    ExpectedReplies, ResourceResponse, SchemaError,
};
use serde_json::{Value, json};
use tracing::Instrument;

use crate::auth::incoming::{
    ClaimsIdentity, IdentitySource, IncomingAuthSettings, RequestAuthenticator,
};
use crate::auth::{AccessToken, AppCredentials, OnBehalfOfRequest};
use crate::client::parse_service_url;
use crate::clock::{Clock, SystemClock};
use crate::config::{BotConfig, keys};
use crate::error::one_line;
use crate::{
    ConnectorClientFactory, ConnectorError, RetryPolicy, TrustedHosts, UserTokenClient,
    default_http_client,
};

pub use outbound::DeliveryTarget;
use outbound::Outbound;

/// What [`CloudAdapter::process`] answers: an HTTP status and an optional JSON body, for the
/// web framework to write.
///
/// | request | status | body |
/// |---|---|---|
/// | a normal turn | 200 | none |
/// | an `invoke` | the bot's `InvokeResponse` status, or 501 when it sent none | its body |
/// | `deliveryMode: expectReplies` | 200 | `{"activities": [...]}` (`ExpectedReplies`) |
/// | malformed JSON, or no `type`, `conversation.id`, `serviceUrl` or `channelId` | 400 | `{"error": {"code": "BadRequest", "message": ...}}` |
/// | authentication failed | 401 | `{"error": {"code": "Unauthorized", ...}}` |
/// | the turn failed (after `on_turn_error`) | 500 | `{"error": {"code": "InternalServerError", ...}}`, no details |
///
/// ```
/// use botbuilder_connector::adapter::AdapterResponse;
///
/// let r = AdapterResponse::error(400, "BadRequest", "the activity has no type");
/// assert_eq!(r.content_type(), Some("application/json; charset=utf-8"));
/// assert_eq!(r.body.as_ref().unwrap()["error"]["code"], "BadRequest");
/// assert_eq!(AdapterResponse::ok().body_bytes(), b"");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdapterResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

impl AdapterResponse {
    /// The content type of a JSON body.
    pub const JSON_CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    /// 200 without a body.
    #[must_use]
    pub fn ok() -> Self {
        Self {
            status: 200,
            body: None,
        }
    }

    /// A status with a JSON body.
    #[must_use]
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
        }
    }

    /// An error answer: `{"error": {"code": code, "message": message}}`, BotBuilder's
    /// `ErrorResponse` shape.
    #[must_use]
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self::json(
            status,
            json!({"error": {"code": code, "message": message.into()}}),
        )
    }

    /// `application/json; charset=utf-8` when there is a body.
    #[must_use]
    pub fn content_type(&self) -> Option<&'static str> {
        self.body.as_ref().map(|_| Self::JSON_CONTENT_TYPE)
    }

    /// The body as bytes (empty when there is none).
    #[must_use]
    pub fn body_bytes(&self) -> Vec<u8> {
        self.body
            .as_ref()
            .map(|b| serde_json::to_vec(b).unwrap_or_default())
            .unwrap_or_default()
    }
}

/// The Bot Framework HTTP adapter: authenticates requests, runs turns, delivers replies.
///
/// Build it once from a [`BotConfig`] and share it: it is a cheap-clone handle, and holds the
/// connector client factory (one connection pool, one token cache), the key caches of
/// incoming authentication, the trusted hosts and the middleware, so nothing expensive is
/// built per request.
///
/// - Incoming: [`process`](Self::process) (HTTP: header + body) or
///   [`process_authenticated`](Self::process_authenticated) (an already authenticated activity, for
///   in-process channels).
/// - Outgoing: replies go to the activity's service URL through the Bot Connector API with
///   the app's token (`replyToActivity` when the reply names `replyToId`, else
///   `sendToConversation`); trace activities only to the Emulator; in-process channels can take
///   a service URL's traffic with [`register_delivery_target`](Self::register_delivery_target).
/// - Proactive: [`continue_conversation`](botbuilder_core::BotAdapterExt::continue_conversation)
///   and [`create_conversation`](botbuilder_core::BotAdapterExt::create_conversation), returning
///   what their logic returns, authenticated exactly as replies.
/// - Turns run through a [`TurnPipeline`] fixed when the adapter is built
///   ([`CloudAdapterBuilder::middleware`], [`on_turn_error`](CloudAdapterBuilder::on_turn_error),
///   [`turn_ordering`](CloudAdapterBuilder::turn_ordering)); [`with_middleware`](Self::with_middleware)
///   makes a new adapter and leaves existing clones as they are.
///
/// ```no_run
/// use std::sync::Arc;
/// use botbuilder_connector::adapter::CloudAdapter;
/// use botbuilder_connector::config::BotConfig;
/// use botbuilder_core::{bot_fn, Bot};
///
/// # async fn demo(authorization: Option<&str>, body: &[u8]) -> Result<(), botbuilder_connector::ConnectorError> {
/// let adapter = CloudAdapter::new(&BotConfig::from_env()?)?;
/// let bot: Arc<dyn Bot> = Arc::new(bot_fn(async |ctx| {
///     let text = ctx.activity().text();
///     ctx.send_activity(format!("Echo: {text}")).await?;
///     Ok(())
/// }));
/// let response = adapter.process(authorization, body, bot.as_ref()).await;
/// println!("{} {:?}", response.status, response.body);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CloudAdapter {
    inner: Arc<Inner>,
    pipeline: TurnPipeline,
}

struct Inner {
    app_id: Option<String>,
    oauth_url: String,
    caller_id: Option<String>,
    /// `AllowAnonymousBeyondLoopback`.
    anonymous_beyond_loopback: bool,
    authenticator: RequestAuthenticator,
    outbound: Outbound,
    /// The token service of every turn (the client of `oauth_url` unless the builder was
    /// given another).
    user_tokens: Arc<dyn UserTokenProvider>,
}

impl fmt::Debug for CloudAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudAdapter")
            .field("app_id", &self.inner.app_id)
            .field("caller_id", &self.inner.caller_id)
            .field("authenticator", &self.inner.authenticator)
            .field("outbound", &self.inner.outbound)
            .field("pipeline", &self.pipeline)
            .finish_non_exhaustive()
    }
}

/// Builds a [`CloudAdapter`]; see [`CloudAdapter::builder`].
#[must_use]
pub struct CloudAdapterBuilder {
    config: BotConfig,
    http: Option<reqwest::Client>,
    clock: Option<Arc<dyn Clock>>,
    trusted: Option<TrustedHosts>,
    retry: Option<RetryPolicy>,
    throttle: Option<Duration>,
    credentials: Option<Arc<dyn AppCredentials>>,
    user_token_provider: Option<Arc<dyn UserTokenProvider>>,
    pipeline: TurnPipeline,
}

impl fmt::Debug for CloudAdapterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudAdapterBuilder")
            .field("config", &self.config)
            .field("retry", &self.retry)
            .field("throttle", &self.throttle)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl CloudAdapterBuilder {
    /// Uses this HTTP client for the connector, tokens and signing keys (one connection pool).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Takes time from this clock: token lifetimes, key refreshes, retries, delays.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Uses this trusted host set (the adapter adds the hosts of authenticated requests).
    pub fn trusted_hosts(mut self, trusted: TrustedHosts) -> Self {
        self.trusted = Some(trusted);
        self
    }

    /// Uses this retry policy for connector and token requests.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Spaces out sends into one conversation by at least `min_interval`.
    pub fn conversation_throttle(mut self, min_interval: Duration) -> Self {
        self.throttle = Some(min_interval);
        self
    }

    /// Whether turns of one conversation run one at a time, in arrival order: within this
    /// process (`true`, the default), across every instance of the bot sharing a store
    /// ([`TurnOrdering::Distributed`](botbuilder_core::TurnOrdering::Distributed)), or not
    /// at all (`false`); see [`TurnPipeline::with_turn_ordering`].
    ///
    /// ```no_run
    /// use botbuilder_connector::{BotConfig, CloudAdapter};
    /// use botbuilder_core::{Storage, TurnLeases, TurnOrdering};
    ///
    /// # fn build(store: &dyn Storage) -> Result<(), Box<dyn std::error::Error>> {
    /// // `store`: a RedisStorage or PostgresStorage every instance shares.
    /// let lock = store.conversation_lock().ok_or("this store cannot order turns")?;
    /// let adapter = CloudAdapter::builder(BotConfig::from_env()?)
    ///     .turn_ordering(TurnOrdering::Distributed(TurnLeases::from_arc(lock)))
    ///     .build()?;
    /// # let _ = adapter;
    /// # Ok(())
    /// # }
    /// ```
    pub fn turn_ordering(mut self, ordering: impl Into<botbuilder_core::TurnOrdering>) -> Self {
        self.pipeline = self.pipeline.with_turn_ordering(ordering);
        self
    }

    /// Adds a middleware to every turn (after those already added).
    pub fn middleware(mut self, middleware: impl Middleware + 'static) -> Self {
        self.pipeline = self.pipeline.with_middleware(middleware);
        self
    }

    /// Replaces the default turn-error handler
    /// ([`default_on_turn_error`](botbuilder_core::adapter::default_on_turn_error)).
    pub fn on_turn_error(mut self, handler: impl TurnErrorHandler + 'static) -> Self {
        self.pipeline = self.pipeline.with_on_turn_error(handler);
        self
    }

    /// Runs turns through this pipeline (middleware, turn-error handler, ordering), replacing
    /// what [`middleware`](Self::middleware), [`on_turn_error`](Self::on_turn_error) and
    /// [`turn_ordering`](Self::turn_ordering) set so far.
    pub fn pipeline(mut self, pipeline: TurnPipeline) -> Self {
        self.pipeline = pipeline;
        self
    }

    /// Sends these credentials instead of the ones the configuration describes (a
    /// certificate, a secret store). Their app id must be the configuration's.
    pub fn credentials(mut self, credentials: Arc<dyn AppCredentials>) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Puts this token service in the turn state of every turn instead of the
    /// [`UserTokenClient`] of the configured `OAuthUrl` (an in-process stand-in for local
    /// development, a decorator that caches tokens).
    pub fn user_token_provider(mut self, provider: Arc<dyn UserTokenProvider>) -> Self {
        self.user_token_provider = Some(provider);
        self
    }

    /// Builds the adapter: the credentials, the connector client factory and the
    /// authenticator, once.
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] for invalid settings (naming the key), or credentials whose
    /// app id is not the configuration's; [`ConnectorError::Transport`] if no HTTP client can
    /// be built.
    pub fn build(self) -> Result<CloudAdapter, ConnectorError> {
        let config = self.config;
        config.validate()?;
        let http = match self.http {
            Some(http) => http,
            None => default_http_client()?,
        };
        let clock: Arc<dyn Clock> = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let credentials = match self.credentials {
            Some(credentials) => {
                if credentials.app_id() != config.effective_app_id() {
                    return Err(ConnectorError::setting(
                        keys::MICROSOFT_APP_ID,
                        "is not the app id of the credentials given to the adapter",
                    ));
                }
                credentials
            }
            None => config.credentials_with(Some(http.clone()), Some(Arc::clone(&clock)))?,
        };
        let mut factory = ConnectorClientFactory::builder(credentials)
            .http_client(http.clone())
            .clock(Arc::clone(&clock));
        if let Some(trusted) = self.trusted {
            factory = factory.trusted_hosts(trusted);
        }
        if let Some(retry) = self.retry {
            factory = factory.retry_policy(retry);
        }
        if let Some(interval) = self.throttle {
            factory = factory.conversation_throttle(interval);
        }
        // An anonymous bot anyone on the network may reach relays to no arbitrary host.
        let anonymous_open = config.is_anonymous() && config.allow_anonymous_beyond_loopback;
        factory = factory.anonymous_trusted_hosts_only(anonymous_open);
        let factory = factory.build()?;
        // An `OAuthUrl` the operator set is trusted with the app token, as the cloud's is.
        if config
            .oauth_url
            .as_deref()
            .is_some_and(|u| !u.trim().is_empty())
        {
            factory
                .trusted_hosts()
                .allow(config.resolved_oauth_url())
                .map_err(|e| ConnectorError::setting(keys::OAUTH_URL, e.to_string()))?;
        }
        let user_tokens: Arc<dyn UserTokenProvider> = match self.user_token_provider {
            Some(provider) => provider,
            None => Arc::new(
                factory
                    .user_token_client(config.resolved_oauth_url())
                    .map_err(|e| ConnectorError::setting(keys::OAUTH_URL, e.to_string()))?,
            ),
        };
        let authenticator = RequestAuthenticator::with_parts(
            IncomingAuthSettings::from_config(&config),
            http,
            clock,
        )?;
        if config.is_anonymous() {
            tracing::info!(
                "no MicrosoftAppId: the bot is anonymous (requests need no token, replies carry none); set MicrosoftAppId and MicrosoftAppPassword before connecting a channel"
            );
        }
        Ok(CloudAdapter {
            inner: Arc::new(Inner {
                app_id: config.effective_app_id().map(str::to_owned),
                oauth_url: config.resolved_oauth_url().to_owned(),
                caller_id: config.resolved_caller_id().map(str::to_owned),
                anonymous_beyond_loopback: config.allow_anonymous_beyond_loopback,
                authenticator,
                outbound: Outbound::new(factory),
                user_tokens,
            }),
            pipeline: self.pipeline.with_bot_app_id(config.effective_app_id()),
        })
    }
}

impl CloudAdapter {
    /// An adapter for these settings, with the default HTTP client and the system clock.
    ///
    /// # Errors
    /// As [`CloudAdapterBuilder::build`].
    pub fn new(config: &BotConfig) -> Result<Self, ConnectorError> {
        Self::builder(config.clone()).build()
    }

    /// An adapter configured from the environment and a `.env` file
    /// ([`BotConfig::from_env`]).
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] naming the first bad setting.
    pub fn from_env() -> Result<Self, ConnectorError> {
        Self::new(&BotConfig::from_env()?)
    }

    /// A builder, to set the HTTP client, clock, trusted hosts, retry policy, throttle or
    /// credentials.
    pub fn builder(config: BotConfig) -> CloudAdapterBuilder {
        CloudAdapterBuilder {
            config,
            http: None,
            clock: None,
            trusted: None,
            retry: None,
            throttle: None,
            credentials: None,
            user_token_provider: None,
            pipeline: TurnPipeline::new(),
        }
    }

    /// This adapter with a middleware added to every turn (after those already added). It
    /// shares the connection pool, token cache and keys with `self`; `self` and its other
    /// clones keep their pipeline.
    #[must_use]
    pub fn with_middleware(mut self, middleware: impl Middleware + 'static) -> Self {
        self.pipeline = self.pipeline.with_middleware(middleware);
        self
    }

    /// This adapter with the default turn-error handler
    /// ([`default_on_turn_error`](botbuilder_core::adapter::default_on_turn_error)) replaced;
    /// see [`with_middleware`](Self::with_middleware).
    #[must_use]
    pub fn with_on_turn_error(mut self, handler: impl TurnErrorHandler + 'static) -> Self {
        self.pipeline = self.pipeline.with_on_turn_error(handler);
        self
    }

    /// The pipeline turns run through.
    #[must_use]
    pub fn pipeline(&self) -> &TurnPipeline {
        &self.pipeline
    }

    /// The bot's app id (`None` when anonymous).
    #[must_use]
    pub fn app_id(&self) -> Option<&str> {
        self.inner.app_id.as_deref()
    }

    /// Checks that the messaging endpoint may be served on `listen`: an anonymous adapter
    /// only on loopback, unless `AllowAnonymousBeyondLoopback=true` (see
    /// [`BotConfig::check_listen`]). [`hosting`](crate::hosting)'s routes refuse requests
    /// reaching an anonymous bot beyond loopback; call this at start-up to fail early.
    ///
    /// # Errors
    /// As [`BotConfig::check_listen`].
    pub fn check_listen(&self, listen: std::net::SocketAddr) -> Result<(), ConnectorError> {
        crate::config::check_anonymous_listen(
            self.inner.app_id.is_none(),
            self.inner.anonymous_beyond_loopback,
            listen,
        )
    }

    /// The connector client factory replies go through; use it for Bot Connector calls
    /// outside turns (members, conversations).
    #[must_use]
    pub fn connector_factory(&self) -> &ConnectorClientFactory {
        self.inner.outbound.factory()
    }

    /// A client of the Bot Framework token service (user sign-in) at the configured
    /// `OAuthUrl`, or the cloud's, sharing the connector's credentials, connection pool, retry
    /// policy and trusted hosts.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidUrl`] if the token service URL is not an http(s) URL.
    pub fn user_token_client(&self) -> Result<UserTokenClient, ConnectorError> {
        self.inner
            .outbound
            .factory()
            .user_token_client(&self.inner.oauth_url)
    }

    /// The token service every turn has in its turn state
    /// ([`TurnContext::user_token_provider`]): the [`UserTokenClient`] of the configured
    /// `OAuthUrl` (or the cloud's), unless the builder was given another.
    #[must_use]
    pub fn user_token_provider(&self) -> &Arc<dyn UserTokenProvider> {
        &self.inner.user_tokens
    }

    /// Exchanges a user's token for a token to a downstream API on the user's behalf, with
    /// the bot's credentials (see [`OnBehalfOfRequest`] and
    /// [`AppCredentials::on_behalf_of`]).
    ///
    /// ```no_run
    /// # async fn demo(adapter: botbuilder_connector::CloudAdapter, sso_token: String) -> Result<(), botbuilder_connector::ConnectorError> {
    /// use botbuilder_connector::auth::OnBehalfOfRequest;
    ///
    /// let request = OnBehalfOfRequest::new(sso_token, ["https://graph.microsoft.com/User.Read"])
    ///     .with_tenant_id("contoso.onmicrosoft.com");
    /// let graph = adapter.on_behalf_of(&request).await?;
    /// // call Graph with `Authorization: Bearer {graph.secret().expose()}`
    /// # let _ = graph;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`AppCredentials::on_behalf_of`].
    pub async fn on_behalf_of(
        &self,
        request: &OnBehalfOfRequest,
    ) -> Result<AccessToken, ConnectorError> {
        self.connector_factory()
            .credentials()
            .on_behalf_of(request)
            .await
    }

    /// The hosts the app token may be sent to; the adapter trusts the service URL hosts of
    /// authenticated requests, and more can be allowed here.
    #[must_use]
    pub fn trusted_hosts(&self) -> &TrustedHosts {
        self.inner.outbound.factory().trusted_hosts()
    }

    /// The incoming request authenticator.
    #[must_use]
    pub fn authenticator(&self) -> &RequestAuthenticator {
        &self.inner.authenticator
    }

    /// Sends the activities of a service URL to `target`, in process, instead of the Bot
    /// Connector API (see [`DeliveryTarget`]). Replaces a target registered before.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidUrl`] for a service URL that is not an http(s) URL.
    pub fn register_delivery_target(
        &self,
        service_url: &str,
        target: Arc<dyn DeliveryTarget>,
    ) -> Result<(), ConnectorError> {
        self.inner.outbound.register(service_url, target)
    }

    /// Stops sending a service URL's activities in process; returns the target it had.
    pub fn remove_delivery_target(&self, service_url: &str) -> Option<Arc<dyn DeliveryTarget>> {
        self.inner.outbound.unregister(service_url)
    }

    /// Handles one HTTP request to the bot's messaging endpoint: its `Authorization` header
    /// (`None` when absent) and body. See [`AdapterResponse`] for what it answers.
    ///
    /// Never panics on what the network sends; a panic in the bot is caught and becomes a 500
    /// (after `on_turn_error`). Dropping the future cancels the turn.
    pub async fn process(
        &self,
        authorization: Option<&str>,
        body: &[u8],
        bot: &dyn Bot,
    ) -> AdapterResponse {
        // Boxed: the activity (over 2 KB) is kept across the authentication; inline, it
        // would make this future (and every future it is part of) that much larger.
        let activity = match parse_activity(body, |url| self.is_known_service_url(url)) {
            Ok(activity) => Box::new(activity),
            Err(message) => {
                tracing::debug!(%message, "refused a malformed activity");
                return AdapterResponse::error(400, "BadRequest", message);
            }
        };
        // An anonymous bot checks nothing worth a span (only that no token came).
        let span = if self.inner.authenticator.is_anonymous() {
            tracing::Span::none()
        } else {
            tracing::info_span!(
                "botbuilder.authenticate",
                botbuilder.channel = activity.channel_id.as_ref().map_or("", |c| c.as_str()),
                otel.status_code = tracing::field::Empty,
            )
        };
        let identity = match self
            .inner
            .authenticator
            .authenticate(authorization, &activity)
            .instrument(span.clone())
            .await
        {
            Ok(identity) => identity,
            Err(error) => {
                span.record("otel.status_code", "ERROR");
                tracing::warn!(
                    error = %report(&error),
                    channel = activity.channel_id.as_ref().map_or("", |c| c.as_str()),
                    activity_type = %activity.activity_type,
                    "refused an unauthenticated request (401); no turn ran"
                );
                return AdapterResponse::error(
                    401,
                    "Unauthorized",
                    "the request is not authorized",
                );
            }
        };
        self.run_incoming(identity, activity, bot).await
    }

    /// Runs a turn for an activity whose sender is already authenticated (`identity`): for
    /// in-process channels, and what [`process`](Self::process) does after authentication.
    ///
    /// The activity's `callerId` is set from the configuration (`CallerId`, or the cloud's)
    /// for authenticated identities and cleared otherwise; for channel and Emulator
    /// identities, the host of its service URL becomes trusted for the app token. The identity
    /// is in the turn state (`ctx.turn_state().get::<ClaimsIdentity>()`), and so is the
    /// [`ConnectorClient`](crate::ConnectorClient) of its service URL unless an in-process
    /// target serves it.
    pub async fn process_authenticated(
        &self,
        identity: ClaimsIdentity,
        activity: Activity,
        bot: &dyn Bot,
    ) -> AdapterResponse {
        if let Err(message) = check_required(&activity, |url| self.is_known_service_url(url)) {
            return AdapterResponse::error(400, "BadRequest", message);
        }
        self.run_incoming(identity, Box::new(activity), bot).await
    }

    /// [`process_authenticated`](Self::process_authenticated) for an activity whose required fields
    /// were checked.
    ///
    /// Not an `async fn`: the activity is moved into the turn context before the future is
    /// made, so the future holds the context only, not a second reference to the activity.
    fn run_incoming<'a>(
        &'a self,
        identity: ClaimsIdentity,
        mut activity: Box<Activity>,
        bot: &'a dyn Bot,
    ) -> impl Future<Output = AdapterResponse> + Send + 'a {
        activity.caller_id = if identity.is_authenticated() {
            self.inner.caller_id.clone()
        } else {
            None
        };
        if matches!(
            identity.source(),
            IdentitySource::Channel | IdentitySource::Emulator
        ) && let Some(service_url) = activity.service_url.as_deref()
            && let Err(error) = self.trusted_hosts().trust(service_url)
        {
            tracing::warn!(error = %report(&error), "could not trust the service URL of an authenticated request");
        }
        let is_invoke = activity.activity_type == ActivityTypes::Invoke;
        let mut ctx = TurnContext::new(Arc::new(self.clone()), activity);
        ctx.turn_state_mut().insert(identity);
        let user_tokens = self.user_tokens_for(ctx.activity().service_url.as_deref());
        ctx.set_user_token_provider(user_tokens);
        self.insert_connector_client(&mut ctx);
        self.finish_incoming(ctx, is_invoke, bot)
    }

    /// Runs an incoming turn and makes the HTTP answer.
    async fn finish_incoming(
        &self,
        mut ctx: TurnContext,
        is_invoke: bool,
        bot: &dyn Bot,
    ) -> AdapterResponse {
        if let Err(error) = self.pipeline.run_turn(&mut ctx, bot).await {
            tracing::error!(error = %report(&error), "the turn failed; answering 500");
            return AdapterResponse::error(
                500,
                "InternalServerError",
                "the bot could not process the activity",
            );
        }
        if ctx.expects_replies() {
            let replies = ExpectedReplies {
                activities: ctx.take_buffered_replies(),
                ..ExpectedReplies::default()
            };
            return match serde_json::to_value(&replies) {
                Ok(body) => AdapterResponse::json(200, body),
                Err(error) => {
                    tracing::error!(%error, "could not write the expected replies");
                    AdapterResponse::error(
                        500,
                        "InternalServerError",
                        "the bot could not process the activity",
                    )
                }
            };
        }
        if is_invoke {
            return match ctx.invoke_response() {
                Some(response) => AdapterResponse {
                    status: response.status,
                    body: response.body,
                },
                None => AdapterResponse {
                    status: 501,
                    body: None,
                },
            };
        }
        AdapterResponse::ok()
    }

    /// Whether replies already went to this service URL, spelled this way: it was
    /// validated then, and need not be parsed again.
    fn is_known_service_url(&self, service_url: &str) -> bool {
        self.inner
            .outbound
            .factory()
            .is_known_service_url(service_url)
    }

    /// The locks that order turns per conversation, unless ordering was turned off.
    #[must_use]
    pub fn conversation_locks(&self) -> Option<&ConversationLocks> {
        self.pipeline.conversation_locks()
    }

    fn proactive_context(&self, reference: &ConversationReference) -> TurnContext {
        let mut ctx = TurnContext::proactive(Arc::new(self.clone()), reference);
        ctx.turn_state_mut()
            .insert(ClaimsIdentity::for_bot(self.app_id()));
        ctx.set_user_token_provider(self.user_tokens_for(reference.service_url.as_deref()));
        self.insert_connector_client(&mut ctx);
        ctx
    }

    /// The token service of a turn on `service_url`: the in-process delivery target's own,
    /// when it has one (the local Direct Line endpoint's sign-in page), else the adapter's.
    fn user_tokens_for(&self, service_url: Option<&str>) -> Arc<dyn UserTokenProvider> {
        service_url
            .and_then(|url| self.inner.outbound.target(url))
            .and_then(|target| target.user_token_provider())
            .unwrap_or_else(|| Arc::clone(&self.inner.user_tokens))
    }

    /// Puts the connector client of the turn's service URL into the turn state (as
    /// BotBuilder's CloudAdapter does), for components that call the channel's own APIs
    /// (`ctx.turn_state().get::<ConnectorClient>()`); not for in-process channels.
    fn insert_connector_client(&self, ctx: &mut TurnContext) {
        let client = ctx
            .activity()
            .service_url
            .as_deref()
            .and_then(|url| self.inner.outbound.connector_client(url));
        if let Some(client) = client {
            ctx.turn_state_mut().insert(client);
        }
    }
}

/// Reads the body as an activity, or says why it is not one.
///
/// `known` says whether a service URL is one already validated (it is not parsed again).
fn parse_activity(body: &[u8], known: impl Fn(&str) -> bool) -> Result<Activity, String> {
    let activity = Activity::from_json(body).map_err(|e| {
        // The schema error names line and column; its source says what was wrong.
        let detail = std::error::Error::source(&e)
            .map(ToString::to_string)
            .unwrap_or_else(|| e.to_string());
        format!("the body is not an activity: {}", one_line(&detail, 200))
    })?;
    check_required(&activity, known)?;
    Ok(activity)
}

/// The fields a turn needs: `type`, `conversation.id`, `serviceUrl` (an http(s) URL) and
/// `channelId`.
fn check_required(activity: &Activity, known: impl Fn(&str) -> bool) -> Result<(), String> {
    if activity.activity_type.as_str().trim().is_empty() {
        return Err("the activity has no type".into());
    }
    if activity.conversation_id().is_none() {
        return Err("the activity has no conversation.id".into());
    }
    let Some(service_url) = activity
        .service_url
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    else {
        return Err("the activity has no serviceUrl".into());
    };
    if !known(service_url) && parse_service_url(service_url).is_err() {
        return Err("the activity's serviceUrl is not an http(s) URL".into());
    }
    if activity
        .channel_id
        .as_ref()
        .is_none_or(|c| c.as_str().trim().is_empty())
    {
        return Err("the activity has no channelId".into());
    }
    Ok(())
}

#[async_trait]
impl BotAdapter for CloudAdapter {
    async fn send_activities(
        &self,
        ctx: &TurnContext,
        activities: Vec<Activity>,
    ) -> Result<Vec<ResourceResponse>, Error> {
        let mut activities = activities;
        let mut responses = Vec::with_capacity(activities.len());
        // By reference: moving each activity (over 2 KB) into the send would copy it into
        // this future, and make the future that large.
        for activity in &mut activities {
            activity.id = None;
            let response = self
                .inner
                .outbound
                .send(activity, |invoke| ctx.set_invoke_response(invoke))
                .await?;
            responses.push(response);
        }
        Ok(responses)
    }

    async fn update_activity(
        &self,
        _ctx: &TurnContext,
        activity: Activity,
    ) -> Result<ResourceResponse, Error> {
        self.inner.outbound.update(activity).await
    }

    async fn delete_activity(
        &self,
        _ctx: &TurnContext,
        reference: ConversationReference,
    ) -> Result<(), Error> {
        self.inner.outbound.delete(&reference).await
    }

    /// Runs `logic` in a proactive turn of the reference's conversation. Its sends are
    /// authenticated with the bot's app credentials, exactly as replies; the turn state holds
    /// a [`ClaimsIdentity`] of the bot ([`IdentitySource::Bot`]).
    async fn proactive_turn(
        &self,
        reference: ConversationReference,
        logic: ContinueLogic,
    ) -> Result<(), Error> {
        reference.validate()?;
        let mut ctx = self.proactive_context(&reference);
        self.pipeline.run_proactive(&mut ctx, logic).await
    }

    /// Creates a conversation through the Bot Connector API of the reference's service URL
    /// (`POST /v3/conversations` with `parameters`, whose `activity`, if any, the channel
    /// posts), then runs `logic` in a proactive turn in it.
    async fn create_conversation_turn(
        &self,
        reference: ConversationReference,
        parameters: ConversationParameters,
        logic: ContinueLogic,
    ) -> Result<(), Error> {
        const CONTEXT: &str = "in the conversation reference";
        if reference.channel_id.is_none() {
            return Err(Error::Schema(SchemaError::MissingField {
                field: "channelId",
                context: CONTEXT,
            }));
        }
        let service_url = reference
            .service_url
            .clone()
            .filter(|s| !s.trim().is_empty())
            .ok_or(Error::Schema(SchemaError::MissingField {
                field: "serviceUrl",
                context: CONTEXT,
            }))?;
        let created = self
            .inner
            .outbound
            .create_conversation(&service_url, &parameters)
            .await?;
        let mut conversation = ConversationAccount::new(created.id);
        conversation.is_group = parameters.is_group;
        conversation.tenant_id.clone_from(&parameters.tenant_id);
        let new_reference = ConversationReference {
            conversation: Some(conversation),
            activity_id: None,
            service_url: Some(created.service_url.unwrap_or(service_url)),
            bot: reference.bot.clone().or_else(|| parameters.bot.clone()),
            user: reference
                .user
                .clone()
                .or_else(|| parameters.members.as_ref().and_then(|m| m.first().cloned())),
            ..reference
        };
        let mut ctx = self.proactive_context(&new_reference);
        self.pipeline.run_proactive(&mut ctx, logic).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_fields() {
        let ok = br#"{"type":"message","conversation":{"id":"c"},"serviceUrl":"https://x.example/","channelId":"test"}"#;
        assert!(parse_activity(ok, |_| false).is_ok());
        assert!(parse_activity(ok, |url| url == "https://x.example/").is_ok());
        for (body, needle) in [
            (&br#"{"conversation":{"id":"c"}}"#[..], "not an activity"),
            (br#"{"type":"","conversation":{"id":"c"},"serviceUrl":"https://x/","channelId":"t"}"#, "no type"),
            (br#"{"type":"message","serviceUrl":"https://x/","channelId":"t"}"#, "conversation.id"),
            (br#"{"type":"message","conversation":{"id":""},"serviceUrl":"https://x/","channelId":"t"}"#, "conversation.id"),
            (br#"{"type":"message","conversation":{"id":"c"},"channelId":"t"}"#, "no serviceUrl"),
            (br#"{"type":"message","conversation":{"id":"c"},"serviceUrl":"javascript:alert(1)","channelId":"t"}"#, "not an http(s) URL"),
            (br#"{"type":"message","conversation":{"id":"c"},"serviceUrl":"https://x/"}"#, "channelId"),
            (b"{", "not an activity"),
            (b"", "not an activity"),
            (b"[1,2]", "not an activity"),
            (b"\xff\xfe", "not an activity"),
        ] {
            let message = parse_activity(body, |_| false).unwrap_err();
            assert!(message.contains(needle), "{message}");
        }
    }
}
