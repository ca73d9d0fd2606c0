//! axum hosting (feature `axum`, on by default): the bot's routes as a [`Router<S>`] to merge
//! into your own app (whatever its state), [`AdapterResponse`] as an axum response for your
//! own handlers, and [`Server`], which binds, serves and shuts down gracefully.
//!
//! | request | answer |
//! |---|---|
//! | `POST /api/messages` with a JSON activity | what [`CloudAdapter::process`] answers |
//! | a body over the limit (default 256 KiB) | 413 |
//! | a body not received within the body timeout (default 20 s) | 408 |
//! | a `Content-Type` other than JSON | 415 |
//! | another method on `/api/messages` | 405 |
//! | another path | 404 |
//! | `GET /healthz`, when [`health_route`] is merged (opt-in) | 200 `{"status":"ok"}` |
//!
//! Error answers have BotBuilder's JSON shape `{"error": {"code": ..., "message": ...}}`.
//!
//! [`Server`] (and [`serve`], which uses it) also bounds what a slow or idle client can hold:
//! a connection whose request headers have not all arrived within the header timeout
//! (default 20 s) is closed. On shutdown it stops accepting connections at once, lets
//! requests in flight finish for up to a grace period (default 25 s), then closes what is
//! left.
//!
//! In one call:
//!
//! ```no_run
//! use std::sync::Arc;
//! use botbuilder_connector::adapter::CloudAdapter;
//! use botbuilder_connector::hosting;
//! use botbuilder_core::{bot_fn, Bot};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), botbuilder_connector::ConnectorError> {
//!     let adapter = CloudAdapter::from_env()?;
//!     let bot: Arc<dyn Bot> = Arc::new(bot_fn(async move |ctx| {
//!         let text = ctx.activity().text().to_owned();
//!         ctx.send_activity(format!("Echo: {text}")).await?;
//!         Ok(())
//!     }));
//!     // Or merge `hosting::router(adapter, bot)` into your own axum Router.
//!     hosting::serve("0.0.0.0:3978", adapter, bot).await
//! }
//! ```
//!
//! Step by step, with routes of your own (and their own state) and the health route:
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::extract::State;
//! use axum::routing::get;
//! use botbuilder_connector::adapter::CloudAdapter;
//! use botbuilder_connector::hosting::{self, Server};
//! use botbuilder_core::{async_trait, ActivityHandler, Bot};
//!
//! struct MyBot;
//!
//! #[async_trait]
//! impl ActivityHandler for MyBot {}
//!
//! #[derive(Clone)]
//! struct Site {
//!     name: &'static str,
//! }
//!
//! async fn home(State(site): State<Site>) -> String {
//!     format!("welcome to {}", site.name)
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), botbuilder_connector::ConnectorError> {
//!     let adapter = CloudAdapter::from_env()?;
//!     let bot: Arc<dyn Bot> = Arc::new(MyBot);
//!     // Fails with `ConnectorError::Transport` ("cannot listen on 0.0.0.0:3978: ...") when
//!     // the port is taken; nothing is served then.
//!     let server = Server::bind("0.0.0.0:3978").await?;
//!     let app = axum::Router::new()
//!         .route("/", get(home))
//!         .merge(hosting::router(adapter, bot))
//!         .merge(hosting::health_route())
//!         .with_state(Site { name: "contoso" });
//!     server.serve(app).await // until ctrl-c or SIGTERM
//! }
//! ```
//!
//! The local Direct Line endpoint and chat page (crate `botbuilder-directline`) are served the
//! same way: bind the [`Server`], build the endpoint for [`Server::local_addr`], merge its
//! router, serve.

use botbuilder_core::error::report;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use botbuilder_core::Bot;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::ConnectorError;
use crate::adapter::{AdapterResponse, CloudAdapter};

/// The path of the messaging endpoint, as the Azure Bot registration expects by default.
pub const MESSAGES_PATH: &str = "/api/messages";
/// The path of [`health_route`].
pub const HEALTH_PATH: &str = "/healthz";
/// The default limit on request bodies: 256 KiB (activities are small; attachments are
/// links).
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;
/// The default time a client has to send its request headers: 20 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(20);
/// The default time a client has to send a request body, once its headers arrived: 20 s.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(20);
/// The default time requests in flight have to finish after a shutdown signal: 25 s, under
/// the 30 s Kubernetes waits by default before killing the process.
pub const DEFAULT_SHUTDOWN_GRACE_PERIOD: Duration = Duration::from_secs(25);

/// How the routes are laid out, and the limits the server puts on clients.
///
/// [`router_with`] uses `messages_path`, `body_limit` and `body_read_timeout`;
/// [`Server::options`] uses `header_read_timeout` and `shutdown_grace_period`.
///
/// ```
/// use std::time::Duration;
/// use botbuilder_connector::hosting::HostingOptions;
///
/// let options = HostingOptions {
///     messages_path: "/bot/messages".into(),
///     body_limit: 1024 * 1024,
///     shutdown_grace_period: Duration::from_secs(10),
///     ..HostingOptions::default()
/// };
/// assert_eq!(options.header_read_timeout, Duration::from_secs(20));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostingOptions {
    /// Where activities are posted (default [`MESSAGES_PATH`]).
    pub messages_path: String,
    /// The largest body accepted, in bytes (default [`DEFAULT_BODY_LIMIT`]); larger ones get
    /// 413.
    pub body_limit: usize,
    /// How long a client may take to send a request body, counted from when its headers
    /// arrived (default [`DEFAULT_BODY_READ_TIMEOUT`]); a slower one gets 408.
    pub body_read_timeout: Duration,
    /// How long a client may take to send a request's headers (default
    /// [`DEFAULT_HEADER_READ_TIMEOUT`]); the connection of a slower one is closed. It also
    /// closes keep-alive connections idle for that long.
    pub header_read_timeout: Duration,
    /// How long requests in flight may take to finish after the shutdown signal (default
    /// [`DEFAULT_SHUTDOWN_GRACE_PERIOD`]); the connections still busy then are closed, which
    /// cancels their turns.
    pub shutdown_grace_period: Duration,
}

