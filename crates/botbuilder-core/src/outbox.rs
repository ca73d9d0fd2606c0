//! [`Outbox`]: proactive messages that must not be lost, kept in the bot's [`Storage`] until
//! the channel has them.
//!
//! A proactive send can fail: the channel is down, throttles, or the network drops. The
//! outbox first **records** the message (a conversation reference and the activities to
//! send) in the store, then **delivers** it through the adapter
//! ([`crate::BotAdapterExt::continue_conversation`]). What fails is retried by a background worker
//! ([`Outbox::spawn`]) with exponential backoff and jitter, until it is delivered or, after
//! [`OutboxPolicy::give_up_after`] (24 hours by default), given up and kept, visible, as
//! failed.
//!
//! - **Visible**: [`Outbox::entries`] lists what is pending or failed, with its attempts, last
//!   error and next try; [`Outbox::retry`] and [`Outbox::discard`] act on one.
//! - **Restarts**: entries live in the store, and an index document
//!   (`{namespace}/index`, changed through a [`SharedDocument`]) lists them (the store cannot
//!   list its keys): a new process's worker picks up what the last one left.
//! - **Several instances**: an entry is *claimed* before it is delivered, by writing a lease
//!   (owner, expiry) into it under its eTag, so two instances never both deliver it; a
//!   crashed claimer's lease expires after [`OutboxPolicy::lease`] and another instance takes
//!   over.
//! - **Exactly once, as far as the store allows**: activities are sent one at a time, and
//!   what was sent is recorded before a retry, so a retry sends only the rest. The one window
//!   left: a crash (or a lost store) between the channel's `200` and the store's write of
//!   "delivered" leaves the entry pending, and it is sent again when the lease expires. There
//!   it is *at least once*, never lost.
//! - **Idempotent sends**: a message given an id ([`ProactiveMessage::with_id`], such as
//!   `job-42`) is recorded once; sending it again answers [`Delivery::Duplicate`]. Entries with
//!   an id of your choosing leave a small tombstone document when delivered, so a duplicate is
//!   recognized later too; entries with a random id are deleted.
//!
//! Times come from an injectable wall clock ([`Outbox::with_clock`]; by default the system
//! time advanced by tokio's clock) and waits from tokio's timer, so tests move time without
//! sleeping.
//!
//! ```
//! use std::sync::Arc;
//! use botbuilder_core::outbox::{Delivery, Outbox, ProactiveMessage};
//! use botbuilder_core::schema::{Activity, ChannelAccount};
//! use botbuilder_core::storage::{MemoryStorage, Storage};
//! use botbuilder_core::testing::TestAdapter;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), botbuilder_core::Error> {
//! let store: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
//! let adapter = Arc::new(TestAdapter::new());
//! let outbox = Outbox::new(store);
//! // Retries what fails, until the worker is dropped.
//! let _worker = outbox.spawn(adapter.clone());
//!
//! let reference = adapter.reference_for(&ChannelAccount::new("user1"), "convo1");
//! let message = ProactiveMessage::new(reference, vec![Activity::message("Your job is done.")])
//!     .with_id("job-42");
//! assert_eq!(outbox.send(adapter.as_ref(), message.clone()).await?, Delivery::Delivered);
//! let sent = adapter.next_reply("convo1").map(|a| a.text().to_owned());
//! assert_eq!(sent.as_deref(), Some("Your job is done."));
//! // The same id again: recorded once, sent once.
//! assert!(matches!(outbox.send(adapter.as_ref(), message).await?, Delivery::Duplicate { .. }));
//! assert!(outbox.entries().await?.is_empty());
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use botbuilder_schema::{Activity, ConversationReference};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Notify;

use crate::storage::backend::{document_with_e_tag, random_e_tag};
use crate::storage::{ETAG_FIELD, ETAG_NEW, SharedDocument, Storage, StoreItems, jittered};
use crate::{BotAdapter, BotAdapterExt, ChannelFailure, Error};

/// The namespace of an outbox's documents unless [`Outbox::with_namespace`] says otherwise.
pub const DEFAULT_NAMESPACE: &str = "botbuilder/outbox";

/// How an [`Outbox`] retries, and how long it holds an entry while delivering it.
///
/// ```
/// use std::time::Duration;
/// use botbuilder_core::outbox::OutboxPolicy;
///
/// let policy = OutboxPolicy {
///     give_up_after: Duration::from_secs(3600),
///     ..OutboxPolicy::default()
/// };
/// assert_eq!(policy.first_retry, Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxPolicy {
    /// The longest wait before the first retry (each wait is random, between half of its
    /// ceiling and all of it). Default 5 s.
    pub first_retry: Duration,
    /// The ceiling the doubling waits stop at. Default 10 minutes.
    pub max_retry: Duration,
    /// How long after it was recorded a message that still fails is given up (kept, as
    /// [`EntryState::Failed`]). Default 24 hours.
    pub give_up_after: Duration,
    /// How long a claim on an entry lasts: longer than a delivery can take (the connector's
    /// own retries included). Another instance takes over an entry whose claimer crashed
    /// after this. Default 5 minutes: more than the HTTP connector's own retries of a
    /// throttled send can take (3 waits of at most 60 s, by default).
    pub lease: Duration,
    /// How often the worker looks for entries that other instances recorded, or that fell due
    /// meanwhile. Default 30 s.
    pub poll_interval: Duration,
}

