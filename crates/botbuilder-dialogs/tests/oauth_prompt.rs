//! OAuthPrompt transcripts: magic code, `tokens/response`, `signin/verifyState`,
//! `signin/tokenExchange` (success and BotBuilder's 412), timeout, end on invalid message,
//! sign-out, and duplicate exchanges across two bot instances sharing a store.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde_json::json;

use botbuilder_core::middleware::TeamsSsoTokenExchangeMiddleware;
use botbuilder_core::schema::cards::content_types;
use botbuilder_core::schema::{
    Activity, ChannelId, InvokeResponse, TokenExchangeResource, TokenResponse,
};
use botbuilder_core::state::{ConversationState, StatePropertyAccessor};
use botbuilder_core::storage::MemoryStorage;
use botbuilder_core::testing::{TestAdapter, TestFlow, TestUserTokens};
use botbuilder_core::user_token::{SignIn, TOKEN_EXCHANGE_FAILED_DETAIL};
use botbuilder_core::{Bot, TurnContext, TurnResult, async_trait};
use botbuilder_dialogs::prompts::OAuthPrompt;
use botbuilder_dialogs::{
    ComponentDialog, Dialog, DialogState, PromptOptions, WaterfallDialog, run_dialog,
};

const USER: &str = TestAdapter::DEFAULT_USER;

/// Signs in, then says whether it worked.
fn login(prompt: OAuthPrompt, options: PromptOptions) -> ComponentDialog {
    let steps = WaterfallDialog::new("steps")
        .step(async move |mut step| step.prompt("oauth", options.clone()).await)
        .step(async move |mut step| {
            let reply = match step.result_as::<Option<TokenResponse>>()? {
                Some(token) => format!("signed in: {}", token.token),
                None => "not signed in".to_owned(),
            };
            step.context().send_activity(reply).await?;
            step.end_dialog(None).await
        });
    ComponentDialog::new("login")
        .with_dialog(steps)
        .with_dialog(prompt)
}

fn oauth() -> OAuthPrompt {
    OAuthPrompt::new("oauth", SignIn::new("graph").with_text("Sign in to Graph"))
}

/// A bot running a dialog, its stack in conversation state.
struct DialogBot {
    dialog: Arc<dyn Dialog>,
    state: ConversationState,
    stack: StatePropertyAccessor<DialogState>,
}

impl DialogBot {
    fn new(dialog: impl Dialog + 'static, storage: Arc<MemoryStorage>) -> Self {
        let state = ConversationState::new(storage);
        let stack = state.create_property("DialogState");
        Self {
            dialog: Arc::new(dialog),
            state,
            stack,
        }
    }
}

#[async_trait]
impl Bot for DialogBot {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        run_dialog(self.dialog.as_ref(), ctx, &self.stack).await?;
        self.state.save_changes(ctx, false).await?;
        Ok(())
    }
}

fn bot(dialog: impl Dialog + 'static) -> DialogBot {
    DialogBot::new(dialog, Arc::new(MemoryStorage::new()))
}

fn teams() -> TestAdapter {
    let mut template = TestAdapter::new().template().clone();
    template.channel_id = Some(ChannelId::Msteams);
    TestAdapter::with_template(template)
}

fn is_card(prompt: &'static str) -> impl Fn(&Activity) -> bool + Send + Sync {
    move |a| {
        a.text() == prompt
            && a.attachments()
                .first()
                .is_some_and(|c| c.content_type == content_types::OAUTH_CARD)
    }
}

#[tokio::test(start_paused = true)]
async fn a_magic_code_signs_in_and_other_messages_get_the_retry_prompt() {
    let adapter = TestAdapter::new();
    adapter
        .user_tokens()
        .add_user_token("graph", "test", USER, "eyJ-code", Some("123456"));
    let options = PromptOptions::new("Please sign in.").with_retry_prompt("Type the code.");
    TestFlow::new(adapter.clone(), bot(login(oauth(), options)))
        .send("hi")
        .assert_reply_that("the OAuth card", is_card("Please sign in."))
        .test("what?", "Type the code.")
        .test("000000", "Type the code.")
        .test("the code is 123456", "signed in: eyJ-code")
        // signed in: the prompt ends at once next time
        .test("again", "signed in: eyJ-code")
        .assert_no_reply()
        .await;

    // the sign-out helper
    let signed_out = bot_signing_out();
    adapter.send_text("logout", &signed_out).await.unwrap();
    assert!(!adapter.user_tokens().is_signed_in("graph", "test", USER));
}

