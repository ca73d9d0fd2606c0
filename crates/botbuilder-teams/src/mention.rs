//! Mentions: build one (`<at>Name</at>` in the text plus its `mention` entity), and strip the
//! bot's own from incoming text.

use async_trait::async_trait;
use botbuilder_core::{Middleware, Next, TurnContext, TurnResult};
use botbuilder_schema::{Activity, ActivityTypes, ChannelAccount, Entity};
use serde_json::{Value, json};

/// A mention of `account`: the text to put in the message (`<at>Name</at>`, the name
/// XML-escaped) and the `mention` entity that makes Teams render it. Both must be sent; see
/// [`with_mention`] to do it in one call.
///
/// ```
/// use botbuilder_teams::mention::mention;
/// use botbuilder_teams::schema::{Activity, ChannelAccount};
///
/// let ada = ChannelAccount { name: Some("Ada".into()), ..ChannelAccount::new("29:ada") };
/// let (text, entity) = mention(&ada);
/// let reply = Activity::message(format!("Thanks {text}!")).with_entity(entity);
/// assert_eq!(reply.text(), "Thanks <at>Ada</at>!");
/// assert_eq!(reply.mentions()[0].mentioned.id, "29:ada");
/// ```
#[must_use]
pub fn mention(account: &ChannelAccount) -> (String, Entity) {
    let name = account.name.as_deref().unwrap_or(account.id.as_str());
    let text = format!("<at>{}</at>", escape(name));
    let mut entity = Entity::new("mention");
    entity.properties.insert(
        "mentioned".to_owned(),
        json!({"id": account.id, "name": name}),
    );
    entity
        .properties
        .insert("text".to_owned(), Value::String(text.clone()));
    (text, entity)
}

/// Appends a mention of `account` to the activity's text (after a space when the text is not
/// empty) and adds its entity.
///
/// ```
/// use botbuilder_teams::mention::with_mention;
/// use botbuilder_teams::schema::{Activity, ChannelAccount};
///
/// let ada = ChannelAccount { name: Some("Ada".into()), ..ChannelAccount::new("29:ada") };
/// let reply = with_mention(Activity::message("Welcome,"), &ada);
/// assert_eq!(reply.text(), "Welcome, <at>Ada</at>");
/// assert_eq!(reply.entities().len(), 1);
/// ```
#[must_use]
pub fn with_mention(mut activity: Activity, account: &ChannelAccount) -> Activity {
    let (text, entity) = mention(account);
    let body = activity.text.get_or_insert_with(String::new);
    if !body.is_empty() {
        body.push(' ');
    }
    body.push_str(&text);
    activity.with_entity(entity)
}

fn escape(name: &str) -> String {
    name.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Removes the bot's own mention from the text of every incoming message before the bot sees
/// it, so that `<at>Bot</at> help` reads `help` (opt-in: add it to the adapter's middleware).
///
/// The one-call form, for a single handler, is
/// [`Activity::remove_recipient_mention`] (`ctx.activity_mut().remove_recipient_mention()`).
///
/// ```
/// use botbuilder_teams::mention::RemoveMentionMiddleware;
/// use botbuilder_core::MiddlewareSet;
///
/// let middleware = MiddlewareSet::new().with(RemoveMentionMiddleware);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RemoveMentionMiddleware;

#[async_trait]
impl Middleware for RemoveMentionMiddleware {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        if ctx.activity().activity_type == ActivityTypes::Message {
            ctx.activity_mut().remove_recipient_mention();
        }
        next.run(ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_the_entity_matches_the_text() {
        let account = ChannelAccount {
            name: Some("R&D <bots>".into()),
            ..ChannelAccount::new("29:x")
        };
        let (text, entity) = mention(&account);
        assert_eq!(text, "<at>R&amp;D &lt;bots&gt;</at>");
        assert_eq!(entity.properties["text"], text);
        assert_eq!(entity.properties["mentioned"]["name"], "R&D <bots>");
    }

    #[test]
    fn an_account_without_a_name_is_mentioned_by_id() {
        let (text, _) = mention(&ChannelAccount::new("29:x"));
        assert_eq!(text, "<at>29:x</at>");
    }
}
