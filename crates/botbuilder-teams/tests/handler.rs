//! TeamsActivityHandler dispatch, driven by recorded Teams payloads (tests/fixtures, copied
//! from real Teams traffic) and, for the events and invokes no recording covers, by the same
//! envelopes carrying the `value` shapes Microsoft's Teams documentation shows.

use std::sync::{Arc, Mutex};

use botbuilder_core::testing::TestAdapter;
use botbuilder_core::{ActivityHandler, TurnContext, TurnResult, async_trait};
use botbuilder_schema::{Activity, Attachment, ChannelAccount, InvokeResponse};
use botbuilder_teams::events::{
    MeetingEndEventDetails, MeetingParticipantsEventDetails, MeetingStartEventDetails,
    ReadReceiptInfo,
};
use botbuilder_teams::invoke::*;
use botbuilder_teams::models::{ChannelInfo, TeamInfo, TeamsChannelAccount};
use botbuilder_teams::{TeamsActivityHandler, TeamsError, dispatch_teams_activity};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// A recorded activity with some top-level fields replaced.
fn patched(name: &str, patch: Value) -> Activity {
    let mut base = fixture(name);
    for (k, v) in patch.as_object().unwrap() {
        base[k] = v.clone();
    }
    serde_json::from_value(base).unwrap()
}

fn recorded(name: &str) -> Activity {
    serde_json::from_value(fixture(name)).unwrap()
}

/// An invoke in a Teams channel conversation, with this name and value.
fn invoke(name: Option<&str>, value: Value) -> Activity {
    patched(
        "msteams_invoke_task_fetch",
        json!({"name": name, "value": value}),
    )
}

/// An event in a Teams meeting chat.
fn event(name: &str, value: Value) -> Activity {
    patched(
        "msteams_message_personal",
        json!({"type": "event", "name": name, "value": value,
               "channelData": {"tenant": {"id": "t-1"}, "meeting": {"id": "MCMxOTptZWV0aW5n"}}}),
    )
}

struct Run {
    result: TurnResult,
    invoke: Option<InvokeResponse>,
    adapter: TestAdapter,
}

async fn run(bot: &(impl TeamsActivityHandler + ?Sized), activity: Activity) -> Run {
    let adapter = TestAdapter::new();
    let mut ctx = TurnContext::new(Arc::new(adapter.clone()), activity);
    let result = dispatch_teams_activity(bot, &mut ctx).await;
    Run {
        result,
        invoke: ctx.invoke_response(),
        adapter,
    }
}

/// Records every handler call; answers every invoke.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<String>>,
}

