//! [`BlobTranscriptStore`]: transcripts in Azure Blob Storage, in the layout of BotBuilder's
//! `BlobsTranscriptStore` (.NET).

use std::collections::HashMap;

use async_trait::async_trait;
use botbuilder_core::Error;
use botbuilder_core::middleware::{
    PagedResult, TRANSCRIPT_PAGE_SIZE, TranscriptInfo, TranscriptStore,
};
use botbuilder_core::schema::{Activity, ActivityTypes, ChannelAccount, Timestamp};
use futures::future::join_all;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use crate::{AzureBlobError, BlobStorage, Request};

/// What `Uri.EscapeDataString` keeps: the RFC 3986 unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// .NET ticks (100 ns) from 0001-01-01 to the Unix epoch.
const EPOCH_TICKS: i128 = 621_355_968_000_000_000;

/// How many blobs one List Blobs request asks for.
const LIST_PAGE: u32 = 1000;

/// Transcripts in an Azure Blob Storage container, one JSON blob per activity, laid out as
/// BotBuilder .NET's `BlobsTranscriptStore` (`Microsoft.Bot.Builder.Azure.Blobs`) lays them
/// out, so a bot moving from BotBuilder keeps reading its transcripts and BotBuilder reads
/// the ones this store writes.
///
/// - **Blob names**: `{channel}/{conversation}/{ticks}-{activity id}.json`, each part
///   escaped as `Uri.EscapeDataString` does (letters, digits and `-._~` kept, the rest
///   `%XX`), `ticks` the activity's timestamp in .NET ticks (100 ns since 0001-01-01 UTC) in
///   lowercase hexadecimal: names sort in time order. (BotBuilder .NET counts the ticks of
///   the timestamp's clock time, the same for the UTC timestamps channels and the logger
///   give; for another offset the UTC time keeps the order.)
/// - **Body**: the activity's JSON. **Metadata**: `Id`, `FromId`, `RecipientId`, and
///   `Timestamp` (ISO 8601, seven fractional digits). Values that are not printable ASCII
///   are left out of the metadata (a header cannot carry them); the blob name still finds
///   the activity.
/// - **Updates and deletes** (`messageUpdate` / `messageDelete`, as
///   [`TranscriptLoggerMiddleware`](botbuilder_core::middleware::TranscriptLoggerMiddleware)
///   logs them): the stored activity with that id is replaced in place, by the updated
///   activity (type `message`, the original timestamps) or by a tombstone (type
///   `messageDelete`, `from` and `recipient` ids `deleted`, the text gone). An update of an
///   activity not in the transcript is logged as a new message; a delete of one is ignored.
/// - **Pages** hold 20 items ([`TRANSCRIPT_PAGE_SIZE`]); the continuation token of a page of
///   activities is the last blob's name, of a page of transcripts the last conversation id,
///   as BotBuilder .NET issues them. Transcripts are listed in blob-name order.
///
/// Requests, authentication and retries are those of the [`BlobStorage`] it is made from.
///
/// ```no_run
/// use botbuilder_core::middleware::{TranscriptLoggerMiddleware, TranscriptStore};
/// use botbuilder_storage_azure_blob::{BlobStorage, BlobTranscriptStore};
/// use std::sync::Arc;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), botbuilder_core::Error> {
/// let storage = BlobStorage::builder()
///     .connection_string("UseDevelopmentStorage=true")?
///     .container("transcripts")
///     .connect()
///     .await?;
/// let transcripts = Arc::new(BlobTranscriptStore::new(storage));
/// let logger = TranscriptLoggerMiddleware::new(transcripts.clone());
/// # let _ = logger;
/// let page = transcripts.list_transcripts("msteams", None).await?;
/// for transcript in page.items {
///     println!("{} since {}", transcript.id, transcript.created);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct BlobTranscriptStore {
    storage: BlobStorage,
}

impl BlobTranscriptStore {
    /// Keeps transcripts in the container of `storage` (a container of their own is best:
    /// bot state blobs in it are not transcripts, though they are never listed as such).
    #[must_use]
    pub fn new(storage: BlobStorage) -> Self {
        Self { storage }
    }

    /// Connects to the container an `azblob:` URL names (see the [crate docs](crate#urls)).
    ///
    /// # Errors
    /// As [`BlobStorage::connect_url`].
    pub async fn connect_url(url: &str) -> Result<Self, AzureBlobError> {
        BlobStorage::connect_url(url).await.map(Self::new)
    }

    /// The blob storage the transcripts are in.
    #[must_use]
    pub fn storage(&self) -> &BlobStorage {
        &self.storage
    }

    /// The name of the blob an activity is logged to.
    ///
    /// ```
    /// use botbuilder_core::schema::{Activity, ActivityTypes, ChannelId, ConversationAccount, Timestamp};
    /// use botbuilder_storage_azure_blob::BlobTranscriptStore;
    ///
    /// let mut activity = Activity::new(ActivityTypes::Message);
    /// activity.channel_id = Some(ChannelId::parse("msteams"));
    /// activity.conversation = Some(ConversationAccount::new("19:abc@thread.v2"));
    /// activity.id = Some("1700000000000".to_owned());
    /// activity.timestamp = Some(Timestamp::parse("2026-12-08T01:02:03.4567891Z")?);
    /// assert_eq!(
    ///     BlobTranscriptStore::blob_name(&activity)?,
    ///     "msteams/19%3Aabc%40thread.v2/8df54c6df2f2ad3-1700000000000.json"
    /// );
    /// # Ok::<(), botbuilder_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Storage`] when the activity has no timestamp, or one before the year 1.
    pub fn blob_name(activity: &Activity) -> Result<String, Error> {
        let timestamp = activity.timestamp.as_ref().ok_or_else(|| {
            Error::storage("naming a transcript blob", "the activity has no timestamp")
        })?;
        let ticks = ticks(timestamp).ok_or_else(|| {
            Error::storage(
                "naming a transcript blob",
                format!("the timestamp {timestamp} is before the year 1"),
            )
        })?;
        Ok(format!(
            "{}{ticks:x}-{}.json",
            conversation_prefix(
                channel_of(activity),
                activity.conversation_id().unwrap_or("")
            ),
            escape(activity.id.as_deref().unwrap_or(""))
        ))
    }

