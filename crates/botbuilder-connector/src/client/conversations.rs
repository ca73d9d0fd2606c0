//! [`Conversations`]: the `/v3/conversations` operations.

use futures::{Stream, StreamExt, TryStreamExt, stream};

use botbuilder_schema::{
    Activity, AttachmentData, ChannelAccount, ConversationParameters, ConversationResourceResponse,
    ConversationsResult, PagedMembersResult, ResourceResponse, Transcript,
};

use super::{Call, ConnectorClient, from_body, from_body_or_default, require, to_body};
use crate::ConnectorError;

/// The conversation operations of a [`ConnectorClient`] (`client.conversations()`).
///
/// Ids are percent-encoded into the path (`19:abc@thread.skype` is sent as
/// `19%3Aabc%40thread.skype`). Sends, replies, updates and deletes go through the client's
/// conversation throttle when it has one.
///
/// ```no_run
/// use std::sync::Arc;
/// use botbuilder_connector::ConnectorClient;
/// use botbuilder_connector::auth::AnonymousCredentials;
/// use botbuilder_connector::schema::Activity;
///
/// # async fn demo() -> Result<(), botbuilder_connector::ConnectorError> {
/// let client = ConnectorClient::new("http://localhost:50000", Arc::new(AnonymousCredentials))?;
/// let conversations = client.conversations();
/// let reply = conversations
///     .reply_to_activity("conv-1", "activity-9", &Activity::message("hi"))
///     .await?;
/// conversations
///     .update_activity("conv-1", &reply.id, &Activity::message("hi (edited)"))
///     .await?;
/// let members = conversations.get_conversation_members("conv-1").await?;
/// println!("{} members", members.len());
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Conversations<'a> {
    client: &'a ConnectorClient,
}

impl<'a> Conversations<'a> {
    pub(super) fn new(client: &'a ConnectorClient) -> Self {
        Self { client }
    }

    /// `GET /v3/conversations`: a page of the conversations the bot takes part in; pass the
    /// previous page's `continuation_token` for the next.
    ///
    /// # Errors
    /// Any [`ConnectorError`]; the service's answer is typed by status.
    pub async fn get_conversations(
        &self,
        continuation_token: Option<&str>,
    ) -> Result<ConversationsResult, ConnectorError> {
        let query: Vec<(&str, &str)> = continuation_token
            .filter(|t| !t.is_empty())
            .map(|t| ("continuationToken", t))
            .into_iter()
            .collect();
        let answer = self
            .client
            .call(Call::get(&["v3", "conversations"]).query(&query))
            .await?;
        from_body(&answer, "GET /v3/conversations")
    }

    /// `POST /v3/conversations`: creates a conversation (a proactive 1:1 chat, a Teams channel
    /// thread), optionally with a first activity.
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn create_conversation(
        &self,
        parameters: &ConversationParameters,
    ) -> Result<ConversationResourceResponse, ConnectorError> {
        let body = to_body(parameters, "the conversation parameters")?;
        let answer = self
            .client
            .call(Call::post(&["v3", "conversations"], body))
            .await?;
        from_body(&answer, "POST /v3/conversations")
    }

    /// `POST /v3/conversations/{conversationId}/activities`: sends an activity to the end of
    /// a conversation.
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn send_to_conversation(
        &self,
        conversation_id: &str,
        activity: &Activity,
    ) -> Result<ResourceResponse, ConnectorError> {
        let conversation_id = require(conversation_id, "the conversation id")?;
        let body = to_body(activity, "the activity")?;
        let answer = self
            .client
            .call(
                Call::post(
                    &["v3", "conversations", conversation_id, "activities"],
                    body,
                )
                .throttled(conversation_id),
            )
            .await?;
        from_body_or_default(&answer, "POST .../activities")
    }

    /// `POST /v3/conversations/{conversationId}/activities/history`: uploads a transcript of
    /// past activities.
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn send_conversation_history(
        &self,
        conversation_id: &str,
        transcript: &Transcript,
    ) -> Result<ResourceResponse, ConnectorError> {
        let conversation_id = require(conversation_id, "the conversation id")?;
        let body = to_body(transcript, "the transcript")?;
        let answer = self
            .client
            .call(Call::post(
                &[
                    "v3",
                    "conversations",
                    conversation_id,
                    "activities",
                    "history",
                ],
                body,
            ))
            .await?;
        from_body_or_default(&answer, "POST .../activities/history")
    }

