//! The registry client against a hostile registry: a small HTTP server on loopback (a
//! std `TcpListener` thread per test) that answers whatever each attack needs, built and
//! streamed here. Each test checks that the attack costs bounded memory and time and that
//! no response body reaches an error message.

use drydock_image::{open, AddressPolicy, ImageError, OpenOptions, Opened, RegistryOptions, SourceSpec};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const SECRET: &str = "root:x:0:0:INTERNAL-SECRET";

/// What a handler sees of a request.
struct Req {
    path: String,
}

type Handler = dyn Fn(&Req, &mut TcpStream, &AtomicU64) + Send + Sync;

/// A hostile registry: every connection is answered by `handler`, then closed. Counts the
/// body bytes handlers report sending.
struct Hostile {
    addr: String,
    sent: Arc<AtomicU64>,
}

impl Hostile {
    fn start(handler: impl Fn(&Req, &mut TcpStream, &AtomicU64) + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
        let addr = listener.local_addr().unwrap().to_string();
        let sent = Arc::new(AtomicU64::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let counter = sent.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (handler, counter) = (handler.clone(), counter.clone());
                std::thread::spawn(move || {
                    let mut stream = conn;
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                            break;
                        }
                    }
                    handler(&Req { path }, &mut stream, &counter);
                    let _ = stream.flush();
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        Hostile { addr, sent }
    }
}

fn respond(s: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(body);
}

/// Answers 200 with a body that never ends (chunked), as fast as the client reads, until
/// the client hangs up or `cap` bytes went out.
fn endless(s: &mut TcpStream, content_type: &str, sent: &AtomicU64, cap: u64) {
    let head = format!(
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    if s.write_all(head.as_bytes()).is_err() {
        return;
    }
    let chunk = vec![b' '; 1 << 20];
    let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
    frame.extend_from_slice(&chunk);
    frame.extend_from_slice(b"\r\n");
    let _ = s.write_all(b"1\r\n{\r\n");
    while sent.load(Ordering::SeqCst) < cap {
        if s.write_all(&frame).is_err() {
            return;
        }
        sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
    }
}

/// Declares a huge Content-Length and streams toward it until the client hangs up.
fn huge(s: &mut TcpStream, declared: u64, sent: &AtomicU64, cap: u64) {
    let head = format!(
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: {OCI_MANIFEST}\r\nContent-Length: {declared}\r\n\r\n"
    );
    if s.write_all(head.as_bytes()).is_err() {
        return;
    }
    let chunk = vec![b' '; 1 << 20];
    while sent.load(Ordering::SeqCst) < cap.min(declared) {
        if s.write_all(&chunk).is_err() {
            return;
        }
        sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
    }
}

fn opts() -> OpenOptions {
    OpenOptions {
        registry: RegistryOptions {
            docker_config: Some("/nonexistent/drydock-test/config.json".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn open_ref(reference: &str, opts: &OpenOptions) -> drydock_image::Result<Opened> {
    let spec = SourceSpec::parse(&format!("registry:{reference}"))?;
    open(&spec, reference, opts)
}

fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

fn loopback_only(ip: IpAddr) -> bool {
    ip.is_loopback()
}

fn policy(allowed: &[&str]) -> Option<AddressPolicy> {
    Some(AddressPolicy {
        is_internal: loopback_only,
        allowed_hosts: allowed.iter().map(|s| s.to_string()).collect(),
        hint: "TEST-HINT".into(),
    })
}

#[test]
fn a_huge_declared_manifest_is_refused_before_it_is_read() {
    let reg = Hostile::start(|r, s, sent| {
        if r.path.contains("/manifests/") {
            huge(s, 3_000_000_000, sent, 1 << 30);
        } else {
            respond(s, "200 OK", &[], b"{}");
        }
    });
    let t = Instant::now();
    let err = open_ref(&format!("{}/evil/big:v1", reg.addr), &opts())
        .err()
        .expect("refused");
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    assert!(err.to_string().contains("3000000000 bytes is over the"), "{err}");
    // The server may have pushed what fit in socket buffers, no more.
    assert!(
        reg.sent.load(Ordering::SeqCst) < 64 << 20,
        "{}",
        reg.sent.load(Ordering::SeqCst)
    );
}

#[test]
fn an_endless_manifest_is_cut_at_the_document_limit() {
    let reg = Hostile::start(|r, s, sent| {
        if r.path.contains("/manifests/") {
            endless(s, OCI_MANIFEST, sent, 4 << 30);
        } else {
            respond(s, "200 OK", &[], b"{}");
        }
    });
    let err = open_ref(&format!("{}/evil/endless:v1", reg.addr), &opts())
        .err()
        .expect("refused");
    assert!(
        err.to_string()
            .contains("more than 16777216 bytes, over the 16777216 byte document limit"),
        "{err}"
    );
    let sent = reg.sent.load(Ordering::SeqCst);
    assert!(sent < 64 << 20, "the client read {sent} bytes");
}

#[test]
fn endless_tag_lists_and_token_answers_are_bounded() {
    // The manifest is missing, so the client lists tags: an endless list.
    let reg = Hostile::start(|r, s, sent| {
        if r.path.contains("/manifests/") {
            respond(s, "404 Not Found", &[], br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#);
        } else if r.path.contains("/tags/list") {
            endless(s, "application/json", sent, 4 << 30);
        } else {
            respond(s, "200 OK", &[], b"{}");
        }
    });
    let err = open_ref(&format!("{}/evil/tags:v1", reg.addr), &opts())
        .err()
        .expect("not found");
    assert!(matches!(err, ImageError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("could not be listed"), "{err}");
    assert!(reg.sent.load(Ordering::SeqCst) < 64 << 20);

    // A token service answering with gigabytes.
    let token = Hostile::start(|_, s, sent| huge(s, 3_000_000_000, sent, 1 << 30));
    let realm = format!("http://{}/token", token.addr);
    let reg = Hostile::start(move |r, s, _| {
        if r.path.starts_with("/v2/") {
            respond(
                s,
                "401 Unauthorized",
                &[("WWW-Authenticate", format!(r#"Bearer realm="{realm}",service="evil""#))],
                b"",
            );
        }
    });
    let t = Instant::now();
    let err = open_ref(&format!("{}/evil/token:v1", reg.addr), &opts())
        .err()
        .expect("refused");
    assert!(t.elapsed() < Duration::from_secs(20));
    assert!(err.to_string().contains("over the"), "{err}");
    assert!(token.sent.load(Ordering::SeqCst) < 64 << 20);
}

#[test]
fn a_trickled_manifest_times_out() {
    let reg = Hostile::start(|r, s, _| {
        if r.path.contains("/manifests/") {
            let head = format!(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: {OCI_MANIFEST}\r\nContent-Length: 1000\r\n\r\n"
            );
            let _ = s.write_all(head.as_bytes());
            for _ in 0..1000 {
                if s.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(2));
            }
        } else {
            respond(s, "200 OK", &[], b"{}");
        }
    });
    // The document budget is `[limits] registry_document_seconds` (60 by default): set to
    // 3, the trickle is cut long before the default would have.
    let mut o = opts();
    o.limits.registry_document_seconds = 3;
    let t = Instant::now();
    let err = open_ref(&format!("{}/evil/slow:v1", reg.addr), &o)
        .err()
        .expect("timed out");
    let took = t.elapsed();
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[test]
fn only_lower_case_sha256_and_sha512_digests_are_accepted() {
    let bad = [
        "md5:d41d8cd98f00b204e9800998ecf8427e".to_string(),
        format!("SHA256:{}", "A".repeat(64)),
        format!("sha256:{}", "A".repeat(64)),
        format!("sha384:{}", "a".repeat(96)),
        "sha256:../../../etc/passwd".to_string(),
    ];
    for digest in bad {
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{digest}","size":10}}]}}"#
        );
        let reg = Hostile::start(move |r, s, _| {
            if r.path.contains("/manifests/") {
                respond(s, "200 OK", &[("Content-Type", OCI_INDEX.into())], index.as_bytes());
            } else {
                respond(s, "200 OK", &[], b"{}");
            }
        });
        let err = open_ref(&format!("{}/evil/digest:v1", reg.addr), &opts())
            .err()
            .expect("refused");
        assert!(
            err.to_string().contains("not a lower-case sha256 or sha512 digest"),
            "{err}"
        );
    }

    // A sha512-named manifest is verified: the bytes served do not match.
    let body = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"digest":"sha256:{}","size":2}},"layers":[]}}"#,
        "0".repeat(64)
    );
    let wrong = format!("sha512:{}", "0".repeat(128));
    let reg = Hostile::start(move |r, s, _| {
        if r.path.contains("/manifests/") {
            respond(s, "200 OK", &[("Content-Type", OCI_MANIFEST.into())], body.as_bytes());
        } else {
            respond(s, "200 OK", &[], b"{}");
        }
    });
    let err = open_ref(&format!("{}/evil/digest@{wrong}", reg.addr), &opts())
        .err()
        .expect("mismatch");
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err}");

    // A lying Docker-Content-Digest header is caught as well.
    let body = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"digest":"sha256:{}","size":2}},"layers":[]}}"#,
        "0".repeat(64)
    );
    let claimed = sha256(b"something else");
    let reg = Hostile::start(move |r, s, _| {
        if r.path.contains("/manifests/") {
            respond(
                s,
                "200 OK",
                &[
                    ("Content-Type", OCI_MANIFEST.into()),
                    ("Docker-Content-Digest", claimed.clone()),
                ],
                body.as_bytes(),
            );
        } else {
            respond(s, "200 OK", &[], b"{}");
        }
    });
    let err = open_ref(&format!("{}/evil/header:v1", reg.addr), &opts())
        .err()
        .expect("mismatch");
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err}");
}

