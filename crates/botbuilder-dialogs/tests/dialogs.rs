//! The dialog model end to end: the stack in state, restarts, waterfalls, components,
//! interruptions.

mod support;

use std::sync::{Arc, Mutex};

use botbuilder_core::state::{AutoSaveStateMiddleware, ConversationState, StatePropertyAccessor};
use botbuilder_core::storage::{MemoryStorage, Storage};
use botbuilder_core::testing::{TestAdapter, TestFlow};
use botbuilder_core::{ActivityHandler, BoxError, TurnContext, TurnResult, async_trait, bot_fn};
use botbuilder_dialogs::testing::DialogTestClient;
use botbuilder_dialogs::{
    ComponentDialog, ConfirmPrompt, Dialog, DialogContext, DialogInstance, DialogReason, DialogSet,
    DialogState, DialogTurnResult, DialogTurnStatus, Error, NumberPrompt, PromptOptions,
    TextPrompt, WaterfallDialog, run_dialog,
};
use botbuilder_schema::Activity;
use botbuilder_storage_sqlite::SqliteStorage;
use serde_json::{Value, json};
use support::TempDir;

/// Name, then age; replies with a summary and ends with `{"name", "age"}`.
fn profile_dialog() -> ComponentDialog {
    let steps = WaterfallDialog::new("profile-steps")
        .step(async move |mut step| step.prompt("name", PromptOptions::new("Name?")).await)
        .step(async move |mut step| {
            let name: String = step.result_as()?;
            step.set_value("name", &name)?;
            step.prompt("age", PromptOptions::new(format!("Age, {name}?")))
                .await
        })
        .step(async move |mut step| {
            let age: u32 = step.result_as()?;
            let name: String = step.value("name")?.unwrap_or_default();
            step.context()
                .send_activity(format!("{name} is {age}."))
                .await?;
            step.end_dialog(Some(json!({"name": name, "age": age})))
                .await
        });
    ComponentDialog::new("profile")
        .with_dialog(steps)
        .with_dialog(TextPrompt::new("name"))
        .with_dialog(NumberPrompt::<u32>::new("age"))
}

/// A bot running `profile_dialog` with its stack in `storage`: a new one is a restarted bot.
struct ProfileBot {
    dialog: ComponentDialog,
    dialog_state: StatePropertyAccessor<DialogState>,
}

#[async_trait]
impl ActivityHandler for ProfileBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        run_dialog(&self.dialog, ctx, &self.dialog_state).await?;
        Ok(())
    }
}

fn profile_bot(storage: impl Storage + 'static) -> (ProfileBot, TestAdapter) {
    let conversation = ConversationState::new(storage);
    let bot = ProfileBot {
        dialog: profile_dialog(),
        dialog_state: conversation.create_property("DialogState"),
    };
    let adapter =
        TestAdapter::new().with_middleware(AutoSaveStateMiddleware::default().with(conversation));
    (bot, adapter)
}

#[tokio::test]
async fn the_stack_is_stored_as_botbuilder_json_in_conversation_state() {
    let storage = MemoryStorage::new();
    let (bot, adapter) = profile_bot(storage.clone());
    TestFlow::new(adapter, bot)
        .test("hi", "Name?")
        .test("Ada", "Age, Ada?")
        .await;
    let key = "test/conversations/convo1";
    let document = storage.read(&[key]).await.unwrap().remove(key).unwrap();
    let stack = &document["DialogState"]["dialogStack"];
    assert_eq!(stack.as_array().unwrap().len(), 1);
    assert_eq!(stack[0]["id"], "profile");
    let inner = &stack[0]["state"]["dialogs"]["dialogStack"];
    // Active first, as BotBuilder stores it: the prompt, then the waterfall.
    assert_eq!(inner[0]["id"], "age");
    assert_eq!(inner[0]["state"]["options"]["prompt"]["text"], "Age, Ada?");
    assert_eq!(inner[0]["state"]["state"]["attemptCount"], 0);
    assert_eq!(inner[1]["id"], "profile-steps");
    assert_eq!(inner[1]["state"]["stepIndex"], 1);
    assert_eq!(inner[1]["state"]["values"], json!({"name": "Ada"}));
    assert!(inner[1]["state"]["instanceId"].is_string());
    // The stored JSON reads back as the typed stack.
    let typed: DialogState = serde_json::from_value(document["DialogState"].clone()).unwrap();
    assert_eq!(typed.dialog_stack[0].id, "profile");
}