impl Default for HostingOptions {
    fn default() -> Self {
        Self {
            messages_path: MESSAGES_PATH.to_owned(),
            body_limit: DEFAULT_BODY_LIMIT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            shutdown_grace_period: DEFAULT_SHUTDOWN_GRACE_PERIOD,
        }
    }
}

#[derive(Clone)]
struct Endpoint {
    adapter: CloudAdapter,
    bot: Arc<dyn Bot>,
    body_limit: usize,
    body_read_timeout: Duration,
    /// The route, for the server span.
    route: Arc<str>,
}

/// The bot's routes with the default [`HostingOptions`]: `POST /api/messages`. Merge them
/// into your own [`Router`] (whatever its state `S`: the bot's handler keeps its own) or
/// serve them.
///
/// ```
/// use std::sync::Arc;
/// use axum::extract::State;
/// use axum::routing::get;
/// use botbuilder_connector::adapter::CloudAdapter;
/// use botbuilder_connector::config::BotConfig;
/// use botbuilder_connector::hosting::{health_route, router};
/// use botbuilder_core::{async_trait, ActivityHandler, Bot};
///
/// struct MyBot;
///
/// #[async_trait]
/// impl ActivityHandler for MyBot {}
///
/// #[derive(Clone)]
/// struct AppState {
///     greeting: String,
/// }
///
/// let adapter = CloudAdapter::new(&BotConfig::anonymous())?;
/// let bot: Arc<dyn Bot> = Arc::new(MyBot);
/// let app: axum::Router = axum::Router::new()
///     .route("/", get(|State(s): State<AppState>| async move { s.greeting }))
///     .merge(router(adapter, bot))
///     .merge(health_route()) // opt-in: GET /healthz
///     .with_state(AppState { greeting: "my site".into() });
/// # let _ = app;
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
pub fn router<S>(adapter: CloudAdapter, bot: Arc<dyn Bot>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router_with(adapter, bot, &HostingOptions::default())
}

/// The bot's routes laid out as `options` say (the messages path, the body limit and body
/// timeout).
pub fn router_with<S>(
    adapter: CloudAdapter,
    bot: Arc<dyn Bot>,
    options: &HostingOptions,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let endpoint = Endpoint {
        adapter,
        bot,
        body_limit: options.body_limit,
        body_read_timeout: options.body_read_timeout,
        route: Arc::from(options.messages_path.as_str()),
    };
    // The handler's state is given here, so the router fits into an app of any state.
    Router::new().route(
        &options.messages_path,
        post(messages)
            .layer(DefaultBodyLimit::max(options.body_limit))
            .with_state(endpoint),
    )
}

