//! Rich cards: hero, thumbnail, sign-in, OAuth, receipt, animation, audio and video cards,
//! and Adaptive Cards as JSON.
//!
//! A card travels as an [`Attachment`] whose `contentType` names the card (see
//! [`content_types`]) and whose `content` is the card's JSON. Every card here converts into an
//! attachment with `From` (or `.into_attachment()`), and an incoming attachment reads back as a
//! card with [`Attachment::as_card`].
//!
//! Like the other protocol types, cards use the protocol's camelCase names, leave absent
//! fields out, read `null` as absent, and keep properties this SDK does not model in a
//! flattened `extra` map.
//!
//! ```
//! use botbuilder_schema::{Activity, Attachment, CardAction, HeroCard, MessageFactory};
//!
//! let card = HeroCard::new("White T-Shirt")
//!     .with_text("100% cotton")
//!     .with_image("https://example.com/shirt.jpg")
//!     .with_button(CardAction::im_back("Buy"));
//! let message: Activity = MessageFactory::attachment(card.clone());
//!
//! let attachment = &message.attachments()[0];
//! assert_eq!(attachment.content_type, "application/vnd.microsoft.card.hero");
//! assert_eq!(attachment.content.as_ref().map(|c| &c["title"]), Some(&"White T-Shirt".into()));
//! assert_eq!(attachment.as_card::<HeroCard>().transpose()?, Some(card));
//! # Ok::<(), botbuilder_schema::SchemaError>(())
//! ```

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{ActionTypes, Attachment, CardAction, SchemaError};

/// The `contentType` of each kind of card attachment.
///
/// ```
/// use botbuilder_schema::cards::content_types;
/// use botbuilder_schema::{CardKind, HeroCard};
///
/// assert_eq!(content_types::HERO_CARD, "application/vnd.microsoft.card.hero");
/// assert_eq!(HeroCard::CONTENT_TYPE, content_types::HERO_CARD);
/// ```
pub mod content_types {
    /// An Adaptive Card (`content` is the card's JSON, see <https://adaptivecards.io>).
    pub const ADAPTIVE_CARD: &str = "application/vnd.microsoft.card.adaptive";
    /// An [`AnimationCard`](super::AnimationCard).
    pub const ANIMATION_CARD: &str = "application/vnd.microsoft.card.animation";
    /// An [`AudioCard`](super::AudioCard).
    pub const AUDIO_CARD: &str = "application/vnd.microsoft.card.audio";
    /// A [`HeroCard`](super::HeroCard).
    pub const HERO_CARD: &str = "application/vnd.microsoft.card.hero";
    /// An [`OAuthCard`](super::OAuthCard).
    pub const OAUTH_CARD: &str = "application/vnd.microsoft.card.oauth";
    /// A [`ReceiptCard`](super::ReceiptCard).
    pub const RECEIPT_CARD: &str = "application/vnd.microsoft.card.receipt";
    /// A [`SigninCard`](super::SigninCard).
    pub const SIGNIN_CARD: &str = "application/vnd.microsoft.card.signin";
    /// A [`ThumbnailCard`](super::ThumbnailCard).
    pub const THUMBNAIL_CARD: &str = "application/vnd.microsoft.card.thumbnail";
    /// A [`VideoCard`](super::VideoCard).
    pub const VIDEO_CARD: &str = "application/vnd.microsoft.card.video";
}

/// A card type with a content type of its own: what [`Attachment::as_card`] reads and
/// [`Attachment::from_card`] writes.
///
/// Implement it for a card this crate does not model (a channel-specific card, say) to get the
/// same conversions.
pub trait CardKind: Serialize + DeserializeOwned {
    /// The attachment `contentType` of this card, such as
    /// `application/vnd.microsoft.card.hero`.
    const CONTENT_TYPE: &'static str;
}

impl Attachment {
    /// Reads this attachment as a card of type `T`, or `None` when its content type is another
    /// (compared case-insensitively, as MIME types are).
    ///
    /// ```
    /// use botbuilder_schema::{Attachment, HeroCard, ThumbnailCard};
    ///
    /// let attachment = Attachment::from(HeroCard::new("Menu"));
    /// let card = attachment.as_card::<HeroCard>().transpose()?;
    /// assert_eq!(card.and_then(|c| c.title).as_deref(), Some("Menu"));
    /// assert!(attachment.as_card::<ThumbnailCard>().is_none());
    /// # Ok::<(), botbuilder_schema::SchemaError>(())
    /// ```
    ///
    /// # Errors
    /// The inner `Err` ([`SchemaError::Json`]) says why an attachment with the right content
    /// type has no content or content of the wrong shape.
    pub fn as_card<T: CardKind>(&self) -> Option<Result<T, SchemaError>> {
        if !self.content_type.eq_ignore_ascii_case(T::CONTENT_TYPE) {
            return None;
        }
        let content = self.content.clone().unwrap_or(Value::Null);
        Some(serde_json::from_value(content).map_err(|source| {
            SchemaError::json(
                format!("reading a `{}` attachment", T::CONTENT_TYPE),
                source,
            )
        }))
    }

    /// An attachment carrying any [`CardKind`], including one defined outside this crate.
    /// The cards of this crate convert infallibly with `Attachment::from(card)`.
    ///
    /// ```
    /// use botbuilder_schema::{Attachment, SigninCard};
    ///
    /// let attachment = Attachment::from_card(&SigninCard::new("Sign in", "https://example.com/login"))?;
    /// assert_eq!(attachment.content_type, "application/vnd.microsoft.card.signin");
    /// # Ok::<(), botbuilder_schema::SchemaError>(())
    /// ```
    ///
    /// # Errors
    /// [`SchemaError::Json`] when the card's `Serialize` implementation fails.
    pub fn from_card<T: CardKind>(card: &T) -> Result<Self, SchemaError> {
        let content = serde_json::to_value(card).map_err(|source| {
            SchemaError::json(
                format!("writing a `{}` attachment", T::CONTENT_TYPE),
                source,
            )
        })?;
        Ok(Attachment::new(T::CONTENT_TYPE, content))
    }
}

/// Serialises one of this module's cards.
///
/// These types hold only strings, booleans, lists, `serde_json::Value`s and string-keyed maps,
/// which serde_json always serialises, so the `Null` fallback is never taken; it exists so the
/// infallible `From` conversions need no `unwrap`.
fn card_content<T: Serialize>(card: &T) -> Value {
    serde_json::to_value(card).unwrap_or(Value::Null)
}

