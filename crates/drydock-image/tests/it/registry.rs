//! The registry source against real registries: Debian's `docker-registry` (distribution
//! v2) on a free loopback port with a temporary storage directory (one shared by the tests
//! that only push and read, one of its own for a test that needs authentication or damages
//! blobs); small images built here are pushed through `oci-client` and read back through
//! the public path (`open` + `read_layers`).

use base64::Engine;
use drydock_image::{
    open, read_layers, CaptureNothing, ImageError, NoProgress, OpenOptions, Opened, Platform, ReadLayers, ReadOptions,
    RegistryOptions, SourceSpec,
};
use drydock_test_support::registry::{free_port, Registry};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

// The registry harness is drydock_test_support::registry: the tests that only push and
// read share one registry (each under repository names of its own); those that need
// authentication or damage what the registry stores start their own.

// ---- images built in code ------------------------------------------------------------

struct Blob {
    bytes: Vec<u8>,
    digest: String,
}

fn blob(bytes: Vec<u8>) -> Blob {
    let digest = sha256(&bytes);
    Blob { bytes, digest }
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

struct Layer {
    blob: Blob,
    diff_id: String,
}

/// A gzip-compressed tar layer holding `files` (with their parent directories).
fn layer(files: &[(&str, &str)]) -> Layer {
    let mut tar = tar::Builder::new(Vec::new());
    let mut dirs = std::collections::BTreeSet::new();
    for (path, _) in files {
        let mut p = Path::new(path).parent();
        while let Some(d) = p.filter(|d| !d.as_os_str().is_empty()) {
            dirs.insert(d.to_path_buf());
            p = d.parent();
        }
    }
    for d in dirs {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        h.set_mtime(0);
        tar.append_data(&mut h, format!("{}/", d.display()), std::io::empty())
            .expect("tar dir");
    }
    for (path, content) in files {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(content.len() as u64);
        h.set_mtime(0);
        tar.append_data(&mut h, path, content.as_bytes()).expect("tar file");
    }
    let tar = tar.into_inner().expect("tar");
    let diff_id = sha256(&tar);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).expect("gzip");
    Layer {
        blob: blob(gz.finish().expect("gzip")),
        diff_id,
    }
}

/// One single-platform image: layers, config and manifest, in OCI or Docker flavour.
struct Image {
    layers: Vec<Layer>,
    config: Blob,
    manifest: Blob,
    manifest_type: &'static str,
}

fn image(arch: &str, layers: Vec<Layer>, docker: bool) -> Image {
    let (manifest_type, config_type, layer_type) = if docker {
        (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER_GZIP)
    } else {
        (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER_GZIP)
    };
    let history: Vec<_> = (0..layers.len())
        .map(|i| serde_json::json!({"created": "2024-01-01T00:00:00Z", "created_by": format!("ADD layer{i}")}))
        .collect();
    let config = serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"], "Labels": {"test": "drydock"}},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
        "history": history,
    });
    let config = blob(serde_json::to_vec(&config).expect("config json"));
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": {"mediaType": config_type, "digest": config.digest, "size": config.bytes.len()},
        "layers": layers.iter().map(|l| serde_json::json!({
            "mediaType": layer_type, "digest": l.blob.digest, "size": l.blob.bytes.len()
        })).collect::<Vec<_>>(),
    });
    Image {
        layers,
        config,
        manifest: blob(serde_json::to_vec(&manifest).expect("manifest json")),
        manifest_type,
    }
}

/// A Debian-looking image for `arch` with a marker file naming the architecture.
fn sample_image(arch: &str, docker: bool) -> Image {
    let base = layer(&[
        (
            "etc/os-release",
            "PRETTY_NAME=\"Drydock Test\"\nID=debian\nVERSION_ID=\"12\"\n",
        ),
        ("usr/bin/hello", "#!/bin/sh\necho hello\n"),
    ]);
    let marker = format!("usr/share/{arch}-marker");
    let top = layer(&[(marker.as_str(), arch)]);
    image(arch, vec![base, top], docker)
}