/// The health route, opt-in: `GET /healthz` answers 200 `{"status":"ok"}` (for a load
/// balancer's or a platform's health probe). Merge it beside [`router`]; mount
/// [`health_check`] yourself for another path.
///
/// ```
/// use botbuilder_connector::hosting::{health_check, health_route};
///
/// let app: axum::Router = axum::Router::new()
///     .merge(health_route())
///     .route("/live", axum::routing::get(health_check));
/// # let _ = app;
/// ```
pub fn health_route<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new().route(HEALTH_PATH, get(health_check))
}

/// The health handler: 200 `{"status":"ok"}`.
pub async fn health_check() -> Response {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    // Compared in place, without allocating a lower-case copy (this runs on every request);
    // `to_str` succeeded, so the value is visible ASCII and every slice is on a char boundary.
    let essence = value.split(';').next().unwrap_or("").trim();
    let (kind, subtype) = essence.split_at(essence.len().min("application/".len()));
    kind.eq_ignore_ascii_case("application/")
        && (subtype.eq_ignore_ascii_case("json")
            || (subtype.len() > "+json".len()
                && subtype[subtype.len() - "+json".len()..].eq_ignore_ascii_case("+json")))
}

/// The messaging endpoint: the request's trace is sampled (or not) once, before any of its
/// spans exists, then served under that decision.
async fn messages(State(endpoint): State<Endpoint>, request: Request) -> Response {
    let headers = request.headers();
    let decision = botbuilder_core::telemetry::decide_trace(&|name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    match decision {
        Some(sampled) => {
            botbuilder_core::telemetry::with_trace_decision(sampled, traced(endpoint, request))
                .await
        }
        None => traced(endpoint, request).await,
    }
}

/// One server span per request, continuing the caller's trace (`traceparent`), around the
/// turn.
async fn traced(endpoint: Endpoint, request: Request) -> Response {
    let span = tracing::info_span!(
        "botbuilder.http.request",
        otel.name = %format_args!("POST {}", endpoint.route),
        otel.kind = "server",
        http.request.method = "POST",
        http.route = &*endpoint.route,
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    let headers = request.headers();
    botbuilder_core::telemetry::continue_trace(&span, &|name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let response = handle_messages(endpoint, request)
        .instrument(span.clone())
        .await;
    if !span.is_disabled() {
        let status = response.status();
        span.record("http.response.status_code", status.as_u16());
        if status.is_server_error() {
            span.record("otel.status_code", "ERROR");
        }
    }
    response
}

async fn handle_messages(endpoint: Endpoint, request: Request) -> Response {
    let headers = request.headers();
    if !is_json(headers) {
        return IntoResponse::into_response(AdapterResponse::error(
            415,
            "UnsupportedMediaType",
            "the body must be JSON (Content-Type: application/json)",
        ));
    }
    // Served by `Server`: an anonymous bot answers only on loopback unless opted in.
    if let Some(ListenAddr(listen)) = request.extensions().get::<ListenAddr>()
        && let Err(error) = endpoint.adapter.check_listen(*listen)
    {
        tracing::warn!(error = %report(&error), "refused a request to an anonymous bot listening beyond loopback (403)");
        return IntoResponse::into_response(AdapterResponse::error(
            403,
            "Forbidden",
            "this bot has no app id, so it serves only while listening on loopback (set MicrosoftAppId, listen on 127.0.0.1, or set AllowAnonymousBeyondLoopback=true)",
        ));
    }
    // A declared length over the limit is refused before reading anything.
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > endpoint.body_limit as u64) {
        return too_large();
    }
    let authorization = match headers.get(AUTHORIZATION).map(HeaderValue::to_str) {
        None => None,
        Some(Ok(value)) => Some(value.to_owned()),
        Some(Err(_)) => {
            tracing::warn!("refused a request whose Authorization header is not text (401)");
            return IntoResponse::into_response(AdapterResponse::error(
                401,
                "Unauthorized",
                "the request is not authorized",
            ));
        }
    };
    // The body, within the limit (`DefaultBodyLimit`) and the time allowed.
    let body = match tokio::time::timeout(
        endpoint.body_read_timeout,
        Bytes::from_request(request, &()),
    )
    .await
    {
        Ok(Ok(body)) => body,
        Ok(Err(rejection)) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return too_large();
        }
        Ok(Err(rejection)) => {
            tracing::debug!(%rejection, "could not read a request body");
            return IntoResponse::into_response(AdapterResponse::error(
                400,
                "BadRequest",
                "the body could not be read",
            ));
        }
        Err(_elapsed) => {
            tracing::warn!(
                timeout_ms =
                    u64::try_from(endpoint.body_read_timeout.as_millis()).unwrap_or(u64::MAX),
                "a client did not send its request body in time (408)"
            );
            let mut response = IntoResponse::into_response(AdapterResponse::error(
                408,
                "RequestTimeout",
                "the body was not received in time",
            ));
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                HeaderValue::from_static("close"),
            );
            return response;
        }
    };
    let response = endpoint
        .adapter
        .process(authorization.as_deref(), &body, endpoint.bot.as_ref())
        .await;
    IntoResponse::into_response(response)
}

