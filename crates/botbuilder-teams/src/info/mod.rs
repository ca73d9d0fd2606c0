//! [`TeamsInfo`]: the Teams operations of the Bot Connector service: members, teams,
//! channels, meetings, in-meeting notifications and batch messaging.
//!
//! Two ways in:
//!
//! - [`TeamsInfo::new`] wraps a [`ConnectorClient`] (from the adapter's
//!   `connector_factory().client_for(service_url)`); every id is passed explicitly, and it is
//!   `'static`, cheap to clone, usable outside turns (proactive work, background jobs).
//! - [`TeamsInfo::for_turn`] takes the connector client the `CloudAdapter` put into the turn
//!   state for the turn's service URL, and gives [`TeamsTurnInfo`], whose calls default the
//!   team, meeting, tenant and participant from the incoming activity, as BotBuilder's
//!   `TeamsInfo` does with its `TurnContext` argument.
//!
//! Every call goes through the connector client: the app token, trusted hosts, retries with
//! backoff honouring `Retry-After` (a `POST` only when Teams did not take it), a fresh token
//! after a 401. Teams' answers come back typed ([`TeamsError::BotNotInConversationRoster`],
//! [`TeamsError::NotFound`], [`TeamsError::Throttled`]).
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use botbuilder_core::{TurnContext, TurnResult};
//! use botbuilder_teams::info::TeamsInfo;
//!
//! async fn on_message(ctx: &mut TurnContext) -> TurnResult {
//!     let teams = TeamsInfo::for_turn(ctx)?;
//!     let details = teams.get_team_details(None).await?;
//!     let channels = teams.get_team_channels(None).await?;
//!     let members: Vec<_> = teams.members(Some(100)).try_collect().await?;
//!     ctx.send_activity(format!(
//!         "{} has {} channels and {} members",
//!         details.name.unwrap_or_default(),
//!         channels.len(),
//!         members.len()
//!     ))
//!     .await?;
//!     Ok(())
//! }
//! ```

mod models;

use futures::{Stream, StreamExt, TryStreamExt, stream};
use serde::Deserialize;
use serde_json::{Value, json};

use botbuilder_connector::{ConnectorClient, ConnectorError, ConnectorRequest, ConnectorResponse};
use botbuilder_core::TurnContext;
use botbuilder_schema::{
    Activity, ChannelAccount, ChannelId, ConversationAccount, ConversationParameters,
    ConversationReference, ConversationResourceResponse,
};

use crate::TeamsError;
use crate::models::{
    ChannelInfo, MeetingInfo, TeamDetails, TeamsChannelAccount, TeamsChannelData,
    TeamsMeetingParticipant, TeamsPagedMembersResult,
};

pub use models::{
    BatchFailedEntriesResponse, BatchFailedEntry, BatchOperationState, MeetingNotification,
    MeetingNotificationChannelData, MeetingNotificationRecipientFailureInfo,
    MeetingNotificationResponse, MeetingSurface, TargetedMeetingNotificationValue, TeamMember,
};

/// The Teams operations of the Bot Connector service at one service URL, with explicit ids.
///
/// Cheap to clone (it holds a [`ConnectorClient`], an `Arc`). Ids are percent-encoded into
/// the path as BotBuilder does (`19:abc@thread.skype` is sent as `19%3Aabc%40thread.skype`).
///
/// ```no_run
/// use std::sync::Arc;
/// use botbuilder_connector::{ConnectorClient, auth::AnonymousCredentials};
/// use botbuilder_schema::Activity;
/// use botbuilder_teams::info::{TeamMember, TeamsInfo};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = ConnectorClient::new("https://smba.trafficmanager.net/amer/", Arc::new(AnonymousCredentials))?;
/// let teams = TeamsInfo::new(client);
/// let operation = teams
///     .send_message_to_list_of_users(
///         &Activity::message("the build is green"),
///         "tenant-id",
///         &[TeamMember::new("29:user-1"), TeamMember::new("29:user-2")],
///     )
///     .await?;
/// let state = teams.get_operation_state(&operation).await?;
/// println!("{}: {} of {}", state.state, state.status_map.len(), state.total_entries_count);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct TeamsInfo {
    client: ConnectorClient,
}

