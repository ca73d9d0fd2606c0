//! Unit-testing bots with no HTTP: [`TestAdapter`] and [`TestFlow`]; and
//! [`storage_conformance`], the suite every [`Storage`](crate::Storage) backend passes.
//!
//! A two-conversation proactive scenario: a job started in conversation A is completed from
//! conversation B, and the notification lands in A.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use botbuilder_core::{async_trait, ActivityHandler, ContinueLogic, TurnContext, TurnResult};
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
//!                 .continue_conversation(reference, ContinueLogic::new(move |ctx| Box::pin(async move {
//!                     ctx.send_activity(format!("Job {number} is complete.")).await?;
//!                     Ok(())
//!                 })))
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
pub mod storage_conformance;

pub use adapter::TestAdapter;
pub use flow::TestFlow;
