//! Microsoft Teams for Bot Framework bots built on botbuilder-rs.
//!
//! Teams sends the protocol's activities with Teams-specific `channelData` (the team, the
//! channel, the tenant, the meeting, an `eventType`) and a family of `invoke` activities
//! (message extensions, task modules, Adaptive Card actions). This crate gives them types and
//! names:
//!
//! - [`models`]: the Teams data types, wire-exact (unknown fields are kept and written back).
//! - [`info`]: [`TeamsInfo`], the Teams operations of the connector service (members, team
//!   details and channels, meetings, in-meeting notifications, batch messaging).
//!
//! ```
//! use botbuilder_teams::models::TeamsChannelData;
//!
//! let data: TeamsChannelData = serde_json::from_value(serde_json::json!({
//!     "eventType": "channelCreated",
//!     "channel": {"id": "19:abc@thread.skype", "name": "General"},
//!     "team": {"id": "19:team@thread.skype"},
//!     "tenant": {"id": "tenant-1"}
//! }))?;
//! assert_eq!(data.event_type.as_deref(), Some("channelCreated"));
//! assert_eq!(data.tenant.map(|t| t.id), Some("tenant-1".to_owned()));
//! # Ok::<(), serde_json::Error>(())
//! ```

pub mod error;
pub mod info;
pub mod models;

pub use error::TeamsError;
pub use info::{TeamsInfo, TeamsTurnInfo};
pub use models::{
    ChannelInfo, MeetingDetails, MeetingInfo, NotificationInfo, OnBehalfOf, TeamDetails, TeamInfo,
    TeamsChannelAccount, TeamsChannelData, TeamsChannelDataSettings, TeamsMeetingInfo,
    TeamsMeetingParticipant, TeamsPagedMembersResult, TenantInfo, UserMeetingDetails,
};
