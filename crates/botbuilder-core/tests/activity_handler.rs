//! ActivityHandler routing: one method per activity kind, defaults that do nothing.

use std::sync::{Arc, Mutex};

use botbuilder_core::schema::{
    Activity, ActivityTypes, ChannelAccount, InvokeResponse, MessageReaction,
};
use botbuilder_core::testing::TestAdapter;
use botbuilder_core::{ActivityHandler, Middleware, Next, TurnContext, TurnResult, async_trait};

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }
}

#[async_trait]
impl ActivityHandler for Recorder {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        self.push(format!("message {}", ctx.activity().text()));
        Ok(())
    }
    async fn on_members_added(&self, m: Vec<ChannelAccount>, _: &mut TurnContext) -> TurnResult {
        let ids: Vec<String> = m.into_iter().map(|a| a.id).collect();
        self.push(format!("added {}", ids.join(",")));
        Ok(())
    }
    async fn on_members_removed(&self, m: Vec<ChannelAccount>, _: &mut TurnContext) -> TurnResult {
        let ids: Vec<String> = m.into_iter().map(|a| a.id).collect();
        self.push(format!("removed {}", ids.join(",")));
        Ok(())
    }
    async fn on_reactions_added(&self, r: Vec<MessageReaction>, _: &mut TurnContext) -> TurnResult {
        self.push(format!("reactions added {}", r.len()));
        Ok(())
    }
    async fn on_reactions_removed(
        &self,
        r: Vec<MessageReaction>,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.push(format!("reactions removed {}", r.len()));
        Ok(())
    }
    async fn on_token_response_event(&self, _: &mut TurnContext) -> TurnResult {
        self.push("token response");
        Ok(())
    }
    async fn on_event(&self, ctx: &mut TurnContext) -> TurnResult {
        self.push(format!(
            "event {}",
            ctx.activity().name.clone().unwrap_or_default()
        ));
        Ok(())
    }
    async fn on_end_of_conversation_activity(&self, _: &mut TurnContext) -> TurnResult {
        self.push("end");
        Ok(())
    }
    async fn on_typing_activity(&self, _: &mut TurnContext) -> TurnResult {
        self.push("typing");
        Ok(())
    }
    async fn on_installation_update_add(&self, _: &mut TurnContext) -> TurnResult {
        self.push("installed");
        Ok(())
    }
    async fn on_installation_update_remove(&self, _: &mut TurnContext) -> TurnResult {
        self.push("uninstalled");
        Ok(())
    }
    async fn on_message_update_activity(&self, _: &mut TurnContext) -> TurnResult {
        self.push("message update");
        Ok(())
    }
    async fn on_message_delete_activity(&self, _: &mut TurnContext) -> TurnResult {
        self.push("message delete");
        Ok(())
    }
    async fn on_command_activity(&self, _: &mut TurnContext) -> TurnResult {
        self.push("command");
        Ok(())
    }
    async fn on_command_result_activity(&self, _: &mut TurnContext) -> TurnResult {
        self.push("command result");
        Ok(())
    }
    async fn on_unrecognized_activity_type(&self, ctx: &mut TurnContext) -> TurnResult {
        self.push(format!("unrecognized {}", ctx.activity().activity_type));
        Ok(())
    }
}

fn with_members(kind: &str, added: &[&str], removed: &[&str]) -> Activity {
    let mut a = Activity::new(ActivityTypes::from(kind));
    let accounts = |ids: &[&str]| ids.iter().map(|id| ChannelAccount::new(*id)).collect();
    if !added.is_empty() {
        a.members_added = Some(accounts(added));
    }
    if !removed.is_empty() {
        a.members_removed = Some(accounts(removed));
    }
    a
}