/// `Some(text)` unless `text` is empty or only whitespace: clients render an empty string as
/// an empty bubble or line, which is never what is meant.
pub(crate) fn non_blank(text: String) -> Option<String> {
    if text.trim().is_empty() {
        None
    } else {
        Some(text)
    }
}

/// `CardKind`, `From<Card> for Attachment` and `into_attachment` for a card of this module.
macro_rules! card_kind {
    ($name:ident, $content_type:expr) => {
        impl CardKind for $name {
            const CONTENT_TYPE: &'static str = $content_type;
        }

        impl From<$name> for Attachment {
            /// The card as an attachment with the card's content type.
            fn from(card: $name) -> Self {
                Attachment::new($content_type, card_content(&card))
            }
        }

        impl $name {
            /// This card as an attachment with the card's content type (same as
            /// `Attachment::from(card)`).
            #[must_use]
            pub fn into_attachment(self) -> Attachment {
                Attachment::from(self)
            }
        }
    };
}

/// By-value `with_*` setters for optional fields.
macro_rules! option_setters {
    ($name:ident { $( $(#[$doc:meta])* $fn_name:ident => $field:ident : $ty:ty ),+ $(,)? }) => {
        impl $name {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $fn_name(mut self, value: impl Into<$ty>) -> Self {
                    self.$field = Some(value.into());
                    self
                }
            )+
        }
    };
}

/// By-value `with_*` setters that append one item, or several, to an optional list field.
macro_rules! list_setters {
    ($name:ident { $( $one:ident, $many:ident => $field:ident : $item:ty, $what:literal; )+ }) => {
        impl $name {
            $(
                #[doc = concat!("Adds ", $what, " (`", stringify!($field), "`).")]
                #[must_use]
                pub fn $one(mut self, item: impl Into<$item>) -> Self {
                    self.$field.get_or_insert_with(Vec::new).push(item.into());
                    self
                }

                #[doc = concat!("Adds several of ", $what, " (`", stringify!($field), "`).")]
                #[must_use]
                pub fn $many(mut self, items: impl IntoIterator<Item = impl Into<$item>>) -> Self {
                    self.$field
                        .get_or_insert_with(Vec::new)
                        .extend(items.into_iter().map(Into::into));
                    self
                }
            )+
        }
    };
}

/// An image on a card.
///
/// ```
/// use botbuilder_schema::CardImage;
///
/// let image = CardImage::new("https://example.com/a.png").with_alt("A cat");
/// assert_eq!(serde_json::to_value(&image)?, serde_json::json!({"url": "https://example.com/a.png", "alt": "A cat"}));
/// assert_eq!(CardImage::from("https://example.com/a.png").url, image.url);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardImage {
    /// The image URL. Required by the protocol: an absent `url` reads as empty.
    #[serde(default)]
    pub url: String,
    /// Alternative text for screen readers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// The action taken when the image is tapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tap: Option<CardAction>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CardImage {
    /// An image at this URL.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }
}

option_setters! { CardImage {
    /// Sets the alternative text (`alt`).
    with_alt => alt: String,
    /// Sets the action taken when the image is tapped (`tap`).
    with_tap => tap: CardAction,
}}

impl From<&str> for CardImage {
    /// An image at this URL.
    fn from(url: &str) -> Self {
        CardImage::new(url)
    }
}

impl From<String> for CardImage {
    /// An image at this URL.
    fn from(url: String) -> Self {
        CardImage::new(url)
    }
}

/// One media file of a media card; several are alternative formats of the same content.
///
/// ```
/// use botbuilder_schema::MediaUrl;
///
/// let hd = MediaUrl::new("https://example.com/v-1080.mp4").with_profile("1080p");
/// assert_eq!(serde_json::to_value(&hd)?["profile"], "1080p");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaUrl {
    /// The media URL. Required by the protocol: an absent `url` reads as empty.
    #[serde(default)]
    pub url: String,
    /// A hint that tells alternative formats apart, such as `1080p`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MediaUrl {
    /// Media at this URL.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }
}

option_setters! { MediaUrl {
    /// Sets the profile hint (`profile`).
    with_profile => profile: String,
}}

impl From<&str> for MediaUrl {
    /// Media at this URL.
    fn from(url: &str) -> Self {
        MediaUrl::new(url)
    }
}

impl From<String> for MediaUrl {
    /// Media at this URL.
    fn from(url: String) -> Self {
        MediaUrl::new(url)
    }
}

/// The placeholder image of a media card.
///
/// ```
/// use botbuilder_schema::ThumbnailUrl;
///
/// let poster = ThumbnailUrl::new("https://example.com/poster.jpg").with_alt("Poster");
/// assert_eq!(serde_json::to_value(&poster)?["alt"], "Poster");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThumbnailUrl {
    /// The image URL. Required by the protocol: an absent `url` reads as empty.
    #[serde(default)]
    pub url: String,
    /// Alternative text for the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ThumbnailUrl {
    /// A thumbnail at this URL.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }
}

option_setters! { ThumbnailUrl {
    /// Sets the alternative text (`alt`).
    with_alt => alt: String,
}}

impl From<&str> for ThumbnailUrl {
    /// A thumbnail at this URL.
    fn from(url: &str) -> Self {
        ThumbnailUrl::new(url)
    }
}

impl From<String> for ThumbnailUrl {
    /// A thumbnail at this URL.
    fn from(url: String) -> Self {
        ThumbnailUrl::new(url)
    }
}

/// Declares a card with the hero/thumbnail shape: title, subtitle, text, images, buttons, tap.
macro_rules! basic_card {
    ($(#[$meta:meta])* $name:ident => $content_type:expr) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// Title.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub title: Option<String>,
            /// Subtitle.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub subtitle: Option<String>,
            /// Text.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub text: Option<String>,
            /// Images.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub images: Option<Vec<CardImage>>,
            /// Buttons.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub buttons: Option<Vec<CardAction>>,
            /// The action taken when the card itself is tapped.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub tap: Option<CardAction>,
            /// Properties this SDK does not model, kept and written back.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        impl $name {
            /// A card with this title.
            #[must_use]
            pub fn new(title: impl Into<String>) -> Self {
                Self {
                    title: Some(title.into()),
                    ..Self::default()
                }
            }
        }

        option_setters! { $name {
            /// Sets `title`.
            with_title => title: String,
            /// Sets `subtitle`.
            with_subtitle => subtitle: String,
            /// Sets `text`.
            with_text => text: String,
            /// Sets the action taken when the card is tapped (`tap`).
            with_tap => tap: CardAction,
        }}

        list_setters! { $name {
            with_image, with_images => images: CardImage, "an image (a URL or a `CardImage`)";
            with_button, with_buttons => buttons: CardAction, "a button (a `CardAction`, or a string for an `imBack` button)";
        }}

        card_kind!($name, $content_type);
    };
}

