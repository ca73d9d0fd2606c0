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
//!
//! # Messages and cards
//!
//! [`MessageFactory`] builds the messages a bot sends most (text, suggested actions,
//! attachments, lists, carousels, files), with BotBuilder's defaults (`inputHint` =
//! `acceptingInput`). The [`cards`] module has the Bot Framework cards (hero, thumbnail,
//! sign-in, OAuth, receipt, animation, audio, video) with builders; each converts into an
//! [`Attachment`], and [`CardFactory::adaptive_card`] wraps an Adaptive Card's JSON.
//!
//! ```
//! use botbuilder_schema::{Activity, CardAction, CardFactory, HeroCard, MessageFactory};
//! use serde_json::json;
//!
//! let cards = MessageFactory::carousel([
//!     HeroCard::new("Espresso")
//!         .with_image("https://example.com/espresso.jpg")
//!         .with_button(CardAction::im_back("Order espresso"))
//!         .into_attachment(),
//!     CardFactory::adaptive_card(json!({
//!         "type": "AdaptiveCard", "version": "1.5",
//!         "body": [{"type": "TextBlock", "text": "Or build your own"}],
//!         "actions": [{"type": "Action.Submit", "title": "Start", "data": {"custom": true}}]
//!     })),
//! ])
//! .with_text("What would you like?");
//!
//! let wire = serde_json::to_value(&cards)?;
//! assert_eq!(wire["attachmentLayout"], "carousel");
//! assert_eq!(wire["inputHint"], "acceptingInput");
//! assert_eq!(wire["attachments"][0]["contentType"], "application/vnd.microsoft.card.hero");
//! assert_eq!(wire["attachments"][0]["content"]["buttons"][0]["value"], "Order espresso");
//! assert_eq!(wire["attachments"][1]["contentType"], "application/vnd.microsoft.card.adaptive");
//!
//! // Quick replies: plain strings become `imBack` buttons.
//! let ask: Activity = MessageFactory::suggested_actions(["Small", "Large"], "Which size?");
//! assert_eq!(ask.suggested_actions.map(|s| s.actions.len()), Some(2));
//! # Ok::<(), serde_json::Error>(())
//! ```

#![warn(clippy::unwrap_used)]

mod open_enum;

mod account;
mod activity;
pub mod ai;
mod attachment;
pub mod cards;
mod entity;
mod enums;
mod error;
mod message_factory;
mod reference;
mod rest;
mod timestamp;

pub use account::{ChannelAccount, ConversationAccount};
pub use activity::Activity;
pub use attachment::{Attachment, CardAction, SuggestedActions};
pub use cards::{
    AnimationCard, AudioCard, CardFactory, CardImage, CardKind, Fact, HeroCard, MediaCard,
    MediaUrl, OAuthCard, ReceiptCard, ReceiptItem, SigninCard, ThumbnailCard, ThumbnailUrl,
    TokenExchangeResource, TokenPostResource, VideoCard,
};
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
pub use message_factory::MessageFactory;
pub use reference::{CONTINUE_CONVERSATION_EVENT, ConversationReference};
pub use rest::{
    AadResourceUrls, AttachmentData, AttachmentInfo, AttachmentView, ConversationMembers,
    ConversationParameters, ConversationResourceResponse, ConversationsResult, ErrorDetail,
    ErrorResponse, ExpectedReplies, InnerHttpError, InvokeResponse, PagedMembersResult,
    ResourceResponse, SignInResource, TokenExchangeInvokeRequest, TokenExchangeInvokeResponse,
    TokenExchangeRequest, TokenResponse, TokenStatus, Transcript,
};
pub use timestamp::Timestamp;
