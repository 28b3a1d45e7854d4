//! `update` against a tiny local HTTP server serving the public feeds' layouts:
//! downloads, an interrupted download resumed with `Range`, conditional requests
//! answered with 304, and the rebuilt database.

use drydock_update::update::DownloadOutcome;
use drydock_update::{update, RemoteSource, UpdateConfig};
use drydock_vulndb::{Db, SourceKind, SourceSpec};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The feed samples committed with drydock-vulndb's reader tests.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../drydock-vulndb/tests/fixtures/vulndata")
}

#[derive(Default)]
struct State {
    log: Vec<String>,
    /// Paths whose next full response is cut off half-way.
    cut_once: HashSet<String>,
}

fn serve(root: PathBuf, state: Arc<Mutex<State>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let _ = handle(conn, &root, &state);
        }
    });
    format!("http://{addr}")
}

fn handle(mut conn: TcpStream, root: &Path, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end().to_string();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let get = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let rel = path.trim_start_matches('/').replace("%20", " ");
    let file = root.join(&rel);
    let Ok(body) = std::fs::read(&file) else {
        conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        return Ok(());
    };
    let etag = format!("\"{}-{}\"", body.len(), body.iter().map(|b| *b as u64).sum::<u64>());
    let mut st = state.lock().unwrap();
    let range = get("range");
    st.log.push(format!(
        "{path} range={} inm={}",
        range.clone().unwrap_or_default(),
        get("if-none-match").is_some()
    ));
    if get("if-none-match").as_deref() == Some(etag.as_str()) {
        conn.write_all(format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n").as_bytes())?;
        return Ok(());
    }
    if let Some(r) = range {
        let start: usize = r
            .trim_start_matches("bytes=")
            .trim_end_matches('-')
            .parse()
            .unwrap_or(0);
        if get("if-range").as_deref() == Some(etag.as_str()) && start < body.len() {
            let part = &body[start..];
            conn.write_all(
                format!(
                    "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {}-{}/{}\r\nETag: {etag}\r\nConnection: close\r\n\r\n",
                    part.len(),
                    start,
                    body.len() - 1,
                    body.len()
                )
                .as_bytes(),
            )?;
            conn.write_all(part)?;
            return Ok(());
        }
    }
    let cut = st.cut_once.remove(&rel);
    drop(st);
    conn.write_all(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: {etag}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )?;
    if cut {
        conn.write_all(&body[..body.len() / 2])?;
        conn.flush()?;
        return Ok(()); // connection closes early
    }
    conn.write_all(&body)?;
    let _ = reader.read(&mut [0u8; 0]);
    Ok(())
}

#[test]
fn update_downloads_resumes_and_rebuilds() {
    let site = tempfile::tempdir().unwrap();
    let root = site.path();
    // The public layouts: OSV all.zip per ecosystem, secdb per branch, KEV, EPSS.
    std::fs::create_dir_all(root.join("PyPI")).unwrap();
    {
        let f = std::fs::File::create(root.join("PyPI/all.zip")).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default();
        for e in std::fs::read_dir(fixtures().join("osv/PyPI")).unwrap() {
            let p = e.unwrap().path();
            z.start_file(p.file_name().unwrap().to_string_lossy(), opts).unwrap();
            z.write_all(&std::fs::read(&p).unwrap()).unwrap();
        }
        z.finish().unwrap();
    }
    std::fs::create_dir_all(root.join("v3.10")).unwrap();
    std::fs::copy(fixtures().join("alpine/v3.10/main.json"), root.join("v3.10/main.json")).unwrap();
    std::fs::create_dir_all(root.join("feeds")).unwrap();
    // Make the KEV file large enough to be cut in the middle of its body.
    let kev = std::fs::read_to_string(fixtures().join("kev/known_exploited_vulnerabilities.json")).unwrap();
    std::fs::write(
        root.join("feeds/known_exploited_vulnerabilities.json"),
        format!("{kev}{}", " ".repeat(300_000)),
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("epss/epss_scores-current.csv"),
        root.join("epss_scores-current.csv"),
    )
    .unwrap();

    let state = Arc::new(Mutex::new(State::default()));
    state
        .lock()
        .unwrap()
        .cut_once
        .insert("feeds/known_exploited_vulnerabilities.json".into());
    let base = serve(root.to_path_buf(), state.clone());

    let work = tempfile::tempdir().unwrap();
    let own = work.path().join("own");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(
        own.join("ACME-1.json"),
        r#"{"id":"ACME-1","affected":[{"package":{"ecosystem":"PyPI","name":"requests"},"versions":["2.19.0"]}]}"#,
    )
    .unwrap();
    let mut osv = RemoteSource::new(SourceKind::Osv, format!("{base}/PyPI/all.zip"));
    osv.file = Some("PyPI/all.zip".into());
    let cfg = UpdateConfig {
        sources: vec![
            osv,
            RemoteSource::new(SourceKind::Alpine, format!("{base}/v3.10/main.json")),
            RemoteSource::new(
                SourceKind::Kev,
                format!("{base}/feeds/known_exploited_vulnerabilities.json"),
            ),
            RemoteSource::new(SourceKind::Epss, format!("{base}/epss_scores-current.csv")),
        ],
        cache_dir: work.path().join("cache"),
        db_path: work.path().join("db/vuln.db"),
        extra_sources: vec![SourceSpec::new(SourceKind::Osv, &own)],
        drop_ids: vec![],
        timeout_secs: Some(30),
    };

    // 1. The KEV download is cut off: the update fails, no database appears.
    let mut bytes_seen = 0u64;
    let err = update(&cfg, &mut |p| {
        if let drydock_vulndb::Progress::Download { bytes, .. } = p {
            bytes_seen = bytes_seen.max(*bytes);
        }
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("known_exploited_vulnerabilities.json"),
        "{err}"
    );
    assert!(!cfg.db_path.exists());
    assert!(bytes_seen > 0);

    // 2. Run again: the finished feeds are not fetched again (304), KEV resumes.
    let report = update(&cfg, &mut |_| {}).unwrap();
    let outcomes: Vec<_> = report.downloads.iter().map(|d| d.outcome.clone()).collect();
    assert_eq!(
        outcomes,
        vec![
            DownloadOutcome::NotModified,
            DownloadOutcome::NotModified,
            DownloadOutcome::Resumed,
            DownloadOutcome::Downloaded
        ]
    );
    let log = state.lock().unwrap().log.clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("/feeds/known_exploited_vulnerabilities.json range=bytes=")),
        "{log:?}"
    );
    let kev_cached = std::fs::read(&report.downloads[2].path).unwrap();
    assert_eq!(
        kev_cached,
        std::fs::read(root.join("feeds/known_exploited_vulnerabilities.json")).unwrap()
    );

    let db = Db::open(&cfg.db_path).unwrap();
    let ids: HashSet<String> = db
        .lookup("pypi", "requests")
        .unwrap()
        .iter()
        .map(|c| c.advisory.id.clone())
        .collect();
    assert!(ids.contains("PYSEC-2018-28") && ids.contains("ACME-1"), "{ids:?}");
    assert!(!db.lookup("alpine:3.10", "openssl").unwrap().is_empty());
    assert_eq!(
        db.enrichment("CVE-2021-44228")
            .unwrap()
            .unwrap()
            .kev_date_added
            .as_deref(),
        Some("2021-12-10")
    );
    let sources = db.sources().unwrap();
    assert_eq!(sources[0].location, format!("{base}/PyPI/all.zip"));
    drop(db);

    // 3. Nothing changed upstream: everything is 304 and the database is rebuilt.
    let report = update(&cfg, &mut |_| {}).unwrap();
    assert!(report
        .downloads
        .iter()
        .all(|d| d.outcome == DownloadOutcome::NotModified));
    assert!(Db::open(&cfg.db_path).is_ok());
}
