//! The web UI over real HTTP against `drydock serve`: login with a session cookie, logout,
//! the CSRF checks of forms, the role check of every page, the security headers.

use crate::common::server::{serve, Api, PgDb, ADMIN_PASSWORD};
use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;
use serde_json::json;
use std::collections::HashMap;

/// A browser-like client: cookies kept by name, redirects not followed.
struct Browser {
    base: String,
    client: Client,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new(api: &Api) -> Browser {
        Browser {
            base: api.base.clone(),
            client: Client::builder().redirect(Policy::none()).build().unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn keep(&mut self, r: &Response) {
        for c in r.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn get(&mut self, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .unwrap();
        self.keep(&r);
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, r.text().unwrap(), headers)
    }

    fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> (u16, String, reqwest::header::HeaderMap) {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                form.iter()
                    .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            );
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let r = req.send().unwrap();
        self.keep(&r);
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, r.text().unwrap(), headers)
    }

    /// The value of a hidden `csrf` input in a page.
    fn csrf_of(page: &str) -> String {
        let at = page.find(r#"name="csrf" value=""#).expect("a form with a csrf field");
        let rest = &page[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }

    fn login(&mut self, user: &str, password: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let (status, page, _) = self.get("/login");
        assert_eq!(status, 200, "{page}");
        let csrf = Self::csrf_of(&page);
        self.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("username", user),
                ("password", password),
                ("next", "/images"),
            ],
            None,
        )
    }

    /// The CSRF token of the signed-in session (from the dashboard's logout form).
    fn session_csrf(&mut self) -> String {
        let (s, page, _) = self.get("/images");
        assert_eq!(s, 200, "{page}");
        Self::csrf_of(&page)
    }
}

/// Percent-encodes a form value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