#[tokio::test]
async fn every_activity_kind_reaches_its_method() {
    let bot = Arc::new(Recorder::default());
    let adapter = TestAdapter::new();
    let mut reaction = Activity::new(ActivityTypes::MessageReaction);
    reaction.reactions_added = Some(vec![
        MessageReaction::new("like"),
        MessageReaction::new("heart"),
    ]);
    reaction.reactions_removed = Some(vec![MessageReaction::new("plusOne")]);
    let mut install = Activity::new(ActivityTypes::InstallationUpdate);
    install.action = Some("add-upgrade".into());
    let mut uninstall = Activity::new(ActivityTypes::InstallationUpdate);
    uninstall.action = Some("remove".into());
    let inputs = vec![
        Activity::message("hi"),
        with_members(
            "conversationUpdate",
            &["bot", "user1", "user2"],
            &["user3", "bot"],
        ),
        with_members("conversationUpdate", &["bot"], &[]),
        reaction,
        Activity::event("tokens/response", serde_json::json!({"token": "x"})),
        Activity::event("jobComplete", 3),
        Activity::new(ActivityTypes::EndOfConversation),
        Activity::typing(),
        install,
        uninstall,
        Activity::new(ActivityTypes::MessageUpdate),
        Activity::new(ActivityTypes::MessageDelete),
        Activity::new(ActivityTypes::Command),
        Activity::new(ActivityTypes::CommandResult),
        Activity::new(ActivityTypes::Handoff),
        Activity::new("hologram"),
    ];
    for activity in inputs {
        adapter
            .process_activity(activity, bot.as_ref())
            .await
            .unwrap();
    }
    assert_eq!(
        *bot.0.lock().unwrap(),
        [
            "message hi",
            "added user1,user2",
            "removed user3",
            "reactions added 2",
            "reactions removed 1",
            "token response",
            "event jobComplete",
            "end",
            "typing",
            "installed",
            "uninstalled",
            "message update",
            "message delete",
            "command",
            "command result",
            "unrecognized handoff",
            "unrecognized hologram",
        ]
    );
    assert!(
        adapter.sent_activities().is_empty(),
        "defaults send nothing"
    );
}

struct InvokeCheck(Arc<Mutex<Option<InvokeResponse>>>);

#[async_trait]
impl Middleware for InvokeCheck {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        next.run(ctx).await?;
        *self.0.lock().unwrap() = ctx.invoke_response();
        Ok(())
    }
}

struct Nothing;
#[async_trait]
impl ActivityHandler for Nothing {}

struct TaskModule;
#[async_trait]
impl ActivityHandler for TaskModule {
    async fn on_invoke_activity(&self, ctx: &mut TurnContext) -> TurnResult<InvokeResponse> {
        let name = ctx.activity().name.clone().unwrap_or_default();
        Ok(InvokeResponse::ok(serde_json::json!({"handled": name})))
    }
}

#[tokio::test]
async fn unhandled_invokes_answer_501_and_handled_ones_their_response() {
    let seen = Arc::new(Mutex::new(None));
    let adapter = TestAdapter::new().with_middleware(InvokeCheck(seen.clone()));
    adapter
        .process_activity(
            Activity::invoke("task/fetch", serde_json::json!({})),
            &Nothing,
        )
        .await
        .unwrap();
    assert_eq!(
        seen.lock().unwrap().clone(),
        Some(InvokeResponse::not_implemented())
    );

    adapter
        .process_activity(
            Activity::invoke("task/fetch", serde_json::json!({})),
            &TaskModule,
        )
        .await
        .unwrap();
    assert_eq!(
        seen.lock().unwrap().clone(),
        Some(InvokeResponse::ok(
            serde_json::json!({"handled": "task/fetch"})
        ))
    );
}

struct Wrapped(Recorder);

#[async_trait]
impl ActivityHandler for Wrapped {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        self.0.push("before");
        botbuilder_core::dispatch_activity(self, ctx).await?;
        self.0.push("after");
        Ok(())
    }
    async fn on_message_activity(&self, _: &mut TurnContext) -> TurnResult {
        self.0.push("message");
        Ok(())
    }
}

#[tokio::test]
async fn overriding_on_turn_and_calling_dispatch_keeps_the_routing() {
    let bot = Wrapped(Recorder::default());
    TestAdapter::new().send_text("x", &bot).await.unwrap();
    assert_eq!(*bot.0.0.lock().unwrap(), ["before", "message", "after"]);
}

struct FailsOnMembers;
#[async_trait]
impl ActivityHandler for FailsOnMembers {
    async fn on_members_added(&self, _: Vec<ChannelAccount>, _: &mut TurnContext) -> TurnResult {
        Err("welcome failed".into())
    }
}

#[tokio::test]
async fn a_handler_error_fails_the_turn() {
    let err = TestAdapter::new()
        .process_activity(
            with_members("conversationUpdate", &["user1"], &[]),
            &FailsOnMembers,
        )
        .await
        .unwrap_err();
    let reported = botbuilder_core::error::report(&err).to_string();
    assert_eq!(err.to_string(), "the turn failed");
    assert!(reported.contains("welcome failed"), "{reported}");
}