/// An index (or Docker manifest list) over `images`, with their platforms.
fn index(images: &[(&Image, &str, Option<&str>)], docker: bool) -> Blob {
    let manifests: Vec<_> = images
        .iter()
        .map(|(img, arch, variant)| {
            let mut platform = serde_json::json!({"os": "linux", "architecture": arch});
            if let Some(v) = variant {
                platform["variant"] = serde_json::json!(v);
            }
            serde_json::json!({
                "mediaType": img.manifest_type,
                "digest": img.manifest.digest,
                "size": img.manifest.bytes.len(),
                "platform": platform,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": if docker { DOCKER_LIST } else { OCI_INDEX },
        "manifests": manifests,
    });
    blob(serde_json::to_vec(&doc).expect("index json"))
}

// ---- pushing through oci-client ------------------------------------------------------

struct Pusher {
    rt: tokio::runtime::Runtime,
    client: Client,
    auth: RegistryAuth,
    addr: String,
}

impl Pusher {
    fn new(reg: &Registry) -> Pusher {
        Self::with_auth(reg, RegistryAuth::Anonymous)
    }

    fn with_auth(reg: &Registry, auth: RegistryAuth) -> Pusher {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = Client::try_from(ClientConfig {
            protocol: ClientProtocol::HttpsExcept(vec![reg.addr.clone()]),
            ..Default::default()
        })
        .expect("client");
        Pusher {
            rt,
            client,
            auth,
            addr: reg.addr.clone(),
        }
    }

    fn reference(&self, name: &str) -> Reference {
        format!("{}/{name}", self.addr).parse().expect("reference")
    }

    fn push_blobs(&self, repo: &str, img: &Image) {
        let r = self.reference(repo);
        self.rt.block_on(async {
            self.client.store_auth_if_needed(r.resolve_registry(), &self.auth).await;
            for b in img.layers.iter().map(|l| &l.blob).chain([&img.config]) {
                self.client
                    .push_blob(&r, b.bytes.clone(), &b.digest)
                    .await
                    .expect("push blob");
            }
        });
    }

    /// Pushes a manifest document under `repo:tag` or `repo@digest`.
    fn push_manifest(&self, name: &str, doc: &Blob, media_type: &str) {
        let r = self.reference(name);
        self.rt.block_on(async {
            self.client.store_auth_if_needed(r.resolve_registry(), &self.auth).await;
            self.client
                .push_manifest_raw(&r, doc.bytes.clone(), media_type.parse().expect("content type"))
                .await
                .expect("push manifest");
        });
    }

    /// Pushes a whole image as `repo:tag`.
    fn push_image(&self, repo: &str, tag: &str, img: &Image) {
        self.push_blobs(repo, img);
        self.push_manifest(&format!("{repo}:{tag}"), &img.manifest, img.manifest_type);
    }

    /// Pushes images by digest and an index over them as `repo:tag`.
    fn push_index(&self, repo: &str, tag: &str, images: &[(&Image, &str, Option<&str>)], docker: bool) -> Blob {
        for (img, _, _) in images {
            self.push_blobs(repo, img);
            self.push_manifest(
                &format!("{repo}@{}", img.manifest.digest),
                &img.manifest,
                img.manifest_type,
            );
        }
        let idx = index(images, docker);
        self.push_manifest(
            &format!("{repo}:{tag}"),
            &idx,
            if docker { DOCKER_LIST } else { OCI_INDEX },
        );
        idx
    }
}

// ---- reading through the public path -------------------------------------------------

/// Options that never look at the user's own docker config.
fn hermetic(dir: &Path) -> OpenOptions {
    OpenOptions {
        registry: RegistryOptions {
            docker_config: Some(dir.join("no-such-config.json")),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn open_ref(reference: &str, opts: &OpenOptions) -> drydock_image::Result<Opened> {
    let spec = SourceSpec::parse(&format!("registry:{reference}"))?;
    open(&spec, reference, opts)
}

fn read_all(opened: &Opened) -> drydock_image::Result<ReadLayers> {
    read_layers(
        opened,
        &ReadOptions {
            capture: &CaptureNothing,
            limits: Default::default(),
            cache: None,
            threads: 2,
            progress: &NoProgress,
        },
    )
}

fn paths(read: &ReadLayers, layer: usize) -> Vec<String> {
    read.layers[layer].entries.keys().cloned().collect()
}

// ---- tests -------------------------------------------------------------------------

#[test]
fn pull_by_tag_fills_meta_and_streams_layers() {
    let reg = Registry::shared();
    let img = sample_image("amd64", false);
    Pusher::new(reg).push_image("by-tag/sample", "v1", &img);

    let tmp = tempfile::tempdir().unwrap();
    let reference = format!("{}/by-tag/sample:v1", reg.addr);
    let opened = open_ref(&reference, &hermetic(tmp.path())).expect("open");
    let meta = opened.meta();
    assert_eq!(meta.source.scheme, "registry");
    assert_eq!(meta.source.reference, reference);
    assert_eq!(meta.source.input, reference);
    assert_eq!(
        meta.source.manifest_digest.as_deref(),
        Some(img.manifest.digest.as_str())
    );
    assert_eq!(meta.source.config_digest.as_deref(), Some(img.config.digest.as_str()));
    assert_eq!(meta.source.tags, vec!["v1".to_string()]);
    assert_eq!(meta.config.architecture, "amd64");
    assert_eq!(meta.config.os, "linux");
    assert_eq!(meta.config.cmd, vec!["/bin/sh".to_string()]);
    assert_eq!(meta.config.labels.get("test").map(String::as_str), Some("drydock"));
    assert_eq!(meta.layers.len(), 2);
    for (i, (info, l)) in meta.layers.iter().zip(&img.layers).enumerate() {
        assert_eq!(info.index, i);
        assert_eq!(info.digest, l.blob.digest);
        assert_eq!(info.diff_id.as_deref(), Some(l.diff_id.as_str()));
        assert_eq!(info.media_type, OCI_LAYER_GZIP);
        assert_eq!(info.size, l.blob.bytes.len() as u64);
        assert_eq!(info.created_by.as_deref(), Some(format!("ADD layer{i}").as_str()));
    }

    let read = read_all(&opened).expect("read layers");
    assert_eq!(read.layers.len(), 2);
    assert_eq!(read.from_cache, vec![false, false]);
    assert!(
        paths(&read, 0).contains(&"/etc/os-release".to_string()),
        "{:?}",
        paths(&read, 0)
    );
    assert!(paths(&read, 0).contains(&"/usr/bin/hello".to_string()));
    assert!(
        paths(&read, 1).contains(&"/usr/share/amd64-marker".to_string()),
        "{:?}",
        paths(&read, 1)
    );
    assert!(read.layers[0].uncompressed_size > 0);
}

#[test]
fn pull_by_digest() {
    let reg = Registry::shared();
    let img = sample_image("amd64", false);
    Pusher::new(reg).push_image("by-digest/sample", "v1", &img);

    let tmp = tempfile::tempdir().unwrap();
    let reference = format!("{}/by-digest/sample@{}", reg.addr, img.manifest.digest);
    let opened = open_ref(&reference, &hermetic(tmp.path())).expect("open by digest");
    let meta = opened.meta();
    assert_eq!(meta.source.reference, reference);
    assert_eq!(
        meta.source.manifest_digest.as_deref(),
        Some(img.manifest.digest.as_str())
    );
    assert!(meta.source.tags.is_empty());
    let read = read_all(&opened).expect("read layers");
    assert!(paths(&read, 1).contains(&"/usr/share/amd64-marker".to_string()));

    // A digest the repository does not hold.
    let missing = format!("{}/by-digest/sample@{}", reg.addr, sha256(b"nothing"));
    let err = open_ref(&missing, &hermetic(tmp.path()))
        .err()
        .expect("unknown digest must fail");
    assert!(matches!(err, ImageError::NotFound { .. }), "{err}");
}

#[test]
fn index_resolves_the_requested_platform() {
    let reg = Registry::shared();
    let amd = sample_image("amd64", false);
    let arm = sample_image("arm64", false);
    let idx = Pusher::new(reg).push_index(
        "platforms/multi",
        "latest",
        &[(&amd, "amd64", None), (&arm, "arm64", Some("v8"))],
        false,
    );

    let tmp = tempfile::tempdir().unwrap();
    let reference = format!("{}/platforms/multi", reg.addr);
    let mut opts = hermetic(tmp.path());
    let mut seen = Vec::new();
    for (platform, img, marker) in [
        ("linux/amd64", &amd, "/usr/share/amd64-marker"),
        ("linux/arm64", &arm, "/usr/share/arm64-marker"),
    ] {
        opts.platform = Some(Platform::parse(platform).unwrap());
        let opened = open_ref(&reference, &opts).unwrap_or_else(|e| panic!("open {platform}: {e}"));
        let meta = opened.meta();
        assert_eq!(meta.source.reference, format!("{reference}:latest"));
        assert_eq!(
            meta.source.manifest_digest.as_deref(),
            Some(img.manifest.digest.as_str()),
            "{platform}"
        );
        assert_ne!(meta.source.manifest_digest.as_deref(), Some(idx.digest.as_str()));
        assert_eq!(meta.config.architecture, platform.rsplit('/').next().unwrap());
        let read = read_all(&opened).expect("read layers");
        assert!(
            paths(&read, 1).contains(&marker.to_string()),
            "{platform}: {:?}",
            paths(&read, 1)
        );
        seen.push(meta.layers[1].digest.clone());
    }
    assert_ne!(seen[0], seen[1], "each platform has its own top layer");

    // Without --platform the host's platform is chosen.
    opts.platform = None;
    let host = Platform::host();
    let by_host = open_ref(&reference, &opts);
    match host.architecture.as_str() {
        "amd64" => assert_eq!(by_host.expect("host").meta().config.architecture, "amd64"),
        "arm64" => assert_eq!(by_host.expect("host").meta().config.architecture, "arm64"),
        _ => assert!(matches!(by_host, Err(ImageError::NotFound { .. }))),
    }
}

#[test]
fn docker_schema2_manifest_list() {
    let reg = Registry::shared();
    let amd = sample_image("amd64", true);
    let arm = sample_image("arm64", true);
    Pusher::new(reg).push_index(
        "drydock/dockerlist",
        "v2",
        &[(&amd, "amd64", None), (&arm, "arm64", None)],
        true,
    );
    Pusher::new(reg).push_image("drydock/dockerimg", "v2", &amd);

    let tmp = tempfile::tempdir().unwrap();
    let mut opts = hermetic(tmp.path());
    opts.platform = Some(Platform::parse("linux/arm64").unwrap());
    let opened = open_ref(&format!("{}/drydock/dockerlist:v2", reg.addr), &opts).expect("open list");
    assert_eq!(
        opened.meta().source.manifest_digest.as_deref(),
        Some(arm.manifest.digest.as_str())
    );
    assert_eq!(opened.meta().layers[0].media_type, DOCKER_LAYER_GZIP);
    let read = read_all(&opened).expect("read");
    assert!(paths(&read, 1).contains(&"/usr/share/arm64-marker".to_string()));

    let opened = open_ref(&format!("{}/drydock/dockerimg:v2", reg.addr), &hermetic(tmp.path())).expect("open image");
    assert_eq!(
        opened.meta().source.config_digest.as_deref(),
        Some(amd.config.digest.as_str())
    );
    read_all(&opened).expect("read");
}

#[test]
fn no_matching_platform_is_not_found() {
    let reg = Registry::shared();
    let amd = sample_image("amd64", false);
    let arm = sample_image("arm64", false);
    Pusher::new(reg).push_index(
        "no-platform/multi",
        "latest",
        &[(&amd, "amd64", None), (&arm, "arm64", Some("v8"))],
        false,
    );

    let tmp = tempfile::tempdir().unwrap();
    let mut opts = hermetic(tmp.path());
    opts.platform = Some(Platform::parse("linux/s390x").unwrap());
    let err = open_ref(&format!("{}/no-platform/multi:latest", reg.addr), &opts)
        .err()
        .expect("must fail");
    match &err {
        ImageError::NotFound { wanted, available, .. } => {
            assert!(wanted.contains("linux/s390x"), "{err}");
            assert_eq!(available, "linux/amd64, linux/arm64/v8");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn missing_tag_is_not_found() {
    let reg = Registry::shared();
    let img = sample_image("amd64", false);
    let pusher = Pusher::new(reg);
    pusher.push_image("missing/sample", "v1", &img);
    pusher.push_manifest("missing/sample:v2", &img.manifest, img.manifest_type);

    let tmp = tempfile::tempdir().unwrap();
    let err = open_ref(&format!("{}/missing/sample:nope", reg.addr), &hermetic(tmp.path()))
        .err()
        .expect("must fail");
    match &err {
        ImageError::NotFound {
            wanted,
            source_name,
            available,
        } => {
            assert_eq!(wanted, "tag nope");
            assert_eq!(source_name, &format!("{}/missing/sample", reg.addr));
            assert_eq!(available, "v1, v2");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    // A repository that does not exist at all.
    let err = open_ref(&format!("{}/missing/absent:v1", reg.addr), &hermetic(tmp.path()))
        .err()
        .expect("must fail");
    assert!(matches!(err, ImageError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("missing/absent"), "{err}");
}

#[test]
fn basic_auth_with_options() {
    let reg = Registry::start_with_auth("drydock", "s3cret");
    let img = sample_image("amd64", false);
    Pusher::with_auth(&reg, RegistryAuth::Basic("drydock".into(), "s3cret".into())).push_image(
        "private/app",
        "1.0",
        &img,
    );

    let tmp = tempfile::tempdir().unwrap();
    let mut opts = hermetic(tmp.path());
    opts.registry.username = Some("drydock".into());
    opts.registry.password = Some("s3cret".into());
    let opened = open_ref(&format!("{}/private/app:1.0", reg.addr), &opts).expect("open with credentials");
    let read = read_all(&opened).expect("read with credentials");
    assert!(paths(&read, 0).contains(&"/etc/os-release".to_string()));
}

#[test]
fn basic_auth_from_docker_config() {
    let reg = Registry::start_with_auth("drydock", "s3cret");
    let img = sample_image("amd64", false);
    Pusher::with_auth(&reg, RegistryAuth::Basic("drydock".into(), "s3cret".into())).push_image(
        "private/app",
        "1.0",
        &img,
    );

    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.json");
    let auth = base64::engine::general_purpose::STANDARD.encode("drydock:s3cret");
    std::fs::write(
        &config,
        format!(
            r#"{{"auths":{{"other.example":{{"auth":"b3RoZXI6b3RoZXI="}},"{}":{{"auth":"{auth}"}}}}}}"#,
            reg.addr
        ),
    )
    .unwrap();
    let mut opts = hermetic(tmp.path());
    opts.registry.docker_config = Some(config);
    let opened = open_ref(&format!("{}/private/app:1.0", reg.addr), &opts).expect("open with config.json");
    read_all(&opened).expect("read with config.json");

    // The key may also be written as a URL.
    let dir = tmp.path().join("as-url");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        format!(
            r#"{{"auths":{{"http://{}/v2/":{{"username":"drydock","password":"s3cret"}}}}}}"#,
            reg.addr
        ),
    )
    .unwrap();
    opts.registry.docker_config = Some(dir);
    open_ref(&format!("{}/private/app:1.0", reg.addr), &opts).expect("open with a URL key");
}

#[test]
fn wrong_or_missing_credentials_are_refused() {
    let reg = Registry::start_with_auth("drydock", "s3cret");
    let img = sample_image("amd64", false);
    Pusher::with_auth(&reg, RegistryAuth::Basic("drydock".into(), "s3cret".into())).push_image(
        "private/app",
        "1.0",
        &img,
    );

    let tmp = tempfile::tempdir().unwrap();
    let reference = format!("{}/private/app:1.0", reg.addr);
    let mut opts = hermetic(tmp.path());
    opts.registry.username = Some("drydock".into());
    opts.registry.password = Some("wrong".into());
    let err = open_ref(&reference, &opts).err().expect("wrong password must fail");
    match &err {
        ImageError::AuthRefused {
            registry,
            repository,
            reason,
        } => {
            assert_eq!(registry, &reg.addr);
            assert_eq!(repository, "private/app");
            assert!(reason.contains(&format!("docker login {}", reg.addr)), "{err}");
            assert!(reason.contains("--username/--password"), "{err}");
        }
        other => panic!("expected AuthRefused, got {other:?}"),
    }

    let err = open_ref(&reference, &hermetic(tmp.path()))
        .err()
        .expect("anonymous must fail");
    assert!(matches!(err, ImageError::AuthRefused { .. }), "{err}");
}

#[test]
fn credential_helpers() {
    let reg = Registry::start_with_auth("drydock", "s3cret");
    let img = sample_image("amd64", false);
    Pusher::with_auth(&reg, RegistryAuth::Basic("drydock".into(), "s3cret".into())).push_image(
        "private/app",
        "1.0",
        &img,
    );

    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let helper = bin.join("docker-credential-fake");
    // Answers only for this registry, and logs what it was asked.
    let script = format!(
        "#!/bin/sh\nserver=$(cat)\necho \"$1 $server\" >> '{log}'\nif [ \"$1\" = get ] && [ \"$server\" = '{addr}' ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"drydock\",\"Secret\":\"s3cret\"}}' \"$server\"\nelse\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n",
        log = tmp.path().join("helper.log").display(),
        addr = reg.addr
    );
    write_executable(&helper, &script);
    // The helpers are run from `bin` (an option, not PATH: the process's environment is
    // shared by every test of this binary).
    let reference = format!("{}/private/app:1.0", reg.addr);
    let mut opts = hermetic(tmp.path());
    opts.registry.credential_helpers = Some(bin.clone());
    for (name, json) in [
        ("helpers", format!(r#"{{"credHelpers":{{"{}":"fake"}}}}"#, reg.addr)),
        ("store", r#"{"credsStore":"fake","auths":{}}"#.to_string()),
    ] {
        let config = tmp.path().join(format!("{name}.json"));
        std::fs::write(&config, json).unwrap();
        opts.registry.docker_config = Some(config);
        let opened = open_ref(&reference, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        read_all(&opened).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // A helper that has nothing for the registry leaves the pull anonymous: refused.
    let config = tmp.path().join("other.json");
    std::fs::write(
        &config,
        r#"{"credHelpers":{"elsewhere.example":"fake"},"credsStore":"fake-missing"}"#,
    )
    .unwrap();
    opts.registry.docker_config = Some(config);
    let err = open_ref(&reference, &opts).err().expect("no credentials must fail");
    assert!(matches!(err, ImageError::AuthRefused { .. }), "{err}");
    // Asked once per config that names it (credHelpers, then credsStore), with the server on stdin.
    let log = std::fs::read_to_string(tmp.path().join("helper.log")).unwrap();
    let asked: Vec<&str> = log.lines().filter(|l| !l.starts_with("probe")).collect();
    let expected = format!("get {}", reg.addr);
    assert_eq!(asked, vec![expected.as_str(), expected.as_str()], "{log}");
}

/// Writes a script and waits until it can be executed (a fork elsewhere in the test
/// process may briefly hold the written file open: ETXTBSY).
fn write_executable(path: &Path, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, script).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    for _ in 0..100 {
        match Command::new(path)
            .arg("probe")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Err(e) if e.raw_os_error() == Some(26) => std::thread::sleep(Duration::from_millis(20)),
            _ => return,
        }
    }
}

#[test]
fn corrupted_blobs_are_digest_mismatches() {
    let reg = Registry::start();
    let img = sample_image("amd64", false);
    Pusher::new(&reg).push_image("drydock/sample", "v1", &img);
    let tmp = tempfile::tempdir().unwrap();
    let reference = format!("{}/drydock/sample:v1", reg.addr);

    // Same size, still a valid gzip stream: only the header's MTIME changes.
    let digest = &img.layers[1].blob.digest;
    let file = reg.blob_file(digest);
    let mut bytes = std::fs::read(&file).expect("stored layer blob");
    assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
    bytes[4..8].copy_from_slice(&[1, 2, 3, 4]);
    std::fs::write(&file, &bytes).unwrap();

    let opened = open_ref(&reference, &hermetic(tmp.path())).expect("open still works");
    let err = read_all(&opened).err().expect("tampered layer must fail");
    match &err {
        ImageError::DigestMismatch { expected, actual, .. } => {
            assert_eq!(expected, digest);
            assert_eq!(actual, &sha256(&bytes));
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }

    // A tampered config fails at open.
    let file = reg.blob_file(&img.config.digest);
    let config = std::fs::read_to_string(&file).unwrap().replace("amd64", "amd65");
    std::fs::write(&file, config).unwrap();
    let err = open_ref(&reference, &hermetic(tmp.path()))
        .err()
        .expect("tampered config must fail");
    assert!(
        matches!(&err, ImageError::DigestMismatch { expected, .. } if expected == &img.config.digest),
        "{err:?}"
    );
}

#[test]
fn unreachable_registry_says_what_to_check() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let err = open_ref(&format!("127.0.0.1:{port}/drydock/none:v1"), &hermetic(tmp.path()))
        .err()
        .expect("nothing listens there");
    let text = err.to_string();
    assert!(matches!(err, ImageError::Registry { .. }), "{text}");
    assert!(text.contains(&format!("registry 127.0.0.1:{port}")), "{text}");
    assert!(text.contains("drydock/none"), "{text}");
    assert!(text.contains("is the registry running?"), "{text}");
}

#[test]
fn plain_http_only_for_loopback_or_insecure_registries() {
    let reg = Registry::start();
    let img = sample_image("amd64", false);
    Pusher::new(&reg).push_image("drydock/sample", "v1", &img);
    let tmp = tempfile::tempdir().unwrap();
    // On Linux 0.0.0.0 reaches local listeners, but it is not a loopback name: HTTPS is
    // spoken to the plain HTTP registry, which fails with the hint.
    let port = reg.addr.rsplit(':').next().unwrap();
    let host = format!("0.0.0.0:{port}");
    let reference = format!("{host}/drydock/sample:v1");
    let err = open_ref(&reference, &hermetic(tmp.path()))
        .err()
        .expect("HTTPS to an HTTP registry must fail");
    let text = err.to_string();
    assert!(text.contains(&format!("https://{host}/")), "{text}");
    assert!(text.contains(&format!("pass --insecure-registry {host}")), "{text}");

    let mut opts = hermetic(tmp.path());
    opts.registry.insecure = vec![format!("http://{host}/")];
    let opened = open_ref(&reference, &opts).expect("plain HTTP when listed as insecure");
    read_all(&opened).expect("read over plain HTTP");
}

#[test]
fn open_and_drop_inside_an_async_runtime() {
    let reg = Registry::start();
    let img = sample_image("amd64", false);
    Pusher::new(&reg).push_image("drydock/sample", "v1", &img);
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = hermetic(tmp.path());
    let (ok, missing) = rt.block_on(async {
        let ok = open_ref(&format!("{}/drydock/sample:v1", reg.addr), &opts).map(|o| o.meta().layers.len());
        let missing = open_ref(&format!("{}/drydock/sample:v9", reg.addr), &opts).err();
        (ok, missing)
    });
    assert_eq!(ok.expect("open inside a runtime"), 2);
    assert!(matches!(missing, Some(ImageError::NotFound { .. })));
}

// ---- a flaky proxy in front of a registry -----------------------------------------------

/// Faults a [`FlakyProxy`] injects, each once.
#[derive(Default)]
struct Faults {
    /// Answer the first request whose line contains this with a 503.
    fail: Mutex<Option<String>>,
    /// Cut the response to the first request containing the string after this many bytes.
    cut: Mutex<Option<(String, i64)>>,
    failed: std::sync::atomic::AtomicUsize,
    cuts: std::sync::atomic::AtomicUsize,
}

/// A loopback TCP proxy to a registry that fails one request and breaks one response.
struct FlakyProxy {
    addr: String,
    faults: std::sync::Arc<Faults>,
}

impl FlakyProxy {
    fn start(upstream: &str, faults: Faults) -> FlakyProxy {
        use std::sync::atomic::{AtomicI64, Ordering};
        use std::sync::Arc;
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy listener");
        let addr = listener.local_addr().expect("proxy addr").to_string();
        let faults = Arc::new(faults);
        let upstream = upstream.to_string();
        let f = faults.clone();
        // Lives until the test process ends, like the accept() it blocks in.
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let faults = f.clone();
                let remaining = Arc::new(AtomicI64::new(-1));
                let (mut c_in, mut c_out) = (client.try_clone().expect("clone"), client);
                let (mut s_in, mut s_out) = (server.try_clone().expect("clone"), server);
                let (c_kill, s_kill) = (c_out.try_clone().expect("clone"), s_out.try_clone().expect("clone"));
                let rem = remaining.clone();
                let fa = faults.clone();
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 << 10];
                    while let Ok(n) = c_in.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                        let mut fail = fa.fail.lock().unwrap();
                        if fail.as_deref().is_some_and(|p| text.contains(p)) {
                            *fail = None;
                            fa.failed.fetch_add(1, Ordering::SeqCst);
                            let _ = c_kill.try_clone().and_then(|mut c| {
                                c.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            });
                            let _ = c_kill.shutdown(std::net::Shutdown::Both);
                            let _ = s_out.shutdown(std::net::Shutdown::Both);
                            return;
                        }
                        drop(fail);
                        let mut cut = fa.cut.lock().unwrap();
                        if let Some((_, after)) = cut.as_ref().filter(|(p, _)| text.contains(p.as_str())) {
                            rem.store(*after, Ordering::SeqCst);
                            *cut = None;
                        }
                        drop(cut);
                        if s_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = s_out.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 << 10];
                    while let Ok(n) = s_in.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        let left = remaining.load(Ordering::SeqCst);
                        if left >= 0 && n as i64 >= left {
                            let _ = c_out.write_all(&buf[..left as usize]);
                            faults.cuts.fetch_add(1, Ordering::SeqCst);
                            let _ = c_out.shutdown(std::net::Shutdown::Both);
                            let _ = s_kill.shutdown(std::net::Shutdown::Both);
                            return;
                        }
                        if left >= 0 {
                            remaining.store(left - n as i64, Ordering::SeqCst);
                        }
                        if c_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = c_out.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        FlakyProxy { addr, faults }
    }
}

/// Bytes that do not compress, so a layer is as large as its content.
fn noise(len: usize, seed: u64) -> String {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 90) as u8)
        })
        .collect()
}

#[test]
fn transient_failures_are_retried_and_broken_streams_resumed() {
    let reg = Registry::start();
    let big = noise(1 << 20, 7);
    let base = layer(&[("etc/os-release", "ID=debian\n"), ("var/lib/big.bin", big.as_str())]);
    let img = image("amd64", vec![base], false);
    Pusher::new(&reg).push_image("drydock/big", "v1", &img);
    let blob_digest = img.layers[0].blob.digest.clone();
    assert!(img.layers[0].blob.bytes.len() > 500_000);

    let proxy = FlakyProxy::start(
        &reg.addr,
        Faults {
            fail: Mutex::new(Some("/manifests/v1".into())),
            cut: Mutex::new(Some((format!("/blobs/{blob_digest}"), 200_000))),
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let opened =
        open_ref(&format!("{}/drydock/big:v1", proxy.addr), &hermetic(tmp.path())).expect("open through the proxy");
    assert_eq!(
        proxy.faults.failed.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the 503 was served"
    );
    let read = read_all(&opened).expect("read through the proxy");
    assert_eq!(
        proxy.faults.cuts.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the stream was cut"
    );
    let entry = &read.layers[0].entries["/var/lib/big.bin"];
    assert_eq!(entry.size, big.len() as u64);
}

/// The shared fixture registry (`/work/shared/fixtures/run-registry.sh`), when running:
/// `cargo test -p drydock-image --test it -- --ignored --nocapture registry::fixture_bookworm_rich`.
#[test]
#[ignore]
fn fixture_bookworm_rich() {
    let tmp = tempfile::tempdir().unwrap();
    for reference in ["127.0.0.1:5000/fx/bookworm:rich", "127.0.0.1:5000/fx/bookworm:minbase"] {
        let start = Instant::now();
        let opened = open_ref(reference, &hermetic(tmp.path())).expect("open fixture");
        let opened_in = start.elapsed();
        let read = read_all(&opened).expect("read fixture layers");
        let stored: u64 = opened.meta().layers.iter().map(|l| l.size).sum();
        let unpacked: u64 = read.layers.iter().map(|l| l.uncompressed_size).sum();
        let entries: usize = read.layers.iter().map(|l| l.entries.len()).sum();
        println!(
            "{reference}: {} layers, {stored} bytes stored, {unpacked} bytes unpacked, {entries} entries; open {opened_in:?}, total {:?}",
            read.layers.len(),
            start.elapsed()
        );
    }
}
