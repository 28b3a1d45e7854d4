//! Finding credentials for a registry: `--username`/`--password` (flags or environment)
//! first, then Docker's `config.json`: a `credHelpers` entry for the registry or the
//! `credsStore`, then the `auths` section.

use super::RegistryOptions;
use crate::error::{ImageError, Result};
use base64::Engine;
use oci_client::secrets::RegistryAuth;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The server address Docker uses for Docker Hub in `auths` and with credential helpers.
const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

/// Credentials for one registry and where they came from (for error messages).
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub auth: RegistryAuth,
    /// Where the credentials were found; `None` for anonymous access.
    pub source: Option<String>,
}

impl Credentials {
    fn anonymous() -> Self {
        Credentials {
            auth: RegistryAuth::Anonymous,
            source: None,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperReply {
    #[serde(default)]
    username: String,
    #[serde(default)]
    secret: String,
}

/// Credentials for `registry` (as written in the reference, e.g. `docker.io` or
/// `127.0.0.1:5000`), in the documented order.
pub(crate) fn resolve(registry: &str, repository: &str, opts: &RegistryOptions) -> Result<Credentials> {
    if let Some(user) = opts.username.as_deref().filter(|u| !u.is_empty()) {
        return Ok(Credentials {
            auth: RegistryAuth::Basic(user.to_string(), opts.password.clone().unwrap_or_default()),
            source: Some("--username/--password".into()),
        });
    }
    if opts.password.as_deref().is_some_and(|p| !p.is_empty()) {
        return Err(ImageError::AuthRefused {
            registry: registry.to_string(),
            repository: repository.to_string(),
            reason: "a password was given without a user name; pass --username as well".into(),
        });
    }
    let Some(path) = config_path(opts) else {
        return Ok(Credentials::anonymous());
    };
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) => {
            if e.kind() != std::io::ErrorKind::NotFound || opts.docker_config.is_some() {
                tracing::warn!(
                    "cannot read docker config {}: {e}; continuing without its credentials",
                    path.display()
                );
            }
            return Ok(Credentials::anonymous());
        }
    };
    let config: DockerConfig = match serde_json::from_slice(&text) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(
                "docker config {} is not valid JSON ({e}); continuing without its credentials",
                path.display()
            );
            return Ok(Credentials::anonymous());
        }
    };
    let helpers = opts.credential_helpers.as_deref();
    Ok(from_config(&config, registry, &path, &|name, server| {
        run_helper(helpers, name, server)
    }))
}

