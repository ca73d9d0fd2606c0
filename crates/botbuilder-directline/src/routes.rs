//! The HTTP side: Direct Line 3.0's routes (with CORS on every answer), the WebSocket stream
//! and the chat page.

use botbuilder_core::error::report;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::ws::{
    Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection,
};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, uri::Authority};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use botbuilder_schema::{
    Activity, ActivityTypes, ChannelAccount, ChannelId, ConversationAccount, RoleTypes,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{oneshot, watch};
use tower_http::cors::{AllowHeaders, Any, CorsLayer};

use super::store::Missing;
use super::token::{Refused, random_bytes};
use super::worker::{self, Job};
use super::{DIRECT_LINE_PATH, Shared};
use botbuilder_connector::adapter::AdapterResponse;

/// The chat page: one self-contained HTML file.
const CHAT_PAGE: &str = include_str!("chat.html");

/// The page's policy: its own inline script and style, requests to its own origin only.
const CHAT_PAGE_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data: https: http:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How long a WebSocket frame may take to leave before the stream is given up.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest user id a client may choose.
const MAX_USER_ID: usize = 256;

type SharedState = State<Arc<Shared>>;

pub(super) fn router<S>(shared: Arc<Shared>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let base = DIRECT_LINE_PATH;
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(Duration::from_secs(600));
    let api = Router::new()
        .route(&format!("{base}/conversations"), post(start))
        .route(&format!("{base}/conversations/{{id}}"), get(reconnect))
        .route(
            &format!("{base}/conversations/{{id}}/activities"),
            get(poll).post(send),
        )
        .route(&format!("{base}/conversations/{{id}}/stream"), get(stream))
        .route(&format!("{base}/tokens/refresh"), post(refresh))
        .route(&format!("{base}/tokens/generate"), post(generate))
        .route(&format!("{base}/{{*rest}}"), any(unknown))
        .layer(DefaultBodyLimit::max(shared.options.body_limit))
        .layer(cors);
    let mut router = api.with_state(Arc::clone(&shared));
    if let Some(path) = &shared.options.chat_path {
        router = router.route(path, get(chat_page));
    }
    if let Some(sign_in) = &shared.sign_in {
        router = router.merge(super::signin::router(sign_in.clone()));
    }
    router
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut response =
        IntoResponse::into_response(AdapterResponse::error(status.as_u16(), code, message));
    no_store(&mut response);
    response
}

fn ok_json(status: StatusCode, body: &Value) -> Response {
    let mut response =
        IntoResponse::into_response(AdapterResponse::json(status.as_u16(), body.clone()));
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// An error answer, small enough to travel in a `Result`.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: &'static str,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.status, self.code, self.message)
    }
}

fn refusal(status: StatusCode, code: &'static str, message: &'static str) -> Refusal {
    Refusal {
        status,
        code,
        message,
    }
}

fn unauthorized() -> Refusal {
    refusal(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "the request has no Authorization: Bearer header",
    )
}

fn forbidden(refused: Refused) -> Refusal {
    match refused {
        Refused::Expired => refusal(
            StatusCode::FORBIDDEN,
            "TokenExpired",
            "the token has expired",
        ),
        Refused::Invalid => refusal(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the token or secret is not valid for this conversation",
        ),
    }
}

fn conversation_not_found() -> Refusal {
    refusal(
        StatusCode::NOT_FOUND,
        "NotFound",
        "no such conversation (unknown, ended or expired)",
    )
}

/// The bearer value of `Authorization` (any case of `Bearer`), if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|t| !t.is_empty())
}

impl Shared {
    fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// Checks a bearer value for `conversation`: the secret, or a valid token naming it.
    fn authorize(&self, bearer: Option<&str>, conversation: &str) -> Result<(), Refusal> {
        let bearer = bearer.ok_or_else(unauthorized)?;
        if self.tokens.is_secret(bearer) {
            return Ok(());
        }
        match self.tokens.verify(bearer, self.now()) {
            Ok(claims) if claims.conv == conversation => Ok(()),
            Ok(_) => Err(forbidden(Refused::Invalid)),
            Err(refused) => Err(forbidden(refused)),
        }
    }