basic_card! {
    /// A card with one large image, a title, text and buttons.
    ///
    /// ```
    /// use botbuilder_schema::{Attachment, CardAction, HeroCard};
    /// use serde_json::json;
    ///
    /// let card = HeroCard::new("White T-Shirt")
    ///     .with_image("https://example.com/shirt.jpg")
    ///     .with_buttons(["Buy", "Details"]);
    /// let attachment = Attachment::from(card);
    /// assert_eq!(serde_json::to_value(&attachment)?, json!({
    ///     "contentType": "application/vnd.microsoft.card.hero",
    ///     "content": {
    ///         "title": "White T-Shirt",
    ///         "images": [{"url": "https://example.com/shirt.jpg"}],
    ///         "buttons": [
    ///             {"type": "imBack", "title": "Buy", "value": "Buy"},
    ///             {"type": "imBack", "title": "Details", "value": "Details"}
    ///         ]
    ///     }
    /// }));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    HeroCard => content_types::HERO_CARD
}

basic_card! {
    /// A card with a small thumbnail image beside its title and text, and buttons.
    ///
    /// ```
    /// use botbuilder_schema::{CardAction, ThumbnailCard};
    ///
    /// let attachment = ThumbnailCard::new("Docs")
    ///     .with_image("https://example.com/logo.png")
    ///     .with_button(CardAction::open_url("Open", "https://example.com/docs"))
    ///     .into_attachment();
    /// assert_eq!(attachment.content_type, "application/vnd.microsoft.card.thumbnail");
    /// ```
    ThumbnailCard => content_types::THUMBNAIL_CARD
}

/// A card asking the user to sign in.
///
/// ```
/// use botbuilder_schema::{ActionTypes, SigninCard};
///
/// let card = SigninCard::new("Sign in", "https://example.com/login").with_text("Please sign in");
/// let button = &card.buttons.as_ref().map(Vec::as_slice).unwrap_or_default()[0];
/// assert_eq!(button.action_type, Some(ActionTypes::Signin));
/// assert_eq!(serde_json::to_value(&card)?["text"], "Please sign in");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigninCard {
    /// Text of the sign-in request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The actions that start the sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buttons: Option<Vec<CardAction>>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SigninCard {
    /// A card with one `signin` button titled `title` that opens `url`.
    #[must_use]
    pub fn new(title: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            buttons: Some(vec![CardAction::signin(title, url)]),
            ..Self::default()
        }
    }
}

option_setters! { SigninCard {
    /// Sets `text`.
    with_text => text: String,
}}

list_setters! { SigninCard {
    with_button, with_buttons => buttons: CardAction, "a button";
}}

card_kind!(SigninCard, content_types::SIGNIN_CARD);

/// A card asking the user to sign in through an OAuth connection of the bot's Azure Bot
/// resource (the Bot Framework token service runs the flow).
///
/// ```
/// use botbuilder_schema::{OAuthCard, TokenExchangeResource};
///
/// let card = OAuthCard::new("graph", "Sign in")
///     .with_text("Sign in to read your calendar")
///     .with_token_exchange_resource(TokenExchangeResource {
///         id: Some("1".into()),
///         uri: Some("api://botid-abc/access_as_user".into()),
///         ..TokenExchangeResource::default()
///     });
/// let json = serde_json::to_value(&card)?;
/// assert_eq!(json["connectionName"], "graph");
/// assert_eq!(json["buttons"][0]["type"], "signin");
/// assert_eq!(json["tokenExchangeResource"]["uri"], "api://botid-abc/access_as_user");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthCard {
    /// Text of the sign-in request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The name of the OAuth connection. Required by the protocol: an absent one reads as
    /// empty.
    #[serde(default)]
    pub connection_name: String,
    /// The resource to try a single sign-on token exchange with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_exchange_resource: Option<TokenExchangeResource>,
    /// Where a client can post a token directly to the token service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_post_resource: Option<TokenPostResource>,
    /// The actions that start the sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buttons: Option<Vec<CardAction>>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl OAuthCard {
    /// A card for this connection with one `signin` button titled `title` (the channel or the
    /// token service supplies the sign-in link).
    #[must_use]
    pub fn new(connection_name: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            connection_name: connection_name.into(),
            buttons: Some(vec![CardAction {
                action_type: Some(ActionTypes::Signin),
                title: Some(title.into()),
                ..CardAction::default()
            }]),
            ..Self::default()
        }
    }
}

option_setters! { OAuthCard {
    /// Sets `text`.
    with_text => text: String,
    /// Sets `tokenExchangeResource`.
    with_token_exchange_resource => token_exchange_resource: TokenExchangeResource,
    /// Sets `tokenPostResource`.
    with_token_post_resource => token_post_resource: TokenPostResource,
}}

list_setters! { OAuthCard {
    with_button, with_buttons => buttons: CardAction, "a button";
}}

card_kind!(OAuthCard, content_types::OAUTH_CARD);

/// The resource a client may exchange a token for, for single sign-on without a sign-in
/// prompt (`tokenExchangeResource` of an [`OAuthCard`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenExchangeResource {
    /// The id of the exchange, echoed in the client's token exchange request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The URI of the resource (the application ID URI the token is for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The identity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where a client can post a token directly to the token service (`tokenPostResource` of an
/// [`OAuthCard`]).
///
/// The URL carries a shared access signature, so `Debug` does not print it.
///
/// ```
/// use botbuilder_schema::TokenPostResource;
///
/// let resource = TokenPostResource {
///     sas_url: Some("https://token.example/post?sig=secret".into()),
///     ..TokenPostResource::default()
/// };
/// assert!(!format!("{resource:?}").contains("secret"));
/// assert_eq!(serde_json::to_value(&resource)?["sasUrl"], "https://token.example/post?sig=secret");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPostResource {
    /// The shared-access-signature URL to post the token to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sas_url: Option<String>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for TokenPostResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPostResource")
            .field("sas_url", &self.sas_url.as_ref().map(|_| "<redacted>"))
            .field("extra", &self.extra)
            .finish()
    }
}

