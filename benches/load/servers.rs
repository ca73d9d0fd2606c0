//! The servers under test, each run in its own process (`--serve MODE`), so that its CPU time
//! and peak RSS are its own.
//!
//! - `baseline`: the bare handler with no SDK: axum, serde, reqwest. It does the turn's work
//!   and nothing else: parse the activity, build the reply with the fields the SDK sends,
//!   POST it to the connector with a shared keep-alive client, answer 200.
//! - `sdk`: the SDK's echo bot (an `ActivityHandler`) behind `hosting::router`, anonymous.
//! - `sdk-auth`: the same with an app id: each request's channel token is validated (keys
//!   from the local OpenID metadata, cached), replies carry an app token from the local
//!   token endpoint (cached).
//! - `sdk-state-memory`, `sdk-state-sqlite`: the echo bot also counts turns in conversation
//!   state and messages in user state, saved by `AutoSaveStateMiddleware`.
//! - `sdk-otel` (feature `otel`): `sdk` with telemetry on: `telemetry::init` exports every
//!   span and metric over OTLP/HTTP to the mock, with the SDK's default batching.

use std::io::{BufRead, Write};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use botbuilder::core::state::{AutoSaveStateMiddleware, StatePropertyAccessor};
use botbuilder::core::{ConversationState, UserState};
use botbuilder::prelude::*;
use botbuilder::storage::{MemoryStorage, SqliteStorage, Storage};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Mode;

/// The options of a server process.
#[derive(Debug)]
pub struct ServeOptions {
    pub mode: Mode,
    /// The mock's base URL (token endpoint, metadata), for `sdk-auth`.
    pub mock_url: String,
}

/// Runs a server until its standard input closes (the orchestrator ended or died).
pub fn serve(options: ServeOptions) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let state_dir = std::env::temp_dir().join(format!("botbuilder-load-{}", std::process::id()));
    let mut telemetry = None;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = match options.mode {
            Mode::Baseline => baseline_router(),
            Mode::Sdk => sdk_router(CloudAdapter::new(&BotConfig::anonymous())?, None).await?,
            Mode::SdkAuth => {
                let config = BotConfig::from_map([
                    ("MicrosoftAppId", crate::auth::APP_ID.to_owned()),
                    ("MicrosoftAppPassword", crate::auth::PASSWORD.to_owned()),
                    (
                        "ToChannelFromBotLoginUrl",
                        format!("{}/botframework.com", options.mock_url),
                    ),
                    (
                        "ToBotFromChannelOpenIdMetadataUrl",
                        format!("{}/metadata", options.mock_url),
                    ),
                ])?;
                sdk_router(CloudAdapter::new(&config)?, None).await?
            }
            Mode::SdkStateMemory => {
                let store: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
                sdk_router(CloudAdapter::new(&BotConfig::anonymous())?, Some(store)).await?
            }
            Mode::SdkOtel => {
                telemetry = Some(start_telemetry(&options.mock_url)?);
                sdk_router(CloudAdapter::new(&BotConfig::anonymous())?, None).await?
            }
            Mode::SdkStateSqlite => {
                std::fs::create_dir_all(&state_dir)?;
                let store: Arc<dyn Storage> =
                    Arc::new(SqliteStorage::open(state_dir.join("state.db")).await?);
                sdk_router(CloudAdapter::new(&BotConfig::anonymous())?, Some(store)).await?
            }
        };
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "LISTENING {addr}")?;
        stdout.flush()?;
        drop(stdout);
        let stdin_closed = async {
            // Blocking read on a thread of its own: EOF means the orchestrator is gone.
            let _ = tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                let mut stdin = std::io::stdin().lock();
                while stdin.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    line.clear();
                }
            })
            .await;
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(stdin_closed)
            .await?;
        Ok::<(), Box<dyn std::error::Error>>(())
    });
    // Flushes what telemetry has not exported yet.
    #[cfg(feature = "otel")]
    drop(telemetry);
    #[cfg(not(feature = "otel"))]
    let _ = telemetry;
    let _ = std::fs::remove_dir_all(&state_dir);
    // Do not wait for connections the load generator left open.
    runtime.shutdown_background();
    result
}

// ---------------------------------------------------------------------------------------
// The bare baseline.
// ---------------------------------------------------------------------------------------

/// What the baseline reads of the activity: only what the reply needs. Accounts and the
/// conversation are read as JSON values and copied into the reply as they came.
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    id: Option<String>,
    #[serde(rename = "serviceUrl")]
    service_url: String,
    #[serde(rename = "channelId")]
    channel_id: &'a str,
    conversation: Value,
    from: Value,
    recipient: Value,
    locale: Option<&'a str>,
    text: Option<String>,
}