#[tokio::test]
async fn a_new_bot_on_the_same_memory_storage_resumes_at_the_second_question() {
    let storage = MemoryStorage::new();
    let (first, adapter) = profile_bot(storage.clone());
    TestFlow::new(adapter, first)
        .test("hi", "Name?")
        .test("Ada", "Age, Ada?")
        .await;
    // The first bot is gone; a new one (new dialogs, new state objects) answers.
    let (second, adapter) = profile_bot(storage.clone());
    TestFlow::new(adapter, second)
        .test("36", "Ada is 36.")
        .test("again", "Name?")
        .await;
}

#[tokio::test]
async fn a_restart_on_a_durable_store_resumes_at_the_second_question() {
    let dir = TempDir::new("restart");
    let file = dir.path().join("state.db");
    {
        let (bot, adapter) = profile_bot(SqliteStorage::open(&file).await.unwrap());
        TestFlow::new(adapter, bot)
            .test("hi", "Name?")
            .test("Grace", "Age, Grace?")
            .await;
    }
    // Everything in memory is gone (bot, dialogs, state objects, the store's connections);
    // only the file remains.
    let (bot, adapter) = profile_bot(SqliteStorage::open(&file).await.unwrap());
    TestFlow::new(adapter, bot)
        .test("not a number", "Age, Grace?")
        .test("85", "Grace is 85.")
        .await;
}

#[tokio::test]
async fn conversations_have_their_own_stacks() {
    let (bot, adapter) = profile_bot(MemoryStorage::new());
    TestFlow::new(adapter, bot)
        .in_conversation("a")
        .test("hi", "Name?")
        .test("Ada", "Age, Ada?")
        .in_conversation("b")
        .test("hi", "Name?")
        .test("Bob", "Age, Bob?")
        .in_conversation("a")
        .test("36", "Ada is 36.")
        .in_conversation("b")
        .test("40", "Bob is 40.")
        .await;
}

#[tokio::test]
async fn run_dialog_reports_each_turn_and_begins_again_after_completion() {
    let client = DialogTestClient::new(profile_dialog());
    client.send_activity("hi").await.unwrap();
    assert_eq!(
        client.dialog_turn_result(),
        Some(DialogTurnResult::end_of_turn())
    );
    client.send_activity("Ada").await.unwrap();
    client.send_activity("36").await.unwrap();
    let done = client.dialog_turn_result().unwrap();
    assert_eq!(done.status, DialogTurnStatus::Complete);
    assert_eq!(done.result, Some(json!({"name": "Ada", "age": 36})));
    let reply = client.send_activity("again").await.unwrap().unwrap();
    assert_eq!(reply.text(), "Name?");
}

#[tokio::test(start_paused = true)]
async fn non_message_activities_do_not_answer_a_waiting_dialog() {
    let client = DialogTestClient::new(profile_dialog());
    client
        .flow()
        .test("hi", "Name?")
        .send_activity(Activity::typing())
        .assert_no_reply()
        .send_activity(Activity::event("ping", json!({})))
        .assert_no_reply()
        .test("Ada", "Age, Ada?")
        .await;
}