/// A key and a value shown as one line of a [`ReceiptCard`].
///
/// ```
/// use botbuilder_schema::Fact;
///
/// let fact = Fact::new("Order", "1234");
/// assert_eq!(serde_json::to_value(&fact)?, serde_json::json!({"key": "Order", "value": "1234"}));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fact {
    /// The key. Required by the protocol: an absent one reads as empty.
    #[serde(default)]
    pub key: String,
    /// The value. Required by the protocol: an absent one reads as empty.
    #[serde(default)]
    pub value: String,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Fact {
    /// A fact with this key and value.
    #[must_use]
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
            extra: Map::new(),
        }
    }
}

/// One line item of a [`ReceiptCard`].
///
/// ```
/// use botbuilder_schema::ReceiptItem;
///
/// let item = ReceiptItem::new("Data transfer").with_price("$38.45").with_quantity("368");
/// assert_eq!(serde_json::to_value(&item)?["quantity"], "368");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptItem {
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Subtitle, below the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// Text, below the subtitle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// An image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<CardImage>,
    /// The price, with its currency (a display string, such as `$38.45`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// The quantity (a display string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<String>,
    /// The action taken when the item is tapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tap: Option<CardAction>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ReceiptItem {
    /// An item with this title.
    #[must_use]
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: Some(title.into()),
            ..Self::default()
        }
    }
}

option_setters! { ReceiptItem {
    /// Sets `title`.
    with_title => title: String,
    /// Sets `subtitle`.
    with_subtitle => subtitle: String,
    /// Sets `text`.
    with_text => text: String,
    /// Sets the image (a URL or a [`CardImage`]).
    with_image => image: CardImage,
    /// Sets `price`.
    with_price => price: String,
    /// Sets `quantity`.
    with_quantity => quantity: String,
    /// Sets the action taken when the item is tapped (`tap`).
    with_tap => tap: CardAction,
}}

/// A receipt: line items, facts, tax and total.
///
/// ```
/// use botbuilder_schema::{Attachment, Fact, ReceiptCard, ReceiptItem};
///
/// let card = ReceiptCard::new("John Doe")
///     .with_fact(Fact::new("Order Number", "1234"))
///     .with_item(ReceiptItem::new("Data transfer").with_price("$38.45"))
///     .with_tax("$7.50")
///     .with_total("$45.95");
/// let attachment = Attachment::from(card);
/// assert_eq!(attachment.content_type, "application/vnd.microsoft.card.receipt");
/// let content = attachment.content.unwrap_or_default();
/// assert_eq!(content["items"][0]["price"], "$38.45");
/// assert_eq!(content["total"], "$45.95");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptCard {
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Key-value facts (order number, payment method, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<Vec<Fact>>,
    /// Line items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ReceiptItem>>,
    /// The action taken when the card is tapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tap: Option<CardAction>,
    /// Total amount (a display string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    /// Tax (a display string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<String>,
    /// VAT (a display string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat: Option<String>,
    /// Buttons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buttons: Option<Vec<CardAction>>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ReceiptCard {
    /// A receipt with this title.
    #[must_use]
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: Some(title.into()),
            ..Self::default()
        }
    }
}

option_setters! { ReceiptCard {
    /// Sets `title`.
    with_title => title: String,
    /// Sets `total`.
    with_total => total: String,
    /// Sets `tax`.
    with_tax => tax: String,
    /// Sets `vat`.
    with_vat => vat: String,
    /// Sets the action taken when the card is tapped (`tap`).
    with_tap => tap: CardAction,
}}

list_setters! { ReceiptCard {
    with_fact, with_facts => facts: Fact, "a fact";
    with_item, with_items => items: ReceiptItem, "a line item";
    with_button, with_buttons => buttons: CardAction, "a button (a `CardAction`, or a string for an `imBack` button)";
}}

card_kind!(ReceiptCard, content_types::RECEIPT_CARD);

/// Declares a card with the media shape: title, subtitle, text, image, media, buttons,
/// shareable, autoloop, autostart, aspect, duration, value.
macro_rules! media_card {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// Title.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub title: Option<String>,
            /// Subtitle.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub subtitle: Option<String>,
            /// Text.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub text: Option<String>,
            /// The placeholder image shown before playback.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub image: Option<ThumbnailUrl>,
            /// The media; several URLs are alternative formats of the same content.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub media: Option<Vec<MediaUrl>>,
            /// Buttons.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub buttons: Option<Vec<CardAction>>,
            /// Whether the content may be shared with others (clients assume `true`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub shareable: Option<bool>,
            /// Whether playback loops at the end (clients assume `true`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub autoloop: Option<bool>,
            /// Whether playback starts by itself (clients assume `true`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub autostart: Option<bool>,
            /// The aspect ratio of the placeholder: `16:9` or `4:3`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub aspect: Option<String>,
            /// The length of the media, as an ISO 8601 duration such as `PT2M10S`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub duration: Option<String>,
            /// A value sent back to the bot with media events about this card.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub value: Option<Value>,
            /// Properties this SDK does not model, kept and written back.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        impl $name {
            /// A card with this title.
            #[must_use]
            pub fn new(title: impl Into<String>) -> Self {
                Self {
                    title: Some(title.into()),
                    ..Self::default()
                }
            }
        }

        option_setters! { $name {
            /// Sets `title`.
            with_title => title: String,
            /// Sets `subtitle`.
            with_subtitle => subtitle: String,
            /// Sets `text`.
            with_text => text: String,
            /// Sets the placeholder image (a URL or a [`ThumbnailUrl`]).
            with_image => image: ThumbnailUrl,
            /// Sets `shareable`.
            with_shareable => shareable: bool,
            /// Sets `autoloop`.
            with_autoloop => autoloop: bool,
            /// Sets `autostart`.
            with_autostart => autostart: bool,
            /// Sets `aspect` (`16:9` or `4:3`).
            with_aspect => aspect: String,
            /// Sets `duration` (ISO 8601, such as `PT2M10S`).
            with_duration => duration: String,
            /// Sets `value`.
            with_value => value: Value,
        }}

        list_setters! { $name {
            with_media, with_media_urls => media: MediaUrl, "a media URL (a string or a `MediaUrl`)";
            with_button, with_buttons => buttons: CardAction, "a button (a `CardAction`, or a string for an `imBack` button)";
        }}
    };
}

