//! The one place a turn's activities leave the bot: to an in-process [`DeliveryTarget`]
//! registered for the activity's service URL, or else to the Bot Connector REST API of that
//! service URL, with the app's credentials.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use botbuilder_core::Error;
use botbuilder_core::user_token::UserTokenProvider;
use botbuilder_schema::{
    Activity, ActivityTypes, ChannelId, ConversationParameters, ConversationReference,
    ConversationResourceResponse, InvokeResponse, ResourceResponse, SchemaError,
};
use serde_json::Value;

use crate::client::parse_service_url;
use crate::{ConnectorClient, ConnectorClientFactory, ConnectorError};

/// How long a `delay` activity waits when its value is not a number of milliseconds.
const DEFAULT_DELAY: Duration = Duration::from_millis(1000);

/// A destination for a channel's activities inside this process, used instead of the Bot
/// Connector REST API for the service URL it is registered under
/// ([`CloudAdapter::register_delivery_target`](crate::adapter::CloudAdapter::register_delivery_target)).
///
/// This is how an in-process channel (a Direct Line server, a test harness, a console) gets a
/// bot's replies without an HTTP hop: it registers itself under the service URL it puts on the
/// activities it hands to
/// [`CloudAdapter::process_authenticated`](crate::adapter::CloudAdapter::process_authenticated); every
/// reply, update, delete and proactive message for that service URL then comes to it, as
/// completed activities (channel, conversation, `from`, `recipient`, `replyToId` set).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use botbuilder_connector::adapter::DeliveryTarget;
/// use botbuilder_connector::schema::{Activity, ResourceResponse};
/// use botbuilder_connector::{ConnectorError, async_trait};
///
/// /// Keeps every reply in memory.
/// #[derive(Debug, Default)]
/// struct Inbox(Mutex<Vec<Activity>>);
///
/// #[async_trait]
/// impl DeliveryTarget for Inbox {
///     async fn send_activity(&self, activity: Activity) -> Result<ResourceResponse, ConnectorError> {
///         let mut inbox = self.0.lock().unwrap_or_else(|e| e.into_inner());
///         inbox.push(activity);
///         Ok(ResourceResponse::new(format!("reply-{}", inbox.len())))
///     }
/// }
/// ```
#[async_trait]
pub trait DeliveryTarget: Send + Sync + fmt::Debug {
    /// Delivers an activity into its conversation (a reply to `reply_to_id` when set).
    ///
    /// # Errors
    /// Any [`ConnectorError`]; it reaches the bot as `botbuilder_core::Error::Adapter`, with
    /// its [`channel_failure`](ConnectorError::channel_failure) attached.
    async fn send_activity(&self, activity: Activity) -> Result<ResourceResponse, ConnectorError>;

    /// Replaces an activity (`activity.id` names it). The default does not support it.
    ///
    /// # Errors
    /// [`ConnectorError::Unsupported`] by default.
    async fn update_activity(
        &self,
        activity: Activity,
    ) -> Result<ResourceResponse, ConnectorError> {
        let _ = activity;
        Err(ConnectorError::Unsupported {
            operation: "update activity",
        })
    }

    /// Deletes an activity. The default does not support it.
    ///
    /// # Errors
    /// [`ConnectorError::Unsupported`] by default.
    async fn delete_activity(
        &self,
        conversation_id: &str,
        activity_id: &str,
    ) -> Result<(), ConnectorError> {
        let _ = (conversation_id, activity_id);
        Err(ConnectorError::Unsupported {
            operation: "delete activity",
        })
    }

    /// Creates a conversation. The default does not support it.
    ///
    /// # Errors
    /// [`ConnectorError::Unsupported`] by default.
    async fn create_conversation(
        &self,
        parameters: &ConversationParameters,
    ) -> Result<ConversationResourceResponse, ConnectorError> {
        let _ = parameters;
        Err(ConnectorError::Unsupported {
            operation: "create conversation",
        })
    }

    /// The token service of this target's conversations, when it has its own: turns whose
    /// service URL is this target's get it in their turn state instead of the adapter's
    /// (a local channel that also stands in for the token service). The default has none.
    fn user_token_provider(&self) -> Option<Arc<dyn UserTokenProvider>> {
        None
    }
}