impl Recorder {
    fn record(&self, call: impl Into<String>) {
        self.calls.lock().unwrap().push(call.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

fn team_name(team: &Option<TeamInfo>) -> String {
    team.as_ref()
        .map(|t| format!("{}/{}", t.id, t.name.clone().unwrap_or_default()))
        .unwrap_or_else(|| "-".into())
}

fn channel(c: &ChannelInfo) -> String {
    format!("{}/{}", c.id, c.name.clone().unwrap_or_default())
}

#[async_trait]
impl ActivityHandler for Recorder {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        dispatch_teams_activity(self, ctx).await
    }
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        self.record(format!("message:{}", ctx.activity().text()));
        Ok(())
    }
    async fn on_conversation_update_activity(&self, _ctx: &mut TurnContext) -> TurnResult {
        self.record("conversation_update");
        Ok(())
    }
    async fn on_members_added(&self, m: Vec<ChannelAccount>, _: &mut TurnContext) -> TurnResult {
        self.record(format!("members_added:{}", m.len()));
        Ok(())
    }
    async fn on_message_update_activity(&self, _ctx: &mut TurnContext) -> TurnResult {
        self.record("message_update");
        Ok(())
    }
    async fn on_message_delete_activity(&self, _ctx: &mut TurnContext) -> TurnResult {
        self.record("message_delete");
        Ok(())
    }
    async fn on_event(&self, ctx: &mut TurnContext) -> TurnResult {
        self.record(format!(
            "event:{}",
            ctx.activity().name.clone().unwrap_or_default()
        ));
        Ok(())
    }
    async fn on_invoke_activity(&self, ctx: &mut TurnContext) -> TurnResult<InvokeResponse> {
        self.record(format!(
            "invoke:{}",
            ctx.activity().name.clone().unwrap_or_default()
        ));
        Ok(InvokeResponse::new(202, None))
    }
}

fn preview_card(title: &str) -> Attachment {
    Attachment::new(
        "application/vnd.microsoft.card.thumbnail",
        json!({"title": title}),
    )
}

#[async_trait]
impl TeamsActivityHandler for Recorder {
    async fn on_teams_members_added(
        &self,
        members: Vec<TeamsChannelAccount>,
        team: Option<TeamInfo>,
        _ctx: &mut TurnContext,
    ) -> TurnResult {
        let ids: Vec<String> = members
            .iter()
            .map(|m| format!("{}|{}", m.id, m.aad_object_id.clone().unwrap_or_default()))
            .collect();
        self.record(format!(
            "teams_members_added:{}:{}",
            ids.join(","),
            team_name(&team)
        ));
        Ok(())
    }
    async fn on_teams_members_removed(
        &self,
        members: Vec<TeamsChannelAccount>,
        team: Option<TeamInfo>,
        _ctx: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!(
            "teams_members_removed:{}:{}",
            members.len(),
            team_name(&team)
        ));
        Ok(())
    }
    async fn on_teams_channel_created(
        &self,
        c: ChannelInfo,
        t: Option<TeamInfo>,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!("channel_created:{}:{}", channel(&c), team_name(&t)));
        Ok(())
    }
    async fn on_teams_channel_renamed(
        &self,
        c: ChannelInfo,
        t: Option<TeamInfo>,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!("channel_renamed:{}:{}", channel(&c), team_name(&t)));
        Ok(())
    }
    async fn on_teams_channel_deleted(
        &self,
        c: ChannelInfo,
        t: Option<TeamInfo>,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!("channel_deleted:{}:{}", channel(&c), team_name(&t)));
        Ok(())
    }
    async fn on_teams_channel_restored(
        &self,
        c: ChannelInfo,
        _: Option<TeamInfo>,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!("channel_restored:{}", channel(&c)));
        Ok(())
    }
    async fn on_teams_channel_shared(
        &self,
        c: ChannelInfo,
        _: Option<TeamInfo>,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!("channel_shared:{}", channel(&c)));
        Ok(())
    }
    async fn on_teams_channel_unshared(
        &self,
        c: ChannelInfo,
        _: Option<TeamInfo>,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!("channel_unshared:{}", channel(&c)));
        Ok(())
    }
    async fn on_teams_team_renamed(&self, t: TeamInfo, _: &mut TurnContext) -> TurnResult {
        self.record(format!("team_renamed:{}", team_name(&Some(t))));
        Ok(())
    }
    async fn on_teams_team_archived(&self, t: TeamInfo, _: &mut TurnContext) -> TurnResult {
        self.record(format!("team_archived:{}", t.id));
        Ok(())
    }
    async fn on_teams_team_unarchived(&self, t: TeamInfo, _: &mut TurnContext) -> TurnResult {
        self.record(format!("team_unarchived:{}", t.id));
        Ok(())
    }
    async fn on_teams_team_deleted(&self, t: TeamInfo, _: &mut TurnContext) -> TurnResult {
        self.record(format!("team_deleted:{}", t.id));
        Ok(())
    }
    async fn on_teams_team_hard_deleted(&self, t: TeamInfo, _: &mut TurnContext) -> TurnResult {
        self.record(format!("team_hard_deleted:{}", t.id));
        Ok(())
    }
    async fn on_teams_team_restored(&self, t: TeamInfo, _: &mut TurnContext) -> TurnResult {
        self.record(format!("team_restored:{}", t.id));
        Ok(())
    }
    async fn on_teams_message_edit(&self, ctx: &mut TurnContext) -> TurnResult {
        self.record(format!("message_edit:{}", ctx.activity().text()));
        Ok(())
    }
    async fn on_teams_message_undelete(&self, ctx: &mut TurnContext) -> TurnResult {
        self.record(format!("message_undelete:{}", ctx.activity().text()));
        Ok(())
    }
    async fn on_teams_message_soft_delete(&self, ctx: &mut TurnContext) -> TurnResult {
        self.record(format!(
            "message_soft_delete:{}",
            ctx.activity().id.clone().unwrap_or_default()
        ));
        Ok(())
    }
    async fn on_teams_meeting_start(
        &self,
        m: MeetingStartEventDetails,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!(
            "meeting_start:{}:{}:{}",
            m.id,
            m.title.unwrap_or_default(),
            m.start_time.unwrap_or_default()
        ));
        Ok(())
    }
    async fn on_teams_meeting_end(
        &self,
        m: MeetingEndEventDetails,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!(
            "meeting_end:{}:{}",
            m.id,
            m.end_time.unwrap_or_default()
        ));
        Ok(())
    }
    async fn on_teams_meeting_participants_join(
        &self,
        p: MeetingParticipantsEventDetails,
        _: &mut TurnContext,
    ) -> TurnResult {
        let who: Vec<String> = p
            .members
            .iter()
            .map(|m| {
                format!(
                    "{}/{}",
                    m.user.name.clone().unwrap_or_default(),
                    m.meeting
                        .as_ref()
                        .and_then(|d| d.role.clone())
                        .unwrap_or_default()
                )
            })
            .collect();
        self.record(format!("participants_join:{}", who.join(",")));
        Ok(())
    }
    async fn on_teams_meeting_participants_leave(
        &self,
        p: MeetingParticipantsEventDetails,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!("participants_leave:{}", p.members.len()));
        Ok(())
    }
    async fn on_teams_read_receipt(&self, r: ReadReceiptInfo, _: &mut TurnContext) -> TurnResult {
        self.record(format!("read_receipt:{}", r.last_read_message_id));
        Ok(())
    }

    async fn on_teams_card_action_invoke(
        &self,
        ctx: &mut TurnContext,
    ) -> TurnResult<InvokeResponse> {
        self.record("card_action");
        Ok(InvokeResponse::ok(
            ctx.activity().value.clone().unwrap_or_default(),
        ))
    }
    async fn on_adaptive_card_invoke(
        &self,
        value: AdaptiveCardInvokeValue,
        _: &mut TurnContext,
    ) -> TurnResult<AdaptiveCardInvokeResponse> {
        self.record(format!("adaptive_card:{}", value.verb()));
        match value.verb() {
            "approve" => Ok(AdaptiveCardInvokeResponse::card(
                json!({"type": "AdaptiveCard", "version": "1.4",
                       "body": [{"type": "TextBlock", "text": "Approved"}]}),
            )),
            "ping" => Ok(AdaptiveCardInvokeResponse::message("pong")),
            "boom" => Err("database password=hunter2 unreachable".into()),
            other => Err(TeamsError::not_implemented(other).into()),
        }
    }
    async fn on_teams_file_consent_accept(
        &self,
        r: FileConsentCardResponse,
        _: &mut TurnContext,
    ) -> TurnResult {
        let info = r.upload_info.unwrap_or_default();
        self.record(format!(
            "file_accept:{}",
            info.upload_url.unwrap_or_default()
        ));
        Ok(())
    }
    async fn on_teams_file_consent_decline(
        &self,
        r: FileConsentCardResponse,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!("file_decline:{}", r.context.unwrap_or_default()));
        Ok(())
    }
    async fn on_teams_o365_connector_card_action(
        &self,
        q: O365ConnectorCardActionQuery,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!(
            "o365:{}:{}",
            q.action_id.unwrap_or_default(),
            q.body.unwrap_or_default()
        ));
        Ok(())
    }
    async fn on_teams_app_based_link_query(
        &self,
        q: AppBasedLinkQuery,
        _: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        let url = q.url.unwrap_or_default();
        self.record(format!("query_link:{url}"));
        let card = preview_card(&url);
        Ok(
            MessagingExtensionResult::list(vec![MessagingExtensionAttachment::new(
                card.clone(),
                Some(card),
            )])
            .into(),
        )
    }
    async fn on_teams_anonymous_app_based_link_query(
        &self,
        q: AppBasedLinkQuery,
        _: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        self.record(format!(
            "anonymous_query_link:{}",
            q.url.unwrap_or_default()
        ));
        Ok(MessagingExtensionResult::message("sign in to see more").into())
    }
    async fn on_teams_messaging_extension_query(
        &self,
        q: MessagingExtensionQuery,
        _: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        let text = q.parameter("searchQuery").unwrap_or_default().to_owned();
        let count = q.query_options.as_ref().and_then(|o| o.count).unwrap_or(0);
        self.record(format!(
            "query:{}:{text}:{count}",
            q.command_id.unwrap_or_default()
        ));
        Ok(
            MessagingExtensionResult::list(vec![MessagingExtensionAttachment::new(
                Attachment::new(ADAPTIVE_CARD_CONTENT_TYPE, json!({"type": "AdaptiveCard"})),
                Some(preview_card(&text)),
            )])
            .into(),
        )
    }
    async fn on_teams_messaging_extension_select_item(
        &self,
        item: Value,
        _: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        self.record(format!("select_item:{item}"));
        Ok(MessagingExtensionResult::list(vec![]).into())
    }
    async fn on_teams_messaging_extension_submit_action(
        &self,
        a: MessagingExtensionAction,
        _: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionActionResponse> {
        self.record(format!("submit_action:{}", a.data.unwrap_or_default()));
        let preview = Activity::message("").with_attachment(preview_card("preview"));
        Ok(MessagingExtensionActionResponse::result(
            MessagingExtensionResult::bot_message_preview(preview),
        ))
    }
    async fn on_teams_messaging_extension_bot_message_preview_edit(
        &self,
        a: MessagingExtensionAction,
        _: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionActionResponse> {
        self.record(format!(
            "preview_edit:{}",
            a.bot_activity_preview.map(|p| p.len()).unwrap_or(0)
        ));
        Ok(MessagingExtensionActionResponse::task(
            TaskModuleContinueResponse::new(TaskModuleTaskInfo::url("Edit", "https://x/edit")),
        ))
    }
    async fn on_teams_messaging_extension_bot_message_preview_send(
        &self,
        a: MessagingExtensionAction,
        ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionActionResponse> {
        let preview = a.bot_activity_preview.unwrap_or_default();
        self.record(format!("preview_send:{}", preview.len()));
        let attachments = preview
            .into_iter()
            .flat_map(|p| p.attachments.unwrap_or_default())
            .collect::<Vec<_>>();
        let mut message = Activity::message("");
        for a in attachments {
            message = message.with_attachment(a);
        }
        ctx.send_activity(message).await?;
        Ok(MessagingExtensionActionResponse::empty())
    }
    async fn on_teams_messaging_extension_fetch_task(
        &self,
        a: MessagingExtensionAction,
        _: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionActionResponse> {
        self.record(format!("fetch_task:{}", a.command_id.unwrap_or_default()));
        Ok(MessagingExtensionActionResponse::task(
            TaskModuleContinueResponse::new(
                TaskModuleTaskInfo::card(
                    "Create",
                    Attachment::new(ADAPTIVE_CARD_CONTENT_TYPE, json!({"type": "AdaptiveCard"})),
                )
                .with_size("medium", 300),
            ),
        ))
    }
    async fn on_teams_messaging_extension_configuration_query_setting_url(
        &self,
        q: MessagingExtensionQuery,
        _: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        self.record(format!(
            "query_setting_url:{}",
            q.command_id.unwrap_or_default()
        ));
        Ok(
            MessagingExtensionResult::config(serde_json::from_value(json!({
                "actions": [{"type": "openUrl", "title": "Settings", "value": "https://x/settings"}]
            }))?)
            .into(),
        )
    }
    async fn on_teams_messaging_extension_configuration_setting(
        &self,
        settings: Value,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!("setting:{settings}"));
        Ok(())
    }
    async fn on_teams_messaging_extension_card_button_clicked(
        &self,
        data: Value,
        _: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!("card_button_clicked:{data}"));
        Ok(())
    }
    async fn on_teams_task_module_fetch(
        &self,
        r: TaskModuleRequest,
        _: &mut TurnContext,
    ) -> TurnResult<TaskModuleResponse> {
        self.record(format!(
            "task_fetch:{}",
            r.data.unwrap_or_default()["hiddenKey"]
        ));
        Ok(TaskModuleResponse::continue_with(
            TaskModuleTaskInfo::card(
                "Form",
                Attachment::new(ADAPTIVE_CARD_CONTENT_TYPE, json!({"type": "AdaptiveCard"})),
            )
            .with_size("medium", "small"),
        ))
    }
    async fn on_teams_task_module_submit(
        &self,
        r: TaskModuleRequest,
        _: &mut TurnContext,
    ) -> TurnResult<TaskModuleResponse> {
        let text = r.data.unwrap_or_default()["usertext"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.record(format!("task_submit:{text}"));
        Ok(TaskModuleResponse::message(format!("Got: {text}")))
    }
    async fn on_teams_config_fetch(
        &self,
        data: Value,
        _: &mut TurnContext,
    ) -> TurnResult<ConfigResponse> {
        self.record(format!("config_fetch:{data}"));
        Ok(ConfigResponse::task(TaskModuleContinueResponse::new(
            TaskModuleTaskInfo::url("Configure", "https://x/config"),
        )))
    }
    async fn on_teams_config_submit(
        &self,
        data: Value,
        _: &mut TurnContext,
    ) -> TurnResult<ConfigResponse> {
        self.record(format!("config_submit:{data}"));
        Ok(ConfigResponse::task(TaskModuleResponseBase::message(
            "saved",
        )))
    }
    async fn on_teams_tab_fetch(
        &self,
        r: TabRequest,
        _: &mut TurnContext,
    ) -> TurnResult<TabResponse> {
        let entity = r
            .tab_context
            .and_then(|c| c.tab_entity_id)
            .unwrap_or_default();
        self.record(format!("tab_fetch:{entity}"));
        Ok(TabResponse::cards([json!({"type": "AdaptiveCard"})]))
    }
    async fn on_teams_tab_submit(
        &self,
        s: TabSubmit,
        _: &mut TurnContext,
    ) -> TurnResult<TabResponse> {
        self.record(format!("tab_submit:{}", s.data.unwrap_or_default()));
        Ok(TabResponse::cards([]))
    }
    async fn on_teams_message_submit_action(
        &self,
        a: MessageSubmitAction,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        self.record(format!(
            "feedback:{}:{}:{}",
            a.reaction().unwrap_or_default(),
            a.feedback_text().unwrap_or_default(),
            ctx.activity().reply_to_id.clone().unwrap_or_default()
        ));
        Ok(())
    }
}

/// Overrides nothing Teams-specific: everything falls back.
struct Bare(Recorder);

#[async_trait]
impl ActivityHandler for Bare {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        dispatch_teams_activity(self, ctx).await
    }
    async fn on_members_added(&self, m: Vec<ChannelAccount>, _: &mut TurnContext) -> TurnResult {
        let ids: Vec<String> = m.into_iter().map(|a| a.id).collect();
        self.0.record(format!("members_added:{}", ids.join(",")));
        Ok(())
    }
    async fn on_members_removed(&self, m: Vec<ChannelAccount>, _: &mut TurnContext) -> TurnResult {
        self.0.record(format!("members_removed:{}", m.len()));
        Ok(())
    }
    async fn on_message_activity(&self, _ctx: &mut TurnContext) -> TurnResult {
        self.0.record("message");
        Ok(())
    }
}

#[async_trait]
impl TeamsActivityHandler for Bare {}

async fn calls_for(activity: Activity) -> Vec<String> {
    let bot = Recorder::default();
    let run = run(&bot, activity).await;
    run.result.unwrap();
    bot.take()
}

// ----- conversationUpdate -----

const TEAM: &str = "19:097e6717fd7245bdbeba6baa13840db8@thread.skype";

#[tokio::test]
async fn recorded_channel_events_reach_their_methods() {
    let created = calls_for(recorded("msteams_conversation_update_channel_created")).await;
    assert_eq!(created.len(), 1);
    assert!(created[0].starts_with("channel_created:19:"), "{created:?}");
    assert!(created[0].ends_with(&format!(":{TEAM}/")), "{created:?}");
    let renamed = calls_for(recorded("msteams_conversation_update_channel_renamed")).await;
    assert!(renamed[0].starts_with("channel_renamed:19:"), "{renamed:?}");
    let deleted = calls_for(recorded("msteams_conversation_update_channel_deleted")).await;
    assert!(deleted[0].starts_with("channel_deleted:19:"), "{deleted:?}");
}

#[tokio::test]
async fn channel_names_reach_the_handler() {
    let a = recorded("msteams_conversation_update_channel_renamed");
    let data = a.channel_data.clone().unwrap();
    let expected = format!(
        "channel_renamed:{}/{}:{}/{}",
        data["channel"]["id"].as_str().unwrap(),
        data["channel"]["name"].as_str().unwrap_or_default(),
        data["team"]["id"].as_str().unwrap(),
        data["team"]["name"].as_str().unwrap_or_default()
    );
    assert_eq!(calls_for(a).await, vec![expected]);
}

#[tokio::test]
async fn recorded_team_renamed_reaches_its_method() {
    assert_eq!(
        calls_for(recorded("msteams_conversation_update_team_renamed")).await,
        vec![format!("team_renamed:{TEAM}/DaveTeams TEST")]
    );
}

#[tokio::test]
async fn every_other_event_type_reaches_its_method() {
    let cases = [
        (
            "channelRestored",
            "channel_restored:19:c@thread.skype/Design",
        ),
        ("channelShared", "channel_shared:19:c@thread.skype/Design"),
        (
            "channelUnshared",
            "channel_unshared:19:c@thread.skype/Design",
        ),
        ("teamArchived", "team_archived:19:t@thread.skype"),
        ("teamUnarchived", "team_unarchived:19:t@thread.skype"),
        ("teamDeleted", "team_deleted:19:t@thread.skype"),
        ("teamHardDeleted", "team_hard_deleted:19:t@thread.skype"),
        ("teamRestored", "team_restored:19:t@thread.skype"),
        // unknown event types fall back to the generic handler
        ("channelMemberAdded", "conversation_update"),
    ];
    for (event_type, expected) in cases {
        let a = patched(
            "msteams_conversation_update_team_renamed",
            json!({"channelData": {
                "eventType": event_type,
                "channel": {"id": "19:c@thread.skype", "name": "Design"},
                "team": {"id": "19:t@thread.skype", "name": "Contoso"},
                "tenant": {"id": "t-1"}
            }}),
        );
        assert_eq!(
            calls_for(a).await,
            vec![expected.to_owned()],
            "{event_type}"
        );
    }
}

#[tokio::test]
async fn recorded_team_member_added_gives_accounts_and_team() {
    assert_eq!(
        calls_for(recorded("msteams_conversation_update_team_member_added")).await,
        vec![format!(
            "teams_members_added:29:1OeqZAirv1xrSRIofsdOhqfIoSEZImcZoJELvXmhzoyn811wFf3whJ557yiWNHLw5VKK3DvhMMFh_Gpdo74o_XIy16bH3DjLUoxphFX5Pi_A|e830a11b-50fe-465a-810c-5c308099ca2b:{TEAM}/DaveTeams TEST"
        )]
    );
}

#[tokio::test]
async fn recorded_member_removed_and_group_chat_member_added() {
    let removed = calls_for(recorded("msteams_conversation_update_team_member_removed")).await;
    assert_eq!(removed.len(), 1);
    assert!(
        removed[0].starts_with("teams_members_removed:1:"),
        "{removed:?}"
    );
    let group = calls_for(recorded(
        "msteams_conversation_update_group_chat_member_added",
    ))
    .await;
    assert_eq!(group.len(), 1);
    assert!(
        group[0].starts_with("teams_members_added:29:1QbG"),
        "{group:?}"
    );
    assert!(
        group[0].ends_with(":-"),
        "no team in a group chat: {group:?}"
    );
}

#[tokio::test]
async fn the_bot_itself_is_left_out_of_members_added() {
    let a = recorded("msteams_conversation_update_team_member_added");
    let bot_id = a.recipient.clone().unwrap().id;
    let a = patched(
        "msteams_conversation_update_team_member_added",
        json!({"membersAdded": [{"id": bot_id}]}),
    );
    assert_eq!(calls_for(a).await, Vec::<String>::new());
}

#[tokio::test]
async fn members_fall_back_to_the_generic_handler() {
    let bot = Bare(Recorder::default());
    run(
        &bot,
        recorded("msteams_conversation_update_team_member_added"),
    )
    .await
    .result
    .unwrap();
    run(
        &bot,
        recorded("msteams_conversation_update_team_member_removed"),
    )
    .await
    .result
    .unwrap();
    assert_eq!(
        bot.0.take(),
        vec![
            "members_added:29:1OeqZAirv1xrSRIofsdOhqfIoSEZImcZoJELvXmhzoyn811wFf3whJ557yiWNHLw5VKK3DvhMMFh_Gpdo74o_XIy16bH3DjLUoxphFX5Pi_A".to_owned(),
            "members_removed:1".to_owned()
        ]
    );
}

#[tokio::test]
async fn other_channels_use_the_generic_conversation_update() {
    let a = patched(
        "msteams_conversation_update_channel_created",
        json!({"channelId": "webchat"}),
    );
    assert_eq!(calls_for(a).await, vec!["conversation_update"]);
}

// ----- messages -----

#[tokio::test]
async fn messages_reach_on_message_activity() {
    assert_eq!(
        calls_for(recorded("msteams_message_channel_mention")).await,
        vec!["message:<at>My Combined</at>1\n"]
    );
}

#[tokio::test]
async fn message_update_and_delete_by_event_type() {
    let edit = patched(
        "msteams_message_channel_mention",
        json!({"type": "messageUpdate", "text": "edited",
               "channelData": {"eventType": "editMessage", "tenant": {"id": "t"}}}),
    );
    let undelete = patched(
        "msteams_message_channel_mention",
        json!({"type": "messageUpdate", "text": "back",
               "channelData": {"eventType": "undeleteMessage", "tenant": {"id": "t"}}}),
    );
    let other_update = patched(
        "msteams_message_channel_mention",
        json!({"type": "messageUpdate", "channelData": {"tenant": {"id": "t"}}}),
    );
    let delete = patched(
        "msteams_message_channel_mention",
        json!({"type": "messageDelete", "id": "1571537152320",
               "channelData": {"eventType": "softDeleteMessage", "tenant": {"id": "t"}}}),
    );
    let other_delete = patched(
        "msteams_message_channel_mention",
        json!({"type": "messageDelete", "channelData": {"eventType": "x"}}),
    );
    assert_eq!(calls_for(edit).await, vec!["message_edit:edited"]);
    assert_eq!(calls_for(undelete).await, vec!["message_undelete:back"]);
    assert_eq!(calls_for(other_update).await, vec!["message_update"]);
    assert_eq!(
        calls_for(delete).await,
        vec!["message_soft_delete:1571537152320"]
    );
    assert_eq!(calls_for(other_delete).await, vec!["message_delete"]);
}

// ----- events -----

#[tokio::test]
async fn meeting_and_read_receipt_events() {
    let start = event(
        "application/vnd.microsoft.meetingStart",
        json!({"Id": "MCMxOTptZWV0aW5n", "MeetingType": "Scheduled",
               "JoinUrl": "https://teams.microsoft.com/l/meetup-join/x", "Title": "Standup",
               "StartTime": "2024-03-01T09:00:00.0000000Z"}),
    );
    let end = event(
        "application/vnd.microsoft.meetingEnd",
        json!({"Id": "MCMxOTptZWV0aW5n", "MeetingType": "Scheduled", "Title": "Standup",
               "JoinUrl": "https://teams.microsoft.com/l/meetup-join/x",
               "EndTime": "2024-03-01T09:15:00.0000000Z"}),
    );
    let join = event(
        "application/vnd.microsoft.meetingParticipantJoin",
        json!({"members": [{"user": {"id": "29:ada", "name": "Ada", "aadObjectId": "o-1",
                                     "tenantId": "t-1", "userRole": "user"},
                            "meeting": {"inMeeting": true, "role": "Organizer"}}]}),
    );
    let leave = event(
        "application/vnd.microsoft.meetingParticipantLeave",
        json!({"members": [{"user": {"id": "29:ada"}, "meeting": {"inMeeting": false}}]}),
    );
    let receipt = event(
        "application/vnd.microsoft.readReceipt",
        json!({"lastReadMessageId": "1700000000123"}),
    );
    let other = event("custom/thing", json!({}));
    assert_eq!(
        calls_for(start).await,
        vec!["meeting_start:MCMxOTptZWV0aW5n:Standup:2024-03-01T09:00:00.0000000Z"]
    );
    assert_eq!(
        calls_for(end).await,
        vec!["meeting_end:MCMxOTptZWV0aW5n:2024-03-01T09:15:00.0000000Z"]
    );
    assert_eq!(
        calls_for(join).await,
        vec!["participants_join:Ada/Organizer"]
    );
    assert_eq!(calls_for(leave).await, vec!["participants_leave:1"]);
    assert_eq!(calls_for(receipt).await, vec!["read_receipt:1700000000123"]);
    assert_eq!(calls_for(other).await, vec!["event:custom/thing"]);
}

#[tokio::test]
async fn a_malformed_meeting_event_is_a_typed_error() {
    let bad = event("application/vnd.microsoft.meetingStart", json!({"Id": 5}));
    let run = run(&Recorder::default(), bad).await;
    let error = run.result.unwrap_err();
    assert!(matches!(
        error.downcast_ref::<TeamsError>(),
        Some(TeamsError::InvalidPayload { .. })
    ));
}

/// Every Teams event whose payload does not read fails the turn with a typed error naming
/// the payload (never a panic, never a call with made-up values).
#[tokio::test]
async fn malformed_event_payloads_are_typed_errors() {
    let mut cases: Vec<(Activity, &str)> = Vec::new();
    for name in [
        "application/vnd.microsoft.meetingStart",
        "application/vnd.microsoft.meetingEnd",
        "application/vnd.microsoft.meetingParticipantJoin",
        "application/vnd.microsoft.meetingParticipantLeave",
        "application/vnd.microsoft.readReceipt",
    ] {
        for value in [json!("text"), json!([1]), json!(7)] {
            cases.push((event(name, value), name));
        }
    }
    cases.push((
        event(
            "application/vnd.microsoft.meetingParticipantJoin",
            json!({"members": [{"user": "not an account"}]}),
        ),
        "join with a bad member",
    ));
    cases.push((
        event(
            "application/vnd.microsoft.readReceipt",
            json!({"lastReadMessageId": 5}),
        ),
        "receipt with a numeric id",
    ));
    for (event_type, channel) in [
        ("channelCreated", json!("not an object")),
        ("teamRenamed", json!({"id": 1})),
    ] {
        let a = patched(
            "msteams_conversation_update_team_renamed",
            json!({"channelData": {"eventType": event_type, "channel": channel,
                                   "team": {"id": "19:t@thread.skype"}}}),
        );
        cases.push((a, event_type));
    }
    for (activity, what) in cases {
        let bot = Recorder::default();
        let run = run(&bot, activity).await;
        let error = run.result.expect_err(what);
        assert!(
            matches!(
                error.downcast_ref::<TeamsError>(),
                Some(TeamsError::InvalidPayload { .. })
            ),
            "{what}: {error}"
        );
        assert!(bot.take().is_empty(), "{what}: a handler ran");
    }
}

// ----- invokes -----

async fn invoke_answer(activity: Activity) -> (InvokeResponse, Vec<String>) {
    let bot = Recorder::default();
    let run = run(&bot, activity).await;
    run.result.unwrap();
    (run.invoke.expect("an invoke response"), bot.take())
}

#[tokio::test]
async fn recorded_compose_query_is_answered_with_results() {
    let (response, calls) = invoke_answer(recorded("msteams_invoke_compose_query")).await;
    assert_eq!(calls, vec!["query:searchQuery:ex:25"]);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.body.unwrap(),
        json!({"composeExtension": {
            "attachmentLayout": "list", "type": "result",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {"type": "AdaptiveCard"},
                "preview": {"contentType": "application/vnd.microsoft.card.thumbnail",
                            "content": {"title": "ex"}}
            }]
        }})
    );
}