/// The docker config file to read: the explicit one, `$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json`.
fn config_path(opts: &RegistryOptions) -> Option<PathBuf> {
    if let Some(p) = &opts.docker_config {
        return Some(if p.is_dir() { p.join("config.json") } else { p.clone() });
    }
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

/// A credential helper: `(helper name, server URL) -> Ok(Some(user, secret))`,
/// `Ok(None)` when it holds nothing for the server, `Err` when it failed.
type HelperFn<'a> = dyn Fn(&str, &str) -> std::result::Result<Option<(String, String)>, String> + 'a;

fn from_config(config: &DockerConfig, registry: &str, path: &Path, helper: &HelperFn<'_>) -> Credentials {
    let helper_name = find_entry(&config.cred_helpers, registry)
        .map(|(_, h)| h.as_str())
        .or(config.creds_store.as_deref())
        .filter(|h| !h.is_empty());
    if let Some(name) = helper_name {
        let server = helper_server(registry);
        match helper(name, &server) {
            Ok(Some((user, secret))) => {
                if user == "<token>" {
                    tracing::warn!(
                        "docker-credential-{name} holds an identity token for {server}, which drydock cannot use; pass --username/--password"
                    );
                } else {
                    return Credentials {
                        auth: RegistryAuth::Basic(user, secret),
                        source: Some(format!("credential helper docker-credential-{name}")),
                    };
                }
            }
            Ok(None) => tracing::debug!("docker-credential-{name} has no credentials for {server}"),
            Err(e) => tracing::warn!("credential helper docker-credential-{name} failed for {server}: {e}"),
        }
    }
    let Some((key, entry)) = find_entry(&config.auths, registry) else {
        return Credentials::anonymous();
    };
    let source = Some(format!("{} (auths entry {key:?})", path.display()));
    if let Some((user, pass)) = entry.auth.as_deref().and_then(decode_basic) {
        return Credentials {
            auth: RegistryAuth::Basic(user, pass),
            source,
        };
    }
    if let Some(user) = entry.username.as_deref().filter(|u| !u.is_empty()) {
        return Credentials {
            auth: RegistryAuth::Basic(user.to_string(), entry.password.clone().unwrap_or_default()),
            source,
        };
    }
    if let Some(token) = entry.registrytoken.as_deref().filter(|t| !t.is_empty()) {
        return Credentials {
            auth: RegistryAuth::Bearer(token.to_string()),
            source,
        };
    }
    if entry.identitytoken.as_deref().is_some_and(|t| !t.is_empty()) {
        tracing::warn!(
            "{} holds an identity token for {key}, which drydock cannot use; pass --username/--password",
            path.display()
        );
    }
    Credentials::anonymous()
}

/// Decodes an `auths` entry's base64 `user:password`.
fn decode_basic(encoded: &str) -> Option<(String, String)> {
    let encoded = encoded.trim();
    if encoded.is_empty() {
        return None;
    }
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
    ];
    let bytes = engines.iter().find_map(|e| e.decode(encoded).ok())?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, pass) = text.split_once(':')?;
    if user.is_empty() {
        return None;
    }
    Some((user.to_string(), pass.trim_end_matches(['\n', '\r']).to_string()))
}

/// Reduces a config key (`https://index.docker.io/v1/`, `http://host:5000`, `host:5000`)
/// to a comparable registry name.
fn canonical_host(key: &str) -> String {
    let k = key.trim();
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let host = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => "docker.io".into(),
        _ => host,
    }
}

/// The entry of a map keyed by registry that applies to `registry`: an exact key
/// first, then one naming the same host.
fn find_entry<'a, V>(map: &'a BTreeMap<String, V>, registry: &str) -> Option<(&'a String, &'a V)> {
    if let Some(kv) = map.get_key_value(registry) {
        return Some(kv);
    }
    let want = canonical_host(registry);
    if want == "docker.io" {
        if let Some(kv) = map.get_key_value(DOCKER_HUB_SERVER) {
            return Some(kv);
        }
    }
    map.iter().find(|(k, _)| canonical_host(k) == want)
}

/// The server URL a credential helper is asked about (what `docker login` stored).
fn helper_server(registry: &str) -> String {
    if canonical_host(registry) == "docker.io" {
        DOCKER_HUB_SERVER.into()
    } else {
        registry.to_string()
    }
}

/// Runs `docker-credential-<name> get` with the server URL on stdin: from `dir` when given,
/// else found on PATH.
fn run_helper(dir: Option<&Path>, name: &str, server: &str) -> std::result::Result<Option<(String, String)>, String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(format!("{name:?} is not a credential helper name"));
    }
    let program = format!("docker-credential-{name}");
    let mut child = Command::new(dir.map_or_else(|| PathBuf::from(&program), |d| d.join(&program)))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                match dir {
                    Some(d) => format!("{program} is not in {}", d.display()),
                    None => format!("{program} is not on PATH"),
                }
            } else {
                format!("cannot run {program}: {e}")
            }
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading its input is judged by its output below.
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    parse_helper_output(out.status.success(), &out.stdout, &out.stderr)
}

