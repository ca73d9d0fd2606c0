//! What each channel can display, for choosing how to render a list of choices.
//!
//! The numbers are BotBuilder's (botbuilder-js `choices/channel.ts`, the most recent of the
//! SDKs): Facebook and Skype show up to 10 suggested actions, LINE 13, Kik 20, Telegram, the
//! Emulator, Direct Line, Direct Line Speech and Web Chat up to 100. Teams shows no suggested
//! actions here (it shows them only in personal chats) but up to 50 card buttons. Unknown
//! channels support neither.
//!
//! ```
//! use botbuilder_dialogs::choices::channel;
//! use botbuilder_schema::ChannelId;
//!
//! assert!(channel::supports_suggested_actions(&ChannelId::Facebook, 10));
//! assert!(!channel::supports_suggested_actions(&ChannelId::Facebook, 11));
//! assert!(!channel::supports_suggested_actions(&ChannelId::Msteams, 3));
//! assert!(channel::supports_card_actions(&ChannelId::Msteams, 3));
//! ```

use botbuilder_schema::ChannelId;

/// The most suggested actions `channel` displays (0 when it displays none).
///
/// ```
/// use botbuilder_dialogs::choices::channel::max_suggested_actions;
/// use botbuilder_schema::ChannelId;
///
/// assert_eq!(max_suggested_actions(&ChannelId::Line), 13);
/// assert_eq!(max_suggested_actions(&ChannelId::Other("mychannel".into())), 0);
/// ```
#[must_use]
pub fn max_suggested_actions(channel: &ChannelId) -> usize {
    match channel {
        ChannelId::Facebook | ChannelId::Skype => 10,
        ChannelId::Line => 13,
        ChannelId::Kik => 20,
        ChannelId::Telegram
        | ChannelId::Emulator
        | ChannelId::Directline
        | ChannelId::DirectlineSpeech
        | ChannelId::Webchat => 100,
        _ => 0,
    }
}

/// The most card buttons (card actions) `channel` displays on one card (0 when it displays
/// none).
///
/// ```
/// use botbuilder_dialogs::choices::channel::max_card_actions;
/// use botbuilder_schema::ChannelId;
///
/// assert_eq!(max_card_actions(&ChannelId::Msteams), 50);
/// assert_eq!(max_card_actions(&ChannelId::Facebook), 3);
/// ```
#[must_use]
pub fn max_card_actions(channel: &ChannelId) -> usize {
    match channel {
        ChannelId::Facebook | ChannelId::Skype => 3,
        ChannelId::Msteams => 50,
        ChannelId::Line => 99,
        ChannelId::Slack
        | ChannelId::Telegram
        | ChannelId::Emulator
        | ChannelId::Directline
        | ChannelId::DirectlineSpeech
        | ChannelId::Webchat => 100,
        _ => 0,
    }
}

/// Whether `channel` displays `button_count` suggested actions (BotBuilder's
/// `Channel.supportsSuggestedActions`).
///
/// ```
/// use botbuilder_dialogs::choices::channel::supports_suggested_actions;
/// use botbuilder_schema::ChannelId;
///
/// assert!(supports_suggested_actions(&ChannelId::Webchat, 3));
/// assert!(!supports_suggested_actions(&ChannelId::Slack, 3));
/// ```
#[must_use]
pub fn supports_suggested_actions(channel: &ChannelId, button_count: usize) -> bool {
    button_count <= max_suggested_actions(channel) && max_suggested_actions(channel) > 0
}

/// Whether `channel` displays `button_count` buttons on a card (BotBuilder's
/// `Channel.supportsCardActions`).
///
/// ```
/// use botbuilder_dialogs::choices::channel::supports_card_actions;
/// use botbuilder_schema::ChannelId;
///
/// assert!(supports_card_actions(&ChannelId::Slack, 5));
/// assert!(!supports_card_actions(&ChannelId::Facebook, 4));
/// ```
#[must_use]
pub fn supports_card_actions(channel: &ChannelId, button_count: usize) -> bool {
    button_count <= max_card_actions(channel) && max_card_actions(channel) > 0
}

/// Whether `channel` shows a message feed. Every current channel does (Cortana, which did not,
/// is gone); kept for parity with BotBuilder.
///
/// ```
/// use botbuilder_dialogs::choices::channel::has_message_feed;
/// use botbuilder_schema::ChannelId;
///
/// assert!(has_message_feed(&ChannelId::Webchat));
/// ```
#[must_use]
pub fn has_message_feed(channel: &ChannelId) -> bool {
    !matches!(channel, ChannelId::Cortana)
}

/// The longest button title, in characters, that `channel` displays in full (20 everywhere,
/// as in BotBuilder).
///
/// ```
/// use botbuilder_dialogs::choices::channel::max_action_title_length;
/// use botbuilder_schema::ChannelId;
///
/// assert_eq!(max_action_title_length(&ChannelId::Msteams), 20);
/// ```
#[must_use]
pub fn max_action_title_length(_channel: &ChannelId) -> usize {
    20
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_table() {
        // (channel, max suggested actions, max card actions)
        let cases = [
            (ChannelId::Facebook, 10, 3),
            (ChannelId::Skype, 10, 3),
            (ChannelId::Line, 13, 99),
            (ChannelId::Kik, 20, 0),
            (ChannelId::Telegram, 100, 100),
            (ChannelId::Emulator, 100, 100),
            (ChannelId::Directline, 100, 100),
            (ChannelId::DirectlineSpeech, 100, 100),
            (ChannelId::Webchat, 100, 100),
            (ChannelId::Msteams, 0, 50),
            (ChannelId::Slack, 0, 100),
            (ChannelId::Sms, 0, 0),
            (ChannelId::Email, 0, 0),
            (ChannelId::Test, 0, 0),
            (ChannelId::Other("custom".into()), 0, 0),
        ];
        for (channel, suggested, card) in cases {
            assert_eq!(max_suggested_actions(&channel), suggested, "{channel}");
            assert_eq!(max_card_actions(&channel), card, "{channel}");
            assert_eq!(
                supports_suggested_actions(&channel, 1),
                suggested > 0,
                "{channel}"
            );
            assert_eq!(supports_card_actions(&channel, 1), card > 0, "{channel}");
            assert!(
                !supports_suggested_actions(&channel, suggested + 1),
                "{channel}"
            );
        }
        assert!(!has_message_feed(&ChannelId::Cortana));
    }
}
