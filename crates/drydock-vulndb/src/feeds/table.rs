//! The feed table: one row per feed kind, everything `db build` and `db update` need to
//! know about it — its name, the directory names it has in a feed tree, how a file or a
//! directory of it is recognised, how it is read and where it is published. `build.rs` and
//! `drydock-update` read only this table, so adding a feed is its reader module plus one row.

use super::{FeedError, Sink};
use crate::build::{SourceKind, SourceSpec};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One feed kind.
pub struct Feed {
    /// The kind, as configurations name it (`[[db.sources]] kind = "osv"`).
    pub kind: SourceKind,
    /// Its lower-case name.
    pub name: &'static str,
    /// Names of the directory that holds it in a feed tree (`osv/`; Alpine's `alpine/` or
    /// `secdb/`), in the order a tree's sources are read.
    pub dirs: &'static [&'static str],
    /// File name endings its reader reads in a directory (empty: it reads the directory).
    pub files: &'static [&'static str],
    /// Sniffing order among the rows whose [`Feed::sniff`] may match the same file: lower
    /// first, so specific shapes (KEV's `cveID`) come before broad ones (OSV's `affected`,
    /// then Debian's `releases`).
    pub sniff_rank: u8,
    /// True when a file is of this kind, from its lower-case name and, for JSON files, its
    /// first 8 KiB.
    pub(crate) sniff: fn(&Sniffed) -> bool,
    /// True when a directory is itself one source of this kind (RustSec's `crates/`).
    pub(crate) marks_dir: fn(&Path) -> bool,
    /// The source's name in the database metadata and `db status`.
    pub(crate) source_name: fn(&SourceSpec) -> String,
    /// Reads a source of this kind.
    pub(crate) read: fn(&mut Reading<'_, '_>) -> Result<(), FeedError>,
    /// Its public downloads for `db update`, given the Alpine branches asked for.
    pub(crate) public: fn(&[&str]) -> Vec<RemoteSource>,
}

