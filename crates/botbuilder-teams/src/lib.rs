//! Microsoft Teams for Bot Framework bots built on botbuilder-rs.
//!
//! Teams sends the protocol's activities with Teams-specific `channelData` (the team, the
//! channel, the tenant, the meeting, an `eventType`) and a family of `invoke` activities
//! (message extensions, task modules, Adaptive Card actions). This crate gives them types and
//! names:
//!
//! - [`TeamsActivityHandler`] and [`dispatch_teams_activity`]: one method per Teams event and
//!   invoke, routed as BotBuilder's `TeamsActivityHandler` does.
//! - [`TeamsActivityExt`]: the team, channel, tenant and meeting of an activity, its typed
//!   channel data and `eventType`, "notify the user".
//! - [`invoke`]: the invoke payloads and their answers; [`events`]: meeting and read-receipt
//!   events; [`mention`]: build a mention, strip the bot's.
//! - [`models`]: the Teams data types, wire-exact (unknown fields are kept and written back).
//! - [`info`]: [`TeamsInfo`], the Teams operations of the connector service (members, team
//!   details and channels, meetings, in-meeting notifications, batch messaging).
//!
//! ```
//! use botbuilder_core::{async_trait, ActivityHandler, TurnContext, TurnResult};
//! use botbuilder_teams::invoke::{MessagingExtensionQuery, MessagingExtensionResponse, MessagingExtensionResult};
//! use botbuilder_teams::{dispatch_teams_activity, TeamsActivityExt, TeamsActivityHandler};
//!
//! struct Bot;
//!
//! #[async_trait]
//! impl ActivityHandler for Bot {
//!     async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
//!         dispatch_teams_activity(self, ctx).await
//!     }
//!     async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
//!         let team = ctx.activity().teams_team_id().unwrap_or_else(|| "no team".into());
//!         ctx.send_activity(format!("You wrote in {team}")).await?;
//!         Ok(())
//!     }
//! }
//!
//! #[async_trait]
//! impl TeamsActivityHandler for Bot {
//!     async fn on_teams_messaging_extension_query(
//!         &self,
//!         query: MessagingExtensionQuery,
//!         _ctx: &mut TurnContext,
//!     ) -> TurnResult<MessagingExtensionResponse> {
//!         let text = query.parameter("searchQuery").unwrap_or_default();
//!         Ok(MessagingExtensionResult::message(format!("nothing found for {text}")).into())
//!     }
//! }
//! ```

pub mod activity_ext;
pub mod error;
pub mod events;
mod handler;
pub mod info;
pub mod invoke;
pub mod mention;
pub mod models;

pub use activity_ext::{TeamsActivityExt, TeamsEventType};
pub use botbuilder_schema as schema;
pub use error::TeamsError;
pub use handler::{TeamsActivityHandler, dispatch_teams_activity, invoke_names};
pub use info::{TeamsInfo, TeamsTurnInfo};
pub use models::{
    ChannelInfo, MeetingDetails, MeetingInfo, NotificationInfo, OnBehalfOf, TeamDetails, TeamInfo,
    TeamsChannelAccount, TeamsChannelData, TeamsChannelDataSettings, TeamsMeetingInfo,
    TeamsMeetingParticipant, TeamsPagedMembersResult, TenantInfo, UserMeetingDetails,
};
