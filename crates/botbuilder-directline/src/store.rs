//! The conversations of the local Direct Line endpoint, in memory and bounded: each one's
//! transcript (activities with ids, watermarks and strictly increasing timestamps), its
//! WebSocket notifier and its turn queue. Plain data behind one `std` mutex, never held across
//! an `.await`; time is passed in, so expiry is decided by the injectable clock.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use botbuilder_schema::{Activity, ChannelAccount, Timestamp};
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

use super::worker::Job;

/// One activity of a transcript and its place in it.
#[derive(Clone, Debug)]
struct Entry {
    seq: u64,
    activity: Activity,
}

/// How big the store may grow, and when an idle conversation is forgotten.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    pub(super) max_conversations: usize,
    pub(super) max_activities: usize,
    pub(super) idle_timeout: Duration,
}

/// One conversation.
#[derive(Debug)]
pub(super) struct Conversation {
    /// The user the conversation was started for (or generated).
    pub(super) user: ChannelAccount,
    /// The locale the client asked for at start, if any.
    pub(super) locale: Option<String>,
    /// Whether the client has started it (the bot got its conversationUpdate).
    pub(super) started: bool,
    log: VecDeque<Entry>,
    next_seq: u64,
    last_ms: i64,
    last_active: SystemTime,
    notify: watch::Sender<u64>,
    /// The conversation's turn queue (see `worker`): one turn at a time, in order.
    pub(super) turns: mpsc::Sender<Job>,
}

impl Conversation {
    /// The watermark of the newest activity (`0` for none).
    fn watermark(&self) -> u64 {
        self.next_seq - 1
    }

    /// A new subscription to the transcript's changes (the newest sequence number).
    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.notify.subscribe()
    }

    /// How many WebSocket streams are open on it.
    pub(super) fn streams(&self) -> usize {
        self.notify.receiver_count()
    }

    /// The next timestamp: now, but always after the previous one (ms), so clients that order
    /// by timestamp keep the transcript's order.
    fn stamp(&mut self, now: SystemTime) -> Timestamp {
        let now_ms = now
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let ms = now_ms.max(self.last_ms.saturating_add(1));
        self.last_ms = ms;
        timestamp_of_ms(ms)
    }

    fn push(&mut self, activity: Activity, max: usize) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.log.push_back(Entry { seq, activity });
        while self.log.len() > max {
            self.log.pop_front();
        }
        self.notify.send_replace(seq);
        seq
    }

    /// Every activity after `watermark` (all of them for `None`), oldest first, and the
    /// watermark to ask from next time.
    pub(super) fn after(&self, watermark: Option<u64>) -> (Vec<Activity>, u64) {
        let from = watermark.unwrap_or(0);
        let activities = self
            .log
            .iter()
            .filter(|e| e.seq > from)
            .map(|e| e.activity.clone())
            .collect();
        (activities, self.watermark())
    }

    /// The activities after `watermark`, with the watermark of the last one, or `None` when
    /// there is nothing new.
    pub(super) fn batch_after(&self, watermark: u64) -> Option<(Vec<Activity>, u64)> {
        let (activities, newest) = self.after(Some(watermark));
        (!activities.is_empty()).then_some((activities, newest))
    }
}

/// `ms` since the Unix epoch as a UTC timestamp with millisecond precision.
fn timestamp_of_ms(ms: i64) -> Timestamp {
    let at = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    Timestamp::from_datetime(at.fixed_offset())
}

/// Why an operation on a conversation's transcript did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Missing {
    /// No such conversation (never started, or expired).
    Conversation,
    /// No activity with that id in the transcript.
    Activity,
}

/// Every conversation of one endpoint.
#[derive(Debug)]
pub(super) struct Store {
    limits: Limits,
    conversations: HashMap<String, Conversation>,
}