/// Rejects an empty id before it makes a wrong URL.
fn require<'a>(value: &'a str, name: &str) -> Result<&'a str, TeamsError> {
    if value.trim().is_empty() {
        Err(TeamsError::InvalidArgument {
            reason: format!("{name} is empty"),
        })
    } else {
        Ok(value)
    }
}

/// The body of a batch operation's answer: `{"operationId": "..."}`; a bare JSON string or
/// plain text (which BotBuilder for .NET returns as is) is read as the id too.
fn operation_id(body: &[u8], operation: &'static str) -> Result<String, TeamsError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Body {
        Object {
            #[serde(rename = "operationId")]
            operation_id: String,
        },
        Text(String),
    }
    let id = match serde_json::from_slice::<Body>(body) {
        Ok(Body::Object { operation_id } | Body::Text(operation_id)) => operation_id,
        Err(_) => match std::str::from_utf8(body).map(str::trim) {
            Ok(text)
                if !text.is_empty()
                    && !text.starts_with(['{', '[', '"'])
                    && !text.contains(char::is_whitespace) =>
            {
                text.to_owned()
            }
            _ => String::new(),
        },
    };
    if id.trim().is_empty() {
        return Err(TeamsError::Connector {
            operation,
            source: ConnectorError::InvalidResponse {
                context: format!("{operation}: the answer has no operation id"),
                source: "expected {\"operationId\": \"...\"}".into(),
            },
        });
    }
    Ok(id)
}

/// Where the next page comes from.
enum Next {
    First,
    After(String),
    Done,
}

impl Next {
    /// The state after a page that ended with `token`, stopping on a repeated token.
    fn after(previous: Option<&str>, token: Option<String>) -> Next {
        match token.filter(|t| !t.is_empty()) {
            Some(t) if Some(t.as_str()) == previous => {
                tracing::warn!("Teams repeated a continuation token; stopping");
                Next::Done
            }
            Some(t) => Next::After(t),
            None => Next::Done,
        }
    }
}

impl TeamsInfo {
    /// TeamsInfo on a connector client (the client of the service URL the Teams activities
    /// come from, such as `https://smba.trafficmanager.net/amer/`).
    #[must_use]
    pub fn new(client: ConnectorClient) -> Self {
        Self { client }
    }

    /// TeamsInfo for the current turn: the connector client the adapter put into the turn
    /// state, and the team, tenant, meeting and sender of the turn's activity as defaults.
    ///
    /// # Errors
    /// [`TeamsError::NoConnectorClient`] when the turn has no connector client (a turn not
    /// run by the `CloudAdapter`, or one for an in-process channel).
    pub fn for_turn(ctx: &TurnContext) -> Result<TeamsTurnInfo, TeamsError> {
        let client = ctx
            .turn_state()
            .get::<ConnectorClient>()
            .cloned()
            .ok_or(TeamsError::NoConnectorClient)?;
        Ok(TeamsTurnInfo {
            info: TeamsInfo::new(client),
            turn: TurnFacts::of(ctx.activity()),
        })
    }

    /// The connector client calls go through.
    #[must_use]
    pub fn client(&self) -> &ConnectorClient {
        &self.client
    }

    async fn send(
        &self,
        operation: &'static str,
        request: ConnectorRequest<'_>,
    ) -> Result<ConnectorResponse, TeamsError> {
        self.client
            .request(request)
            .await
            .map_err(|e| TeamsError::from_connector(operation, e))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
        request: ConnectorRequest<'_>,
    ) -> Result<T, TeamsError> {
        let answer = self.send(operation, request).await?;
        answer.json(operation).map_err(|e| TeamsError::Connector {
            operation,
            source: e,
        })
    }