fn bot_signing_out() -> impl Bot {
    botbuilder_core::bot_fn(async |ctx| Ok(oauth().sign_out_user(ctx).await?))
}

#[tokio::test(start_paused = true)]
async fn the_tokens_response_event_ends_the_prompt_with_its_token() {
    let token = TokenResponse {
        connection_name: "graph".into(),
        token: "eyJ-event".into(),
        ..TokenResponse::default()
    };
    TestFlow::new(
        TestAdapter::new(),
        bot(login(oauth(), PromptOptions::new("Please sign in."))),
    )
    .send("hi")
    .assert_reply_that("the OAuth card", is_card("Please sign in."))
    // an event of another name is not a sign-in
    .send_activity(Activity::event("other", json!({})))
    .assert_no_reply()
    .send_activity(Activity::event(
        "tokens/response",
        serde_json::to_value(&token).unwrap(),
    ))
    .assert_reply("signed in: eyJ-event")
    .await;
}

#[tokio::test(start_paused = true)]
async fn verify_state_answers_404_then_200_and_signs_in() {
    let adapter = teams();
    adapter
        .user_tokens()
        .add_user_token("graph", "msteams", USER, "eyJ-teams", Some("777777"));
    TestFlow::new(
        adapter,
        bot(login(oauth(), PromptOptions::new("Please sign in."))),
    )
    .send("hi")
    .assert_reply_that("the OAuth card with the link", |a| {
        let card = a.attachments()[0].content.clone().unwrap_or_default();
        card["buttons"][0]["value"] == "https://token.test/oauthsignin/graph/msteams/user1"
    })
    .send_invoke(
        Activity::invoke("signin/verifyState", json!({"state": "111111"})),
        InvokeResponse::new(404, None),
    )
    .assert_no_reply()
    .send_invoke(
        Activity::invoke("signin/verifyState", json!({"state": "777777"})),
        InvokeResponse::new(200, None),
    )
    .assert_reply("signed in: eyJ-teams")
    .await;
}

fn exchange(id: &str, token: &str) -> Activity {
    Activity::invoke(
        "signin/tokenExchange",
        json!({"id": id, "connectionName": "graph", "token": token}),
    )
}

#[tokio::test(start_paused = true)]
async fn token_exchange_failure_is_412_and_success_signs_in() {
    let adapter = teams();
    adapter.user_tokens().set_token_exchange_resource(
        "graph",
        TokenExchangeResource {
            id: Some("tx-1".into()),
            uri: Some("api://botid-1/access_as_user".into()),
            ..TokenExchangeResource::default()
        },
    );
    adapter
        .user_tokens()
        .add_exchangeable_token("graph", "msteams", USER, "eyJ-sso", "eyJ-graph");
    TestFlow::new(
        adapter,
        bot(login(oauth(), PromptOptions::new("Please sign in."))),
    )
    .send("hi")
    .assert_reply_that("the OAuth card with the SSO resource", |a| {
        let card = a.attachments()[0].content.clone().unwrap_or_default();
        card["tokenExchangeResource"]["uri"] == "api://botid-1/access_as_user"
    })
    // consent needed: 412 with BotBuilder's body, and the prompt keeps waiting
    .send_invoke(
        exchange("tx-1", "eyJ-not-exchangeable"),
        InvokeResponse::new(
            412,
            Some(json!({
                "id": "tx-1",
                "connectionName": "graph",
                "failureDetail": TOKEN_EXCHANGE_FAILED_DETAIL,
            })),
        ),
    )
    .assert_no_reply()
    .send_invoke(
        exchange("tx-1", "eyJ-sso"),
        InvokeResponse::ok(json!({"id": "tx-1", "connectionName": "graph"})),
    )
    .assert_reply("signed in: eyJ-graph")
    .await;
}

