//! Sign-in on the local chat page: a development stand-in for the Bot Framework token
//! service, the way the Bot Framework Emulator once stood in for it.
//!
//! With [`DirectLineBuilder::local_sign_in`](crate::DirectLineBuilder::local_sign_in) the
//! endpoint's conversations get a [`LocalSignIn`] as their turns' token service
//! ([`UserTokenProvider`]). A sign-in card the bot sends gets a link to a page on the bot's
//! own server ([`SIGN_IN_PATH`]); there the user picks a display name, and the page shows a
//! six-digit magic code. Typed into the chat, the code gives the bot a test token, which the
//! bot's own stand-in API can check with [`LocalSignIn::verify`]. No Azure app registration,
//! no OAuth provider, nothing leaves the machine.
//!
//! It runs only on an anonymous endpoint (no Direct Line secret, no app id) on a loopback
//! address; the builder refuses it anywhere else, so it never issues tokens to a deployed bot.
//! The tokens are random strings, not JWTs, and mean nothing beyond this process.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use botbuilder_connector::clock::Clock;
use botbuilder_core::Error;
use botbuilder_core::user_token::UserTokenProvider;
use botbuilder_schema::{
    Activity, ActivityTypes, Attachment, ChannelId, OAuthCard, SignInResource, Timestamp,
    TokenExchangeRequest, TokenResponse, TokenStatus,
};
use serde::Deserialize;
use serde_json::Value;

use crate::token::random_bytes;

/// Where the sign-in page is served (`http://127.0.0.1:3978/signin?state=...`).
pub const SIGN_IN_PATH: &str = "/signin";

/// How long a sign-in link stays valid.
const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How long a magic code stays valid.
const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// How long a test token stays valid.
const TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// How many sign-in links, codes and tokens each are kept at most (the oldest go first).
const MAX_ENTRIES: usize = 1000;
/// The longest display name the page accepts, in characters.
const MAX_NAME: usize = 100;

/// The page's policy: its own inline style, forms posted to its own origin, nothing else.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The card content type the endpoint fills the sign-in link into.
const OAUTH_CARD: &str = "application/vnd.microsoft.card.oauth";

/// A user the local sign-in page signed in: what a stand-in API learns from a token
/// ([`LocalSignIn::verify`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalUser {
    /// The user's id in the conversation (`from.id` of their activities).
    pub id: String,
    /// The display name they chose on the sign-in page.
    pub name: String,
    /// The OAuth connection they signed in to.
    pub connection_name: String,
}

/// The development stand-in for the token service, turned on by
/// [`DirectLineBuilder::local_sign_in`](crate::DirectLineBuilder::local_sign_in): sign-in cards
/// link to a page on the bot's server that gives a magic code, and the code gives a test token
/// (`docs/sign-in.md`). Cheap to clone (a handle); every clone sees the same links, codes and tokens.
#[derive(Clone)]
pub struct LocalSignIn {
    inner: Arc<Inner>,
}

impl fmt::Debug for LocalSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("LocalSignIn")
            .field("origin", &self.inner.origin)
            .field("links", &state.links.len())
            .field("codes", &state.codes.len())
            .field("tokens", &state.tokens.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    /// `http://127.0.0.1:3978`.
    origin: String,
    clock: Arc<dyn Clock>,
    state: Mutex<SignInState>,
}

/// Who a sign-in link (its `state`) is for.
#[derive(Clone, Debug)]
struct Link {
    user_id: String,
    user_name: Option<String>,
    connection_name: String,
    channel_id: String,
    expires: SystemTime,
}

#[derive(Clone, Debug)]
struct Code {
    code: String,
    name: String,
    expires: SystemTime,
}

#[derive(Clone, Debug)]
struct Issued {
    token: String,
    name: String,
    channel_id: String,
    expires: SystemTime,
}

/// (user id, connection name).
type Key = (String, String);

#[derive(Default)]
struct SignInState {
    links: HashMap<String, Link>,
    codes: HashMap<Key, Code>,
    tokens: HashMap<Key, Issued>,
}

