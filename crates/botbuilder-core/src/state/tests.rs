use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use botbuilder_schema::{Activity, ChannelAccount, ChannelId, ConversationAccount};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;
use crate::storage::{ETags, MemoryStorage, Storage, StoreItems};
use crate::testing::TestAdapter;
use crate::{BotAdapterExt, bot_fn};

/// A storage that counts the calls it passes on.
#[derive(Clone, Default)]
struct Counting {
    inner: MemoryStorage,
    reads: Arc<AtomicUsize>,
    writes: Arc<AtomicUsize>,
}

#[async_trait]
impl Storage for Counting {
    async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read(keys).await
    }
    async fn write(&self, changes: StoreItems) -> Result<ETags, Error> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write(changes).await
    }
    async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
        self.inner.delete(keys).await
    }
}

impl Counting {
    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
    fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }
    async fn doc(&self, key: &str) -> Option<Value> {
        self.inner.read(&[key]).await.unwrap().remove(key)
    }
}

fn turn() -> TurnContext {
    let adapter = TestAdapter::new();
    let activity = adapter.make_activity("hi");
    TurnContext::new(Arc::new(adapter), activity)
}

fn turn_with(activity: Activity) -> TurnContext {
    TurnContext::new(Arc::new(TestAdapter::new()), activity)
}

const CONVERSATION_KEY: &str = "test/conversations/convo1";

#[test]
fn scope_keys_are_botbuilders() {
    let storage = MemoryStorage::new();
    let ctx = turn();
    let conversation = ConversationState::new(storage.clone());
    let user = UserState::new(storage.clone());
    let private = PrivateConversationState::new(storage.clone());
    assert_eq!(
        conversation.storage_key(&ctx).unwrap(),
        "test/conversations/convo1"
    );
    assert_eq!(user.storage_key(&ctx).unwrap(), "test/users/user1");
    assert_eq!(
        private.storage_key(&ctx).unwrap(),
        "test/conversations/convo1/users/user1"
    );

    // Ids are used as they are, unescaped, as BotBuilder does.
    let mut activity = Activity::message("hi");
    activity.channel_id = Some(ChannelId::Msteams);
    activity.conversation = Some(ConversationAccount::new(
        "19:abc@thread.tacv2;messageid=1610000000000",
    ));
    activity.from = Some(ChannelAccount::new("29:1Ab-Cd_EF"));
    let ctx = turn_with(activity);
    assert_eq!(
        conversation.storage_key(&ctx).unwrap(),
        "msteams/conversations/19:abc@thread.tacv2;messageid=1610000000000"
    );
    assert_eq!(
        user.storage_key(&ctx).unwrap(),
        "msteams/users/29:1Ab-Cd_EF"
    );
    assert_eq!(
        private.storage_key(&ctx).unwrap(),
        "msteams/conversations/19:abc@thread.tacv2;messageid=1610000000000/users/29:1Ab-Cd_EF"
    );
    assert_eq!(conversation.name(), "ConversationState");
    assert_eq!(user.name(), "UserState");
    assert_eq!(private.name(), "PrivateConversationState");
}

#[test]
fn namespaces_append_like_botbuilder_js() {
    let storage = MemoryStorage::new();
    let ctx = turn();
    // BotBuilder JS's default namespace is "", so its keys end with a slash.
    let js = ConversationState::with_namespace(storage.clone(), "");
    assert_eq!(js.storage_key(&ctx).unwrap(), "test/conversations/convo1/");
    let user = UserState::with_namespace(storage.clone(), "prefs");
    assert_eq!(user.storage_key(&ctx).unwrap(), "test/users/user1/prefs");
    let private = PrivateConversationState::with_namespace(storage, "x");
    assert_eq!(
        private.storage_key(&ctx).unwrap(),
        "test/conversations/convo1/users/user1/x"
    );
}

