//! The HTTP side of the client commands (`drydock image`, `policy add`, `user`, …): where
//! the service is, how to log in, requests, the errors they turn into (the server's `error`
//! and `hint`, plus hints of our own), answers read as the types of `drydock-api`, and
//! helpers to print tables.

use crate::cli::{ClientArgs, ClientOutput};
use reqwest::blocking::Client as Http;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

/// Where the service listens unless `--url` or `DRYDOCK_URL` says otherwise.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8228";

/// Seconds to wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Seconds to wait for a whole answer (SBOMs of large images take a while).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// A client command that did not work: what went wrong, what to do, and how to exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    /// One line saying what went wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// An invalid command line or environment rather than a failed call (both exit 2).
    pub usage: bool,
}

impl ClientError {
    /// A call that failed (exit 2).
    pub fn failed(message: impl Into<String>) -> Self {
        ClientError {
            message: message.into(),
            hint: None,
            usage: false,
        }
    }

    /// An invalid command line or environment (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        ClientError {
            message: message.into(),
            hint: None,
            usage: true,
        }
    }

    /// The same error with a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Prints the error and its hint on standard error.
    pub fn print(&self) {
        let red = std::io::stderr().is_terminal();
        let prefix = if red { "\x1b[31merror:\x1b[0m" } else { "error:" };
        eprintln!("{prefix} {}", self.message);
        if let Some(h) = &self.hint {
            eprintln!("hint: {h}");
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ClientError {}

/// The result of a client step.
pub type Result<T> = std::result::Result<T, ClientError>;

/// Prints an error (if any) and turns the outcome into an exit status: every error, a
/// failed call or a usage error, is [`crate::gate::ERROR`] (the one exit-code contract).
pub fn finish(result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            e.print();
            ExitCode::from(crate::gate::ERROR)
        }
    }
}

/// How the client proves who it is. Never printed.
enum Auth {
    Basic { user: String, password: String },
    Key(String),
}

/// A logged-in connection to the service.
pub struct Client {
    http: Http,
    base: Url,
    auth: Auth,
    acting_account: Option<String>,
    /// How answers are printed.
    pub output: ClientOutput,
}

/// A request body: content type and bytes.
pub struct Body {
    /// The `content-type` header.
    pub content_type: &'static str,
    /// The bytes sent.
    pub bytes: Vec<u8>,
}

impl Body {
    /// A JSON body: one of the request types of `drydock-api`.
    pub fn json<T: Serialize>(v: &T) -> Self {
        Body {
            content_type: "application/json",
            // Serialising the API's request types (strings, numbers, flags) cannot fail.
            bytes: serde_json::to_vec(v).unwrap_or_default(),
        }
    }
}