    /// The URL of a blob whose name has `/` separators.
    fn blob_url(&self, name: &str) -> url::Url {
        let mut url = self.storage.inner.container_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.extend(name.split('/'));
        }
        url
    }

    /// One List Blobs request.
    async fn list(
        &self,
        prefix: &str,
        hierarchical: bool,
        marker: Option<&str>,
        max_results: u32,
    ) -> Result<Listing, Error> {
        let mut url = self.storage.inner.container_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("restype", "container")
                .append_pair("comp", "list")
                .append_pair("prefix", prefix)
                .append_pair("include", "metadata")
                .append_pair("maxresults", &max_results.to_string());
            if hierarchical {
                query.append_pair("delimiter", "/");
            }
            if let Some(marker) = marker {
                query.append_pair("marker", marker);
            }
        }
        let response = self
            .storage
            .send("LIST blobs", Method::GET, url, Request::default())
            .await?;
        if response.status != StatusCode::OK {
            return Err(response.error("LIST blobs"));
        }
        parse_listing(&response.body)
    }

    /// Every blob under `prefix`, page by page, until `keep` says stop (returns `false`).
    async fn scan(
        &self,
        prefix: &str,
        mut keep: impl FnMut(ListedBlob) -> bool + Send,
    ) -> Result<(), Error> {
        let mut marker: Option<String> = None;
        loop {
            let listing = self
                .list(prefix, false, marker.as_deref(), LIST_PAGE)
                .await?;
            for entry in listing.blobs.entries {
                if let Entry::Blob(blob) = entry
                    && !keep(blob)
                {
                    return Ok(());
                }
            }
            match listing.next_marker.filter(|m| !m.is_empty()) {
                Some(next) => marker = Some(next),
                None => return Ok(()),
            }
        }
    }

    async fn get_activity(&self, name: &str) -> Result<Activity, Error> {
        let response = self
            .storage
            .send(
                "GET blob",
                Method::GET,
                self.blob_url(name),
                Request::default(),
            )
            .await?;
        if response.status != StatusCode::OK {
            return Err(response.error("GET blob"));
        }
        parse_activity(name, &response.body)
    }

    async fn put_activity(&self, name: &str, activity: &Activity, new: bool) -> Result<(), Error> {
        let body = serde_json::to_vec(activity)
            .map_err(|e| Error::storage("serializing a transcript activity", e))?;
        let request = Request {
            body,
            content_type: Some("application/json"),
            if_none_match: new.then(|| "*".to_owned()),
            blob_type: true,
            metadata: metadata(activity),
            ..Request::default()
        };
        let response = self
            .storage
            .send("PUT blob", Method::PUT, self.blob_url(name), request)
            .await?;
        match response.status {
            StatusCode::CREATED => Ok(()),
            StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED if new => {
                Err(Error::StorageConflict {
                    key: name.to_owned(),
                })
            }
            _ => Err(response.error("PUT blob")),
        }
    }

    /// The blob of the conversation's activity with this id, and the activity.
    async fn find(&self, activity: &Activity) -> Result<Option<(String, Activity)>, Error> {
        let Some(id) = activity.id.as_deref().filter(|id| !id.is_empty()) else {
            return Ok(None);
        };
        let prefix = conversation_prefix(
            channel_of(activity),
            activity.conversation_id().unwrap_or(""),
        );
        let suffix = format!("-{}.json", escape(id));
        let mut found = None;
        self.scan(&prefix, |blob| {
            let by_metadata = blob.meta("id") == Some(id);
            if by_metadata || blob.name.ends_with(&suffix) {
                found = Some(blob.name);
                return false;
            }
            true
        })
        .await?;
        match found {
            Some(name) => {
                let stored = self.get_activity(&name).await?;
                Ok(Some((name, stored)))
            }
            None => Ok(None),
        }
    }
}

#[async_trait]
impl TranscriptStore for BlobTranscriptStore {
    async fn log_activity(&self, activity: &Activity) -> Result<(), Error> {
        let mut activity = activity.clone();
        if activity.timestamp.is_none() {
            activity.timestamp = Some(Timestamp::now());
        }
        match activity.activity_type {
            ActivityTypes::MessageUpdate => {
                activity.activity_type = ActivityTypes::Message;
                match self.find(&activity).await? {
                    Some((name, stored)) => {
                        activity.timestamp = stored.timestamp;
                        activity.local_timestamp = stored.local_timestamp;
                        self.put_activity(&name, &activity, false).await
                    }
                    None => {
                        let name = Self::blob_name(&activity)?;
                        self.put_activity(&name, &activity, true).await
                    }
                }
            }
            ActivityTypes::MessageDelete => match self.find(&activity).await? {
                Some((name, stored)) => {
                    let tombstone = tombstone(stored);
                    self.put_activity(&name, &tombstone, false).await
                }
                None => {
                    tracing::debug!("a deleted activity is not in the transcript");
                    Ok(())
                }
            },
            _ => {
                let name = Self::blob_name(&activity)?;
                self.put_activity(&name, &activity, true).await
            }
        }
    }