    /// `POST /v3/conversations/{conversationId}/activities/{activityId}`: sends an activity
    /// as a reply to another (threaded on channels that thread).
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn reply_to_activity(
        &self,
        conversation_id: &str,
        activity_id: &str,
        activity: &Activity,
    ) -> Result<ResourceResponse, ConnectorError> {
        let conversation_id = require(conversation_id, "the conversation id")?;
        let activity_id = require(activity_id, "the activity id")?;
        let body = to_body(activity, "the activity")?;
        let answer = self
            .client
            .call(
                Call::post(
                    &[
                        "v3",
                        "conversations",
                        conversation_id,
                        "activities",
                        activity_id,
                    ],
                    body,
                )
                .throttled(conversation_id),
            )
            .await?;
        from_body_or_default(&answer, "POST .../activities/{id}")
    }

    /// `PUT /v3/conversations/{conversationId}/activities/{activityId}`: replaces an activity
    /// the bot sent.
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn update_activity(
        &self,
        conversation_id: &str,
        activity_id: &str,
        activity: &Activity,
    ) -> Result<ResourceResponse, ConnectorError> {
        let conversation_id = require(conversation_id, "the conversation id")?;
        let activity_id = require(activity_id, "the activity id")?;
        let body = to_body(activity, "the activity")?;
        let answer = self
            .client
            .call(
                Call::put(
                    &[
                        "v3",
                        "conversations",
                        conversation_id,
                        "activities",
                        activity_id,
                    ],
                    body,
                )
                .throttled(conversation_id),
            )
            .await?;
        from_body_or_default(&answer, "PUT .../activities/{id}")
    }

    /// `DELETE /v3/conversations/{conversationId}/activities/{activityId}`: deletes an
    /// activity the bot sent.
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn delete_activity(
        &self,
        conversation_id: &str,
        activity_id: &str,
    ) -> Result<(), ConnectorError> {
        let conversation_id = require(conversation_id, "the conversation id")?;
        let activity_id = require(activity_id, "the activity id")?;
        self.client
            .call(
                Call::delete(&[
                    "v3",
                    "conversations",
                    conversation_id,
                    "activities",
                    activity_id,
                ])
                .throttled(conversation_id),
            )
            .await?;
        Ok(())
    }

    /// `GET /v3/conversations/{conversationId}/members`: every member of a conversation.
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn get_conversation_members(
        &self,
        conversation_id: &str,
    ) -> Result<Vec<ChannelAccount>, ConnectorError> {
        let conversation_id = require(conversation_id, "the conversation id")?;
        let answer = self
            .client
            .call(Call::get(&[
                "v3",
                "conversations",
                conversation_id,
                "members",
            ]))
            .await?;
        from_body(&answer, "GET .../members")
    }

    /// `GET /v3/conversations/{conversationId}/members/{memberId}`: one member.
    ///
    /// # Errors
    /// Any [`ConnectorError`]; a member not in the conversation is a 404
    /// [`ConnectorError::Service`].
    pub async fn get_conversation_member(
        &self,
        conversation_id: &str,
        member_id: &str,
    ) -> Result<ChannelAccount, ConnectorError> {
        let conversation_id = require(conversation_id, "the conversation id")?;
        let member_id = require(member_id, "the member id")?;
        let answer = self
            .client
            .call(Call::get(&[
                "v3",
                "conversations",
                conversation_id,
                "members",
                member_id,
            ]))
            .await?;
        from_body(&answer, "GET .../members/{id}")
    }

    /// `GET /v3/conversations/{conversationId}/pagedmembers`: a page of members, at most
    /// `page_size` (the service's default when `None`); pass the previous page's
    /// `continuation_token` for the next. See also
    /// [`paged_members_stream`](Self::paged_members_stream).
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn get_conversation_paged_members(
        &self,
        conversation_id: &str,
        page_size: Option<u32>,
        continuation_token: Option<&str>,
    ) -> Result<PagedMembersResult, ConnectorError> {
        let conversation_id = require(conversation_id, "the conversation id")?;
        let size = page_size.map(|n| n.to_string());
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(size) = &size {
            query.push(("pageSize", size));
        }
        if let Some(token) = continuation_token.filter(|t| !t.is_empty()) {
            query.push(("continuationToken", token));
        }
        let answer = self
            .client
            .call(
                Call::get(&["v3", "conversations", conversation_id, "pagedmembers"]).query(&query),
            )
            .await?;
        from_body(&answer, "GET .../pagedmembers")
    }