    fn post<'a, T: serde::Serialize + ?Sized>(
        operation: &'static str,
        segments: &'a [&'a str],
        body: &T,
    ) -> Result<ConnectorRequest<'a>, TeamsError> {
        ConnectorRequest::post_json(segments, body).map_err(|e| TeamsError::Connector {
            operation,
            source: e,
        })
    }

    /// `GET v3/conversations/{conversationId}/members/{userId}`: one member of a
    /// conversation, with the Teams fields (email, UPN, role, tenant).
    ///
    /// # Errors
    /// [`TeamsError::NotFound`] (code `MemberNotFoundInConversation`) when the user is not a
    /// member; any other [`TeamsError`].
    pub async fn get_member(
        &self,
        conversation_id: &str,
        user_id: &str,
    ) -> Result<TeamsChannelAccount, TeamsError> {
        const OP: &str = "get member";
        let conversation_id = require(conversation_id, "the conversation id")?;
        let user_id = require(user_id, "the user id")?;
        let segments = ["v3", "conversations", conversation_id, "members", user_id];
        self.get_json(OP, ConnectorRequest::get(&segments)).await
    }

    /// `GET v3/conversations/{teamId}/members/{userId}`: one member of a team.
    ///
    /// # Errors
    /// As [`get_member`](Self::get_member).
    pub async fn get_team_member(
        &self,
        team_id: &str,
        user_id: &str,
    ) -> Result<TeamsChannelAccount, TeamsError> {
        let team_id = require(team_id, "the team id")?;
        self.get_member(team_id, user_id).await
    }

    /// `GET v3/conversations/{conversationId}/pagedmembers?pageSize=&continuationToken=`: a
    /// page of members (Teams' default size when `page_size` is `None`, at most 500); pass
    /// the previous page's `continuation_token` for the next. See [`members`](Self::members)
    /// for every member as a stream.
    ///
    /// # Errors
    /// Any [`TeamsError`].
    pub async fn get_paged_members(
        &self,
        conversation_id: &str,
        page_size: Option<u32>,
        continuation_token: Option<&str>,
    ) -> Result<TeamsPagedMembersResult, TeamsError> {
        const OP: &str = "get paged members";
        let conversation_id = require(conversation_id, "the conversation id")?;
        let size = page_size.map(|n| n.to_string());
        let segments = ["v3", "conversations", conversation_id, "pagedmembers"];
        let mut request = ConnectorRequest::get(&segments);
        if let Some(size) = &size {
            request = request.query("pageSize", size);
        }
        if let Some(token) = continuation_token.filter(|t| !t.is_empty()) {
            request = request.query("continuationToken", token);
        }
        self.get_json(OP, request).await
    }

    /// Every member of a conversation (or team), page by page, as a stream: the next page
    /// is asked for only when the previous one is consumed; the stream ends after the page
    /// without a continuation token, or with the first error.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn demo(teams: botbuilder_teams::info::TeamsInfo) -> Result<(), botbuilder_teams::TeamsError> {
    /// let mut members = std::pin::pin!(teams.members("19:team@thread.skype", Some(200)));
    /// while let Some(member) = members.try_next().await? {
    ///     println!("{} <{}>", member.name.unwrap_or_default(), member.email.unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn members(
        &self,
        conversation_id: &str,
        page_size: Option<u32>,
    ) -> impl Stream<Item = Result<TeamsChannelAccount, TeamsError>> + Send + 'static {
        let info = self.clone();
        let conversation_id = conversation_id.to_owned();
        stream::try_unfold(Next::First, move |next| {
            let info = info.clone();
            let conversation_id = conversation_id.clone();
            async move {
                let token = match next {
                    Next::Done => return Ok(None),
                    Next::First => None,
                    Next::After(token) => Some(token),
                };
                let page = info
                    .get_paged_members(&conversation_id, page_size, token.as_deref())
                    .await?;
                let next = Next::after(token.as_deref(), page.continuation_token);
                Ok(Some((page.members, next)))
            }
        })
        .map_ok(|members| stream::iter(members.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
    }

    /// `GET v3/teams/{teamId}`: a team's name, Microsoft 365 group, channel and member
    /// counts.
    ///
    /// # Errors
    /// Any [`TeamsError`].
    pub async fn get_team_details(&self, team_id: &str) -> Result<TeamDetails, TeamsError> {
        const OP: &str = "get team details";
        let team_id = require(team_id, "the team id")?;
        self.get_json(OP, ConnectorRequest::get(&["v3", "teams", team_id]))
            .await
    }

    /// `GET v3/teams/{teamId}/conversations`: a team's channels (the General channel's id is
    /// the team id; Teams leaves its name out).
    ///
    /// # Errors
    /// Any [`TeamsError`].
    pub async fn get_team_channels(&self, team_id: &str) -> Result<Vec<ChannelInfo>, TeamsError> {
        const OP: &str = "get team channels";
        #[derive(Deserialize)]
        struct ConversationList {
            #[serde(default)]
            conversations: Vec<ChannelInfo>,
        }
        let team_id = require(team_id, "the team id")?;
        let list: ConversationList = self
            .get_json(
                OP,
                ConnectorRequest::get(&["v3", "teams", team_id, "conversations"]),
            )
            .await?;
        Ok(list.conversations)
    }

    /// `GET v1/meetings/{meetingId}/participants/{participantId}?tenantId=`: a participant's
    /// role in a meeting and whether they are in it. `participant_id` is the user's Entra
    /// object id (`from.aadObjectId`).
    ///
    /// # Errors
    /// Any [`TeamsError`].
    pub async fn get_meeting_participant(
        &self,
        meeting_id: &str,
        participant_id: &str,
        tenant_id: &str,
    ) -> Result<TeamsMeetingParticipant, TeamsError> {
        const OP: &str = "get meeting participant";
        let meeting_id = require(meeting_id, "the meeting id")?;
        let participant_id = require(participant_id, "the participant id")?;
        let tenant_id = require(tenant_id, "the tenant id")?;
        let segments = ["v1", "meetings", meeting_id, "participants", participant_id];
        self.get_json(
            OP,
            ConnectorRequest::get(&segments).query("tenantId", tenant_id),
        )
        .await
    }

    /// `GET v1/meetings/{meetingId}`: a meeting's details, chat and organizer.
    ///
    /// # Errors
    /// Any [`TeamsError`].
    pub async fn get_meeting_info(&self, meeting_id: &str) -> Result<MeetingInfo, TeamsError> {
        const OP: &str = "get meeting info";
        let meeting_id = require(meeting_id, "the meeting id")?;
        self.get_json(OP, ConnectorRequest::get(&["v1", "meetings", meeting_id]))
            .await
    }

    /// `POST v1/meetings/{meetingId}/notification`: an in-meeting notification (see
    /// [`MeetingNotification::targeted`]). Teams answers 202 when every recipient got it
    /// (an empty response) and 207 when only some did (their failures are in the response).
    ///
    /// # Errors
    /// [`TeamsError::NotFound`] when the meeting chat or none of the recipients was found;
    /// [`TeamsError::Connector`] with a 400 for an invalid payload, a 403 when the app may not
    /// notify (it needs the `OnlineMeetingNotification.Send.Chat` permission).
    pub async fn send_meeting_notification(
        &self,
        meeting_id: &str,
        notification: &MeetingNotification,
    ) -> Result<MeetingNotificationResponse, TeamsError> {
        const OP: &str = "send meeting notification";
        let meeting_id = require(meeting_id, "the meeting id")?;
        let segments = ["v1", "meetings", meeting_id, "notification"];
        let answer = self
            .send(OP, Self::post(OP, &segments, notification)?)
            .await?;
        if answer.is_empty() {
            return Ok(MeetingNotificationResponse::default());
        }
        answer.json(OP).map_err(|e| TeamsError::Connector {
            operation: OP,
            source: e,
        })
    }

    /// `POST v3/conversations` with `isGroup` and `channelData.channel.id`: starts a new
    /// thread in a Teams channel with `activity` as its first message, and returns the new
    /// conversation's reference (to continue it proactively) and the id of the activity
    /// sent, as BotBuilder's `SendMessageToTeamsChannel` does.
    ///
    /// The reference names the bot and tenant when given (from the turn, with
    /// [`TeamsTurnInfo::send_message_to_teams_channel`]).
    ///
    /// # Errors
    /// Any [`TeamsError`]; [`TeamsError::BotNotInConversationRoster`] when the bot is not in
    /// the channel's team.
    pub async fn send_message_to_teams_channel(
        &self,
        activity: &Activity,
        channel_id: &str,
        bot: Option<ChannelAccount>,
        tenant_id: Option<&str>,
    ) -> Result<(ConversationReference, String), TeamsError> {
        const OP: &str = "send message to teams channel";
        let channel_id = require(channel_id, "the channel id")?;
        let parameters = ConversationParameters {
            is_group: Some(true),
            channel_data: Some(json!({ "channel": { "id": channel_id } })),
            activity: Some(activity.clone()),
            ..ConversationParameters::default()
        };
        let created: ConversationResourceResponse = self
            .get_json(OP, Self::post(OP, &["v3", "conversations"], &parameters)?)
            .await?;
        let activity_id = created
            .activity_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| TeamsError::Connector {
                operation: OP,
                source: ConnectorError::InvalidResponse {
                    context: "POST v3/conversations".to_owned(),
                    source: "the answer has no activityId".into(),
                },
            })?;
        let reference = ConversationReference {
            activity_id: Some(activity_id.clone()),
            bot,
            conversation: Some(ConversationAccount {
                id: created.id,
                is_group: Some(true),
                tenant_id: tenant_id.map(str::to_owned),
                ..ConversationAccount::default()
            }),
            channel_id: Some(ChannelId::Msteams),
            service_url: Some(
                created
                    .service_url
                    .unwrap_or_else(|| self.client.service_url().to_owned()),
            ),
            ..ConversationReference::default()
        };
        Ok((reference, activity_id))
    }

    async fn batch(
        &self,
        operation: &'static str,
        target: &str,
        body: &Value,
    ) -> Result<String, TeamsError> {
        // BotBuilder's routes end with a `/`: the empty last segment.
        let segments = ["v3", "batch", "conversation", target, ""];
        let answer = self
            .send(operation, Self::post(operation, &segments, body)?)
            .await?;
        operation_id(&answer.body, operation)
    }

    /// `POST v3/batch/conversation/users/`: sends `activity` 1:1 to each user (their Teams
    /// ids); returns the operation id to follow with
    /// [`get_operation_state`](Self::get_operation_state). Teams creates the 1:1 chats it
    /// needs; users without the app installed fail (see
    /// [`failed_entries`](Self::failed_entries)).
    ///
    /// # Errors
    /// [`TeamsError::InvalidArgument`] for no members or an empty tenant id; any other
    /// [`TeamsError`].
    pub async fn send_message_to_list_of_users(
        &self,
        activity: &Activity,
        tenant_id: &str,
        members: &[TeamMember],
    ) -> Result<String, TeamsError> {
        let tenant_id = require(tenant_id, "the tenant id")?;
        if members.is_empty() {
            return Err(TeamsError::InvalidArgument {
                reason: "the list of users is empty".to_owned(),
            });
        }
        let body = json!({ "members": members, "activity": activity, "tenantId": tenant_id });
        self.batch("send message to list of users", "users", &body)
            .await
    }

    /// `POST v3/batch/conversation/tenant/`: sends `activity` 1:1 to every user of the
    /// tenant who has the app installed; returns the operation id.
    ///
    /// # Errors
    /// Any [`TeamsError`].
    pub async fn send_message_to_all_users_in_tenant(
        &self,
        activity: &Activity,
        tenant_id: &str,
    ) -> Result<String, TeamsError> {
        let tenant_id = require(tenant_id, "the tenant id")?;
        let body = json!({ "activity": activity, "tenantId": tenant_id });
        self.batch("send message to all users in tenant", "tenant", &body)
            .await
    }

    /// `POST v3/batch/conversation/team/`: sends `activity` 1:1 to every member of a team;
    /// returns the operation id.
    ///
    /// # Errors
    /// Any [`TeamsError`].
    pub async fn send_message_to_all_users_in_team(
        &self,
        activity: &Activity,
        team_id: &str,
        tenant_id: &str,
    ) -> Result<String, TeamsError> {
        let team_id = require(team_id, "the team id")?;
        let tenant_id = require(tenant_id, "the tenant id")?;
        let body = json!({ "activity": activity, "teamId": team_id, "tenantId": tenant_id });
        self.batch("send message to all users in team", "team", &body)
            .await
    }

    /// `POST v3/batch/conversation/channels/`: posts `activity` in each channel (their
    /// conversation ids, given as [`TeamMember`]s as in BotBuilder); returns the operation
    /// id.
    ///
    /// # Errors
    /// [`TeamsError::InvalidArgument`] for no channels or an empty tenant id; any other
    /// [`TeamsError`].
    pub async fn send_message_to_list_of_channels(
        &self,
        activity: &Activity,
        tenant_id: &str,
        channels: &[TeamMember],
    ) -> Result<String, TeamsError> {
        let tenant_id = require(tenant_id, "the tenant id")?;
        if channels.is_empty() {
            return Err(TeamsError::InvalidArgument {
                reason: "the list of channels is empty".to_owned(),
            });
        }
        let body = json!({ "members": channels, "activity": activity, "tenantId": tenant_id });
        self.batch("send message to list of channels", "channels", &body)
            .await
    }

    /// `GET v3/batch/conversation/{operationId}`: how far a batch operation got.
    ///
    /// # Errors
    /// [`TeamsError::NotFound`] for an unknown operation id; any other [`TeamsError`].
    pub async fn get_operation_state(
        &self,
        operation_id: &str,
    ) -> Result<BatchOperationState, TeamsError> {
        const OP: &str = "get operation state";
        let operation_id = require(operation_id, "the operation id")?;
        self.get_json(
            OP,
            ConnectorRequest::get(&["v3", "batch", "conversation", operation_id]),
        )
        .await
    }

    /// `GET v3/batch/conversation/failedentries/{operationId}?continuationToken=`: a page of
    /// the recipients a batch operation could not message. See
    /// [`failed_entries`](Self::failed_entries) for all of them as a stream.
    ///
    /// # Errors
    /// Any [`TeamsError`].
    pub async fn get_paged_failed_entries(
        &self,
        operation_id: &str,
        continuation_token: Option<&str>,
    ) -> Result<BatchFailedEntriesResponse, TeamsError> {
        const OP: &str = "get failed entries";
        let operation_id = require(operation_id, "the operation id")?;
        let segments = ["v3", "batch", "conversation", "failedentries", operation_id];
        let mut request = ConnectorRequest::get(&segments);
        if let Some(token) = continuation_token.filter(|t| !t.is_empty()) {
            request = request.query("continuationToken", token);
        }
        self.get_json(OP, request).await
    }

    /// Every failed entry of a batch operation, page by page, as a stream (like
    /// [`members`](Self::members)).
    pub fn failed_entries(
        &self,
        operation_id: &str,
    ) -> impl Stream<Item = Result<BatchFailedEntry, TeamsError>> + Send + 'static {
        let info = self.clone();
        let operation_id = operation_id.to_owned();
        stream::try_unfold(Next::First, move |next| {
            let info = info.clone();
            let operation_id = operation_id.clone();
            async move {
                let token = match next {
                    Next::Done => return Ok(None),
                    Next::First => None,
                    Next::After(token) => Some(token),
                };
                let page = info
                    .get_paged_failed_entries(&operation_id, token.as_deref())
                    .await?;
                let next = Next::after(token.as_deref(), page.continuation_token);
                Ok(Some((page.failed_entries, next)))
            }
        })
        .map_ok(|entries| stream::iter(entries.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
    }

    /// `DELETE v3/batch/conversation/{operationId}`: cancels a batch operation (messages
    /// already sent stay).
    ///
    /// # Errors
    /// Any [`TeamsError`].
    pub async fn cancel_operation(&self, operation_id: &str) -> Result<(), TeamsError> {
        const OP: &str = "cancel operation";
        let operation_id = require(operation_id, "the operation id")?;
        self.send(
            OP,
            ConnectorRequest::delete(&["v3", "batch", "conversation", operation_id]),
        )
        .await?;
        Ok(())
    }
}