/// Every feed kind, in the order a feed tree's sources are read.
pub static FEEDS: &[Feed] = &[
    Feed {
        kind: SourceKind::Osv,
        name: "osv",
        dirs: &["osv"],
        files: &[".json", ".zip"],
        sniff_rank: 4,
        sniff: |f| {
            f.name.ends_with(".zip") || f.head_has("\"affected\"") || f.head_has("\"modified\"") && f.head_has("\"id\"")
        },
        marks_dir: |_| false,
        source_name: |spec| match base_name(spec).as_str() {
            "osv" | "" => "osv".into(),
            base => format!("osv:{base}"),
        },
        read: read_osv,
        public: |_| {
            osv_ecosystems()
                .map(|e| {
                    let mut s = RemoteSource::new(
                        SourceKind::Osv,
                        format!(
                            "https://osv-vulnerabilities.storage.googleapis.com/{}/all.zip",
                            e.replace(' ', "%20")
                        ),
                    );
                    s.file = Some(format!("{e}/all.zip"));
                    s
                })
                .collect()
        },
    },
    Feed {
        kind: SourceKind::Alpine,
        name: "alpine",
        dirs: &["alpine", "secdb"],
        files: &[".json"],
        sniff_rank: 1,
        sniff: |f| f.head_has("\"distroversion\"") || f.head_has("\"secfixes\"") || f.head_has("\"apkurl\""),
        marks_dir: |_| false,
        source_name: |spec| match &spec.namespace {
            Some(ns) => format!("secdb:{ns}"),
            None => "alpine-secdb".into(),
        },
        read: |r| {
            let ns = r.spec.namespace.clone();
            let files = r.files(&[".json"])?;
            r.each(files, &mut |f, s| super::alpine::read_file(f, ns.as_deref(), s))
        },
        public: |branches| {
            let mut v = Vec::new();
            for b in branches {
                for repo in ["main", "community"] {
                    v.push(RemoteSource::new(
                        SourceKind::Alpine,
                        format!("https://secdb.alpinelinux.org/{b}/{repo}.json"),
                    ));
                }
            }
            v
        },
    },
    Feed {
        kind: SourceKind::Debian,
        name: "debian",
        dirs: &["debian"],
        files: &[".json", ".json.gz"],
        sniff_rank: 5,
        sniff: |f| f.head_has("\"releases\""),
        marks_dir: |_| false,
        source_name: |_| "debian-tracker".into(),
        read: |r| {
            let files = r.files(&[".json", ".json.gz"])?;
            r.each(files, &mut |f, s| super::debian::read_file(f, s))
        },
        public: |_| {
            let mut deb = RemoteSource::new(
                SourceKind::Debian,
                "https://security-tracker.debian.org/tracker/data/json",
            );
            deb.file = Some("debian/tracker.json".into());
            vec![deb]
        },
    },
    Feed {
        kind: SourceKind::Rustsec,
        name: "rustsec",
        dirs: &["rustsec", "advisory-db"],
        files: &[],
        sniff_rank: 0,
        sniff: |f| f.name.ends_with(".md"),
        marks_dir: |p| p.join("crates").is_dir(),
        source_name: |_| "rustsec".into(),
        read: |r| {
            let dir = vec![r.spec.path.clone()];
            r.each(dir, &mut |d, s| super::rustsec::read_dir(d, s))
        },
        public: |_| Vec::new(),
    },
    Feed {
        kind: SourceKind::Nvd,
        name: "nvd",
        dirs: &["nvd"],
        files: &[".json", ".json.gz"],
        sniff_rank: 3,
        sniff: |f| f.head_has("\"resultsPerPage\"") || f.head_has("\"cvssMetricV") || f.head_has("\"NVD_CVE\""),
        marks_dir: |_| false,
        source_name: |_| "nvd".into(),
        read: |r| {
            let files = r.files(&[".json", ".json.gz"])?;
            r.each(files, &mut |f, s| super::nvd::read_file(f, s).map(|_| ()))
        },
        public: |_| Vec::new(),
    },
    Feed {
        kind: SourceKind::Kev,
        name: "kev",
        dirs: &["kev"],
        files: &[".json"],
        sniff_rank: 2,
        sniff: |f| f.head_has("\"cveID\"") || f.head_has("\"catalogVersion\""),
        marks_dir: |p| p.join("known_exploited_vulnerabilities.json").is_file(),
        source_name: |_| "kev".into(),
        read: |r| {
            let files = r.files(&[".json"])?;
            r.each(files, &mut |f, s| super::kev::read_file(f, s))
        },
        public: |_| {
            vec![RemoteSource::new(
                SourceKind::Kev,
                "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
            )]
        },
    },
    Feed {
        kind: SourceKind::Epss,
        name: "epss",
        dirs: &["epss"],
        files: &[".csv", ".csv.gz"],
        sniff_rank: 0,
        sniff: |f| f.name.ends_with(".csv") || f.name.ends_with(".csv.gz"),
        marks_dir: |_| false,
        source_name: |_| "epss".into(),
        read: |r| {
            let files = r.files(&[".csv", ".csv.gz"])?;
            r.each(files, &mut |f, s| super::epss::read_file(f, s).map(|_| ()))
        },
        public: |_| {
            vec![RemoteSource::new(
                SourceKind::Epss,
                "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
            )]
        },
    },
];

impl Feed {
    /// True when its sources are files, which `db update` can download; false for a feed
    /// read as a directory (a RustSec checkout).
    pub fn is_file_feed(&self) -> bool {
        !self.files.is_empty()
    }
}

/// The row of a kind (`None` for [`SourceKind::Auto`]).
pub fn feed(kind: SourceKind) -> Option<&'static Feed> {
    FEEDS.iter().find(|f| f.kind == kind)
}

/// One feed to download (`drydock-update` downloads it; `[[db.sources]]` names it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteSource {
    /// Reader for the downloaded file.
    pub kind: SourceKind,
    /// URL (http or https).
    pub url: String,
    /// Namespace override (for secdb-format feeds of Wolfi/Chainguard).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Relative file name in the cache (default: the URL's last two path segments).
    #[serde(default)]
    pub file: Option<String>,
}

impl RemoteSource {
    /// A source of a kind at a URL.
    pub fn new(kind: SourceKind, url: impl Into<String>) -> RemoteSource {
        RemoteSource {
            kind,
            url: url.into(),
            namespace: None,
            file: None,
        }
    }
}

/// The public feeds, from the table: OSV `all.zip` per ecosystem, the Debian tracker,
/// CISA KEV, EPSS, and Alpine secdb for the given Alpine branches (`v3.20`…).
pub fn public_sources(alpine_branches: &[&str]) -> Vec<RemoteSource> {
    FEEDS.iter().flat_map(|f| (f.public)(alpine_branches)).collect()
}

