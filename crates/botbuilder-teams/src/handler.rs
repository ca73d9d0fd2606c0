//! [`TeamsActivityHandler`]: one method per Teams event and invoke, and
//! [`dispatch_teams_activity`], the routing BotBuilder's `TeamsActivityHandler` does.

use async_trait::async_trait;
use botbuilder_core::{ActivityHandler, TurnContext, TurnResult, dispatch_activity};
use botbuilder_schema::{ActivityTypes, ChannelAccount, InvokeResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::activity_ext::{TeamsActivityExt, TeamsEventType};
use crate::error::TeamsError;
use crate::events::{
    MEETING_END_EVENT, MEETING_PARTICIPANT_JOIN_EVENT, MEETING_PARTICIPANT_LEAVE_EVENT,
    MEETING_START_EVENT, MeetingEndEventDetails, MeetingParticipantsEventDetails,
    MeetingStartEventDetails, READ_RECEIPT_EVENT, ReadReceiptInfo,
};
use crate::info::TeamsInfo;
use crate::invoke::{
    AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue, AppBasedLinkQuery, ConfigResponse,
    FileConsentCardResponse, MessageSubmitAction, MessagingExtensionAction,
    MessagingExtensionActionResponse, MessagingExtensionQuery, MessagingExtensionResponse,
    O365ConnectorCardActionQuery, TabRequest, TabResponse, TabSubmit, TaskModuleRequest,
    TaskModuleResponse,
};
use crate::models::{ChannelInfo, TeamInfo, TeamsChannelAccount};

/// Invoke names [`dispatch_teams_activity`] routes.
pub mod invoke_names {
    /// Adaptive Card `Action.Execute`.
    pub const ADAPTIVE_CARD_ACTION: &str = "adaptiveCard/action";
    /// File consent card accepted or declined.
    pub const FILE_CONSENT: &str = "fileConsent/invoke";
    /// O365 connector card `HttpPOST` action.
    pub const O365_CONNECTOR_CARD_ACTION: &str = "actionableMessage/executeAction";
    /// Link unfurling.
    pub const QUERY_LINK: &str = "composeExtension/queryLink";
    /// Link unfurling for users who have not installed the app.
    pub const ANONYMOUS_QUERY_LINK: &str = "composeExtension/anonymousQueryLink";
    /// Search command.
    pub const QUERY: &str = "composeExtension/query";
    /// A search result was picked.
    pub const SELECT_ITEM: &str = "composeExtension/selectItem";
    /// Action command submitted (and bot message preview edit/send).
    pub const SUBMIT_ACTION: &str = "composeExtension/submitAction";
    /// Action command opened: fetch its task module.
    pub const FETCH_TASK: &str = "composeExtension/fetchTask";
    /// The extension's settings page URL.
    pub const QUERY_SETTING_URL: &str = "composeExtension/querySettingUrl";
    /// The extension's settings were saved.
    pub const SETTING: &str = "composeExtension/setting";
    /// A button of a card inserted by the extension was pressed.
    pub const CARD_BUTTON_CLICKED: &str = "composeExtension/onCardButtonClicked";
    /// Open a task module.
    pub const TASK_FETCH: &str = "task/fetch";
    /// A task module was submitted.
    pub const TASK_SUBMIT: &str = "task/submit";
    /// Open the bot's configuration.
    pub const CONFIG_FETCH: &str = "config/fetch";
    /// The bot's configuration was submitted.
    pub const CONFIG_SUBMIT: &str = "config/submit";
    /// Show an Adaptive Card tab.
    pub const TAB_FETCH: &str = "tab/fetch";
    /// An Adaptive Card tab was submitted.
    pub const TAB_SUBMIT: &str = "tab/submit";
    /// A message action (the feedback buttons).
    pub const MESSAGE_SUBMIT_ACTION: &str = "message/submitAction";
}

use invoke_names as names;

/// A Teams bot: [`ActivityHandler`] plus one method per Teams event and invoke, with typed
/// arguments.
///
/// Route your bot's turns with [`dispatch_teams_activity`] by overriding
/// `ActivityHandler::on_turn` (BotBuilder's `TeamsActivityHandler.OnTurnAsync`); what Teams
/// does not specialise reaches the [`ActivityHandler`] methods as usual:
///
/// ```
/// use botbuilder_core::{async_trait, ActivityHandler, TurnContext, TurnResult};
/// use botbuilder_teams::{dispatch_teams_activity, TeamsActivityHandler};
/// use botbuilder_teams::models::{ChannelInfo, TeamInfo, TeamsChannelAccount};
///
/// struct MyBot;
///
/// #[async_trait]
/// impl ActivityHandler for MyBot {
///     async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
///         dispatch_teams_activity(self, ctx).await
///     }
///     async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
///         ctx.send_activity("hello from Teams").await?;
///         Ok(())
///     }
/// }
///
/// #[async_trait]
/// impl TeamsActivityHandler for MyBot {
///     async fn on_teams_members_added(
///         &self,
///         members: Vec<TeamsChannelAccount>,
///         _team: Option<TeamInfo>,
///         ctx: &mut TurnContext,
///     ) -> TurnResult {
///         for member in members {
///             let name = member.given_name.or(member.name).unwrap_or_default();
///             ctx.send_activity(format!("Welcome to the team, {name}!")).await?;
///         }
///         Ok(())
///     }
///
///     async fn on_teams_channel_created(
///         &self,
///         channel: ChannelInfo,
///         _team: Option<TeamInfo>,
///         ctx: &mut TurnContext,
///     ) -> TurnResult {
///         let name = channel.name.unwrap_or_default();
///         ctx.send_activity(format!("New channel: {name}")).await?;
///         Ok(())
///     }
/// }
/// ```
///
/// **Events** (`conversationUpdate`, `messageUpdate`, `messageDelete`, `event` from the
/// `msteams` channel) default to doing nothing, except the members methods, which fall back to
/// [`ActivityHandler::on_members_added`] / [`on_members_removed`](ActivityHandler::on_members_removed).
///
/// **Invokes** return typed answers that become the invoke response's body (status 200). A
/// method you do not override returns [`TeamsError::InvokeNotImplemented`], answered 501;
/// [`TeamsError::InvokeBadRequest`] and a `value` that does not read as the method's type are
/// answered 400; any other error fails the turn: the adapter's `on_turn_error` runs and Teams
/// gets a 500 whose body says nothing about the error.
#[async_trait]
pub trait TeamsActivityHandler: ActivityHandler {
    // ----- conversationUpdate -----

    /// Members other than the bot joined a team, group chat or meeting chat (a
    /// `conversationUpdate` from Teams with `membersAdded`). `team` is the team, when in one.
    ///
    /// Teams sends only the members' ids; as BotBuilder does, each one is read with
    /// [`TeamsInfo`](crate::TeamsInfo) (`GET v3/conversations/{team or conversation}/members/{id}`)
    /// so the accounts carry names, email and UPN. A member Teams cannot find (404), and every
    /// member on a turn not run by the `CloudAdapter`, keeps the activity's account; another
    /// TeamsInfo error fails the turn.
    /// The default calls [`ActivityHandler::on_members_added`].
    async fn on_teams_members_added(
        &self,
        members_added: Vec<TeamsChannelAccount>,
        team: Option<TeamInfo>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = team;
        let members = to_channel_accounts(members_added)?;
        self.on_members_added(members, ctx).await
    }

    /// Members other than the bot left. The default calls
    /// [`ActivityHandler::on_members_removed`].
    async fn on_teams_members_removed(
        &self,
        members_removed: Vec<TeamsChannelAccount>,
        team: Option<TeamInfo>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = team;
        let members = to_channel_accounts(members_removed)?;
        self.on_members_removed(members, ctx).await
    }

    /// A channel was created (`channelCreated`).
    async fn on_teams_channel_created(
        &self,
        channel: ChannelInfo,
        team: Option<TeamInfo>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (channel, team, ctx);
        Ok(())
    }

    /// A channel was renamed (`channelRenamed`); `channel.name` is the new name.
    async fn on_teams_channel_renamed(
        &self,
        channel: ChannelInfo,
        team: Option<TeamInfo>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (channel, team, ctx);
        Ok(())
    }

    /// A channel was deleted (`channelDeleted`).
    async fn on_teams_channel_deleted(
        &self,
        channel: ChannelInfo,
        team: Option<TeamInfo>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (channel, team, ctx);
        Ok(())
    }

    /// A deleted channel was restored (`channelRestored`).
    async fn on_teams_channel_restored(
        &self,
        channel: ChannelInfo,
        team: Option<TeamInfo>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (channel, team, ctx);
        Ok(())
    }

    /// A shared channel was shared with another team (`channelShared`); the teams are
    /// `ctx.activity().teams_channel_data()?` → `shared_with_teams`.
    async fn on_teams_channel_shared(
        &self,
        channel: ChannelInfo,
        team: Option<TeamInfo>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (channel, team, ctx);
        Ok(())
    }

    /// A shared channel stopped being shared with a team (`channelUnshared`); the teams are
    /// `ctx.activity().teams_channel_data()?` → `unshared_from_teams`.
    async fn on_teams_channel_unshared(
        &self,
        channel: ChannelInfo,
        team: Option<TeamInfo>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (channel, team, ctx);
        Ok(())
    }

    /// The team was renamed (`teamRenamed`); `team.name` is the new name.
    async fn on_teams_team_renamed(&self, team: TeamInfo, ctx: &mut TurnContext) -> TurnResult {
        let _ = (team, ctx);
        Ok(())
    }

    /// The team was archived (`teamArchived`).
    async fn on_teams_team_archived(&self, team: TeamInfo, ctx: &mut TurnContext) -> TurnResult {
        let _ = (team, ctx);
        Ok(())
    }

    /// The team was unarchived (`teamUnarchived`).
    async fn on_teams_team_unarchived(&self, team: TeamInfo, ctx: &mut TurnContext) -> TurnResult {
        let _ = (team, ctx);
        Ok(())
    }

    /// The team was deleted, and can still be restored (`teamDeleted`).
    async fn on_teams_team_deleted(&self, team: TeamInfo, ctx: &mut TurnContext) -> TurnResult {
        let _ = (team, ctx);
        Ok(())
    }

    /// The team was deleted for good (`teamHardDeleted`).
    async fn on_teams_team_hard_deleted(
        &self,
        team: TeamInfo,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (team, ctx);
        Ok(())
    }

    /// A deleted team was restored (`teamRestored`).
    async fn on_teams_team_restored(&self, team: TeamInfo, ctx: &mut TurnContext) -> TurnResult {
        let _ = (team, ctx);
        Ok(())
    }

    // ----- messageUpdate / messageDelete -----

    /// A user edited a message (`messageUpdate` with `eventType: editMessage`); the activity
    /// carries the new text.
    async fn on_teams_message_edit(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// A user undid the deletion of a message (`messageUpdate`, `undeleteMessage`).
    async fn on_teams_message_undelete(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// A user deleted a message (`messageDelete`, `softDeleteMessage`); its id is the
    /// activity's `id`.
    async fn on_teams_message_soft_delete(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    // ----- events -----

    /// A meeting the bot is in started (`application/vnd.microsoft.meetingStart`).
    async fn on_teams_meeting_start(
        &self,
        meeting: MeetingStartEventDetails,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (meeting, ctx);
        Ok(())
    }

    /// A meeting the bot is in ended (`application/vnd.microsoft.meetingEnd`).
    async fn on_teams_meeting_end(
        &self,
        meeting: MeetingEndEventDetails,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (meeting, ctx);
        Ok(())
    }

    /// Participants joined a meeting (`application/vnd.microsoft.meetingParticipantJoin`).
    async fn on_teams_meeting_participants_join(
        &self,
        participants: MeetingParticipantsEventDetails,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (participants, ctx);
        Ok(())
    }

    /// Participants left a meeting (`application/vnd.microsoft.meetingParticipantLeave`).
    async fn on_teams_meeting_participants_leave(
        &self,
        participants: MeetingParticipantsEventDetails,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (participants, ctx);
        Ok(())
    }

    /// The user read the bot's messages in a 1:1 chat (`application/vnd.microsoft.readReceipt`;
    /// needs the RSC permission `ChatMessageReadReceipt.Read.Chat`).
    async fn on_teams_read_receipt(
        &self,
        receipt: ReadReceiptInfo,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (receipt, ctx);
        Ok(())
    }

    // ----- invokes -----

    /// An invoke with no name from Teams: a legacy card action (`invoke` button of a hero or
    /// thumbnail card). Return the whole invoke response.
    async fn on_teams_card_action_invoke(
        &self,
        ctx: &mut TurnContext,
    ) -> TurnResult<InvokeResponse> {
        let _ = ctx;
        Err(TeamsError::not_implemented("card action").into())
    }

    /// An Adaptive Card `Action.Execute` (`adaptiveCard/action`). Route on `value.verb()`;
    /// answer with a new card ([`AdaptiveCardInvokeResponse::card`]), a message or an error.
    /// The invoke's value was already checked (present, `Action.Execute`): otherwise Teams got
    /// a 400 with an error body and this is not called.
    async fn on_adaptive_card_invoke(
        &self,
        value: AdaptiveCardInvokeValue,
        ctx: &mut TurnContext,
    ) -> TurnResult<AdaptiveCardInvokeResponse> {
        let _ = (value, ctx);
        Err(TeamsError::not_implemented(names::ADAPTIVE_CARD_ACTION).into())
    }

    /// A file consent card was answered (`fileConsent/invoke`). The default calls
    /// [`on_teams_file_consent_accept`](Self::on_teams_file_consent_accept) or
    /// [`on_teams_file_consent_decline`](Self::on_teams_file_consent_decline), and returns
    /// [`TeamsError::InvokeBadRequest`] for another action.
    async fn on_teams_file_consent(
        &self,
        response: FileConsentCardResponse,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        match response.action.as_str() {
            "accept" => self.on_teams_file_consent_accept(response, ctx).await,
            "decline" => self.on_teams_file_consent_decline(response, ctx).await,
            other => Err(TeamsError::bad_request(
                names::FILE_CONSENT,
                format!("unknown file consent action {other:?}"),
            )
            .into()),
        }
    }

    /// The user accepted a file upload: `response.upload_info` says where to `PUT` it.
    async fn on_teams_file_consent_accept(
        &self,
        response: FileConsentCardResponse,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (response, ctx);
        Err(TeamsError::not_implemented(names::FILE_CONSENT).into())
    }

    /// The user declined a file upload.
    async fn on_teams_file_consent_decline(
        &self,
        response: FileConsentCardResponse,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (response, ctx);
        Err(TeamsError::not_implemented(names::FILE_CONSENT).into())
    }

    /// An O365 connector card `HttpPOST` action (`actionableMessage/executeAction`).
    async fn on_teams_o365_connector_card_action(
        &self,
        query: O365ConnectorCardActionQuery,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (query, ctx);
        Err(TeamsError::not_implemented(names::O365_CONNECTOR_CARD_ACTION).into())
    }

    /// A link of the app's domains was pasted (`composeExtension/queryLink`): answer with a
    /// card that unfurls it.
    async fn on_teams_app_based_link_query(
        &self,
        query: AppBasedLinkQuery,
        ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        let _ = (query, ctx);
        Err(TeamsError::not_implemented(names::QUERY_LINK).into())
    }

    /// A link was pasted by a user who has not installed the app
    /// (`composeExtension/anonymousQueryLink`).
    async fn on_teams_anonymous_app_based_link_query(
        &self,
        query: AppBasedLinkQuery,
        ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        let _ = (query, ctx);
        Err(TeamsError::not_implemented(names::ANONYMOUS_QUERY_LINK).into())
    }

    /// A search command (`composeExtension/query`).
    async fn on_teams_messaging_extension_query(
        &self,
        query: MessagingExtensionQuery,
        ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        let _ = (query, ctx);
        Err(TeamsError::not_implemented(names::QUERY).into())
    }

    /// A search result was picked (`composeExtension/selectItem`); `item` is the result's
    /// `preview.content.tap.value`.
    async fn on_teams_messaging_extension_select_item(
        &self,
        item: Value,
        ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        let _ = (item, ctx);
        Err(TeamsError::not_implemented(names::SELECT_ITEM).into())
    }

    /// An action command was submitted (`composeExtension/submitAction`). The default routes
    /// on `botMessagePreviewAction`: `edit` →
    /// [`on_teams_messaging_extension_bot_message_preview_edit`](Self::on_teams_messaging_extension_bot_message_preview_edit),
    /// `send` →
    /// [`on_teams_messaging_extension_bot_message_preview_send`](Self::on_teams_messaging_extension_bot_message_preview_send),
    /// none → [`on_teams_messaging_extension_submit_action`](Self::on_teams_messaging_extension_submit_action),
    /// another value → [`TeamsError::InvokeBadRequest`].
    async fn on_teams_messaging_extension_submit_action_dispatch(
        &self,
        action: MessagingExtensionAction,
        ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionActionResponse> {
        match action.bot_message_preview_action.as_deref() {
            None | Some("") => {
                self.on_teams_messaging_extension_submit_action(action, ctx)
                    .await
            }
            Some("edit") => {
                self.on_teams_messaging_extension_bot_message_preview_edit(action, ctx)
                    .await
            }
            Some("send") => {
                self.on_teams_messaging_extension_bot_message_preview_send(action, ctx)
                    .await
            }
            Some(other) => Err(TeamsError::bad_request(
                names::SUBMIT_ACTION,
                format!("unknown botMessagePreviewAction {other:?}"),
            )
            .into()),
        }
    }

    /// An action command's form was submitted.
    async fn on_teams_messaging_extension_submit_action(
        &self,
        action: MessagingExtensionAction,
        ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionActionResponse> {
        let _ = (action, ctx);
        Err(TeamsError::not_implemented(names::SUBMIT_ACTION).into())
    }

    /// The user chose to edit the bot message preview: answer with the form again.
    async fn on_teams_messaging_extension_bot_message_preview_edit(
        &self,
        action: MessagingExtensionAction,
        ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionActionResponse> {
        let _ = (action, ctx);
        Err(TeamsError::not_implemented(names::SUBMIT_ACTION).into())
    }

    /// The user chose to send the bot message preview: post it (`action.bot_activity_preview`)
    /// and answer, usually with [`MessagingExtensionActionResponse::empty`].
    async fn on_teams_messaging_extension_bot_message_preview_send(
        &self,
        action: MessagingExtensionAction,
        ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionActionResponse> {
        let _ = (action, ctx);
        Err(TeamsError::not_implemented(names::SUBMIT_ACTION).into())
    }

    /// An action command was opened (`composeExtension/fetchTask`): answer with its task
    /// module.
    async fn on_teams_messaging_extension_fetch_task(
        &self,
        action: MessagingExtensionAction,
        ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionActionResponse> {
        let _ = (action, ctx);
        Err(TeamsError::not_implemented(names::FETCH_TASK).into())
    }

    /// The extension's settings page was asked for (`composeExtension/querySettingUrl`):
    /// answer with a `config` result.
    async fn on_teams_messaging_extension_configuration_query_setting_url(
        &self,
        query: MessagingExtensionQuery,
        ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        let _ = (query, ctx);
        Err(TeamsError::not_implemented(names::QUERY_SETTING_URL).into())
    }

    /// The extension's settings were saved (`composeExtension/setting`).
    async fn on_teams_messaging_extension_configuration_setting(
        &self,
        settings: Value,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (settings, ctx);
        Err(TeamsError::not_implemented(names::SETTING).into())
    }

    /// A button of a card the extension inserted was pressed
    /// (`composeExtension/onCardButtonClicked`).
    async fn on_teams_messaging_extension_card_button_clicked(
        &self,
        card_data: Value,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (card_data, ctx);
        Err(TeamsError::not_implemented(names::CARD_BUTTON_CLICKED).into())
    }

    /// Open a task module (`task/fetch`): answer with
    /// [`TaskModuleResponse::continue_with`].
    async fn on_teams_task_module_fetch(
        &self,
        request: TaskModuleRequest,
        ctx: &mut TurnContext,
    ) -> TurnResult<TaskModuleResponse> {
        let _ = (request, ctx);
        Err(TeamsError::not_implemented(names::TASK_FETCH).into())
    }

    /// A task module was submitted (`task/submit`): answer with a message, another module or
    /// [`TaskModuleResponse::close`].
    async fn on_teams_task_module_submit(
        &self,
        request: TaskModuleRequest,
        ctx: &mut TurnContext,
    ) -> TurnResult<TaskModuleResponse> {
        let _ = (request, ctx);
        Err(TeamsError::not_implemented(names::TASK_SUBMIT).into())
    }

    /// The bot's configuration dialog is opening (`config/fetch`).
    async fn on_teams_config_fetch(
        &self,
        config_data: Value,
        ctx: &mut TurnContext,
    ) -> TurnResult<ConfigResponse> {
        let _ = (config_data, ctx);
        Err(TeamsError::not_implemented(names::CONFIG_FETCH).into())
    }

    /// The bot's configuration dialog was submitted (`config/submit`).
    async fn on_teams_config_submit(
        &self,
        config_data: Value,
        ctx: &mut TurnContext,
    ) -> TurnResult<ConfigResponse> {
        let _ = (config_data, ctx);
        Err(TeamsError::not_implemented(names::CONFIG_SUBMIT).into())
    }

    /// An Adaptive Card tab is shown (`tab/fetch`).
    async fn on_teams_tab_fetch(
        &self,
        request: TabRequest,
        ctx: &mut TurnContext,
    ) -> TurnResult<TabResponse> {
        let _ = (request, ctx);
        Err(TeamsError::not_implemented(names::TAB_FETCH).into())
    }

    /// An Adaptive Card tab was submitted (`tab/submit`).
    async fn on_teams_tab_submit(
        &self,
        submit: TabSubmit,
        ctx: &mut TurnContext,
    ) -> TurnResult<TabResponse> {
        let _ = (submit, ctx);
        Err(TeamsError::not_implemented(names::TAB_SUBMIT).into())
    }

    /// A message action: the like/dislike feedback of a bot message (`message/submitAction`,
    /// `actionName: feedback`); the message is the activity's `replyToId`.
    async fn on_teams_message_submit_action(
        &self,
        action: MessageSubmitAction,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (action, ctx);
        Err(TeamsError::not_implemented(names::MESSAGE_SUBMIT_ACTION).into())
    }
}

/// Routes a turn the way BotBuilder's `TeamsActivityHandler` does, then to
/// [`dispatch_activity`] for everything Teams does not specialise. Call it from
/// `ActivityHandler::on_turn`.
///
/// | activity | routed to |
/// |---|---|
/// | `conversationUpdate` (Teams) with `membersAdded` / `membersRemoved` | [`on_teams_members_added`](TeamsActivityHandler::on_teams_members_added) / [`on_teams_members_removed`](TeamsActivityHandler::on_teams_members_removed) (the bot itself left out) |
/// | `conversationUpdate` (Teams) by `eventType` | `channelCreated`, `channelRenamed`, `channelDeleted`, `channelRestored`, `channelShared`, `channelUnshared`, `teamRenamed`, `teamArchived`, `teamUnarchived`, `teamDeleted`, `teamHardDeleted`, `teamRestored` → the `on_teams_channel_*` / `on_teams_team_*` methods |
/// | `messageUpdate` (Teams) | `editMessage` → [`on_teams_message_edit`](TeamsActivityHandler::on_teams_message_edit), `undeleteMessage` → [`on_teams_message_undelete`](TeamsActivityHandler::on_teams_message_undelete) |
/// | `messageDelete` (Teams) | `softDeleteMessage` → [`on_teams_message_soft_delete`](TeamsActivityHandler::on_teams_message_soft_delete) |
/// | `event` (Teams) | meeting start/end, participants join/leave, read receipt → the `on_teams_meeting_*` and [`on_teams_read_receipt`](TeamsActivityHandler::on_teams_read_receipt) methods |
/// | `invoke` | by name (see [`invoke_names`]); a Teams invoke with no name → [`on_teams_card_action_invoke`](TeamsActivityHandler::on_teams_card_action_invoke) |
/// | anything else | [`dispatch_activity`] (the `ActivityHandler` methods) |
///
/// An invoke it does not know (such as `signin/verifyState`) goes to
/// `ActivityHandler::on_invoke_activity`; a [`TeamsError::InvokeNotImplemented`] or
/// [`TeamsError::InvokeBadRequest`] it returns is answered 501 or 400 as for the Teams
/// methods.
///
/// # Errors
/// What the handler's methods return, except the invoke errors it answers itself (501 for
/// [`TeamsError::InvokeNotImplemented`], 400 for [`TeamsError::InvokeBadRequest`] and for an
/// invoke value that does not read); an event payload that does not read is
/// [`TeamsError::InvalidPayload`].
pub async fn dispatch_teams_activity<H: TeamsActivityHandler + ?Sized>(
    handler: &H,
    ctx: &mut TurnContext,
) -> TurnResult {
    let is_teams = ctx.activity().is_teams();
    let kind = ctx.activity().activity_type.clone();
    match kind {
        ActivityTypes::Invoke => {
            let response = dispatch_invoke(handler, ctx).await?;
            if ctx.invoke_response().is_none() {
                ctx.set_invoke_response(response);
            }
            Ok(())
        }
        ActivityTypes::ConversationUpdate if is_teams => {
            dispatch_conversation_update(handler, ctx).await
        }
        ActivityTypes::MessageUpdate if is_teams => match ctx.activity().teams_event_type() {
            Some(TeamsEventType::EditMessage) => handler.on_teams_message_edit(ctx).await,
            Some(TeamsEventType::UndeleteMessage) => handler.on_teams_message_undelete(ctx).await,
            _ => handler.on_message_update_activity(ctx).await,
        },
        ActivityTypes::MessageDelete if is_teams => match ctx.activity().teams_event_type() {
            Some(TeamsEventType::SoftDeleteMessage) => {
                handler.on_teams_message_soft_delete(ctx).await
            }
            _ => handler.on_message_delete_activity(ctx).await,
        },
        ActivityTypes::Event if is_teams => dispatch_event(handler, ctx).await,
        _ => dispatch_activity(handler, ctx).await,
    }
}

async fn dispatch_conversation_update<H: TeamsActivityHandler + ?Sized>(
    handler: &H,
    ctx: &mut TurnContext,
) -> TurnResult {
    let activity = ctx.activity();
    let bot_id = activity
        .recipient
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or_default();
    let team = activity.teams_team_info();
    if !activity.members_added().is_empty() {
        let added = teams_accounts(activity.members_added(), &bot_id)?;
        let added = with_member_details(ctx, added).await?;
        if !added.is_empty() {
            handler.on_teams_members_added(added, team, ctx).await?;
        }
        return Ok(());
    }
    if !activity.members_removed().is_empty() {
        let removed = teams_accounts(activity.members_removed(), &bot_id)?;
        if !removed.is_empty() {
            handler.on_teams_members_removed(removed, team, ctx).await?;
        }
        return Ok(());
    }
    let Some(data) = activity.teams_channel_data()? else {
        return handler.on_conversation_update_activity(ctx).await;
    };
    let Some(event) = data.event() else {
        return handler.on_conversation_update_activity(ctx).await;
    };
    let channel = data.channel.unwrap_or_default();
    let team = data.team;
    tracing::debug!(event_type = %event, "teams conversation update");
    match event {
        TeamsEventType::ChannelCreated => {
            handler.on_teams_channel_created(channel, team, ctx).await
        }
        TeamsEventType::ChannelRenamed => {
            handler.on_teams_channel_renamed(channel, team, ctx).await
        }
        TeamsEventType::ChannelDeleted => {
            handler.on_teams_channel_deleted(channel, team, ctx).await
        }
        TeamsEventType::ChannelRestored => {
            handler.on_teams_channel_restored(channel, team, ctx).await
        }
        TeamsEventType::ChannelShared => handler.on_teams_channel_shared(channel, team, ctx).await,
        TeamsEventType::ChannelUnshared => {
            handler.on_teams_channel_unshared(channel, team, ctx).await
        }
        TeamsEventType::TeamRenamed => {
            handler
                .on_teams_team_renamed(team.unwrap_or_default(), ctx)
                .await
        }
        TeamsEventType::TeamArchived => {
            handler
                .on_teams_team_archived(team.unwrap_or_default(), ctx)
                .await
        }
        TeamsEventType::TeamUnarchived => {
            handler
                .on_teams_team_unarchived(team.unwrap_or_default(), ctx)
                .await
        }
        TeamsEventType::TeamDeleted => {
            handler
                .on_teams_team_deleted(team.unwrap_or_default(), ctx)
                .await
        }
        TeamsEventType::TeamHardDeleted => {
            handler
                .on_teams_team_hard_deleted(team.unwrap_or_default(), ctx)
                .await
        }
        TeamsEventType::TeamRestored => {
            handler
                .on_teams_team_restored(team.unwrap_or_default(), ctx)
                .await
        }
        _ => handler.on_conversation_update_activity(ctx).await,
    }
}

async fn dispatch_event<H: TeamsActivityHandler + ?Sized>(
    handler: &H,
    ctx: &mut TurnContext,
) -> TurnResult {
    let name = ctx.activity().name.clone().unwrap_or_default();
    match name.as_str() {
        MEETING_START_EVENT => {
            let details = event_value(ctx, "meetingStart event value")?;
            handler.on_teams_meeting_start(details, ctx).await
        }
        MEETING_END_EVENT => {
            let details = event_value(ctx, "meetingEnd event value")?;
            handler.on_teams_meeting_end(details, ctx).await
        }
        MEETING_PARTICIPANT_JOIN_EVENT => {
            let details = event_value(ctx, "meetingParticipantJoin event value")?;
            handler
                .on_teams_meeting_participants_join(details, ctx)
                .await
        }
        MEETING_PARTICIPANT_LEAVE_EVENT => {
            let details = event_value(ctx, "meetingParticipantLeave event value")?;
            handler
                .on_teams_meeting_participants_leave(details, ctx)
                .await
        }
        READ_RECEIPT_EVENT => {
            let receipt = event_value(ctx, "readReceipt event value")?;
            handler.on_teams_read_receipt(receipt, ctx).await
        }
        _ => handler.on_event_activity(ctx).await,
    }
}

fn event_value<T: DeserializeOwned>(ctx: &TurnContext, what: &'static str) -> TurnResult<T> {
    let value = ctx.activity().value.clone().unwrap_or(Value::Null);
    serde_json::from_value(value)
        .map_err(|source| TeamsError::InvalidPayload { what, source }.into())
}

/// Reads an invoke's value; `Err` is the 400 to answer.
fn invoke_value<T: DeserializeOwned>(ctx: &TurnContext, name: &str) -> Result<T, InvokeResponse> {
    let value = ctx.activity().value.clone().unwrap_or(Value::Null);
    if !value.is_object() {
        tracing::debug!(
            invoke = name,
            "invoke value is not an object; answering 400"
        );
        return Err(InvokeResponse::new(400, None));
    }
    serde_json::from_value(value).map_err(|error| {
        tracing::debug!(invoke = name, %error, "invoke value does not read; answering 400");
        InvokeResponse::new(400, None)
    })
}

fn ok_body<T: Serialize>(body: &T) -> TurnResult<InvokeResponse> {
    let body = serde_json::to_value(body).map_err(|source| TeamsError::InvalidPayload {
        what: "invoke response",
        source,
    })?;
    Ok(InvokeResponse::ok(body))
}

fn ok_empty() -> TurnResult<InvokeResponse> {
    Ok(InvokeResponse::new(200, None))
}

macro_rules! typed_invoke {
    ($ctx:ident, $name:expr, |$value:ident| $call:expr) => {
        match invoke_value(&*$ctx, $name) {
            Err(bad) => Ok(bad),
            Ok($value) => match $call.await {
                Ok(body) => ok_body(&body),
                Err(e) => Err(e),
            },
        }
    };
}

macro_rules! typed_invoke_no_body {
    ($ctx:ident, $name:expr, |$value:ident| $call:expr) => {
        match invoke_value(&*$ctx, $name) {
            Err(bad) => Ok(bad),
            Ok($value) => match $call.await {
                Ok(()) => ok_empty(),
                Err(e) => Err(e),
            },
        }
    };
}

async fn dispatch_invoke<H: TeamsActivityHandler + ?Sized>(
    handler: &H,
    ctx: &mut TurnContext,
) -> TurnResult<InvokeResponse> {
    let name = ctx.activity().name.clone();
    let raw_value = ctx.activity().value.clone().unwrap_or(Value::Null);
    let result: TurnResult<InvokeResponse> = match name.as_deref() {
        None if ctx.activity().is_teams() => handler.on_teams_card_action_invoke(ctx).await,
        Some(names::ADAPTIVE_CARD_ACTION) => adaptive_card_invoke(handler, ctx).await,
        Some(names::FILE_CONSENT) => typed_invoke_no_body!(ctx, names::FILE_CONSENT, |v| handler
            .on_teams_file_consent(v, ctx)),
        Some(names::O365_CONNECTOR_CARD_ACTION) => {
            typed_invoke_no_body!(ctx, names::O365_CONNECTOR_CARD_ACTION, |v| handler
                .on_teams_o365_connector_card_action(v, ctx))
        }
        Some(names::QUERY_LINK) => typed_invoke!(ctx, names::QUERY_LINK, |v| handler
            .on_teams_app_based_link_query(v, ctx)),
        Some(names::ANONYMOUS_QUERY_LINK) => {
            typed_invoke!(ctx, names::ANONYMOUS_QUERY_LINK, |v| handler
                .on_teams_anonymous_app_based_link_query(v, ctx))
        }
        Some(names::QUERY) => typed_invoke!(ctx, names::QUERY, |v| handler
            .on_teams_messaging_extension_query(v, ctx)),
        Some(names::SELECT_ITEM) => handler
            .on_teams_messaging_extension_select_item(raw_value, ctx)
            .await
            .and_then(|r| ok_body(&r)),
        Some(names::SUBMIT_ACTION) => typed_invoke!(ctx, names::SUBMIT_ACTION, |v| handler
            .on_teams_messaging_extension_submit_action_dispatch(v, ctx)),
        Some(names::FETCH_TASK) => typed_invoke!(ctx, names::FETCH_TASK, |v| handler
            .on_teams_messaging_extension_fetch_task(v, ctx)),
        Some(names::QUERY_SETTING_URL) => {
            typed_invoke!(ctx, names::QUERY_SETTING_URL, |v| handler
                .on_teams_messaging_extension_configuration_query_setting_url(v, ctx))
        }
        Some(names::SETTING) => handler
            .on_teams_messaging_extension_configuration_setting(raw_value, ctx)
            .await
            .and_then(|()| ok_empty()),
        Some(names::CARD_BUTTON_CLICKED) => handler
            .on_teams_messaging_extension_card_button_clicked(raw_value, ctx)
            .await
            .and_then(|()| ok_empty()),
        Some(names::TASK_FETCH) => typed_invoke!(ctx, names::TASK_FETCH, |v| handler
            .on_teams_task_module_fetch(v, ctx)),
        Some(names::TASK_SUBMIT) => typed_invoke!(ctx, names::TASK_SUBMIT, |v| handler
            .on_teams_task_module_submit(v, ctx)),
        Some(names::CONFIG_FETCH) => handler
            .on_teams_config_fetch(raw_value, ctx)
            .await
            .and_then(|r| ok_body(&r)),
        Some(names::CONFIG_SUBMIT) => handler
            .on_teams_config_submit(raw_value, ctx)
            .await
            .and_then(|r| ok_body(&r)),
        Some(names::TAB_FETCH) => typed_invoke!(ctx, names::TAB_FETCH, |v| handler
            .on_teams_tab_fetch(v, ctx)),
        Some(names::TAB_SUBMIT) => typed_invoke!(ctx, names::TAB_SUBMIT, |v| handler
            .on_teams_tab_submit(v, ctx)),
        Some(names::MESSAGE_SUBMIT_ACTION) => {
            typed_invoke_no_body!(ctx, names::MESSAGE_SUBMIT_ACTION, |v| handler
                .on_teams_message_submit_action(v, ctx))
        }
        _ => handler.on_invoke_activity(ctx).await,
    };
    match result {
        Ok(response) => Ok(response),
        Err(error) => match error.downcast_ref::<TeamsError>() {
            Some(TeamsError::InvokeNotImplemented { name }) => {
                tracing::debug!(invoke = %name, "invoke not handled; answering 501");
                Ok(InvokeResponse::not_implemented())
            }
            Some(TeamsError::InvokeBadRequest { name, reason }) => {
                tracing::debug!(invoke = %name, %reason, "bad invoke request; answering 400");
                Ok(InvokeResponse::new(400, None))
            }
            _ => Err(error),
        },
    }
}

/// `adaptiveCard/action`: BotBuilder checks the value before calling the handler and answers
/// a malformed one with 400 and an Adaptive Card error body.
async fn adaptive_card_invoke<H: TeamsActivityHandler + ?Sized>(
    handler: &H,
    ctx: &mut TurnContext,
) -> TurnResult<InvokeResponse> {
    let bad = |code: &str, message: String| {
        ok_body(&AdaptiveCardInvokeResponse::error(400, code, message)).map(|mut r| {
            r.status = 400;
            r
        })
    };
    let value = match ctx.activity().value.clone() {
        None | Some(Value::Null) => return bad("BadRequest", "Missing value property".into()),
        Some(value) => value,
    };
    if value.is_object() && value.get("action").is_none_or(Value::is_null) {
        return bad("BadRequest", "Missing action property".into());
    }
    let value: AdaptiveCardInvokeValue = match serde_json::from_value(value) {
        Ok(value) => value,
        Err(_) => {
            return bad("BadRequest", "Value property is not properly formed".into());
        }
    };
    if value.action.action_type != "Action.Execute" {
        return bad(
            "NotSupported",
            format!(
                "The action '{}' is not supported.",
                value.action.action_type
            ),
        );
    }
    let response = handler.on_adaptive_card_invoke(value, ctx).await?;
    ok_body(&response)
}

/// BotBuilder's enrichment of `membersAdded`: Teams sends only ids, so each member without
/// Teams details is read with TeamsInfo (`GET .../members/{id}`); a member Teams cannot find
/// (404) keeps the activity's account. Turns not run by the `CloudAdapter` have no connector
/// client to ask and keep the activity's accounts.
async fn with_member_details(
    ctx: &TurnContext,
    members: Vec<TeamsChannelAccount>,
) -> Result<Vec<TeamsChannelAccount>, TeamsError> {
    let Ok(info) = TeamsInfo::for_turn(ctx) else {
        return Ok(members);
    };
    let mut detailed = Vec::with_capacity(members.len());
    for member in members {
        let has_details = member.given_name.is_some()
            || member.surname.is_some()
            || member.email.is_some()
            || member.user_principal_name.is_some();
        if has_details {
            detailed.push(member);
            continue;
        }
        match info.get_member(&member.id).await {
            Ok(full) => detailed.push(full),
            Err(error) if error.is_not_found() => {
                tracing::debug!(error = %error, "member not found; using the activity's account");
                detailed.push(member);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(detailed)
}

fn teams_accounts(
    members: &[ChannelAccount],
    bot_id: &str,
) -> Result<Vec<TeamsChannelAccount>, TeamsError> {
    members
        .iter()
        .filter(|m| bot_id.is_empty() || m.id != bot_id)
        .map(|m| {
            serde_json::to_value(m)
                .and_then(serde_json::from_value)
                .map_err(|source| TeamsError::InvalidPayload {
                    what: "conversationUpdate member",
                    source,
                })
        })
        .collect()
}

fn to_channel_accounts(members: Vec<TeamsChannelAccount>) -> TurnResult<Vec<ChannelAccount>> {
    members
        .into_iter()
        .map(|m| {
            serde_json::to_value(m)
                .and_then(serde_json::from_value)
                .map_err(|source| {
                    TeamsError::InvalidPayload {
                        what: "Teams member",
                        source,
                    }
                    .into()
                })
        })
        .collect()
}