/// Where one service URL's activities go.
enum Route {
    InProcess(Arc<dyn DeliveryTarget>),
    Connector(ConnectorClient),
}

/// The outbound path: the connector client factory (built once, clients cached per service
/// URL) and the in-process targets.
pub(crate) struct Outbound {
    factory: ConnectorClientFactory,
    targets: RwLock<HashMap<String, Arc<dyn DeliveryTarget>>>,
}

impl fmt::Debug for Outbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let targets = self.targets.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Outbound")
            .field("factory", &self.factory)
            .field("in_process_targets", &targets.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn adapter_error(operation: &'static str, error: ConnectorError) -> Error {
    match error {
        ConnectorError::Unsupported { operation } => Error::NotSupported { operation },
        other => Error::channel(operation, other.channel_failure(), other),
    }
}

fn missing(field: &'static str) -> Error {
    Error::Schema(SchemaError::MissingField {
        field,
        context: "in the outgoing activity",
    })
}

fn nonempty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

/// The `InvokeResponse` an `invokeResponse` activity carries.
pub(crate) fn invoke_response_of(activity: &Activity) -> InvokeResponse {
    match &activity.value {
        Some(value) => serde_json::from_value::<InvokeResponse>(value.clone())
            .unwrap_or_else(|_| InvokeResponse::new(200, Some(value.clone()))),
        None => InvokeResponse::new(200, None),
    }
}

impl Outbound {
    pub(crate) fn new(factory: ConnectorClientFactory) -> Self {
        Self {
            factory,
            targets: RwLock::new(HashMap::new()),
        }
    }

    pub(crate) fn factory(&self) -> &ConnectorClientFactory {
        &self.factory
    }

    pub(crate) fn register(
        &self,
        service_url: &str,
        target: Arc<dyn DeliveryTarget>,
    ) -> Result<(), ConnectorError> {
        let key = parse_service_url(service_url)?.as_str().to_owned();
        tracing::debug!(service_url = %key, "in-process delivery target registered");
        self.targets
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, target);
        Ok(())
    }

    pub(crate) fn unregister(&self, service_url: &str) -> Option<Arc<dyn DeliveryTarget>> {
        let key = parse_service_url(service_url).ok()?.as_str().to_owned();
        self.targets
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key)
    }

    /// The in-process target registered for `service_url`, if any.
    pub(crate) fn target(&self, service_url: &str) -> Option<Arc<dyn DeliveryTarget>> {
        let targets = self.targets.read().unwrap_or_else(PoisonError::into_inner);
        if targets.is_empty() {
            return None;
        }
        let key = parse_service_url(service_url).ok()?;
        targets.get(key.as_str()).cloned()
    }

    fn route(&self, service_url: &str) -> Result<Route, ConnectorError> {
        {
            let targets = self.targets.read().unwrap_or_else(PoisonError::into_inner);
            if !targets.is_empty() {
                let key = parse_service_url(service_url)?;
                if let Some(target) = targets.get(key.as_str()) {
                    return Ok(Route::InProcess(Arc::clone(target)));
                }
            }
        }
        Ok(Route::Connector(self.factory.client_for(service_url)?))
    }

    /// The connector client of a service URL, unless an in-process target serves it (or the
    /// URL is not an http(s) URL).
    pub(crate) fn connector_client(&self, service_url: &str) -> Option<ConnectorClient> {
        match self.route(service_url) {
            Ok(Route::Connector(client)) => Some(client),
            Ok(Route::InProcess(_)) | Err(_) => None,
        }
    }

    /// Delivers one activity of a turn, as BotBuilder's CloudAdapter does: a `delay` waits,
    /// an `invokeResponse` is kept for the HTTP answer (`on_invoke`), a trace goes only to the
    /// Emulator, anything else is sent (as a reply when it names `replyToId`).
    ///
    /// Takes the activity by reference (it is moved out only for an in-process target), so
    /// that the future does not carry a copy of it.
    pub(crate) async fn send(
        &self,
        activity: &mut Activity,
        on_invoke: impl FnOnce(InvokeResponse),
    ) -> Result<ResourceResponse, Error> {
        if activity.activity_type == "delay" {
            let wait = activity
                .value
                .as_ref()
                .and_then(Value::as_u64)
                .map_or(DEFAULT_DELAY, Duration::from_millis);
            self.factory.clock().sleep(wait).await;
            return Ok(ResourceResponse::default());
        }
        if activity.activity_type == ActivityTypes::InvokeResponse {
            on_invoke(invoke_response_of(activity));
            return Ok(ResourceResponse::default());
        }
        if activity.activity_type == ActivityTypes::Trace
            && activity.channel_id != Some(ChannelId::Emulator)
        {
            return Ok(ResourceResponse::default());
        }
        const OPERATION: &str = "send activities";
        let service_url = nonempty(activity.service_url.as_deref()).ok_or(missing("serviceUrl"))?;
        let conversation_id = activity
            .conversation_id()
            .ok_or(missing("conversation.id"))?;
        let reply_to = nonempty(activity.reply_to_id.as_deref());
        match self
            .route(service_url)
            .map_err(|e| adapter_error(OPERATION, e))?
        {
            Route::InProcess(target) => target
                .send_activity(std::mem::take(activity))
                .await
                .map_err(|e| adapter_error(OPERATION, e)),
            Route::Connector(client) => {
                let conversations = client.conversations();
                let sent = match reply_to {
                    Some(reply_to) => {
                        conversations
                            .reply_to_activity(conversation_id, reply_to, activity)
                            .await
                    }
                    None => {
                        conversations
                            .send_to_conversation(conversation_id, activity)
                            .await
                    }
                };
                sent.map_err(|e| adapter_error(OPERATION, e))
            }
        }
    }

    pub(crate) async fn update(&self, activity: Activity) -> Result<ResourceResponse, Error> {
        const OPERATION: &str = "update activity";
        let service_url = nonempty(activity.service_url.as_deref()).ok_or(missing("serviceUrl"))?;
        let conversation_id = activity
            .conversation_id()
            .ok_or(missing("conversation.id"))?;
        let activity_id = nonempty(activity.id.as_deref()).ok_or(missing("id"))?;
        match self
            .route(service_url)
            .map_err(|e| adapter_error(OPERATION, e))?
        {
            Route::InProcess(target) => target
                .update_activity(activity)
                .await
                .map_err(|e| adapter_error(OPERATION, e)),
            Route::Connector(client) => client
                .conversations()
                .update_activity(conversation_id, activity_id, &activity)
                .await
                .map_err(|e| adapter_error(OPERATION, e)),
        }
    }

    pub(crate) async fn delete(&self, reference: &ConversationReference) -> Result<(), Error> {
        const OPERATION: &str = "delete activity";
        let missing = |field| {
            Error::Schema(SchemaError::MissingField {
                field,
                context: "in the conversation reference",
            })
        };
        let service_url =
            nonempty(reference.service_url.as_deref()).ok_or(missing("serviceUrl"))?;
        let conversation_id = reference
            .conversation_id()
            .ok_or(missing("conversation.id"))?;
        let activity_id =
            nonempty(reference.activity_id.as_deref()).ok_or(missing("activityId"))?;
        match self
            .route(service_url)
            .map_err(|e| adapter_error(OPERATION, e))?
        {
            Route::InProcess(target) => target
                .delete_activity(conversation_id, activity_id)
                .await
                .map_err(|e| adapter_error(OPERATION, e)),
            Route::Connector(client) => client
                .conversations()
                .delete_activity(conversation_id, activity_id)
                .await
                .map_err(|e| adapter_error(OPERATION, e)),
        }
    }

    pub(crate) async fn create_conversation(
        &self,
        service_url: &str,
        parameters: &ConversationParameters,
    ) -> Result<ConversationResourceResponse, Error> {
        const OPERATION: &str = "create conversation";
        match self
            .route(service_url)
            .map_err(|e| adapter_error(OPERATION, e))?
        {
            Route::InProcess(target) => target
                .create_conversation(parameters)
                .await
                .map_err(|e| adapter_error(OPERATION, e)),
            Route::Connector(client) => client
                .conversations()
                .create_conversation(parameters)
                .await
                .map_err(|e| adapter_error(OPERATION, e)),
        }
    }
}
