//! axum hosting (feature `axum`, on by default): the `POST /api/messages` endpoint as a
//! [`Router`] to serve or merge into your own, and [`serve`], one call that binds, serves and
//! shuts down gracefully.
//!
//! | request | answer |
//! |---|---|
//! | `POST /api/messages` with a JSON activity | what [`CloudAdapter::process`] answers |
//! | a body over the limit (default 256 KiB) | 413 |
//! | a `Content-Type` other than JSON | 415 |
//! | another method on `/api/messages` | 405 |
//! | `GET /healthz` | 200 `{"status":"ok"}` |
//!
//! Error answers have BotBuilder's JSON shape `{"error": {"code": ..., "message": ...}}`.
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
//!     let bot: Arc<dyn Bot> = Arc::new(bot_fn(|ctx| Box::pin(async move {
//!         let text = ctx.activity().text().to_owned();
//!         ctx.send_activity(format!("Echo: {text}")).await?;
//!         Ok(())
//!     })));
//!     // Or merge `hosting::router(adapter, bot)` into your own axum Router.
//!     hosting::serve("0.0.0.0:3978", adapter, bot).await
//! }
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use botbuilder_core::Bot;
use serde_json::json;
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::ConnectorError;
use crate::adapter::{AdapterResponse, CloudAdapter};

/// The path of the messaging endpoint, as the Azure Bot registration expects by default.
pub const MESSAGES_PATH: &str = "/api/messages";
/// The path of the health route.
pub const HEALTH_PATH: &str = "/healthz";
/// The default limit on request bodies: 256 KiB (activities are small; attachments are
/// links).
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

/// How the routes are laid out.
///
/// ```
/// use botbuilder_connector::hosting::HostingOptions;
///
/// let options = HostingOptions {
///     messages_path: "/bot/messages".into(),
///     body_limit: 1024 * 1024,
///     ..HostingOptions::default()
/// };
/// assert_eq!(options.health_path.as_deref(), Some("/healthz"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostingOptions {
    /// Where activities are posted (default [`MESSAGES_PATH`]).
    pub messages_path: String,
    /// The health route (default [`HEALTH_PATH`]); `None` for none.
    pub health_path: Option<String>,
    /// The largest body accepted, in bytes (default [`DEFAULT_BODY_LIMIT`]); larger ones get
    /// 413.
    pub body_limit: usize,
}