/// Reads a non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Client {
    /// Resolves the service URL and the credentials: `--user` (password from
    /// `DRYDOCK_PASSWORD` or a prompt), else `DRYDOCK_API_KEY`, else `DRYDOCK_USER`.
    pub fn new(args: &ClientArgs) -> Result<Self> {
        let base = parse_base(&args.url)?;
        let auth = match (&args.user, env("DRYDOCK_API_KEY"), env("DRYDOCK_USER")) {
            (Some(user), _, _) => basic(user, &base)?,
            (None, Some(key), _) => {
                let key = key.trim().to_string();
                if !key.starts_with("ddk_") {
                    return Err(ClientError::usage("DRYDOCK_API_KEY does not hold a drydock API key")
                        .hint("API keys look like ddk_<id>_<secret>; create one with `drydock apikey create`"));
                }
                Auth::Key(key)
            }
            (None, None, Some(user)) => basic(&user, &base)?,
            (None, None, None) => {
                return Err(ClientError::usage("no credentials for the drydock service").hint(
                    "set DRYDOCK_USER and DRYDOCK_PASSWORD (or pass --user), or set DRYDOCK_API_KEY to an API key",
                ))
            }
        };
        let http = Http::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("drydock/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::failed(format!("cannot set up HTTP: {}", root_cause(&e))))?;
        Ok(Client {
            http,
            base,
            auth,
            acting_account: args.as_account.clone().filter(|a| !a.is_empty()),
            output: args.output,
        })
    }

    /// True when answers are printed as JSON.
    pub fn json(&self) -> bool {
        self.output == ClientOutput::Json
    }

    /// The URL of `/v1/<segments…>` with a query (segments are percent-encoded).
    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Url> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|_| ClientError::usage(format!("{} cannot be a service URL", self.base)))?
            .pop_if_empty()
            .push("v1")
            .extend(segments);
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Sends one request to `/v1/<segments…>`; returns the JSON answer (`Null` when empty).
    pub fn call(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<Body>,
    ) -> Result<Value> {
        let url = self.url(segments, query)?;
        let mut req = self.http.request(method.clone(), url.clone());
        req = match &self.auth {
            Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
            Auth::Key(key) => req.bearer_auth(key),
        };
        if let Some(a) = &self.acting_account {
            req = req.header("x-drydock-account", a);
        }
        if let Some(b) = body {
            req = req.header("content-type", b.content_type).body(b.bytes);
        }
        let resp = req.send().map_err(|e| self.transport_error(&e))?;
        let status = resp.status();
        let text = resp.text().map_err(|e| self.transport_error(&e))?;
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text).map_err(|e| {
                ClientError::failed(format!("the answer of {method} {} is not JSON: {e}", url.path()))
                    .hint(format!("is {} a drydock service? (--url, DRYDOCK_URL)", self.base))
            });
        }
        Err(self.api_error(status, &method, url.path(), &text))
    }

    /// GET `/v1/<segments…>`.
    pub fn get(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Value> {
        self.call(Method::GET, segments, query, None)
    }

    /// POST to `/v1/<segments…>`.
    pub fn post(&self, segments: &[&str], body: Option<Body>) -> Result<Value> {
        self.call(Method::POST, segments, &[], body)
    }

    /// PUT to `/v1/<segments…>`.
    pub fn put(&self, segments: &[&str], body: Body) -> Result<Value> {
        self.call(Method::PUT, segments, &[], Some(body))
    }

    /// DELETE `/v1/<segments…>`.
    pub fn delete(&self, segments: &[&str]) -> Result<Value> {
        self.call(Method::DELETE, segments, &[], None)
    }

    /// A connection that failed or timed out.
    fn transport_error(&self, e: &reqwest::Error) -> ClientError {
        let url = self.base.as_str().trim_end_matches('/');
        if e.is_timeout() {
            return ClientError::failed(format!("the drydock service at {url} did not answer in time"))
                .hint("the service may be overloaded; try again, or check --url / DRYDOCK_URL");
        }
        ClientError::failed(format!("cannot reach the drydock service at {url}: {}", root_cause(e))).hint(format!(
            "is `drydock serve` running there? Point --url or DRYDOCK_URL at the service (default {DEFAULT_URL})"
        ))
    }

    /// An answer with an error status: the server's `error` and `hint`, with our own
    /// hints for logins and roles.
    fn api_error(&self, status: StatusCode, method: &Method, path: &str, text: &str) -> ClientError {
        let body: Option<drydock_api::ErrorBody> = serde_json::from_str(text).ok();
        let server_error = body.as_ref().map(|b| b.error.as_str());
        let server_hint = body.as_ref().and_then(|b| b.hint.clone());
        let message = match server_error {
            Some(m) => m.to_string(),
            None => format!("{method} {path} answered HTTP {status}"),
        };
        match status {
            StatusCode::UNAUTHORIZED => {
                let (who, hint) = match &self.auth {
                    Auth::Basic { user, .. } => (
                        format!("user {user:?}"),
                        "check the user name (--user, DRYDOCK_USER) and the password (DRYDOCK_PASSWORD)",
                    ),
                    Auth::Key(_) => (
                        "the API key".to_string(),
                        "the key is unknown or revoked: check DRYDOCK_API_KEY (`drydock apikey create` makes a new one)",
                    ),
                };
                ClientError::failed(format!(
                    "the drydock service refused the login of {who}: wrong password, or no such user or key ({message})"
                ))
                .hint(hint)
            }
            StatusCode::FORBIDDEN => ClientError::failed(format!("forbidden: {message}")).hint(server_hint.unwrap_or_else(|| {
                "your role does not allow this; ask an account admin for a user with a role that does (see `drydock user add --help`)".into()
            })),
            StatusCode::TOO_MANY_REQUESTS => {
                ClientError::failed(message).hint(server_hint.unwrap_or_else(|| "wait a minute, then try again".into()))
            }
            _ => {
                let e = ClientError::failed(message);
                match server_hint {
                    Some(h) => e.hint(h),
                    None if server_error.is_none() => {
                        e.hint(format!("is {} a drydock service? (--url, DRYDOCK_URL)", self.base))
                    }
                    None => e,
                }
            }
        }
    }
}

