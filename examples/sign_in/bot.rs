//! The sign-in bot: signs its user in to an OAuth connection, calls a protected API with their
//! token, and signs them out.

use botbuilder::core::user_token::SignIn;
use botbuilder::prelude::*;
use serde::Deserialize;

/// What the bot says to a new member and to anything it does not understand.
pub(crate) const HELP: &str =
    "Say `me` to see who you are (I will ask you to sign in first), `logout` to sign out.";

/// The part of a user's profile the bot shows: Microsoft Graph's `/me` fields, which the local
/// stand-in API answers too.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Profile {
    /// The user's display name.
    pub(crate) display_name: String,
    /// The user's sign-in name, when the API gives one.
    #[serde(default)]
    pub(crate) user_principal_name: Option<String>,
}

/// The protected API the bot calls with the user's token (`GET me_url` with
/// `Authorization: Bearer <token>`).
#[derive(Clone, Debug)]
pub(crate) struct ProfileApi {
    http: reqwest::Client,
    me_url: String,
}

impl ProfileApi {
    /// An API whose profile endpoint is `me_url`.
    pub(crate) fn new(me_url: impl Into<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            me_url: me_url.into(),
        }
    }

    /// The profile of the token's user.
    pub(crate) async fn me(&self, token: &str) -> Result<Profile, BoxError> {
        let response = self
            .http
            .get(&self.me_url)
            .bearer_auth(token)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the profile API answered {status}").into());
        }
        Ok(response.json::<Profile>().await?)
    }
}

/// The bot: [`SignIn`] on one OAuth connection and the [`ProfileApi`].
#[derive(Clone, Debug)]
pub(crate) struct SignInBot {
    sign_in: SignIn,
    api: ProfileApi,
}

impl SignInBot {
    /// A bot signing in to the OAuth connection `connection_name` and calling `api`.
    pub(crate) fn new(connection_name: &str, api: ProfileApi) -> Self {
        let sign_in = SignIn::new(connection_name)
            .with_title("Sign in")
            .with_text("Sign in to let me see who you are.");
        Self { sign_in, api }
    }

    async fn show_profile(&self, ctx: &mut TurnContext, token: &str) -> TurnResult {
        match self.api.me(token).await {
            Ok(profile) => {
                let who = match &profile.user_principal_name {
                    Some(upn) => format!("You are {} ({upn}).", profile.display_name),
                    None => format!("You are {}.", profile.display_name),
                };
                ctx.send_activity(who).await?;
            }
            Err(error) => {
                tracing::warn!(error = %error, "the profile API call failed");
                ctx.send_activity("I could not reach the profile API; try again later.")
                    .await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ActivityHandler for SignInBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        // A magic code from the sign-in page finishes signing in.
        if let Some(token) = self.sign_in.recognize(ctx).await? {
            ctx.send_activity("You are signed in.").await?;
            return self.show_profile(ctx, &token.token).await;
        }
        let text = ctx.activity().text().trim().to_lowercase();
        match text.as_str() {
            "me" | "login" => {
                // The token if the user is signed in; otherwise the sign-in card.
                if let Some(token) = self.sign_in.get_or_request(ctx).await? {
                    self.show_profile(ctx, &token.token).await?;
                }
            }
            "logout" => {
                self.sign_in.sign_out(ctx).await?;
                ctx.send_activity("You are signed out.").await?;
            }
            _ => {
                ctx.send_activity(HELP).await?;
            }
        }
        Ok(())
    }

    async fn on_token_response_event(&self, ctx: &mut TurnContext) -> TurnResult {
        // Channels that sign the user in without a magic code send the token in an event.
        if let Some(token) = self.sign_in.recognize(ctx).await? {
            ctx.send_activity("You are signed in.").await?;
            self.show_profile(ctx, &token.token).await?;
        }
        Ok(())
    }

    async fn on_members_added(
        &self,
        members: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        // The bot itself is not among `members`.
        for _ in members {
            ctx.send_activity(HELP).await?;
        }
        Ok(())
    }
}
