//! Payloads of the Bot Connector REST API and of the bot's HTTP responses.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    Activity, ChannelAccount, ChannelId, Timestamp, TokenExchangeResource, TokenPostResource,
};

/// The id of a resource the service created, such as a sent activity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceResponse {
    /// The resource's id.
    #[serde(default)]
    pub id: String,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ResourceResponse {
    /// A response with this id.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            extra: Map::new(),
        }
    }
}

/// What to create with `POST /v3/conversations`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationParameters {
    /// Whether the conversation is a group conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_group: Option<bool>,
    /// The bot's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<ChannelAccount>,
    /// Members to add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<ChannelAccount>>,
    /// The topic, on channels that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_name: Option<String>,
    /// The tenant (Teams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// An activity to send when the conversation is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    /// Channel-specific data (Teams: `{"tenant": {"id": ...}}`, `{"channel": {"id": ...}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_data: Option<Value>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer to creating a conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationResourceResponse {
    /// The id of the activity sent with the creation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<String>,
    /// The service URL to use for the new conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_url: Option<String>,
    /// The new conversation's id.
    #[serde(default)]
    pub id: String,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A page of the conversations the bot takes part in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationsResult {
    /// Token for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    /// The conversations on this page.
    #[serde(default)]
    pub conversations: Vec<ConversationMembers>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A conversation and its members.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationMembers {
    /// The conversation id.
    #[serde(default)]
    pub id: String,
    /// Its members.
    #[serde(default)]
    pub members: Vec<ChannelAccount>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A page of a conversation's members.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PagedMembersResult {
    /// Token for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    /// The members on this page.
    #[serde(default)]
    pub members: Vec<ChannelAccount>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A conversation's history, sent with `POST /v3/conversations/{id}/activities/history`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transcript {
    /// The activities, oldest first.
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An attachment to upload (`POST /v3/conversations/{id}/attachments`).
///
/// The content is base64 text on the wire; `botbuilder-connector` encodes bytes for you.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentData {
    /// The MIME type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The content, base64-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_base64: Option<String>,
    /// A thumbnail, base64-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_base64: Option<String>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for AttachmentData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttachmentData")
            .field("content_type", &self.content_type)
            .field("name", &self.name)
            .field(
                "original_base64",
                &self
                    .original_base64
                    .as_ref()
                    .map(|s| format!("<{} chars>", s.len())),
            )
            .field(
                "thumbnail_base64",
                &self
                    .thumbnail_base64
                    .as_ref()
                    .map(|s| format!("<{} chars>", s.len())),
            )
            .finish_non_exhaustive()
    }
}

/// What the service knows about an uploaded attachment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentInfo {
    /// The file name.
    #[serde(default)]
    pub name: String,
    /// The MIME type.
    #[serde(rename = "type", default)]
    pub content_type: String,
    /// The views available (`original`, `thumbnail`).
    #[serde(default)]
    pub views: Vec<AttachmentView>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One view of an attachment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentView {
    /// The view's id (`original`, `thumbnail`).
    #[serde(default)]
    pub view_id: String,
    /// Its size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of an error answer from the Bot Connector service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse {
    /// The error.
    #[serde(default)]
    pub error: ErrorDetail,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An error: code, message and the inner HTTP error (the `Error` object of the protocol).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// The service's error code, such as `BadSyntax` or `ServiceError`.
    #[serde(default)]
    pub code: String,
    /// A human-readable message.
    #[serde(default)]
    pub message: String,
    /// The HTTP error from a channel behind the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_http_error: Option<InnerHttpError>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The HTTP status and body a channel returned to the service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InnerHttpError {
    /// HTTP status code.
    #[serde(default)]
    pub status_code: u16,
    /// Body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// A user token from the token service (OAuth sign-in).
///
/// `Debug` never prints the token.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// The channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// The OAuth connection's name.
    #[serde(default)]
    pub connection_name: String,
    /// The token.
    #[serde(default)]
    pub token: String,
    /// When the token expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Timestamp>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("channel_id", &self.channel_id)
            .field("connection_name", &self.connection_name)
            .field("token", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// What the token service answers to a sign-in resource request
/// (`GET /api/botsignin/GetSignInResource`): the link to show in an OAuth card, and where a
/// client may exchange or post a token instead.
///
/// The link carries the sign-in state, so `Debug` does not print it.
///
/// ```
/// use botbuilder_schema::SignInResource;
///
/// let resource: SignInResource = serde_json::from_value(serde_json::json!({
///     "signInLink": "https://token.botframework.com/api/oauth/signin?signin=abc",
///     "tokenExchangeResource": {"id": "1", "uri": "api://botid-abc/access_as_user"}
/// }))?;
/// assert!(resource.sign_in_link.is_some());
/// assert!(!format!("{resource:?}").contains("signin=abc"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInResource {
    /// The link the user follows to sign in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_link: Option<String>,
    /// The resource to try a single sign-on token exchange with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_exchange_resource: Option<TokenExchangeResource>,
    /// Where a client can post a token directly to the token service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_post_resource: Option<TokenPostResource>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for SignInResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInResource")
            .field(
                "sign_in_link",
                &self.sign_in_link.as_ref().map(|_| "<redacted>"),
            )
            .field("token_exchange_resource", &self.token_exchange_resource)
            .field("token_post_resource", &self.token_post_resource)
            .finish_non_exhaustive()
    }
}

