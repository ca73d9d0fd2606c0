//! Entities: open, typed metadata attached to an activity (mentions, places, client info).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{ChannelAccount, MessageReactionTypes, SchemaError, SemanticActionStates};

/// One entity of an activity: a `type` and any properties.
///
/// Entities are open: channels invent new ones (`clientInfo`, `ClientCapabilities`,
/// `https://schema.org/Message`), so an `Entity` keeps every property it was sent. The typed
/// views ([`Mention`], [`Place`], [`GeoCoordinates`], [`Thing`], [`ClientInfo`]) read and
/// write the common ones.
///
/// ```
/// use botbuilder_schema::{ChannelAccount, Entity, Mention};
///
/// let mention = Mention::new(ChannelAccount::new("28:bot").with_name("Bot"));
/// let entity = Entity::from_typed(&mention)?;
/// assert_eq!(entity.entity_type, "mention");
/// assert_eq!(entity.as_typed::<Mention>().unwrap()?.text.as_deref(), Some("<at>Bot</at>"));
/// # Ok::<(), botbuilder_schema::SchemaError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Entity {
    /// The entity's type (`type`), such as `mention` or `clientInfo`.
    #[serde(rename = "type", default)]
    pub entity_type: String,
    /// Every other property, as sent.
    #[serde(flatten)]
    pub properties: Map<String, Value>,
}

/// Read by hand rather than derived: a derived `#[serde(flatten)]` buffers every property
/// (all of an entity's but `type`) as serde's private `Content` and reads it a second time,
/// which made an entity cost more to parse than the rest of a message activity.
impl<'de> Deserialize<'de> for Entity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntityVisitor;

        impl<'de> serde::de::Visitor<'de> for EntityVisitor {
            type Value = Entity;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("struct Entity")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entity, A::Error> {
                let mut entity_type: Option<String> = None;
                let mut properties = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "type" {
                        if entity_type.is_some() {
                            return Err(serde::de::Error::duplicate_field("type"));
                        }
                        entity_type = Some(map.next_value()?);
                    } else {
                        let value: Value = map.next_value()?;
                        properties.insert(key, value);
                    }
                }
                Ok(Entity {
                    entity_type: entity_type.unwrap_or_default(),
                    properties,
                })
            }
        }

        deserializer.deserialize_map(EntityVisitor)
    }
}

/// An entity type with a typed view: its `type` string and its shape.
pub trait EntityKind: Serialize + DeserializeOwned {
    /// The `type` string of this kind of entity.
    const TYPE: &'static str;
}

impl Entity {
    /// An entity of this type with no properties.
    #[must_use]
    pub fn new(entity_type: impl Into<String>) -> Self {
        Self {
            entity_type: entity_type.into(),
            properties: Map::new(),
        }
    }

    /// Whether this entity has the type of `T` (compared case-insensitively, as channels vary
    /// in case: `clientInfo`, `ClientInfo`).
    #[must_use]
    pub fn is<T: EntityKind>(&self) -> bool {
        self.entity_type.eq_ignore_ascii_case(T::TYPE)
    }

    /// Reads this entity as `T`, or `None` when it has another type.
    ///
    /// # Errors
    /// The inner `Err` says why an entity of the right type does not have `T`'s shape.
    pub fn as_typed<T: EntityKind>(&self) -> Option<Result<T, SchemaError>> {
        if !self.is::<T>() {
            return None;
        }
        Some(
            serde_json::from_value(Value::Object(self.properties.clone())).map_err(|source| {
                SchemaError::Json {
                    context: format!("reading a `{}` entity", T::TYPE),
                    source,
                }
            }),
        )
    }

    /// Builds an entity from a typed view.
    ///
    /// # Errors
    /// [`SchemaError::Json`] when `T` does not serialise to a JSON object.
    pub fn from_typed<T: EntityKind>(value: &T) -> Result<Self, SchemaError> {
        let json = serde_json::to_value(value).map_err(|source| SchemaError::Json {
            context: format!("writing a `{}` entity", T::TYPE),
            source,
        })?;
        match json {
            Value::Object(mut properties) => {
                properties.remove("type");
                Ok(Self {
                    entity_type: T::TYPE.to_owned(),
                    properties,
                })
            }
            other => Err(SchemaError::InvalidValue {
                context: format!("a `{}` entity must be a JSON object, not {other}", T::TYPE),
            }),
        }
    }
}

/// A mention of an account in the activity's text (`type: "mention"`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mention {
    /// The account mentioned.
    #[serde(default)]
    pub mentioned: ChannelAccount,
    /// The text of the mention in the activity's text, such as `<at>Bot</at>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Mention {
    /// A mention of `account`, with text `<at>{name}</at>` (Teams' form).
    #[must_use]
    pub fn new(account: ChannelAccount) -> Self {
        let name = account.name.clone().unwrap_or_else(|| account.id.clone());
        Self {
            text: Some(format!("<at>{name}</at>")),
            mentioned: account,
            extra: Map::new(),
        }
    }
}

impl EntityKind for Mention {
    const TYPE: &'static str = "mention";
}

/// Geographic coordinates (`type: "GeoCoordinates"`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeoCoordinates {
    /// Elevation in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevation: Option<f64>,
    /// Latitude in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// Name of the place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EntityKind for GeoCoordinates {
    const TYPE: &'static str = "GeoCoordinates";
}

