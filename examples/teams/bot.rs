//! The Teams bot: welcomes new members, answers @mentions, searches a catalogue from a message
//! extension, runs a vote on an Adaptive Card that updates for everyone, collects ideas in a
//! task module, and notes when meetings start and end.
//!
//! No HTTP here: `main.rs` serves it, and `tests/example_teams.rs` drives it with recorded
//! Teams payloads over HTTP.

use botbuilder::prelude::*;
use botbuilder::schema::{ActionTypes, CardFactory, HeroCard, ThumbnailCard};
use botbuilder::teams::events::{MeetingEndEventDetails, MeetingStartEventDetails};
use botbuilder::teams::invoke::{
    AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue, MessagingExtensionAttachment,
    MessagingExtensionQuery, MessagingExtensionResponse, MessagingExtensionResult,
    TaskModuleRequest, TaskModuleResponse, TaskModuleTaskInfo, with_refresh,
};
use botbuilder::teams::mention::{mention, with_mention};
use botbuilder::teams::models::{TeamInfo, TeamsChannelAccount};
use botbuilder::teams::{TeamsActivityHandler, TeamsError, TeamsInfo, dispatch_teams_activity};
use serde_json::{Value, json};

/// The catalogue the message extension searches: (name, what it is, where to read more).
pub(crate) const CATALOGUE: &[(&str, &str, &str)] = &[
    (
        "serde",
        "Serialize and deserialize Rust data structures",
        "https://serde.rs",
    ),
    (
        "tokio",
        "An asynchronous runtime for Rust",
        "https://tokio.rs",
    ),
    (
        "axum",
        "Web framework built on tokio and tower",
        "https://docs.rs/axum",
    ),
    (
        "reqwest",
        "An ergonomic HTTP client",
        "https://docs.rs/reqwest",
    ),
    (
        "regex",
        "Regular expressions with linear-time matching",
        "https://docs.rs/regex",
    ),
    (
        "tracing",
        "Structured, async-aware diagnostics",
        "https://docs.rs/tracing",
    ),
    (
        "thiserror",
        "derive(Error) for your error types",
        "https://docs.rs/thiserror",
    ),
];

/// The verb of the vote card's button.
pub(crate) const VOTE_VERB: &str = "vote";
/// The verb the card's refresh runs for the voters' clients.
pub(crate) const REFRESH_VERB: &str = "refresh";

/// The example's bot.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TeamsBot;

/// Catalogue entries whose name or description contains `text` (all of them for an empty
/// text), at most `count`.
pub(crate) fn search(text: &str, count: usize) -> Vec<(&'static str, &'static str, &'static str)> {
    let needle = text.trim().to_lowercase();
    CATALOGUE
        .iter()
        .filter(|(name, about, _)| {
            needle.is_empty() || name.contains(&needle) || about.to_lowercase().contains(&needle)
        })
        .take(count)
        .copied()
        .collect()
}

/// The vote card: its question, who voted, a button, and a refresh for the voters so that
/// their clients fetch the current card whenever they show it.
pub(crate) fn vote_card(voters: &[(String, String)]) -> Value {
    let names: Vec<&str> = voters.iter().map(|(_, name)| name.as_str()).collect();
    let tally = match names.len() {
        0 => "No votes yet.".to_owned(),
        1 => format!("1 vote: {}", names[0]),
        n => format!("{n} votes: {}", names.join(", ")),
    };
    let data = json!({"voters": voters
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect::<Vec<_>>()});
    let card = json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": "Team lunch on Friday?", "weight": "bolder", "size": "medium"},
            {"type": "TextBlock", "text": tally, "wrap": true}
        ],
        "actions": [
            {"type": "Action.Execute", "title": "I'm in", "verb": VOTE_VERB, "data": data.clone()}
        ]
    });
    let ids = voters.iter().map(|(id, _)| id.clone());
    with_refresh(card, REFRESH_VERB, ids, data)
}