/// `From` conversions between [`MediaCard`] and a media card with a content type.
macro_rules! media_card_conversions {
    ($name:ident) => {
        impl From<MediaCard> for $name {
            /// The same fields, as this kind of card.
            fn from(card: MediaCard) -> Self {
                let MediaCard {
                    title,
                    subtitle,
                    text,
                    image,
                    media,
                    buttons,
                    shareable,
                    autoloop,
                    autostart,
                    aspect,
                    duration,
                    value,
                    extra,
                } = card;
                Self {
                    title,
                    subtitle,
                    text,
                    image,
                    media,
                    buttons,
                    shareable,
                    autoloop,
                    autostart,
                    aspect,
                    duration,
                    value,
                    extra,
                }
            }
        }

        impl From<$name> for MediaCard {
            /// The same fields, as a [`MediaCard`].
            fn from(card: $name) -> Self {
                let $name {
                    title,
                    subtitle,
                    text,
                    image,
                    media,
                    buttons,
                    shareable,
                    autoloop,
                    autostart,
                    aspect,
                    duration,
                    value,
                    extra,
                } = card;
                Self {
                    title,
                    subtitle,
                    text,
                    image,
                    media,
                    buttons,
                    shareable,
                    autoloop,
                    autostart,
                    aspect,
                    duration,
                    value,
                    extra,
                }
            }
        }
    };
}

media_card! {
    /// The shape shared by [`AnimationCard`], [`AudioCard`] and [`VideoCard`].
    ///
    /// The protocol gives `MediaCard` no content type of its own, so it is not an attachment:
    /// convert it into the kind of card you mean to send.
    ///
    /// ```
    /// use botbuilder_schema::{Attachment, MediaCard, VideoCard};
    ///
    /// let media = MediaCard::new("Launch").with_media("https://example.com/launch.mp4");
    /// let attachment = Attachment::from(VideoCard::from(media));
    /// assert_eq!(attachment.content_type, "application/vnd.microsoft.card.video");
    /// ```
    MediaCard
}

media_card! {
    /// An animated image or a short looping clip (GIF, short video).
    ///
    /// ```
    /// use botbuilder_schema::AnimationCard;
    ///
    /// let card = AnimationCard::new("Dancing cat").with_media("https://example.com/cat.gif");
    /// let attachment = card.into_attachment();
    /// assert_eq!(attachment.content_type, "application/vnd.microsoft.card.animation");
    /// assert_eq!(attachment.content.unwrap_or_default()["media"][0]["url"], "https://example.com/cat.gif");
    /// ```
    AnimationCard
}
card_kind!(AnimationCard, content_types::ANIMATION_CARD);
media_card_conversions!(AnimationCard);

media_card! {
    /// An audio clip with a player.
    ///
    /// ```
    /// use botbuilder_schema::{AudioCard, ThumbnailUrl};
    ///
    /// let card = AudioCard::new("Episode 12")
    ///     .with_media("https://example.com/ep12.mp3")
    ///     .with_image(ThumbnailUrl::new("https://example.com/cover.jpg").with_alt("Cover"))
    ///     .with_duration("PT42M");
    /// let json = serde_json::to_value(&card)?;
    /// assert_eq!(json["image"]["alt"], "Cover");
    /// assert_eq!(json["duration"], "PT42M");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    AudioCard
}
card_kind!(AudioCard, content_types::AUDIO_CARD);
media_card_conversions!(AudioCard);

media_card! {
    /// A video with a player.
    ///
    /// ```
    /// use botbuilder_schema::{MediaUrl, VideoCard};
    ///
    /// let card = VideoCard::new("Big Buck Bunny")
    ///     .with_media(MediaUrl::new("https://example.com/bbb-720.mp4").with_profile("720p"))
    ///     .with_media("https://example.com/bbb-480.mp4")
    ///     .with_aspect("16:9")
    ///     .with_autostart(false);
    /// let json = serde_json::to_value(card.into_attachment())?;
    /// assert_eq!(json["contentType"], "application/vnd.microsoft.card.video");
    /// assert_eq!(json["content"]["media"][1]["url"], "https://example.com/bbb-480.mp4");
    /// assert_eq!(json["content"]["autostart"], false);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    VideoCard
}
card_kind!(VideoCard, content_types::VIDEO_CARD);
media_card_conversions!(VideoCard);

/// Shortcuts that build card attachments in one call, named after BotBuilder's
/// `CardFactory`. Each is a thin layer over the card builders, which give full control.
///
/// Text arguments that are empty or only whitespace are left out of the card.
///
/// ```
/// use botbuilder_schema::{CardFactory, MessageFactory};
/// use serde_json::json;
///
/// let card = CardFactory::adaptive_card(json!({
///     "type": "AdaptiveCard",
///     "version": "1.5",
///     "body": [{"type": "TextBlock", "text": "Hello"}],
///     "actions": [{"type": "Action.Submit", "title": "OK"}]
/// }));
/// assert_eq!(card.content_type, "application/vnd.microsoft.card.adaptive");
///
/// let from_file = CardFactory::adaptive_card_from_json(r#"{"type": "AdaptiveCard", "version": "1.5", "body": []}"#)?;
/// let message = MessageFactory::carousel([card, from_file]);
/// assert_eq!(message.attachments().len(), 2);
/// # Ok::<(), botbuilder_schema::SchemaError>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct CardFactory;

impl CardFactory {
    /// An Adaptive Card attachment whose content is `card`, as given.
    #[must_use]
    pub fn adaptive_card(card: Value) -> Attachment {
        Attachment::new(content_types::ADAPTIVE_CARD, card)
    }