/// The reply, with the fields the SDK sends.
#[derive(Serialize)]
struct Reply<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: String,
    #[serde(rename = "serviceUrl")]
    service_url: &'a str,
    #[serde(rename = "channelId")]
    channel_id: &'a str,
    from: &'a Value,
    conversation: &'a Value,
    recipient: &'a Value,
    #[serde(rename = "replyToId", skip_serializing_if = "Option::is_none")]
    reply_to_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<&'a str>,
    /// A message from text alone accepts input, as the SDK's `send_activity("…")` says.
    #[serde(rename = "inputHint")]
    input_hint: &'static str,
}

/// Path segments are encoded as the SDK encodes them.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn baseline_router() -> Router {
    let client = reqwest::Client::new();
    Router::new()
        .route("/api/messages", post(baseline_turn))
        .with_state(client)
}

async fn baseline_turn(State(client): State<reqwest::Client>, body: Bytes) -> StatusCode {
    let Ok(incoming) = serde_json::from_slice::<Incoming<'_>>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let Some(conversation_id) = incoming.conversation.get("id").and_then(Value::as_str) else {
        return StatusCode::BAD_REQUEST;
    };
    if incoming.kind != "message" {
        return StatusCode::OK;
    }
    let text = incoming.text.as_deref().unwrap_or("");
    let reply = Reply {
        kind: "message",
        text: format!("Echo: {text}"),
        service_url: &incoming.service_url,
        channel_id: incoming.channel_id,
        from: &incoming.recipient,
        conversation: &incoming.conversation,
        recipient: &incoming.from,
        reply_to_id: incoming.id.as_deref(),
        locale: incoming.locale,
        input_hint: "acceptingInput",
    };
    let Ok(json) = serde_json::to_vec(&reply) else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    let mut url = incoming.service_url.trim_end_matches('/').to_owned();
    url.push_str("/v3/conversations/");
    url.extend(utf8_percent_encode(conversation_id, SEGMENT));
    url.push_str("/activities");
    if let Some(id) = &incoming.id {
        url.push('/');
        url.extend(utf8_percent_encode(id, SEGMENT));
    }
    let sent = client
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .body(json)
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => match response.bytes().await {
            Ok(_) => StatusCode::OK,
            Err(_) => StatusCode::BAD_GATEWAY,
        },
        _ => StatusCode::BAD_GATEWAY,
    }
}

// ---------------------------------------------------------------------------------------
// The SDK's echo bot.
// ---------------------------------------------------------------------------------------

/// The echo bot; with state, it also counts the conversation's turns and the user's
/// messages.
struct EchoBot {
    state: Option<StateProperties>,
}

struct StateProperties {
    turns: StatePropertyAccessor<u32>,
    profile: StatePropertyAccessor<Profile>,
}

/// A small user profile, as bots keep.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct Profile {
    name: Option<String>,
    messages: u64,
    last_locale: Option<String>,
}

#[async_trait]
impl ActivityHandler for EchoBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        if let Some(state) = &self.state {
            state.turns.update(ctx, |n| *n += 1).await?;
            let name = ctx.activity().from.as_ref().and_then(|f| f.name.clone());
            let locale = ctx.activity().locale.clone();
            state
                .profile
                .update(ctx, |p| {
                    p.messages += 1;
                    p.name = name;
                    p.last_locale = locale;
                })
                .await?;
        }
        let text = ctx.activity().text();
        ctx.send_activity(format!("Echo: {text}")).await?;
        Ok(())
    }
}

async fn sdk_router(
    mut adapter: CloudAdapter,
    store: Option<Arc<dyn Storage>>,
) -> Result<Router, Box<dyn std::error::Error>> {
    let bot = match store {
        None => EchoBot { state: None },
        Some(store) => {
            let conversation = ConversationState::new(Arc::clone(&store));
            let user = UserState::new(store);
            let state = StateProperties {
                turns: conversation.create_property("turns"),
                profile: user.create_property("profile"),
            };
            adapter = adapter.with_middleware(
                AutoSaveStateMiddleware::default()
                    .with(conversation)
                    .with(user),
            );
            EchoBot { state: Some(state) }
        }
    };
    Ok(botbuilder::hosting::router(adapter, Arc::new(bot)))
}

/// Telemetry on, exporting to the mock's `/v1/traces` and `/v1/metrics`.
#[cfg(feature = "otel")]
fn start_telemetry(
    mock_url: &str,
) -> Result<botbuilder::telemetry::Telemetry, Box<dyn std::error::Error>> {
    use botbuilder::telemetry::{OtlpProtocol, TelemetryOptions};
    // `OTEL_TRACES_EXPORTER=none` / `OTEL_METRICS_EXPORTER=none` measure one signal alone.
    let env = TelemetryOptions::from_env()?;
    Ok(botbuilder::telemetry::init_with(TelemetryOptions {
        traces: env.traces,
        metrics: env.metrics,
        ..TelemetryOptions::exporting_to(mock_url, OtlpProtocol::HttpProtobuf)
    })?)
}

#[cfg(not(feature = "otel"))]
fn start_telemetry(_mock_url: &str) -> Result<(), Box<dyn std::error::Error>> {
    Err("the sdk-otel mode needs `--features otel`".into())
}