/// Keeps at most [`MAX_ENTRIES`] entries: expired ones go first, then the soonest to expire.
fn make_room<K: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    now: SystemTime,
    expires: impl Fn(&V) -> SystemTime,
) {
    map.retain(|_, v| expires(v) > now);
    while map.len() >= MAX_ENTRIES {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| expires(v))
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        map.remove(&oldest);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl LocalSignIn {
    /// A stand-in whose sign-in page is served under `origin` (`http://127.0.0.1:3978`).
    pub(crate) fn new(origin: String, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                origin,
                clock,
                state: Mutex::new(SignInState::default()),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, SignInState> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The user a test token belongs to, while it is valid: what a stand-in for a protected
    /// API checks its `Authorization: Bearer` header with. `None` for any other string.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use botbuilder_connector::{BotConfig, CloudAdapter};
    /// # use botbuilder_core::{bot_fn, Bot};
    /// # use botbuilder_directline::DirectLine;
    /// # let adapter = CloudAdapter::new(&BotConfig::anonymous())?;
    /// # let bot: Arc<dyn Bot> = Arc::new(bot_fn(async |_ctx| { Ok(()) }));
    /// let direct_line = DirectLine::builder(adapter, bot, "127.0.0.1:3978".parse()?)
    ///     .local_sign_in()
    ///     .build()?;
    /// let sign_in = direct_line.local_sign_in().expect("turned on");
    /// assert_eq!(sign_in.verify("not a token"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn verify(&self, token: &str) -> Option<LocalUser> {
        let now = self.inner.clock.now();
        let state = self.state();
        state
            .tokens
            .iter()
            .find_map(|((user, connection), issued)| {
                (issued.token == token && issued.expires > now).then(|| LocalUser {
                    id: user.clone(),
                    name: issued.name.clone(),
                    connection_name: connection.clone(),
                })
            })
    }

    /// A new sign-in link for a user and connection.
    fn link(
        &self,
        user_id: &str,
        user_name: Option<&str>,
        connection_name: &str,
        channel_id: &str,
    ) -> Result<String, Error> {
        let state_id =
            hex(&random_bytes::<16>().map_err(|e| Error::user_token("make a sign-in link", e))?);
        let now = self.inner.clock.now();
        let mut state = self.state();
        make_room(&mut state.links, now, |l| l.expires);
        state.links.insert(
            state_id.clone(),
            Link {
                user_id: user_id.to_owned(),
                user_name: user_name.map(str::to_owned),
                connection_name: connection_name.to_owned(),
                channel_id: channel_id.to_owned(),
                expires: now + LINK_LIFETIME,
            },
        );
        Ok(format!(
            "{}{SIGN_IN_PATH}?state={state_id}",
            self.inner.origin
        ))
    }

    /// Fills the sign-in link into the buttons of the OAuth cards of an outgoing activity
    /// that have none, as the Direct Line channel does for its clients.
    pub(crate) fn fill_links(&self, activity: &mut Activity) {
        if activity.activity_type != ActivityTypes::Message {
            return;
        }
        let user = activity.recipient.clone().unwrap_or_default();
        let channel = activity
            .channel_id
            .as_ref()
            .map_or_else(|| "webchat".to_owned(), |c| c.as_str().to_owned());
        let Some(attachments) = activity.attachments.as_mut() else {
            return;
        };
        for attachment in attachments.iter_mut() {
            if attachment.content_type != OAUTH_CARD {
                continue;
            }
            if let Err(error) = self.fill_card(attachment, &user.id, user.name.as_deref(), &channel)
            {
                tracing::warn!(%error, "could not add the local sign-in link to an OAuth card");
            }
        }
    }

    fn fill_card(
        &self,
        attachment: &mut Attachment,
        user_id: &str,
        user_name: Option<&str>,
        channel_id: &str,
    ) -> Result<(), Error> {
        let Some(content) = attachment.content.take() else {
            return Ok(());
        };
        let mut card: OAuthCard = match serde_json::from_value(content.clone()) {
            Ok(card) => card,
            Err(_) => {
                attachment.content = Some(content);
                return Ok(());
            }
        };
        let mut link = None;
        for button in card.buttons.iter_mut().flatten() {
            let empty = button
                .value
                .as_ref()
                .is_none_or(|v| v.as_str().is_some_and(str::is_empty));
            if empty {
                if link.is_none() {
                    link =
                        Some(self.link(user_id, user_name, &card.connection_name, channel_id)?);
                }
                button.value = link.clone().map(Value::String);
            }
        }
        attachment.content = Some(serde_json::to_value(&card).unwrap_or(content));
        Ok(())
    }

    /// Gives the magic code for a sign-in link and a chosen name; `None` for an unknown or
    /// expired link (each link gives one code).
    fn issue_code(&self, state_id: &str, name: &str) -> Result<Option<String>, Error> {
        let digits = u32::from_le_bytes(
            random_bytes::<4>().map_err(|e| Error::user_token("make a magic code", e))?,
        ) % 1_000_000;
        let code = format!("{digits:06}");
        let now = self.inner.clock.now();
        let mut state = self.state();
        let Some(link) = state.links.remove(state_id).filter(|l| l.expires > now) else {
            return Ok(None);
        };
        make_room(&mut state.codes, now, |c| c.expires);
        state.codes.insert(
            (link.user_id, link.connection_name),
            Code {
                code: code.clone(),
                name: name.to_owned(),
                expires: now + CODE_LIFETIME,
            },
        );
        let _ = link.channel_id;
        Ok(Some(code))
    }

    fn token_response(connection_name: &str, issued: &Issued) -> TokenResponse {
        let expiration = chrono::DateTime::<chrono::Utc>::from(issued.expires).fixed_offset();
        TokenResponse {
            channel_id: Some(ChannelId::from(issued.channel_id.as_str())),
            connection_name: connection_name.to_owned(),
            token: issued.token.clone(),
            expiration: Some(Timestamp::from_datetime(expiration)),
            ..TokenResponse::default()
        }
    }
}

#[async_trait]
impl UserTokenProvider for LocalSignIn {
    async fn get_user_token(
        &self,
        user_id: &str,
        connection_name: &str,
        channel_id: &str,
        magic_code: Option<&str>,
    ) -> Result<Option<TokenResponse>, Error> {
        let now = self.inner.clock.now();
        let key = (user_id.to_owned(), connection_name.to_owned());
        let fresh = match magic_code {
            Some(code) => {
                let mut state = self.state();
                let matches = state
                    .codes
                    .get(&key)
                    .is_some_and(|c| c.code == code.trim() && c.expires > now);
                if matches {
                    state.codes.remove(&key).map(|c| c.name)
                } else {
                    None
                }
            }
            None => None,
        };
        if let Some(name) = fresh {
            let token = format!(
                "local-test-token-{}",
                hex(&random_bytes::<24>().map_err(|e| Error::user_token("issue a token", e))?)
            );
            let issued = Issued {
                token,
                name,
                channel_id: channel_id.to_owned(),
                expires: now + TOKEN_LIFETIME,
            };
            let response = Self::token_response(connection_name, &issued);
            let mut state = self.state();
            make_room(&mut state.tokens, now, |t| t.expires);
            state.tokens.insert(key, issued);
            tracing::info!(
                connection = connection_name,
                "local sign-in: issued a test token"
            );
            return Ok(Some(response));
        }
        let state = self.state();
        Ok(state
            .tokens
            .get(&key)
            .filter(|t| t.expires > now)
            .map(|t| Self::token_response(connection_name, t)))
    }

    async fn get_sign_in_resource(
        &self,
        connection_name: &str,
        activity: &Activity,
        final_redirect: Option<&str>,
    ) -> Result<SignInResource, Error> {
        let _ = final_redirect;
        let user = activity.from.clone().unwrap_or_default();
        let channel = activity
            .channel_id
            .as_ref()
            .map_or_else(|| "webchat".to_owned(), |c| c.as_str().to_owned());
        let link = self.link(&user.id, user.name.as_deref(), connection_name, &channel)?;
        Ok(SignInResource {
            sign_in_link: Some(link),
            ..SignInResource::default()
        })
    }

    async fn sign_out_user(
        &self,
        user_id: &str,
        connection_name: Option<&str>,
        channel_id: &str,
    ) -> Result<(), Error> {
        let _ = channel_id;
        let mut state = self.state();
        state.tokens.retain(|(user, connection), _| {
            user != user_id || connection_name.is_some_and(|c| c != connection)
        });
        state.codes.retain(|(user, connection), _| {
            user != user_id || connection_name.is_some_and(|c| c != connection)
        });
        Ok(())
    }

    async fn get_token_status(
        &self,
        user_id: &str,
        channel_id: &str,
        include_filter: Option<&str>,
    ) -> Result<Vec<TokenStatus>, Error> {
        let _ = channel_id;
        let now = self.inner.clock.now();
        let wanted: Option<Vec<&str>> =
            include_filter.map(|f| f.split(',').map(str::trim).collect());
        let state = self.state();
        let mut statuses: Vec<TokenStatus> = state
            .tokens
            .iter()
            .filter(|((user, connection), issued)| {
                user == user_id
                    && issued.expires > now
                    && wanted
                        .as_ref()
                        .is_none_or(|w| w.contains(&connection.as_str()))
            })
            .map(|((_, connection), issued)| TokenStatus {
                channel_id: Some(ChannelId::from(issued.channel_id.as_str())),
                connection_name: connection.clone(),
                has_token: true,
                service_provider_display_name: Some("Local sign-in".to_owned()),
                ..TokenStatus::default()
            })
            .collect();
        statuses.sort_by(|a, b| a.connection_name.cmp(&b.connection_name));
        Ok(statuses)
    }

    async fn get_aad_tokens(
        &self,
        user_id: &str,
        connection_name: &str,
        resource_urls: &[String],
        channel_id: &str,
    ) -> Result<HashMap<String, TokenResponse>, Error> {
        let _ = (user_id, connection_name, resource_urls, channel_id);
        Err(Error::user_token(
            "get Microsoft Entra ID tokens",
            "the local sign-in page issues test tokens only, not Entra ID tokens",
        ))
    }

    async fn exchange_token(
        &self,
        user_id: &str,
        connection_name: &str,
        channel_id: &str,
        request: &TokenExchangeRequest,
    ) -> Result<TokenResponse, Error> {
        let _ = (user_id, connection_name, channel_id, request);
        Err(Error::user_token(
            "exchange a token",
            "single sign-on is a Teams feature; the local sign-in page has none",
        ))
    }
}

/// The sign-in page's routes.
pub(crate) fn router<S>(sign_in: LocalSignIn) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(SIGN_IN_PATH, get(page).post(submit))
        .with_state(sign_in)
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    #[serde(default)]
    state: String,
}