fn parse_helper_output(
    success: bool,
    stdout: &[u8],
    stderr: &[u8],
) -> std::result::Result<Option<(String, String)>, String> {
    let said = format!(
        "{} {}",
        String::from_utf8_lossy(stdout).trim(),
        String::from_utf8_lossy(stderr).trim()
    );
    if !success {
        if said.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        let said: String = said.trim().chars().take(300).collect();
        return Err(format!("it exited with an error: {said}"));
    }
    let reply: HelperReply =
        serde_json::from_slice(stdout).map_err(|e| format!("its output is not the expected JSON ({e})"))?;
    if reply.username.is_empty() && reply.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some((reply.username, reply.secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> DockerConfig {
        serde_json::from_str(json).unwrap()
    }

    fn no_helper(_: &str, _: &str) -> std::result::Result<Option<(String, String)>, String> {
        Err("no helper in this test".into())
    }

    fn basic(c: &Credentials) -> Option<(String, String)> {
        match &c.auth {
            RegistryAuth::Basic(u, p) => Some((u.clone(), p.clone())),
            _ => None,
        }
    }

    #[test]
    fn auths_base64_and_key_forms() {
        let enc = base64::engine::general_purpose::STANDARD.encode("alice:s3:cret");
        let c = config(&format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{enc}"}},"http://127.0.0.1:5000/v2/":{{"username":"bob","password":"pw"}}}}}}"#
        ));
        let p = Path::new("/x/config.json");
        let hub = from_config(&c, "docker.io", p, &no_helper);
        assert_eq!(basic(&hub), Some(("alice".into(), "s3:cret".into())));
        let local = from_config(&c, "127.0.0.1:5000", p, &no_helper);
        assert_eq!(basic(&local), Some(("bob".into(), "pw".into())));
        assert!(local.source.unwrap().contains("/x/config.json"));
        let other = from_config(&c, "quay.io", p, &no_helper);
        assert_eq!(other.auth, RegistryAuth::Anonymous);
    }

    #[test]
    fn helpers_come_before_auths_and_fall_back() {
        let enc = base64::engine::general_purpose::STANDARD.encode("file:pw");
        let c = config(&format!(
            r#"{{"auths":{{"reg.example:5000":{{"auth":"{enc}"}}}},"credHelpers":{{"reg.example:5000":"fake"}},"credsStore":"desktop"}}"#
        ));
        let p = Path::new("/x/config.json");
        let seen = std::cell::RefCell::new(Vec::new());
        let helper = |name: &str, server: &str| {
            seen.borrow_mut().push(format!("{name} {server}"));
            match name {
                "fake" => Ok(Some(("helper".to_string(), "tok".to_string()))),
                _ => Ok(None),
            }
        };
        let got = from_config(&c, "reg.example:5000", p, &helper);
        assert_eq!(basic(&got), Some(("helper".into(), "tok".into())));
        // credsStore for other registries, with the Docker Hub server URL.
        let hub = from_config(&c, "docker.io", p, &helper);
        assert_eq!(hub.auth, RegistryAuth::Anonymous);
        assert_eq!(
            *seen.borrow(),
            vec![
                "fake reg.example:5000".to_string(),
                "desktop https://index.docker.io/v1/".to_string()
            ]
        );
        // A failing helper falls back to auths.
        let got = from_config(&c, "reg.example:5000", p, &no_helper);
        assert_eq!(basic(&got), Some(("file".into(), "pw".into())));
    }

    #[test]
    fn helper_output() {
        assert_eq!(
            parse_helper_output(true, br#"{"ServerURL":"h","Username":"u","Secret":"s"}"#, b""),
            Ok(Some(("u".into(), "s".into())))
        );
        assert_eq!(
            parse_helper_output(false, b"credentials not found in native keychain\n", b""),
            Ok(None)
        );
        assert!(parse_helper_output(false, b"", b"boom").is_err());
        assert!(parse_helper_output(true, b"not json", b"").is_err());
    }

    #[test]
    fn flags_win_and_password_alone_is_refused() {
        let opts = RegistryOptions {
            username: Some("u".into()),
            password: Some("p".into()),
            docker_config: Some("/nonexistent/config.json".into()),
            ..Default::default()
        };
        assert_eq!(
            basic(&resolve("h", "r", &opts).unwrap()),
            Some(("u".into(), "p".into()))
        );
        let opts = RegistryOptions {
            password: Some("p".into()),
            ..Default::default()
        };
        assert!(matches!(resolve("h", "r", &opts), Err(ImageError::AuthRefused { .. })));
        assert!(run_helper(None, "../evil", "h").is_err());
    }
}
