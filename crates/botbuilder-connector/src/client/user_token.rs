//! [`UserTokenClient`]: the Bot Framework token service (user sign-in through the OAuth
//! connections of the bot's Azure Bot resource).

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;
use botbuilder_core::user_token::UserTokenProvider;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde::Serialize;

use botbuilder_schema::{
    AadResourceUrls, Activity, ConversationReference, SignInResource, TokenExchangeRequest,
    TokenResponse, TokenStatus,
};

use super::{Call, ConnectorClient, from_body, from_body_or_default, require, to_body};
use crate::ConnectorError;

/// The optional query parameters of a sign-in resource request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignInResourceOptions {
    /// A PKCE code challenge (`code_challenge`).
    pub code_challenge: Option<String>,
    /// The Emulator's URL, when the bot talks to the Emulator (`emulatorUrl`).
    pub emulator_url: Option<String>,
    /// Where the token service sends the browser after sign-in (`finalRedirect`).
    pub final_redirect: Option<String>,
}

impl SignInResourceOptions {
    /// Sets `finalRedirect`.
    #[must_use]
    pub fn with_final_redirect(mut self, url: impl Into<String>) -> Self {
        self.final_redirect = Some(url.into());
        self
    }

    /// Sets `code_challenge`.
    #[must_use]
    pub fn with_code_challenge(mut self, challenge: impl Into<String>) -> Self {
        self.code_challenge = Some(challenge.into());
        self
    }

    /// Sets `emulatorUrl`.
    #[must_use]
    pub fn with_emulator_url(mut self, url: impl Into<String>) -> Self {
        self.emulator_url = Some(url.into());
        self
    }
}

/// The sign-in state BotBuilder sends to the token service (`TokenExchangeState`): which
/// connection, for which conversation, for which bot, in BotBuilder's field names.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenExchangeState<'a> {
    connection_name: &'a str,
    conversation: ConversationReference,
    relates_to: Option<&'a ConversationReference>,
    /// Always `null`: BotBuilder sends it for skills, which this SDK does not host.
    bot_url: Option<&'a str>,
    ms_app_id: Option<&'a str>,
}

/// A client of the Bot Framework token service (`OAuthUrl`): a user's tokens for the OAuth
/// connections of the bot's Azure Bot resource, sign-in links, sign-out and token exchange
/// (single sign-on). BotBuilder's `UserTokenClient`.
///
/// Requests go through the same machinery as [`ConnectorClient`]'s: the app token for the
/// credentials' scope (the token service accepts the Bot Framework scope the connector uses),
/// only to a trusted host ([`TrustedHosts`](crate::TrustedHosts); the default hosts include
/// the public and US Government token services), the retry policy, and one retry with a new
/// app token after a 401. User tokens and magic codes are never logged, and `Debug` of
/// [`TokenResponse`] does not print the token.
///
/// Get one from [`CloudAdapter::user_token_client`](crate::CloudAdapter::user_token_client)
/// (the configured `OAuthUrl`) or [`ConnectorClientFactory::user_token_client`](crate::ConnectorClientFactory::user_token_client).
///
/// ```no_run
/// # async fn demo(adapter: botbuilder_connector::CloudAdapter) -> Result<(), botbuilder_connector::ConnectorError> {
/// let tokens = adapter.user_token_client()?;
/// match tokens.get_user_token("29:user", "graph", "msteams", None).await? {
///     Some(token) => println!("signed in to {}", token.connection_name),
///     None => println!("not signed in"),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct UserTokenClient {
    client: ConnectorClient,
}

impl fmt::Debug for UserTokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserTokenClient")
            .field("oauth_url", &self.oauth_url())
            .field("oauth_scope", &self.client.oauth_scope())
            .field("credentials", self.client.credentials())
            .finish_non_exhaustive()
    }
}

impl UserTokenClient {
    /// A client of the token service behind this connector client (whose service URL is the
    /// token service's URL).
    pub(crate) fn from_client(client: ConnectorClient) -> Self {
        Self { client }
    }

    /// The token service URL requests go to (without a trailing `/`).
    #[must_use]
    pub fn oauth_url(&self) -> &str {
        self.client.service_url()
    }

    /// The bot's app id, sent in the sign-in state (`None` when anonymous).
    fn app_id(&self) -> Option<&str> {
        self.client.credentials().app_id()
    }