impl Default for HostingOptions {
    fn default() -> Self {
        Self {
            messages_path: MESSAGES_PATH.to_owned(),
            health_path: Some(HEALTH_PATH.to_owned()),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }
}

#[derive(Clone)]
struct Endpoint {
    adapter: CloudAdapter,
    bot: Arc<dyn Bot>,
}

/// The bot's routes with the default [`HostingOptions`]: `POST /api/messages` and
/// `GET /healthz`. Merge the router into your own (`app.merge(router(adapter, bot))`) or
/// serve it.
///
/// ```
/// use std::sync::Arc;
/// use botbuilder_connector::adapter::CloudAdapter;
/// use botbuilder_connector::config::BotConfig;
/// use botbuilder_connector::hosting::router;
/// use botbuilder_core::{bot_fn, Bot};
///
/// let adapter = CloudAdapter::new(&BotConfig::anonymous())?;
/// let bot: Arc<dyn Bot> = Arc::new(bot_fn(|_ctx| Box::pin(async { Ok(()) })));
/// let app: axum::Router = axum::Router::new()
///     .route("/", axum::routing::get(|| async { "my site" }))
///     .merge(router(adapter, bot));
/// # let _ = app;
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
pub fn router(adapter: CloudAdapter, bot: Arc<dyn Bot>) -> Router {
    router_with(adapter, bot, &HostingOptions::default())
}

/// The bot's routes laid out as `options` say.
pub fn router_with(adapter: CloudAdapter, bot: Arc<dyn Bot>, options: &HostingOptions) -> Router {
    let endpoint = Endpoint { adapter, bot };
    let mut router = Router::new().route(
        &options.messages_path,
        post(messages)
            .layer(DefaultBodyLimit::max(options.body_limit))
            .with_state(endpoint),
    );
    if let Some(health) = &options.health_path {
        router = router.route(health, get(health_check));
    }
    router
}

async fn health_check() -> Response {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let (kind, subtype) = essence.split_at(essence.len().min("application/".len()));
    kind.eq_ignore_ascii_case("application/")
        && (subtype.eq_ignore_ascii_case("json")
            || (subtype.len() > "+json".len()
                && subtype[subtype.len() - "+json".len()..].eq_ignore_ascii_case("+json")))
}

async fn messages(State(endpoint): State<Endpoint>, request: Request) -> Response {
    // The headers are moved out of the request (the `HeaderMap` extractor would copy them).
    let (mut parts, body) = request.into_parts();
    let headers = std::mem::take(&mut parts.headers);
    if !is_json(&headers) {
        return to_response(AdapterResponse::error(
            415,
            "UnsupportedMediaType",
            "the body must be JSON (Content-Type: application/json)",
        ));
    }
    let body: Result<Bytes, BytesRejection> =
        Bytes::from_request(Request::from_parts(parts, body), &()).await;
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let (code, message) = if status == StatusCode::PAYLOAD_TOO_LARGE {
                (
                    "PayloadTooLarge",
                    "the body is larger than this bot accepts",
                )
            } else {
                ("BadRequest", "the body could not be read")
            };
            return to_response(AdapterResponse::error(status.as_u16(), code, message));
        }
    };
    let authorization = match headers.get(AUTHORIZATION).map(HeaderValue::to_str) {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => {
            tracing::warn!("refused a request whose Authorization header is not text (401)");
            return to_response(AdapterResponse::error(
                401,
                "Unauthorized",
                "the request is not authorized",
            ));
        }
    };
    let response = endpoint
        .adapter
        .process(authorization, &body, endpoint.bot.as_ref())
        .await;
    to_response(response)
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

/// Writes an [`AdapterResponse`] as an axum response (for your own handlers around
/// [`CloudAdapter::process`]). A status the bot set out of HTTP's range becomes 500.
pub fn to_response(response: AdapterResponse) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or_else(|_| {
        tracing::error!(
            status = response.status,
            "the bot answered an invalid HTTP status; sending 500"
        );
        StatusCode::INTERNAL_SERVER_ERROR
    });
    match &response.body {
        Some(body) => json_response(status, body),
        None => status.into_response(),
    }
}

/// Binds `addr`, logs the address, and serves the bot's [`router`] until ctrl-c or SIGTERM,
/// then stops accepting connections and lets requests in flight finish.
///
/// # Errors
/// [`ConnectorError::Transport`] when the address cannot be bound or serving fails.
pub async fn serve(
    addr: impl ToSocketAddrs,
    adapter: CloudAdapter,
    bot: Arc<dyn Bot>,
) -> Result<(), ConnectorError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| ConnectorError::transport("binding the bot's address", e))?;
    serve_with_shutdown(listener, router(adapter, bot), shutdown_signal()).await
}

/// Serves `router` on a bound listener until `shutdown` completes, then lets requests in
/// flight finish. For tests (bind `127.0.0.1:0`) and custom shutdown triggers.
///
/// # Errors
/// [`ConnectorError::Transport`] when serving fails.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ConnectorError> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    match addr {
        Some(addr) => tracing::info!(%addr, "bot listening: POST http://{addr}{MESSAGES_PATH}"),
        None => tracing::info!("bot listening"),
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| ConnectorError::transport("serving the bot", e))?;
    tracing::info!("bot stopped");
    Ok(())
}

/// Completes on ctrl-c, or SIGTERM on Unix (what container platforms send to stop a process).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for ctrl-c");
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
                tracing::warn!(%error, "cannot listen for SIGTERM");
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