/// What a turn's activity says about where it happened, read once.
#[derive(Clone, Debug, Default)]
struct TurnFacts {
    conversation_id: Option<String>,
    team_id: Option<String>,
    tenant_id: Option<String>,
    meeting_id: Option<String>,
    from_aad_object_id: Option<String>,
    bot: Option<ChannelAccount>,
}

impl TurnFacts {
    fn of(activity: &Activity) -> Self {
        let data: TeamsChannelData = activity
            .channel_data
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let nonempty = |s: String| Some(s).filter(|s| !s.trim().is_empty());
        let conversation = activity.conversation.as_ref();
        Self {
            conversation_id: activity.conversation_id().map(str::to_owned),
            team_id: data.team.and_then(|t| nonempty(t.id)),
            tenant_id: data
                .tenant
                .and_then(|t| nonempty(t.id))
                .or_else(|| conversation.and_then(|c| c.tenant_id.clone())),
            meeting_id: data.meeting.and_then(|m| nonempty(m.id)),
            from_aad_object_id: activity.from.as_ref().and_then(|f| f.aad_object_id.clone()),
            bot: activity.recipient.clone(),
        }
    }
}

/// [`TeamsInfo`] for one turn (from [`TeamsInfo::for_turn`]): the calls of BotBuilder's
/// `TeamsInfo` that take a `TurnContext`, defaulting the team, meeting, tenant and
/// participant from the turn's activity. It owns what it needs, so it can outlive the turn's
/// borrow; [`info`](Self::info) gives the explicit-id calls (batch messaging, operation
/// state).
#[derive(Clone, Debug)]
pub struct TeamsTurnInfo {
    info: TeamsInfo,
    turn: TurnFacts,
}

