//! [`OAuthPrompt`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use botbuilder_core::user_token::{SignIn, TOKEN_EXCHANGE_OPERATION, VERIFY_STATE_OPERATION};
use botbuilder_core::{BoxFuture, TOKEN_RESPONSE_EVENT, TurnContext, TurnResult};
use botbuilder_schema::{ActivityTypes, TokenResponse};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{PromptOptions, PromptValidatorContext, ValidatorFn, expecting_input};
use crate::dialog::{to_json, value_as};
use crate::{Dialog, DialogContext, DialogInstance, DialogTurnResult, Error};

/// How long an [`OAuthPrompt`] waits for the user to sign in by default: 15 minutes, as in
/// BotBuilder.
pub const DEFAULT_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(15 * 60);

const OPTIONS: &str = "options";
const STATE: &str = "state";
const EXPIRES: &str = "expires";
const ATTEMPT_COUNT: &str = "attemptCount";

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Asks the user to sign in to an OAuth connection of the bot's Azure Bot resource, and
/// ends with their token (BotBuilder's `OAuthPrompt`): the result is a
/// [`TokenResponse`] (`step.result_as::<TokenResponse>()`), or no result when the user did
/// not sign in in time.
///
/// When it begins, a user who is already signed in gets the token at once; otherwise the
/// prompt sends the sign-in card for the channel (see [`SignIn`]: an OAuth card with the
/// single sign-on resource on Teams, a sign-in card on Skype) and waits. It then takes, as
/// [`SignIn::recognize`] describes: a six-digit magic code typed in a message, the
/// `tokens/response` event, and Teams' `signin/verifyState` and `signin/tokenExchange`
/// invokes (answered 200 on success; a failed exchange is answered 412 so that Teams shows
/// the card).
///
/// - **Timeout** ([`with_timeout`](Self::with_timeout), 15 minutes by default): a message
///   or a sign-in activity that comes after it ends the prompt with no result.
/// - **End on invalid message** ([`with_end_on_invalid_message`](Self::with_end_on_invalid_message)):
///   a message that signs nobody in ends the prompt with no result, instead of waiting on
///   (sending the retry prompt if the options have one).
/// - A validator ([`with_validator`](Self::with_validator)) can refuse a token.
/// - [`sign_out_user`](Self::sign_out_user) signs the user out of the connection.
///
/// Teams single sign-on needs [`TeamsSsoTokenExchangeMiddleware`](botbuilder_core::middleware::TeamsSsoTokenExchangeMiddleware)
/// too (Teams sends the exchange from every client); `docs/sign-in.md` shows the whole setup.
///
/// ```
/// use botbuilder_core::user_token::SignIn;
/// use botbuilder_dialogs::prompts::OAuthPrompt;
/// use botbuilder_dialogs::testing::DialogTestClient;
/// use botbuilder_dialogs::{ComponentDialog, PromptOptions, WaterfallDialog};
/// use botbuilder_schema::TokenResponse;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let login = WaterfallDialog::new("login")
///     .step(async move |mut step| {
///         step.prompt("oauth", PromptOptions::new("Please sign in.")).await
///     })
///     .step(async move |mut step| {
///         let reply = match step.result_as::<Option<TokenResponse>>()? {
///             Some(_token) => "You are signed in.",
///             None => "Sign-in was not completed.",
///         };
///         step.context().send_activity(reply).await?;
///         step.end_dialog(None).await
///     });
/// let oauth = OAuthPrompt::new("oauth", SignIn::new("graph").with_text("Sign in to Microsoft Graph"));
/// let client = DialogTestClient::new(ComponentDialog::new("main").with_dialog(login).with_dialog(oauth));
/// client.adapter().user_tokens().add_user_token("graph", "test", "user1", "eyJ-token", Some("123456"));
/// client.flow()
///     .send("hi")
///     .assert_reply_that("the OAuth card", |a| a.text() == "Please sign in." && a.attachments().len() == 1)
///     .test("123456", "You are signed in.")
///     .await;
/// # }
/// ```
pub struct OAuthPrompt {
    id: String,
    sign_in: SignIn,
    timeout: Duration,
    end_on_invalid_message: bool,
    validator: Option<Arc<ValidatorFn<TokenResponse>>>,
    clock: Clock,
}

