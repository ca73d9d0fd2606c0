//! Mentions: stripping the bot's own from a recorded Teams channel message, building one.

use botbuilder_core::testing::TestAdapter;
use botbuilder_core::{TurnContext, TurnResult, bot_fn};
use botbuilder_schema::{Activity, ChannelAccount};
use botbuilder_teams::mention::{RemoveMentionMiddleware, mention, with_mention};

fn recorded(name: &str) -> Activity {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn the_middleware_strips_the_bots_mention_before_the_bot_runs() {
    let adapter = TestAdapter::new().with_middleware(RemoveMentionMiddleware);
    let bot = bot_fn(async |ctx: &mut TurnContext| -> TurnResult {
        let text = format!("you said [{}]", ctx.activity().text());
        ctx.send_activity(text).await?;
        Ok(())
    });
    let incoming = recorded("msteams_message_channel_mention");
    adapter.process_activity(incoming, &bot).await.unwrap();
    let sent = adapter.sent_activities();
    assert_eq!(sent[0].text(), "you said [1]");
}

#[test]
fn one_call_strips_the_recipient_mention_and_keeps_others() {
    let mut a = recorded("msteams_message_channel_mention");
    let ada = ChannelAccount {
        name: Some("Ada".into()),
        ..ChannelAccount::new("29:ada")
    };
    let (text, entity) = mention(&ada);
    a.text = Some(format!("{} ask {text}", a.text()));
    let mut a = a.with_entity(entity);
    assert_eq!(a.remove_recipient_mention(), "1\n ask <at>Ada</at>");
}

#[test]
fn with_mention_appends_text_and_entity() {
    let ada = ChannelAccount {
        name: Some("Ada Lovelace".into()),
        ..ChannelAccount::new("29:ada")
    };
    let reply = with_mention(Activity::message("Welcome"), &ada);
    assert_eq!(reply.text(), "Welcome <at>Ada Lovelace</at>");
    let mentions = reply.mentions();
    assert_eq!(mentions.len(), 1);
    assert_eq!(mentions[0].mentioned.id, "29:ada");
    assert_eq!(mentions[0].text.as_deref(), Some("<at>Ada Lovelace</at>"));
    let empty = with_mention(Activity::message(""), &ada);
    assert_eq!(empty.text(), "<at>Ada Lovelace</at>");
}