fn too_large() -> Response {
    IntoResponse::into_response(AdapterResponse::error(
        413,
        "PayloadTooLarge",
        "the body is larger than this bot accepts",
    ))
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(
            CONTENT_TYPE,
            HeaderValue::from_static(AdapterResponse::JSON_CONTENT_TYPE),
        )],
        serde_json::to_vec(body).unwrap_or_default(),
    )
        .into_response()
}

/// An [`AdapterResponse`] is an axum response: a plain axum handler can call
/// [`CloudAdapter::process`] and return what it answers. A status the bot set out of HTTP's
/// range becomes 500.
///
/// ```
/// use std::sync::Arc;
/// use axum::body::Bytes;
/// use axum::extract::State;
/// use axum::http::{HeaderMap, header::AUTHORIZATION};
/// use botbuilder_connector::{AdapterResponse, CloudAdapter};
/// use botbuilder_core::Bot;
///
/// #[derive(Clone)]
/// struct AppState {
///     adapter: CloudAdapter,
///     bot: Arc<dyn Bot>,
/// }
///
/// async fn messages(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> AdapterResponse {
///     // A header that is not text is refused: `None` would mean "no token".
///     let Ok(authorization) = headers.get(AUTHORIZATION).map(|v| v.to_str()).transpose() else {
///         return AdapterResponse::error(401, "Unauthorized", "the request is not authorized");
///     };
///     app.adapter.process(authorization, &body, app.bot.as_ref()).await
/// }
/// # let _ = axum::Router::<AppState>::new().route("/api/messages", axum::routing::post(messages));
/// ```
impl IntoResponse for AdapterResponse {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or_else(|_| {
            tracing::error!(
                status = self.status,
                "the bot answered an invalid HTTP status; sending 500"
            );
            StatusCode::INTERNAL_SERVER_ERROR
        });
        match &self.body {
            Some(body) => json_response(status, body),
            None => status.into_response(),
        }
    }
}

/// Binds `addr` and serves the bot's [`router`] (`POST /api/messages`, no health route) until
/// ctrl-c or SIGTERM, then stops accepting connections and lets requests in flight finish:
/// `Server::bind(addr).await?.serve(router(adapter, bot)).await`. Use [`Server`] for routes of
/// your own, the health route or other options.
///
/// # Errors
/// As [`Server::bind`]: [`ConnectorError::Transport`] when the address cannot be bound;
/// [`ConnectorError::Setting`] when an anonymous bot would listen beyond loopback
/// ([`CloudAdapter::check_listen`]). Nothing is served then.
pub async fn serve(
    addr: impl ToSocketAddrs,
    adapter: CloudAdapter,
    bot: Arc<dyn Bot>,
) -> Result<(), ConnectorError> {
    let server = Server::bind(addr).await?;
    adapter.check_listen(server.local_addr())?;
    server.serve(router(adapter, bot)).await
}

/// Serves `router` on a bound listener until `shutdown` completes, then lets requests in
/// flight finish, with the timeouts and grace period of the default [`HostingOptions`].
/// Shorthand for `Server::from_listener(listener)?.with_graceful_shutdown(shutdown).serve(router)`.
///
/// # Errors
/// [`ConnectorError::Transport`] when the listener's address cannot be read.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ConnectorError> {
    serve_with_options(listener, router, shutdown, &HostingOptions::default()).await
}

/// Serves `router` on a bound listener until `shutdown` completes, with `options`' header
/// timeout and grace period. Shorthand for
/// `Server::from_listener(listener)?.options(options).with_graceful_shutdown(shutdown).serve(router)`.
///
/// # Errors
/// [`ConnectorError::Transport`] when the listener's address cannot be read.
pub async fn serve_with_options(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: &HostingOptions,
) -> Result<(), ConnectorError> {
    Server::from_listener(listener)?
        .options(options)
        .with_graceful_shutdown(shutdown)
        .serve(router)
        .await
}

type ShutdownSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A bound HTTP/1.1 server for the bot's app: bind first ([`Server::bind`]; a taken port
/// fails here, before anything is built or served), learn the address
/// ([`local_addr`](Self::local_addr), for parts that need it, such as the local Direct Line
/// endpoint), then [`serve`](Self::serve) the app.
///
/// - A client has the header timeout ([`HostingOptions::header_read_timeout`]) to send each
///   request's headers; its connection is closed otherwise (slow clients cannot hold
///   connections open forever). Body timeouts are the router's ([`router_with`]).
/// - A turn runs to its end even when the client hangs up once its request is sent (a
///   channel that stops waiting after 15 s), so its work and state are not cut in half.
///   (`axum::serve` cancels the request's future when the client closes the connection.)
/// - When the shutdown signal completes (default [`shutdown_signal`]: ctrl-c or SIGTERM),
///   the listener is closed at once (new connections are refused), idle connections are
///   closed, and requests in flight have [`HostingOptions::shutdown_grace_period`] to
///   finish (their turns run to the end and save their state); connections still busy after
///   that are closed, which cancels their turns, and [`serve`](Self::serve) returns.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use botbuilder_connector::adapter::CloudAdapter;
/// use botbuilder_connector::hosting::{self, HostingOptions, Server};
/// use botbuilder_core::Bot;
///
/// # async fn demo(bot: Arc<dyn Bot>) -> Result<(), botbuilder_connector::ConnectorError> {
/// let adapter = CloudAdapter::from_env()?;
/// let options = HostingOptions {
///     shutdown_grace_period: Duration::from_secs(10),
///     ..HostingOptions::default()
/// };
/// let server = Server::bind("0.0.0.0:3978").await?.options(&options);
/// println!("listening on {}", server.local_addr());
/// server.serve(hosting::router_with(adapter, bot, &options)).await
/// # }
/// ```
#[must_use = "a server does nothing until `serve` is awaited"]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    header_read_timeout: Duration,
    shutdown_grace_period: Duration,
    shutdown: Option<ShutdownSignal>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("shutdown_grace_period", &self.shutdown_grace_period)
            .field("custom_shutdown", &self.shutdown.is_some())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds `addr` (such as `"0.0.0.0:3978"`; `"127.0.0.1:0"` for any free port), with the
    /// default [`HostingOptions`] and [`shutdown_signal`].
    ///
    /// # Errors
    /// [`ConnectorError::Transport`] when the address cannot be resolved or bound (the port
    /// is taken, the address is not this machine's): `cannot listen on 127.0.0.1:3978: ...`.
    pub async fn bind(addr: impl ToSocketAddrs) -> Result<Self, ConnectorError> {
        let addresses = tokio::net::lookup_host(addr)
            .await
            .map_err(|e| ConnectorError::transport("cannot resolve the address to listen on", e))?;
        let mut failed = None;
        for address in addresses {
            match TcpListener::bind(address).await {
                Ok(listener) => return Self::from_listener(listener),
                Err(error) => failed = Some((address, error)),
            }
        }
        Err(match failed {
            Some((address, error)) => {
                ConnectorError::transport(format!("cannot listen on {address}"), error)
            }
            None => ConnectorError::transport(
                "cannot resolve the address to listen on",
                "it names no address",
            ),
        })
    }

    /// A server on a listener bound elsewhere.
    ///
    /// # Errors
    /// [`ConnectorError::Transport`] when the listener's address cannot be read.
    pub fn from_listener(listener: TcpListener) -> Result<Self, ConnectorError> {
        let local_addr = listener
            .local_addr()
            .map_err(|e| ConnectorError::transport("cannot read the listening address", e))?;
        let defaults = HostingOptions::default();
        Ok(Self {
            listener,
            local_addr,
            header_read_timeout: defaults.header_read_timeout,
            shutdown_grace_period: defaults.shutdown_grace_period,
            shutdown: None,
        })
    }

    /// The address the server is bound to (with the port the system chose for port 0).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Takes the header timeout and the shutdown grace period from `options` (the router
    /// takes the paths and body limits: [`router_with`]).
    pub fn options(mut self, options: &HostingOptions) -> Self {
        self.header_read_timeout = options.header_read_timeout;
        self.shutdown_grace_period = options.shutdown_grace_period;
        self
    }

    /// Shuts down when `signal` completes instead of on ctrl-c or SIGTERM (tests, or a
    /// platform's own trigger).
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.shutdown = Some(Box::pin(signal));
        self
    }

    /// Serves `app` until the shutdown signal, then lets requests in flight finish (see
    /// [`Server`]).
    ///
    /// # Errors
    /// None at present; the `Result` leaves room for failures of future transports.
    pub async fn serve(self, app: Router) -> Result<(), ConnectorError> {
        let Server {
            listener,
            local_addr: addr,
            header_read_timeout,
            shutdown_grace_period,
            shutdown,
        } = self;
        let shutdown = shutdown.unwrap_or_else(|| Box::pin(shutdown_signal()));
        tracing::info!(%addr, "bot listening: POST http://{addr}{MESSAGES_PATH}");
        // The routes learn where they are served (an anonymous bot refuses beyond loopback).
        let router = app.layer(axum::Extension(ListenAddr(addr)));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            // A client that hangs up after sending its request (Teams gives up after about 15 s)
            // must not cancel the turn: it runs to its end, as BotBuilder's do, and saves its
            // state. Without this, hyper drops the request's future when it sees the client
            // close.
            .half_close(true);
        // Connections hear of the shutdown through this channel and finish what is in flight.
        // (hyper-util's `GracefulShutdown` cannot watch connections that allow upgrades.)
        let (stopping, stop_signal) = tokio::sync::watch::channel(false);
        let mut connections = JoinSet::new();
        let mut shutdown = shutdown;
        loop {
            let stream = tokio::select! {
                () = &mut shutdown => break,
                accepted = accept(&listener) => accepted,
            };
            // Forget the connections that are done, so the set stays as large as the live ones.
            while connections.try_join_next().is_some() {}
            let Some((stream, remote)) = stream else {
                continue;
            };
            // `with_upgrades`: WebSocket upgrades (the Direct Line stream) need the connection
            // handed over once the handshake is answered.
            let connection = http
                .serve_connection(
                    TokioIo::new(stream),
                    TowerToHyperService::new(router.clone()),
                )
                .with_upgrades();
            let mut stop_signal = stop_signal.clone();
            connections.spawn(async move {
                let mut connection = std::pin::pin!(connection);
                let ended = tokio::select! {
                    ended = connection.as_mut() => ended,
                    _ = stop_signal.changed() => {
                        connection.as_mut().graceful_shutdown();
                        connection.await
                    }
                };
                if let Err(error) = ended {
                    tracing::debug!(%remote, error = %report(&error), "connection ended with an error");
                }
            });
        }
        drop(listener);
        while connections.try_join_next().is_some() {}
        let busy = connections.len();
        tracing::info!(
            connections = busy,
            grace_period_ms = u64::try_from(shutdown_grace_period.as_millis()).unwrap_or(u64::MAX),
            "shutting down: no new connections; letting requests in flight finish"
        );
        let _ = stopping.send(true);
        let drained = async { while connections.join_next().await.is_some() {} };
        if tokio::time::timeout(shutdown_grace_period, drained)
            .await
            .is_err()
        {
            tracing::warn!(
                connections = connections.len(),
                "requests still in flight after the shutdown grace period; closing their connections"
            );
        }
        connections.shutdown().await;
        tracing::info!("bot stopped");
        Ok(())
    }
}

/// The address a [`Server`] listens on, in every request's extensions.
#[derive(Clone, Copy, Debug)]
struct ListenAddr(SocketAddr);

/// The next connection; `None` after a failed accept (logged, and after a pause when the
/// process is out of resources).
async fn accept(listener: &TcpListener) -> Option<(TcpStream, SocketAddr)> {
    match listener.accept().await {
        Ok(accepted) => Some(accepted),
        Err(error)
            if matches!(
                error.kind(),
                std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            tracing::debug!(error = %report(&error), "a connection was dropped before it was accepted");
            None
        }
        Err(error) => {
            // Out of file descriptors or memory: wait for connections to close.
            tracing::error!(error = %report(&error), "cannot accept connections; retrying in 1 s");
            tokio::time::sleep(Duration::from_secs(1)).await;
            None
        }
    }
}

/// Completes on ctrl-c, or SIGTERM on Unix (what container platforms send to stop a process).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %report(&error), "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(error = %report(&error), "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("ctrl-c: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
            is_json(&h)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/vnd.botframework+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonp"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