    /// `{"conversationId", "token", "expires_in"}` (and `streamUrl` when `stream` says from
    /// which watermark).
    fn conversation_answer(
        &self,
        conversation: &str,
        user: &str,
        headers: &HeaderMap,
        stream: Option<Option<u64>>,
    ) -> Result<Value, Refusal> {
        let token = self
            .tokens
            .issue(conversation, user, self.now())
            .map_err(|e| {
                tracing::error!(error = %report(&e), "could not issue a Direct Line token");
                refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    "could not issue a token",
                )
            })?;
        let mut body = json!({
            "conversationId": conversation,
            "token": token,
            "expires_in": self.tokens.expires_in(),
        });
        if let Some(watermark) = stream {
            let watermark = watermark.map_or_else(|| "-".to_owned(), |w| w.to_string());
            // Behind a TLS-terminating proxy, the page reached us over https: wss then.
            let scheme = if headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
            {
                "wss"
            } else {
                "ws"
            };
            body["streamUrl"] = Value::String(format!(
                "{scheme}://{}{DIRECT_LINE_PATH}/conversations/{conversation}/stream?watermark={watermark}&t={token}",
                self.authority(headers)
            ));
        }
        Ok(body)
    }

    /// The host the client reached the server by (for the `streamUrl`), or the local address.
    fn authority(&self, headers: &HeaderMap) -> String {
        headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.parse::<Authority>().ok())
            .map_or_else(
                || self.local_origin.trim_start_matches("http://").to_owned(),
                |a| a.to_string(),
            )
    }

    /// Creates a conversation (not started yet) with its turn queue.
    fn create_conversation(
        self: &Arc<Self>,
        user: Option<ChannelAccount>,
        locale: Option<String>,
    ) -> Result<(String, ChannelAccount), Refusal> {
        let id = random_id("").map_err(internal)?;
        let mut user = match user {
            Some(user) => user,
            None => ChannelAccount::new(random_id("dl_").map_err(internal)?),
        };
        user.role.get_or_insert(RoleTypes::User);
        let turns = worker::spawn(self);
        self.store()
            .insert(id.clone(), user.clone(), locale, turns, self.now());
        Ok((id, user))
    }
}

fn internal(e: botbuilder_connector::ConnectorError) -> Refusal {
    tracing::error!(error = %report(&e), "Direct Line endpoint failure");
    refusal(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalServerError",
        "the endpoint could not create a conversation",
    )
}

/// A random URL-safe id (128 bits), with a prefix.
fn random_id(prefix: &str) -> Result<String, botbuilder_connector::ConnectorError> {
    use base64::Engine as _;
    let bytes = random_bytes::<16>()?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// What a client may send to start a conversation or get a token.
#[derive(Debug, Default, Deserialize)]
struct StartRequest {
    #[serde(default)]
    user: Option<ChannelAccount>,
    #[serde(default)]
    locale: Option<String>,
}

/// Reads an optional JSON start body: empty means none; anything else must be an object.
fn start_request(body: Result<Bytes, BytesRejection>) -> Result<StartRequest, Refusal> {
    let body = body.map_err(body_error)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(StartRequest::default());
    }
    let mut request: StartRequest = serde_json::from_slice(&body).map_err(|_| {
        refusal(
            StatusCode::BAD_REQUEST,
            "BadArgument",
            "the body is not a JSON object like {\"user\": {\"id\": \"...\"}}",
        )
    })?;
    // A user id the client chose is kept when it is reasonable; otherwise one is made up.
    if request.user.as_ref().is_some_and(|u| {
        u.id.trim().is_empty()
            || u.id.chars().count() > MAX_USER_ID
            || u.id.chars().any(char::is_control)
    }) {
        request.user = None;
    }
    if request
        .locale
        .as_ref()
        .is_some_and(|l| l.is_empty() || l.len() > 64 || l.chars().any(char::is_control))
    {
        request.locale = None;
    }
    Ok(request)
}

fn body_error(rejection: BytesRejection) -> Refusal {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
            "the body is larger than this endpoint accepts",
        )
    } else {
        refusal(
            StatusCode::BAD_REQUEST,
            "BadArgument",
            "the body could not be read",
        )
    }
}

