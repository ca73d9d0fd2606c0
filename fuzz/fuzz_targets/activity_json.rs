//! `Activity::from_json` on arbitrary bytes: never panics, and what parses round-trips.
//!
//! Invariants checked on every activity that parses:
//! - writing it and reading it back gives an equal activity, and writing that gives the same
//!   bytes (unknown fields and open enum values are kept, nothing is normalised twice);
//! - the helpers a turn uses on incoming activities (mentions, conversation reference,
//!   replies, typed entity and card views) never panic, and a conversation reference
//!   round-trips through JSON too.

#![no_main]

use botbuilder_schema::{
    Activity, AnimationCard, AudioCard, ClientInfo, ConversationReference, GeoCoordinates,
    HeroCard, Mention, OAuthCard, Place, ReceiptCard, SigninCard, Thing, ThumbnailCard, VideoCard,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(activity) = Activity::from_json(data) else {
        return;
    };

    let written = activity
        .to_json()
        .expect("an activity read from JSON can be written");
    let again = Activity::from_json(&written).expect("what we write reads back");
    assert_eq!(activity, again, "round trip changed the activity");
    let rewritten = again.to_json().expect("written twice");
    assert_eq!(
        String::from_utf8_lossy(&written),
        String::from_utf8_lossy(&rewritten),
        "writing is not stable"
    );

    // What a turn does with an incoming activity.
    let _ = activity.text();
    let _ = activity.has_content();
    let _ = activity.conversation_id();
    let _ = activity.mentions();
    let mut copy = activity.clone();
    let _ = copy.remove_recipient_mention();
    let _ = copy.remove_mention_text("");
    let reference = activity.conversation_reference();
    let _ = reference.validate();
    let bytes = serde_json::to_vec(&reference).expect("a reference can be written");
    let back: ConversationReference = serde_json::from_slice(&bytes).expect("and read back");
    assert_eq!(reference, back, "reference round trip");
    let mut continuation = reference.continuation_activity();
    continuation.apply_conversation_reference(&reference, true);
    let mut reply = activity.create_reply("reply");
    reply.apply_conversation_reference(&reference, false);
    let _ = reply.to_json();
    if let Some(timestamp) = &activity.timestamp {
        let _ = timestamp.to_utc();
    }
    if let Some(timestamp) = &activity.local_timestamp {
        let _ = timestamp.to_datetime();
    }

    for entity in activity.entities() {
        let _ = entity.as_typed::<Mention>();
        let _ = entity.as_typed::<GeoCoordinates>();
        let _ = entity.as_typed::<Place>();
        let _ = entity.as_typed::<Thing>();
        let _ = entity.as_typed::<ClientInfo>();
    }
    for attachment in activity.attachments() {
        let _ = attachment.as_card::<HeroCard>();
        let _ = attachment.as_card::<ThumbnailCard>();
        let _ = attachment.as_card::<SigninCard>();
        let _ = attachment.as_card::<OAuthCard>();
        let _ = attachment.as_card::<ReceiptCard>();
        let _ = attachment.as_card::<AnimationCard>();
        let _ = attachment.as_card::<AudioCard>();
        let _ = attachment.as_card::<VideoCard>();
    }
});