impl TeamsTurnInfo {
    /// The explicit-id calls on the turn's connector client.
    #[must_use]
    pub fn info(&self) -> &TeamsInfo {
        &self.info
    }

    /// The team the turn's activity happened in (`channelData.team.id`).
    #[must_use]
    pub fn team_id(&self) -> Option<&str> {
        self.turn.team_id.as_deref()
    }

    /// The tenant of the turn's activity (`channelData.tenant.id`, or `conversation.tenantId`).
    #[must_use]
    pub fn tenant_id(&self) -> Option<&str> {
        self.turn.tenant_id.as_deref()
    }

    /// The meeting the turn's activity happened in (`channelData.meeting.id`).
    #[must_use]
    pub fn meeting_id(&self) -> Option<&str> {
        self.turn.meeting_id.as_deref()
    }

    fn conversation(&self, operation: &'static str) -> Result<&str, TeamsError> {
        self.turn
            .conversation_id
            .as_deref()
            .ok_or(TeamsError::MissingContext {
                operation,
                missing: "the activity has no conversation",
            })
    }

    /// The team, else the conversation: where members are looked up, as BotBuilder does.
    fn roster(&self, operation: &'static str) -> Result<&str, TeamsError> {
        match self.team_id() {
            Some(team) => Ok(team),
            None => self.conversation(operation),
        }
    }

