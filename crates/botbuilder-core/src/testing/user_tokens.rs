//! [`TestUserTokens`]: an in-memory token service for tests.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use botbuilder_schema::{
    Activity, ChannelId, SignInResource, TokenExchangeRequest, TokenExchangeResource,
    TokenResponse, TokenStatus,
};

use crate::Error;
use crate::user_token::UserTokenProvider;

/// A token service in memory, for tests: the [`UserTokenProvider`] of every
/// [`TestAdapter`](super::TestAdapter) turn (BotBuilder's `TestAdapter.AddUserToken` and
/// `AddExchangeableToken`).
///
/// Tokens are kept per connection, channel and user. A token added with a magic code is given
/// only once that code is presented (then it stays signed in, as with the real service); one
/// added without a code is signed in at once. A token exchange succeeds only for a token (or
/// URI) registered with [`add_exchangeable_token`](Self::add_exchangeable_token), and does
/// not sign the user in by itself. Sign-in links are
/// `https://token.test/oauthsignin/{connection}/{channel}/{user}`.
///
/// Cheap to clone; clones share the tokens, so two adapters (two bot instances) can share one
/// service ([`TestAdapter::with_user_tokens`](super::TestAdapter::with_user_tokens)).
///
/// ```
/// use botbuilder_core::testing::TestUserTokens;
/// use botbuilder_core::user_token::UserTokenProvider;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), botbuilder_core::Error> {
/// let tokens = TestUserTokens::new();
/// tokens.add_user_token("graph", "test", "user1", "eyJ-token", Some("123456"));
/// assert!(tokens.get_user_token("user1", "graph", "test", None).await?.is_none());
/// let token = tokens.get_user_token("user1", "graph", "test", Some("123456")).await?;
/// assert_eq!(token.map(|t| t.token).as_deref(), Some("eyJ-token"));
/// // Signed in now: no code needed.
/// assert!(tokens.get_user_token("user1", "graph", "test", None).await?.is_some());
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct TestUserTokens {
    inner: Arc<Mutex<Tokens>>,
}

/// (connection, channel, user)
type Key = (String, String, String);

#[derive(Default)]
struct Tokens {
    signed_in: HashMap<Key, String>,
    magic_codes: Vec<(Key, String, String)>,
    /// (key, exchangeable item) -> token
    exchangeable: HashMap<(Key, String), String>,
    exchange_resources: HashMap<String, TokenExchangeResource>,
    exchanges: usize,
}

fn key(connection: &str, channel: &str, user: &str) -> Key {
    (connection.to_owned(), channel.to_owned(), user.to_owned())
}

impl TestUserTokens {
    /// An empty service: nobody is signed in.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a user's token for a connection on a channel: signed in at once when
    /// `magic_code` is `None`, otherwise once the code is presented.
    pub fn add_user_token(
        &self,
        connection_name: &str,
        channel_id: &str,
        user_id: &str,
        token: &str,
        magic_code: Option<&str>,
    ) {
        let k = key(connection_name, channel_id, user_id);
        let mut tokens = self.lock();
        match magic_code {
            None => {
                tokens.signed_in.insert(k, token.to_owned());
            }
            Some(code) => tokens
                .magic_codes
                .push((k, code.to_owned(), token.to_owned())),
        }
    }

    /// Lets a single sign-on token (or resource URI), `exchangeable_item`, be exchanged for
    /// `token` for this connection, channel and user.
    pub fn add_exchangeable_token(
        &self,
        connection_name: &str,
        channel_id: &str,
        user_id: &str,
        exchangeable_item: &str,
        token: &str,
    ) {
        self.lock().exchangeable.insert(
            (
                key(connection_name, channel_id, user_id),
                exchangeable_item.to_owned(),
            ),
            token.to_owned(),
        );
    }

    /// Makes the sign-in resource of a connection carry this token exchange resource (as the
    /// service does for a connection set up for single sign-on).
    pub fn set_token_exchange_resource(
        &self,
        connection_name: &str,
        resource: TokenExchangeResource,
    ) {
        self.lock()
            .exchange_resources
            .insert(connection_name.to_owned(), resource);
    }

    /// How many token exchanges were asked for, successful or not.
    #[must_use]
    pub fn exchange_count(&self) -> usize {
        self.lock().exchanges
    }

    /// Whether the user is signed in to a connection on a channel.
    #[must_use]
    pub fn is_signed_in(&self, connection_name: &str, channel_id: &str, user_id: &str) -> bool {
        self.lock()
            .signed_in
            .contains_key(&key(connection_name, channel_id, user_id))
    }
}