#[test]
fn custom_and_fixed_keys() {
    let storage = MemoryStorage::new();
    let ctx = turn();
    let fixed = BotState::with_fixed_key(storage.clone(), "bot/jobs");
    assert_eq!(fixed.storage_key(&ctx).unwrap(), "bot/jobs");
    let custom = BotState::with_key_fn(storage, "ByText", |ctx| {
        Ok(format!("texts/{}", ctx.activity().text()))
    });
    assert_eq!(custom.storage_key(&ctx).unwrap(), "texts/hi");
    assert_eq!(custom.name(), "ByText");
    assert!(format!("{custom:?}").contains("ByText"));
}

#[test]
fn missing_ids_are_schema_errors() {
    let storage = MemoryStorage::new();
    let mut activity = Activity::message("hi");
    let conversation = ConversationState::new(storage.clone());
    let user = UserState::new(storage.clone());
    let private = PrivateConversationState::new(storage);
    let e = conversation
        .storage_key(&turn_with(activity.clone()))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "missing field `channelId` to compute the conversation state key"
    );
    activity.channel_id = Some(ChannelId::Test);
    let e = conversation
        .storage_key(&turn_with(activity.clone()))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "missing field `conversation.id` to compute the conversation state key"
    );
    let e = user.storage_key(&turn_with(activity.clone())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "missing field `from.id` to compute the user state key"
    );
    activity.conversation = Some(ConversationAccount::new("c"));
    activity.from = Some(ChannelAccount::new(""));
    let e = private.storage_key(&turn_with(activity)).unwrap_err();
    assert!(matches!(
        e,
        Error::Schema(botbuilder_schema::SchemaError::MissingField {
            field: "from.id",
            ..
        })
    ));
}

#[test]
#[should_panic(expected = "`eTag` is reserved")]
fn etag_cannot_name_a_property() {
    let state = ConversationState::new(MemoryStorage::new());
    let _ = state.create_property::<String>("eTag");
}

#[tokio::test]
async fn get_is_none_until_set() {
    let storage = Counting::default();
    let state = ConversationState::new(storage.clone());
    let name = state.create_property::<String>("name");
    let mut ctx = turn();
    assert_eq!(name.get(&mut ctx).await.unwrap(), None);
    name.set(&mut ctx, "Ada".to_owned()).await.unwrap();
    assert_eq!(name.get(&mut ctx).await.unwrap().as_deref(), Some("Ada"));
    name.set(&mut ctx, &"Grace".to_owned()).await.unwrap();
    assert_eq!(name.get(&mut ctx).await.unwrap().as_deref(), Some("Grace"));
    assert_eq!(storage.reads(), 1, "state is read once per turn");
    assert_eq!(storage.writes(), 0, "nothing is written before saving");
    assert_eq!(name.name(), "name");
    assert_eq!(name.state().name(), "ConversationState");
}

#[tokio::test]
async fn get_or_default_stores_the_default() {
    let storage = Counting::default();
    let state = ConversationState::new(storage.clone());
    let count = state.create_property::<u32>("count");
    let mut ctx = turn();
    assert_eq!(count.get_or_default(&mut ctx).await.unwrap(), 0);
    assert!(state.is_changed(&ctx));
    state.save_changes(&mut ctx, false).await.unwrap();
    let doc = storage.doc(CONVERSATION_KEY).await.unwrap();
    assert_eq!(doc["count"], json!(0));
}

