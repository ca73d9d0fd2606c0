//! The protocol's string enums, all open: a value this SDK does not know is kept in `Other`
//! and written back unchanged.
//!
//! ```
//! use botbuilder_schema::ActivityTypes;
//!
//! let known: ActivityTypes = serde_json::from_str("\"conversationUpdate\"")?;
//! assert_eq!(known, ActivityTypes::ConversationUpdate);
//!
//! let future: ActivityTypes = serde_json::from_str("\"hologram\"")?;
//! assert_eq!(future, ActivityTypes::Other("hologram".into()));
//! assert_eq!(serde_json::to_string(&future)?, "\"hologram\"");
//! # Ok::<(), serde_json::Error>(())
//! ```

use crate::open_enum::open_enum;

open_enum! {
    /// The type of an [`Activity`](crate::Activity) (`type` on the wire).
    ActivityTypes {
        /// A message: text, attachments, cards.
        Message => "message",
        /// The bot was added to or removed from a user's contact list.
        ContactRelationUpdate => "contactRelationUpdate",
        /// Members joined or left the conversation, or its properties changed.
        ConversationUpdate => "conversationUpdate",
        /// The sender is typing.
        Typing => "typing",
        /// The conversation ended.
        EndOfConversation => "endOfConversation",
        /// A named event: information the client or channel gives the bot.
        Event => "event",
        /// A request that expects a response in the HTTP reply (Teams task modules, card actions).
        Invoke => "invoke",
        /// The response to an invoke, carried back to the adapter in a turn.
        InvokeResponse => "invokeResponse",
        /// The user asked that their data be deleted.
        DeleteUserData => "deleteUserData",
        /// A previous message was edited.
        MessageUpdate => "messageUpdate",
        /// A previous message was deleted.
        MessageDelete => "messageDelete",
        /// The bot was installed in or removed from a scope.
        InstallationUpdate => "installationUpdate",
        /// Reactions were added to or removed from a message.
        MessageReaction => "messageReaction",
        /// A private suggestion to the recipient.
        Suggestion => "suggestion",
        /// Debugging information, shown only by the Emulator and transcripts.
        Trace => "trace",
        /// A hand-off of the conversation to another party (a human agent).
        Handoff => "handoff",
        /// A command addressed to the recipient.
        Command => "command",
        /// The result of a command.
        CommandResult => "commandResult",
    }
}

impl Default for ActivityTypes {
    /// `message`, the type of most activities and of anything a bot sends without saying.
    fn default() -> Self {
        ActivityTypes::Message
    }
}

open_enum! {
    /// The format of an activity's `text` (`textFormat`).
    TextFormatTypes {
        /// Markdown.
        Markdown => "markdown",
        /// Plain text.
        Plain => "plain",
        /// XML (SSML-like markup some channels accept).
        Xml => "xml",
    }
}

open_enum! {
    /// Whether the sender expects, accepts or ignores input after this activity (`inputHint`).
    InputHints {
        /// The sender is ready for input but not waiting for it.
        AcceptingInput => "acceptingInput",
        /// The sender is not ready for input; the client should not open the microphone.
        IgnoringInput => "ignoringInput",
        /// The sender is waiting for a response.
        ExpectingInput => "expectingInput",
    }
}

open_enum! {
    /// How replies to an activity are delivered (`deliveryMode`).
    DeliveryModes {
        /// Replies are sent to the channel as they are made.
        Normal => "normal",
        /// Replies should be delivered as notifications.
        Notification => "notification",
        /// Replies are buffered and returned in the HTTP response to the incoming request.
        ExpectReplies => "expectReplies",
        /// Replies are shown only to the sender.
        Ephemeral => "ephemeral",
    }
}

open_enum! {
    /// The role of an account in a conversation (`role`).
    RoleTypes {
        /// A person.
        User => "user",
        /// A bot.
        Bot => "bot",
        /// A skill (a bot called by another bot).
        Skill => "skill",
    }
}

open_enum! {
    /// What a [`CardAction`](crate::CardAction) does when clicked (`type`).
    ActionTypes {
        /// Open a URL in a browser.
        OpenUrl => "openUrl",
        /// Send a message to the bot, visible in the chat as if the user typed it.
        ImBack => "imBack",
        /// Send a message to the bot, possibly not visible to the other members.
        PostBack => "postBack",
        /// Play audio.
        PlayAudio => "playAudio",
        /// Play video.
        PlayVideo => "playVideo",
        /// Show an image.
        ShowImage => "showImage",
        /// Download a file.
        DownloadFile => "downloadFile",
        /// Start a sign-in flow.
        Signin => "signin",
        /// Place a call.
        Call => "call",
        /// Send a message with separate text, display text and value.
        MessageBack => "messageBack",
        /// Open an application.
        OpenApp => "openApp",
    }
}

open_enum! {
    /// How several attachments are laid out (`attachmentLayout`).
    AttachmentLayoutTypes {
        /// One under another.
        List => "list",
        /// Side by side, scrolled horizontally.
        Carousel => "carousel",
    }
}

