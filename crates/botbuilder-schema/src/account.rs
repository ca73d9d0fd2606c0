//! Accounts: who is in a conversation, and the conversation itself.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::RoleTypes;

/// A user or bot on a channel (`from`, `recipient`, `membersAdded`, ...).
///
/// `id` is the channel's id for the account (Teams: `29:...` for users, `28:...` for bots).
/// An absent `id` reads as the empty string and an empty one is not written.
///
/// ```
/// use botbuilder_schema::ChannelAccount;
///
/// let user = ChannelAccount::new("user-1").with_name("Ada");
/// assert_eq!(serde_json::to_value(&user)?, serde_json::json!({"id": "user-1", "name": "Ada"}));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelAccount {
    /// The channel's id for this account.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The account's object id in Microsoft Entra ID (Teams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad_object_id: Option<String>,
    /// The role of the account: user, bot or skill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleTypes>,
    /// Extra properties defined by the channel (`properties`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
    /// Properties this SDK does not model, kept and written back (Teams sends `userRole`,
    /// `email`, `userPrincipalName`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChannelAccount {
    /// An account with this id.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }

    /// Sets the display name.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the role.
    #[must_use]
    pub fn with_role(mut self, role: RoleTypes) -> Self {
        self.role = Some(role);
        self
    }
}

/// A conversation on a channel (`conversation`): a one-to-one chat, a group chat or a channel.
///
/// ```
/// use botbuilder_schema::ConversationAccount;
///
/// let conversation: ConversationAccount = serde_json::from_str(
///     r#"{"id":"19:abc@thread.skype","isGroup":true,"conversationType":"channel","tenantId":"t-1"}"#,
/// )?;
/// assert_eq!(conversation.is_group, Some(true));
/// assert_eq!(conversation.tenant_id.as_deref(), Some("t-1"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationAccount {
    /// The channel's id for the conversation. Absent reads as empty; empty is not written.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Whether the conversation has more than two participants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_group: Option<bool>,
    /// The channel's kind of conversation (Teams: `personal`, `groupChat`, `channel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_type: Option<String>,
    /// The tenant the conversation belongs to (Teams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Object id in Microsoft Entra ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad_object_id: Option<String>,
    /// The role of the conversation account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleTypes>,
    /// Extra properties defined by the channel (`properties`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ConversationAccount {
    /// A conversation with this id.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }

    /// Sets `isGroup`.
    #[must_use]
    pub fn with_is_group(mut self, is_group: bool) -> Self {
        self.is_group = Some(is_group);
        self
    }

    /// Sets `tenantId`.
    #[must_use]
    pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_properties_round_trip() {
        let wire = json!({
            "id": "29:1",
            "name": "Ada",
            "aadObjectId": "6b70",
            "userRole": "user",
            "email": "ada@example.com",
            "role": "owner"
        });
        let account: ChannelAccount = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(account.extra.get("email"), Some(&json!("ada@example.com")));
        assert_eq!(account.role, Some(RoleTypes::Other("owner".into())));
        assert_eq!(serde_json::to_value(&account).unwrap(), wire);
    }

    #[test]
    fn absent_id_round_trips_as_absent() {
        let account: ChannelAccount = serde_json::from_value(json!({"name": "x"})).unwrap();
        assert_eq!(account.id, "");
        assert_eq!(
            serde_json::to_value(&account).unwrap(),
            json!({"name": "x"})
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        assert!(serde_json::from_value::<ChannelAccount>(json!({"id": 5})).is_err());
        assert!(serde_json::from_value::<ConversationAccount>(json!({"isGroup": "yes"})).is_err());
        assert!(serde_json::from_value::<ConversationAccount>(json!([])).is_err());
    }
}