#[tokio::test(start_paused = true)]
async fn the_prompt_times_out() {
    let adapter = TestAdapter::new();
    adapter
        .user_tokens()
        .add_user_token("graph", "test", USER, "eyJ-late", Some("123456"));
    let later = Arc::new(AtomicU64::new(0));
    let clock = {
        let later = Arc::clone(&later);
        move || SystemTime::now() + Duration::from_secs(later.load(Ordering::SeqCst))
    };
    let prompt = oauth().with_clock(clock);
    TestFlow::new(
        adapter.clone(),
        bot(login(prompt, PromptOptions::new("Please sign in."))),
    )
    .send("hi")
    .assert_reply_that("the OAuth card", is_card("Please sign in."))
    .call({
        let later = Arc::clone(&later);
        // 14 minutes: still waiting
        async move |_| later.store(14 * 60, Ordering::SeqCst)
    })
    .send("not a code")
    .assert_no_reply()
    .call({
        let later = Arc::clone(&later);
        // past the default 15 minutes: the code comes too late
        async move |_| later.store(15 * 60 + 1, Ordering::SeqCst)
    })
    .test("123456", "not signed in")
    .await;
    assert!(!adapter.user_tokens().is_signed_in("graph", "test", USER));
}

#[tokio::test(start_paused = true)]
async fn a_shorter_timeout_and_end_on_invalid_message() {
    let prompt = oauth()
        .with_timeout(Duration::from_secs(60))
        .with_end_on_invalid_message(true);
    TestFlow::new(
        TestAdapter::new(),
        bot(login(prompt, PromptOptions::new("Please sign in."))),
    )
    .send("hi")
    .assert_reply_that("the OAuth card", is_card("Please sign in."))
    .test("no thanks", "not signed in")
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_validator_can_refuse_a_token() {
    let adapter = TestAdapter::new();
    adapter
        .user_tokens()
        .add_user_token("graph", "test", USER, "eyJ-guest", Some("111111"));
    let prompt = oauth().with_validator(async |v| {
        let ok = v.recognized().is_some_and(|t| !t.token.contains("guest"));
        if v.succeeded() && !ok {
            v.context().send_activity("Guests cannot sign in.").await?;
        }
        Ok(ok)
    });
    TestFlow::new(
        adapter,
        bot(login(prompt, PromptOptions::new("Please sign in."))),
    )
    .send("hi")
    .assert_reply_that("the OAuth card", is_card("Please sign in."))
    .test("111111", "Guests cannot sign in.")
    .await;
}

#[tokio::test]
async fn duplicate_exchanges_to_two_instances_sharing_a_store_sign_in_once() {
    // Two instances of one bot: their own adapters, one store (claims and conversation
    // state) and one token service.
    let storage = Arc::new(MemoryStorage::new());
    let tokens = TestUserTokens::new();
    tokens.add_exchangeable_token("graph", "msteams", USER, "eyJ-sso", "eyJ-graph");
    let instances: Vec<(TestAdapter, DialogBot)> = (0..2)
        .map(|_| {
            let adapter = teams().with_user_tokens(tokens.clone()).with_middleware(
                TeamsSsoTokenExchangeMiddleware::new(Arc::clone(&storage), "graph"),
            );
            let bot = DialogBot::new(
                login(oauth(), PromptOptions::new("Please sign in.")),
                Arc::clone(&storage),
            );
            (adapter, bot)
        })
        .collect();
    let (first, second) = (&instances[0], &instances[1]);
    first.0.send_text("hi", &first.1).await.unwrap();
    assert!(is_card("Please sign in.")(
        &first
            .0
            .next_reply(TestAdapter::DEFAULT_CONVERSATION)
            .unwrap()
    ));

    // Teams desktop, web and phone send the same exchange, to either instance.
    let (a, b, c) = tokio::join!(
        first
            .0
            .process_invoke(exchange("tx-9", "eyJ-sso"), &first.1),
        second
            .0
            .process_invoke(exchange("tx-9", "eyJ-sso"), &second.1),
        second
            .0
            .process_invoke(exchange("tx-9", "eyJ-sso"), &second.1),
    );
    let mut answers = vec![a.unwrap(), b.unwrap(), c.unwrap()];
    answers.sort_by_key(|r| r.body.is_none());
    assert_eq!(
        answers,
        [
            InvokeResponse::ok(json!({"id": "tx-9", "connectionName": "graph"})),
            InvokeResponse::new(200, None),
            InvokeResponse::new(200, None),
        ]
    );
    let replies: Vec<String> = instances
        .iter()
        .flat_map(|(adapter, _)| adapter.pending_replies(TestAdapter::DEFAULT_CONVERSATION))
        .map(|a| a.text().to_owned())
        .collect();
    assert_eq!(replies, ["signed in: eyJ-graph"]);
}
