//! A real `docker-registry` (distribution v2, Debian's package) on a free loopback port
//! with a temporary storage directory, and a push of an [`ImageBuilder`] over its HTTP API.
//!
//! The registry runs under a small `sh` watchdog holding the read end of a pipe whose write
//! end only the test process holds: when the [`Registry`] is dropped, or the test process
//! ends in any way (a panic, a kill, a timeout), the pipe closes and the watchdog kills the
//! registry by its pid. [`Registry::shared`] is therefore safe in a `static`: one registry
//! per test binary, gone with the process.

use crate::fixture::ImageBuilder;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Runs the registry (`$0 serve $1`) and kills it when stdin closes; exits when it exits.
const WATCHDOG: &str = r#"exec 3<&0 </dev/null
"$0" serve "$1" &
pid=$!
{ read -r _ <&3; kill "$pid" 2>/dev/null; } &
wait "$pid""#;

/// A `docker-registry` process of our own, stopped on drop or when the process exits.
pub struct Registry {
    watchdog: Child,
    lifeline: Option<ChildStdin>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    auth: Option<(String, String)>,
    dir: tempfile::TempDir,
}

impl Registry {
    /// An anonymous registry for one test.
    pub fn start() -> Registry {
        Self::start_with(None)
    }

    /// A registry that demands HTTP basic auth (htpasswd) for `user`/`password`.
    pub fn start_with_auth(user: &str, password: &str) -> Registry {
        Self::start_with(Some((user, password)))
    }

    /// The anonymous registry every test of this binary may share, started by the first
    /// that asks. Tests sharing it push under repository names of their own.
    pub fn shared() -> &'static Registry {
        static SHARED: OnceLock<(Registry, Option<ChildStdin>)> = OnceLock::new();
        let (reg, _) = SHARED.get_or_init(|| {
            let reg = Registry::start();
            // A static is never dropped: its storage goes when the process ends, by the
            // same kind of lifeline as the registry's.
            let cleanup = Command::new("sh")
                .args(["-c", r#"read -r _; rm -rf "$0""#])
                .arg(reg.dir.path())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()
                .and_then(|mut c| c.stdin.take());
            (reg, cleanup)
        });
        reg
    }

    fn start_with(auth: Option<(&str, &str)>) -> Registry {
        let binary = registry_binary();
        let dir = tempfile::tempdir().unwrap_or_else(|e| fail(&format!("temp dir: {e}")));
        let auth_section = match auth {
            Some((user, password)) => {
                let out = Command::new("htpasswd")
                    .args(["-Bbn", user, password])
                    .output()
                    .unwrap_or_else(|e| {
                        fail(&format!(
                            "htpasswd is not installed (apt-get install apache2-utils): {e}"
                        ))
                    });
                assert!(
                    out.status.success(),
                    "htpasswd failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let file = dir.path().join("htpasswd");
                write(&file, &out.stdout);
                format!(
                    "auth:\n  htpasswd:\n    realm: drydock-test\n    path: {}\n",
                    file.display()
                )
            }
            None => String::new(),
        };
        let log_path = dir.path().join("registry.log");
        for _ in 0..5 {
            let addr = format!("127.0.0.1:{}", free_port());
            let config = format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n  secret: drydock-test-secret\n{auth_section}",
                dir.path().join("data").display()
            );
            let config_path = dir.path().join("config.yml");
            write(&config_path, config.as_bytes());
            let log = std::fs::File::create(&log_path).unwrap_or_else(|e| fail(&format!("registry log: {e}")));
            let log2 = log.try_clone().unwrap_or_else(|e| fail(&format!("registry log: {e}")));
            let mut watchdog = Command::new("sh")
                .args(["-c", WATCHDOG])
                .arg(&binary)
                .arg(&config_path)
                .stdin(Stdio::piped())
                .stdout(log)
                .stderr(log2)
                .spawn()
                .unwrap_or_else(|e| fail(&format!("start docker-registry: {e}")));
            let mut lifeline = watchdog.stdin.take();
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = watchdog.try_wait() {
                    break; // port taken in the meantime, or a config problem: try again
                }
                if answers_v2(&addr) {
                    return Registry {
                        watchdog,
                        lifeline,
                        addr,
                        auth: auth.map(|(u, p)| (u.to_string(), p.to_string())),
                        dir,
                    };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            stop(&mut watchdog, &mut lifeline);
        }
        let log = std::fs::read_to_string(dir.path().join("registry.log")).unwrap_or_default();
        fail(&format!("docker-registry did not come up; its log:\n{log}"))
    }

    /// Where the registry stores a blob's bytes (to damage it behind the registry's back).
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.dir
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2.min(hex.len())])
            .join(hex)
            .join("data")
    }

    /// Pushes an image as `repo:tag` (monolithic blob uploads, then the OCI manifest).
    pub fn push(&self, repo: &str, tag: &str, img: &ImageBuilder) {
        let c = reqwest::blocking::Client::new();
        let auth = |r: reqwest::blocking::RequestBuilder| match &self.auth {
            Some((u, p)) => r.basic_auth(u, Some(p)),
            None => r,
        };
        let send = |r: reqwest::blocking::RequestBuilder, what: &str| {
            r.send()
                .unwrap_or_else(|e| fail(&format!("{what} at {}: {e}", self.addr)))
        };
        for (digest, bytes) in img.blobs() {
            let r = send(
                auth(c.post(format!("http://{}/v2/{repo}/blobs/uploads/", self.addr))),
                "start upload",
            );
            assert_eq!(r.status(), 202, "start upload");
            let loc = r
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let url = if loc.starts_with("http") {
                loc
            } else {
                format!("http://{}{loc}", self.addr)
            };
            let sep = if url.contains('?') { '&' } else { '?' };
            let r = send(
                auth(c.put(format!("{url}{sep}digest={digest}")))
                    .header("content-type", "application/octet-stream")
                    .body(bytes),
                "upload",
            );
            assert_eq!(r.status(), 201, "upload {digest}");
        }
        let r = send(
            auth(c.put(format!("http://{}/v2/{repo}/manifests/{tag}", self.addr)))
                .header("content-type", "application/vnd.oci.image.manifest.v1+json")
                .body(img.manifest_json()),
            "push manifest",
        );
        assert_eq!(r.status(), 201, "push manifest");
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        stop(&mut self.watchdog, &mut self.lifeline);
    }
}

/// Closes the lifeline (the watchdog kills the registry) and waits for the watchdog; kills
/// it if it has not ended within ten seconds.
fn stop(watchdog: &mut Child, lifeline: &mut Option<ChildStdin>) {
    drop(lifeline.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match watchdog.try_wait() {
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            _ => return,
        }
    }
    let _ = watchdog.kill();
    let _ = watchdog.wait();
}

/// The `docker-registry` executable: on PATH, or in /usr/bin.
fn registry_binary() -> PathBuf {
    let found = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join("docker-registry"))
        .find(|p| p.is_file());
    match found {
        Some(p) => p,
        None => {
            fail("docker-registry is not installed; these tests need a real registry: apt-get install docker-registry")
        }
    }
}

/// A loopback port free at the time of asking.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| fail(&format!("free loopback port: {e}")))
}

/// True when `GET /v2/` answers 200 or 401 (the API is up).
fn answers_v2(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(format!("GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && (head.ends_with(b"200") || head.ends_with(b"401"))
}

fn write(path: &std::path::Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| fail(&format!("write {}: {e}", path.display())));
}

/// Fails the test that asked for a registry.
#[allow(clippy::panic)]
fn fail(why: &str) -> ! {
    panic!("{why}")
}