impl OAuthPrompt {
    /// A prompt with this dialog id that signs the user in as `sign_in` says (connection,
    /// card title and text).
    #[must_use]
    pub fn new(id: impl Into<String>, sign_in: SignIn) -> Self {
        Self {
            id: id.into(),
            sign_in,
            timeout: DEFAULT_SIGN_IN_TIMEOUT,
            end_on_invalid_message: false,
            validator: None,
            clock: Arc::new(SystemTime::now),
        }
    }

    /// How long to wait for the user to sign in (default 15 minutes).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether a message that signs nobody in ends the prompt with no result (default: no,
    /// the prompt waits on).
    #[must_use]
    pub fn with_end_on_invalid_message(mut self, end: bool) -> Self {
        self.end_on_invalid_message = end;
        self
    }

    /// Takes the time from this clock (to test the timeout).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Validates each token (see [`PromptValidatorContext`]): `Ok(true)` accepts it,
    /// `Ok(false)` waits on. The validator also sees turns that brought no token.
    #[must_use]
    pub fn with_validator<F>(mut self, validator: F) -> Self
    where
        F: AsyncFnOnce(PromptValidatorContext<'_, TokenResponse>) -> TurnResult<bool>
            + for<'a> botbuilder_core::callback::Call1<
                'a,
                PromptValidatorContext<'a, TokenResponse>,
                TurnResult<bool>,
            > + Clone
            + Sync
            + 'static,
    {
        self.validator = Some(Arc::new(move |prompt| -> BoxFuture<'_, TurnResult<bool>> {
            botbuilder_core::callback::Call1::call_boxed(validator.clone(), prompt)
        }));
        self
    }

    /// How the prompt signs the user in.
    #[must_use]
    pub fn sign_in(&self) -> &SignIn {
        &self.sign_in
    }

    /// The user's token for the prompt's connection, if they are signed in (without
    /// prompting).
    ///
    /// # Errors
    /// As [`TurnContext::user_token`].
    pub async fn get_user_token(&self, ctx: &TurnContext) -> TurnResult<Option<TokenResponse>> {
        Ok(self.sign_in.get_user_token(ctx, None).await?)
    }

    /// Signs the user out of the prompt's connection (BotBuilder's `SignOutUserAsync`).
    ///
    /// # Errors
    /// As [`TurnContext::sign_out_user`].
    pub async fn sign_out_user(&self, ctx: &TurnContext) -> TurnResult {
        Ok(self.sign_in.sign_out(ctx).await?)
    }

    fn active<'d>(&self, dc: &'d mut DialogContext<'_>) -> Result<&'d mut DialogInstance, Error> {
        dc.active_dialog_mut().ok_or_else(|| Error::InvalidState {
            id: self.id.clone(),
            reason: "the prompt is not the active dialog".to_owned(),
        })
    }

    fn expired(&self, instance: &DialogInstance) -> bool {
        // An RFC 3339 time (as this SDK and BotBuilder C# write it), or milliseconds since the
        // epoch (as BotBuilder JS writes it).
        let expires = match instance.state.get(EXPIRES) {
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            Some(Value::Number(n)) => n.as_i64().and_then(DateTime::<Utc>::from_timestamp_millis),
            _ => None,
        };
        // No readable expiry: written by something else; do not wait forever.
        expires.is_none_or(|expires| DateTime::<Utc>::from((self.clock)()) > expires)
    }
}

impl fmt::Debug for OAuthPrompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthPrompt")
            .field("id", &self.id)
            .field("sign_in", &self.sign_in)
            .field("timeout", &self.timeout)
            .field("end_on_invalid_message", &self.end_on_invalid_message)
            .field("validator", &self.validator.is_some())
            .finish_non_exhaustive()
    }
}

/// Whether the activity is one the prompt reads a token from (and so one that times it out).
fn is_sign_in_activity(ctx: &TurnContext) -> bool {
    let activity = ctx.activity();
    let name = activity.name.as_deref();
    match activity.activity_type {
        ActivityTypes::Message => true,
        ActivityTypes::Event => name == Some(TOKEN_RESPONSE_EVENT),
        ActivityTypes::Invoke => {
            name == Some(VERIFY_STATE_OPERATION) || name == Some(TOKEN_EXCHANGE_OPERATION)
        }
        _ => false,
    }
}

#[async_trait]
impl Dialog for OAuthPrompt {
    fn id(&self) -> &str {
        &self.id
    }