    fn team(&self, team_id: Option<&str>, operation: &'static str) -> Result<String, TeamsError> {
        team_id
            .or(self.team_id())
            .map(str::to_owned)
            .ok_or(TeamsError::MissingContext {
                operation,
                missing: "the activity is not from a team; pass a team id",
            })
    }

    fn meeting(
        &self,
        meeting_id: Option<&str>,
        operation: &'static str,
    ) -> Result<String, TeamsError> {
        meeting_id
            .or(self.meeting_id())
            .map(str::to_owned)
            .ok_or(TeamsError::MissingContext {
                operation,
                missing: "the activity is not from a meeting; pass a meeting id",
            })
    }

    /// One member: of the team when the turn is in a team, else of the conversation.
    ///
    /// # Errors
    /// As [`TeamsInfo::get_member`].
    pub async fn get_member(&self, user_id: &str) -> Result<TeamsChannelAccount, TeamsError> {
        let roster = self.roster("get member")?;
        self.info.get_member(roster, user_id).await
    }

    /// A page of members: of the team when the turn is in a team, else of the conversation.
    ///
    /// # Errors
    /// As [`TeamsInfo::get_paged_members`].
    pub async fn get_paged_members(
        &self,
        page_size: Option<u32>,
        continuation_token: Option<&str>,
    ) -> Result<TeamsPagedMembersResult, TeamsError> {
        let roster = self.roster("get paged members")?;
        self.info
            .get_paged_members(roster, page_size, continuation_token)
            .await
    }