/// The deepest cause of an error (reqwest's outer messages name only the URL).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Parses `--url`: http or https, with or without a path prefix.
fn parse_base(raw: &str) -> Result<Url> {
    let bad = || {
        ClientError::usage(format!("{raw:?} is not a URL of a drydock service")).hint(format!(
            "give --url or DRYDOCK_URL as http(s)://HOST:PORT, e.g. {DEFAULT_URL}"
        ))
    };
    let url = Url::parse(raw.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    Ok(url)
}

/// HTTP basic credentials: the password from `DRYDOCK_PASSWORD`, else a prompt.
fn basic(user: &str, base: &Url) -> Result<Auth> {
    let password = match std::env::var("DRYDOCK_PASSWORD") {
        Ok(p) => p,
        Err(_) => read_secret(
            &format!("Password for {user} at {}: ", base.as_str().trim_end_matches('/')),
            "DRYDOCK_PASSWORD",
        )?,
    };
    Ok(Auth::Basic {
        user: user.to_string(),
        password,
    })
}

/// Reads a secret from the terminal without echo; a usage error when there is no
/// terminal (`env_var` names the variable to set instead).
pub fn read_secret(prompt: &str, env_var: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(
            ClientError::usage(format!("no password: {env_var} is not set")).hint(format!(
                "set {env_var} (never pass passwords as arguments), or run on a terminal to be asked"
            )),
        );
    }
    let echo = |on: bool| {
        Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(Stdio::inherit())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    if !echo(false) {
        eprintln!();
        return Err(
            ClientError::usage("cannot turn off the terminal's echo to read a password")
                .hint(format!("set {env_var} instead")),
        );
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    echo(true);
    eprintln!();
    read.map_err(|e| ClientError::failed(format!("cannot read the password: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Checks a role name for `--role` (the roles the service knows).
pub fn parse_role(s: &str) -> std::result::Result<String, String> {
    use drydock_server::auth::{Role, ROLES};
    match Role::parse(s) {
        Some(r) => Ok(r.as_str().to_string()),
        None => Err(format!(
            "unknown role; roles are {}",
            ROLES.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

// Reading answers.

/// An answer as the `drydock-api` type of its route.
pub fn typed<T: DeserializeOwned>(v: &Value) -> Result<T> {
    T::deserialize(v).map_err(|e| {
        ClientError::failed(format!("the service's answer is not what this client expects: {e}"))
            .hint("the service may be of another drydock version (`drydock system status` shows it)")
    })
}

/// Text for display, `-` when empty.
pub fn dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_string()
    }
}

/// An optional text for display, `-` when absent or empty.
pub fn opt(s: Option<&str>) -> String {
    dash(s.unwrap_or_default())
}

/// A list for display: joined with commas, `-` when empty.
pub fn joined(items: &[String]) -> String {
    dash(&items.join(", "))
}

/// A flag for display.
pub fn yes_no(b: bool) -> String {
    (if b { "yes" } else { "no" }).into()
}

/// A JSON value for display: strings as they are, numbers, yes/no, lists joined, `-` for none.
pub fn show(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) if s.is_empty() => "-".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => yes_no(*b),
        Value::Number(n) => n.to_string(),
        Value::Array(a) if a.is_empty() => "-".into(),
        Value::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(", "),
        Value::Object(_) => v.to_string(),
    }
}

/// Unix seconds as an RFC 3339 UTC time (`-` when absent).
pub fn time(t: Option<i64>) -> String {
    match t {
        Some(t) => drydock_time::format_rfc3339(t),
        None => "-".into(),
    }
}

// Printing.

/// Writes text to standard output (a closed pipe is not an error).
pub fn emit(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(ClientError::failed(format!("cannot write the output: {e}")))
        }
        _ => Ok(()),
    }
}

/// Prints a JSON value, pretty.
pub fn print_json(v: &Value) -> Result<()> {
    let s = serde_json::to_string_pretty(v).map_err(|e| ClientError::failed(e.to_string()))?;
    emit(&format!("{s}\n"))
}

/// An aligned table as text.
pub fn table_text(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = drydock_report::table::table(&mut buf, header, rows);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Prints an aligned table, or `empty` when there are no rows.
pub fn print_table(header: &[&str], rows: &[Vec<String>], empty: &str) -> Result<()> {
    if rows.is_empty() {
        return emit(&format!("{empty}\n"));
    }
    emit(&table_text(header, rows))
}

/// `label: value` lines with the values aligned.
pub fn fields_text(fields: &[(&str, String)]) -> String {
    let width = fields.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 1;
    fields
        .iter()
        .map(|(l, v)| format!("{:<width$} {v}\n", format!("{l}:")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_and_values() {
        assert!(parse_base("http://127.0.0.1:8228").is_ok());
        assert!(parse_base("https://drydock.example/api/").is_ok());
        assert!(parse_base("127.0.0.1:8228").is_err_and(|e| e.usage));
        assert!(parse_base("ftp://x").is_err());
        assert_eq!(show(&json!("x")), "x");
        assert_eq!(show(&json!(null)), "-");
        assert_eq!(show(&json!("")), "-");
        assert_eq!(opt(None), "-");
        assert_eq!(show(&json!([1, "y"])), "1, y");
        assert_eq!(joined(&["a".into(), "b".into()]), "a, b");
        assert_eq!(show(&json!(true)), "yes");
        assert_eq!(time(Some(0)), "1970-01-01T00:00:00Z");
        assert_eq!(time(None), "-");
        let image: drydock_api::images::Image = typed(&json!({"id": "i", "account": "a", "digest": null,
            "registry": "r", "repository": "p", "status": "queued", "error": null, "created_at": 1,
            "analyzed_at": null, "tags": []}))
        .unwrap();
        assert_eq!(image.status, "queued");
        assert!(typed::<drydock_api::images::Image>(&json!({"id": 1})).is_err());
        assert_eq!(
            fields_text(&[("ID", "1".into()), ("Status", "ok".into())]),
            "ID:     1\nStatus: ok\n"
        );
        assert_eq!(parse_role("read-only").as_deref(), Ok("read-only"));
        assert!(parse_role("root").unwrap_err().contains("policy-editor"));
    }
}
