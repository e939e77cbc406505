//! The in-memory access token cache, shared by credentials and threads.
//!
//! Tokens are keyed by (authority, tenant, client, sorted scopes, user). A
//! token is reused until less than `refresh_before` (10 minutes) of its life
//! is left, because Exchange rejects tokens about to expire (`501 5.5.127`).
//! A token that lives no longer than twice that margin is refreshed at half
//! its life instead, so short-lived tokens are not refetched on every call.
//! Callers asking for the same key at once share one request (single flight):
//! each key has its own lock, held while its token is fetched, and callers
//! that waited for a fetch that failed get its error instead of repeating it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::AccessToken;
use crate::Result;

/// Default margin before expiry at which a token is replaced.
pub const DEFAULT_REFRESH_BEFORE: Duration = Duration::from_secs(600);

/// Identifies one cached token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub authority: String,
    pub tenant: String,
    pub client_id: String,
    /// Sorted and de-duplicated.
    pub scopes: Vec<String>,
    /// Empty for app-only tokens.
    pub user: String,
}

impl CacheKey {
    pub fn new(authority: &str, tenant: &str, client_id: &str, scopes: &[String], user: &str) -> Self {
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        CacheKey {
            authority: authority.to_owned(),
            tenant: tenant.to_ascii_lowercase(),
            client_id: client_id.to_owned(),
            scopes,
            user: user.to_ascii_lowercase(),
        }
    }
}

#[derive(Clone)]
struct Entry {
    token: AccessToken,
    obtained: SystemTime,
}

#[derive(Default)]
struct SlotState {
    entry: Option<Entry>,
    /// The last failed fetch and when it ended.
    failure: Option<(SystemTime, crate::Error)>,
}

type Slot = Arc<Mutex<SlotState>>;

/// A thread-safe token cache. Cloning shares the cache.
#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<Inner>,
}

struct Inner {
    refresh_before: Duration,
    slots: Mutex<HashMap<CacheKey, Slot>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("refresh_before", &self.inner.refresh_before)
            .field("entries", &lock(&self.inner.slots).len())
            .finish()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache::new(DEFAULT_REFRESH_BEFORE)
    }
}