#[tokio::test]
async fn get_or_insert_with_calls_the_function_only_when_unset() {
    let state = ConversationState::new(MemoryStorage::new());
    let list = state.create_property::<Vec<u8>>("list");
    let mut ctx = turn();
    let calls = AtomicUsize::new(0);
    let make = || {
        calls.fetch_add(1, Ordering::SeqCst);
        vec![1, 2]
    };
    assert_eq!(
        list.get_or_insert_with(&mut ctx, make).await.unwrap(),
        vec![1, 2]
    );
    let make_again = || {
        calls.fetch_add(1, Ordering::SeqCst);
        vec![9]
    };
    assert_eq!(
        list.get_or_insert_with(&mut ctx, make_again).await.unwrap(),
        vec![1, 2]
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn delete_removes_the_property() {
    let state = ConversationState::new(MemoryStorage::new());
    let a = state.create_property::<u8>("a");
    let b = state.create_property::<u8>("b");
    let mut ctx = turn();
    a.set(&mut ctx, 1).await.unwrap();
    b.set(&mut ctx, 2).await.unwrap();
    a.delete(&mut ctx).await.unwrap();
    assert_eq!(a.get(&mut ctx).await.unwrap(), None);
    assert_eq!(b.get(&mut ctx).await.unwrap(), Some(2));
    a.delete(&mut ctx).await.unwrap();
    assert_eq!(
        state.cached_state(&ctx).map(|s| Value::Object(s.clone())),
        Some(json!({"b": 2}))
    );
}

#[tokio::test]
async fn update_changes_in_place_and_returns() {
    let state = ConversationState::new(MemoryStorage::new());
    let count = state.create_property::<u64>("count");
    let mut ctx = turn();
    assert_eq!(
        count
            .update(&mut ctx, |c| {
                *c += 5;
                *c
            })
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        count
            .update(&mut ctx, |c| {
                *c += 1;
                *c * 10
            })
            .await
            .unwrap(),
        60
    );
    assert_eq!(count.get(&mut ctx).await.unwrap(), Some(6));
}

#[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
struct Profile {
    name: String,
    #[serde(default)]
    tags: Vec<String>,
}

#[tokio::test]
async fn any_serde_type_round_trips_through_storage() {
    let storage = MemoryStorage::new();
    let state = UserState::new(storage.clone());
    let profile = state.create_property::<Profile>("profile");
    let map = state.create_property::<HashMap<String, Option<f64>>>("scores");
    let mut ctx = turn();
    let p = Profile {
        name: "Ada".into(),
        tags: vec!["math".into()],
    };
    profile.set(&mut ctx, &p).await.unwrap();
    map.set(
        &mut ctx,
        HashMap::from([("x".to_owned(), Some(1.5)), ("y".to_owned(), None)]),
    )
    .await
    .unwrap();
    state.save_changes(&mut ctx, false).await.unwrap();

    let mut next = turn();
    assert_eq!(profile.get(&mut next).await.unwrap(), Some(p));
    assert_eq!(map.get(&mut next).await.unwrap().unwrap()["y"], None);
}

#[tokio::test]
async fn a_value_of_another_type_is_a_read_error_naming_the_property() {
    let state = ConversationState::new(MemoryStorage::new());
    let as_text = state.create_property::<String>("shared");
    let as_number = state.create_property::<u32>("shared");
    let mut ctx = turn();
    as_text
        .set(&mut ctx, "not a number".to_owned())
        .await
        .unwrap();
    let e = as_number.get(&mut ctx).await.unwrap_err();
    assert!(matches!(&e, Error::StateRead { property, .. } if property == "shared"));
    assert_eq!(e.to_string(), "state property \"shared\" could not be read");
    let reported = crate::error::report(&e).to_string();
    assert!(
        reported.starts_with("state property \"shared\" could not be read: invalid type"),
        "{reported}"
    );
    assert!(as_number.update(&mut ctx, |n| *n += 1).await.is_err());
}

#[tokio::test]
async fn a_value_that_does_not_serialize_is_a_write_error_naming_the_property() {
    let state = ConversationState::new(MemoryStorage::new());
    let bad = state.create_property::<HashMap<(u8, u8), u8>>("grid");
    let mut ctx = turn();
    let e = bad
        .set(&mut ctx, HashMap::from([((1, 2), 3)]))
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::StateWrite { property, .. } if property == "grid"));
    assert!(!state.is_changed(&ctx));
}

