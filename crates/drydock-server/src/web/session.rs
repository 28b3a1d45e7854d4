//! Browser sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure when the
//! request came over TLS), stored only as its SHA-256; a CSRF token per session carried by
//! every form; a login token (double-submit cookie) for the login form itself.

use axum::http::{header, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

/// The session cookie.
pub const SESSION_COOKIE: &str = "drydock_session";
/// The login form's own CSRF cookie (there is no session yet to hold its token).
pub const LOGIN_COOKIE: &str = "drydock_login";

/// A new random token (256 bits, URL-safe).
pub fn new_token() -> Result<String, String> {
    crate::auth::random_secret(32)
}

/// The stored form of a session token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// True when the request reached the service over TLS (directly or, as a reverse proxy
/// says, through `X-Forwarded-Proto: https`): cookies are then marked Secure.
pub fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, Secure over TLS; `max_age`
/// `None` deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age: Option<u64>, secure: bool) -> HeaderValue {
    let age = max_age.unwrap_or(0);
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={age}");
    if secure {
        c.push_str("; Secure");
    }
    // Tokens are URL-safe base64 and names are constants: always a valid header value.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; drydock_session_x=no; drydock_session=tok"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("tok"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn session_cookies_are_httponly_strict_and_secure_over_tls() {
        let c = set_cookie(SESSION_COOKIE, "t", Some(60), true);
        let c = c.to_str().unwrap();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(!set_cookie(SESSION_COOKIE, "t", Some(60), false)
            .to_str()
            .unwrap()
            .contains("Secure"));
        assert!(set_cookie(SESSION_COOKIE, "", None, false)
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
    }
}