#[tokio::test]
async fn create_context_without_state_property_is_an_error() {
    let bot = bot_fn(async move |ctx| {
        let set = DialogSet::without_state();
        let error = set.create_context(ctx).await.unwrap_err();
        assert!(matches!(
            error.downcast_ref::<Error>(),
            Some(Error::NoDialogState)
        ));
        ctx.send_activity("checked").await?;
        Ok(())
    });
    TestFlow::new(TestAdapter::new(), bot)
        .test("hi", "checked")
        .await;
}

#[tokio::test]
async fn unknown_dialog_ids_are_errors_not_panics() {
    let begins_unknown = WaterfallDialog::new("w")
        .step(async move |mut step| step.begin_dialog("nowhere", None).await);
    let client = DialogTestClient::new(begins_unknown);
    let error = client.send_activity("hi").await.unwrap_err();
    let shown = botbuilder_core::error::report(&error).to_string();
    assert!(shown.contains("no dialog with id \"nowhere\""), "{shown}");

    // A stored stack naming a dialog the bot no longer has.
    let storage = MemoryStorage::new();
    let conversation = ConversationState::new(storage.clone());
    let stale = DialogState {
        dialog_stack: vec![DialogInstance::new("removed")],
        ..DialogState::default()
    };
    let dialog_state = conversation.create_property::<DialogState>("DialogState");
    let writer = dialog_state.clone();
    let seed = bot_fn(async move |ctx| {
        writer.set(ctx, &stale).await?;
        Ok(())
    });
    let adapter = TestAdapter::new()
        .with_middleware(AutoSaveStateMiddleware::default().with(conversation.clone()));
    adapter.send_text("seed", &seed).await.unwrap();
    let client = DialogTestClient::new(profile_dialog()).with_conversation_state(conversation);
    let error = client.send_activity("hi").await.unwrap_err();
    let source = match &error {
        botbuilder_core::Error::Turn { source } => source,
        other => panic!("unexpected {other}"),
    };
    assert!(matches!(
        source.downcast_ref::<Error>(),
        Some(Error::DialogNotFound { id }) if id == "removed"
    ));
}

#[test]
#[should_panic(expected = "a different dialog with id \"name\"")]
fn two_dialogs_cannot_share_an_id() {
    let _ = DialogSet::without_state()
        .with(TextPrompt::new("name"))
        .with(ConfirmPrompt::new("name"));
}

// ---- waterfalls -----------------------------------------------------------------------

#[tokio::test]
async fn waterfall_steps_see_reason_result_options_and_values() {
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let dialog = WaterfallDialog::new("w")
        .step(async move |mut step| {
            let log = l1.clone();
            let options: Value = step.options_as()?;
            log.lock().unwrap().push(format!(
                "0 {:?} {:?} {options}",
                step.reason(),
                step.result()
            ));
            step.set_value("count", &1)?;
            step.context().send_activity("first").await?;
            Ok(DialogTurnResult::end_of_turn())
        })
        .step(async move |mut step| {
            let log = l2.clone();
            let count: i64 = step.value("count")?.unwrap();
            step.values_mut().insert("count".into(), json!(count + 1));
            log.lock().unwrap().push(format!(
                "{} {:?} {:?}",
                step.index(),
                step.reason(),
                step.result()
            ));
            step.next(Some(json!("skipped ahead"))).await
        })
        .step(async move |mut step| {
            let log = l3.clone();
            log.lock().unwrap().push(format!(
                "{} {:?} {:?} {:?}",
                step.index(),
                step.reason(),
                step.result(),
                step.values()
            ));
            let count = step.values()["count"].clone();
            step.context()
                .send_activity(format!("count {count}"))
                .await?;
            step.end_dialog(Some(json!("done"))).await
        });
    let client = DialogTestClient::new(dialog).with_initial_options(json!({"topic": "x"}));
    client
        .flow()
        .test("go", "first")
        .test("answer", "count 2")
        .await;
    assert_eq!(
        client.dialog_turn_result(),
        Some(DialogTurnResult::complete(Some(json!("done"))))
    );
    assert_eq!(
        *log.lock().unwrap(),
        [
            r#"0 BeginCalled None {"topic":"x"}"#.to_owned(),
            r#"1 ContinueCalled Some(String("answer"))"#.to_owned(),
            r#"2 NextCalled Some(String("skipped ahead")) {"count": Number(2)}"#.to_owned(),
        ]
    );
}