fn location(h: &reqwest::header::HeaderMap) -> String {
    h.get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

fn login_logout_and_pages(api: &Api) {
    let mut b = Browser::new(api);
    // Not signed in: pages send you to the login page, remembering where you were going.
    let (s, _, h) = b.get("/images?status=failed");
    assert_eq!(
        (s, location(&h).as_str()),
        (303, "/login?next=%2Fimages%3Fstatus%3Dfailed")
    );

    // A wrong password is refused on the page, with the same answer as an unknown user.
    let (s, page, _) = b.login("admin", "wrong");
    assert_eq!(s, 200);
    assert!(!b.cookies.contains_key("drydock_session"));
    assert!(page.contains("Wrong user name or password."), "{page}");
    let (s, page2, _) = b.login("nobody", "wrong");
    assert_eq!(s, 200);
    assert!(page2.contains("Wrong user name or password."));

    // The right one starts a session: an HttpOnly, SameSite=Strict cookie, then the page asked for.
    let (s, _, h) = b.login("admin", ADMIN_PASSWORD);
    assert_eq!((s, location(&h).as_str()), (303, "/images"));
    let set: Vec<&str> = h.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    let session = set
        .iter()
        .find(|c| c.starts_with("drydock_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "plain HTTP: no Secure flag ({session})");

    // Every page: the strict CSP, no caching, and the signed-in frame.
    for path in ["/", "/images"] {
        let (s, page, h) = b.get(path);
        assert_eq!(s, 200, "{path}: {page}");
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(h.get("cache-control").unwrap(), "no-store");
        assert!(page.contains("Log out") && page.contains(">admin</a>"), "{path}");
        assert!(!page.contains("<script>"), "no inline script on {path}");
    }
    // Without a vulnerability database the dashboard says so.
    let (_, page, _) = b.get("/");
    assert!(page.contains("No vulnerability database is configured"), "{page}");

    // A form without the session's token is refused, and so is one sent from another site.
    let (s, page, _) = b.post("/logout", &[("csrf", "forged")], None);
    assert_eq!(s, 403, "{page}");
    assert!(page.contains("security token"), "{page}");
    let csrf = b.session_csrf();
    let (s, _, _) = b.post("/logout", &[("csrf", &csrf)], Some("http://evil.example"));
    assert_eq!(s, 403);

    // Logging out ends the session on the server: the old cookie no longer opens a page.
    let old = b.cookies.get("drydock_session").cloned().unwrap();
    let (s, page, _) = b.post("/logout", &[("csrf", &csrf)], None);
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("You are logged out."));
    assert!(!b.cookies.contains_key("drydock_session"));
    b.cookies.insert("drydock_session".into(), old);
    let (s, _, h) = b.get("/");
    assert_eq!((s, location(&h).as_str()), (303, "/login?next=%2F"));

    // A login form posted without its cookie (another site's form) starts no session.
    let mut other = Browser::new(api);
    let (s, page, _) = other.post(
        "/login",
        &[("csrf", "x"), ("username", "admin"), ("password", ADMIN_PASSWORD)],
        None,
    );
    assert_eq!(s, 403, "{page}");
    assert!(!other.cookies.contains_key("drydock_session"));
}

#[test]
fn the_web_ui_logs_in_with_a_session_and_refuses_forged_forms_on_sqlite() {
    let home = tempfile::tempdir().unwrap();
    let (_p, api) = serve(home.path(), None, 0);
    login_logout_and_pages(&api);
}

#[test]
fn the_web_ui_logs_in_with_a_session_and_refuses_forged_forms_on_postgresql() {
    let home = tempfile::tempdir().unwrap();
    let db = PgDb::new();
    let (_p, api) = serve(home.path(), Some(&db.url), 0);
    login_logout_and_pages(&api);
}

/// Every page × every role: the page opens for roles its permission allows and answers 403
/// for the others; an admin alone sees (and may use) the account switch.
#[test]
fn every_page_answers_each_role_as_its_permission_says() {
    let home = tempfile::tempdir().unwrap();
    let (_p, api) = serve(home.path(), None, 0);
    let (s, v) = api.admin("POST", "/v1/accounts", Some(json!({"name": "team"})));
    assert_eq!(s, 201, "{v}");
    for role in drydock_server::auth::ROLES {
        let name = format!("u-{}", role.as_str());
        let (s, v) = api.admin(
            "POST",
            "/v1/users",
            Some(json!({"name": name, "account": "team", "role": role.as_str(), "password": "pw-long-enough-1"})),
        );
        assert_eq!(s, 201, "{v}");
        let mut b = Browser::new(&api);
        let (s, _, _) = b.login(&name, "pw-long-enough-1");
        assert_eq!(s, 303, "{name} logs in");
        for page in drydock_server::web::PAGES
            .iter()
            .filter(|p| p.method == "GET" && !p.path.contains('{'))
        {
            let (s, body, _) = b.get(page.path);
            let open_to_all = matches!(page.perm, drydock_api::Perm::Public | drydock_api::Perm::Authenticated);
            let expected = if open_to_all || role.allows(page.perm) {
                200
            } else {
                403
            };
            // Pages that need a query answer a page saying what is missing.
            let expected = match page.path {
                "/login" => 303,
                "/tags" if expected == 200 => 404,
                "/compare" if expected == 200 => 400,
                _ => expected,
            };
            assert_eq!(s, expected, "{} GET {}: {body}", role.as_str(), page.path);
        }
        let csrf = b.session_csrf_any();
        let (s, body, _) = b.post("/account", &[("csrf", &csrf), ("account", "admin")], None);
        let expected = if *role == drydock_server::auth::Role::Admin {
            303
        } else {
            403
        };
        assert_eq!(s, expected, "{} switches account: {body}", role.as_str());
    }
}

impl Browser {
    /// The session's CSRF token from whichever page the role may open.
    fn session_csrf_any(&mut self) -> String {
        for path in ["/", "/images"] {
            let (s, page, _) = self.get(path);
            if (s == 200 || s == 403) && page.contains(r#"name="csrf" value=""#) {
                return Self::csrf_of(&page);
            }
        }
        panic!("no page with a form");
    }
}

/// The policy manager: an invalid upload is refused with its problems (the text kept), a
/// valid one is stored, copied, activated, downloaded and deleted; a read-only user sees
/// none of the controls and a forged write answers 403.
#[test]
fn policies_are_managed_from_the_web_ui_by_roles_that_may() {
    let home = tempfile::tempdir().unwrap();
    let (_p, api) = serve(home.path(), None, 0);
    let mut b = Browser::new(&api);
    let (s, _, _) = b.login("admin", ADMIN_PASSWORD);
    assert_eq!(s, 303);
    let csrf = b.session_csrf();

    let (s, page, _) = b.post("/policies", &[("csrf", &csrf), ("bundle", "{\"id\": \"x\"}")], None);
    assert_eq!(s, 200);
    assert!(page.contains("role=\"alert\""), "the problems are shown: {page}");
    assert!(
        page.contains("{&quot;id&quot;: &quot;x&quot;}"),
        "the text is kept to fix it"
    );

    let mut bundle = serde_json::to_value(drydock_policy::default_bundle()).unwrap();
    bundle["id"] = json!("team-policy");
    bundle["name"] = json!("Team <policy>");
    let (s, _, h) = b.post("/policies", &[("csrf", &csrf), ("bundle", &bundle.to_string())], None);
    assert_eq!((s, location(&h).as_str()), (303, "/policies"));
    let (s, page, _) = b.get("/policies");
    assert_eq!(s, 200);
    assert!(page.contains("Team &lt;policy&gt;"), "{page}");

    let (s, _, _) = b.post("/policies/team-policy/copy", &[("csrf", &csrf)], None);
    assert_eq!(s, 303);
    let (s, _, _) = b.post("/policies/team-policy-copy/activate", &[("csrf", &csrf)], None);
    assert_eq!(s, 303);
    let (_, list) = api.admin("GET", "/v1/policies", None);
    let active: Vec<&str> = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["active"] == true)
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(active, ["team-policy-copy"]);

    let (s, text, h) = b.get("/policies/team-policy/download");
    assert_eq!(s, 200);
    assert!(h["content-disposition"].to_str().unwrap().contains("team-policy.json"));
    let downloaded: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(downloaded["name"], "Team <policy>");
    assert!(drydock_policy::validate(&drydock_policy::parse_bundle(text.as_bytes(), "download").unwrap()).is_empty());

    // A read-only user: the list, no controls; a forged delete is refused.
    let (s, v) = api.admin(
        "POST",
        "/v1/users",
        Some(json!({"name": "reader", "account": "admin", "role": "read-only", "password": "pw-long-enough-1"})),
    );
    assert_eq!(s, 201, "{v}");
    let mut r = Browser::new(&api);
    r.login("reader", "pw-long-enough-1");
    let (s, page, _) = r.get("/policies");
    assert_eq!(s, 200);
    assert!(
        page.contains("team-policy") && !page.contains(">Delete<") && !page.contains("Upload a bundle"),
        "{page}"
    );
    let rcsrf = Browser::csrf_of(&page);
    let (s, _, _) = r.post("/policies/team-policy/delete", &[("csrf", &rcsrf)], None);
    assert_eq!(s, 403);

    let (s, _, _) = b.post("/policies/team-policy/delete", &[("csrf", &csrf)], None);
    assert_eq!(s, 303);
    let (_, list) = api.admin("GET", "/v1/policies", None);
    assert_eq!(list["policies"].as_array().unwrap().len(), 1);
}

/// Users are added and deleted from the web UI by user admins; an API key made on the
/// profile page is shown once and works against the API.
#[test]
fn users_and_api_keys_from_the_web_ui() {
    let home = tempfile::tempdir().unwrap();
    let (_p, api) = serve(home.path(), None, 0);
    let mut b = Browser::new(&api);
    b.login("admin", ADMIN_PASSWORD);
    let csrf = b.session_csrf();
    let (s, page, _) = b.post(
        "/users",
        &[
            ("csrf", &csrf),
            ("name", "dev"),
            ("password", "short"),
            ("role", "read-write"),
        ],
        None,
    );
    assert_eq!(s, 200);
    assert!(page.contains("at least 8 characters"), "{page}");
    let (s, _, _) = b.post(
        "/users",
        &[
            ("csrf", &csrf),
            ("name", "dev"),
            ("password", "pw-long-enough-1"),
            ("role", "read-write"),
        ],
        None,
    );
    assert_eq!(s, 303);
    let mut dev = Browser::new(&api);
    let (s, _, _) = dev.login("dev", "pw-long-enough-1");
    assert_eq!(s, 303, "the new user logs in");
    let (s, _, _) = dev.get("/users");
    assert_eq!(s, 403, "a read-write user does not administer users");

    let dcsrf = dev.session_csrf();
    let (s, page, _) = dev.post("/apikeys", &[("csrf", &dcsrf)], None);
    assert_eq!(s, 200);
    let at =
        page.find(r#"id="new-key" class="wrap">"#).expect("the key is shown") + r#"id="new-key" class="wrap">"#.len();
    let key: String = page[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let (s, v) = api.call("GET", "/v1/images", Some(("bearer", &key)), None);
    assert_eq!(s, 200, "the key works: {v}");
    let (_, again, _) = dev.get("/profile");
    assert!(!again.contains(&key), "shown once");

    let (s, _, _) = b.post("/users/dev/delete", &[("csrf", &csrf)], None);
    assert_eq!(s, 303);
    let (s, _, h) = dev.get("/");
    assert_eq!(
        (s, location(&h).as_str()),
        (303, "/login?next=%2F"),
        "a deleted user's session ends"
    );
}
