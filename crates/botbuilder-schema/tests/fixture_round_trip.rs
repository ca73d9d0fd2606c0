//! Real channel payloads (tests/fixtures, see PROVENANCE.md) read and written back unchanged,
//! compared with what botbuilder-js and botbuilder-python made of the same payloads.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use botbuilder_schema::{
    Activity, ActivityTypes, ChannelId, ClientInfo, Entity, HeroCard, Mention, Timestamp,
};
use serde_json::{Value, json};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The channel payloads: every `*.json` that is not what js/py made of one.
fn channel_payloads() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures directory")
        .map(|entry| {
            entry
                .expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| {
            name.ends_with(".json")
                && !name.ends_with(".js_turn.json")
                && !name.ends_with(".py_roundtrip.json")
        })
        .collect();
    names.sort();
    names
}

fn read_value(name: &str) -> Value {
    let bytes = std::fs::read(fixtures_dir().join(name)).expect("fixture file");
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

fn read_activity(name: &str) -> Activity {
    let bytes = std::fs::read(fixtures_dir().join(name)).expect("fixture file");
    Activity::from_json(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Parses and writes back through `Activity`, as a bot would echo what it received.
fn round_trip(name: &str) -> Value {
    let activity = read_activity(name);
    let bytes = activity.to_json().expect("serialise");
    serde_json::from_slice(&bytes).expect("our output is JSON")
}

/// JSON pointers (RFC 6901) of every place where `a` and `b` differ: a key present in only one
/// of them, or different values. Arrays of different lengths differ as a whole.
fn diff_paths(a: Option<&Value>, b: Option<&Value>, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                diff_paths(x.get(key), y.get(key), &format!("{path}/{escaped}"), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) if x.len() == y.len() => {
            for (i, (xi, yi)) in x.iter().zip(y).enumerate() {
                diff_paths(Some(xi), Some(yi), &format!("{path}/{i}"), out);
            }
        }
        (a, b) if a != b => out.push(path.to_owned()),
        _ => {}
    }
}

#[test]
fn every_channel_payload_is_listed_in_provenance() {
    let provenance =
        std::fs::read_to_string(fixtures_dir().join("PROVENANCE.md")).expect("PROVENANCE.md");
    let listed: BTreeSet<String> = provenance
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|rest| rest.split(" |").next())
        .filter(|name| name.ends_with(".json"))
        .map(str::to_owned)
        .collect();
    let on_disk: BTreeSet<String> = channel_payloads().into_iter().collect();
    assert_eq!(listed, on_disk);
    assert!(
        on_disk.len() >= 30,
        "expected the full fixture set, found {}",
        on_disk.len()
    );
}

/// Every channel payload reads and writes back to an equal JSON value.
///
/// The one documented difference: a *modelled* field that the channel sent as `null` reads as
/// absent and is not written back (only `emulator_message_2018_null_id.json` has one, `"id":
/// null`). Those are stripped from the expected value; a `null` under a property we do not
/// model (in `extra`, `channelData`, `value`) is kept and written back as `null`.
#[test]
fn every_channel_payload_round_trips() {
    let mut stripped_nulls = Vec::new();
    for name in channel_payloads() {
        let mut expected = read_value(&name);
        let activity = read_activity(&name);
        let object = expected
            .as_object_mut()
            .expect("an activity is a JSON object");
        let modelled_nulls: Vec<String> = object
            .iter()
            .filter(|(key, value)| value.is_null() && !activity.extra.contains_key(*key))
            .map(|(key, _)| key.clone())
            .collect();
        for key in &modelled_nulls {
            object.remove(key);
            stripped_nulls.push(format!("{name}: {key}"));
        }

        let actual = round_trip(&name);
        let mut differences = Vec::new();
        diff_paths(Some(&expected), Some(&actual), "", &mut differences);
        assert!(differences.is_empty(), "{name} changed at {differences:?}");
    }
    assert_eq!(
        stripped_nulls,
        ["emulator_message_2018_null_id.json: id"],
        "only the Emulator's `\"id\": null` is a modelled null"
    );
    assert_eq!(read_activity("emulator_message_2018_null_id.json").id, None);
}

/// Wherever botbuilder-js (inside a turn) or botbuilder-python (deserialize + serialize) lost,
/// changed or added something, our round trip has exactly what the channel sent.
#[test]
fn we_keep_what_js_and_python_lost() {
    let mut compared = 0;
    let mut python_losses = 0;
    let mut js_losses = 0;
    for name in channel_payloads() {
        let original = read_value(&name);
        let ours = round_trip(&name);
        let stem = name.trim_end_matches(".json");
        for (suffix, losses) in [
            ("py_roundtrip", &mut python_losses),
            ("js_turn", &mut js_losses),
        ] {
            let sibling = fixtures_dir().join(format!("{stem}.{suffix}.json"));
            if !sibling.exists() {
                continue;
            }
            compared += 1;
            let theirs = read_value(&format!("{stem}.{suffix}.json"));
            let mut paths = Vec::new();
            diff_paths(Some(&original), Some(&theirs), "", &mut paths);
            for path in paths {
                *losses += 1;
                // `"id": null` is the one documented difference (read as absent).
                if name == "emulator_message_2018_null_id.json" && path == "/id" {
                    assert_eq!(ours.pointer(&path), None);
                    continue;
                }
                assert_eq!(
                    ours.pointer(&path),
                    original.pointer(&path),
                    "{name}: {suffix} changed {path}, and so did we"
                );
            }
        }
    }
    assert!(compared >= 50, "compared {compared} sibling files");
    assert!(python_losses > 30, "python lost {python_losses} things");
    assert!(js_losses > 30, "js changed {js_losses} things");
}

#[test]
fn python_dropped_tenant_and_entity_properties_we_keep_them() {
    // Teams: conversation.tenantId, mention and clientInfo properties.
    let py = read_value("msteams_message_channel_mention.py_roundtrip.json");
    assert_eq!(py.pointer("/conversation/tenantId"), None);
    assert_eq!(py.pointer("/entities/0/mentioned"), None);
    assert_eq!(py.pointer("/entities/1/platform"), None);
    let ours = round_trip("msteams_message_channel_mention.json");
    assert_eq!(
        ours["conversation"]["tenantId"],
        "72f988bf-86f1-41af-91ab-2d7cd011db47"
    );
    assert_eq!(
        ours["entities"][0]["mentioned"]["id"],
        "28:eac5e5c6-ab14-4f50-80cb-49213fe51b1a"
    );
    assert_eq!(ours["entities"][0]["text"], "<at>My Combined</at>");
    assert_eq!(
        ours["entities"][1],
        json!({"locale": "en-US", "country": "US", "platform": "Windows", "type": "clientInfo"})
    );

    // Emulator / Web Chat: ClientCapabilities properties.
    for name in ["emulator_message_2018_null_id", "webchat_message_2019"] {
        let py = read_value(&format!("{name}.py_roundtrip.json"));
        assert_eq!(py["entities"][0], json!({"type": "ClientCapabilities"}));
        let ours = round_trip(&format!("{name}.json"));
        assert_eq!(
            ours["entities"][0],
            json!({"type": "ClientCapabilities", "requiresBotState": true, "supportsListening": true, "supportsTts": true})
        );
    }
}

#[test]
fn offsets_and_precision_are_kept_where_js_and_python_normalised_them() {
    for (name, local) in [
        ("emulator_bot_reply_2018", "2018-06-22T08:46:01+02:00"),
        (
            "msteams_conversation_update_2017_local_offset",
            "2017-02-23T12:38:35.312-07:00",
        ),
        ("webchat_message_2026", "2026-03-02T12:44:42.728-05:00"),
    ] {
        let py = read_value(&format!("{name}.py_roundtrip.json"));
        let js = read_value(&format!("{name}.js_turn.json"));
        assert!(
            py["localTimestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{py}"
        );
        assert!(
            js["localTimestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{js}"
        );

        let activity = read_activity(&format!("{name}.json"));
        let ours = activity.local_timestamp.as_ref().expect("localTimestamp");
        assert_eq!(ours.as_str(), local);
        let expected: Timestamp = local.parse().expect("RFC 3339");
        assert_eq!(ours.to_datetime().offset(), expected.to_datetime().offset());
        assert_eq!(round_trip(&format!("{name}.json"))["localTimestamp"], local);
    }

    // Seven fractional digits: python keeps six, js three; we keep all seven.
    for name in ["webchat_message_2019", "msteams_conversation_update_tacv2"] {
        let original = read_value(&format!("{name}.json"))["timestamp"].clone();
        let py = read_value(&format!("{name}.py_roundtrip.json"))["timestamp"].clone();
        let js = read_value(&format!("{name}.js_turn.json"))["timestamp"].clone();
        assert_ne!(py, original);
        assert_ne!(js, original);
        assert_eq!(round_trip(&format!("{name}.json"))["timestamp"], original);
    }
}

#[test]
fn nothing_is_added_that_the_channel_did_not_send() {
    // botbuilder-js adds `callerId: null` and `rawTimestamp` to the turn's activity.
    let js = read_value("msteams_message_personal.js_turn.json");
    assert!(js.get("callerId").is_some() && js.get("rawTimestamp").is_some());
    let ours = round_trip("msteams_message_personal.json");
    assert_eq!(ours.get("callerId"), None);
    assert_eq!(ours.get("rawTimestamp"), None);
}

#[test]
fn typed_views_of_fixture_entities() {
    let mut activity = read_activity("msteams_message_channel_mention.json");
    let mentions = activity.mentions();
    assert_eq!(mentions.len(), 1);
    assert_eq!(
        mentions[0].mentioned.id,
        "28:eac5e5c6-ab14-4f50-80cb-49213fe51b1a"
    );
    assert_eq!(mentions[0].mentioned.name.as_deref(), Some("My Combined"));
    assert_eq!(mentions[0].text.as_deref(), Some("<at>My Combined</at>"));
    assert_eq!(activity.remove_recipient_mention(), "1");

    let info = activity.entities()[1]
        .as_typed::<ClientInfo>()
        .expect("a clientInfo entity")
        .expect("of the clientInfo shape");
    assert_eq!(info.locale.as_deref(), Some("en-US"));
    assert_eq!(info.country.as_deref(), Some("US"));
    assert_eq!(info.platform.as_deref(), Some("Windows"));
    assert_eq!(info.timezone, None);

    // Across every fixture: each mention and clientInfo reads as its typed view, and the
    // typed view writes back the same entity.
    let (mut mention_count, mut client_info_count, mut other_count) = (0, 0, 0);
    for name in channel_payloads() {
        for entity in read_activity(&name).entities() {
            if let Some(mention) = entity.as_typed::<Mention>() {
                let mention = mention.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(&Entity::from_typed(&mention).expect("writes"), entity);
                mention_count += 1;
            } else if let Some(info) = entity.as_typed::<ClientInfo>() {
                let info = info.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(&Entity::from_typed(&info).expect("writes"), entity);
                client_info_count += 1;
            } else {
                assert_eq!(entity.entity_type, "ClientCapabilities", "{name}");
                assert_eq!(entity.properties.get("supportsTts"), Some(&json!(true)));
                other_count += 1;
            }
        }
    }
    assert_eq!((mention_count, client_info_count, other_count), (2, 11, 3));
}

/// Adds fields this SDK does not model at every level of a Teams message.
fn teams_message_with_unknown_fields() -> Value {
    let mut wire = read_value("msteams_message_channel_mention.json");
    let future = |tag: &str| json!({"tag": tag, "list": [1, null, {"deep": [true]}], "none": null});
    wire["futureActivityField"] = future("activity");
    wire["futureNull"] = Value::Null;
    wire["from"]["userPrincipalName"] = json!("dave@example.com");
    wire["from"]["futureAccountField"] = future("from");
    wire["recipient"]["futureAccountField"] = future("recipient");
    wire["conversation"]["futureConversationField"] = future("conversation");
    wire["entities"][0]["futureEntityField"] = future("mention");
    wire["entities"][0]["mentioned"]["futureAccountField"] = future("mentioned");
    wire["entities"][1]["timezone"] = json!("America/Los_Angeles");
    wire["entities"][1]["futureEntityField"] = future("clientInfo");
    wire["entities"]
        .as_array_mut()
        .expect("entities")
        .push(json!({
            "type": "https://schema.org/Message",
            "@context": "https://schema.org",
            "@id": "",
            "additionalType": ["AIGeneratedContent"]
        }));
    wire["attachments"][0]["futureAttachmentField"] = future("attachment");
    wire["attachments"]
        .as_array_mut()
        .expect("attachments")
        .push(json!({
            "contentType": "application/vnd.microsoft.card.hero",
            "content": {
                "title": "Card",
                "futureCardField": future("card"),
                "images": [{"url": "https://example.com/i.png", "futureImageField": 1}],
                "buttons": [{"type": "imBack", "title": "Go", "value": "Go", "futureActionField": 2}]
            },
            "futureAttachmentField": 3
        }));
    wire["channelData"]["futureChannelDataField"] = future("channelData");
    wire["channelData"]["tenant"]["futureTenantField"] = json!(null);
    wire["suggestedActions"] = json!({
        "to": ["29:a"],
        "actions": [{"type": "imBack", "title": "x", "value": "x", "futureActionField": 1}],
        "futureSuggestedActionsField": future("suggestedActions")
    });
    wire["reactionsAdded"] = json!([{"type": "heart", "futureReactionField": 1}]);
    wire["textHighlights"] = json!([{"text": "x", "occurrence": 1, "futureHighlightField": 1}]);
    wire["semanticAction"] = json!({
        "id": "a", "state": "start", "entities": {"e": {"type": "x"}}, "futureSemanticField": 1
    });
    wire["relatesTo"] = json!({
        "activityId": "1", "channelId": "msteams", "serviceUrl": "https://smba.trafficmanager.net/amer/",
        "conversation": {"id": "19:x", "futureConversationField": 1},
        "futureReferenceField": future("relatesTo")
    });
    wire
}

#[test]
fn teams_message_with_unknown_fields_everywhere_round_trips() {
    let wire = teams_message_with_unknown_fields();
    let activity = Activity::from_json(wire.to_string().as_bytes()).expect("parses");

    // The unknown fields land in the `extra` map of the type that holds them.
    assert_eq!(activity.extra["futureActivityField"]["tag"], "activity");
    assert_eq!(activity.extra.get("futureNull"), Some(&Value::Null));
    let from = activity.from.as_ref().expect("from");
    assert_eq!(from.extra["userPrincipalName"], "dave@example.com");
    assert_eq!(from.extra["futureAccountField"]["tag"], "from");
    let conversation = activity.conversation.as_ref().expect("conversation");
    assert_eq!(
        conversation.extra["futureConversationField"]["tag"],
        "conversation"
    );
    assert_eq!(
        activity.attachments()[0].extra["futureAttachmentField"]["tag"],
        "attachment"
    );
    let mention = activity.mentions().remove(0);
    assert_eq!(mention.extra["futureEntityField"]["tag"], "mention");
    assert_eq!(
        mention.mentioned.extra["futureAccountField"]["tag"],
        "mentioned"
    );
    let info = activity.entities()[1]
        .as_typed::<ClientInfo>()
        .expect("clientInfo")
        .expect("shape");
    assert_eq!(info.timezone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(info.extra["futureEntityField"]["tag"], "clientInfo");
    let suggested = activity
        .suggested_actions
        .as_ref()
        .expect("suggestedActions");
    assert_eq!(suggested.actions[0].extra["futureActionField"], 1);
    assert_eq!(
        activity.relates_to.as_ref().expect("relatesTo").extra["futureReferenceField"]["tag"],
        "relatesTo"
    );

    // A card read from an attachment and converted back is the same attachment content.
    let card = activity.attachments()[1]
        .as_card::<HeroCard>()
        .expect("a hero card")
        .expect("of the hero card shape");
    assert_eq!(card.extra["futureCardField"]["tag"], "card");
    assert_eq!(
        card.clone().into_attachment().content,
        activity.attachments()[1].content
    );

    // And everything is written back.
    let back: Value = serde_json::from_slice(&activity.to_json().expect("writes")).expect("JSON");
    let mut differences = Vec::new();
    diff_paths(Some(&wire), Some(&back), "", &mut differences);
    assert!(differences.is_empty(), "changed at {differences:?}");

    // A clone, edited and written, keeps the unknown fields too.
    let mut edited = activity.clone();
    edited.text = Some("edited".into());
    let edited: Value = serde_json::to_value(&edited).expect("writes");
    assert_eq!(edited["text"], "edited");
    assert_eq!(edited["futureActivityField"], wire["futureActivityField"]);
}

#[test]
fn known_shapes_of_the_fixtures() {
    // A few facts about the fixtures, read through the typed API, so a regression in a
    // modelled field shows up by name and not only as a JSON difference.
    let update = read_activity("msteams_conversation_update_team_member_added.json");
    assert_eq!(update.activity_type, ActivityTypes::ConversationUpdate);
    assert_eq!(update.members_added().len(), 1);

    let invoke = read_activity("msteams_invoke_task_fetch.json");
    assert_eq!(invoke.activity_type, ActivityTypes::Invoke);
    assert_eq!(invoke.name.as_deref(), Some("task/fetch"));

    let slack = read_activity("slack_reaction_removed_channel_data.json");
    assert_eq!(slack.channel_id, Some(ChannelId::Slack));
    assert!(slack.channel_data.is_some());

    let typing = read_activity("webchat_typing_2026.json");
    assert_eq!(typing.activity_type, ActivityTypes::Typing);
    assert_eq!(typing.local_timezone.as_deref(), Some("America/Lima"));
}

#[test]
fn diff_paths_finds_every_difference() {
    let a = json!({"a": 1, "b": {"c": [1, 2], "n": null}, "d/e": null, "l": [1]});
    let b = json!({"a": 1, "b": {"c": [1, 3]}, "x": 0, "l": [1, 2]});
    let mut paths = Vec::new();
    diff_paths(Some(&a), Some(&b), "", &mut paths);
    assert_eq!(paths, ["/b/c/1", "/b/n", "/d~1e", "/l", "/x"]);
    paths.clear();
    diff_paths(Some(&a), Some(&a), "", &mut paths);
    assert!(paths.is_empty());
}