#[tokio::test]
async fn a_waterfall_ends_with_its_last_steps_result_and_next_past_the_end() {
    let dialog = WaterfallDialog::new("w")
        .step(async move |step| step.next(Some(json!({"fell": "through"}))).await);
    let client = DialogTestClient::new(dialog);
    client.send_activity("go").await.unwrap();
    assert_eq!(
        client.dialog_turn_result(),
        Some(DialogTurnResult::complete(Some(json!({"fell": "through"}))))
    );
    // No steps at all: ends as soon as it begins.
    let client = DialogTestClient::new(WaterfallDialog::new("empty"));
    client.send_activity("go").await.unwrap();
    assert_eq!(
        client.dialog_turn_result(),
        Some(DialogTurnResult::complete(None))
    );
}

#[tokio::test]
async fn next_after_beginning_a_dialog_is_an_error() {
    let dialog = ComponentDialog::new("c")
        .with_dialog(WaterfallDialog::new("w").step(async move |mut step| {
            step.prompt("name", PromptOptions::new("Name?")).await?;
            step.next(None).await
        }))
        .with_dialog(TextPrompt::new("name"));
    let client = DialogTestClient::new(dialog);
    let error = client.send_activity("go").await.unwrap_err();
    let shown = botbuilder_core::error::report(&error).to_string();
    assert!(shown.contains("`next` was called"), "{shown}");
}

#[tokio::test]
async fn replace_dialog_loops_and_cancel_all_cancels() {
    let dialog = ComponentDialog::new("loop")
        .with_dialog(
            WaterfallDialog::new("round")
                .step(async move |mut step| {
                    let round: u32 = step.options_as::<Option<u32>>()?.unwrap_or(1);
                    step.set_value("round", &round)?;
                    step.prompt(
                        "word",
                        PromptOptions::new(format!("Round {round}: a word?")),
                    )
                    .await
                })
                .step(async move |mut step| {
                    let word: String = step.result_as()?;
                    let round: u32 = step.value("round")?.unwrap_or(1);
                    match word.as_str() {
                        "stop" => step.end_dialog(Some(json!(round))).await,
                        "quit" => step.cancel_all_dialogs().await,
                        _ => step.replace_dialog("round", Some(json!(round + 1))).await,
                    }
                }),
        )
        .with_dialog(TextPrompt::new("word"));
    let client = DialogTestClient::new(dialog);
    client
        .flow()
        .test("go", "Round 1: a word?")
        .test("apple", "Round 2: a word?")
        .test("pear", "Round 3: a word?")
        .send("stop")
        .await;
    assert_eq!(
        client.dialog_turn_result(),
        Some(DialogTurnResult::complete(Some(json!(3))))
    );
    client
        .flow()
        .test("go", "Round 1: a word?")
        .test("fig", "Round 2: a word?")
        .send("quit")
        .await;
    assert_eq!(
        client.dialog_turn_result().map(|r| r.status),
        Some(DialogTurnStatus::Cancelled)
    );
    // Cancelled means the stack is empty: the next message begins again.
    client.flow().test("go", "Round 1: a word?").await;
}

// ---- components ------------------------------------------------------------------------

#[tokio::test]
async fn a_component_begins_its_own_initial_dialog() {
    let greet = WaterfallDialog::new("greet").step(async move |mut step| {
        step.context().send_activity("greeting").await?;
        step.end_dialog(Some(json!("greeted"))).await
    });
    let farewell = WaterfallDialog::new("farewell").step(async move |mut step| {
        step.context().send_activity("farewell").await?;
        step.end_dialog(Some(json!("bye"))).await
    });
    let component = ComponentDialog::new("c")
        .with_dialog(greet)
        .with_dialog(farewell)
        .with_initial_dialog("farewell");
    assert_eq!(component.initial_dialog_id(), Some("farewell"));
    let client = DialogTestClient::new(component);
    client.flow().test("hi", "farewell").await;
    assert_eq!(
        client.dialog_turn_result(),
        Some(DialogTurnResult::complete(Some(json!("bye"))))
    );
}