/// `POST /conversations`: starts a conversation (a new one, or the one a generated token
/// names) and gives the client its token and stream URL.
async fn start(
    State(shared): SharedState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let bearer = bearer(&headers);
    let now = shared.now();
    // Which conversation: the one a generated token names, or a new one.
    let named = match bearer {
        Some(b) if shared.tokens.is_secret(b) => None,
        Some(b) => match shared.tokens.verify(b, now) {
            Ok(claims) => Some(claims),
            Err(Refused::Expired) => return forbidden(Refused::Expired).into_response(),
            Err(Refused::Invalid) if shared.tokens.has_secret() => {
                return forbidden(Refused::Invalid).into_response();
            }
            // Anonymous (loopback): clients send whatever they were given, even `undefined`.
            Err(Refused::Invalid) => None,
        },
        None if shared.tokens.has_secret() => return unauthorized().into_response(),
        None => None,
    };
    let request = match start_request(body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let (id, user) = match named {
        Some(claims) => {
            let mut store = shared.store();
            let Some(conversation) = store.touch(&claims.conv, now) else {
                return conversation_not_found().into_response();
            };
            (claims.conv.clone(), conversation.user.clone())
        }
        None => match shared.create_conversation(request.user, request.locale) {
            Ok(created) => created,
            Err(refusal) => return refusal.into_response(),
        },
    };
    // The bot hears of the user once: a conversationUpdate, the first turn of the queue.
    {
        let mut store = shared.store();
        let Some(conversation) = store.touch(&id, now) else {
            return conversation_not_found().into_response();
        };
        if !conversation.started {
            conversation.started = true;
            let mut update = Activity::new(ActivityTypes::ConversationUpdate);
            update.members_added =
                Some(vec![shared.bot_account.clone(), conversation.user.clone()]);
            update.from = Some(conversation.user.clone());
            update.locale.clone_from(&conversation.locale);
            fill_incoming(&shared, &mut update, &id);
            update.timestamp = Some(botbuilder_schema::Timestamp::from_datetime(
                chrono::DateTime::<chrono::Utc>::from(now).fixed_offset(),
            ));
            if conversation
                .turns
                .try_send(Job {
                    activity: update,
                    done: None,
                })
                .is_err()
            {
                tracing::warn!(conversation = %id, "could not queue the conversationUpdate turn");
            }
        }
    }
    match shared.conversation_answer(&id, &user.id, &headers, Some(None)) {
        Ok(body) => ok_json(StatusCode::CREATED, &body),
        Err(refusal) => refusal.into_response(),
    }
}

/// What the channel sets on every activity it hands the bot.
fn fill_incoming(shared: &Shared, activity: &mut Activity, conversation: &str) {
    activity.channel_id = Some(ChannelId::Webchat);
    activity.service_url = Some(shared.service_url.clone());
    activity.conversation = Some(ConversationAccount::new(conversation));
    activity.recipient = Some(shared.bot_account.clone());
}

#[derive(Debug, Default, Deserialize)]
struct WatermarkQuery {
    #[serde(default)]
    watermark: Option<String>,
    /// The token, for WebSocket clients that cannot set headers.
    #[serde(default)]
    t: Option<String>,
}

impl WatermarkQuery {
    /// A numeric watermark; anything else (empty, `-`, garbage) means "from the start".
    fn watermark(&self) -> Option<u64> {
        self.watermark
            .as_deref()
            .and_then(|w| w.trim().parse().ok())
    }
}

/// `GET /conversations/{id}/activities?watermark=`: everything after the watermark.
async fn poll(
    State(shared): SharedState,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<WatermarkQuery>, QueryRejection>,
) -> Response {
    if let Err(refusal) = shared.authorize(bearer(&headers), &id) {
        return refusal.into_response();
    }
    let watermark = query.ok().and_then(|q| q.watermark());
    let now = shared.now();
    let (activities, newest) = {
        let mut store = shared.store();
        let Some(conversation) = store.touch(&id, now) else {
            return conversation_not_found().into_response();
        };
        conversation.after(watermark)
    };
    ok_json(StatusCode::OK, &activity_set(activities, newest))
}

/// `{"activities": [...], "watermark": "n"}`.
fn activity_set(activities: Vec<Activity>, watermark: u64) -> Value {
    let activities: Vec<Value> = activities
        .into_iter()
        .filter_map(|a| serde_json::to_value(a).ok())
        .collect();
    json!({"activities": activities, "watermark": watermark.to_string()})
}

/// `POST /conversations/{id}/activities`: echoes the client's activity into the stream, runs
/// the bot's turn, and answers with the activity's id once the turn is over.
async fn send(
    State(shared): SharedState,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(refusal) = shared.authorize(bearer(&headers), &id) {
        return refusal.into_response();
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_error(rejection).into_response(),
    };
    let mut activity = match Activity::from_json(&body) {
        Ok(activity) if !activity.activity_type.as_str().trim().is_empty() => activity,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadArgument",
                "the body is not an activity (a JSON object with a type)",
            );
        }
    };
    let now = shared.now();
    let (done, answer) = oneshot::channel();
    let echo_id = {
        let mut store = shared.store();
        let Some(conversation) = store.touch(&id, now) else {
            return conversation_not_found().into_response();
        };
        if conversation.turns.capacity() == 0 {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "too many activities are waiting for the bot in this conversation",
            );
        }
        match &mut activity.from {
            Some(from) if !from.id.trim().is_empty() => {
                from.role.get_or_insert(RoleTypes::User);
            }
            _ => activity.from = Some(conversation.user.clone()),
        }
        if activity.locale.is_none() {
            activity.locale.clone_from(&conversation.locale);
        }
        let turns = conversation.turns.clone();
        fill_incoming(&shared, &mut activity, &id);
        activity.id = None;
        // An invoke names the message it is about (a feedback button's `replyToId`).
        if activity.activity_type != ActivityTypes::Invoke {
            activity.reply_to_id = None;
        }
        // The echo enters the transcript and the turn queue together, so turns run in the
        // order clients see their messages.
        let echo = match store.append(&id, activity, now) {
            Ok(echo) => echo,
            Err(Missing::Conversation | Missing::Activity) => {
                return conversation_not_found().into_response();
            }
        };
        let echo_id = echo.id.clone().unwrap_or_default();
        let job = Job {
            activity: echo,
            done: Some(done),
        };
        if turns.try_send(job).is_err() {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "the conversation's turn queue is closed",
            );
        }
        echo_id
    };
    match answer.await {
        Ok(response) if response.status == 500 => error(
            StatusCode::BAD_GATEWAY,
            "BotError",
            "the bot failed to process the activity",
        ),
        Ok(_) => ok_json(StatusCode::OK, &json!({"id": echo_id})),
        Err(_) => error(
            StatusCode::BAD_GATEWAY,
            "BotError",
            "the bot's turn did not complete",
        ),
    }
}

