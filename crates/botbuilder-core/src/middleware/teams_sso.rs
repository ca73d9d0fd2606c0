//! [`TeamsSsoTokenExchangeMiddleware`]: one `signin/tokenExchange` per exchange, however
//! many Teams clients send it.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use botbuilder_schema::{
    ActivityTypes, ChannelId, InvokeResponse, TokenExchangeInvokeRequest,
    TokenExchangeInvokeResponse,
};
use serde_json::json;

use crate::storage::{ETAG_FIELD, Storage, StoreItems};
use crate::user_token::{
    TOKEN_EXCHANGE_FAILED_DETAIL, TOKEN_EXCHANGE_OPERATION, answer_exchange, exchange_sso_token,
};
use crate::{Middleware, Next, TurnContext, TurnResult};

/// The prefix of the storage keys the middleware writes.
pub const SSO_KEY_PREFIX: &str = "botbuilder/sso/";

/// Lets exactly one of the identical `signin/tokenExchange` invokes through to the bot
/// (BotBuilder's `TeamsSSOTokenExchangeMiddleware`).
///
/// When a user has Teams open on several clients (desktop, web, phone), each client that
/// shows the bot's OAuth card tries the single sign-on exchange and sends the bot the same
/// `signin/tokenExchange` invoke (same exchange `id`). Without this middleware the bot would
/// sign the user in, and answer, once per client. For each such invoke on Teams, the
/// middleware:
///
/// 1. exchanges the token through the turn's token service; when that fails (the user must
///    consent first, the token is not for this connection), it answers **412** with a
///    failure detail, so that every client shows the sign-in card, and the bot does not run;
/// 2. then claims the exchange in the [`Storage`] with a create-only write (eTag `""`) under
///    `botbuilder/sso/{channel}/{conversation}/{exchange id}`: the first invoke wins and
///    runs the bot (an `OAuthPrompt` or [`SignIn`](crate::user_token::SignIn) then exchanges
///    the token again and signs the user in); every other invoke, on this instance or any
///    other sharing the store, is answered **200** with no body, and the bot does not run.
///
/// An invoke with no exchange id or token is answered 400. Other activities, and other
/// channels, pass through untouched. A store that cannot be reached fails the turn.
///
/// Claims are small and never deleted by the middleware (as in BotBuilder); a store with a
/// time to live (Redis `ttl`) keeps them from piling up.
///
/// ```
/// use botbuilder_core::middleware::TeamsSsoTokenExchangeMiddleware;
/// use botbuilder_core::storage::MemoryStorage;
/// use botbuilder_core::testing::TestAdapter;
///
/// let adapter = TestAdapter::new()
///     .with_middleware(TeamsSsoTokenExchangeMiddleware::new(MemoryStorage::new(), "graph"));
/// # let _ = adapter;
/// ```
#[derive(Clone)]
pub struct TeamsSsoTokenExchangeMiddleware {
    storage: Arc<dyn Storage>,
    connection_name: String,
}

impl TeamsSsoTokenExchangeMiddleware {
    /// Deduplicates the exchanges of this OAuth connection, keeping claims in `storage` (the
    /// one all instances of the bot share).
    pub fn new(storage: impl Storage + 'static, connection_name: impl Into<String>) -> Self {
        Self {
            storage: Arc::new(storage),
            connection_name: connection_name.into(),
        }
    }

    /// The OAuth connection whose exchanges this middleware handles.
    #[must_use]
    pub fn connection_name(&self) -> &str {
        &self.connection_name
    }
}

impl fmt::Debug for TeamsSsoTokenExchangeMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamsSsoTokenExchangeMiddleware")
            .field("connection_name", &self.connection_name)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Middleware for TeamsSsoTokenExchangeMiddleware {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        let activity = ctx.activity();
        let is_exchange = activity.activity_type == ActivityTypes::Invoke
            && activity.name.as_deref() == Some(TOKEN_EXCHANGE_OPERATION)
            && activity.channel_id.as_ref() == Some(&ChannelId::Msteams);
        if !is_exchange {
            return next.run(ctx).await;
        }
        let request = activity
            .value
            .clone()
            .and_then(|v| serde_json::from_value::<TokenExchangeInvokeRequest>(v).ok())
            .filter(|r| !r.id.is_empty() && !r.token.is_empty());
        let (Some(request), Some(conversation)) = (request, activity.conversation_id()) else {
            answer_exchange(
                ctx,
                400,
                TokenExchangeInvokeResponse::new("", &self.connection_name).with_failure_detail(
                    "The signin/tokenExchange invoke has no exchange id or token.",
                ),
            );
            return Ok(());
        };
        let key = format!(
            "{SSO_KEY_PREFIX}{}/{conversation}/{}",
            ChannelId::Msteams.as_str(),
            request.id
        );
        // Exchange first: when it fails, every client must hear so and show the card.
        if exchange_sso_token(ctx, &self.connection_name, &request)
            .await
            .is_none()
        {
            answer_exchange(
                ctx,
                412,
                TokenExchangeInvokeResponse::new(&request.id, &self.connection_name)
                    .with_failure_detail(TOKEN_EXCHANGE_FAILED_DETAIL),
            );
            return Ok(());
        }
        let claim: StoreItems = [(
            key,
            json!({"connectionName": self.connection_name, ETAG_FIELD: ""}),
        )]
        .into_iter()
        .collect();
        match self.storage.write(claim).await {
            Ok(_) => next.run(ctx).await,
            Err(e) if e.is_conflict() => {
                tracing::debug!(
                    exchange_id = %request.id,
                    "signin/tokenExchange already handled by another invoke; answering 200"
                );
                ctx.set_invoke_response(InvokeResponse::new(200, None));
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}