#[tokio::test]
async fn components_nest_and_return_results_to_their_parent() {
    let outer = WaterfallDialog::new("outer")
        .step(async move |mut step| step.begin_dialog("profile", None).await)
        .step(async move |mut step| {
            let profile: Value = step.result_as()?;
            step.context()
                .send_activity(format!("outer got {}", profile["name"]))
                .await?;
            step.end_dialog(None).await
        });
    let main = ComponentDialog::new("main")
        .with_dialog(outer)
        .with_dialog(profile_dialog());
    let client = DialogTestClient::new(main);
    client
        .flow()
        .test("hi", "Name?")
        .test("Ada", "Age, Ada?")
        .send("36")
        .assert_reply("Ada is 36.")
        .assert_reply("outer got \"Ada\"")
        .await;
}

/// A leaf dialog that records how it was ended.
struct Recorder(Arc<Mutex<Vec<DialogReason>>>);

#[async_trait]
impl Dialog for Recorder {
    fn id(&self) -> &str {
        "recorder"
    }

    async fn begin_dialog(
        &self,
        dc: &mut DialogContext<'_>,
        _options: Option<Value>,
    ) -> Result<DialogTurnResult, BoxError> {
        dc.context().send_activity("recording").await?;
        Ok(DialogTurnResult::end_of_turn())
    }

    async fn end_dialog(
        &self,
        _ctx: &mut TurnContext,
        _instance: &mut DialogInstance,
        reason: DialogReason,
    ) -> TurnResult {
        self.0.lock().unwrap().push(reason);
        Ok(())
    }
}

#[tokio::test]
async fn cancelling_from_outside_a_component_ends_its_inner_dialogs() {
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let inner = ComponentDialog::new("inner").with_dialog(Recorder(reasons.clone()));
    let state = ConversationState::new(MemoryStorage::new());
    let dialogs = Arc::new(DialogSet::new(state.create_property("DialogState")).with(inner));
    let bot = bot_fn(async move |ctx| {
        let mut dc = dialogs.create_context(ctx).await?;
        if dc.context().activity().text() == "cancel" {
            let result = dc.cancel_all_dialogs().await?;
            dc.context()
                .send_activity(format!("{:?}", result.status))
                .await?;
            return Ok(());
        }
        let result = dc.continue_dialog().await?;
        if result.status == DialogTurnStatus::Empty {
            dc.begin_dialog("inner", None).await?;
        }
        Ok(())
    });
    let adapter =
        TestAdapter::new().with_middleware(AutoSaveStateMiddleware::default().with(state));
    TestFlow::new(adapter, bot)
        .test("hi", "recording")
        .test("cancel", "Cancelled")
        .test("cancel", "Empty")
        .await;
    assert_eq!(*reasons.lock().unwrap(), [DialogReason::CancelCalled]);
}

#[tokio::test]
async fn reprompt_reaches_the_prompt_inside_a_component() {
    let state = ConversationState::new(MemoryStorage::new());
    let dialogs =
        Arc::new(DialogSet::new(state.create_property("DialogState")).with(profile_dialog()));
    let bot = bot_fn(async move |ctx| {
        let mut dc = dialogs.create_context(ctx).await?;
        if dc.context().activity().text() == "repeat" {
            dc.reprompt_dialog().await?;
            return Ok(());
        }
        let result = dc.continue_dialog().await?;
        if result.status == DialogTurnStatus::Empty {
            dc.begin_dialog("profile", None).await?;
        }
        Ok(())
    });
    let adapter =
        TestAdapter::new().with_middleware(AutoSaveStateMiddleware::default().with(state));
    TestFlow::new(adapter, bot)
        .test("hi", "Name?")
        .test("repeat", "Name?")
        .test("Ada", "Age, Ada?")
        .test("repeat", "Age, Ada?")
        .test("7", "Ada is 7.")
        .await;
}

