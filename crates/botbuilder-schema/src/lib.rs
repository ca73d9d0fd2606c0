//! The Bot Framework Activity protocol, with the exact wire JSON of the Bot Connector service.
//!
//! Every type here reads what real channels send (Teams, Web Chat, Slack, Facebook, the
//! Emulator) and writes back exactly what the service expects:
//!
//! - camelCase wire names, absent optional fields not written, `null` read as absent;
//! - open string enums ([`ActivityTypes`], [`ChannelId`], ...): unknown values are kept in
//!   `Other` and written back unchanged;
//! - unknown properties on activities, accounts, entities and payloads are kept in a flattened
//!   `extra` map and written back;
//! - timestamps keep the offset and precision the channel sent ([`Timestamp`]).
//!
//! This crate is serde only: no async runtime, no HTTP.
//!
//! ```
//! use botbuilder_schema::{Activity, ActivityTypes, ChannelId};
//!
//! let body = br#"{
//!   "type": "message", "id": "1571537152320", "channelId": "msteams",
//!   "serviceUrl": "https://smba.trafficmanager.net/amer/",
//!   "from": {"id": "29:user", "name": "Dave", "aadObjectId": "6b70"},
//!   "conversation": {"id": "19:abc@thread.skype", "isGroup": true, "tenantId": "72f9"},
//!   "recipient": {"id": "28:bot", "name": "jobs"},
//!   "text": "<at>jobs</at> run", "timestamp": "2019-10-20T02:05:52.349Z",
//!   "entities": [{"type": "mention", "text": "<at>jobs</at>", "mentioned": {"id": "28:bot", "name": "jobs"}}],
//!   "channelData": {"tenant": {"id": "72f9"}, "teamsTeamId": "19:team"}
//! }"#;
//! let mut incoming = Activity::from_json(body)?;
//! assert_eq!(incoming.activity_type, ActivityTypes::Message);
//! assert_eq!(incoming.channel_id, Some(ChannelId::Msteams));
//! assert_eq!(incoming.remove_recipient_mention(), "run");
//!
//! // A reply goes back into the same conversation, from the bot, to the user.
//! let mut reply = Activity::message("job started");
//! reply.apply_conversation_reference(&incoming.conversation_reference(), false);
//! assert_eq!(reply.recipient.as_ref().map(|a| a.id.as_str()), Some("29:user"));
//! assert_eq!(reply.reply_to_id.as_deref(), Some("1571537152320"));
//! # Ok::<(), botbuilder_schema::SchemaError>(())
//! ```

mod open_enum;

mod account;
mod activity;
mod attachment;
mod entity;
mod enums;
mod error;
mod reference;
mod rest;
mod timestamp;

pub use account::{ChannelAccount, ConversationAccount};
pub use activity::Activity;
pub use attachment::{Attachment, CardAction, SuggestedActions};
pub use entity::{
    ClientInfo, Entity, EntityKind, GeoCoordinates, Mention, MessageReaction, Place,
    SemanticAction, TextHighlight, Thing,
};
pub use enums::{
    ActionTypes, ActivityImportance, ActivityTypes, AttachmentLayoutTypes, ChannelId,
    ContactRelationUpdateActionTypes, DeliveryModes, EndOfConversationCodes, InputHints,
    InstallationUpdateActionTypes, MessageReactionTypes, RoleTypes, SemanticActionStates,
    TextFormatTypes,
};
pub use error::SchemaError;
pub use reference::{CONTINUE_CONVERSATION_EVENT, ConversationReference};
pub use rest::{
    AttachmentData, AttachmentInfo, AttachmentView, ConversationMembers, ConversationParameters,
    ConversationResourceResponse, ConversationsResult, ErrorDetail, ErrorResponse, ExpectedReplies,
    InnerHttpError, InvokeResponse, PagedMembersResult, ResourceResponse, TokenResponse,
    Transcript,
};
pub use timestamp::Timestamp;