    /// An Adaptive Card attachment from the card's JSON text (such as a file included with
    /// `include_str!`).
    ///
    /// # Errors
    /// [`SchemaError::Json`] when the text is not JSON; [`SchemaError::InvalidValue`] when it
    /// is not a JSON object.
    pub fn adaptive_card_from_json(json: &str) -> Result<Attachment, SchemaError> {
        let card: Value = serde_json::from_str(json)
            .map_err(|source| SchemaError::json("reading an adaptive card", source))?;
        if !card.is_object() {
            return Err(SchemaError::InvalidValue {
                context: "an adaptive card must be a JSON object".to_owned(),
            });
        }
        Ok(Self::adaptive_card(card))
    }

    /// A hero card attachment with a title, images (URLs or [`CardImage`]s) and buttons
    /// ([`CardAction`]s, or strings for `imBack` buttons).
    #[must_use]
    pub fn hero_card(
        title: impl Into<String>,
        images: impl IntoIterator<Item = impl Into<CardImage>>,
        buttons: impl IntoIterator<Item = impl Into<CardAction>>,
    ) -> Attachment {
        let card = HeroCard {
            title: non_blank(title.into()),
            ..HeroCard::default()
        };
        card.with_images(images).with_buttons(buttons).into()
    }

    /// A thumbnail card attachment with a title, images and buttons (see
    /// [`CardFactory::hero_card`]).
    #[must_use]
    pub fn thumbnail_card(
        title: impl Into<String>,
        images: impl IntoIterator<Item = impl Into<CardImage>>,
        buttons: impl IntoIterator<Item = impl Into<CardAction>>,
    ) -> Attachment {
        let card = ThumbnailCard {
            title: non_blank(title.into()),
            ..ThumbnailCard::default()
        };
        card.with_images(images).with_buttons(buttons).into()
    }

    /// A sign-in card attachment: a `signin` button titled `title` that opens `url`, and
    /// optional `text`.
    #[must_use]
    pub fn signin_card(
        title: impl Into<String>,
        url: impl Into<String>,
        text: impl Into<String>,
    ) -> Attachment {
        SigninCard {
            text: non_blank(text.into()),
            ..SigninCard::new(title, url)
        }
        .into()
    }

    /// An OAuth card attachment for a connection, with a `signin` button titled `title` and
    /// optional `text`.
    #[must_use]
    pub fn oauth_card(
        connection_name: impl Into<String>,
        title: impl Into<String>,
        text: impl Into<String>,
    ) -> Attachment {
        OAuthCard {
            text: non_blank(text.into()),
            ..OAuthCard::new(connection_name, title)
        }
        .into()
    }

    /// An animation card attachment with a title, media (URLs or [`MediaUrl`]s) and buttons.
    #[must_use]
    pub fn animation_card(
        title: impl Into<String>,
        media: impl IntoIterator<Item = impl Into<MediaUrl>>,
        buttons: impl IntoIterator<Item = impl Into<CardAction>>,
    ) -> Attachment {
        AnimationCard::from(media_card(title, media, buttons)).into()
    }

    /// An audio card attachment with a title, media and buttons.
    #[must_use]
    pub fn audio_card(
        title: impl Into<String>,
        media: impl IntoIterator<Item = impl Into<MediaUrl>>,
        buttons: impl IntoIterator<Item = impl Into<CardAction>>,
    ) -> Attachment {
        AudioCard::from(media_card(title, media, buttons)).into()
    }

    /// A video card attachment with a title, media and buttons.
    #[must_use]
    pub fn video_card(
        title: impl Into<String>,
        media: impl IntoIterator<Item = impl Into<MediaUrl>>,
        buttons: impl IntoIterator<Item = impl Into<CardAction>>,
    ) -> Attachment {
        VideoCard::from(media_card(title, media, buttons)).into()
    }
}