/// `GET /conversations/{id}?watermark=`: a fresh token and stream URL for a client that
/// reconnects.
async fn reconnect(
    State(shared): SharedState,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<WatermarkQuery>, QueryRejection>,
) -> Response {
    if let Err(refusal) = shared.authorize(bearer(&headers), &id) {
        return refusal.into_response();
    }
    let user = {
        let mut store = shared.store();
        let Some(conversation) = store.touch(&id, shared.now()) else {
            return conversation_not_found().into_response();
        };
        conversation.user.id.clone()
    };
    let watermark = query.ok().and_then(|q| q.watermark());
    match shared.conversation_answer(&id, &user, &headers, Some(watermark)) {
        Ok(body) => ok_json(StatusCode::OK, &body),
        Err(refusal) => refusal.into_response(),
    }
}

/// `POST /tokens/refresh`: a new token for the same conversation.
async fn refresh(State(shared): SharedState, headers: HeaderMap) -> Response {
    let Some(bearer) = bearer(&headers) else {
        return unauthorized().into_response();
    };
    let claims = match shared.tokens.verify(bearer, shared.now()) {
        Ok(claims) => claims,
        Err(refused) => return forbidden(refused).into_response(),
    };
    if shared.store().touch(&claims.conv, shared.now()).is_none() {
        return conversation_not_found().into_response();
    }
    match shared.conversation_answer(&claims.conv, &claims.user, &headers, None) {
        Ok(body) => ok_json(StatusCode::OK, &body),
        Err(refusal) => refusal.into_response(),
    }
}