open_enum! {
    /// Why a conversation ended (`code` on an endOfConversation activity).
    EndOfConversationCodes {
        /// Unknown reason.
        Unknown => "unknown",
        /// The conversation completed successfully.
        CompletedSuccessfully => "completedSuccessfully",
        /// The user cancelled.
        UserCancelled => "userCancelled",
        /// The bot took too long.
        BotTimedOut => "botTimedOut",
        /// The bot sent an invalid message.
        BotIssuedInvalidMessage => "botIssuedInvalidMessage",
        /// The channel failed.
        ChannelFailed => "channelFailed",
    }
}

open_enum! {
    /// The importance of an activity (`importance`).
    ActivityImportance {
        /// Low.
        Low => "low",
        /// Normal.
        Normal => "normal",
        /// High.
        High => "high",
    }
}

open_enum! {
    /// The `action` of an installationUpdate activity.
    InstallationUpdateActionTypes {
        /// The bot was installed.
        Add => "add",
        /// The bot was uninstalled.
        Remove => "remove",
        /// The bot was installed again after an upgrade (Teams).
        AddUpgrade => "add-upgrade",
        /// The bot was removed as part of an upgrade (Teams).
        RemoveUpgrade => "remove-upgrade",
    }
}

open_enum! {
    /// The `action` of a contactRelationUpdate activity.
    ContactRelationUpdateActionTypes {
        /// The bot was added to the user's contacts.
        Add => "add",
        /// The bot was removed from the user's contacts.
        Remove => "remove",
    }
}

open_enum! {
    /// The type of a [`MessageReaction`](crate::MessageReaction).
    MessageReactionTypes {
        /// Like.
        Like => "like",
        /// +1.
        PlusOne => "plusOne",
    }
}

open_enum! {
    /// The state of a [`SemanticAction`](crate::SemanticAction).
    SemanticActionStates {
        /// The action starts.
        Start => "start",
        /// The action continues.
        Continue => "continue",
        /// The action is done.
        Done => "done",
    }
}

open_enum! {
    /// The channel an activity comes from or goes to (`channelId`).
    ChannelId {
        /// Amazon Alexa.
        Alexa => "alexa",
        /// A console (local command line) channel.
        Console => "console",
        /// Cortana.
        Cortana => "cortana",
        /// Direct Line.
        Directline => "directline",
        /// Direct Line Speech.
        DirectlineSpeech => "directlinespeech",
        /// Email.
        Email => "email",
        /// The Bot Framework Emulator.
        Emulator => "emulator",
        /// Facebook Messenger.
        Facebook => "facebook",
        /// GroupMe.
        Groupme => "groupme",
        /// Kik.
        Kik => "kik",
        /// LINE.
        Line => "line",
        /// Microsoft Teams.
        Msteams => "msteams",
        /// Omnichannel.
        Omni => "omnichannel",
        /// Outlook actionable messages.
        Outlook => "outlook",
        /// Skype.
        Skype => "skype",
        /// Skype for Business.
        SkypeForBusiness => "skypeforbusiness",
        /// Slack.
        Slack => "slack",
        /// SMS through Twilio.
        Sms => "sms",
        /// Telegram.
        Telegram => "telegram",
        /// Telephony.
        Telephony => "telephony",
        /// Test channel (unit tests, the `TestAdapter`).
        Test => "test",
        /// Twilio SMS.
        TwilioSms => "twilio-sms",
        /// Web Chat.
        Webchat => "webchat",
        /// Webex.
        Webex => "webex",
    }
}

impl ChannelId {
    /// Whether the channel is Web Chat or Direct Line, the channels on which BotBuilder leaves
    /// the activity id out of a conversationUpdate's conversation reference.
    #[must_use]
    pub fn is_webchat_or_directline(&self) -> bool {
        matches!(self, ChannelId::Webchat | ChannelId::Directline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_variant_round_trips_through_its_wire_string() {
        for v in ActivityTypes::KNOWN {
            let json = serde_json::to_string(v).unwrap();
            let back: ActivityTypes = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, v);
            assert!(back.is_known());
        }
        for v in ChannelId::KNOWN {
            assert_eq!(&ChannelId::parse(v.as_str()), v);
        }
    }

    #[test]
    fn unknown_values_are_kept_exactly() {
        let v: ActivityTypes = serde_json::from_str("\"ConversationUpdate\"").unwrap();
        assert_eq!(v, ActivityTypes::Other("ConversationUpdate".into()));
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"ConversationUpdate\"");
        assert_eq!(
            ChannelId::from("my-channel".to_string()).as_str(),
            "my-channel"
        );
        assert_eq!("nova".parse::<InputHints>().unwrap().to_string(), "nova");
    }

    #[test]
    fn wrong_json_types_are_errors() {
        assert!(serde_json::from_str::<ActivityTypes>("42").is_err());
        assert!(serde_json::from_str::<ActivityTypes>("null").is_err());
        assert!(serde_json::from_str::<ActivityTypes>("{}").is_err());
    }

    #[test]
    fn compares_with_str() {
        assert_eq!(ActivityTypes::Message, "message");
        assert!(ChannelId::Webchat.is_webchat_or_directline());
        assert!(!ChannelId::Msteams.is_webchat_or_directline());
    }
}
