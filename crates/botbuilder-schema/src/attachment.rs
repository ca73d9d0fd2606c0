//! Attachments, card actions and suggested actions.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ActionTypes;

/// A file, image, card or other content attached to an activity.
///
/// Cards are attachments whose `content` is the card's JSON and whose `contentType` names the
/// card.
///
/// ```
/// use botbuilder_schema::Attachment;
///
/// let image = Attachment::from_url("image/png", "https://example.com/a.png").with_name("a.png");
/// assert_eq!(image.content_url.as_deref(), Some("https://example.com/a.png"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// The MIME type of the content, or a card's content type.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content_type: String,
    /// Where the content can be downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_url: Option<String>,
    /// Inline content (a card's JSON, an HTML fragment, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    /// File name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A thumbnail image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Attachment {
    /// An attachment with inline content.
    #[must_use]
    pub fn new(content_type: impl Into<String>, content: Value) -> Self {
        Self {
            content_type: content_type.into(),
            content: Some(content),
            ..Self::default()
        }
    }

    /// An attachment that points at a URL.
    #[must_use]
    pub fn from_url(content_type: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            content_type: content_type.into(),
            content_url: Some(url.into()),
            ..Self::default()
        }
    }

    /// Sets the file name.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the thumbnail URL.
    #[must_use]
    pub fn with_thumbnail_url(mut self, url: impl Into<String>) -> Self {
        self.thumbnail_url = Some(url.into());
        self
    }
}

/// A clickable action: a button on a card or a suggested action.
///
/// ```
/// use botbuilder_schema::CardAction;
///
/// let button = CardAction::im_back("Bus");
/// assert_eq!(serde_json::to_value(&button)?, serde_json::json!({"type": "imBack", "title": "Bus", "value": "Bus"}));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardAction {
    /// What the action does.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub action_type: Option<ActionTypes>,
    /// Button text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Image URL shown on the button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Alternate text for the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_alt_text: Option<String>,
    /// Text sent to the bot (messageBack).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Text shown in the chat when clicked (messageBack).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_text: Option<String>,
    /// The action's value: a URL, the text to send, or arbitrary JSON for postBack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Channel-specific data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_data: Option<Value>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CardAction {
    /// An action of this type with a title and a value.
    #[must_use]
    pub fn new(
        action_type: ActionTypes,
        title: impl Into<String>,
        value: impl Into<Value>,
    ) -> Self {
        Self {
            action_type: Some(action_type),
            title: Some(title.into()),
            value: Some(value.into()),
            ..Self::default()
        }
    }

    /// An `imBack` button that sends its title as the user's message.
    #[must_use]
    pub fn im_back(text: impl Into<String>) -> Self {
        let text = text.into();
        Self::new(ActionTypes::ImBack, text.clone(), text)
    }

    /// A `postBack` button with a title and a value sent to the bot.
    #[must_use]
    pub fn post_back(title: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(ActionTypes::PostBack, title, value)
    }

    /// An `openUrl` button.
    #[must_use]
    pub fn open_url(title: impl Into<String>, url: impl Into<String>) -> Self {
        Self::new(ActionTypes::OpenUrl, title, url.into())
    }

    /// A `messageBack` button: `text` goes to the bot, `display_text` shows in the chat.
    #[must_use]
    pub fn message_back(
        title: impl Into<String>,
        text: impl Into<String>,
        display_text: impl Into<String>,
    ) -> Self {
        Self {
            action_type: Some(ActionTypes::MessageBack),
            title: Some(title.into()),
            text: Some(text.into()),
            display_text: Some(display_text.into()),
            ..Self::default()
        }
    }

    /// A `signin` button titled `title` that opens `url` to sign in.
    ///
    /// ```
    /// use botbuilder_schema::{ActionTypes, CardAction};
    ///
    /// let button = CardAction::signin("Sign in", "https://login.example.com/");
    /// assert_eq!(button.action_type, Some(ActionTypes::Signin));
    /// assert_eq!(button.value, Some("https://login.example.com/".into()));
    /// ```
    #[must_use]
    pub fn signin(title: impl Into<String>, url: impl Into<String>) -> Self {
        Self::new(ActionTypes::Signin, title, url.into())
    }

    /// Sets the button image.
    #[must_use]
    pub fn with_image(mut self, url: impl Into<String>) -> Self {
        self.image = Some(url.into());
        self
    }
}

impl From<&str> for CardAction {
    /// An `imBack` button that sends its title, as BotBuilder makes of a plain string.
    ///
    /// ```
    /// use botbuilder_schema::CardAction;
    ///
    /// assert_eq!(CardAction::from("Yes"), CardAction::im_back("Yes"));
    /// ```
    fn from(text: &str) -> Self {
        CardAction::im_back(text)
    }
}

impl From<String> for CardAction {
    /// An `imBack` button that sends its title, as BotBuilder makes of a plain string.
    fn from(text: String) -> Self {
        CardAction::im_back(text)
    }
}

/// Buttons offered to the user as quick replies, which disappear once one is used.
///
/// ```
/// use botbuilder_schema::{CardAction, SuggestedActions};
///
/// let actions = SuggestedActions::new(["Car", "Bus"].map(CardAction::im_back));
/// assert_eq!(actions.actions.len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuggestedActions {
    /// Ids of the recipients who should see the actions (all, when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    /// The actions.
    #[serde(default)]
    pub actions: Vec<CardAction>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SuggestedActions {
    /// Suggested actions for everyone in the conversation.
    #[must_use]
    pub fn new(actions: impl IntoIterator<Item = CardAction>) -> Self {
        Self {
            actions: actions.into_iter().collect(),
            ..Self::default()
        }
    }
}