    /// The user's token for a connection (`GET /api/usertoken/GetToken`), with the magic code
    /// the user typed if the channel shows one. `Ok(None)` when the user is not signed in
    /// (the service answers 404).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty id or name; otherwise as any call
    /// ([`ConnectorError::Service`], [`ConnectorError::Refused`], ...).
    pub async fn get_user_token(
        &self,
        user_id: &str,
        connection_name: &str,
        channel_id: &str,
        magic_code: Option<&str>,
    ) -> Result<Option<TokenResponse>, ConnectorError> {
        let mut query = vec![
            ("userId", require(user_id, "the user id")?),
            (
                "connectionName",
                require(connection_name, "the connection name")?,
            ),
            ("channelId", require(channel_id, "the channel id")?),
        ];
        if let Some(code) = magic_code.filter(|c| !c.is_empty()) {
            query.push(("code", code));
        }
        let answer = self
            .client
            .call(Call::get(&["api", "usertoken", "GetToken"]).query(&query))
            .await;
        match answer {
            Ok(answer) => Ok(Some(from_body(&answer, "a user token")?)),
            Err(ConnectorError::Service {
                status: StatusCode::NOT_FOUND,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The sign-in link (and single sign-on resources) for a connection, for the user and
    /// conversation of `activity` (`GET /api/botsignin/GetSignInResource`), as BotBuilder
    /// asks for it: the state is [`sign_in_state`](Self::sign_in_state).
    ///
    /// # Errors
    /// As [`get_sign_in_resource_for_state`](Self::get_sign_in_resource_for_state).
    pub async fn get_sign_in_resource(
        &self,
        connection_name: &str,
        activity: &Activity,
        final_redirect: Option<&str>,
    ) -> Result<SignInResource, ConnectorError> {
        let state = self.sign_in_state(connection_name, activity)?;
        let options = SignInResourceOptions {
            final_redirect: final_redirect.map(str::to_owned),
            ..SignInResourceOptions::default()
        };
        self.get_sign_in_resource_for_state(&state, &options).await
    }

    /// The sign-in resource for a state built by the caller
    /// (`GET /api/botsignin/GetSignInResource?state=&code_challenge=&emulatorUrl=&finalRedirect=`).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty state; otherwise as any call.
    pub async fn get_sign_in_resource_for_state(
        &self,
        state: &str,
        options: &SignInResourceOptions,
    ) -> Result<SignInResource, ConnectorError> {
        let mut query = vec![("state", require(state, "the sign-in state")?)];
        if let Some(v) = options.code_challenge.as_deref() {
            query.push(("code_challenge", v));
        }
        if let Some(v) = options.emulator_url.as_deref() {
            query.push(("emulatorUrl", v));
        }
        if let Some(v) = options.final_redirect.as_deref() {
            query.push(("finalRedirect", v));
        }
        let answer = self
            .client
            .call(Call::get(&["api", "botsignin", "GetSignInResource"]).query(&query))
            .await?;
        from_body(&answer, "a sign-in resource")
    }

    /// The sign-in state of a connection and an activity, as BotBuilder builds it: the
    /// base64 of the JSON `{"connectionName", "conversation" (the activity's conversation
    /// reference), "relatesTo", "botUrl", "msAppId"}`.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty connection name.
    pub fn sign_in_state(
        &self,
        connection_name: &str,
        activity: &Activity,
    ) -> Result<String, ConnectorError> {
        let state = TokenExchangeState {
            connection_name: require(connection_name, "the connection name")?,
            conversation: activity.conversation_reference(),
            relates_to: activity.relates_to.as_ref(),
            bot_url: None,
            ms_app_id: self.app_id(),
        };
        Ok(STANDARD.encode(to_body(&state, "the sign-in state")?))
    }

    /// Signs the user out of one connection, or of all when `connection_name` is `None`
    /// (`DELETE /api/usertoken/SignOut`).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty id; otherwise as any call.
    pub async fn sign_out_user(
        &self,
        user_id: &str,
        connection_name: Option<&str>,
        channel_id: &str,
    ) -> Result<(), ConnectorError> {
        let mut query = vec![("userId", require(user_id, "the user id")?)];
        if let Some(name) = connection_name.filter(|n| !n.is_empty()) {
            query.push(("connectionName", name));
        }
        query.push(("channelId", require(channel_id, "the channel id")?));
        self.client
            .call(Call::delete(&["api", "usertoken", "SignOut"]).query(&query))
            .await?;
        Ok(())
    }

    /// Whether the user has a token for each connection, or for those `include_filter` names
    /// (comma-separated) (`GET /api/usertoken/GetTokenStatus`).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty id; otherwise as any call.
    pub async fn get_token_status(
        &self,
        user_id: &str,
        channel_id: &str,
        include_filter: Option<&str>,
    ) -> Result<Vec<TokenStatus>, ConnectorError> {
        let mut query = vec![
            ("userId", require(user_id, "the user id")?),
            ("channelId", require(channel_id, "the channel id")?),
        ];
        if let Some(include) = include_filter.filter(|i| !i.is_empty()) {
            query.push(("include", include));
        }
        let answer = self
            .client
            .call(Call::get(&["api", "usertoken", "GetTokenStatus"]).query(&query))
            .await?;
        from_body_or_default(&answer, "token statuses")
    }

    /// Microsoft Entra ID tokens of a connection for these resources, by resource URL
    /// (`POST /api/usertoken/GetAadTokens`).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty id or name; otherwise as any call.
    pub async fn get_aad_tokens(
        &self,
        user_id: &str,
        connection_name: &str,
        resource_urls: &[String],
        channel_id: &str,
    ) -> Result<HashMap<String, TokenResponse>, ConnectorError> {
        let query = [
            ("userId", require(user_id, "the user id")?),
            (
                "connectionName",
                require(connection_name, "the connection name")?,
            ),
            ("channelId", require(channel_id, "the channel id")?),
        ];
        let body = to_body(
            &AadResourceUrls {
                resource_urls: resource_urls.to_vec(),
            },
            "the resource URLs",
        )?;
        let answer = self
            .client
            .call(Call::post(&["api", "usertoken", "GetAadTokens"], body).query(&query))
            .await?;
        from_body_or_default(&answer, "Entra ID tokens")
    }

    /// Exchanges a token the client got by single sign-on for the connection's token
    /// (`POST /api/usertoken/exchange`).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty id or name; the service's refusal to
    /// exchange as [`ConnectorError::Service`]; otherwise as any call.
    pub async fn exchange_token(
        &self,
        user_id: &str,
        connection_name: &str,
        channel_id: &str,
        request: &TokenExchangeRequest,
    ) -> Result<TokenResponse, ConnectorError> {
        let query = [
            ("userId", require(user_id, "the user id")?),
            (
                "connectionName",
                require(connection_name, "the connection name")?,
            ),
            ("channelId", require(channel_id, "the channel id")?),
        ];
        let body = to_body(request, "the token exchange request")?;
        let answer = self
            .client
            .call(Call::post(&["api", "usertoken", "exchange"], body).query(&query))
            .await?;
        from_body(&answer, "an exchanged token")
    }
}

/// The token service of every turn of a `CloudAdapter`
/// (`ctx.user_token_provider()`): each method calls the one of the same name, and wraps its
/// [`ConnectorError`] in [`botbuilder_core::Error::UserToken`] (the connector error is the
/// source).
#[async_trait]
impl UserTokenProvider for UserTokenClient {
    async fn get_user_token(
        &self,
        user_id: &str,
        connection_name: &str,
        channel_id: &str,
        magic_code: Option<&str>,
    ) -> Result<Option<TokenResponse>, botbuilder_core::Error> {
        UserTokenClient::get_user_token(self, user_id, connection_name, channel_id, magic_code)
            .await
            .map_err(|e| botbuilder_core::Error::user_token("get a user token", e))
    }

    async fn get_sign_in_resource(
        &self,
        connection_name: &str,
        activity: &Activity,
        final_redirect: Option<&str>,
    ) -> Result<SignInResource, botbuilder_core::Error> {
        UserTokenClient::get_sign_in_resource(self, connection_name, activity, final_redirect)
            .await
            .map_err(|e| botbuilder_core::Error::user_token("get a sign-in resource", e))
    }

    async fn sign_out_user(
        &self,
        user_id: &str,
        connection_name: Option<&str>,
        channel_id: &str,
    ) -> Result<(), botbuilder_core::Error> {
        UserTokenClient::sign_out_user(self, user_id, connection_name, channel_id)
            .await
            .map_err(|e| botbuilder_core::Error::user_token("sign the user out", e))
    }

    async fn get_token_status(
        &self,
        user_id: &str,
        channel_id: &str,
        include_filter: Option<&str>,
    ) -> Result<Vec<TokenStatus>, botbuilder_core::Error> {
        UserTokenClient::get_token_status(self, user_id, channel_id, include_filter)
            .await
            .map_err(|e| botbuilder_core::Error::user_token("get the token status", e))
    }

    async fn get_aad_tokens(
        &self,
        user_id: &str,
        connection_name: &str,
        resource_urls: &[String],
        channel_id: &str,
    ) -> Result<HashMap<String, TokenResponse>, botbuilder_core::Error> {
        UserTokenClient::get_aad_tokens(self, user_id, connection_name, resource_urls, channel_id)
            .await
            .map_err(|e| botbuilder_core::Error::user_token("get Entra ID tokens", e))
    }

    async fn exchange_token(
        &self,
        user_id: &str,
        connection_name: &str,
        channel_id: &str,
        request: &TokenExchangeRequest,
    ) -> Result<TokenResponse, botbuilder_core::Error> {
        UserTokenClient::exchange_token(self, user_id, connection_name, channel_id, request)
            .await
            .map_err(|e| botbuilder_core::Error::user_token("exchange a token", e))
    }
}