impl Store {
    pub(super) fn new(limits: Limits) -> Self {
        Self {
            limits,
            conversations: HashMap::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.conversations.len()
    }

    fn expired(&self, conversation: &Conversation, now: SystemTime) -> bool {
        conversation.streams() == 0
            && now
                .duration_since(conversation.last_active)
                .is_ok_and(|idle| idle >= self.limits.idle_timeout)
    }

    /// Forgets the conversations idle for the idle timeout with no stream open.
    pub(super) fn sweep(&mut self, now: SystemTime) {
        let before = self.conversations.len();
        let limits = self.limits;
        self.conversations.retain(|_, c| {
            c.streams() > 0
                || now
                    .duration_since(c.last_active)
                    .map_or(true, |idle| idle < limits.idle_timeout)
        });
        let expired = before - self.conversations.len();
        if expired > 0 {
            tracing::debug!(expired, "idle Direct Line conversations expired");
        }
    }

    /// Adds a conversation, first forgetting idle ones and, when the store is full, the least
    /// recently active one.
    pub(super) fn insert(
        &mut self,
        id: String,
        user: ChannelAccount,
        locale: Option<String>,
        turns: mpsc::Sender<Job>,
        now: SystemTime,
    ) {
        self.sweep(now);
        while self.conversations.len() >= self.limits.max_conversations.max(1) {
            let Some(oldest) = self
                .conversations
                .iter()
                .min_by_key(|(_, c)| c.last_active)
                .map(|(id, _)| id.clone())
            else {
                break;
            };
            tracing::info!(
                conversation = %oldest,
                "the Direct Line endpoint is at its conversation limit; forgetting the least recently active conversation"
            );
            self.conversations.remove(&oldest);
        }
        let (notify, _) = watch::channel(0);
        self.conversations.insert(
            id,
            Conversation {
                user,
                locale,
                started: false,
                log: VecDeque::new(),
                next_seq: 1,
                last_ms: 0,
                last_active: now,
                notify,
                turns,
            },
        );
    }

    /// The conversation, unless unknown or expired (an expired one is forgotten here).
    pub(super) fn get(&mut self, id: &str, now: SystemTime) -> Option<&mut Conversation> {
        let expired = self
            .conversations
            .get(id)
            .is_some_and(|c| self.expired(c, now));
        if expired {
            tracing::debug!(conversation = %id, "idle Direct Line conversation expired");
            self.conversations.remove(id);
            return None;
        }
        self.conversations.get_mut(id)
    }

    /// The conversation, marked active now (a client asked for it).
    pub(super) fn touch(&mut self, id: &str, now: SystemTime) -> Option<&mut Conversation> {
        let conversation = self.get(id, now)?;
        conversation.last_active = now;
        Some(conversation)
    }

    /// Appends an activity: gives it an id (unless it has one) and a timestamp, and wakes the
    /// conversation's streams. Returns the activity as stored.
    pub(super) fn append(
        &mut self,
        conversation_id: &str,
        mut activity: Activity,
        now: SystemTime,
    ) -> Result<Activity, Missing> {
        let max = self.limits.max_activities.max(1);
        let conversation = self
            .get(conversation_id, now)
            .ok_or(Missing::Conversation)?;
        let id = match activity.id.as_deref().filter(|id| !id.is_empty()) {
            Some(id) => id.to_owned(),
            None => format!("{conversation_id}|{:07}", conversation.next_seq),
        };
        activity.id = Some(id);
        activity.timestamp = Some(conversation.stamp(now));
        conversation.push(activity.clone(), max);
        Ok(activity)
    }

    /// Replaces the activity with the same id: the new version keeps the old timestamp (its
    /// place in the transcript) and is delivered again, after everything delivered so far.
    pub(super) fn replace(
        &mut self,
        conversation_id: &str,
        mut activity: Activity,
        now: SystemTime,
    ) -> Result<String, Missing> {
        let max = self.limits.max_activities.max(1);
        let conversation = self
            .get(conversation_id, now)
            .ok_or(Missing::Conversation)?;
        let id = activity.id.clone().unwrap_or_default();
        let position = conversation
            .log
            .iter()
            .position(|e| e.activity.id.as_deref() == Some(id.as_str()))
            .ok_or(Missing::Activity)?;
        let old = conversation.log.remove(position).ok_or(Missing::Activity)?;
        activity.timestamp = old.activity.timestamp;
        conversation.push(activity, max);
        Ok(id)
    }

    /// Removes an activity from the transcript (clients that have it keep it).
    pub(super) fn remove(
        &mut self,
        conversation_id: &str,
        activity_id: &str,
        now: SystemTime,
    ) -> Result<(), Missing> {
        let conversation = self
            .get(conversation_id, now)
            .ok_or(Missing::Conversation)?;
        let before = conversation.log.len();
        conversation
            .log
            .retain(|e| e.activity.id.as_deref() != Some(activity_id));
        if conversation.log.len() == before {
            return Err(Missing::Activity);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(max_conversations: usize, max_activities: usize) -> Store {
        Store::new(Limits {
            max_conversations,
            max_activities,
            idle_timeout: Duration::from_secs(60),
        })
    }

    fn add(store: &mut Store, id: &str, now: SystemTime) -> mpsc::Receiver<Job> {
        let (tx, rx) = mpsc::channel(1);
        store.insert(id.into(), ChannelAccount::new("u"), None, tx, now);
        rx
    }

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn ids_watermarks_and_strictly_increasing_timestamps() {
        let mut s = store(10, 10);
        let _rx = add(&mut s, "c", at(1_000));
        // Three activities in the same millisecond, then one when the clock went backwards.
        for text in ["a", "b", "c"] {
            s.append("c", Activity::message(text), at(5_000)).unwrap();
        }
        s.append("c", Activity::message("d"), at(4_000)).unwrap();
        let (all, watermark) = s.get("c", at(5_000)).unwrap().after(None);
        assert_eq!(watermark, 4);
        let ids: Vec<_> = all.iter().map(|a| a.id.clone().unwrap()).collect();
        assert_eq!(ids, ["c|0000001", "c|0000002", "c|0000003", "c|0000004"]);
        let stamps: Vec<_> = all
            .iter()
            .map(|a| a.timestamp.as_ref().unwrap().as_str().to_owned())
            .collect();
        assert_eq!(
            stamps,
            [
                "1970-01-01T00:00:05.000Z",
                "1970-01-01T00:00:05.001Z",
                "1970-01-01T00:00:05.002Z",
                "1970-01-01T00:00:05.003Z"
            ]
        );
        let (after_two, watermark) = s.get("c", at(5_000)).unwrap().after(Some(2));
        assert_eq!(watermark, 4);
        assert_eq!(after_two.len(), 2);
        assert_eq!(after_two[0].text(), "c");
        assert!(s.get("c", at(5_000)).unwrap().batch_after(4).is_none());
    }

    #[test]
    fn transcripts_are_bounded_oldest_first() {
        let mut s = store(10, 3);
        let _rx = add(&mut s, "c", at(0));
        for i in 0..5 {
            s.append("c", Activity::message(i.to_string()), at(0))
                .unwrap();
        }
        let (all, watermark) = s.get("c", at(0)).unwrap().after(None);
        assert_eq!(watermark, 5);
        let texts: Vec<_> = all.iter().map(|a| a.text().to_owned()).collect();
        assert_eq!(texts, ["2", "3", "4"]);
    }

    #[test]
    fn a_replaced_activity_keeps_its_id_and_place_and_is_delivered_again() {
        let mut s = store(10, 10);
        let _rx = add(&mut s, "c", at(0));
        let id = s
            .append("c", Activity::message("v1"), at(10))
            .unwrap()
            .id
            .unwrap();
        s.append("c", Activity::message("other"), at(20)).unwrap();
        let mut v2 = Activity::message("v2");
        v2.id = Some(id.clone());
        assert_eq!(s.replace("c", v2, at(30)).unwrap(), id);
        let (after, watermark) = s.get("c", at(30)).unwrap().after(Some(2));
        assert_eq!(watermark, 3);
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].text(), "v2");
        assert_eq!(
            after[0].timestamp.as_ref().unwrap().as_str(),
            "1970-01-01T00:00:00.010Z"
        );
        let (all, _) = s.get("c", at(30)).unwrap().after(None);
        assert_eq!(all.len(), 2, "the old version is gone");

        let mut unknown = Activity::message("x");
        unknown.id = Some("nope".into());
        assert_eq!(s.replace("c", unknown, at(30)), Err(Missing::Activity));
        assert_eq!(s.remove("c", &id, at(30)), Ok(()));
        assert_eq!(s.remove("c", &id, at(30)), Err(Missing::Activity));
        assert_eq!(
            s.append("nope", Activity::message("x"), at(30)),
            Err(Missing::Conversation)
        );
    }

    #[test]
    fn idle_conversations_expire_unless_a_stream_is_open() {
        let mut s = store(10, 10);
        let _a = add(&mut s, "a", at(0));
        let _b = add(&mut s, "b", at(0));
        let stream = s.get("b", at(0)).unwrap().subscribe();
        assert!(s.touch("a", at(59_000)).is_some());
        // 60 s after its last request, `a` is gone; `b` has a stream open, so it stays.
        assert!(s.get("a", at(118_999)).is_some());
        assert!(s.get("a", at(119_000)).is_none());
        assert!(s.get("b", at(500_000)).is_some());
        drop(stream);
        s.sweep(at(500_000));
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn a_full_store_forgets_the_least_recently_active_conversation() {
        let mut s = store(2, 10);
        let _a = add(&mut s, "a", at(0));
        let _b = add(&mut s, "b", at(1));
        s.touch("a", at(2));
        let _c = add(&mut s, "c", at(3));
        assert_eq!(s.len(), 2);
        assert!(
            s.get("b", at(3)).is_none(),
            "b was the least recently active"
        );
        assert!(s.get("a", at(3)).is_some());
        assert!(s.get("c", at(3)).is_some());
    }
}