    async fn begin_dialog(
        &self,
        dc: &mut DialogContext<'_>,
        options: Option<Value>,
    ) -> TurnResult<DialogTurnResult> {
        let mut options: PromptOptions = match options {
            None => PromptOptions::default(),
            Some(v) => value_as(Some(&v), "the prompt options")?,
        };
        options.prompt = options.prompt.map(expecting_input);
        options.retry_prompt = options.retry_prompt.map(expecting_input);
        let timeout = chrono::Duration::from_std(self.timeout).unwrap_or(chrono::Duration::MAX);
        let expires = DateTime::<Utc>::from((self.clock)())
            .checked_add_signed(timeout)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let instance = self.active(dc)?;
        instance
            .state
            .insert(OPTIONS.to_owned(), to_json(&options, "the prompt options")?);
        instance
            .state
            .insert(STATE.to_owned(), json!({ ATTEMPT_COUNT: 0 }));
        instance.state.insert(
            EXPIRES.to_owned(),
            Value::String(expires.to_rfc3339_opts(SecondsFormat::Millis, true)),
        );
        if let Some(token) = self.sign_in.get_user_token(dc.context(), None).await? {
            return dc
                .end_dialog(Some(to_json(&token, "the user's token")?))
                .await;
        }
        self.sign_in
            .send_card(dc.context(), options.prompt.clone())
            .await?;
        Ok(DialogTurnResult::end_of_turn())
    }

    async fn continue_dialog(&self, dc: &mut DialogContext<'_>) -> TurnResult<DialogTurnResult> {
        let is_message = dc.context().activity().activity_type == ActivityTypes::Message;
        if is_sign_in_activity(dc.context()) && self.expired(self.active(dc)?) {
            tracing::debug!(prompt = %self.id, "the sign-in timed out");
            return dc.end_dialog(None).await;
        }
        let recognized = self.sign_in.recognize(dc.context()).await?;
        let instance = self.active(dc)?;
        let options: PromptOptions = match instance.state.get(OPTIONS) {
            None => PromptOptions::default(),
            Some(v) => value_as(Some(v), "the prompt options")?,
        };
        let state = instance.state.entry(STATE).or_insert_with(|| json!({}));
        if !state.is_object() {
            *state = json!({});
        }
        let attempt_count = state
            .get(ATTEMPT_COUNT)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
            .saturating_add(1);
        state[ATTEMPT_COUNT] = Value::from(attempt_count);
        let valid = match &self.validator {
            Some(validator) => {
                validator(PromptValidatorContext {
                    context: dc.context_mut(),
                    recognized: &recognized,
                    options: &options,
                    attempt_count,
                })
                .await?
            }
            None => recognized.is_some(),
        };
        tracing::debug!(prompt = %self.id, attempt_count, signed_in = recognized.is_some(), valid, "sign-in answer");
        if valid {
            let result = match &recognized {
                Some(token) => Some(to_json(token, "the user's token")?),
                None => None,
            };
            return dc.end_dialog(result).await;
        }
        if is_message && self.end_on_invalid_message {
            return dc.end_dialog(None).await;
        }
        if is_message
            && !dc.context().responded()
            && let Some(retry) = options.retry_prompt
        {
            dc.context().send_activity(retry).await?;
        }
        Ok(DialogTurnResult::end_of_turn())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt_at(now: SystemTime) -> OAuthPrompt {
        OAuthPrompt::new("oauth", SignIn::new("graph")).with_clock(move || now)
    }

    fn instance(expires: Value) -> DialogInstance {
        let mut instance = DialogInstance::new("oauth");
        instance.state.insert(EXPIRES.to_owned(), expires);
        instance
    }

    #[test]
    fn the_expiry_is_read_as_csharp_and_javascript_write_it() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let prompt = prompt_at(now);
        let ms = 1_800_000_000_000_i64;
        // RFC 3339, as this SDK and BotBuilder C# write it
        assert!(!prompt.expired(&instance(json!("2027-01-15T08:00:01.000Z"))));
        assert!(prompt.expired(&instance(json!("2027-01-15T07:59:59Z"))));
        // milliseconds since the epoch, as BotBuilder JS writes it
        assert!(!prompt.expired(&instance(json!(ms + 1000))));
        assert!(prompt.expired(&instance(json!(ms - 1000))));
        // unreadable or missing: expired rather than waiting forever
        assert!(prompt.expired(&instance(json!("soon"))));
        assert!(prompt.expired(&DialogInstance::new("oauth")));
    }
}
