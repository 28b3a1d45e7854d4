//! Who is calling and what they may do: users with argon2id password hashes (HTTP basic),
//! API keys (bearer `ddk_<id>_<secret>`, SHA-256 of the secret stored), roles mapped to
//! permissions, and a limit on failed logins.

use argon2::Argon2;
use argon2::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A role, as Anchore's users know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything, in every account.
    Admin,
    /// Everything in its own account, users and keys included.
    AccountAdmin,
    /// Images, subscriptions, events; reads policies.
    ReadWrite,
    /// Reads images, policies and events.
    ReadOnly,
    /// Writes policies; reads images and events.
    PolicyEditor,
    /// Adds and reads images only.
    ImageAnalyzer,
}

/// Every role, for validation and tests.
pub const ROLES: &[Role] = &[
    Role::Admin,
    Role::AccountAdmin,
    Role::ReadWrite,
    Role::ReadOnly,
    Role::PolicyEditor,
    Role::ImageAnalyzer,
];

impl Role {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::AccountAdmin => "account-admin",
            Role::ReadWrite => "read-write",
            Role::ReadOnly => "read-only",
            Role::PolicyEditor => "policy-editor",
            Role::ImageAnalyzer => "image-analyzer",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        ROLES.iter().copied().find(|r| r.as_str() == s)
    }

    /// True when the role grants the permission.
    pub fn allows(self, p: Perm) -> bool {
        use Perm::*;
        match self {
            Role::Admin => true,
            Role::AccountAdmin => p != SystemAdmin,
            Role::ReadWrite => matches!(p, ImageRead | ImageWrite | PolicyRead | EventRead),
            Role::ReadOnly => matches!(p, ImageRead | PolicyRead | EventRead),
            Role::PolicyEditor => matches!(p, ImageRead | PolicyRead | PolicyWrite | EventRead),
            Role::ImageAnalyzer => matches!(p, ImageRead | ImageWrite),
        }
    }
}

/// What a route needs (declared with the route table in `drydock-api`).
pub use drydock_api::Perm;

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored argon2id hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// A random secret: `n` bytes from the OS, URL-safe base64 without padding; an error (never a
/// predictable secret) when the OS has no randomness to give.
pub fn random_secret(n: usize) -> Result<String, String> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| format!("the operating system's random number generator failed: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// SHA-256 of an API key's secret, hex (keys are random, so a fast hash suffices).
pub fn hash_key_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Splits `ddk_<id>_<secret>` into id and secret.
pub fn parse_api_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("ddk_")?;
    let (id, secret) = rest.split_once('_')?;
    (!id.is_empty() && !secret.is_empty()).then_some((id, secret))
}

/// Decodes an HTTP basic `Authorization` value into user and password.
pub fn parse_basic(value: &str) -> Option<(String, String)> {
    let b64 = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// Failed logins per (source address, user name): at most `max` per `window`, then that
/// address is refused for that user until the window passes. Keyed by address too, so
/// someone guessing the admin's password elsewhere does not lock the admin out.
pub struct LoginLimiter {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<(String, String), Vec<Instant>>>,
}

impl LoginLimiter {
    /// A limiter.
    pub fn new(max: usize, window: Duration) -> Self {
        LoginLimiter {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn key(remote: &str, user: &str) -> (String, String) {
        (remote.to_string(), user.to_string())
    }

    /// True when `user` may try now from `remote`.
    pub fn allowed(&self, remote: &str, user: &str) -> bool {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let Some(list) = f.get_mut(&Self::key(remote, user)) else {
            return true;
        };
        list.retain(|t| now.duration_since(*t) < self.window);
        list.len() < self.max
    }

    /// Records a failure.
    pub fn failed(&self, remote: &str, user: &str) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if f.len() > 100_000 {
            let now = Instant::now();
            f.retain(|_, l| l.iter().any(|t| now.duration_since(*t) < self.window));
            if f.len() > 100_000 {
                f.clear();
            }
        }
        let list = f.entry(Self::key(remote, user)).or_default();
        if list.len() < self.max * 2 {
            list.push(Instant::now());
        }
    }

    /// Forgets failures after a success.
    pub fn succeeded(&self, remote: &str, user: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&Self::key(remote, user));
    }
}

/// A hash every unknown user name is verified against, so that a login takes as long for
/// a user that does not exist as for one that does.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        // Only its cost matters, not its secrecy: without randomness a fixed password will do.
        let password = random_secret(16).unwrap_or_else(|_| "no-such-user".into());
        hash_password(&password).unwrap_or_default()
    })
}