#[tokio::test]
async fn saves_only_if_changed() {
    let storage = Counting::default();
    let state = ConversationState::new(storage.clone());
    let count = state.create_property::<u32>("count");

    // Not read in the turn: nothing to save, even forced.
    let mut ctx = turn();
    state.save_changes(&mut ctx, true).await.unwrap();
    assert_eq!((storage.reads(), storage.writes()), (0, 0));

    // Read, not changed: no write.
    assert_eq!(count.get(&mut ctx).await.unwrap(), None);
    state.save_changes(&mut ctx, false).await.unwrap();
    assert_eq!(storage.writes(), 0);

    // Changed: one write; saving again without changes writes nothing.
    count.set(&mut ctx, 1).await.unwrap();
    state.save_changes(&mut ctx, false).await.unwrap();
    state.save_changes(&mut ctx, false).await.unwrap();
    assert_eq!(storage.writes(), 1);

    // A change back to what is stored is no change.
    count.set(&mut ctx, 2).await.unwrap();
    count.set(&mut ctx, 1).await.unwrap();
    state.save_changes(&mut ctx, false).await.unwrap();
    assert_eq!(storage.writes(), 1);

    // Forced: written even unchanged, with the eTag of the last save (no conflict).
    state.save_changes(&mut ctx, true).await.unwrap();
    assert_eq!(storage.writes(), 2);

    // Saving twice in a turn works: each save carries the eTag the last one returned.
    count.set(&mut ctx, 3).await.unwrap();
    state.save_changes(&mut ctx, false).await.unwrap();
    assert_eq!(storage.writes(), 3);
    assert_eq!(storage.reads(), 1);
    assert_eq!(
        storage.doc(CONVERSATION_KEY).await.unwrap()["count"],
        json!(3)
    );
}

#[tokio::test]
async fn load_reads_once_unless_forced() {
    let storage = Counting::default();
    let state = ConversationState::new(storage.clone());
    let count = state.create_property::<u32>("count");
    let mut ctx = turn();
    state.load(&mut ctx, false).await.unwrap();
    state.load(&mut ctx, false).await.unwrap();
    assert_eq!(storage.reads(), 1);
    count.set(&mut ctx, 4).await.unwrap();
    state.load(&mut ctx, true).await.unwrap();
    assert_eq!(storage.reads(), 2);
    assert_eq!(
        count.get(&mut ctx).await.unwrap(),
        None,
        "force drops unsaved changes"
    );
}

#[tokio::test]
async fn clones_share_a_cache_but_separate_scopes_do_not() {
    let storage = Counting::default();
    let state = ConversationState::new(storage.clone());
    let clone = state.clone();
    let mut ctx = turn();
    state
        .create_property::<u8>("a")
        .set(&mut ctx, 1)
        .await
        .unwrap();
    assert_eq!(
        clone
            .create_property::<u8>("a")
            .get(&mut ctx)
            .await
            .unwrap(),
        Some(1)
    );
    let separate = ConversationState::new(storage.clone());
    assert_eq!(
        separate
            .create_property::<u8>("a")
            .get(&mut ctx)
            .await
            .unwrap(),
        None
    );
    assert_eq!(storage.reads(), 2);
}

#[tokio::test]
async fn clear_state_empties_and_saves_the_empty_document() {
    let storage = Counting::default();
    let state = ConversationState::new(storage.clone());
    let a = state.create_property::<u8>("a");
    let mut ctx = turn();
    a.set(&mut ctx, 1).await.unwrap();
    state.save_changes(&mut ctx, false).await.unwrap();

    let mut ctx = turn();
    state.clear_state(&mut ctx).await.unwrap();
    assert_eq!(a.get(&mut ctx).await.unwrap(), None);
    state.save_changes(&mut ctx, false).await.unwrap();
    let doc = storage.doc(CONVERSATION_KEY).await.unwrap();
    assert_eq!(doc.as_object().map(|o| o.len()), Some(1));
    assert!(doc["eTag"].is_string());
}

#[tokio::test]
async fn delete_removes_the_document_and_the_cache() {
    let storage = Counting::default();
    let state = ConversationState::new(storage.clone());
    let a = state.create_property::<u8>("a");
    let mut ctx = turn();
    a.set(&mut ctx, 1).await.unwrap();
    state.save_changes(&mut ctx, false).await.unwrap();
    state.delete(&mut ctx).await.unwrap();
    assert!(state.cached_state(&ctx).is_none());
    assert_eq!(storage.doc(CONVERSATION_KEY).await, None);
    // Saving after a delete writes nothing; reading again starts from nothing.
    state.save_changes(&mut ctx, false).await.unwrap();
    assert_eq!(a.get(&mut ctx).await.unwrap(), None);
    assert_eq!(storage.doc(CONVERSATION_KEY).await, None);
}