#[tokio::test]
async fn recorded_query_link_is_unfurled() {
    let (response, calls) = invoke_answer(recorded("msteams_invoke_query_link")).await;
    assert_eq!(calls, vec!["query_link:https://foo.com/"]);
    assert_eq!(
        response.body.unwrap()["composeExtension"]["attachments"][0]["content"]["title"],
        "https://foo.com/"
    );
    let (response, calls) = invoke_answer(invoke(
        Some("composeExtension/anonymousQueryLink"),
        json!({"url": "https://foo.com/a"}),
    ))
    .await;
    assert_eq!(calls, vec!["anonymous_query_link:https://foo.com/a"]);
    assert_eq!(
        response.body.unwrap(),
        json!({"composeExtension": {"type": "message", "text": "sign in to see more"}})
    );
}

#[tokio::test]
async fn recorded_fetch_task_opens_a_task_module() {
    let (response, calls) = invoke_answer(recorded("msteams_invoke_fetch_task")).await;
    assert_eq!(calls, vec!["fetch_task:createWithPreview"]);
    assert_eq!(
        response.body.unwrap(),
        json!({"task": {"type": "continue", "value": {
            "title": "Create", "width": "medium", "height": 300,
            "card": {"contentType": "application/vnd.microsoft.card.adaptive",
                     "content": {"type": "AdaptiveCard"}}
        }}})
    );
}