/// Recently verified passwords, so that a client sending basic auth on every request pays
/// for argon2 once a minute, not once a request. Keyed by a salted SHA-256 of (user,
/// password) — never the password — and holding the stored hash it was verified against:
/// an entry counts only while the user's stored hash is unchanged, so a new password or a
/// deleted user ends it at once (in every process sharing the database).
pub struct CredentialCache {
    ttl: Duration,
    salt: [u8; 16],
    entries: Mutex<HashMap<[u8; 32], (String, Instant)>>,
}

/// Most entries a [`CredentialCache`] holds.
const CACHE_ENTRIES: usize = 10_000;

impl CredentialCache {
    /// A cache whose entries last `ttl` (zero: nothing is cached).
    pub fn new(ttl: Duration) -> Self {
        let mut salt = [0u8; 16];
        let _ = getrandom::fill(&mut salt);
        CredentialCache {
            ttl,
            salt,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn key(&self, user: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update((user.len() as u64).to_le_bytes());
        h.update(user.as_bytes());
        h.update(password.as_bytes());
        h.finalize().into()
    }

    /// True when this user and password were verified against `stored_hash` within the TTL.
    pub fn hit(&self, user: &str, password: &str, stored_hash: &str) -> bool {
        let key = self.key(user, password);
        let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match e.get(&key) {
            Some((h, at)) if at.elapsed() < self.ttl && h == stored_hash => true,
            Some(_) => {
                e.remove(&key);
                false
            }
            None => false,
        }
    }

    /// Remembers a successful verification against `stored_hash`.
    pub fn insert(&self, user: &str, password: &str, stored_hash: &str) {
        if self.ttl.is_zero() {
            return;
        }
        let key = self.key(user, password);
        let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if e.len() >= CACHE_ENTRIES {
            let ttl = self.ttl;
            e.retain(|_, (_, at)| at.elapsed() < ttl);
            if e.len() >= CACHE_ENTRIES {
                e.clear();
            }
        }
        e.insert(key, (stored_hash.to_string(), Instant::now()));
    }

    /// Forgets every entry verified against `stored_hash` (a user deleted or changed).
    pub fn forget_hash(&self, stored_hash: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (h, _)| h != stored_hash);
    }

    /// Entries held (for tests).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How many argon2 verifications may run at once (each holds 19 MiB and a core): the
/// machine's cores, at least 2.
pub fn verify_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).max(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_keys() {
        let h = hash_password("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("S3cret", &h));
        assert!(!verify_password("s3cret", "not a hash"));
        assert_eq!(parse_api_key("ddk_abc_def_ghi"), Some(("abc", "def_ghi")));
        assert_eq!(parse_api_key("ddk__x"), None);
        assert_eq!(
            parse_basic("Basic YWxpY2U6cHc6eA=="),
            Some(("alice".into(), "pw:x".into()))
        );
    }

    #[test]
    fn limiter_blocks_after_max_failures() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(l.allowed("10.0.0.9", "bob"));
            l.failed("10.0.0.9", "bob");
        }
        assert!(!l.allowed("10.0.0.9", "bob"));
        assert!(l.allowed("10.0.0.9", "alice"));
        assert!(l.allowed("127.0.0.1", "bob"), "another address is not locked out");
        l.succeeded("10.0.0.9", "bob");
        assert!(l.allowed("10.0.0.9", "bob"));
    }

    #[test]
    fn the_credential_cache_holds_hashes_and_ends_with_the_stored_hash() {
        let c = CredentialCache::new(Duration::from_secs(60));
        assert!(!c.hit("ann", "pw", "$h1"));
        c.insert("ann", "pw", "$h1");
        assert!(c.hit("ann", "pw", "$h1"));
        assert!(!c.hit("ann", "other", "$h1"), "another password");
        assert!(!c.hit("bob", "pw", "$h1"), "another user");
        assert!(!c.hit("ann", "pw", "$h2"), "the password changed");
        assert!(c.is_empty(), "a stale entry is dropped");
        c.insert("ann", "pw", "$h1");
        let held = format!("{:?}", c.entries.lock().unwrap());
        assert!(!held.contains("pw") && !held.contains("ann"), "no plaintext: {held}");
        c.forget_hash("$h1");
        assert!(!c.hit("ann", "pw", "$h1"));
        let short = CredentialCache::new(Duration::from_millis(20));
        short.insert("ann", "pw", "$h1");
        std::thread::sleep(Duration::from_millis(40));
        assert!(!short.hit("ann", "pw", "$h1"), "expired");
        let none = CredentialCache::new(Duration::ZERO);
        none.insert("ann", "pw", "$h1");
        assert!(none.is_empty());
    }

    #[test]
    fn unknown_users_cost_a_verification_too() {
        let h = dummy_hash();
        assert!(h.starts_with("$argon2id$"));
        assert!(std::ptr::eq(h, dummy_hash()), "made once");
        assert!(!verify_password("anything", h));
    }
}