impl Default for OutboxPolicy {
    fn default() -> Self {
        Self {
            first_retry: Duration::from_secs(5),
            max_retry: Duration::from_secs(600),
            give_up_after: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(300),
            poll_interval: Duration::from_secs(30),
        }
    }
}

/// A proactive message to deliver: where, what, and optionally an id that makes sending it
/// idempotent.
#[derive(Clone, Debug, PartialEq)]
pub struct ProactiveMessage {
    /// The conversation to send into.
    pub reference: ConversationReference,
    /// The activities to send, in order.
    pub activities: Vec<Activity>,
    /// The entry's id; random when `None`.
    pub id: Option<String>,
}

impl ProactiveMessage {
    /// Activities to send into the conversation of `reference`.
    #[must_use]
    pub fn new(reference: ConversationReference, activities: Vec<Activity>) -> Self {
        Self {
            reference,
            activities,
            id: None,
        }
    }

    /// Gives the entry an id of your choosing (such as `job-42`), so that sending the same
    /// message twice records and delivers it once ([`Delivery::Duplicate`]). At most 200
    /// characters.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
}

/// What [`Outbox::send`] came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The channel has the message.
    Delivered,
    /// The first attempt failed; the message is recorded and the worker retries it.
    Queued {
        /// The entry's id.
        id: String,
        /// Why the first attempt failed.
        error: String,
        /// What the channel did, when it said (throttled, refused, unreachable); see
        /// [`Error::channel_failure`].
        channel: Option<ChannelFailure>,
    },
    /// The message can never be delivered as it is (its reference lacks a service URL, the
    /// adapter cannot continue conversations on that channel): it is kept as
    /// [`EntryState::Failed`], visible, and not retried.
    Failed {
        /// The entry's id.
        id: String,
        /// Why it cannot be delivered.
        error: String,
    },
    /// A message with this id was recorded before (pending, delivered or given up); nothing
    /// was recorded or sent now.
    Duplicate {
        /// The entry's id.
        id: String,
    },
}

/// Where an entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntryState {
    /// Not delivered yet; retried when due.
    Pending,
    /// Delivered (kept only as the tombstone of an entry with a chosen id).
    Delivered,
    /// Given up after [`OutboxPolicy::give_up_after`]; kept until [retried](Outbox::retry) or
    /// [discarded](Outbox::discard).
    Failed,
}

/// A claim on an entry by one outbox (instance) until a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    /// The claiming outbox's id (random per [`Outbox`] value).
    pub owner: String,
    /// When the claim ends, in milliseconds since the Unix epoch.
    pub until_ms: u64,
}

/// One recorded message, as the store keeps it and [`Outbox::entries`] lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    /// Its id.
    pub id: String,
    /// Where it stands.
    pub state: EntryState,
    /// The conversation it goes to.
    pub reference: ConversationReference,
    /// The activities, in order.
    pub activities: Vec<Activity>,
    /// How many of `activities` the channel already has (a retry sends the rest).
    pub sent: usize,
    /// When it was recorded, in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// How many deliveries were tried.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it is tried next, in milliseconds since the Unix epoch.
    pub next_attempt_ms: u64,
    /// The claim of the outbox delivering it, if any.
    pub lease: Option<Lease>,
}

impl OutboxEntry {
    /// When it was recorded.
    #[must_use]
    pub fn created_at(&self) -> SystemTime {
        from_millis(self.created_ms)
    }

    /// When it is tried next.
    #[must_use]
    pub fn next_attempt_at(&self) -> SystemTime {
        from_millis(self.next_attempt_ms)
    }
}

/// What one [`Outbox::deliver_due`] pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Entries delivered.
    pub delivered: usize,
    /// Entries that failed again and wait for their next try.
    pub retrying: usize,
    /// Entries given up in this pass.
    pub given_up: usize,
    /// When the earliest pending entry is due next, if any.
    pub next_due: Option<SystemTime>,
}

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The index: the id of every entry not yet delivered, with when it was recorded (ms).
type Index = BTreeMap<String, u64>;

/// A durable outbox for proactive messages; see the [module docs](self). Cheap to clone;
/// clones share their id (one instance) and their worker's wake-up.
#[derive(Clone)]
pub struct Outbox {
    storage: Arc<dyn Storage>,
    namespace: Arc<str>,
    index: SharedDocument<Index>,
    policy: OutboxPolicy,
    clock: Clock,
    owner: Arc<str>,
    wake: Arc<Notify>,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("namespace", &self.namespace)
            .field("owner", &self.owner)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// The background worker of an [`Outbox`]; it stops when dropped (or [stopped](Self::stop)).
#[derive(Debug)]
pub struct OutboxWorker {
    task: tokio::task::JoinHandle<()>,
}

impl OutboxWorker {
    /// Stops the worker and waits until it has. A delivery it was making is abandoned; its
    /// lease expires and a worker delivers it later.
    pub async fn stop(self) {
        self.task.abort();
        let _ = (&mut { self }.task).await;
    }
}

impl Drop for OutboxWorker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The longest id a caller may choose.
const MAX_ID_LEN: usize = 200;

impl Outbox {
    /// An outbox keeping its entries in `storage`, under [`DEFAULT_NAMESPACE`].
    #[must_use]
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        Self {
            index: index_document(&storage, DEFAULT_NAMESPACE),
            storage,
            namespace: Arc::from(DEFAULT_NAMESPACE),
            policy: OutboxPolicy::default(),
            clock: tokio_wall_clock(),
            owner: Arc::from(random_e_tag()),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Keeps entries under another namespace (key prefix): two bots sharing a store use two.
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        let namespace: String = namespace.into();
        self.index = index_document(&self.storage, &namespace);
        self.namespace = Arc::from(namespace);
        self
    }

