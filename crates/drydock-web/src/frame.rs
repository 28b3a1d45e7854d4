//! What every signed-in page shows around its content: who is signed in, the account acted
//! on, the navigation the role may use, the service's status in the header, and the form
//! token.

use serde::Serialize;

/// The page frame.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Frame {
    /// The page's title (the `<title>` and its heading).
    pub title: String,
    /// The signed-in user; `None` on the login page.
    pub user: Option<String>,
    /// The user's role (`admin`, `read-only`, …).
    pub role: String,
    /// The account the session acts on.
    pub account: String,
    /// Accounts an admin may switch to (empty for everyone else).
    pub accounts: Vec<String>,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
    /// Navigation entries the role may open.
    pub nav: Vec<NavItem>,
    /// The service's state, shown in the header.
    pub status: Option<HeaderStatus>,
    /// True when the role may change images (add, delete, watch).
    pub can_write_images: bool,
    /// True when the role may change policies.
    pub can_write_policies: bool,
    /// The time of rendering (Unix seconds), for "3 min ago".
    pub now: i64,
}

/// One navigation entry.
#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    /// What the link says.
    pub label: &'static str,
    /// Where it goes.
    pub href: &'static str,
    /// True on the entry of the page shown.
    pub active: bool,
}

/// The service's state in the header of every page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HeaderStatus {
    /// Analyses waiting.
    pub queued: i64,
    /// Analyses running.
    pub running: i64,
    /// When the vulnerability database was built (Unix seconds), when known.
    pub feeds_built_at: Option<i64>,
    /// `ready`, `waiting_for_feed` or `unavailable`.
    pub feeds_state: String,
}