/// A poisoned lock only means another caller panicked mid-fetch; the cached
/// value is still consistent (it is replaced whole), so carry on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TokenCache {
    pub fn new(refresh_before: Duration) -> Self {
        TokenCache { inner: Arc::new(Inner { refresh_before, slots: Mutex::new(HashMap::new()) }) }
    }

    pub fn refresh_before(&self) -> Duration {
        self.inner.refresh_before
    }

    /// The cached token for `key` while it has enough life left, else the
    /// result of `fetch` (which is then cached). With `force`, the cached token
    /// is replaced, unless another caller replaced it while this one waited.
    pub fn get_or_fetch(
        &self,
        key: &CacheKey,
        force: bool,
        fetch: impl FnOnce() -> Result<AccessToken>,
    ) -> Result<AccessToken> {
        let asked = SystemTime::now();
        let slot = {
            let mut slots = lock(&self.inner.slots);
            // The key is cloned only for a new slot: a hit allocates nothing.
            match slots.get(key) {
                Some(slot) => slot.clone(),
                None => slots.entry(key.clone()).or_default().clone(),
            }
        };
        let mut state = lock(&slot);
        if let Some(e) = state.entry.as_ref() {
            let refreshed_meanwhile = e.obtained >= asked;
            if (force && refreshed_meanwhile) || (!force && !self.needs_refresh(e, SystemTime::now())) {
                tracing::trace!(client_id = %key.client_id, scopes = ?key.scopes, "token cache hit");
                return Ok(e.token.clone());
            }
        }
        if let Some((ended, err)) = &state.failure
            && *ended >= asked
        {
            tracing::debug!(client_id = %key.client_id, "sharing the error of the fetch this call waited for");
            return Err(err.clone());
        }
        tracing::debug!(client_id = %key.client_id, scopes = ?key.scopes, force, "token cache miss");
        let obtained = SystemTime::now();
        match fetch() {
            Ok(token) => {
                *state = SlotState { entry: Some(Entry { token: token.clone(), obtained }), failure: None };
                Ok(token)
            }
            Err(err) => {
                state.failure = Some((SystemTime::now(), err.clone()));
                Err(err)
            }
        }
    }

    /// The cached token for `key` while it has enough life left; never waits for a
    /// fetch in progress (`None` then), never fetches.
    pub fn peek(&self, key: &CacheKey) -> Option<AccessToken> {
        let slot = lock(&self.inner.slots).get(key)?.clone();
        let state = slot.try_lock().ok()?;
        let entry = state.entry.as_ref()?;
        (!self.needs_refresh(entry, SystemTime::now())).then(|| entry.token.clone())
    }

    /// Drops every cached token.
    pub fn clear(&self) {
        lock(&self.inner.slots).clear();
    }

    fn needs_refresh(&self, e: &Entry, now: SystemTime) -> bool {
        let lifetime = e.token.expires_on().duration_since(e.obtained).unwrap_or(Duration::ZERO);
        let margin = self.inner.refresh_before.min(lifetime / 2);
        match e.token.expires_on().duration_since(now) {
            Ok(left) => left <= margin,
            Err(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn key(user: &str) -> CacheKey {
        CacheKey::new("https://a", "T", "c", &["s2".into(), "s1".into(), "s1".into()], user)
    }

    fn token(lifetime: Duration) -> AccessToken {
        AccessToken::new("tok", SystemTime::now() + lifetime)
    }

    #[test]
    fn keys_ignore_scope_order_and_case_of_tenant_and_user() {
        let a = key("Alice@X");
        let b = CacheKey::new("https://a", "t", "c", &["s1".into(), "s2".into()], "alice@x");
        assert_eq!(a, b);
        assert_ne!(key("bob"), b);
    }

    #[test]
    fn reuses_until_ten_minutes_are_left() {
        let cache = TokenCache::default();
        let fetches = AtomicUsize::new(0);
        let fetch = |life: Duration| {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok(token(life))
        };
        // An hour-long token is reused.
        cache.get_or_fetch(&key(""), false, || fetch(Duration::from_secs(3600))).unwrap();
        cache.get_or_fetch(&key(""), false, || fetch(Duration::from_secs(3600))).unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // A token obtained an hour ago with 9 minutes left is replaced.
        let slot = lock(&cache.inner.slots).get(&key("")).unwrap().clone();
        lock(&slot).entry = Some(Entry {
            token: token(Duration::from_secs(540)),
            obtained: SystemTime::now() - Duration::from_secs(3000),
        });
        cache.get_or_fetch(&key(""), false, || fetch(Duration::from_secs(3600))).unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        // ... but one with 11 minutes left is not.
        lock(&slot).entry = Some(Entry {
            token: token(Duration::from_secs(660)),
            obtained: SystemTime::now() - Duration::from_secs(3000),
        });
        cache.get_or_fetch(&key(""), false, || fetch(Duration::from_secs(3600))).unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn short_lived_tokens_are_refreshed_at_half_life() {
        let cache = TokenCache::default();
        let e = Entry { token: token(Duration::from_secs(120)), obtained: SystemTime::now() };
        assert!(!cache.needs_refresh(&e, SystemTime::now()));
        assert!(cache.needs_refresh(&e, SystemTime::now() + Duration::from_secs(61)));
    }

    #[test]
    fn forced_refresh_and_failures() {
        let cache = TokenCache::default();
        let n = AtomicUsize::new(0);
        let ok = || {
            n.fetch_add(1, Ordering::SeqCst);
            Ok(token(Duration::from_secs(3600)))
        };
        cache.get_or_fetch(&key(""), false, ok).unwrap();
        cache.get_or_fetch(&key(""), true, ok).unwrap();
        assert_eq!(n.load(Ordering::SeqCst), 2);
        // A failed fetch keeps nothing and reports the error.
        let err = cache.get_or_fetch(&key("other"), false, || Err(crate::Error::auth("no"))).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Auth);
        cache.get_or_fetch(&key("other"), false, ok).unwrap();
        assert_eq!(n.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn callers_waiting_for_a_failed_fetch_share_its_error() {
        let cache = TokenCache::default();
        let n = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (cache, n, barrier) = (cache.clone(), n.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    cache.get_or_fetch(&key(""), false, || {
                        n.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(100));
                        Err(crate::Error::auth("bad secret"))
                    })
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap().unwrap_err().kind(), crate::ErrorKind::Auth);
        }
        // Threads that arrived while the first fetch ran did not repeat it;
        // a thread scheduled only after it ended may have tried once more.
        assert!(n.load(Ordering::SeqCst) <= 2, "{} fetches", n.load(Ordering::SeqCst));
        // A later call tries again.
        cache.get_or_fetch(&key(""), false, || Ok(token(Duration::from_secs(3600)))).unwrap();
    }

    #[test]
    fn concurrent_callers_share_one_fetch() {
        let cache = TokenCache::default();
        let n = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(std::sync::Barrier::new(16));
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (cache, n, barrier) = (cache.clone(), n.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    cache
                        .get_or_fetch(&key(""), false, || {
                            n.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(50));
                            Ok(token(Duration::from_secs(3600)))
                        })
                        .unwrap()
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }
}