fn media_card(
    title: impl Into<String>,
    media: impl IntoIterator<Item = impl Into<MediaUrl>>,
    buttons: impl IntoIterator<Item = impl Into<CardAction>>,
) -> MediaCard {
    let card = MediaCard {
        title: non_blank(title.into()),
        ..MediaCard::default()
    };
    card.with_media_urls(media).with_buttons(buttons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Serialises `card`, checks the JSON, reads it back and checks the card is unchanged, then
    /// checks the attachment it converts into.
    fn check_card<T>(card: T, wire: Value)
    where
        T: CardKind + Clone + PartialEq + std::fmt::Debug + Into<Attachment>,
    {
        assert_eq!(serde_json::to_value(&card).unwrap(), wire);
        let back: T = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(back, card);
        let attachment: Attachment = card.clone().into();
        assert_eq!(attachment.content_type, T::CONTENT_TYPE);
        assert_eq!(attachment.content.as_ref(), Some(&wire));
        assert_eq!(attachment.as_card::<T>().unwrap().unwrap(), card);
        assert_eq!(Attachment::from_card(&card).unwrap(), attachment);
    }

    #[test]
    fn hero_card_wire_shape() {
        let card = HeroCard::new("Seattle")
            .with_subtitle("Washington")
            .with_text("The Emerald City")
            .with_image(CardImage::new("https://example.com/sea.jpg").with_alt("Skyline"))
            .with_images(["https://example.com/2.jpg"])
            .with_button("Weather")
            .with_buttons([CardAction::open_url("Wiki", "https://example.com/wiki")])
            .with_tap(CardAction::open_url("Map", "https://example.com/map"));
        check_card(
            card,
            json!({
                "title": "Seattle",
                "subtitle": "Washington",
                "text": "The Emerald City",
                "images": [
                    {"url": "https://example.com/sea.jpg", "alt": "Skyline"},
                    {"url": "https://example.com/2.jpg"}
                ],
                "buttons": [
                    {"type": "imBack", "title": "Weather", "value": "Weather"},
                    {"type": "openUrl", "title": "Wiki", "value": "https://example.com/wiki"}
                ],
                "tap": {"type": "openUrl", "title": "Map", "value": "https://example.com/map"}
            }),
        );
        assert_eq!(
            HeroCard::CONTENT_TYPE,
            "application/vnd.microsoft.card.hero"
        );
    }

    #[test]
    fn thumbnail_card_wire_shape() {
        let card = ThumbnailCard::new("Docs")
            .with_image(
                CardImage::new("https://example.com/logo.png")
                    .with_tap(CardAction::im_back("logo")),
            )
            .with_button(CardAction::post_back("Open", json!({"doc": 1})));
        check_card(
            card,
            json!({
                "title": "Docs",
                "images": [{"url": "https://example.com/logo.png", "tap": {"type": "imBack", "title": "logo", "value": "logo"}}],
                "buttons": [{"type": "postBack", "title": "Open", "value": {"doc": 1}}]
            }),
        );
        assert_eq!(
            ThumbnailCard::CONTENT_TYPE,
            "application/vnd.microsoft.card.thumbnail"
        );
    }

    #[test]
    fn signin_card_wire_shape() {
        let card =
            SigninCard::new("Sign in", "https://login.example.com/").with_text("Please sign in");
        check_card(
            card,
            json!({
                "text": "Please sign in",
                "buttons": [{"type": "signin", "title": "Sign in", "value": "https://login.example.com/"}]
            }),
        );
        assert_eq!(
            SigninCard::CONTENT_TYPE,
            "application/vnd.microsoft.card.signin"
        );
    }

    #[test]
    fn oauth_card_wire_shape() {
        let card = OAuthCard::new("graph", "Sign in")
            .with_text("Needed for your calendar")
            .with_token_exchange_resource(TokenExchangeResource {
                id: Some("x1".into()),
                uri: Some("api://botid-1/access_as_user".into()),
                provider_id: Some("aad".into()),
                ..TokenExchangeResource::default()
            })
            .with_token_post_resource(TokenPostResource {
                sas_url: Some("https://token.example/p?sig=s3cr3t".into()),
                ..TokenPostResource::default()
            });
        check_card(
            card.clone(),
            json!({
                "text": "Needed for your calendar",
                "connectionName": "graph",
                "tokenExchangeResource": {"id": "x1", "uri": "api://botid-1/access_as_user", "providerId": "aad"},
                "tokenPostResource": {"sasUrl": "https://token.example/p?sig=s3cr3t"},
                "buttons": [{"type": "signin", "title": "Sign in"}]
            }),
        );
        assert_eq!(
            OAuthCard::CONTENT_TYPE,
            "application/vnd.microsoft.card.oauth"
        );
        let debug = format!("{card:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn receipt_card_wire_shape() {
        let card = ReceiptCard::new("John Doe")
            .with_facts([
                Fact::new("Order Number", "1234"),
                Fact::new("Payment Method", "VISA 5555-****"),
            ])
            .with_items([ReceiptItem::new("Data Transfer")
                .with_subtitle("per GB")
                .with_text("Egress")
                .with_image("https://example.com/dt.png")
                .with_price("$38.45")
                .with_quantity("368")
                .with_tap(CardAction::open_url("Details", "https://example.com/dt"))])
            .with_item(
                ReceiptItem::new("App Service")
                    .with_price("$45.00")
                    .with_quantity("720"),
            )
            .with_tax("$7.50")
            .with_vat("$0.00")
            .with_total("$90.95")
            .with_tap(CardAction::open_url("Invoice", "https://example.com/inv"))
            .with_button(CardAction::open_url("More", "https://example.com/more"));
        check_card(
            card,
            json!({
                "title": "John Doe",
                "facts": [
                    {"key": "Order Number", "value": "1234"},
                    {"key": "Payment Method", "value": "VISA 5555-****"}
                ],
                "items": [
                    {
                        "title": "Data Transfer", "subtitle": "per GB", "text": "Egress",
                        "image": {"url": "https://example.com/dt.png"},
                        "price": "$38.45", "quantity": "368",
                        "tap": {"type": "openUrl", "title": "Details", "value": "https://example.com/dt"}
                    },
                    {"title": "App Service", "price": "$45.00", "quantity": "720"}
                ],
                "tap": {"type": "openUrl", "title": "Invoice", "value": "https://example.com/inv"},
                "total": "$90.95",
                "tax": "$7.50",
                "vat": "$0.00",
                "buttons": [{"type": "openUrl", "title": "More", "value": "https://example.com/more"}]
            }),
        );
        assert_eq!(
            ReceiptCard::CONTENT_TYPE,
            "application/vnd.microsoft.card.receipt"
        );
    }

    fn media_wire() -> Value {
        json!({
            "title": "Big Buck Bunny",
            "subtitle": "Blender",
            "text": "An open movie",
            "image": {"url": "https://example.com/poster.jpg", "alt": "Poster"},
            "media": [
                {"url": "https://example.com/720.mp4", "profile": "720p"},
                {"url": "https://example.com/480.mp4"}
            ],
            "buttons": [{"type": "openUrl", "title": "Learn more", "value": "https://peach.blender.org/"}],
            "shareable": false,
            "autoloop": true,
            "autostart": false,
            "aspect": "16:9",
            "duration": "PT9M56S",
            "value": {"movie": 1}
        })
    }

    fn media_card_full() -> MediaCard {
        MediaCard::new("Big Buck Bunny")
            .with_subtitle("Blender")
            .with_text("An open movie")
            .with_image(ThumbnailUrl::new("https://example.com/poster.jpg").with_alt("Poster"))
            .with_media(MediaUrl::new("https://example.com/720.mp4").with_profile("720p"))
            .with_media_urls(["https://example.com/480.mp4"])
            .with_buttons([CardAction::open_url(
                "Learn more",
                "https://peach.blender.org/",
            )])
            .with_shareable(false)
            .with_autoloop(true)
            .with_autostart(false)
            .with_aspect("16:9")
            .with_duration("PT9M56S")
            .with_value(json!({"movie": 1}))
    }

    #[test]
    fn media_cards_wire_shape() {
        let media = media_card_full();
        assert_eq!(serde_json::to_value(&media).unwrap(), media_wire());
        check_card(VideoCard::from(media.clone()), media_wire());
        check_card(AudioCard::from(media.clone()), media_wire());
        check_card(AnimationCard::from(media.clone()), media_wire());
        assert_eq!(MediaCard::from(VideoCard::from(media.clone())), media);
        assert_eq!(MediaCard::from(AudioCard::from(media.clone())), media);
        assert_eq!(MediaCard::from(AnimationCard::from(media.clone())), media);
        assert_eq!(
            VideoCard::CONTENT_TYPE,
            "application/vnd.microsoft.card.video"
        );
        assert_eq!(
            AudioCard::CONTENT_TYPE,
            "application/vnd.microsoft.card.audio"
        );
        assert_eq!(
            AnimationCard::CONTENT_TYPE,
            "application/vnd.microsoft.card.animation"
        );
    }

    #[test]
    fn empty_cards_write_no_optional_fields() {
        assert_eq!(
            serde_json::to_value(HeroCard::default()).unwrap(),
            json!({})
        );
        assert_eq!(
            serde_json::to_value(VideoCard::default()).unwrap(),
            json!({})
        );
        assert_eq!(
            serde_json::to_value(ReceiptCard::default()).unwrap(),
            json!({})
        );
        assert_eq!(
            serde_json::to_value(SigninCard::default()).unwrap(),
            json!({})
        );
        // Required strings are always written.
        assert_eq!(
            serde_json::to_value(OAuthCard::default()).unwrap(),
            json!({"connectionName": ""})
        );
        assert_eq!(
            serde_json::to_value(CardImage::default()).unwrap(),
            json!({"url": ""})
        );
        assert_eq!(
            serde_json::to_value(Fact::default()).unwrap(),
            json!({"key": "", "value": ""})
        );
    }

    #[test]
    fn nulls_read_as_absent_and_unknown_fields_round_trip() {
        let wire = json!({
            "title": null,
            "text": "t",
            "images": [{"url": "u", "futureImageField": [1, 2]}],
            "buttons": [{"type": "imBack", "title": "b", "value": "b", "futureAction": true}],
            "futureCardField": {"nested": {"deep": null}}
        });
        let card: HeroCard = serde_json::from_value(wire).unwrap();
        assert_eq!(card.title, None);
        assert_eq!(
            card.extra["futureCardField"],
            json!({"nested": {"deep": null}})
        );
        assert_eq!(
            serde_json::to_value(&card).unwrap(),
            json!({
                "text": "t",
                "images": [{"url": "u", "futureImageField": [1, 2]}],
                "buttons": [{"type": "imBack", "title": "b", "value": "b", "futureAction": true}],
                "futureCardField": {"nested": {"deep": null}}
            })
        );
    }

    #[test]
    fn as_card_matches_content_type_case_insensitively() {
        let mut attachment = Attachment::from(HeroCard::new("x"));
        attachment.content_type = "Application/Vnd.Microsoft.Card.Hero".into();
        assert_eq!(
            attachment
                .as_card::<HeroCard>()
                .unwrap()
                .unwrap()
                .title
                .as_deref(),
            Some("x")
        );
        assert!(attachment.as_card::<VideoCard>().is_none());
    }

    #[test]
    fn as_card_of_wrong_shape_or_missing_content_is_an_error() {
        let wrong = Attachment::new(content_types::HERO_CARD, json!({"images": "not a list"}));
        let err = wrong.as_card::<HeroCard>().unwrap().unwrap_err();
        assert!(
            err.to_string().starts_with(
                "invalid JSON while reading a `application/vnd.microsoft.card.hero` attachment"
            ),
            "{err}"
        );
        let empty = Attachment::from_url(content_types::RECEIPT_CARD, "https://example.com/r");
        assert!(empty.as_card::<ReceiptCard>().unwrap().is_err());
    }

    #[test]
    fn card_factory_helpers() {
        let hero = CardFactory::hero_card("T", ["https://example.com/i.png"], ["a", "b"]);
        assert_eq!(hero.content_type, content_types::HERO_CARD);
        assert_eq!(
            hero.content.unwrap(),
            json!({
                "title": "T",
                "images": [{"url": "https://example.com/i.png"}],
                "buttons": [
                    {"type": "imBack", "title": "a", "value": "a"},
                    {"type": "imBack", "title": "b", "value": "b"}
                ]
            })
        );

        let thumb =
            CardFactory::thumbnail_card(" ", Vec::<CardImage>::new(), Vec::<CardAction>::new());
        assert_eq!(thumb.content_type, content_types::THUMBNAIL_CARD);
        assert_eq!(thumb.content.unwrap(), json!({"images": [], "buttons": []}));

        let signin = CardFactory::signin_card("Sign in", "https://login.example.com/", "");
        assert_eq!(signin.content_type, content_types::SIGNIN_CARD);
        assert_eq!(
            signin.content.unwrap(),
            json!({"buttons": [{"type": "signin", "title": "Sign in", "value": "https://login.example.com/"}]})
        );

        let oauth = CardFactory::oauth_card("graph", "Sign in", "Please");
        assert_eq!(oauth.content_type, content_types::OAUTH_CARD);
        assert_eq!(
            oauth.content.unwrap(),
            json!({"text": "Please", "connectionName": "graph", "buttons": [{"type": "signin", "title": "Sign in"}]})
        );

        for (attachment, content_type) in [
            (
                CardFactory::animation_card("A", ["https://example.com/a.gif"], ["again"]),
                content_types::ANIMATION_CARD,
            ),
            (
                CardFactory::audio_card("A", ["https://example.com/a.gif"], ["again"]),
                content_types::AUDIO_CARD,
            ),
            (
                CardFactory::video_card("A", ["https://example.com/a.gif"], ["again"]),
                content_types::VIDEO_CARD,
            ),
        ] {
            assert_eq!(attachment.content_type, content_type);
            assert_eq!(
                attachment.content.unwrap(),
                json!({
                    "title": "A",
                    "media": [{"url": "https://example.com/a.gif"}],
                    "buttons": [{"type": "imBack", "title": "again", "value": "again"}]
                })
            );
        }
    }

    #[test]
    fn adaptive_cards() {
        let card = json!({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hi"}]});
        let attachment = CardFactory::adaptive_card(card.clone());
        assert_eq!(
            serde_json::to_value(&attachment).unwrap(),
            json!({"contentType": "application/vnd.microsoft.card.adaptive", "content": card})
        );
        assert_eq!(
            CardFactory::adaptive_card_from_json(&card.to_string()).unwrap(),
            attachment
        );

        let not_json = CardFactory::adaptive_card_from_json("{\"type\": ").unwrap_err();
        assert!(matches!(not_json, SchemaError::Json { .. }), "{not_json}");
        let not_object = CardFactory::adaptive_card_from_json("[1]").unwrap_err();
        assert!(
            matches!(not_object, SchemaError::InvalidValue { .. }),
            "{not_object}"
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(CardFactory::adaptive_card_from_json(&deep).is_err());
    }

    #[test]
    fn non_blank_drops_empty_and_whitespace() {
        assert_eq!(non_blank(String::new()), None);
        assert_eq!(non_blank(" \n\t".into()), None);
        assert_eq!(non_blank(" x ".into()).as_deref(), Some(" x "));
    }
}