/// `profile_dialog` with `cancel` and `help` at any point; `help` pushes a help dialog on
/// top of the active prompt, which asks again when the help dialog ends.
fn interruptible_profile() -> ComponentDialog {
    let help = WaterfallDialog::new("help")
        .step(async move |mut step| {
            step.prompt(
                "more",
                PromptOptions::new("I collect a name and an age. More help?"),
            )
            .await
        })
        .step(async move |mut step| {
            if step.result_as::<bool>()? {
                step.context().send_activity("Say cancel to stop.").await?;
            }
            step.end_dialog(None).await
        });
    let mut component = profile_dialog();
    component.add_dialog(help);
    component.add_dialog(ConfirmPrompt::new("more"));
    component.with_interruption(async move |mut dc| {
        let text = dc.context().activity().text().trim().to_lowercase();
        // Inside the help dialog, its own prompt answers.
        if dc.active_dialog().is_some_and(|d| d.id == "more") {
            return Ok(None);
        }
        match text.as_str() {
            "help" | "?" => Ok(Some(dc.begin_dialog("help", None).await?)),
            "cancel" | "quit" => {
                dc.context().send_activity("Cancelling.").await?;
                Ok(Some(dc.cancel_all_dialogs().await?))
            }
            _ => Ok(None),
        }
    })
}

#[tokio::test]
async fn help_interrupts_at_any_point_and_the_prompt_asks_again() {
    let client = DialogTestClient::new(interruptible_profile());
    client
        .flow()
        .test("hi", "Name?")
        .test(
            "help",
            "I collect a name and an age. More help? (1) Yes or (2) No",
        )
        .send("yes")
        .assert_reply("Say cancel to stop.")
        .assert_reply("Name?")
        .test("Ada", "Age, Ada?")
        .send("?")
        .assert_reply("I collect a name and an age. More help? (1) Yes or (2) No")
        .send("no")
        .assert_reply("Age, Ada?")
        .test("36", "Ada is 36.")
        .await;
    assert_eq!(
        client.dialog_turn_result().and_then(|r| r.result),
        Some(json!({"name": "Ada", "age": 36}))
    );
}

#[tokio::test]
async fn cancel_interrupts_at_any_point() {
    let client = DialogTestClient::new(interruptible_profile());
    client
        .flow()
        .test("hi", "Name?")
        .test("Ada", "Age, Ada?")
        .test("cancel", "Cancelling.")
        .await;
    let result = client.dialog_turn_result().unwrap();
    assert_eq!(result.status, DialogTurnStatus::Cancelled);
    assert_eq!(result.result, None);
    // Nothing is left on the stack: the next message starts over.
    let state = &client;
    state.flow().test("hello", "Name?").await;
}

#[tokio::test]
async fn a_component_cancelled_inside_a_parent_resumes_the_parent() {
    let outer = WaterfallDialog::new("outer")
        .step(async move |mut step| step.begin_dialog("profile", None).await)
        .step(async move |mut step| {
            let got = step.result().cloned();
            step.context()
                .send_activity(format!("profile: {got:?}"))
                .await?;
            step.end_dialog(None).await
        });
    let main = ComponentDialog::new("main")
        .with_dialog(outer)
        .with_dialog(interruptible_profile());
    let client = DialogTestClient::new(main);
    client
        .flow()
        .test("hi", "Name?")
        .send("quit")
        .assert_reply("Cancelling.")
        .assert_reply("profile: None")
        .await;
    assert_eq!(
        client.dialog_turn_result(),
        Some(DialogTurnResult::complete(None))
    );
}