    async fn get_transcript_activities(
        &self,
        channel_id: &str,
        conversation_id: &str,
        continuation_token: Option<&str>,
        start_date: Option<&Timestamp>,
    ) -> Result<PagedResult<Activity>, Error> {
        let prefix = conversation_prefix(channel_id, conversation_id);
        let after = match continuation_token.filter(|t| !t.is_empty()) {
            Some(token) if token.starts_with(&prefix) && token.ends_with(".json") => {
                Some(token.to_owned())
            }
            Some(token) => return Err(invalid_token(token)),
            None => None,
        };
        let from = start_date.map(Timestamp::to_utc);
        let mut names = Vec::new();
        self.scan(&prefix, |blob| {
            if after.as_ref().is_some_and(|after| blob.name <= *after) {
                return true;
            }
            // A blob without a readable Timestamp is kept: the filter is on what is known.
            let early = match (&from, blob.meta("timestamp").map(Timestamp::parse)) {
                (Some(from), Some(Ok(t))) => t.to_utc() < *from,
                _ => false,
            };
            if !early {
                names.push(blob.name);
            }
            names.len() <= TRANSCRIPT_PAGE_SIZE
        })
        .await?;
        let more = names.len() > TRANSCRIPT_PAGE_SIZE;
        names.truncate(TRANSCRIPT_PAGE_SIZE);
        let items = join_all(names.iter().map(|name| self.get_activity(name)))
            .await
            .into_iter()
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(PagedResult {
            items,
            continuation_token: if more { names.pop() } else { None },
        })
    }

    async fn list_transcripts(
        &self,
        channel_id: &str,
        continuation_token: Option<&str>,
    ) -> Result<PagedResult<TranscriptInfo>, Error> {
        let channel_prefix = format!("{}/", escape(channel_id));
        let after = continuation_token
            .filter(|t| !t.is_empty())
            .map(|t| conversation_prefix(channel_id, t));
        let mut prefixes = Vec::new();
        let mut marker: Option<String> = None;
        'pages: loop {
            let listing = self
                .list(&channel_prefix, true, marker.as_deref(), LIST_PAGE)
                .await?;
            for entry in listing.blobs.entries {
                let Entry::BlobPrefix(prefix) = entry else {
                    continue;
                };
                if after.as_ref().is_some_and(|after| prefix.name <= *after) {
                    continue;
                }
                prefixes.push(prefix.name);
                if prefixes.len() > TRANSCRIPT_PAGE_SIZE {
                    break 'pages;
                }
            }
            match listing.next_marker.filter(|m| !m.is_empty()) {
                Some(next) => marker = Some(next),
                None => break,
            }
        }
        let more = prefixes.len() > TRANSCRIPT_PAGE_SIZE;
        prefixes.truncate(TRANSCRIPT_PAGE_SIZE);
        let channel_prefix = channel_prefix.as_str();
        let items = join_all(prefixes.iter().map(|prefix| async move {
            let id = prefix
                .strip_prefix(channel_prefix)
                .unwrap_or(prefix)
                .trim_end_matches('/');
            let id = percent_decode_str(id).decode_utf8_lossy().into_owned();
            let created = self.created(prefix).await?;
            Ok(TranscriptInfo {
                channel_id: channel_id.to_owned(),
                id,
                created,
            })
        }))
        .await
        .into_iter()
        .collect::<Result<Vec<_>, Error>>()?;
        let continuation_token = more.then(|| items.last().map(|t| t.id.clone())).flatten();
        Ok(PagedResult {
            items,
            continuation_token,
        })
    }

    async fn delete_transcript(
        &self,
        channel_id: &str,
        conversation_id: &str,
    ) -> Result<(), Error> {
        let prefix = conversation_prefix(channel_id, conversation_id);
        // Listed again after each round of deletes, until nothing is left: a marker into a
        // listing whose blobs are going away is not relied on.
        loop {
            let listing = self.list(&prefix, false, None, LIST_PAGE).await?;
            let names: Vec<String> = listing
                .blobs
                .entries
                .into_iter()
                .filter_map(|entry| match entry {
                    Entry::Blob(blob) => Some(blob.name),
                    Entry::BlobPrefix(_) => None,
                })
                .collect();
            if names.is_empty() {
                return Ok(());
            }
            let results = join_all(names.iter().map(|name| async move {
                let response = self
                    .storage
                    .send(
                        "DELETE blob",
                        Method::DELETE,
                        self.blob_url(name),
                        Request::default(),
                    )
                    .await?;
                match response.status {
                    StatusCode::ACCEPTED | StatusCode::OK | StatusCode::NOT_FOUND => Ok(()),
                    _ => Err(response.error("DELETE blob")),
                }
            }))
            .await;
            results.into_iter().collect::<Result<Vec<()>, Error>>()?;
        }
    }
}

impl BlobTranscriptStore {
    /// When a conversation's transcript began: the `Timestamp` of its first blob, or the
    /// ticks in that blob's name.
    async fn created(&self, prefix: &str) -> Result<Timestamp, Error> {
        let listing = self.list(prefix, false, None, 1).await?;
        let first = listing
            .blobs
            .entries
            .into_iter()
            .find_map(|entry| match entry {
                Entry::Blob(blob) => Some(blob),
                Entry::BlobPrefix(_) => None,
            });
        let Some(first) = first else {
            return Ok(Timestamp::now());
        };
        if let Some(Ok(t)) = first.meta("timestamp").map(Timestamp::parse) {
            return Ok(t);
        }
        let name = first.name.rsplit('/').next().unwrap_or_default();
        Ok(name
            .split_once('-')
            .and_then(|(ticks, _)| from_ticks(ticks))
            .unwrap_or_else(Timestamp::now))
    }
}

/// The tombstone a deleted activity is replaced by: where and when it was, not what.
fn tombstone(stored: Activity) -> Activity {
    let mut tombstone = Activity::new(ActivityTypes::MessageDelete);
    tombstone.id = stored.id;
    let deleted = |role| {
        let mut account = ChannelAccount::new("deleted");
        account.role = role;
        account
    };
    tombstone.from = Some(deleted(stored.from.and_then(|a| a.role)));
    tombstone.recipient = Some(deleted(stored.recipient.and_then(|a| a.role)));
    tombstone.locale = stored.locale;
    tombstone.local_timestamp = stored.timestamp.clone();
    tombstone.timestamp = stored.timestamp;
    tombstone.channel_id = stored.channel_id;
    tombstone.conversation = stored.conversation;
    tombstone.service_url = stored.service_url;
    tombstone.reply_to_id = stored.reply_to_id;
    tombstone
}

