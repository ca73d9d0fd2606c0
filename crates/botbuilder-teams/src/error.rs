//! The crate's error type.

/// What can go wrong in the Teams crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TeamsError {
    /// An activity or a response carried a Teams payload that does not have the expected shape.
    #[error("invalid Teams payload: {what}")]
    InvalidPayload {
        /// Which payload: `channelData`, an event's `value`, a member of `membersAdded`.
        what: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The bot does not handle this invoke. A [`TeamsActivityHandler`](crate::TeamsActivityHandler)
    /// method returns it by default; the dispatcher answers 501 Not Implemented, as
    /// BotBuilder does. Return it from your own override to decline an invoke you only
    /// partly handle (an unknown verb, command or action).
    #[error("the bot does not handle the invoke {name:?}")]
    InvokeNotImplemented {
        /// The invoke's name (`composeExtension/query`, ...), or what was not handled.
        name: String,
    },
    /// The invoke's request is not one the bot can act on (a file consent action that is
    /// neither `accept` nor `decline`, a bot message preview action that is neither `edit`
    /// nor `send`). The dispatcher answers 400 Bad Request.
    #[error("bad invoke request {name:?}: {reason}")]
    InvokeBadRequest {
        /// The invoke's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// 403 `BotNotInConversationRoster`: the bot is not (or no longer) a member of the
    /// conversation, team or meeting; the app was uninstalled or the bot removed. Stop
    /// messaging it and drop its stored conversation reference; the next
    /// `installationUpdate`/`conversationUpdate` says when the bot is back.
    #[error(
        "{operation}: the bot is not in the conversation's roster (403){}",
        detail(message)
    )]
    BotNotInConversationRoster {
        /// The TeamsInfo call, such as `get member`.
        operation: &'static str,
        /// Teams' message.
        message: Option<String>,
    },
    /// 404: the conversation, team, meeting, member or batch operation does not exist (or
    /// the bot cannot see it). `code` says which when Teams says (`ConversationNotFound`,
    /// `MemberNotFoundInConversation`, ...). Check the id: a team id is the id of the team's
    /// General channel, a meeting id the base64 id from the activity's `channelData.meeting`.
    #[error("{operation}: not found (404){}{}", detail(code), detail(message))]
    NotFound {
        /// The TeamsInfo call.
        operation: &'static str,
        /// Teams' error code.
        code: Option<String>,
        /// Teams' message.
        message: Option<String>,
    },
    /// 429: Teams kept throttling after the connector's retries (which honour
    /// `Retry-After`). Wait `retry_after` (or back off) and spread the calls out; for
    /// messaging many users, use the batch operations.
    #[error(
        "{operation}: Teams is throttling requests (429){}",
        after(retry_after)
    )]
    Throttled {
        /// The TeamsInfo call.
        operation: &'static str,
        /// How long Teams asked to wait.
        retry_after: Option<std::time::Duration>,
    },
    /// Any other failure of a TeamsInfo call (another 4xx or 5xx, a transport error, an
    /// unreadable answer, no app token); the source says which, and
    /// [`TeamsError::code`]/[`TeamsError::status`] what Teams answered.
    #[error("{operation} failed")]
    Connector {
        /// The TeamsInfo call.
        operation: &'static str,
        /// The connector's error.
        #[source]
        source: botbuilder_connector::ConnectorError,
    },
    /// The turn does not carry what the call needs (a team id outside a team, a meeting id
    /// outside a meeting, a tenant id, ...): pass it explicitly.
    #[error("{operation}: {missing}")]
    MissingContext {
        /// The TeamsInfo call.
        operation: &'static str,
        /// What is missing, such as `the activity is not from a team`.
        missing: &'static str,
    },
    /// The turn has no connector client in its turn state: it was not run by the
    /// `CloudAdapter` (a test adapter, an in-process channel). Build a `TeamsInfo` from a
    /// `ConnectorClient` instead.
    #[error("the turn has no connector client for TeamsInfo")]
    NoConnectorClient,
    /// An argument is not acceptable (an empty id, an empty recipient list).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What is wrong.
        reason: String,
    },
}

impl TeamsError {
    /// [`TeamsError::InvokeNotImplemented`] for this invoke name (or what was not handled).
    #[must_use]
    pub fn not_implemented(name: impl Into<String>) -> Self {
        Self::InvokeNotImplemented { name: name.into() }
    }

    /// [`TeamsError::InvokeBadRequest`].
    #[must_use]
    pub fn bad_request(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvokeBadRequest {
            name: name.into(),
            reason: reason.into(),
        }
    }

    /// The HTTP status Teams answered with, when the error comes from an answer.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            TeamsError::BotNotInConversationRoster { .. } => Some(403),
            TeamsError::NotFound { .. } => Some(404),
            TeamsError::Throttled { .. } => Some(429),
            TeamsError::Connector { source, .. } => source.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// Teams' error code, when it sent one (`BotNotInConversationRoster`,
    /// `ConversationNotFound`, `BotDisabledByAdmin`, ...).
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            TeamsError::BotNotInConversationRoster { .. } => Some(BOT_NOT_IN_ROSTER),
            TeamsError::NotFound { code, .. } => code.as_deref(),
            TeamsError::Connector { source, .. } => source.code(),
            _ => None,
        }
    }

    /// How long Teams asked to wait before trying again, if it said.
    #[must_use]
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            TeamsError::Throttled { retry_after, .. } => *retry_after,
            TeamsError::Connector { source, .. } => source.retry_after(),
            _ => None,
        }
    }

    /// Whether Teams throttled the call (429).
    #[must_use]
    pub fn is_throttled(&self) -> bool {
        matches!(self, TeamsError::Throttled { .. })
    }

    /// Whether the thing asked for does not exist (404).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, TeamsError::NotFound { .. })
    }

    /// Whether the bot is not in the conversation's roster (403 `BotNotInConversationRoster`).
    #[must_use]
    pub fn is_bot_not_in_roster(&self) -> bool {
        matches!(self, TeamsError::BotNotInConversationRoster { .. })
    }

    /// The typed error of a failed TeamsInfo call.
    pub(crate) fn from_connector(
        operation: &'static str,
        error: botbuilder_connector::ConnectorError,
    ) -> Self {
        use botbuilder_connector::ConnectorError as E;
        match error {
            E::Refused {
                status,
                code: Some(code),
                message,
            } if status.as_u16() == 403 && code.eq_ignore_ascii_case(BOT_NOT_IN_ROSTER) => {
                TeamsError::BotNotInConversationRoster { operation, message }
            }
            E::Service {
                status,
                code,
                message,
                ..
            } if status.as_u16() == 404 => TeamsError::NotFound {
                operation,
                code,
                message,
            },
            E::Throttled { retry_after, .. } => TeamsError::Throttled {
                operation,
                retry_after,
            },
            source => TeamsError::Connector { operation, source },
        }
    }
}

/// Teams' error code for a bot that is not a member of the conversation.
const BOT_NOT_IN_ROSTER: &str = "BotNotInConversationRoster";

/// `: text` when there is text.
fn detail(text: &Option<String>) -> String {
    text.as_deref()
        .filter(|t| !t.is_empty())
        .map(|t| format!(": {t}"))
        .unwrap_or_default()
}

fn after(retry_after: &Option<std::time::Duration>) -> String {
    match retry_after {
        Some(d) if d.subsec_millis() == 0 => format!(", retry after {}s", d.as_secs()),
        Some(d) => format!(", retry after {}ms", d.as_millis()),
        None => String::new(),
    }
}