/// A place (`type: "Place"`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Place {
    /// The address: a string or a PostalAddress object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Value>,
    /// Coordinates: a GeoCoordinates or GeoShape object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Value>,
    /// A map of the place: a URL or a Map object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_map: Option<Value>,
    /// Name of the place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EntityKind for Place {
    const TYPE: &'static str = "Place";
}

/// A thing with a name (`type: "Thing"`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thing {
    /// Name of the thing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EntityKind for Thing {
    const TYPE: &'static str = "Thing";
}

/// What the client says about itself (`type: "clientInfo"`): locale, country, platform,
/// time zone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    /// The client's locale, such as `en-US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The client's country, such as `US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The client's platform, such as `Windows` or `Web`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The client's IANA time zone, such as `America/New_York`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EntityKind for ClientInfo {
    const TYPE: &'static str = "clientInfo";
}

/// A reaction to a message (`reactionsAdded`, `reactionsRemoved`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageReaction {
    /// The kind of reaction (`like`, `plusOne`, or a channel's own, such as Teams' `heart`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub reaction_type: Option<MessageReactionTypes>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MessageReaction {
    /// A reaction of this type.
    #[must_use]
    pub fn new(reaction_type: impl Into<MessageReactionTypes>) -> Self {
        Self {
            reaction_type: Some(reaction_type.into()),
            extra: Map::new(),
        }
    }
}

/// A part of the text of an activity that this activity refers to (`textHighlights`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextHighlight {
    /// The highlighted text.
    #[serde(default)]
    pub text: String,
    /// Which occurrence of the text is meant (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<i64>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A programmatic action the activity carries (`semanticAction`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SemanticAction {
    /// The action's id.
    #[serde(default)]
    pub id: String,
    /// The action's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<SemanticActionStates>,
    /// Entities of the action, by name.
    #[serde(default)]
    pub entities: Map<String, Value>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn open_entity_round_trips() {
        let wire =
            json!({"type": "ClientCapabilities", "requiresBotState": true, "supportsTts": true});
        let entity: Entity = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(entity.entity_type, "ClientCapabilities");
        assert_eq!(serde_json::to_value(&entity).unwrap(), wire);
        assert!(entity.as_typed::<Mention>().is_none());
    }

    #[test]
    fn entities_read_as_the_derived_reader_did() {
        let from = |s: &str| serde_json::from_str::<Entity>(s);
        let e = from(r#"{"x": null, "type": "t", "y": [1, {"z": 2}], "x": 3}"#).unwrap();
        assert_eq!(e.entity_type, "t");
        assert_eq!(e.properties.len(), 2);
        assert_eq!(e.properties["x"], 3); // a repeated property: the last one wins
        assert_eq!(e.properties["y"][1]["z"], 2);
        assert_eq!(from(r#"{"a": 1}"#).unwrap().entity_type, ""); // no type reads as empty
        for bad in [
            r#"{"type": "a", "type": "b"}"#,
            r#"{"type": null}"#,
            r#"{"type": 1}"#,
            r#"["mention"]"#,
            r#""mention""#,
            r#"{"type": "a""#,
        ] {
            assert!(from(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn typed_views_read_teams_entities() {
        let mention: Entity = serde_json::from_value(json!({
            "mentioned": {"id": "28:bot", "name": "My Bot"},
            "text": "<at>My Bot</at>",
            "type": "mention"
        }))
        .unwrap();
        let m = mention.as_typed::<Mention>().unwrap().unwrap();
        assert_eq!(m.mentioned.id, "28:bot");

        let info: Entity = serde_json::from_value(json!({
            "locale": "en-US", "country": "US", "platform": "Windows", "type": "clientInfo"
        }))
        .unwrap();
        let c = info.as_typed::<ClientInfo>().unwrap().unwrap();
        assert_eq!(c.platform.as_deref(), Some("Windows"));
    }

    #[test]
    fn typed_view_of_wrong_shape_is_an_error() {
        let bad: Entity =
            serde_json::from_value(json!({"type": "mention", "mentioned": "not an account"}))
                .unwrap();
        assert!(bad.as_typed::<Mention>().unwrap().is_err());
    }

    #[test]
    fn geo_and_place_round_trip() {
        let geo = GeoCoordinates {
            latitude: Some(47.6),
            longitude: Some(-122.3),
            ..GeoCoordinates::default()
        };
        let entity = Entity::from_typed(&geo).unwrap();
        assert_eq!(
            serde_json::to_value(&entity).unwrap(),
            json!({"type": "GeoCoordinates", "latitude": 47.6, "longitude": -122.3})
        );
        let place = Place {
            name: Some("Office".into()),
            geo: Some(serde_json::to_value(&entity).unwrap()),
            ..Place::default()
        };
        let back = Entity::from_typed(&place)
            .unwrap()
            .as_typed::<Place>()
            .unwrap()
            .unwrap();
        assert_eq!(back, place);
        let thing = Entity::from_typed(&Thing {
            name: Some("x".into()),
            ..Thing::default()
        })
        .unwrap();
        assert_eq!(thing.entity_type, "Thing");
    }

    #[test]
    fn reactions_keep_unknown_types() {
        let r: MessageReaction = serde_json::from_value(json!({"type": "heart"})).unwrap();
        assert_eq!(
            r.reaction_type,
            Some(MessageReactionTypes::Other("heart".into()))
        );
        assert_eq!(
            serde_json::to_value(MessageReaction::new("like")).unwrap(),
            json!({"type": "like"})
        );
    }
}