fn response(connection: &str, channel: &str, token: &str) -> TokenResponse {
    TokenResponse {
        channel_id: Some(ChannelId::from(channel.to_owned())),
        connection_name: connection.to_owned(),
        token: token.to_owned(),
        ..TokenResponse::default()
    }
}

#[async_trait]
impl UserTokenProvider for TestUserTokens {
    async fn get_user_token(
        &self,
        user_id: &str,
        connection_name: &str,
        channel_id: &str,
        magic_code: Option<&str>,
    ) -> Result<Option<TokenResponse>, Error> {
        let k = key(connection_name, channel_id, user_id);
        let mut tokens = self.lock();
        if let Some(code) = magic_code.filter(|c| !c.is_empty())
            && let Some(position) = tokens
                .magic_codes
                .iter()
                .position(|(mk, mc, _)| *mk == k && mc == code)
        {
            let (k, _, token) = tokens.magic_codes.remove(position);
            tokens.signed_in.insert(k, token);
        }
        Ok(tokens
            .signed_in
            .get(&k)
            .map(|token| response(connection_name, channel_id, token)))
    }

    async fn get_sign_in_resource(
        &self,
        connection_name: &str,
        activity: &Activity,
        _final_redirect: Option<&str>,
    ) -> Result<SignInResource, Error> {
        let channel = activity.channel_id.as_ref().map_or("", |c| c.as_str());
        let user = activity.from.as_ref().map_or("", |f| f.id.as_str());
        Ok(SignInResource {
            sign_in_link: Some(format!(
                "https://token.test/oauthsignin/{connection_name}/{channel}/{user}"
            )),
            token_exchange_resource: self.lock().exchange_resources.get(connection_name).cloned(),
            ..SignInResource::default()
        })
    }

    async fn sign_out_user(
        &self,
        user_id: &str,
        connection_name: Option<&str>,
        channel_id: &str,
    ) -> Result<(), Error> {
        self.lock()
            .signed_in
            .retain(|(connection, channel, user), _| {
                !(user == user_id
                    && channel == channel_id
                    && connection_name.is_none_or(|name| name == connection))
            });
        Ok(())
    }

    async fn get_token_status(
        &self,
        user_id: &str,
        channel_id: &str,
        include_filter: Option<&str>,
    ) -> Result<Vec<TokenStatus>, Error> {
        let include: Option<Vec<&str>> =
            include_filter.map(|f| f.split(',').map(str::trim).collect());
        let tokens = self.lock();
        let mut statuses: Vec<TokenStatus> = tokens
            .signed_in
            .keys()
            .filter(|(connection, channel, user)| {
                user == user_id
                    && channel == channel_id
                    && include
                        .as_ref()
                        .is_none_or(|names| names.contains(&connection.as_str()))
            })
            .map(|(connection, channel, _)| TokenStatus {
                channel_id: Some(ChannelId::from(channel.clone())),
                connection_name: connection.clone(),
                has_token: true,
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
        let tokens = self.lock();
        let Some(token) = tokens
            .signed_in
            .get(&key(connection_name, channel_id, user_id))
        else {
            return Ok(HashMap::new());
        };
        Ok(resource_urls
            .iter()
            .map(|url| (url.clone(), response(connection_name, channel_id, token)))
            .collect())
    }

    async fn exchange_token(
        &self,
        user_id: &str,
        connection_name: &str,
        channel_id: &str,
        request: &TokenExchangeRequest,
    ) -> Result<TokenResponse, Error> {
        let mut tokens = self.lock();
        tokens.exchanges += 1;
        let item = request
            .token
            .as_deref()
            .or(request.uri.as_deref())
            .unwrap_or_default();
        match tokens
            .exchangeable
            .get(&(key(connection_name, channel_id, user_id), item.to_owned()))
        {
            Some(token) => Ok(response(connection_name, channel_id, token)),
            None => Err(Error::user_token(
                "exchange a token",
                "the test token service has no exchangeable token for this request",
            )),
        }
    }
}

impl fmt::Debug for TestUserTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens = self.lock();
        f.debug_struct("TestUserTokens")
            .field("signed_in", &tokens.signed_in.len())
            .field("pending_magic_codes", &tokens.magic_codes.len())
            .field("exchangeable", &tokens.exchangeable.len())
            .finish_non_exhaustive()
    }
}