/// OSV ecosystems published as `<ecosystem>/all.zip`: the package types' (`PyPI`, `npm`, …),
/// then those with advisories but no cataloger of their own, then the distributions'.
pub fn osv_ecosystems() -> impl Iterator<Item = &'static str> {
    const OTHERS: &[&str] = &[
        "Hex",
        "Pub",
        "Debian",
        "Ubuntu",
        "Alpine",
        "Rocky Linux",
        "AlmaLinux",
        "Red Hat",
        "SUSE",
        "openSUSE",
        "Wolfi",
        "Chainguard",
    ];
    drydock_ecosystem::osv_ecosystems().chain(OTHERS.iter().copied())
}

/// What sniffing sees of a file: its lower-case name and, for JSON, its first bytes.
pub(crate) struct Sniffed {
    name: String,
    head: Option<String>,
}

impl Sniffed {
    /// Reads what sniffing needs of `path` (the head only of `.json` and `.json.gz` files).
    fn of(path: &Path) -> Sniffed {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let head = (name.ends_with(".json") || name.ends_with(".json.gz"))
            .then(|| read_head(path))
            .flatten();
        Sniffed { name, head }
    }

    fn head_has(&self, needle: &str) -> bool {
        self.head.as_deref().is_some_and(|h| h.contains(needle))
    }
}

fn read_head(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = vec![0u8; 8192];
    let mut r = super::open_maybe_gz(path).ok()?;
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    Some(String::from_utf8_lossy(&head[..n]).into_owned())
}

/// The kind of a single file, by the rows' sniffs in [`Feed::sniff_rank`] order.
pub(crate) fn sniff_file(path: &Path) -> Option<SourceKind> {
    let sniffed = Sniffed::of(path);
    FEEDS
        .iter()
        .filter(|f| (f.sniff)(&sniffed))
        .min_by_key(|f| f.sniff_rank)
        .map(|f| f.kind)
}

/// Every file name ending some reader reads in a directory.
pub(crate) fn all_file_endings() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for e in FEEDS.iter().flat_map(|f| f.files.iter().copied()) {
        if !v.contains(&e) {
            v.push(e);
        }
    }
    v
}

fn base_name(spec: &SourceSpec) -> String {
    spec.path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// One source being read: its files go to the sink one by one; a file that fails is
/// recorded and the next one read, an error from the sink (the database) stops everything.
pub(crate) struct Reading<'r, 's> {
    pub(crate) spec: &'r SourceSpec,
    sink: &'r mut Sink<'s>,
    pub(crate) errors: Vec<FeedError>,
}

impl<'r, 's> Reading<'r, 's> {
    pub(crate) fn new(spec: &'r SourceSpec, sink: &'r mut Sink<'s>) -> Self {
        Reading {
            spec,
            sink,
            errors: Vec::new(),
        }
    }

    /// The source itself when it is a file, else its files ending in one of `endings`.
    fn files(&self, endings: &[&str]) -> Result<Vec<PathBuf>, FeedError> {
        if self.spec.path.is_dir() {
            super::walk_files(&self.spec.path, endings)
        } else {
            Ok(vec![self.spec.path.clone()])
        }
    }

    /// Reads each of `list` with `f`.
    fn each(
        &mut self,
        list: Vec<PathBuf>,
        f: &mut dyn FnMut(&Path, &mut Sink<'_>) -> Result<(), FeedError>,
    ) -> Result<(), FeedError> {
        let mut sink_failed = None;
        for file in list {
            let sink = &mut *self.sink;
            let mut guard = |item: super::Item| -> Result<(), FeedError> {
                sink(item).inspect_err(|e| sink_failed = Some(e.clone()))
            };
            if let Err(e) = f(&file, &mut guard) {
                if let Some(s) = sink_failed.take() {
                    return Err(s);
                }
                self.errors.push(e);
            }
        }
        Ok(())
    }
}

/// OSV: a tree of loose records plus any `all.zip` inside it, one `all.zip`, or one record.
fn read_osv(r: &mut Reading<'_, '_>) -> Result<(), FeedError> {
    let p = r.spec.path.clone();
    if p.is_dir() {
        r.each(vec![p.clone()], &mut |d, s| super::osv::read_dir(d, s))?;
        let zips = super::walk_files(&p, &[".zip"])?;
        r.each(zips, &mut |f, s| super::osv::read_zip(f, s))
    } else if Sniffed::of(&p).name.ends_with(".zip") {
        r.each(vec![p], &mut |f, s| super::osv::read_zip(f, s))
    } else {
        r.each(vec![p], &mut |f, s| {
            let b = super::read_limited(f, super::MAX_RECORD_BYTES)?;
            let a = super::osv::parse_record(&b, &f.display().to_string(), "osv")?;
            s(super::Item::Advisory {
                key: a.id.clone(),
                advisory: a,
            })
        })
    }
}
