//! Turn leases in Redis: [`RedisStorage`] as a [`ConversationLock`].

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use botbuilder_core::{ConversationLock, Error};

use crate::RedisStorage;

/// Takes the lease for a token first in line, or keeps the token's place in line.
///
/// KEYS: the lease (a string: the holder's token, with a time to live), the line (a sorted
/// set of tokens by arrival number), the places (a hash: token -> the millisecond, by the
/// server's clock, after which its place lapses; `#next` -> the next arrival number).
/// ARGV: the token, the time to live in milliseconds. Returns 1 when the token holds the
/// lease, 0 when it waits.
const ACQUIRE_SCRIPT: &str = r"
local ttl = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 1
end
local first = nil
while true do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)
  if #head == 0 then break end
  local lapses = tonumber(redis.call('HGET', KEYS[3], head[1]) or '0')
  if lapses >= now then
    first = head[1]
    break
  end
  redis.call('ZREM', KEYS[2], head[1])
  redis.call('HDEL', KEYS[3], head[1])
end
if not holder and (first == nil or first == ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  return 1
end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  local number = redis.call('HINCRBY', KEYS[3], '#next', 1)
  redis.call('ZADD', KEYS[2], number, ARGV[1])
end
redis.call('HSET', KEYS[3], ARGV[1], now + ttl)
redis.call('PEXPIRE', KEYS[2], ttl * 2)
redis.call('PEXPIRE', KEYS[3], ttl * 2)
return 0
";

/// Extends the lease if the token holds it. KEYS: the lease. ARGV: the token, the time to
/// live in milliseconds. Returns 1 when extended.
const EXTEND_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// Releases the lease if the token holds it, and the token's place in line. KEYS: as
/// [`ACQUIRE_SCRIPT`]'s. ARGV: the token.
const RELEASE_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
";

static ACQUIRE: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(ACQUIRE_SCRIPT));
static EXTEND: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(EXTEND_SCRIPT));
static RELEASE: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(RELEASE_SCRIPT));

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisStorage {
    /// The Redis keys of a conversation's lease, line and places.
    fn lease_keys(&self, key: &str) -> [String; 3] {
        let lease = format!("{}botbuilder-turn:{key}", self.prefix);
        let line = format!("{lease}:line");
        let places = format!("{lease}:places");
        [lease, line, places]
    }
}

/// Turn leases for [`TurnOrdering::Distributed`](botbuilder_core::TurnOrdering::Distributed):
/// each operation is one Lua script, atomic on the server and timed by the server's clock.
/// See the [crate docs](crate#turn-ordering-across-instances).
#[async_trait]
impl ConversationLock for RedisStorage {
    async fn try_acquire(&self, key: &str, token: &str, ttl: Duration) -> Result<bool, Error> {
        let [lease, line, places] = self.lease_keys(key);
        let held: i64 = ACQUIRE
            .key(lease)
            .key(line)
            .key(places)
            .arg(token)
            .arg(millis(ttl))
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(|e| Error::storage("taking a turn lease in redis", e))?;
        Ok(held == 1)
    }

    async fn extend(&self, key: &str, token: &str, ttl: Duration) -> Result<bool, Error> {
        let [lease, _, _] = self.lease_keys(key);
        let extended: i64 = EXTEND
            .key(lease)
            .arg(token)
            .arg(millis(ttl))
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(|e| Error::storage("extending a turn lease in redis", e))?;
        Ok(extended == 1)
    }

    async fn release(&self, key: &str, token: &str) -> Result<(), Error> {
        let [lease, line, places] = self.lease_keys(key);
        RELEASE
            .key(lease)
            .key(line)
            .key(places)
            .arg(token)
            .invoke_async::<i64>(&mut self.connection.clone())
            .await
            .map_err(|e| Error::storage("releasing a turn lease in redis", e))?;
        Ok(())
    }
}
