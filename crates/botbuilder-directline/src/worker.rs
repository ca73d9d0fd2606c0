//! One turn queue per conversation: client activities become turns one at a time, in the
//! order their echoes entered the transcript, in a task of their own (a client that goes
//! away does not cancel the bot's turn).

use std::sync::{Arc, Weak};

use botbuilder_schema::Activity;
use tokio::sync::{mpsc, oneshot};

use super::Shared;
use botbuilder_connector::adapter::AdapterResponse;
use botbuilder_connector::auth::incoming::ClaimsIdentity;

/// How many client activities may wait for their turn in one conversation; more get 429.
pub(super) const QUEUE: usize = 32;

/// One turn to run, and where to say how it went.
#[derive(Debug)]
pub(super) struct Job {
    pub(super) activity: Activity,
    pub(super) done: Option<oneshot::Sender<AdapterResponse>>,
}

/// Starts the queue of a new conversation; it ends when the conversation is forgotten (its
/// sender dropped) or the endpoint is gone.
pub(super) fn spawn(shared: &Arc<Shared>) -> mpsc::Sender<Job> {
    let (sender, receiver) = mpsc::channel(QUEUE);
    tokio::spawn(run(Arc::downgrade(shared), receiver));
    sender
}

async fn run(shared: Weak<Shared>, mut jobs: mpsc::Receiver<Job>) {
    while let Some(job) = jobs.recv().await {
        let Some(endpoint) = shared.upgrade() else {
            return;
        };
        let adapter = endpoint.adapter.clone();
        let bot = Arc::clone(&endpoint.bot);
        // Hold no strong reference while the bot runs.
        drop(endpoint);
        let activity_type = job.activity.activity_type.clone();
        let response = adapter
            .process_authenticated(ClaimsIdentity::anonymous(), job.activity, bot.as_ref())
            .await;
        if response.status >= 500 {
            tracing::warn!(
                status = response.status,
                %activity_type,
                "the bot's turn failed for a Direct Line activity"
            );
        }
        if let Some(done) = job.done {
            // The client may have gone away; the turn ran all the same.
            let _ = done.send(response);
        }
    }
}
