//! Unit-testing bots with no HTTP: [`TestAdapter`] and [`TestFlow`].
//!
//! With the `test-util` feature, also the plumbing of the SDK's own CI, for storage-backend
//! authors: `storage_conformance`, the suite every [`Storage`](crate::Storage) backend passes,
//! and `server_url`, which finds a real server for a test or skips it. Enable it in
//! `[dev-dependencies]`: `botbuilder-core = { version = "…", features = ["test-util"] }`.
//!
//! A two-conversation proactive scenario: a job started in conversation A is completed from
//! conversation B, and the notification lands in A.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use botbuilder_core::{async_trait, ActivityHandler, BotAdapterExt, TurnContext, TurnResult};
//! use botbuilder_core::schema::ConversationReference;
//! use botbuilder_core::testing::{TestAdapter, TestFlow};
//!
//! #[derive(Default)]
//! struct Jobs(Mutex<Vec<ConversationReference>>);
//!
//! #[async_trait]
//! impl ActivityHandler for Jobs {
//!     async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
//!         if ctx.activity().text() == "run" {
//!             let number = {
//!                 let mut jobs = self.0.lock().unwrap();
//!                 jobs.push(ctx.conversation_reference().clone());
//!                 jobs.len()
//!             };
//!             ctx.send_activity(format!("Job {number} started.")).await?;
//!         } else if let Some(n) = ctx.activity().text().strip_prefix("done ") {
//!             let number: usize = n.parse()?;
//!             let reference = self.0.lock().unwrap()[number - 1].clone();
//!             ctx.send_activity(format!("Completing job {number}.")).await?;
//!             ctx.adapter()
//!                 .continue_conversation(reference, async move |ctx| {
//!                     ctx.send_activity(format!("Job {number} is complete.")).await?;
//!                     Ok(())
//!                 })
//!                 .await?;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! TestFlow::new(TestAdapter::new(), Jobs::default())
//!     .in_conversation("A")
//!     .test("run", "Job 1 started.")
//!     .in_conversation("B")
//!     .test("done 1", "Completing job 1.")
//!     .in_conversation("A")
//!     .assert_reply("Job 1 is complete.")
//!     .await;
//! # }
//! ```

mod adapter;
mod flow;
#[cfg(feature = "test-util")]
pub mod lease_conformance;
#[cfg(feature = "test-util")]
pub mod storage_conformance;
mod user_tokens;

pub use adapter::TestAdapter;
pub use flow::TestFlow;
pub use user_tokens::TestUserTokens;

/// The environment variable that makes [`server_url`] fail a test instead of skipping it:
/// set it to `1` in CI, where the servers are started for the tests.
#[cfg(feature = "test-util")]
pub const REQUIRE_SERVERS_VAR: &str = "BOTBUILDER_REQUIRE_SERVERS";

/// The URL of a real server for a test (a Redis or PostgreSQL for a storage backend's
/// conformance run), read from the environment variable `var`.
///
/// When `var` is unset or blank, the test is skipped: this returns `None` after writing
/// `"{test}: skipped: set {var} to run it"` to the terminal (the test harness would hide it
/// in captured output otherwise). Unless [`REQUIRE_SERVERS_VAR`] is `1`: then a missing
/// server fails the test, so that CI never passes by skipping.
///
/// ```
/// use botbuilder_core::testing::server_url;
///
/// // In a test: `let Some(url) = server_url("MY_TEST_REDIS_URL", "conformance") else { return };`
/// # if std::env::var("BOTBUILDER_REQUIRE_SERVERS").as_deref() != Ok("1") {
/// assert_eq!(server_url("BOTBUILDER_DOCTEST_UNSET_URL", "doctest"), None);
/// # }
/// ```
///
/// # Panics
/// When `var` is unset or blank and [`REQUIRE_SERVERS_VAR`] is `1`.
#[cfg(feature = "test-util")]
#[must_use]
pub fn server_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var(REQUIRE_SERVERS_VAR).as_deref() == Ok("1") => {
            panic!("{test}: {var} is not set, and {REQUIRE_SERVERS_VAR}=1 requires a server")
        }
        _ => {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{test}: skipped: set {var} to run it");
            None
        }
    }
}