#[tokio::test]
async fn recorded_preview_send_posts_the_preview() {
    let bot = Recorder::default();
    let run = run(&bot, recorded("msteams_invoke_submit_action_preview")).await;
    run.result.unwrap();
    assert_eq!(bot.take(), vec!["preview_send:1"]);
    let response = run.invoke.unwrap();
    assert_eq!((response.status, response.body), (200, Some(json!({}))));
    let sent = run.adapter.sent_activities();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].attachments()[0].content_type,
        "application/vnd.microsoft.card.adaptive"
    );
}

#[tokio::test]
async fn submit_action_routes_on_bot_message_preview_action() {
    let (response, calls) = invoke_answer(invoke(
        Some("composeExtension/submitAction"),
        json!({"commandId": "create", "commandContext": "compose", "data": {"title": "x"}}),
    ))
    .await;
    assert_eq!(calls, vec![r#"submit_action:{"title":"x"}"#]);
    let body = response.body.unwrap();
    assert_eq!(body["composeExtension"]["type"], "botMessagePreview");
    assert_eq!(
        body["composeExtension"]["activityPreview"]["attachments"][0]["content"]["title"],
        "preview"
    );

    let (response, calls) = invoke_answer(invoke(
        Some("composeExtension/submitAction"),
        json!({"commandId": "create", "botMessagePreviewAction": "edit",
               "botActivityPreview": [{"type": "message"}]}),
    ))
    .await;
    assert_eq!(calls, vec!["preview_edit:1"]);
    assert_eq!(
        response.body.unwrap(),
        json!({"task": {"type": "continue", "value": {"title": "Edit", "url": "https://x/edit"}}})
    );

    let (response, calls) = invoke_answer(invoke(
        Some("composeExtension/submitAction"),
        json!({"botMessagePreviewAction": "publish"}),
    ))
    .await;
    assert!(calls.is_empty());
    assert_eq!((response.status, response.body), (400, None));
}

#[tokio::test]
async fn recorded_task_fetch_and_submit() {
    let (response, calls) = invoke_answer(recorded("msteams_invoke_task_fetch")).await;
    assert_eq!(
        calls,
        vec![r#"task_fetch:"hidden value from task module launcher""#]
    );
    assert_eq!(
        response.body.unwrap(),
        json!({"task": {"type": "continue", "value": {
            "title": "Form", "width": "medium", "height": "small",
            "card": {"contentType": "application/vnd.microsoft.card.adaptive",
                     "content": {"type": "AdaptiveCard"}}
        }}})
    );
    let (response, calls) = invoke_answer(recorded("msteams_invoke_task_submit")).await;
    assert_eq!(calls, vec!["task_submit:some text"]);
    assert_eq!(
        response.body.unwrap(),
        json!({"task": {"type": "message", "value": "Got: some text"}})
    );
}

#[tokio::test]
async fn recorded_invoke_without_a_name_is_a_card_action() {
    let (response, calls) = invoke_answer(recorded("msteams_invoke_no_name")).await;
    assert_eq!(calls, vec!["card_action"]);
    assert_eq!(response.body.unwrap(), json!({"key": "value"}));
}

#[tokio::test]
async fn select_item_setting_and_card_button() {
    let (response, calls) = invoke_answer(invoke(
        Some("composeExtension/selectItem"),
        json!({"id": "42"}),
    ))
    .await;
    assert_eq!(calls, vec![r#"select_item:{"id":"42"}"#]);
    assert_eq!(response.status, 200);

    let (response, calls) = invoke_answer(invoke(
        Some("composeExtension/setting"),
        json!({"state": "saved"}),
    ))
    .await;
    assert_eq!(calls, vec![r#"setting:{"state":"saved"}"#]);
    assert_eq!((response.status, response.body), (200, None));

    let (response, calls) = invoke_answer(invoke(
        Some("composeExtension/onCardButtonClicked"),
        json!({"action": "like"}),
    ))
    .await;
    assert_eq!(calls, vec![r#"card_button_clicked:{"action":"like"}"#]);
    assert_eq!((response.status, response.body), (200, None));

    let (response, calls) = invoke_answer(invoke(
        Some("composeExtension/querySettingUrl"),
        json!({"commandId": "search", "parameters": []}),
    ))
    .await;
    assert_eq!(calls, vec!["query_setting_url:search"]);
    assert_eq!(
        response.body.unwrap(),
        json!({"composeExtension": {"type": "config", "suggestedActions": {"actions": [
            {"type": "openUrl", "title": "Settings", "value": "https://x/settings"}]}}})
    );
}

#[tokio::test]
async fn adaptive_card_action_execute_routes_by_verb() {
    let action = |verb: &str| {
        invoke(
            Some("adaptiveCard/action"),
            json!({"action": {"type": "Action.Execute", "id": "a1", "verb": verb,
                              "data": {"x": 1}},
                   "trigger": "manual"}),
        )
    };
    let (response, calls) = invoke_answer(action("approve")).await;
    assert_eq!(calls, vec!["adaptive_card:approve"]);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.body.unwrap(),
        json!({"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive",
               "value": {"type": "AdaptiveCard", "version": "1.4",
                         "body": [{"type": "TextBlock", "text": "Approved"}]}})
    );
    let (response, _) = invoke_answer(action("ping")).await;
    assert_eq!(
        response.body.unwrap(),
        json!({"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
               "value": "pong"})
    );
    // a verb the bot declines: 501 like BotBuilder
    let (response, _) = invoke_answer(action("unknown")).await;
    assert_eq!((response.status, response.body), (501, None));
}

#[tokio::test]
async fn adaptive_card_action_rejects_bad_values_with_error_bodies() {
    let (response, calls) = invoke_answer(invoke(Some("adaptiveCard/action"), Value::Null)).await;
    assert!(calls.is_empty());
    assert_eq!(response.status, 400);
    assert_eq!(
        response.body.unwrap(),
        json!({"statusCode": 400, "type": "application/vnd.microsoft.error",
               "value": {"code": "BadRequest", "message": "Missing value property"}})
    );
    let (response, _) = invoke_answer(invoke(
        Some("adaptiveCard/action"),
        json!({"action": {"type": "Action.Submit"}}),
    ))
    .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.body.unwrap()["value"]["code"], "NotSupported");
    for no_action in [json!({}), json!({"action": null, "trigger": "manual"})] {
        let (response, calls) = invoke_answer(invoke(Some("adaptiveCard/action"), no_action)).await;
        assert!(calls.is_empty());
        assert_eq!(response.status, 400);
        assert_eq!(
            response.body.unwrap()["value"],
            json!({"code": "BadRequest", "message": "Missing action property"})
        );
    }
}

#[tokio::test]
async fn a_failing_handler_fails_the_turn_without_an_invoke_response() {
    let failing = invoke(
        Some("adaptiveCard/action"),
        json!({"action": {"type": "Action.Execute", "verb": "boom"}}),
    );
    let bot = Recorder::default();
    let run = run(&bot, failing).await;
    assert!(run.result.is_err());
    assert_eq!(run.invoke, None, "no response body could carry the error");
}

#[tokio::test]
async fn file_consent_accept_and_decline() {
    let accept = invoke(
        Some("fileConsent/invoke"),
        json!({"type": "fileUpload", "action": "accept", "context": {"filename": "a.txt"},
               "uploadInfo": {"contentUrl": "https://contoso.sharepoint.com/a.txt",
                              "name": "a.txt", "uploadUrl": "https://upload.example/a",
                              "uniqueId": "1150D938", "fileType": "txt"}}),
    );
    let (response, calls) = invoke_answer(accept).await;
    assert_eq!(calls, vec!["file_accept:https://upload.example/a"]);
    assert_eq!((response.status, response.body), (200, None));
    let decline = invoke(
        Some("fileConsent/invoke"),
        json!({"type": "fileUpload", "action": "decline", "context": {"filename": "a.txt"}}),
    );
    let (_, calls) = invoke_answer(decline).await;
    assert_eq!(calls, vec![r#"file_decline:{"filename":"a.txt"}"#]);
    let other = invoke(Some("fileConsent/invoke"), json!({"action": "maybe"}));
    let (response, calls) = invoke_answer(other).await;
    assert!(calls.is_empty());
    assert_eq!(response.status, 400);
}

#[tokio::test]
async fn config_tab_feedback_and_connector_card_invokes() {
    let (response, calls) = invoke_answer(invoke(Some("config/fetch"), json!({"a": 1}))).await;
    assert_eq!(calls, vec![r#"config_fetch:{"a":1}"#]);
    assert_eq!(
        response.body.unwrap(),
        json!({"responseType": "config", "config": {"type": "continue",
               "value": {"title": "Configure", "url": "https://x/config"}}})
    );
    let (response, _) = invoke_answer(invoke(Some("config/submit"), json!({"b": 2}))).await;
    assert_eq!(
        response.body.unwrap(),
        json!({"responseType": "config", "config": {"type": "message", "value": "saved"}})
    );

    let (response, calls) = invoke_answer(invoke(
        Some("tab/fetch"),
        json!({"tabContext": {"tabEntityId": "homeTab"}, "context": {"theme": "dark"}}),
    ))
    .await;
    assert_eq!(calls, vec!["tab_fetch:homeTab"]);
    assert_eq!(
        response.body.unwrap(),
        json!({"tab": {"type": "continue", "value": {"cards": [{"card": {"type": "AdaptiveCard"}}]}}})
    );
    let (_, calls) = invoke_answer(invoke(
        Some("tab/submit"),
        json!({"tabContext": {"tabEntityId": "homeTab"}, "data": {"type": "tab/submit", "x": 1}}),
    ))
    .await;
    assert_eq!(calls, vec![r#"tab_submit:{"type":"tab/submit","x":1}"#]);

    let mut feedback = invoke(
        Some("message/submitAction"),
        json!({"actionName": "feedback", "actionValue": {"reaction": "like",
               "feedback": "{\"feedbackText\":\"Nice!\"}"}}),
    );
    feedback.reply_to_id = Some("1700000000123".into());
    let (response, calls) = invoke_answer(feedback).await;
    assert_eq!(calls, vec!["feedback:like:Nice!:1700000000123"]);
    assert_eq!((response.status, response.body), (200, None));

    let (response, calls) = invoke_answer(invoke(
        Some("actionableMessage/executeAction"),
        json!({"body": "{\"comment\":\"ok\"}", "actionId": "approve"}),
    ))
    .await;
    assert_eq!(calls, vec![r#"o365:approve:{"comment":"ok"}"#]);
    assert_eq!((response.status, response.body), (200, None));
}

#[tokio::test]
async fn invalid_invoke_values_are_answered_400() {
    for name in [
        "composeExtension/query",
        "task/fetch",
        "tab/fetch",
        "fileConsent/invoke",
    ] {
        let (response, calls) = invoke_answer(invoke(Some(name), json!("not an object"))).await;
        assert!(calls.is_empty(), "{name}");
        assert_eq!((response.status, response.body), (400, None), "{name}");
    }
    let (response, _) = invoke_answer(invoke(
        Some("composeExtension/query"),
        json!({"parameters": "nope"}),
    ))
    .await;
    assert_eq!(response.status, 400);
}

#[tokio::test]
async fn unknown_invokes_go_to_the_generic_handler() {
    let (response, calls) =
        invoke_answer(invoke(Some("signin/verifyState"), json!({"state": "123"}))).await;
    assert_eq!(calls, vec!["invoke:signin/verifyState"]);
    assert_eq!(response.status, 202);
}

#[tokio::test]
async fn every_unhandled_teams_invoke_answers_501() {
    let bot = Bare(Recorder::default());
    let cases = [
        (None, json!({"key": "value"})),
        (
            Some("adaptiveCard/action"),
            json!({"action": {"type": "Action.Execute", "verb": "v"}}),
        ),
        (Some("fileConsent/invoke"), json!({"action": "accept"})),
        (Some("fileConsent/invoke"), json!({"action": "decline"})),
        (
            Some("actionableMessage/executeAction"),
            json!({"actionId": "a"}),
        ),
        (
            Some("composeExtension/queryLink"),
            json!({"url": "https://x"}),
        ),
        (
            Some("composeExtension/anonymousQueryLink"),
            json!({"url": "https://x"}),
        ),
        (Some("composeExtension/query"), json!({"commandId": "c"})),
        (Some("composeExtension/selectItem"), json!({})),
        (Some("composeExtension/submitAction"), json!({})),
        (
            Some("composeExtension/submitAction"),
            json!({"botMessagePreviewAction": "edit"}),
        ),
        (
            Some("composeExtension/submitAction"),
            json!({"botMessagePreviewAction": "send"}),
        ),
        (Some("composeExtension/fetchTask"), json!({})),
        (Some("composeExtension/querySettingUrl"), json!({})),
        (Some("composeExtension/setting"), json!({})),
        (Some("composeExtension/onCardButtonClicked"), json!({})),
        (Some("task/fetch"), json!({})),
        (Some("task/submit"), json!({})),
        (Some("config/fetch"), json!({})),
        (Some("config/submit"), json!({})),
        (Some("tab/fetch"), json!({})),
        (Some("tab/submit"), json!({})),
        (
            Some("message/submitAction"),
            json!({"actionName": "feedback"}),
        ),
        // and an invoke nobody knows: the core default, also 501
        (Some("some/other"), json!({})),
    ];
    for (name, value) in cases {
        let run = run(&bot, invoke(name, value)).await;
        run.result.unwrap();
        let response = run.invoke.unwrap();
        assert_eq!((response.status, response.body), (501, None), "{name:?}");
    }
    assert!(bot.0.take().is_empty());
}

/// Every typed invoke, fed a missing value, a value of the wrong JSON kind, and an object whose
/// fields have the wrong types: a 400 with no body (an error card body for
/// `adaptiveCard/action`), the handler never called, and no panic.
#[tokio::test]
async fn every_typed_invoke_answers_400_to_a_malformed_value() {
    let wrong_fields = [
        ("adaptiveCard/action", json!({"action": "Action.Execute"})),
        ("fileConsent/invoke", json!({"action": 1})),
        (
            "actionableMessage/executeAction",
            json!({"actionId": ["a"]}),
        ),
        ("composeExtension/queryLink", json!({"url": 42})),
        ("composeExtension/anonymousQueryLink", json!({"url": {}})),
        (
            "composeExtension/query",
            json!({"parameters": [{"name": 1}]}),
        ),
        (
            "composeExtension/submitAction",
            json!({"botMessagePreviewAction": true}),
        ),
        (
            "composeExtension/submitAction",
            json!({"botActivityPreview": [{"type": 7}]}),
        ),
        ("composeExtension/fetchTask", json!({"commandId": 3})),
        (
            "composeExtension/querySettingUrl",
            json!({"queryOptions": "x"}),
        ),
        ("tab/fetch", json!({"tabContext": {"tabEntityId": 5}})),
        ("tab/submit", json!({"tabContext": "home"})),
        (
            "message/submitAction",
            json!({"actionName": {"feedback": 1}}),
        ),
    ];
    let names = [
        "adaptiveCard/action",
        "fileConsent/invoke",
        "actionableMessage/executeAction",
        "composeExtension/queryLink",
        "composeExtension/anonymousQueryLink",
        "composeExtension/query",
        "composeExtension/submitAction",
        "composeExtension/fetchTask",
        "composeExtension/querySettingUrl",
        "task/fetch",
        "task/submit",
        "tab/fetch",
        "tab/submit",
        "message/submitAction",
    ];
    let mut cases: Vec<(&str, Option<Value>)> = Vec::new();
    for name in names {
        cases.push((name, None));
        for bad in [
            json!(null),
            json!("text"),
            json!(12),
            json!(true),
            json!([{"a": 1}]),
        ] {
            cases.push((name, Some(bad)));
        }
    }
    cases.extend(wrong_fields.into_iter().map(|(n, v)| (n, Some(v))));
    for (name, value) in cases {
        let mut activity = invoke(Some(name), Value::Null);
        activity.value = value.clone();
        let bot = Recorder::default();
        let run = run(&bot, activity).await;
        run.result
            .unwrap_or_else(|e| panic!("{name} {value:?}: the turn failed: {e}"));
        let response = run.invoke.expect("an invoke response");
        assert_eq!(response.status, 400, "{name} {value:?}");
        if name == "adaptiveCard/action" {
            let body = response.body.expect("an error card body");
            assert_eq!(body["type"], "application/vnd.microsoft.error", "{value:?}");
            assert_eq!(body["statusCode"], 400, "{value:?}");
        } else {
            assert_eq!(response.body, None, "{name} {value:?}");
        }
        assert!(bot.take().is_empty(), "{name} {value:?}: the handler ran");
    }
}

/// The invokes BotBuilder hands over untyped (`JObject` / `any`: select item, setting, card
/// button, config fetch/submit) pass any value, even a missing one, to the handler as it is.
#[tokio::test]
async fn untyped_invokes_pass_any_value_through() {
    for (name, prefix) in [
        ("composeExtension/selectItem", "select_item:"),
        ("composeExtension/setting", "setting:"),
        (
            "composeExtension/onCardButtonClicked",
            "card_button_clicked:",
        ),
        ("config/fetch", "config_fetch:"),
        ("config/submit", "config_submit:"),
    ] {
        for value in [None, Some(json!("text")), Some(json!([1, 2]))] {
            let mut activity = invoke(Some(name), Value::Null);
            activity.value = value.clone();
            let (response, calls) = invoke_answer(activity).await;
            assert_eq!(response.status, 200, "{name} {value:?}");
            let expected = value.unwrap_or(Value::Null).to_string();
            assert_eq!(calls.len(), 1, "{name}");
            assert!(calls[0].starts_with(prefix), "{name}: {calls:?}");
            assert!(calls[0].ends_with(&expected), "{name}: {calls:?}");
        }
    }
}

/// `on_invoke_activity` (the invokes Teams does not specialise) may decline with the same
/// typed errors as the Teams methods.
#[tokio::test]
async fn other_invokes_may_decline_with_typed_errors() {
    struct Declines;
    #[async_trait]
    impl ActivityHandler for Declines {
        async fn on_invoke_activity(&self, ctx: &mut TurnContext) -> TurnResult<InvokeResponse> {
            match ctx.activity().name.as_deref() {
                Some("signin/verifyState") => Err(TeamsError::not_implemented("sign-in").into()),
                Some("signin/tokenExchange") => {
                    Err(TeamsError::bad_request("signin/tokenExchange", "no token").into())
                }
                _ => Err(std::io::Error::other("boom").into()),
            }
        }
    }
    #[async_trait]
    impl TeamsActivityHandler for Declines {}

    let statuses = [("signin/verifyState", 501), ("signin/tokenExchange", 400)];
    for (name, status) in statuses {
        let run = run(&Declines, invoke(Some(name), json!({"state": "1"}))).await;
        run.result.unwrap();
        let response = run.invoke.unwrap();
        assert_eq!((response.status, response.body), (status, None), "{name}");
    }
    let run = run(&Declines, invoke(Some("some/other"), json!({}))).await;
    assert!(run.result.is_err(), "any other error fails the turn (500)");
    assert_eq!(run.invoke, None);
}