#[tokio::test]
async fn a_concurrent_save_is_a_conflict_not_an_overwrite() {
    let storage = MemoryStorage::new();
    let state = ConversationState::new(storage.clone());
    let count = state.create_property::<u32>("count");
    count.set(&mut turn(), 0).await.unwrap();

    // Two turns of one conversation, interleaved: both read, both change, both save.
    let (mut first, mut second) = (turn(), turn());
    count.update(&mut first, |c| *c += 1).await.unwrap();
    count.update(&mut second, |c| *c += 10).await.unwrap();
    state.save_changes(&mut first, false).await.unwrap();
    let e = state.save_changes(&mut second, false).await.unwrap_err();
    assert!(matches!(&e, Error::StorageConflict { key } if key == CONVERSATION_KEY));
    assert!(e.is_conflict());
    assert!(
        state.is_changed(&second),
        "the losing turn keeps its changes, unsaved"
    );

    // The loser reads again and redoes its change: nothing is lost.
    state.load(&mut second, true).await.unwrap();
    count.update(&mut second, |c| *c += 10).await.unwrap();
    state.save_changes(&mut second, false).await.unwrap();
    let stored = storage.read(&[CONVERSATION_KEY]).await.unwrap();
    assert_eq!(stored[CONVERSATION_KEY]["count"], json!(11));
}

#[tokio::test]
async fn two_turns_creating_the_state_conflict_too() {
    let storage = MemoryStorage::new();
    let state = ConversationState::new(storage.clone());
    let count = state.create_property::<u32>("count");
    let (mut first, mut second) = (turn(), turn());
    count.set(&mut first, 1).await.unwrap();
    count.set(&mut second, 2).await.unwrap();
    state.save_changes(&mut first, false).await.unwrap();
    let e = state.save_changes(&mut second, true).await.unwrap_err();
    assert!(e.is_conflict(), "{e}");
}

#[tokio::test]
async fn documents_keep_botbuilders_shape_and_foreign_properties() {
    let storage = MemoryStorage::new();
    // What a C# or JS bot stored: one field per property; JS also writes its eTag field.
    let foreign = json!({
        "DialogState": {"dialogStack": [{"id": "root", "state": {}}]},
        "count": 5,
        "eTag": "*"
    });
    storage
        .write(StoreItems::from([(CONVERSATION_KEY.to_owned(), foreign)]))
        .await
        .unwrap();
    let state = ConversationState::new(storage.clone());
    let count = state.create_property::<u32>("count");
    let mut ctx = turn();
    assert_eq!(
        count
            .update(&mut ctx, |c| {
                *c += 1;
                *c
            })
            .await
            .unwrap(),
        6
    );
    state.save_changes(&mut ctx, false).await.unwrap();
    let mut stored = storage
        .read(&[CONVERSATION_KEY])
        .await
        .unwrap()
        .remove(CONVERSATION_KEY)
        .unwrap();
    assert!(stored["eTag"].is_string());
    stored.as_object_mut().unwrap().remove("eTag");
    assert_eq!(
        stored,
        json!({"DialogState": {"dialogStack": [{"id": "root", "state": {}}]}, "count": 6})
    );
}

#[tokio::test]
async fn a_stored_non_object_is_an_invalid_document() {
    #[derive(Default)]
    struct Broken;
    #[async_trait]
    impl Storage for Broken {
        async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
            Ok(keys.iter().map(|k| ((*k).to_owned(), json!([1]))).collect())
        }
        async fn write(&self, _: StoreItems) -> Result<ETags, Error> {
            Ok(ETags::new())
        }
        async fn delete(&self, _: &[&str]) -> Result<(), Error> {
            Ok(())
        }
    }
    let state = ConversationState::new(Broken);
    let e = state.load(&mut turn(), false).await.unwrap_err();
    assert!(matches!(&e, Error::InvalidDocument { key, .. } if key == CONVERSATION_KEY));
}