    /// Retries and leases as `policy` says.
    #[must_use]
    pub fn with_policy(mut self, policy: OutboxPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Reads the wall-clock time from `clock` (tests move it by hand). The default is the
    /// system's time when the outbox was made, advanced by tokio's clock since, so that
    /// `tokio::time::pause()` and `advance` move it in tests.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &OutboxPolicy {
        &self.policy
    }

    /// Records `message`, then tries to deliver it at once through `adapter`.
    ///
    /// Returns [`Delivery::Delivered`] when the channel has it, [`Delivery::Queued`] when the
    /// attempt failed (the worker retries it: run one with [`spawn`](Self::spawn)), and
    /// [`Delivery::Duplicate`] when a message with its id was recorded before.
    ///
    /// Do not await it inside a turn of the conversation it sends to from another
    /// conversation's turn: like `continue_conversation`, it waits for that conversation.
    ///
    /// # Errors
    /// Storage errors while recording (then nothing was sent); [`Error::Schema`] when the
    /// reference lacks a conversation or the id is empty or too long.
    pub async fn send(
        &self,
        adapter: &dyn BotAdapter,
        message: ProactiveMessage,
    ) -> Result<Delivery, Error> {
        let (entry, e_tag) = match self.record(message, true).await? {
            Recorded::New(entry, e_tag) => (*entry, e_tag),
            Recorded::Duplicate(id) => return Ok(Delivery::Duplicate { id }),
        };
        let id = entry.id.clone();
        match self.attempt(adapter, entry, e_tag).await? {
            Attempted::Delivered => Ok(Delivery::Delivered),
            Attempted::Failed {
                error,
                given_up: true,
                ..
            } => Ok(Delivery::Failed { id, error }),
            Attempted::Failed { error, channel, .. } => {
                self.wake.notify_one();
                Ok(Delivery::Queued { id, error, channel })
            }
        }
    }

    /// Records `message` for the worker to deliver, without trying now. Returns the entry's
    /// id, or `None` when a message with its id was recorded before.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn enqueue(&self, message: ProactiveMessage) -> Result<Option<String>, Error> {
        match self.record(message, false).await? {
            Recorded::New(entry, _) => {
                self.wake.notify_one();
                Ok(Some(entry.id))
            }
            Recorded::Duplicate(_) => Ok(None),
        }
    }

    /// The entries pending or given up, oldest first.
    ///
    /// # Errors
    /// Storage errors; [`Error::StateRead`] when a stored entry is not one.
    pub async fn entries(&self) -> Result<Vec<OutboxEntry>, Error> {
        let index = self.index.read().await?;
        let mut ids: Vec<(&String, &u64)> = index.iter().collect();
        ids.sort_by_key(|(id, created)| (**created, (*id).clone()));
        let keys: Vec<String> = ids.iter().map(|(id, _)| self.entry_key(id)).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut documents = if refs.is_empty() {
            StoreItems::new()
        } else {
            self.storage.read(&refs).await?
        };
        let mut entries = Vec::new();
        for key in &keys {
            if let Some(document) = documents.remove(key) {
                let (entry, _) = parse_entry(key, document)?;
                if entry.state != EntryState::Delivered {
                    entries.push(entry);
                }
            }
        }
        Ok(entries)
    }

