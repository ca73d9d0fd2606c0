//! The proactive job bot, played with TestFlow (no HTTP): a job started in one chat window and
//! completed from another is announced in the first; every reply the bot can give (empty log,
//! unknown and already complete jobs, the JS spelling of the completion event); and concurrent
//! runs in many conversations losing no job.

#[path = "../examples/proactive/bot.rs"]
#[allow(dead_code)]
mod bot;

use std::sync::Arc;

use bot::{Completion, JobBot};
use botbuilder::core::storage::{MemoryStorage, Storage};
use botbuilder::prelude::*;

fn alice() -> ChannelAccount {
    ChannelAccount::new("alice").with_name("Alice")
}

fn bob() -> ChannelAccount {
    ChannelAccount::new("bob").with_name("Bob")
}

async fn job_numbers(bot: &JobBot) -> Vec<u64> {
    bot.jobs().await.unwrap().keys().copied().collect()
}

#[tokio::test(start_paused = true)]
async fn two_windows_a_job_completed_from_b_is_announced_in_a() {
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let bot = JobBot::new(storage);
    let adapter = TestAdapter::new();

    TestFlow::new(adapter.clone(), bot.clone())
        .in_conversation("A")
        .from_user(alice())
        .send_conversation_update()
        .assert_reply_contains("Welcome to the proactive job bot")
        .send("run")
        .assert_reply_contains("started")
        .send("RUN JOB ")
        .assert_reply_contains("started")
        .await;
    let numbers = job_numbers(&bot).await;
    assert_eq!(numbers.len(), 2, "two jobs, with distinct numbers");
    let (first, second) = (numbers[0], numbers[1]);

    let bot2 = bot.clone();
    TestFlow::new(adapter.clone(), bot.clone())
        .in_conversation("B")
        .from_user(bob())
        .send("show")
        .assert_reply_that("a table of both jobs from conversation A", move |a| {
            let t = a.text();
            t.contains(&format!("| {first} | A | no |"))
                && t.contains(&format!("| {second} | A | no |"))
        })
        .send(format!("done {second}"))
        .assert_reply(format!(
            "Job {second} is completing; I am notifying the conversation that started it."
        ))
        .assert_no_reply()
        .in_conversation("A")
        .assert_reply_that("the proactive message, to Alice, in A", move |a| {
            a.text() == format!("Job {second} is complete.")
                && a.conversation_id() == Some("A")
                && a.recipient.as_ref().is_some_and(|r| r.id == "alice")
                && a.reply_to_id.is_none()
        })
        .in_conversation("B")
        .send(format!("done {second}"))
        .assert_reply(format!("Job {second} is already complete."))
        .send("done 42")
        .assert_reply("There is no job 42. Type `show` to see the jobs.")
        .send("done abc")
        .assert_reply_contains("Tell me which job")
        .send("done")
        .assert_reply_contains("Tell me which job")
        .send("what?")
        .assert_reply_contains("Sorry, I did not understand that.")
        .send_activity(Activity::event("jobComplete", first))
        .assert_no_reply()
        .in_conversation("A")
        .assert_reply(format!("Job {first} is complete."))
        .await;

    let jobs = bot2.jobs().await.unwrap();
    assert!(jobs.values().all(|j| j.completed));
}

#[tokio::test(start_paused = true)]
async fn the_js_spelling_of_the_event_and_an_empty_log() {
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let bot = JobBot::new(storage);
    let adapter = TestAdapter::new();
    TestFlow::new(adapter.clone(), bot.clone())
        .send("show jobs")
        .assert_reply("The job log is empty. Type `run` to start a job.")
        .send("run")
        .assert_reply_contains("started")
        .await;
    let number = job_numbers(&bot).await[0];
    TestFlow::new(adapter.clone(), bot.clone())
        .in_conversation("elsewhere")
        .send_activity(Activity::event("jobCompleted", number.to_string()))
        .assert_no_reply()
        .in_conversation("convo1")
        .assert_reply(format!("Job {number} is complete."))
        .await;
    assert_eq!(
        bot.complete_job(&adapter, number).await.unwrap(),
        Completion::AlreadyComplete
    );
    assert_eq!(
        bot.complete_job(&adapter, 1).await.unwrap(),
        Completion::Unknown
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_in_many_conversations_lose_no_job() {
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let bot = Arc::new(JobBot::new(storage));
    let adapter = TestAdapter::new();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let adapter = adapter.clone();
        let bot = bot.clone();
        tasks.push(tokio::spawn(async move {
            let activity = Activity::message("run")
                .with_conversation(ConversationAccount::new(format!("c{i}")));
            adapter.process_activity(activity, bot.as_ref()).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    // One process: the job log's writers take turns, so none is refused or lost.
    assert_eq!(bot.jobs().await.unwrap().len(), 100);
}

/// The conversation at the top of `examples/proactive/main.rs` is what the bot really says.
#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use botbuilder_test_support::transcript::Player;
    let bot = JobBot::new(Arc::new(MemoryStorage::new()));
    let mut player = Player::new(
        TestAdapter::new(),
        include_str!("../examples/proactive/main.rs"),
    );
    if let Some(note) = player.run_until_note(&bot).await {
        panic!("a note the test does not play: {note}");
    }
}