fn channel_of(activity: &Activity) -> &str {
    activity.channel_id.as_ref().map_or("", |c| c.as_str())
}

/// `Uri.EscapeDataString`.
fn escape(part: &str) -> String {
    utf8_percent_encode(part, UNRESERVED).to_string()
}

fn conversation_prefix(channel_id: &str, conversation_id: &str) -> String {
    format!("{}/{}/", escape(channel_id), escape(conversation_id))
}

/// .NET ticks of a timestamp (100 ns since 0001-01-01 UTC).
fn ticks(timestamp: &Timestamp) -> Option<u64> {
    let utc = timestamp.to_utc();
    let ticks = i128::from(utc.timestamp()) * 10_000_000
        + i128::from(utc.timestamp_subsec_nanos() / 100)
        + EPOCH_TICKS;
    u64::try_from(ticks).ok()
}

/// The time of hexadecimal .NET ticks.
fn from_ticks(hex: &str) -> Option<Timestamp> {
    let ticks = i128::from(u64::from_str_radix(hex, 16).ok()?) - EPOCH_TICKS;
    let seconds = i64::try_from(ticks.div_euclid(10_000_000)).ok()?;
    let nanos = u32::try_from(ticks.rem_euclid(10_000_000) * 100).ok()?;
    chrono::DateTime::from_timestamp(seconds, nanos).map(Timestamp::from)
}

/// The blob metadata BotBuilder writes with an activity, values that are not printable ASCII
/// left out.
fn metadata(activity: &Activity) -> Vec<(&'static str, String)> {
    let timestamp = activity.timestamp.as_ref().map(round_trip_format);
    [
        ("x-ms-meta-id", activity.id.clone()),
        (
            "x-ms-meta-fromid",
            activity.from.as_ref().map(|a| a.id.clone()),
        ),
        (
            "x-ms-meta-recipientid",
            activity.recipient.as_ref().map(|a| a.id.clone()),
        ),
        ("x-ms-meta-timestamp", timestamp),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        let value = value?;
        (!value.is_empty() && value.bytes().all(|b| (b' '..=b'~').contains(&b)))
            .then_some((name, value))
    })
    .collect()
}

/// .NET's round-trip (`O`) format of a time: seven fractional digits and the offset.
fn round_trip_format(timestamp: &Timestamp) -> String {
    use chrono::Timelike as _;
    let time = timestamp.to_datetime();
    // A leap second's nanoseconds run past 999 999 999: .NET has no such time.
    let fraction = (time.nanosecond() / 100).min(9_999_999);
    format!(
        "{}.{fraction:07}{}",
        time.format("%Y-%m-%dT%H:%M:%S"),
        time.format("%:z")
    )
}

fn parse_activity(name: &str, body: &[u8]) -> Result<Activity, Error> {
    let invalid = |reason: String| Error::InvalidDocument {
        key: name.to_owned(),
        reason,
    };
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    serde_json::from_slice(body).map_err(|e| invalid(format!("not an activity: {e}")))
}

fn invalid_token(token: &str) -> Error {
    Error::storage(
        "reading a transcript",
        AzureBlobError::InvalidToken {
            token: token.to_owned(),
        },
    )
}