#[derive(Debug, Deserialize)]
struct Submitted {
    #[serde(default)]
    state: String,
    #[serde(default)]
    name: String,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}}\
         .note{{color:#666;font-size:.9rem}} input{{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}}\
         button{{font:inherit;padding:.5rem 1.2rem;margin-top:1rem;cursor:pointer}}\
         #magic-code{{font-size:2.5rem;letter-spacing:.4rem;font-weight:bold;display:block;margin:1rem 0}}\
         </style></head><body><h1>{title}</h1>{body}\
         <p class=\"note\">Local sign-in: a development stand-in for the Bot Framework token \
         service, served by the bot on this machine. It issues test tokens only.</p></body></html>"
    );
    let mut response = (status, page).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn expired() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "Sign-in link expired",
        "<p>This sign-in link is unknown, was used already, or has expired. Ask the bot to \
         sign you in again.</p>",
    )
}

async fn page(
    State(sign_in): State<LocalSignIn>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let state_id = query.map(|Query(q)| q.state).unwrap_or_default();
    let now = sign_in.inner.clock.now();
    let link = sign_in
        .state()
        .links
        .get(&state_id)
        .filter(|l| l.expires > now)
        .cloned();
    let Some(link) = link else {
        return expired();
    };
    let name = link
        .user_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "Test User".to_owned());
    html(
        StatusCode::OK,
        "Sign in",
        &format!(
            "<p>Sign in to <strong>{connection}</strong> as a test user.</p>\
             <form method=\"post\" action=\"{SIGN_IN_PATH}\">\
             <input type=\"hidden\" name=\"state\" value=\"{state}\">\
             <label for=\"name\">Display name</label>\
             <input id=\"name\" name=\"name\" maxlength=\"{MAX_NAME}\" value=\"{name}\" required>\
             <button id=\"sign-in\" type=\"submit\">Sign in</button></form>",
            connection = escape(&link.connection_name),
            state = escape(&state_id),
            name = escape(&name),
        ),
    )
}

