//! Who is calling and what they may do: users with argon2id password hashes (HTTP basic),
//! API keys (bearer `ddk_<id>_<secret>`, SHA-256 of the secret stored), roles mapped to
//! permissions, and a limit on failed logins.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
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

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Perm {
    /// No authentication (health and readiness only).
    Public,
    /// Any authenticated caller.
    Authenticated,
    ImageRead,
    ImageWrite,
    PolicyRead,
    PolicyWrite,
    EventRead,
    /// Users and API keys of the caller's account.
    UserAdmin,
    /// Accounts, feeds and system settings.
    SystemAdmin,
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored argon2id hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A random secret: `n` bytes, URL-safe base64 without padding.
pub fn random_secret(n: usize) -> String {
    let mut b = vec![0u8; n];
    let _ = getrandom::fill(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
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

/// Failed logins per user name: at most `max` per `window`, then refused until the
/// window passes.
pub struct LoginLimiter {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
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

    /// True when the user may try now.
    pub fn allowed(&self, user: &str) -> bool {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let list = f.entry(user.to_string()).or_default();
        list.retain(|t| now.duration_since(*t) < self.window);
        list.len() < self.max
    }

    /// Records a failure.
    pub fn failed(&self, user: &str) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if f.len() > 100_000 {
            f.clear();
        }
        f.entry(user.to_string()).or_default().push(Instant::now());
    }

    /// Forgets failures after a success.
    pub fn succeeded(&self, user: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(user);
    }
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
            assert!(l.allowed("bob"));
            l.failed("bob");
        }
        assert!(!l.allowed("bob"));
        assert!(l.allowed("alice"));
    }
}