/// A List Blobs answer (`EnumerationResults`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Listing {
    #[serde(default)]
    blobs: Blobs,
    #[serde(default)]
    next_marker: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Blobs {
    #[serde(rename = "$value", default)]
    entries: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
enum Entry {
    Blob(ListedBlob),
    BlobPrefix(ListedPrefix),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedBlob {
    name: String,
    #[serde(default)]
    metadata: HashMap<String, String>,
}

impl ListedBlob {
    /// A metadata value, its name matched without regard to case (the service keeps the
    /// case a writer used: BotBuilder's `FromId`, our `fromid`).
    fn meta(&self, name: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedPrefix {
    name: String,
}

fn parse_listing(body: &[u8]) -> Result<Listing, Error> {
    let invalid = |reason: String| {
        Error::storage(
            "listing azure blobs",
            AzureBlobError::InvalidListing { reason },
        )
    };
    let text = std::str::from_utf8(body).map_err(|_| invalid("not UTF-8".to_owned()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    quick_xml::de::from_str(text).map_err(|e| invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{azurite_store, stand_in, stand_in_store};
    use botbuilder_core::schema::{ChannelId, ConversationAccount, RoleTypes};
    use serde_json::Value;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn message(channel: &str, conversation: &str, id: &str, time: &str, text: &str) -> Activity {
        let mut activity = Activity::new(ActivityTypes::Message);
        activity.channel_id = Some(ChannelId::parse(channel));
        activity.conversation = Some(ConversationAccount::new(conversation));
        activity.id = Some(id.to_owned());
        activity.timestamp = Some(at(time));
        activity.text = Some(text.to_owned());
        let mut from = ChannelAccount::new("user-1");
        from.role = Some(RoleTypes::User);
        activity.from = Some(from);
        let mut bot = ChannelAccount::new("bot-1");
        bot.role = Some(RoleTypes::Bot);
        activity.recipient = Some(bot);
        activity
    }

    async fn azurite(test: &str) -> Option<BlobTranscriptStore> {
        azurite_store(test, "dotnet")
            .await
            .map(BlobTranscriptStore::new)
    }

    /// Every blob of a prefix with its metadata, as the service lists it.
    async fn listed(store: &BlobTranscriptStore, prefix: &str) -> Vec<ListedBlob> {
        let mut blobs = Vec::new();
        store
            .scan(prefix, |blob| {
                blobs.push(blob);
                true
            })
            .await
            .unwrap();
        blobs
    }

    async fn raw_body(store: &BlobTranscriptStore, name: &str) -> Value {
        let response = store
            .storage
            .send(
                "GET blob",
                Method::GET,
                store.blob_url(name),
                Request::default(),
            )
            .await
            .unwrap();
        assert_eq!(response.status, StatusCode::OK, "{name}");
        serde_json::from_slice(&response.body).unwrap()
    }

    async fn all_activities(
        store: &BlobTranscriptStore,
        channel: &str,
        conversation: &str,
    ) -> Vec<Activity> {
        let mut all = Vec::new();
        let mut token = None;
        loop {
            let page = store
                .get_transcript_activities(channel, conversation, token.as_deref(), None)
                .await
                .unwrap();
            all.extend(page.items);
            match page.continuation_token {
                Some(next) => token = Some(next),
                None => return all,
            }
        }
    }

    #[test]
    fn names_escape_as_uri_escape_data_string_and_ticks_round_trip() {
        assert_eq!(
            escape("19:a b@thread.v2/x~y"),
            "19%3Aa%20b%40thread.v2%2Fx~y"
        );
        assert_eq!(escape("ümlaut"), "%C3%BCmlaut");
        // 2026-12-08T01:02:03.4567891Z in .NET ticks.
        let t = at("2026-12-08T01:02:03.4567891Z");
        assert_eq!(ticks(&t), Some(0x08df_54c6_df2f_2ad3));
        assert_eq!(from_ticks("8df54c6df2f2ad3").unwrap().to_utc(), t.to_utc());
        // The Unix epoch is .NET's 621355968000000000.
        assert_eq!(
            ticks(&at("1970-01-01T00:00:00Z")),
            Some(621_355_968_000_000_000)
        );
        assert_eq!(from_ticks("not hex"), None);
        assert!(ticks(&at("0000-12-31T23:59:59Z")).is_none());
        let mut no_time = message("test", "c", "1", "2026-01-01T00:00:00Z", "hi");
        no_time.timestamp = None;
        assert!(BlobTranscriptStore::blob_name(&no_time).is_err());
    }

    #[test]
    fn metadata_is_botbuilders_and_leaves_out_what_a_header_cannot_carry() {
        let mut activity = message("msteams", "c", "1", "2026-12-08T01:02:03.5+00:00", "hi");
        activity.from = Some(ChannelAccount::new("Zoë"));
        let metadata = metadata(&activity);
        assert_eq!(
            metadata,
            [
                ("x-ms-meta-id", "1".to_owned()),
                ("x-ms-meta-recipientid", "bot-1".to_owned()),
                (
                    "x-ms-meta-timestamp",
                    "2026-12-08T01:02:03.5000000+00:00".to_owned()
                ),
            ]
        );
    }

    /// A conversation as BotBuilder .NET's `BlobsTranscriptStore` logs it: blobs named
    /// `{EscapeDataString(channel)}/{EscapeDataString(conversation)}/{ticks:x}-{id}.json`,
    /// Json.NET's indented output, `Id`/`FromId`/`RecipientId`/`Timestamp` metadata.
    #[tokio::test]
    async fn reads_a_transcript_botbuilder_dotnet_wrote_and_writes_one_it_reads() {
        let Some(store) =
            azurite("reads_a_transcript_botbuilder_dotnet_wrote_and_writes_one_it_reads").await
        else {
            return;
        };
        let conversation = "19:meeting_Nz@thread.v2";
        let prefix = "msteams/19%3Ameeting_Nz%40thread.v2/";
        let written = [
            (
                "1733619723123",
                "2026-12-08T01:02:03.1234567+00:00",
                "user",
                "hello",
            ),
            (
                "1733619724000",
                "2026-12-08T01:02:04.0000000+00:00",
                "bot",
                "hi Ada",
            ),
            ("f:9a3b", "2026-12-08T01:02:05.5000000+00:00", "user", "bye"),
        ];
        for (id, time, role, text) in written {
            let (from, recipient) = if role == "user" {
                ("29:ada", "28:bot")
            } else {
                ("28:bot", "29:ada")
            };
            let body = format!(
                "{{\r\n  \"type\": \"message\",\r\n  \"id\": \"{id}\",\r\n  \"timestamp\": \"{time}\",\r\n  \
                 \"serviceUrl\": \"https://smba.trafficmanager.net/emea/\",\r\n  \"channelId\": \"msteams\",\r\n  \
                 \"from\": {{\r\n    \"id\": \"{from}\",\r\n    \"role\": \"{role}\"\r\n  }},\r\n  \
                 \"conversation\": {{\r\n    \"id\": \"{conversation}\"\r\n  }},\r\n  \
                 \"recipient\": {{\r\n    \"id\": \"{recipient}\"\r\n  }},\r\n  \"text\": \"{text}\"\r\n}}"
            );
            let name = format!(
                "{prefix}{:x}-{}.json",
                ticks(&at(time)).unwrap(),
                escape(id)
            );
            let request = Request {
                body: format!("\u{feff}{body}").into_bytes(),
                content_type: Some("application/octet-stream"),
                blob_type: true,
                metadata: vec![
                    ("x-ms-meta-id", id.to_owned()),
                    ("x-ms-meta-fromid", from.to_owned()),
                    ("x-ms-meta-recipientid", recipient.to_owned()),
                    ("x-ms-meta-timestamp", time.to_owned()),
                ],
                ..Request::default()
            };
            let response = store
                .storage
                .send("PUT blob", Method::PUT, store.blob_url(&name), request)
                .await
                .unwrap();
            assert_eq!(response.status, StatusCode::CREATED, "{name}");
        }

        let page = store
            .get_transcript_activities("msteams", conversation, None, None)
            .await
            .unwrap();
        let texts: Vec<_> = page
            .items
            .iter()
            .map(|a| a.text.as_deref().unwrap())
            .collect();
        assert_eq!(texts, ["hello", "hi Ada", "bye"]);
        assert_eq!(page.continuation_token, None);
        assert_eq!(page.items[2].id.as_deref(), Some("f:9a3b"));
        assert_eq!(
            page.items[0].timestamp.as_ref().unwrap().to_utc(),
            at("2026-12-08T01:02:03.1234567Z").to_utc()
        );
        let later = store
            .get_transcript_activities(
                "msteams",
                conversation,
                None,
                Some(&at("2026-12-08T01:02:04Z")),
            )
            .await
            .unwrap();
        assert_eq!(later.items.len(), 2, "{later:?}");

        let transcripts = store.list_transcripts("msteams", None).await.unwrap();
        assert_eq!(transcripts.items.len(), 1);
        assert_eq!(transcripts.items[0].id, conversation);
        assert_eq!(transcripts.items[0].channel_id, "msteams");
        assert_eq!(
            transcripts.items[0].created.to_utc(),
            at("2026-12-08T01:02:03.1234567Z").to_utc()
        );

        // What we log is where and as BotBuilder .NET looks for it.
        let ours = message(
            "msteams",
            conversation,
            "1733619726000",
            "2026-12-08T01:02:06.25Z",
            "one more",
        );
        store.log_activity(&ours).await.unwrap();
        let name = format!(
            "{prefix}{:x}-1733619726000.json",
            ticks(&at("2026-12-08T01:02:06.25Z")).unwrap()
        );
        assert_eq!(BlobTranscriptStore::blob_name(&ours).unwrap(), name);
        let blobs = listed(&store, prefix).await;
        assert_eq!(blobs.len(), 4);
        let blob = &blobs[3];
        assert_eq!(blob.name, name);
        assert_eq!(blob.meta("Id"), Some("1733619726000"));
        assert_eq!(blob.meta("FromId"), Some("user-1"));
        assert_eq!(blob.meta("RecipientId"), Some("bot-1"));
        assert_eq!(
            blob.meta("Timestamp"),
            Some("2026-12-08T01:02:06.2500000+00:00")
        );
        let body = raw_body(&store, &name).await;
        assert_eq!(body["type"], "message");
        assert_eq!(body["text"], "one more");
        assert_eq!(body["conversation"]["id"], conversation);
        // Logging the same activity again does not overwrite it.
        let again = store.log_activity(&ours).await.unwrap_err();
        assert!(again.is_conflict(), "{again:?}");
    }

    #[tokio::test]
    async fn pages_of_twenty_over_a_long_conversation() {
        let Some(store) = azurite("pages_of_twenty_over_a_long_conversation").await else {
            return;
        };
        let times: Vec<String> = (0..45)
            .map(|i| format!("2026-12-08T01:{:02}:{:02}.5Z", i / 60, i % 60))
            .collect();
        // Logged out of order: the transcript is in time order all the same.
        for i in (0..45).rev() {
            let activity = message(
                "webchat",
                "dl_42",
                &format!("a{i}"),
                &times[i],
                &format!("#{i}"),
            );
            store.log_activity(&activity).await.unwrap();
        }
        // Another conversation's activities are not in it.
        store
            .log_activity(&message("webchat", "dl_420", "x", &times[0], "other"))
            .await
            .unwrap();

        let first = store
            .get_transcript_activities("webchat", "dl_42", None, None)
            .await
            .unwrap();
        assert_eq!(first.items.len(), 20);
        let token = first.continuation_token.clone().unwrap();
        assert!(
            token.starts_with("webchat/dl_42/") && token.ends_with("-a19.json"),
            "{token}"
        );
        let second = store
            .get_transcript_activities("webchat", "dl_42", Some(&token), None)
            .await
            .unwrap();
        assert_eq!(second.items.len(), 20);
        let third = store
            .get_transcript_activities(
                "webchat",
                "dl_42",
                second.continuation_token.as_deref(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(third.items.len(), 5);
        assert_eq!(third.continuation_token, None);
        let texts: Vec<String> = [first.items, second.items, third.items]
            .concat()
            .into_iter()
            .map(|a| a.text.unwrap())
            .collect();
        let expected: Vec<String> = (0..45).map(|i| format!("#{i}")).collect();
        assert_eq!(texts, expected);

        // From a start date: activities 30..45, one page.
        let since = store
            .get_transcript_activities("webchat", "dl_42", None, Some(&at(&times[30])))
            .await
            .unwrap();
        assert_eq!(since.items.len(), 15);
        assert_eq!(since.items[0].text.as_deref(), Some("#30"));
        assert_eq!(since.continuation_token, None);

        // A token of another conversation is not one this store issued for it.
        let e = store
            .get_transcript_activities("webchat", "dl_420", Some(&token), None)
            .await
            .unwrap_err();
        let source = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<AzureBlobError>())
            .unwrap_or_else(|| panic!("{e:?}"));
        assert!(
            matches!(source, AzureBlobError::InvalidToken { .. }),
            "{source}"
        );
    }

    #[tokio::test]
    async fn transcripts_are_listed_in_pages_and_deleted() {
        let Some(store) = azurite("transcripts_are_listed_in_pages_and_deleted").await else {
            return;
        };
        let ids: Vec<String> = (0..23).map(|i| format!("conv {i:02}/é")).collect();
        futures::future::try_join_all(ids.iter().enumerate().map(|(i, id)| {
            let store = store.clone();
            let activity = message("slack", id, "1", &format!("2026-12-08T02:00:{i:02}Z"), "hi");
            async move {
                store.log_activity(&activity).await?;
                let mut reply = activity.clone();
                reply.id = Some("2".to_owned());
                reply.timestamp = Some(at(&format!("2026-12-08T03:00:{i:02}Z")));
                store.log_activity(&reply).await
            }
        }))
        .await
        .unwrap();
        store
            .log_activity(&message(
                "msteams",
                "elsewhere",
                "1",
                "2026-12-08T02:00:00Z",
                "x",
            ))
            .await
            .unwrap();

        let first = store.list_transcripts("slack", None).await.unwrap();
        assert_eq!(first.items.len(), 20);
        assert_eq!(first.continuation_token.as_deref(), Some(ids[19].as_str()));
        let second = store
            .list_transcripts("slack", first.continuation_token.as_deref())
            .await
            .unwrap();
        assert_eq!(second.items.len(), 3);
        assert_eq!(second.continuation_token, None);
        let listed: Vec<&str> = first
            .items
            .iter()
            .chain(&second.items)
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(listed, ids.iter().map(String::as_str).collect::<Vec<_>>());
        for (i, transcript) in first.items.iter().enumerate() {
            assert_eq!(
                transcript.created.to_utc(),
                at(&format!("2026-12-08T02:00:{i:02}Z")).to_utc()
            );
        }

        store.delete_transcript("slack", &ids[3]).await.unwrap();
        assert!(all_activities(&store, "slack", &ids[3]).await.is_empty());
        assert_eq!(all_activities(&store, "slack", &ids[4]).await.len(), 2);
        let after = store.list_transcripts("slack", None).await.unwrap();
        assert!(after.items.iter().all(|t| t.id != ids[3]));
        assert_eq!(after.items.len(), 20);
        // Deleting what is not there is no error.
        store.delete_transcript("slack", &ids[3]).await.unwrap();
        store.delete_transcript("nochannel", "none").await.unwrap();
        assert_eq!(
            store
                .list_transcripts("msteams", None)
                .await
                .unwrap()
                .items
                .len(),
            1
        );
    }

    #[tokio::test]
    async fn updates_and_deletes_replace_the_logged_activity() {
        let Some(store) = azurite("updates_and_deletes_replace_the_logged_activity").await else {
            return;
        };
        let original = message("msteams", "c1", "m1", "2026-12-08T04:00:00Z", "first draft");
        store.log_activity(&original).await.unwrap();
        store
            .log_activity(&message(
                "msteams",
                "c1",
                "m2",
                "2026-12-08T04:00:01Z",
                "keep me",
            ))
            .await
            .unwrap();
        let name = BlobTranscriptStore::blob_name(&original).unwrap();

        // The bot edits m1: the logger logs a messageUpdate, stamped now.
        let mut update = original.clone();
        update.activity_type = ActivityTypes::MessageUpdate;
        update.text = Some("final text".to_owned());
        update.timestamp = Some(at("2026-12-08T05:00:00Z"));
        store.log_activity(&update).await.unwrap();
        let activities = all_activities(&store, "msteams", "c1").await;
        assert_eq!(activities.len(), 2, "{activities:?}");
        assert_eq!(activities[0].activity_type, ActivityTypes::Message);
        assert_eq!(activities[0].text.as_deref(), Some("final text"));
        assert_eq!(activities[0].timestamp, original.timestamp);
        assert_eq!(raw_body(&store, &name).await["text"], "final text");

        // The bot deletes m1: a tombstone in its place.
        let mut delete = Activity::new(ActivityTypes::MessageDelete);
        delete.channel_id = original.channel_id.clone();
        delete.conversation = original.conversation.clone();
        delete.id = Some("m1".to_owned());
        delete.timestamp = Some(at("2026-12-08T06:00:00Z"));
        store.log_activity(&delete).await.unwrap();
        let activities = all_activities(&store, "msteams", "c1").await;
        assert_eq!(activities.len(), 2);
        let tombstone = &activities[0];
        assert_eq!(tombstone.activity_type, ActivityTypes::MessageDelete);
        assert_eq!(tombstone.id.as_deref(), Some("m1"));
        assert_eq!(tombstone.text, None);
        let from = tombstone.from.as_ref().unwrap();
        assert_eq!(from.id, "deleted");
        assert_eq!(from.role, Some(RoleTypes::User));
        assert_eq!(tombstone.recipient.as_ref().unwrap().id, "deleted");
        assert_eq!(tombstone.timestamp, original.timestamp);
        assert_eq!(activities[1].text.as_deref(), Some("keep me"));
        let blobs = listed(&store, "msteams/c1/").await;
        assert_eq!(blobs[0].name, name);
        assert_eq!(blobs[0].meta("fromid"), Some("deleted"));

        // An update of an activity not logged is logged as a message; a delete is ignored.
        let mut stray = message("msteams", "c1", "m9", "2026-12-08T07:00:00Z", "edited");
        stray.activity_type = ActivityTypes::MessageUpdate;
        store.log_activity(&stray).await.unwrap();
        let mut gone = delete.clone();
        gone.id = Some("m404".to_owned());
        store.log_activity(&gone).await.unwrap();
        let activities = all_activities(&store, "msteams", "c1").await;
        assert_eq!(activities.len(), 3);
        assert_eq!(activities[2].activity_type, ActivityTypes::Message);
        assert_eq!(activities[2].text.as_deref(), Some("edited"));

        // An id a header cannot carry has no `Id` metadata: the blob name still finds it.
        let accented = message(
            "msteams",
            "c1",
            "réponse-1",
            "2026-12-08T08:00:00Z",
            "draft",
        );
        store.log_activity(&accented).await.unwrap();
        let blobs = listed(&store, "msteams/c1/").await;
        let blob = blobs.last().unwrap();
        assert!(blob.name.ends_with("-r%C3%A9ponse-1.json"), "{}", blob.name);
        assert_eq!(blob.meta("id"), None);
        let mut edit = accented.clone();
        edit.activity_type = ActivityTypes::MessageUpdate;
        edit.text = Some("sent".to_owned());
        store.log_activity(&edit).await.unwrap();
        let activities = all_activities(&store, "msteams", "c1").await;
        assert_eq!(activities.len(), 4);
        assert_eq!(activities[3].text.as_deref(), Some("sent"));
    }

    /// The logger middleware, end to end: a turn's activities, an update and a delete land
    /// in the blob transcript as BotBuilder's store keeps them.
    #[tokio::test]
    async fn the_transcript_logger_writes_through_it() {
        use botbuilder_core::bot_fn;
        use botbuilder_core::middleware::TranscriptLoggerMiddleware;
        use botbuilder_core::testing::{TestAdapter, TestFlow};

        let Some(store) = azurite("the_transcript_logger_writes_through_it").await else {
            return;
        };
        let adapter = TestAdapter::new().with_middleware(TranscriptLoggerMiddleware::new(
            std::sync::Arc::new(store.clone()),
        ));
        let bot = bot_fn(async move |ctx| {
            let one = ctx.send_activity("one").await?;
            let two = ctx.send_activity("two").await?;
            ctx.update_activity(Activity::message("one, edited").with_id(one.id.clone()))
                .await?;
            ctx.delete_activity(two.id).await?;
            Ok(())
        });
        TestFlow::new(adapter.clone(), bot)
            .send("hi")
            .assert_reply("one")
            .assert_reply("two")
            .await;
        let page = store
            .get_transcript_activities("test", "convo1", None, None)
            .await
            .unwrap();
        let summary: Vec<(String, String, Option<String>)> = page
            .items
            .iter()
            .map(|a| {
                (
                    a.activity_type.to_string(),
                    a.text().to_owned(),
                    a.from.as_ref().map(|f| f.id.clone()),
                )
            })
            .collect();
        let bot_id = adapter.sent_activities()[0]
            .from
            .as_ref()
            .map(|f| f.id.clone());
        let user_id = summary[0].2.clone();
        assert_eq!(
            summary,
            [
                ("message".to_owned(), "hi".to_owned(), user_id),
                ("message".to_owned(), "one, edited".to_owned(), bot_id),
                (
                    "messageDelete".to_owned(),
                    String::new(),
                    Some("deleted".to_owned())
                ),
            ]
        );
        assert_eq!(page.items[2].id, adapter.sent_activities()[1].id);
    }

    #[tokio::test]
    async fn unreadable_answers_are_typed_errors() {
        let listing = |blob: &str| {
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"http://x/\" \
                 ContainerName=\"state\"><Prefix>test/c/</Prefix><MaxResults>1000</MaxResults><Blobs>{blob}</Blobs>\
                 <NextMarker /></EnumerationResults>"
            )
        };
        let good = listing(
            "<Blob><Name>test/c/8df54c6df2f2ad3-1.json</Name><Properties><Content-Length>2</Content-Length>\
             </Properties><Metadata><Id>1</Id><FromId>u</FromId><Timestamp>2026-12-08T01:02:03.4567891+00:00\
             </Timestamp></Metadata></Blob>",
        );
        let answers: Vec<(&'static str, &'static str)> = vec![
            ("HTTP/1.1 200 OK", "<EnumerationResults><Blobs><Blob><Name>"),
            ("HTTP/1.1 200 OK", "{\"not\": \"xml\"}"),
            ("HTTP/1.1 200 OK", Box::leak(good.clone().into_boxed_str())),
            ("HTTP/1.1 200 OK", "{\"type\": 42"),
            ("HTTP/1.1 200 OK", Box::leak(good.into_boxed_str())),
            ("HTTP/1.1 200 OK", "[1, 2, 3]"),
        ];
        let (endpoint, seen) = stand_in(answers).await;
        let store = BlobTranscriptStore::new(stand_in_store(&endpoint, 0).await);
        for _ in 0..2 {
            let e = store
                .get_transcript_activities("test", "c", None, None)
                .await
                .unwrap_err();
            let source = std::error::Error::source(&e)
                .and_then(|s| s.downcast_ref::<AzureBlobError>())
                .unwrap_or_else(|| panic!("{e:?}"));
            assert!(
                matches!(source, AzureBlobError::InvalidListing { .. }),
                "{source}"
            );
        }
        for _ in 0..2 {
            let e = store
                .get_transcript_activities("test", "c", None, None)
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::InvalidDocument { key, .. } if key == "test/c/8df54c6df2f2ad3-1.json"),
                "{e:?}"
            );
        }
        let seen = seen.lock().unwrap();
        let head = seen[0].to_ascii_lowercase();
        assert!(
            head.starts_with(
                "get /acct/state?restype=container&comp=list&prefix=test%2fc%2f&include=metadata"
            ),
            "{head}"
        );
        assert!(
            seen[3].starts_with("GET /acct/state/test/c/8df54c6df2f2ad3-1.json "),
            "{}",
            seen[3]
        );

        // Listings with BotBuilder's metadata casing are read.
        let parsed = parse_listing(
            b"<EnumerationResults><Blobs><Blob><Name>a/b/1-2.json</Name><Metadata><Id>2</Id>\
              <Timestamp>2026-01-01T00:00:00Z</Timestamp></Metadata></Blob>\
              <BlobPrefix><Name>a/c/</Name></BlobPrefix><Blob><Name>a/d</Name><Metadata /></Blob></Blobs>\
              <NextMarker>2!abc</NextMarker></EnumerationResults>",
        )
        .unwrap();
        assert_eq!(parsed.next_marker.as_deref(), Some("2!abc"));
        assert_eq!(parsed.blobs.entries.len(), 3);
        assert!(matches!(&parsed.blobs.entries[0], Entry::Blob(b) if b.meta("id") == Some("2")));
        assert!(matches!(&parsed.blobs.entries[1], Entry::BlobPrefix(p) if p.name == "a/c/"));
        for bad in [
            &b"\xff\xfe"[..],
            b"",
            b"<EnumerationResults><Blobs><Blob></Blob></Blobs></EnumerationResults>",
        ] {
            assert!(parse_listing(bad).is_err(), "{bad:?}");
        }
    }
}