async fn submit(
    State(sign_in): State<LocalSignIn>,
    form: Result<Form<Submitted>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return html(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "<p>The form was not sent as expected.</p>",
        );
    };
    let name: String = form.name.trim().chars().take(MAX_NAME).collect();
    let name = if name.is_empty() {
        "Test User".to_owned()
    } else {
        name
    };
    match sign_in.issue_code(&form.state, &name) {
        Ok(Some(code)) => html(
            StatusCode::OK,
            "Almost done",
            &format!(
                "<p>Signed in as <strong>{name}</strong>. Type this code in the chat to finish \
                 signing in:</p><output id=\"magic-code\">{code}</output>\
                 <p class=\"note\">The code is valid for 5 minutes.</p>",
                name = escape(&name),
            ),
        ),
        Ok(None) => expired(),
        Err(error) => {
            tracing::error!(%error, "local sign-in failed");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sign-in failed",
                "<p>The page could not make a code; see the bot's log.</p>",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use botbuilder_connector::clock::SystemClock;
    use botbuilder_schema::{ChannelAccount, ConversationAccount};

    fn service() -> LocalSignIn {
        LocalSignIn::new("http://127.0.0.1:3978".to_owned(), Arc::new(SystemClock))
    }

    fn incoming() -> Activity {
        let mut activity = Activity::message("sign me in");
        activity.channel_id = Some(ChannelId::Webchat);
        activity.from = Some(ChannelAccount::new("user-1").with_name("Ada"));
        activity.conversation = Some(ConversationAccount::new("c-1"));
        activity
    }

    fn state_of(link: &str) -> String {
        link.split("state=").nth(1).unwrap().to_owned()
    }

    #[tokio::test]
    async fn a_link_gives_one_code_and_the_code_gives_a_token_once() {
        let service = service();
        let resource = service
            .get_sign_in_resource("graph", &incoming(), None)
            .await
            .unwrap();
        let link = resource.sign_in_link.unwrap();
        assert!(
            link.starts_with("http://127.0.0.1:3978/signin?state="),
            "{link}"
        );
        let state = state_of(&link);
        let code = service.issue_code(&state, "Ada L").unwrap().unwrap();
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(
            service.issue_code(&state, "again").unwrap(),
            None,
            "one code per link"
        );

        let none = service
            .get_user_token("user-1", "graph", "webchat", None)
            .await
            .unwrap();
        assert!(none.is_none());
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let refused = service
            .get_user_token("user-1", "graph", "webchat", Some(wrong))
            .await
            .unwrap();
        assert!(refused.is_none());
        let other_user = service
            .get_user_token("user-2", "graph", "webchat", Some(&code))
            .await
            .unwrap();
        assert!(other_user.is_none());
        let token = service
            .get_user_token("user-1", "graph", "webchat", Some(&code))
            .await
            .unwrap()
            .unwrap();
        assert!(token.token.starts_with("local-test-token-"));
        assert_eq!(token.connection_name, "graph");
        let user = service.verify(&token.token).unwrap();
        assert_eq!(user.name, "Ada L");
        assert_eq!(user.id, "user-1");
        // Signed in: the token comes without a code; the code does not work twice.
        let again = service
            .get_user_token("user-1", "graph", "webchat", None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.token, token.token);
        let status = service
            .get_token_status("user-1", "webchat", None)
            .await
            .unwrap();
        assert_eq!(status.len(), 1);
        assert!(status[0].has_token);

        service
            .sign_out_user("user-1", Some("graph"), "webchat")
            .await
            .unwrap();
        assert!(service.verify(&token.token).is_none());
        assert!(
            service
                .get_user_token("user-1", "graph", "webchat", None)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn oauth_cards_get_the_link_others_are_left_alone() {
        let service = service();
        let card = OAuthCard {
            connection_name: "graph".to_owned(),
            buttons: Some(vec![botbuilder_schema::CardAction {
                action_type: Some(botbuilder_schema::ActionTypes::Signin),
                title: Some("Sign in".to_owned()),
                ..botbuilder_schema::CardAction::default()
            }]),
            ..OAuthCard::default()
        };
        let mut reply = Activity::message("");
        reply.recipient = Some(ChannelAccount::new("user-1"));
        reply.attachments = Some(vec![
            card.into_attachment(),
            Attachment {
                content_type: "application/vnd.microsoft.card.hero".to_owned(),
                content: Some(serde_json::json!({"title": "t"})),
                ..Attachment::default()
            },
        ]);
        service.fill_links(&mut reply);
        let attachments = reply.attachments.unwrap();
        let value = &attachments[0].content.as_ref().unwrap()["buttons"][0]["value"];
        let link = value.as_str().unwrap();
        assert!(
            link.starts_with("http://127.0.0.1:3978/signin?state="),
            "{link}"
        );
        assert_eq!(
            attachments[1].content,
            Some(serde_json::json!({"title": "t"}))
        );
        assert!(service.state().links.contains_key(&state_of(link)));
    }

    #[tokio::test]
    async fn no_entra_tokens_and_no_exchange() {
        let service = service();
        let error = service
            .get_aad_tokens(
                "u",
                "graph",
                &["https://graph.microsoft.com".to_owned()],
                "webchat",
            )
            .await
            .unwrap_err();
        assert!(matches!(error, Error::UserToken { .. }));
        let error = service
            .exchange_token("u", "graph", "webchat", &TokenExchangeRequest::default())
            .await
            .unwrap_err();
        assert!(matches!(error, Error::UserToken { .. }));
    }
}