    /// Every member, as a stream: of the team when the turn is in a team, else of the
    /// conversation (BotBuilder's `GetMembers`/`GetPagedMembers` over every page).
    pub fn members(
        &self,
        page_size: Option<u32>,
    ) -> impl Stream<Item = Result<TeamsChannelAccount, TeamsError>> + Send + 'static {
        match self.roster("get members") {
            Ok(roster) => self.info.members(roster, page_size).left_stream(),
            Err(e) => stream::once(async move { Err(e) }).right_stream(),
        }
    }

    /// One member of a given team.
    ///
    /// # Errors
    /// As [`TeamsInfo::get_team_member`].
    pub async fn get_team_member(
        &self,
        team_id: &str,
        user_id: &str,
    ) -> Result<TeamsChannelAccount, TeamsError> {
        self.info.get_team_member(team_id, user_id).await
    }

    /// A team's details: `team_id`, or the turn's team.
    ///
    /// # Errors
    /// [`TeamsError::MissingContext`] outside a team without a `team_id`; as
    /// [`TeamsInfo::get_team_details`].
    pub async fn get_team_details(&self, team_id: Option<&str>) -> Result<TeamDetails, TeamsError> {
        let team = self.team(team_id, "get team details")?;
        self.info.get_team_details(&team).await
    }

    /// A team's channels: `team_id`, or the turn's team.
    ///
    /// # Errors
    /// [`TeamsError::MissingContext`] outside a team without a `team_id`; as
    /// [`TeamsInfo::get_team_channels`].
    pub async fn get_team_channels(
        &self,
        team_id: Option<&str>,
    ) -> Result<Vec<ChannelInfo>, TeamsError> {
        let team = self.team(team_id, "get team channels")?;
        self.info.get_team_channels(&team).await
    }

    /// A meeting participant; each argument defaults as in BotBuilder: the turn's meeting,
    /// the sender's Entra object id (`from.aadObjectId`), the turn's tenant.
    ///
    /// # Errors
    /// [`TeamsError::MissingContext`] when an argument is neither given nor in the turn; as
    /// [`TeamsInfo::get_meeting_participant`].
    pub async fn get_meeting_participant(
        &self,
        meeting_id: Option<&str>,
        participant_id: Option<&str>,
        tenant_id: Option<&str>,
    ) -> Result<TeamsMeetingParticipant, TeamsError> {
        const OP: &str = "get meeting participant";
        let meeting = self.meeting(meeting_id, OP)?;
        let participant = participant_id
            .or(self.turn.from_aad_object_id.as_deref())
            .ok_or(TeamsError::MissingContext {
                operation: OP,
                missing: "the sender has no aadObjectId; pass a participant id",
            })?;
        let tenant = tenant_id
            .or(self.tenant_id())
            .ok_or(TeamsError::MissingContext {
                operation: OP,
                missing: "the activity has no tenant; pass a tenant id",
            })?;
        self.info
            .get_meeting_participant(&meeting, participant, tenant)
            .await
    }

    /// A meeting's details: `meeting_id`, or the turn's meeting.
    ///
    /// # Errors
    /// [`TeamsError::MissingContext`] outside a meeting without a `meeting_id`; as
    /// [`TeamsInfo::get_meeting_info`].
    pub async fn get_meeting_info(
        &self,
        meeting_id: Option<&str>,
    ) -> Result<MeetingInfo, TeamsError> {
        let meeting = self.meeting(meeting_id, "get meeting info")?;
        self.info.get_meeting_info(&meeting).await
    }

    /// An in-meeting notification: to `meeting_id`, or the turn's meeting.
    ///
    /// # Errors
    /// [`TeamsError::MissingContext`] outside a meeting without a `meeting_id`; as
    /// [`TeamsInfo::send_meeting_notification`].
    pub async fn send_meeting_notification(
        &self,
        notification: &MeetingNotification,
        meeting_id: Option<&str>,
    ) -> Result<MeetingNotificationResponse, TeamsError> {
        let meeting = self.meeting(meeting_id, "send meeting notification")?;
        self.info
            .send_meeting_notification(&meeting, notification)
            .await
    }

    /// Starts a thread in a channel with `activity`; the reference names the turn's bot and
    /// tenant. See [`TeamsInfo::send_message_to_teams_channel`].
    ///
    /// # Errors
    /// As [`TeamsInfo::send_message_to_teams_channel`].
    pub async fn send_message_to_teams_channel(
        &self,
        activity: &Activity,
        channel_id: &str,
    ) -> Result<(ConversationReference, String), TeamsError> {
        self.info
            .send_message_to_teams_channel(
                activity,
                channel_id,
                self.turn.bot.clone(),
                self.tenant_id(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> &[u8] {
        body.as_bytes()
    }

    #[test]
    fn operation_ids_are_read_from_each_shape() {
        let op = "test";
        assert_eq!(
            operation_id(answer(r#"{"operationId":"op-1"}"#), op).unwrap(),
            "op-1"
        );
        assert_eq!(operation_id(answer(r#""op-2""#), op).unwrap(), "op-2");
        assert_eq!(operation_id(answer(" op-3\n"), op).unwrap(), "op-3");
        for bad in ["", "{}", r#"{"operationId":""}"#, "[1]", "two words"] {
            assert!(operation_id(answer(bad), op).is_err(), "{bad:?}");
        }
    }
}