/// Whether a user has a token for one OAuth connection
/// (`GET /api/usertoken/GetTokenStatus`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenStatus {
    /// The channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// The OAuth connection's name.
    #[serde(default)]
    pub connection_name: String,
    /// Whether the token service holds a token for the user and this connection.
    #[serde(default)]
    pub has_token: bool,
    /// The display name of the connection's identity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_provider_display_name: Option<String>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A token a client got by single sign-on, to exchange for the connection's token
/// (`POST /api/usertoken/exchange`).
///
/// `Debug` never prints the token.
///
/// ```
/// use botbuilder_schema::TokenExchangeRequest;
///
/// let request = TokenExchangeRequest::with_token("eyJ-sso");
/// assert_eq!(serde_json::to_value(&request)?, serde_json::json!({"token": "eyJ-sso"}));
/// assert!(!format!("{request:?}").contains("eyJ-sso"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenExchangeRequest {
    /// The URI of the resource the token is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The token to exchange.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TokenExchangeRequest {
    /// A request to exchange this token.
    #[must_use]
    pub fn with_token(token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
            ..Self::default()
        }
    }

    /// A request to exchange a token for this resource URI.
    #[must_use]
    pub fn with_uri(uri: impl Into<String>) -> Self {
        Self {
            uri: Some(uri.into()),
            ..Self::default()
        }
    }
}

impl fmt::Debug for TokenExchangeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchangeRequest")
            .field("uri", &self.uri)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// The value of a `signin/tokenExchange` invoke: a token the client (Teams) got by single
/// sign-on, for the bot to exchange for the connection's token.
///
/// `Debug` never prints the token.
///
/// ```
/// use botbuilder_schema::TokenExchangeInvokeRequest;
///
/// let request: TokenExchangeInvokeRequest = serde_json::from_value(serde_json::json!({
///     "id": "exchange-1", "connectionName": "graph", "token": "eyJ-sso"
/// }))?;
/// assert_eq!(request.connection_name, "graph");
/// assert!(!format!("{request:?}").contains("eyJ-sso"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenExchangeInvokeRequest {
    /// The id of the exchange (the `id` of the card's `tokenExchangeResource`).
    #[serde(default)]
    pub id: String,
    /// The OAuth connection's name.
    #[serde(default)]
    pub connection_name: String,
    /// The single sign-on token to exchange.
    #[serde(default)]
    pub token: String,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for TokenExchangeInvokeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchangeInvokeRequest")
            .field("id", &self.id)
            .field("connection_name", &self.connection_name)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The body of the answer to a `signin/tokenExchange` invoke: which exchange, and why it
/// failed (Teams shows the sign-in card when the status is 412).
///
/// ```
/// use botbuilder_schema::TokenExchangeInvokeResponse;
///
/// let failed = TokenExchangeInvokeResponse::new("exchange-1", "graph")
///     .with_failure_detail("The bot is unable to exchange token. Proceed with regular login.");
/// assert_eq!(serde_json::to_value(&failed)?["connectionName"], "graph");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenExchangeInvokeResponse {
    /// The id of the exchange, as the request had it.
    #[serde(default)]
    pub id: String,
    /// The OAuth connection's name.
    #[serde(default)]
    pub connection_name: String,
    /// Why the exchange failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_detail: Option<String>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TokenExchangeInvokeResponse {
    /// The answer for this exchange id and connection.
    #[must_use]
    pub fn new(id: impl Into<String>, connection_name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            connection_name: connection_name.into(),
            ..Self::default()
        }
    }

    /// Sets `failureDetail`.
    #[must_use]
    pub fn with_failure_detail(mut self, detail: impl Into<String>) -> Self {
        self.failure_detail = Some(detail.into());
        self
    }
}

/// The resources to get Microsoft Entra ID tokens for (`POST /api/usertoken/GetAadTokens`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AadResourceUrls {
    /// The resource URLs.
    #[serde(default)]
    pub resource_urls: Vec<String>,
}