#[tokio::test]
async fn state_set_saves_every_scope_even_after_a_failure() {
    let storage = Counting::default();
    let conversation = ConversationState::new(storage.clone());
    let user = UserState::new(storage.clone());
    let set = BotStateSet::new()
        .with(conversation.clone())
        .with(user.clone());
    let mut ctx = turn();
    set.load_all(&mut ctx, false).await.unwrap();
    assert_eq!(storage.reads(), 2);
    conversation
        .create_property::<u8>("c")
        .set(&mut ctx, 1)
        .await
        .unwrap();
    user.create_property::<u8>("u")
        .set(&mut ctx, 2)
        .await
        .unwrap();

    // Someone else changes the conversation: its save conflicts, the user's still happens.
    storage
        .inner
        .write(StoreItems::from([(
            CONVERSATION_KEY.to_owned(),
            json!({"other": true}),
        )]))
        .await
        .unwrap();
    let e = set.save_all_changes(&mut ctx, false).await.unwrap_err();
    assert!(e.is_conflict());
    assert_eq!(
        storage.doc("test/users/user1").await.unwrap()["u"],
        json!(2)
    );
    assert_eq!(set.states().len(), 2);
}

#[tokio::test]
async fn auto_save_saves_after_successful_turns_only() {
    let storage = Counting::default();
    let state = ConversationState::new(storage.clone());
    let count = state.create_property::<u32>("count");
    let adapter = TestAdapter::new()
        .with_middleware(AutoSaveStateMiddleware::default().with(state.clone()))
        .with_on_turn_error(crate::turn_error_handler(async |_, _| {}));
    let bot = bot_fn(async move |ctx| {
        count.update(ctx, |c| *c += 1).await?;
        if ctx.activity().text() == "fail" {
            return Err("the bot failed".into());
        }
        Ok(())
    });
    adapter.send_text("one", &bot).await.unwrap();
    adapter.send_text("two", &bot).await.unwrap();
    assert!(adapter.send_text("fail", &bot).await.is_err());
    assert_eq!(
        storage.doc(CONVERSATION_KEY).await.unwrap()["count"],
        json!(2)
    );
    assert_eq!(storage.writes(), 2);
}

#[tokio::test]
async fn auto_save_saves_proactive_turns() {
    let storage = MemoryStorage::new();
    let state = ConversationState::new(storage.clone());
    let last = state.create_property::<String>("last");
    let adapter = TestAdapter::new().with_middleware(AutoSaveStateMiddleware::new(
        BotStateSet::new().with(state.clone()),
    ));
    let reference = adapter.reference_for(&ChannelAccount::new("user1"), "proactive-1");
    adapter
        .continue_conversation(reference, async move |ctx| {
            last.set(ctx, "from a job".to_owned()).await?;
            Ok(())
        })
        .await
        .unwrap();
    let key = "test/conversations/proactive-1";
    let stored = storage.read(&[key]).await.unwrap();
    assert_eq!(stored[key]["last"], json!("from a job"));
}

#[tokio::test]
async fn auto_save_conflicts_reach_on_turn_error() {
    let storage = MemoryStorage::new();
    let state = ConversationState::new(storage.clone());
    let count = state.create_property::<u32>("count");
    let errors = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = errors.clone();
    let adapter = TestAdapter::new()
        .with_middleware(AutoSaveStateMiddleware::default().with(state.clone()))
        .with_on_turn_error(crate::turn_error_handler(async move |_, e| {
            seen.lock().unwrap().push(e.to_string());
        }));
    let meddler = storage.clone();
    let bot = bot_fn(async move |ctx| {
        let (count, meddler) = (count.clone(), meddler.clone());
        count.update(ctx, |c| *c += 1).await?;
        // Another instance of the bot saves the same conversation meanwhile.
        meddler
            .write(StoreItems::from([(
                CONVERSATION_KEY.to_owned(),
                json!({"count": 100}),
            )]))
            .await?;
        Ok(())
    });
    let e = adapter.send_text("hi", &bot).await.unwrap_err();
    assert!(e.is_conflict());
    assert_eq!(
        errors.lock().unwrap().as_slice(),
        [format!(
            "storage conflict on {CONVERSATION_KEY:?}: the document changed since it was read"
        )]
    );
    let stored = storage.read(&[CONVERSATION_KEY]).await.unwrap();
    assert_eq!(stored[CONVERSATION_KEY]["count"], json!(100));
}