    /// Makes a given-up (or pending) entry due now, with a fresh time budget. Returns whether
    /// there was such an entry.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn retry(&self, id: &str) -> Result<bool, Error> {
        let now = self.now_ms();
        let changed = self
            .change_entry(id, |entry| {
                if entry.state == EntryState::Delivered {
                    return false;
                }
                entry.state = EntryState::Pending;
                entry.created_ms = now;
                entry.next_attempt_ms = now;
                entry.lease = None;
                true
            })
            .await?;
        if changed {
            self.wake.notify_one();
        }
        Ok(changed)
    }

    /// Drops an entry that is not delivered (it will not be sent). Returns whether there was
    /// one.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn discard(&self, id: &str) -> Result<bool, Error> {
        let key = self.entry_key(id);
        let stored = self.storage.read(&[&key]).await?.remove(&key);
        let undelivered = match stored {
            Some(document) => parse_entry(&key, document)?.0.state != EntryState::Delivered,
            None => false,
        };
        if undelivered {
            self.storage.delete(&[&key]).await?;
        }
        let listed = self.index.update(|index| index.remove(id)).await?;
        Ok(undelivered || listed.is_some())
    }

    /// One pass of the worker: claims every entry that is due, delivers it, and records the
    /// outcome. Entries another instance holds are skipped.
    ///
    /// # Errors
    /// Storage errors reading the index or the entries.
    pub async fn deliver_due(&self, adapter: &dyn BotAdapter) -> Result<Pass, Error> {
        let index = self.index.read().await?;
        let mut pass = Pass::default();
        for id in index.keys() {
            let now = self.now_ms();
            let key = self.entry_key(id);
            let Some(document) = self.storage.read(&[&key]).await?.remove(&key) else {
                // Discarded meanwhile: nothing to deliver.
                self.index.update(|index| index.remove(id)).await?;
                continue;
            };
            let (mut entry, e_tag) = parse_entry(&key, document)?;
            match entry.state {
                EntryState::Delivered => {
                    // Delivered, but the index was not told (a crash in between).
                    self.index.update(|index| index.remove(id)).await?;
                    continue;
                }
                EntryState::Failed => continue,
                EntryState::Pending => {}
            }
            let held = entry
                .lease
                .as_ref()
                .is_some_and(|lease| lease.until_ms > now);
            if held || entry.next_attempt_ms > now {
                let due = if held {
                    entry.lease.as_ref().map_or(now, |l| l.until_ms)
                } else {
                    entry.next_attempt_ms
                };
                pass.next_due = Some(
                    pass.next_due
                        .map_or(from_millis(due), |d| d.min(from_millis(due))),
                );
                continue;
            }
            // Claim it: a lease written under the eTag read; a conflict means another
            // instance claimed it first.
            entry.lease = Some(self.lease(now));
            let e_tag = match self.write_entry(&entry, &e_tag).await {
                Ok(e_tag) => e_tag,
                Err(e) if e.is_conflict() => continue,
                Err(e) => return Err(e),
            };
            match self.attempt(adapter, entry, e_tag).await? {
                Attempted::Delivered => pass.delivered += 1,
                Attempted::Failed { given_up: true, .. } => pass.given_up += 1,
                Attempted::Failed {
                    next_attempt_ms, ..
                } => {
                    pass.retrying += 1;
                    let due = from_millis(next_attempt_ms);
                    pass.next_due = Some(pass.next_due.map_or(due, |d| d.min(due)));
                }
            }
        }
        Ok(pass)
    }

    /// Runs the worker until the future is dropped: delivers what is due, then waits until
    /// the next entry is due, a [`send`](Self::send) queues one, or
    /// [`OutboxPolicy::poll_interval`] passes (to find entries other instances recorded). A
    /// storage error is logged and the pass tried again after the poll interval.
    pub async fn run(self, adapter: Arc<dyn BotAdapter>) {
        loop {
            let wait = match self.deliver_due(adapter.as_ref()).await {
                Ok(pass) => {
                    if pass.delivered + pass.retrying + pass.given_up > 0 {
                        tracing::info!(
                            delivered = pass.delivered,
                            retrying = pass.retrying,
                            given_up = pass.given_up,
                            "outbox pass"
                        );
                    }
                    pass.next_due
                        .map_or(self.policy.poll_interval, |due| {
                            due.duration_since((self.clock)()).unwrap_or(Duration::ZERO)
                        })
                        .clamp(
                            Duration::from_millis(1),
                            self.policy.poll_interval.max(Duration::from_millis(1)),
                        )
                }
                Err(error) => {
                    tracing::error!(%error, "the outbox could not be read; trying again later");
                    self.policy.poll_interval
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// Spawns [`run`](Self::run) on the tokio runtime; the worker stops when the returned
    /// handle is dropped. Run one per process (more do no harm: leases keep them apart).
    #[must_use = "the worker stops when its handle is dropped"]
    pub fn spawn(&self, adapter: Arc<dyn BotAdapter>) -> OutboxWorker {
        OutboxWorker {
            task: tokio::spawn(self.clone().run(adapter)),
        }
    }

    // ---- internals ----

    fn now_ms(&self) -> u64 {
        to_millis((self.clock)())
    }

    fn lease(&self, now: u64) -> Lease {
        Lease {
            owner: self.owner.to_string(),
            until_ms: now.saturating_add(millis_of(self.policy.lease)),
        }
    }

    fn entry_key(&self, id: &str) -> String {
        format!("{}/entries/{id}", self.namespace)
    }

    /// Writes a new entry (leased by this outbox when `claim`) and lists it in the index.
    async fn record(&self, message: ProactiveMessage, claim: bool) -> Result<Recorded, Error> {
        if message.reference.conversation_id().is_none() {
            return Err(botbuilder_schema::SchemaError::MissingField {
                field: "conversation.id",
                context: "in the reference of a proactive message",
            }
            .into());
        }
        let now = self.now_ms();
        let id = match message.id {
            Some(id) if id.is_empty() || id.len() > MAX_ID_LEN => {
                return Err(botbuilder_schema::SchemaError::InvalidValue {
                    context: format!(
                        "an outbox id has 1 to {MAX_ID_LEN} characters, not {}",
                        id.len()
                    ),
                }
                .into());
            }
            Some(id) => id,
            None => format!("{now:013}-{}", &random_e_tag()[..12]),
        };
        let entry = OutboxEntry {
            id: id.clone(),
            state: EntryState::Pending,
            reference: message.reference,
            activities: message.activities,
            sent: 0,
            created_ms: now,
            attempts: 0,
            last_error: None,
            next_attempt_ms: now,
            lease: claim.then(|| self.lease(now)),
        };
        let e_tag = match self.write_entry(&entry, ETAG_NEW).await {
            Ok(e_tag) => e_tag,
            Err(e) if e.is_conflict() => return Ok(Recorded::Duplicate(id)),
            Err(e) => return Err(e),
        };
        self.index
            .update(|index| {
                index.insert(id.clone(), now);
            })
            .await?;
        Ok(Recorded::New(Box::new(entry), e_tag))
    }

    /// Delivers a claimed entry and records the outcome under the claim's eTag.
    async fn attempt(
        &self,
        adapter: &dyn BotAdapter,
        mut entry: OutboxEntry,
        e_tag: String,
    ) -> Result<Attempted, Error> {
        let (sent, failure) = deliver(adapter, &entry).await;
        entry.sent = sent;
        entry.attempts = entry.attempts.saturating_add(1);
        entry.lease = None;
        let now = self.now_ms();
        let outcome = match failure {
            None => {
                entry.state = EntryState::Delivered;
                entry.last_error = None;
                Attempted::Delivered
            }
            Some(Failure {
                error,
                channel,
                permanent,
            }) => {
                let elapsed = now.saturating_sub(entry.created_ms);
                if permanent || elapsed >= millis_of(self.policy.give_up_after) {
                    entry.state = EntryState::Failed;
                    tracing::error!(id = %entry.id, attempts = entry.attempts, %error, permanent, "outbox: giving up on a proactive message");
                } else {
                    // Never sooner than a throttling channel asked.
                    let wait = jittered(
                        self.policy.first_retry,
                        self.policy.max_retry,
                        entry.attempts,
                    )
                    .max(
                        channel
                            .as_ref()
                            .and_then(ChannelFailure::retry_after)
                            .unwrap_or_default(),
                    );
                    entry.next_attempt_ms = now.saturating_add(millis_of(wait));
                    tracing::warn!(id = %entry.id, attempts = entry.attempts, %error, retry_in = ?wait, "outbox: delivery failed, will retry");
                }
                entry.last_error = Some(error.clone());
                Attempted::Failed {
                    error,
                    channel,
                    given_up: entry.state == EntryState::Failed,
                    next_attempt_ms: entry.next_attempt_ms,
                }
            }
        };
        let delivered = entry.state == EntryState::Delivered;
        if delivered && !is_chosen_id(&entry.id) {
            // A random id can never come again: no tombstone needed.
            self.index.update(|index| index.remove(&entry.id)).await?;
            let key = self.entry_key(&entry.id);
            self.storage.delete(&[&key]).await?;
            return Ok(outcome);
        }
        if delivered {
            // The tombstone: enough to recognize the id again.
            entry.activities.clear();
        }
        match self.write_entry(&entry, &e_tag).await {
            Ok(_) => {}
            Err(e) if e.is_conflict() => {
                // The lease expired and another instance claimed the entry: it decides now.
                tracing::warn!(id = %entry.id, "outbox: lost the claim on an entry while delivering it (lease too short?)");
                return Ok(outcome);
            }
            Err(e) => return Err(e),
        }
        if delivered {
            self.index.update(|index| index.remove(&entry.id)).await?;
        }
        Ok(outcome)
    }

    /// Changes a stored entry under its eTag (retrying on conflicts); whether `change` said
    /// it changed something.
    async fn change_entry(
        &self,
        id: &str,
        mut change: impl FnMut(&mut OutboxEntry) -> bool,
    ) -> Result<bool, Error> {
        let key = self.entry_key(id);
        loop {
            let Some(document) = self.storage.read(&[&key]).await?.remove(&key) else {
                return Ok(false);
            };
            let (mut entry, e_tag) = parse_entry(&key, document)?;
            if !change(&mut entry) {
                return Ok(false);
            }
            match self.write_entry(&entry, &e_tag).await {
                Ok(_) => return Ok(true),
                Err(e) if e.is_conflict() => tokio::task::yield_now().await,
                Err(e) => return Err(e),
            }
        }
    }

    async fn write_entry(&self, entry: &OutboxEntry, e_tag: &str) -> Result<String, Error> {
        let key = self.entry_key(&entry.id);
        let body = match serde_json::to_value(entry) {
            Ok(Value::Object(body)) => body,
            Ok(_) => serde_json::Map::new(),
            Err(source) => {
                return Err(Error::StateWrite {
                    property: key,
                    source,
                });
            }
        };
        let mut e_tags = self
            .storage
            .write(StoreItems::from([(
                key.clone(),
                document_with_e_tag(body, e_tag),
            )]))
            .await?;
        e_tags.remove(&key).ok_or_else(|| {
            Error::storage(format!("writing {key:?}"), "the storage returned no eTag")
        })
    }
}

enum Attempted {
    Delivered,
    Failed {
        error: String,
        channel: Option<ChannelFailure>,
        /// Whether the entry is now [`EntryState::Failed`].
        given_up: bool,
        next_attempt_ms: u64,
    },
}

/// Why a delivery failed, and whether trying again can help.
#[derive(Clone)]
struct Failure {
    error: String,
    /// What the channel did, when it said.
    channel: Option<ChannelFailure>,
    /// The message can never be delivered as it is (its reference lacks a service URL, the
    /// adapter cannot continue conversations on that channel): given up at once.
    permanent: bool,
}

impl Failure {
    fn of(error: &Error) -> Self {
        Self {
            error: crate::error::report(error).to_string(),
            channel: error.channel_failure(),
            permanent: matches!(error, Error::Schema(_) | Error::NotSupported { .. }),
        }
    }
}

/// What recording a message came to.
enum Recorded {
    /// A new entry, and its eTag.
    New(Box<OutboxEntry>, String),
    /// An entry with this id existed.
    Duplicate(String),
}

/// Ids the outbox makes are `{13 digits}-{12 hex}`; anything else was chosen by the caller.
fn is_chosen_id(id: &str) -> bool {
    let Some((time, random)) = id.split_once('-') else {
        return true;
    };
    !(time.len() == 13
        && time.bytes().all(|b| b.is_ascii_digit())
        && random.len() == 12
        && random.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn index_document(storage: &Arc<dyn Storage>, namespace: &str) -> SharedDocument<Index> {
    SharedDocument::new(Arc::clone(storage), format!("{namespace}/index"), "entries")
}

fn parse_entry(key: &str, mut document: Value) -> Result<(OutboxEntry, String), Error> {
    let e_tag = match document.as_object_mut().and_then(|d| d.remove(ETAG_FIELD)) {
        Some(Value::String(e_tag)) => e_tag,
        _ => String::new(),
    };
    let entry = serde_json::from_value(document).map_err(|source| Error::StateRead {
        property: key.to_owned(),
        source,
    })?;
    Ok((entry, e_tag))
}

/// Sends the entry's activities not yet sent, one at a time, in a proactive turn; returns
/// how many the channel has, and why the rest could not be sent.
async fn deliver(adapter: &dyn BotAdapter, entry: &OutboxEntry) -> (usize, Option<Failure>) {
    let pending: Vec<Activity> = entry.activities.iter().skip(entry.sent).cloned().collect();
    // The send's error is the turn's value, not its error: as an error it would reach
    // `on_turn_error`, which would try to tell a conversation the bot cannot reach.
    let turn = adapter
        .continue_conversation(entry.reference.clone(), async move |ctx| {
            let mut sent = 0;
            for activity in pending {
                match ctx.send_activity(activity).await {
                    Ok(_) => sent += 1,
                    Err(error) => return Ok((sent, Some(Failure::of(&error)))),
                }
            }
            Ok((sent, None))
        })
        .await;
    match turn {
        Ok((sent, failure)) => (entry.sent + sent, failure),
        Err(error) => (entry.sent, Some(Failure::of(&error))),
    }
}

/// The system time now, advanced by tokio's (monotonic, pausable) clock from here on.
fn tokio_wall_clock() -> Clock {
    let (wall, origin) = (SystemTime::now(), tokio::time::Instant::now());
    Arc::new(move || wall + origin.elapsed())
}

fn to_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, millis_of)
}

fn millis_of(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn from_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStorage;
    use crate::testing::TestAdapter;
    use crate::{Middleware, Next, TurnContext, TurnResult, send_hook};
    use async_trait::async_trait;
    use botbuilder_schema::{ChannelAccount, ConversationParameters, ResourceResponse};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Fails every send while the flag is set, as an unreachable channel does.
    struct Down(Arc<AtomicBool>);

    #[async_trait]
    impl Middleware for Down {
        async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
            let down = Arc::clone(&self.0);
            ctx.on_send_activities(send_hook(async move |_ctx, activities, next| {
                let down = down.load(Ordering::SeqCst);
                if down {
                    Err(Error::adapter(
                        "send activities",
                        "the channel is unreachable",
                    ))
                } else {
                    next.run(activities).await
                }
            }));
            next.run(ctx).await
        }
    }

    /// A wall clock moved by hand.
    #[derive(Clone)]
    struct ManualClock(Arc<Mutex<SystemTime>>);

    impl ManualClock {
        fn new() -> Self {
            Self(Arc::new(Mutex::new(
                UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            )))
        }
        fn now(&self) -> SystemTime {
            *self.0.lock().unwrap()
        }
        fn advance(&self, by: Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    struct Setup {
        store: Arc<dyn Storage>,
        adapter: TestAdapter,
        down: Arc<AtomicBool>,
        clock: ManualClock,
    }

    impl Setup {
        fn new() -> Self {
            let down = Arc::new(AtomicBool::new(false));
            Self {
                store: Arc::new(MemoryStorage::new()),
                adapter: TestAdapter::new().with_middleware(Down(Arc::clone(&down))),
                down,
                clock: ManualClock::new(),
            }
        }
        fn outbox(&self, policy: OutboxPolicy) -> Outbox {
            let clock = self.clock.clone();
            Outbox::new(Arc::clone(&self.store))
                .with_policy(policy)
                .with_clock(move || clock.now())
        }
        fn message(&self, texts: &[&str]) -> ProactiveMessage {
            let reference = self
                .adapter
                .reference_for(&ChannelAccount::new("alice"), "conversation-a");
            ProactiveMessage::new(
                reference,
                texts.iter().map(|t| Activity::message(*t)).collect(),
            )
        }
        fn sent_texts(&self) -> Vec<String> {
            self.adapter
                .sent_activities()
                .iter()
                .map(|a| a.text().to_owned())
                .collect()
        }
    }

    #[tokio::test]
    async fn a_failed_send_is_retried_with_backoff_and_delivered_once() {
        let setup = Setup::new();
        let outbox = setup.outbox(OutboxPolicy::default());
        setup.down.store(true, Ordering::SeqCst);
        let delivery = outbox
            .send(&setup.adapter, setup.message(&["Job 7 is complete."]))
            .await
            .unwrap();
        let Delivery::Queued { id, error, .. } = delivery else {
            panic!("{delivery:?}");
        };
        assert!(error.contains("unreachable"), "{error}");

        // Visible: pending, one attempt, the error, the next try within the first backoff.
        let entries = outbox.entries().await.unwrap();
        assert_eq!(entries.len(), 1);
        let entry = &entries[0];
        assert_eq!(
            (entry.id.as_str(), entry.state),
            (id.as_str(), EntryState::Pending)
        );
        assert_eq!(entry.attempts, 1);
        assert!(entry.last_error.as_deref().unwrap().contains("unreachable"));
        let wait = entry
            .next_attempt_at()
            .duration_since(setup.clock.now())
            .unwrap();
        assert!(
            wait >= Duration::from_millis(2500) && wait <= Duration::from_secs(5),
            "{wait:?}"
        );
        assert!(entry.lease.is_none());

        // Not due yet: nothing happens.
        let pass = outbox.deliver_due(&setup.adapter).await.unwrap();
        assert_eq!((pass.delivered, pass.retrying), (0, 0));
        assert_eq!(pass.next_due, Some(entry.next_attempt_at()));

        // Due, still down: a second attempt, a longer wait (5 to 10 s).
        setup.clock.advance(Duration::from_secs(5));
        let pass = outbox.deliver_due(&setup.adapter).await.unwrap();
        assert_eq!(pass.retrying, 1);
        let entry = outbox.entries().await.unwrap().remove(0);
        assert_eq!(entry.attempts, 2);
        let wait = entry
            .next_attempt_at()
            .duration_since(setup.clock.now())
            .unwrap();
        assert!(
            wait >= Duration::from_secs(5) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );

        // The channel is back: delivered once, and gone from the outbox.
        setup.down.store(false, Ordering::SeqCst);
        setup.clock.advance(Duration::from_secs(10));
        let pass = outbox.deliver_due(&setup.adapter).await.unwrap();
        assert_eq!((pass.delivered, pass.next_due), (1, None));
        assert_eq!(setup.sent_texts(), ["Job 7 is complete."]);
        assert!(outbox.entries().await.unwrap().is_empty());
        setup.clock.advance(Duration::from_secs(3600));
        assert_eq!(
            outbox.deliver_due(&setup.adapter).await.unwrap(),
            Pass::default()
        );
        assert_eq!(setup.sent_texts().len(), 1);
        // A random id leaves nothing behind.
        let key = outbox.entry_key(&id);
        assert!(setup.store.read(&[&key]).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_entry_is_given_up_after_the_bounded_time_kept_visible_and_can_be_retried() {
        let setup = Setup::new();
        let policy = OutboxPolicy {
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(8),
            give_up_after: Duration::from_secs(60),
            ..OutboxPolicy::default()
        };
        let outbox = setup.outbox(policy);
        setup.down.store(true, Ordering::SeqCst);
        let id = outbox
            .enqueue(setup.message(&["hello"]))
            .await
            .unwrap()
            .unwrap();
        let mut attempts = 0;
        let mut given_up = 0;
        for _ in 0..200 {
            let pass = outbox.deliver_due(&setup.adapter).await.unwrap();
            attempts += pass.retrying + pass.given_up;
            given_up += pass.given_up;
            if given_up > 0 {
                break;
            }
            setup.clock.advance(Duration::from_secs(1));
        }
        assert_eq!(given_up, 1);
        // Backoff: 1, 2, 4, 8, 8, ... seconds (at least half of each): 8 to 16 tries in 60 s.
        assert!((8..=16).contains(&attempts), "{attempts}");
        let entry = outbox.entries().await.unwrap().remove(0);
        assert_eq!(entry.state, EntryState::Failed);
        assert!(entry.last_error.is_some());
        // A given-up entry is not tried again by the worker...
        setup.down.store(false, Ordering::SeqCst);
        setup.clock.advance(Duration::from_secs(3600));
        assert_eq!(
            outbox.deliver_due(&setup.adapter).await.unwrap().delivered,
            0
        );
        assert!(setup.sent_texts().is_empty());
        // ...until the operator says so.
        assert!(outbox.retry(&id).await.unwrap());
        assert_eq!(
            outbox.deliver_due(&setup.adapter).await.unwrap().delivered,
            1
        );
        assert_eq!(setup.sent_texts(), ["hello"]);
        assert!(!outbox.retry(&id).await.unwrap());
        assert!(!outbox.discard(&id).await.unwrap());
    }

    /// An adapter whose proactive turns never end: a claimer that hangs, then crashes.
    struct Hanging;

    #[async_trait]
    impl BotAdapter for Hanging {
        async fn send_activities(
            &self,
            _ctx: &TurnContext,
            _activities: Vec<Activity>,
        ) -> Result<Vec<ResourceResponse>, Error> {
            std::future::pending().await
        }
        async fn update_activity(
            &self,
            _ctx: &TurnContext,
            _activity: Activity,
        ) -> Result<ResourceResponse, Error> {
            std::future::pending().await
        }
        async fn delete_activity(
            &self,
            _ctx: &TurnContext,
            _reference: ConversationReference,
        ) -> Result<(), Error> {
            std::future::pending().await
        }
        async fn proactive_turn(
            &self,
            _reference: ConversationReference,
            _logic: crate::adapter::ContinueLogic,
        ) -> Result<(), Error> {
            std::future::pending().await
        }
        async fn create_conversation_turn(
            &self,
            _reference: ConversationReference,
            _parameters: ConversationParameters,
            _logic: crate::adapter::ContinueLogic,
        ) -> Result<(), Error> {
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn a_lease_keeps_other_instances_away_until_it_expires() {
        let setup = Setup::new();
        let policy = OutboxPolicy {
            lease: Duration::from_secs(30),
            ..OutboxPolicy::default()
        };
        let first = setup.outbox(policy);
        let second = setup.outbox(policy);
        first.enqueue(setup.message(&["once"])).await.unwrap();

        // The first instance claims the entry and hangs in the delivery.
        let hung = tokio::spawn({
            let first = first.clone();
            async move { first.deliver_due(&Hanging).await }
        });
        for _ in 0..100 {
            if outbox_leased(&second).await {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(
            outbox_leased(&second).await,
            "the first instance holds a lease"
        );
        // The second instance leaves it alone while the lease lasts...
        let pass = second.deliver_due(&setup.adapter).await.unwrap();
        assert_eq!(pass.delivered, 0);
        assert_eq!(
            pass.next_due,
            Some(setup.clock.now() + Duration::from_secs(30))
        );
        // ...the first one crashes; after the lease, the second delivers it, once.
        hung.abort();
        setup.clock.advance(Duration::from_secs(31));
        assert_eq!(
            second.deliver_due(&setup.adapter).await.unwrap().delivered,
            1
        );
        assert_eq!(setup.sent_texts(), ["once"]);
        assert_eq!(
            first.deliver_due(&setup.adapter).await.unwrap().delivered,
            0
        );
        assert_eq!(setup.sent_texts().len(), 1);
    }

    async fn outbox_leased(outbox: &Outbox) -> bool {
        outbox
            .entries()
            .await
            .unwrap()
            .first()
            .is_some_and(|e| e.lease.is_some())
    }

    #[tokio::test]
    async fn a_chosen_id_is_sent_once_and_a_retry_sends_only_what_is_missing() {
        let setup = Setup::new();
        let outbox = setup.outbox(OutboxPolicy::default());
        let message = setup.message(&["one", "two"]).with_id("job-1");
        assert_eq!(
            outbox.send(&setup.adapter, message.clone()).await.unwrap(),
            Delivery::Delivered
        );
        assert_eq!(
            outbox.send(&setup.adapter, message).await.unwrap(),
            Delivery::Duplicate { id: "job-1".into() }
        );
        assert_eq!(setup.sent_texts(), ["one", "two"]);
        assert!(outbox.entries().await.unwrap().is_empty());

        // The channel fails after the first of two activities: the retry sends the second.
        let refuse = Arc::new(Mutex::new(Some("four".to_owned())));
        let adapter = TestAdapter::new().with_middleware(Refuse(Arc::clone(&refuse)));
        let message = setup.message(&["three", "four"]).with_id("job-2");
        let delivery = outbox.send(&adapter, message).await.unwrap();
        assert!(matches!(delivery, Delivery::Queued { .. }), "{delivery:?}");
        let entry = outbox.entries().await.unwrap().remove(0);
        assert_eq!((entry.sent, entry.attempts), (1, 1));
        *refuse.lock().unwrap() = None;
        setup.clock.advance(Duration::from_secs(5));
        assert_eq!(outbox.deliver_due(&adapter).await.unwrap().delivered, 1);
        let texts: Vec<String> = adapter
            .sent_activities()
            .iter()
            .map(|a| a.text().to_owned())
            .collect();
        assert_eq!(texts, ["three", "four"]);
        // The tombstone of a chosen id keeps recognizing it.
        let again = setup.message(&["three", "four"]).with_id("job-2");
        assert!(matches!(
            outbox.send(&adapter, again).await.unwrap(),
            Delivery::Duplicate { .. }
        ));
    }

    /// Refuses a send of the message with this text.
    struct Refuse(Arc<Mutex<Option<String>>>);

    #[async_trait]
    impl Middleware for Refuse {
        async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
            let refuse = Arc::clone(&self.0);
            ctx.on_send_activities(send_hook(async move |_ctx, activities, next| {
                let refused = refuse.lock().unwrap().clone();
                if activities
                    .iter()
                    .any(|a| Some(a.text()) == refused.as_deref())
                {
                    Err(Error::adapter("send activities", "refused"))
                } else {
                    next.run(activities).await
                }
            }));
            next.run(ctx).await
        }
    }

    #[tokio::test]
    async fn bad_messages_are_refused_before_anything_is_recorded() {
        let setup = Setup::new();
        let outbox = setup.outbox(OutboxPolicy::default());
        let mut message = setup.message(&["x"]);
        message.reference.conversation = None;
        assert!(matches!(
            outbox.send(&setup.adapter, message).await,
            Err(Error::Schema(_))
        ));
        // A reference the adapter cannot use: given up at once, kept visible.
        let mut message = setup.message(&["x"]);
        message.reference.service_url = Some(String::new());
        let delivery = outbox.send(&setup.adapter, message).await.unwrap();
        assert!(matches!(delivery, Delivery::Failed { .. }), "{delivery:?}");
        let entry = outbox.entries().await.unwrap().remove(0);
        assert_eq!((entry.state, entry.attempts), (EntryState::Failed, 1));
        assert!(outbox.discard(&entry.id).await.unwrap());
        assert!(outbox.entries().await.unwrap().is_empty());
        let long = setup.message(&["x"]).with_id("x".repeat(201));
        assert!(outbox.enqueue(long).await.is_err());
        assert!(outbox.entries().await.unwrap().is_empty());
        assert!(is_chosen_id("job-1"));
        assert!(!is_chosen_id("1800000000000-0123456789ab"));
        assert!(format!("{outbox:?}").contains("botbuilder/outbox"));
    }
}