/// `POST /tokens/generate`: with the secret (or anonymously on loopback), a token for a new
/// conversation, which the client then starts with `POST /conversations`.
async fn generate(
    State(shared): SharedState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if shared.tokens.has_secret() {
        match bearer(&headers) {
            None => return unauthorized().into_response(),
            Some(b) if !shared.tokens.is_secret(b) => {
                return forbidden(Refused::Invalid).into_response();
            }
            Some(_) => {}
        }
    }
    let request = match start_request(body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let (id, user) = match shared.create_conversation(request.user, request.locale) {
        Ok(created) => created,
        Err(refusal) => return refusal.into_response(),
    };
    match shared.conversation_answer(&id, &user.id, &headers, None) {
        Ok(body) => ok_json(StatusCode::OK, &body),
        Err(refusal) => refusal.into_response(),
    }
}

/// Anything else under the endpoint's path.
async fn unknown() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NotFound",
        "no such Direct Line operation on this endpoint",
    )
}

/// `GET /conversations/{id}/stream?watermark=&t=`: the WebSocket stream.
async fn stream(
    State(shared): SharedState,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<WatermarkQuery>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let token = query
        .t
        .as_deref()
        .filter(|t| !t.is_empty())
        .or_else(|| bearer(&headers));
    if let Err(refusal) = shared.authorize(token, &id) {
        return refusal.into_response();
    }
    let changes = {
        let mut store = shared.store();
        let Some(conversation) = store.touch(&id, shared.now()) else {
            return conversation_not_found().into_response();
        };
        if conversation.streams() >= shared.options.max_streams_per_conversation.max(1) {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "too many streams are open on this conversation",
            );
        }
        conversation.subscribe()
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return error(
                rejection.status(),
                "BadArgument",
                "this URL takes a WebSocket upgrade request",
            );
        }
    };
    let from = query.watermark();
    upgrade.on_upgrade(move |socket| run_stream(socket, shared, id, changes, from))
}

/// Counts an open WebSocket in the `botbuilder.directline.connections` metric while it lives.
struct OpenConnection;

impl OpenConnection {
    fn new() -> Self {
        botbuilder_core::telemetry::record(
            botbuilder_core::telemetry::Measurement::DirectLineConnections(1),
        );
        Self
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        botbuilder_core::telemetry::record(
            botbuilder_core::telemetry::Measurement::DirectLineConnections(-1),
        );
    }
}

async fn run_stream(
    mut socket: WebSocket,
    shared: Arc<Shared>,
    id: String,
    mut changes: watch::Receiver<u64>,
    from: Option<u64>,
) {
    let _open = OpenConnection::new();
    let mut sent = from.unwrap_or(0);
    let period = shared.options.keep_alive.max(Duration::from_millis(10));
    let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        changes.borrow_and_update();
        let batch = {
            let mut store = shared.store();
            match store.get(&id, shared.now()) {
                Some(conversation) => conversation.batch_after(sent),
                None => break,
            }
        };
        if let Some((activities, newest)) = batch {
            let frame = activity_set(activities, newest).to_string();
            if !send_frame(&mut socket, frame).await {
                return;
            }
            sent = newest;
            continue;
        }
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    // The conversation was forgotten.
                    break;
                }
            }
            _ = keep_alive.tick() => {
                if !send_frame(&mut socket, String::new()).await {
                    return;
                }
            }
            received = socket.recv() => match received {
                // Clients send empty or `null` frames to notice broken connections; ignore.
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(None))).await;
}

async fn send_frame(socket: &mut WebSocket, text: String) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await,
        Ok(Ok(()))
    )
}

/// `GET /chat`: the built-in chat page.
async fn chat_page() -> Response {
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CHAT_PAGE_POLICY),
            ),
            (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        ],
        CHAT_PAGE,
    )
        .into_response()
}