/// The HTTP answer to an invoke activity: a status code and an optional JSON body.
///
/// ```
/// use botbuilder_schema::InvokeResponse;
///
/// let ok = InvokeResponse::ok(serde_json::json!({"task": {"type": "message", "value": "done"}}));
/// assert_eq!(ok.status, 200);
/// assert_eq!(InvokeResponse::not_implemented().status, 501);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InvokeResponse {
    /// HTTP status code.
    pub status: u16,
    /// JSON body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl InvokeResponse {
    /// A response with this status and body.
    #[must_use]
    pub fn new(status: u16, body: Option<Value>) -> Self {
        Self { status, body }
    }

    /// 200 with a body.
    #[must_use]
    pub fn ok(body: Value) -> Self {
        Self::new(200, Some(body))
    }

    /// 501: the bot does not handle this invoke.
    #[must_use]
    pub fn not_implemented() -> Self {
        Self::new(501, None)
    }

    /// Whether the status is 2xx.
    #[must_use]
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The activities a bot returns in the HTTP response when the incoming activity's
/// `deliveryMode` is `expectReplies`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectedReplies {
    /// The replies, in the order the bot sent them.
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_response_reads_the_service_shape() {
        let e: ErrorResponse = serde_json::from_value(json!({
            "error": {"code": "BadArgument", "message": "Unknown conversation",
                      "innerHttpError": {"statusCode": 404, "body": {"x": 1}}}
        }))
        .unwrap();
        assert_eq!(e.error.code, "BadArgument");
        assert_eq!(e.error.inner_http_error.unwrap().status_code, 404);
    }

    #[test]
    fn secrets_are_not_in_debug() {
        let t = TokenResponse {
            token: "eyJ-secret".into(),
            connection_name: "graph".into(),
            ..TokenResponse::default()
        };
        assert!(!format!("{t:?}").contains("eyJ-secret"));
        let a = AttachmentData {
            original_base64: Some("QUJD".into()),
            ..AttachmentData::default()
        };
        assert!(!format!("{a:?}").contains("QUJD"));
    }

    #[test]
    fn token_service_payloads_use_wire_names_and_keep_unknown_fields() {
        let status: Vec<TokenStatus> = serde_json::from_value(json!([
            {"channelId": "msteams", "connectionName": "graph", "hasToken": true,
             "serviceProviderDisplayName": "Azure AD v2", "future": 1}
        ]))
        .unwrap();
        assert!(status[0].has_token);
        assert_eq!(status[0].connection_name, "graph");
        assert_eq!(
            serde_json::to_value(&status[0]).unwrap(),
            json!({"channelId": "msteams", "connectionName": "graph", "hasToken": true,
                   "serviceProviderDisplayName": "Azure AD v2", "future": 1})
        );
        let wire = json!({"signInLink": "https://x/signin?s=1",
                          "tokenExchangeResource": {"id": "1", "uri": "api://x", "providerId": "p"},
                          "tokenPostResource": {"sasUrl": "https://x/post?sig=2"}, "more": true});
        let resource: SignInResource = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(serde_json::to_value(&resource).unwrap(), wire);
        let debug = format!("{resource:?}");
        assert!(
            !debug.contains("s=1") && !debug.contains("sig=2"),
            "{debug}"
        );
        let request = TokenExchangeRequest {
            uri: Some("api://x".into()),
            token: Some("eyJ-secret".into()),
            ..TokenExchangeRequest::default()
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"uri": "api://x", "token": "eyJ-secret"})
        );
        assert!(!format!("{request:?}").contains("eyJ-secret"));
        let urls = AadResourceUrls {
            resource_urls: vec!["https://graph.microsoft.com".into()],
        };
        assert_eq!(
            serde_json::to_value(&urls).unwrap(),
            json!({"resourceUrls": ["https://graph.microsoft.com"]})
        );
    }

    #[test]
    fn payloads_use_wire_names() {
        let p = ConversationParameters {
            is_group: Some(false),
            tenant_id: Some("t".into()),
            members: Some(vec![ChannelAccount::new("u")]),
            ..ConversationParameters::default()
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"isGroup": false, "tenantId": "t", "members": [{"id": "u"}]})
        );
        let r: ConversationResourceResponse =
            serde_json::from_value(json!({"id": "c", "activityId": "a", "serviceUrl": "s"}))
                .unwrap();
        assert_eq!(r.activity_id.as_deref(), Some("a"));
        let v: AttachmentInfo = serde_json::from_value(
            json!({"name": "f", "type": "image/png", "views": [{"viewId": "original", "size": 3}]}),
        )
        .unwrap();
        assert_eq!(v.views[0].size, 3);
        let m: PagedMembersResult =
            serde_json::from_value(json!({"continuationToken": "n", "members": [{"id": "u"}]}))
                .unwrap();
        assert_eq!(m.continuation_token.as_deref(), Some("n"));
        assert_eq!(
            serde_json::to_value(ExpectedReplies {
                activities: vec![Activity::message("a")],
                ..Default::default()
            })
            .unwrap(),
            json!({"activities": [{"type": "message", "text": "a"}]})
        );
    }
}