    /// Every member of a conversation, page by page, as a stream: it asks for the next page
    /// only when the previous one is consumed, and ends after the page without a continuation
    /// token (or on the first error, which it yields).
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn demo(client: botbuilder_connector::ConnectorClient) -> Result<(), botbuilder_connector::ConnectorError> {
    /// let members: Vec<_> = client
    ///     .conversations()
    ///     .paged_members_stream("19:abc@thread.skype", Some(100))
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn paged_members_stream(
        &self,
        conversation_id: &str,
        page_size: Option<u32>,
    ) -> impl Stream<Item = Result<ChannelAccount, ConnectorError>> + Send + 'static {
        enum Next {
            First,
            After(String),
            Done,
        }
        let client = self.client.clone();
        let conversation_id = conversation_id.to_owned();
        stream::try_unfold(Next::First, move |next| {
            let client = client.clone();
            let conversation_id = conversation_id.clone();
            async move {
                let token = match next {
                    Next::Done => return Ok(None),
                    Next::First => None,
                    Next::After(token) => Some(token),
                };
                let page = client
                    .conversations()
                    .get_conversation_paged_members(&conversation_id, page_size, token.as_deref())
                    .await?;
                let next = match page.continuation_token.filter(|t| !t.is_empty()) {
                    Some(t) if Some(&t) == token.as_ref() => {
                        tracing::warn!("the service repeated a continuation token; stopping");
                        Next::Done
                    }
                    Some(t) => Next::After(t),
                    None => Next::Done,
                };
                Ok(Some((page.members, next)))
            }
        })
        .map_ok(|members| stream::iter(members.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
    }

    /// `DELETE /v3/conversations/{conversationId}/members/{memberId}`: removes a member.
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn delete_conversation_member(
        &self,
        conversation_id: &str,
        member_id: &str,
    ) -> Result<(), ConnectorError> {
        let conversation_id = require(conversation_id, "the conversation id")?;
        let member_id = require(member_id, "the member id")?;
        self.client
            .call(Call::delete(&[
                "v3",
                "conversations",
                conversation_id,
                "members",
                member_id,
            ]))
            .await?;
        Ok(())
    }

    /// `GET /v3/conversations/{conversationId}/activities/{activityId}/members`: the members
    /// an activity was sent to.
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn get_activity_members(
        &self,
        conversation_id: &str,
        activity_id: &str,
    ) -> Result<Vec<ChannelAccount>, ConnectorError> {
        let conversation_id = require(conversation_id, "the conversation id")?;
        let activity_id = require(activity_id, "the activity id")?;
        let answer = self
            .client
            .call(Call::get(&[
                "v3",
                "conversations",
                conversation_id,
                "activities",
                activity_id,
                "members",
            ]))
            .await?;
        from_body(&answer, "GET .../activities/{id}/members")
    }

    /// `POST /v3/conversations/{conversationId}/attachments`: uploads an attachment to the
    /// channel's store; the answer's id is for [`Attachments`](super::Attachments).
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn upload_attachment(
        &self,
        conversation_id: &str,
        attachment: &AttachmentData,
    ) -> Result<ResourceResponse, ConnectorError> {
        let conversation_id = require(conversation_id, "the conversation id")?;
        let body = to_body(attachment, "the attachment")?;
        let answer = self
            .client
            .call(Call::post(
                &["v3", "conversations", conversation_id, "attachments"],
                body,
            ))
            .await?;
        from_body(&answer, "POST .../attachments")
    }

    /// Uploads bytes as an attachment: [`upload_attachment`](Self::upload_attachment) with the
    /// content (and optional thumbnail) base64-encoded for you.
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn upload_attachment_bytes(
        &self,
        conversation_id: &str,
        name: &str,
        content_type: &str,
        content: &[u8],
        thumbnail: Option<&[u8]>,
    ) -> Result<ResourceResponse, ConnectorError> {
        use base64::Engine as _;
        let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let data = AttachmentData {
            content_type: Some(content_type.to_owned()),
            name: Some(name.to_owned()),
            original_base64: Some(encode(content)),
            thumbnail_base64: thumbnail.map(encode),
            ..AttachmentData::default()
        };
        self.upload_attachment(conversation_id, &data).await
    }
}