/// The voters carried in an `Action.Execute`'s data.
fn voters_of(data: Option<&Value>) -> Vec<(String, String)> {
    data.and_then(|d| d.get("voters"))
        .and_then(Value::as_array)
        .map(|voters| {
            voters
                .iter()
                .filter_map(|v| {
                    Some((
                        v.get("id")?.as_str()?.to_owned(),
                        v.get("name")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A card whose button opens the idea form (a task module).
pub(crate) fn idea_launcher() -> Attachment {
    CardFactory::adaptive_card(json!({
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": "Got an idea for the team?", "wrap": true}],
        "actions": [{"type": "Action.Submit", "title": "Share an idea",
                     "data": {"msteams": {"type": "task/fetch"}, "form": "idea"}}]
    }))
}

/// The idea form, shown in the task module.
pub(crate) fn idea_form() -> Attachment {
    CardFactory::adaptive_card(json!({
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": "Your idea", "weight": "bolder"},
            {"type": "Input.Text", "id": "idea", "isMultiline": true, "placeholder": "Friday demos?"}
        ],
        "actions": [{"type": "Action.Submit", "title": "Post"}]
    }))
}

fn display_name(member: &TeamsChannelAccount) -> String {
    member
        .given_name
        .clone()
        .or_else(|| member.name.clone())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "there".to_owned())
}

const HELP: &str = "I can run a vote (`vote`), collect an idea (`idea`), start a thread \
                    (`post <channel>: <text>`) and message every member (`tell everyone: <text>`); \
                    search the catalogue from the message extension.";

#[async_trait]
impl ActivityHandler for TeamsBot {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        dispatch_teams_activity(self, ctx).await
    }

    /// A message: in a channel the bot only gets those that @mention it (the mention is
    /// already stripped by `RemoveMentionMiddleware`).
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let text = ctx.activity().text().trim().to_owned();
        let (command, rest) = text.split_once(' ').unwrap_or((text.as_str(), ""));
        match command.to_lowercase().as_str() {
            "vote" => {
                let card = CardFactory::adaptive_card(vote_card(&[]));
                ctx.send_activity(Activity::message("").with_attachment(card))
                    .await?;
            }
            "idea" => {
                ctx.send_activity(Activity::message("").with_attachment(idea_launcher()))
                    .await?;
            }
            "post" => post_to_channel(ctx, rest).await?,
            "tell" => tell_everyone(ctx, rest).await?,
            "status" => batch_status(ctx, rest.trim()).await?,
            _ => {
                let Some(from) = ctx.activity().from.clone() else {
                    return Ok(());
                };
                let (at, entity) = mention(&from);
                let reply = Activity::message(format!("{at}, {HELP}")).with_entity(entity);
                ctx.send_activity(reply).await?;
            }
        }
        Ok(())
    }
}

/// `post <channel>: <text>`: starts a new thread in a channel of the team, found by name
/// (TeamsInfo: the team's channels, then a message to a channel).
async fn post_to_channel(ctx: &mut TurnContext, args: &str) -> TurnResult {
    let Some((channel_name, text)) = args.split_once(':') else {
        ctx.send_activity("Say `post <channel>: <text>`.").await?;
        return Ok(());
    };
    let (channel_name, text) = (channel_name.trim(), text.trim());
    let teams = TeamsInfo::for_turn(ctx)?;
    if teams.team_id().is_none() {
        ctx.send_activity("Ask me in a team's channel.").await?;
        return Ok(());
    }
    let channels = teams.get_team_channels(None).await?;
    // The General channel has no name in Teams' answer.
    let found = channels.iter().find(|c| {
        c.name
            .as_deref()
            .unwrap_or("General")
            .eq_ignore_ascii_case(channel_name)
    });
    let Some(channel) = found else {
        ctx.send_activity(format!("There is no channel called {channel_name}."))
            .await?;
        return Ok(());
    };
    let (reference, _) = teams
        .send_message_to_teams_channel(&Activity::message(text), &channel.id)
        .await?;
    let thread = reference.conversation.map(|c| c.id).unwrap_or_default();
    tracing::info!(%thread, "started a thread");
    ctx.send_activity(format!("Posted in {channel_name}."))
        .await?;
    Ok(())
}

/// `tell everyone: <text>`: a 1:1 message to every member of the team, with the batch API.
async fn tell_everyone(ctx: &mut TurnContext, args: &str) -> TurnResult {
    let text = args
        .trim()
        .strip_prefix("everyone")
        .map(|t| t.trim_start_matches(':').trim())
        .unwrap_or_default();
    if text.is_empty() {
        ctx.send_activity("Say `tell everyone: <text>`.").await?;
        return Ok(());
    }
    let teams = TeamsInfo::for_turn(ctx)?;
    let (Some(team), Some(tenant)) = (teams.team_id(), teams.tenant_id()) else {
        ctx.send_activity("Ask me in a team's channel.").await?;
        return Ok(());
    };
    let operation = teams
        .info()
        .send_message_to_all_users_in_team(&Activity::message(text), team, tenant)
        .await?;
    ctx.send_activity(format!(
        "Sending it to every member. `status {operation}` tells how far it got."
    ))
    .await?;
    Ok(())
}

/// `status <operation>`: how far a batch send got.
async fn batch_status(ctx: &mut TurnContext, operation: &str) -> TurnResult {
    let teams = TeamsInfo::for_turn(ctx)?;
    let state = teams.info().get_operation_state(operation).await?;
    let done: u64 = state.status_map.values().sum();
    ctx.send_activity(format!(
        "{}: {done} of {} sent.",
        state.state, state.total_entries_count
    ))
    .await?;
    Ok(())
}

#[async_trait]
impl TeamsActivityHandler for TeamsBot {
    async fn on_teams_members_added(
        &self,
        members: Vec<TeamsChannelAccount>,
        team: Option<TeamInfo>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let place = team
            .and_then(|t| t.name)
            .map(|name| format!(" to {name}"))
            .unwrap_or_default();
        for member in members {
            let account = ChannelAccount {
                name: Some(display_name(&member)),
                ..ChannelAccount::new(member.id.clone())
            };
            let greeting = with_mention(Activity::message(format!("Welcome{place},")), &account);
            ctx.send_activity(greeting).await?;
        }
        Ok(())
    }

    async fn on_teams_messaging_extension_query(
        &self,
        query: MessagingExtensionQuery,
        _ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        let text = if query.is_initial_run() {
            ""
        } else {
            query.parameter("searchQuery").unwrap_or_default()
        };
        let count = query
            .query_options
            .as_ref()
            .and_then(|o| o.count)
            .unwrap_or(10) as usize;
        let results = search(text, count)
            .into_iter()
            .map(|(name, about, url)| {
                let card = HeroCard::new(name)
                    .with_text(about)
                    .with_button(CardAction::open_url("Read more", url))
                    .into_attachment();
                let preview = ThumbnailCard::new(name)
                    .with_text(about)
                    .with_tap(CardAction::new(
                        ActionTypes::from("invoke"),
                        name,
                        json!({"name": name}),
                    ))
                    .into_attachment();
                MessagingExtensionAttachment::new(card, Some(preview))
            })
            .collect();
        Ok(MessagingExtensionResult::list(results).into())
    }

    async fn on_teams_messaging_extension_select_item(
        &self,
        item: Value,
        _ctx: &mut TurnContext,
    ) -> TurnResult<MessagingExtensionResponse> {
        let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
        let Some((name, about, url)) = CATALOGUE.iter().find(|(n, _, _)| *n == name) else {
            return Ok(MessagingExtensionResult::message(format!(
                "{name} is not in the catalogue"
            ))
            .into());
        };
        let card = HeroCard::new(*name)
            .with_text(*about)
            .with_button(CardAction::open_url("Read more", *url))
            .into_attachment();
        Ok(
            MessagingExtensionResult::list(vec![MessagingExtensionAttachment::new(card, None)])
                .into(),
        )
    }

    /// `Action.Execute`: a vote adds the user, updates the message for everyone, and returns
    /// the new card to the voter; a refresh returns the current card.
    async fn on_adaptive_card_invoke(
        &self,
        value: AdaptiveCardInvokeValue,
        ctx: &mut TurnContext,
    ) -> TurnResult<AdaptiveCardInvokeResponse> {
        let mut voters = voters_of(value.action.data.as_ref());
        match value.verb() {
            REFRESH_VERB => Ok(AdaptiveCardInvokeResponse::card(vote_card(&voters))),
            VOTE_VERB => {
                let from = ctx.activity().from.clone().unwrap_or_default();
                if !voters.iter().any(|(id, _)| *id == from.id) {
                    let name = from.name.clone().unwrap_or_else(|| "someone".to_owned());
                    voters.push((from.id.clone(), name));
                }
                let card = vote_card(&voters);
                // Everyone else sees the new card because the message itself changes.
                if let Some(message_id) = ctx.activity().reply_to_id.clone() {
                    let mut update = Activity::message("")
                        .with_attachment(CardFactory::adaptive_card(card.clone()));
                    update.id = Some(message_id);
                    ctx.update_activity(update).await?;
                }
                Ok(AdaptiveCardInvokeResponse::card(card))
            }
            other => Err(TeamsError::not_implemented(format!("verb {other}")).into()),
        }
    }

    async fn on_teams_task_module_fetch(
        &self,
        _request: TaskModuleRequest,
        _ctx: &mut TurnContext,
    ) -> TurnResult<TaskModuleResponse> {
        Ok(TaskModuleResponse::continue_with(
            TaskModuleTaskInfo::card("Share an idea", idea_form()).with_size("medium", "small"),
        ))
    }

    async fn on_teams_task_module_submit(
        &self,
        request: TaskModuleRequest,
        ctx: &mut TurnContext,
    ) -> TurnResult<TaskModuleResponse> {
        let idea = request
            .data
            .as_ref()
            .and_then(|d| d.get("idea"))
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default()
            .to_owned();
        if idea.is_empty() {
            return Ok(TaskModuleResponse::message(
                "Nothing to post: the idea was empty.",
            ));
        }
        let from = ctx.activity().from.clone().unwrap_or_default();
        let idea_by = with_mention(Activity::message("New idea from"), &from);
        let text = format!("{}: {idea}", idea_by.text());
        let mut post = Activity::message(text);
        post.entities = idea_by.entities;
        ctx.send_activity(post).await?;
        Ok(TaskModuleResponse::message("Thanks! Your idea is posted."))
    }

    async fn on_teams_meeting_start(
        &self,
        meeting: MeetingStartEventDetails,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let title = meeting.title.unwrap_or_else(|| "The meeting".to_owned());
        let at = meeting.start_time.unwrap_or_default();
        ctx.send_activity(format!("{title} started ({at})."))
            .await?;
        Ok(())
    }

    async fn on_teams_meeting_end(
        &self,
        meeting: MeetingEndEventDetails,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let title = meeting.title.unwrap_or_else(|| "The meeting".to_owned());
        let at = meeting.end_time.unwrap_or_default();
        ctx.send_activity(format!("{title} ended ({at}).")).await?;
        Ok(())
    }
}