#[test]
fn response_bodies_never_reach_error_messages() {
    for (status, body) in [
        (
            "403 Forbidden",
            format!(r#"{{"errors":[{{"code":"DENIED","message":"{SECRET}"}}]}}"#),
        ),
        ("500 Internal Server Error", SECRET.to_string()),
        ("418 I'm a teapot", format!(r#"{{"errors":[{{"code":"{SECRET}"}}]}}"#)),
    ] {
        let reg = Hostile::start(move |r, s, _| {
            if r.path.contains("/manifests/") {
                respond(
                    s,
                    status,
                    &[("Content-Type", "application/json".into())],
                    body.as_bytes(),
                );
            } else {
                respond(s, "200 OK", &[], b"{}");
            }
        });
        let err = open_ref(&format!("{}/evil/echo:v1", reg.addr), &opts())
            .err()
            .expect("refused");
        let text = err.to_string();
        assert!(!text.contains("INTERNAL-SECRET"), "{text}");
        let code = status.split(' ').next().unwrap();
        assert!(text.contains(code), "{text}");
        if status.starts_with("403") {
            assert!(text.contains("DENIED"), "{text}");
        }
    }
}

#[test]
fn the_address_policy_refuses_internal_registries_and_redirects() {
    let reg = Hostile::start(|r, s, _| {
        if r.path.contains("/manifests/") {
            respond(s, "404 Not Found", &[], br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#);
        } else {
            respond(s, "200 OK", &[], b"{}");
        }
    });
    let reference = format!("{}/some/image:v1", reg.addr);
    let mut o = opts();
    o.registry.address_policy = policy(&[]);
    let err = open_ref(&reference, &o).err().expect("refused");
    let text = err.to_string();
    assert!(text.contains("is an internal address (127.0.0.1)"), "{text}");
    assert!(text.contains("TEST-HINT"), "{text}");

    // An allowed host (a configured registry) is reached.
    o.registry.address_policy = policy(&[&reg.addr]);
    let err = open_ref(&reference, &o).err().expect("not found");
    assert!(matches!(err, ImageError::NotFound { .. }), "{err}");

    // ... but its redirects to other internal hosts are not followed: by address, by
    // `localhost`, and by a name that resolves to loopback.
    let internal = Hostile::start(|_, s, _| respond(s, "200 OK", &[], SECRET.as_bytes()));
    let port = internal.addr.rsplit(':').next().unwrap().to_string();
    let mut targets = vec![
        format!("http://127.0.0.2:{port}/"),
        format!("http://localhost:{port}/"),
        // Same address as the allowed registry, another port.
        format!("http://{}/", internal.addr),
    ];
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let hostname = hostname.trim().to_string();
    let resolves_to_loopback = !hostname.is_empty()
        && std::net::ToSocketAddrs::to_socket_addrs(&(hostname.as_str(), 80))
            .is_ok_and(|mut a| a.all(|a| a.ip().is_loopback()));
    if resolves_to_loopback {
        targets.push(format!("http://{hostname}:{port}/"));
    }
    for target in targets {
        let t = target.clone();
        let redirecting = Hostile::start(move |r, s, _| {
            if r.path.contains("/manifests/") {
                respond(s, "307 Temporary Redirect", &[("Location", t.clone())], b"");
            } else {
                respond(s, "200 OK", &[], b"{}");
            }
        });
        let mut o = opts();
        o.registry.address_policy = policy(&[&redirecting.addr]);
        let err = open_ref(&format!("{}/some/image:v1", redirecting.addr), &o)
            .err()
            .expect("refused");
        let text = err.to_string();
        assert!(text.contains("is an internal address"), "{target}: {text}");
        assert!(!text.contains("INTERNAL-SECRET"), "{text}");
    }
    assert_eq!(internal.sent.load(Ordering::SeqCst), 0);
}

/// Measures the 3 GB manifest: `cargo test -p drydock-image --test it -- --ignored
/// --nocapture hostile_registry::measure_a_3gb_manifest`, under `/usr/bin/time -v`. The body is streamed without a
/// Content-Length, so only the streaming cap protects the client.
#[test]
#[ignore]
fn measure_a_3gb_manifest() {
    let reg = Hostile::start(|r, s, sent| {
        if r.path.contains("/manifests/") {
            endless(s, OCI_MANIFEST, sent, 3_000_000_000);
        } else {
            respond(s, "200 OK", &[], b"{}");
        }
    });
    let t = Instant::now();
    let err = open_ref(&format!("{}/evil/big:v1", reg.addr), &opts()).err();
    println!(
        "3 GB manifest: {:?} after {:?}, {} bytes sent",
        err.map(|e| e.to_string()),
        t.elapsed(),
        reg.sent.load(Ordering::SeqCst)
    );
}

#[test]
fn a_layer_longer_than_its_descriptor_is_refused() {
    use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
    let big = vec![b'x'; 4 << 20];
    let tar = LayerBuilder::new().file("big.bin", &big, 0o644).finish();
    let img = ImageBuilder::new().layer(tar, Storage::Plain, "ADD big");
    // The manifest declares the layer 1000 bytes long; the registry sends 4 MiB.
    let mut manifest: serde_json::Value = serde_json::from_slice(&img.manifest_json()).unwrap();
    manifest["layers"][0]["size"] = 1000.into();
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let blobs = img.blobs();
    let reg = Hostile::start(move |r, s, _| {
        if r.path.contains("/manifests/") {
            respond(s, "200 OK", &[("Content-Type", OCI_MANIFEST.into())], &manifest);
        } else if let Some((_, bytes)) = blobs.iter().find(|(d, _)| r.path.ends_with(d.as_str())) {
            respond(s, "200 OK", &[], bytes);
        } else {
            respond(s, "200 OK", &[], b"{}");
        }
    });
    let opened = open_ref(&format!("{}/evil/long:v1", reg.addr), &opts()).expect("the manifest is fine");
    let err = drydock_image::read_layers(
        &opened,
        &drydock_image::ReadOptions {
            capture: &drydock_image::CaptureNothing,
            limits: Default::default(),
            cache: None,
            threads: 1,
            progress: &drydock_image::NoProgress,
        },
    )
    .err()
    .expect("refused");
    assert!(err.to_string().contains("more than the 1000 bytes"), "{err}");
}
