//! `drydock sbom`: read a source, catalogue it, write the SBOM.

use crate::cli::{Cli, SbomArgs, ScopeArg, SourceArgs};
use crate::output::{parse_outputs, write_outputs};
use crate::progress::LayerBars;
use anyhow::{anyhow, bail, Context, Result};
use drydock_catalog::{all, build_sbom_and_tree, CatalogCapture};
use drydock_image::{
    open, read_layers, Capture, LayerCache, Limits, OpenOptions, Opened, Platform, ReadLayers, ReadOptions,
    RegistryOptions, SourceSpec,
};
use drydock_report::sbom::{render, Format};
use drydock_sbom::formats::decode::read_sbom_from;
use drydock_sbom::formats::decode::MAX_SBOM_BYTES;
use drydock_sbom::formats::read_sbom;
use drydock_sbom::{Sbom, Scope};
use std::io::Read;
use std::process::ExitCode;

/// The scheme of a source that is an SBOM written by another tool (or by drydock), read instead
/// of an image.
pub const SBOM_SCHEME: &str = "sbom:";

const SBOM_HINT: &str = "hint: sbom:FILE takes a JSON SBOM, e.g. from `syft -o json`, `syft -o cyclonedx-json`, \
                         `trivy image --format spdx-json` or `drydock sbom -o json`; sbom:- reads standard input";

/// The SBOM file a source names: `sbom:FILE`, or a bare path to a file whose content is
/// JSON (an SBOM given as `./sbom.json`; image archives are tar files and never start so).
pub fn sbom_path(source: &str) -> Option<&str> {
    if let Some(path) = source.strip_prefix(SBOM_SCHEME) {
        return Some(path);
    }
    let path = std::path::Path::new(source);
    if source.contains(':') && !path.exists() {
        return None;
    }
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path)
        .ok()
        .filter(|f| f.metadata().is_ok_and(|m| m.is_file()))
        .and_then(|mut f| f.read(&mut head).ok())?;
    let head = head[..n].strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head[..n]);
    (head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')).then_some(source)
}

/// Runs `drydock sbom`.
pub fn run(args: &SbomArgs, cli: &Cli) -> Result<ExitCode> {
    let summary = crate::progress::Summary::start();
    let outputs = parse_outputs::<Format>(&args.output)?;
    let scope = match args.scope {
        ScopeArg::Squashed => Scope::Squashed,
        ScopeArg::AllLayers => Scope::AllLayers,
    };
    let sbom = analyze(&args.source, scope, cli.quiet)?;
    for w in &sbom.warnings {
        tracing::info!("{w}");
    }
    write_outputs(&outputs, |format, w, _color| render(&sbom, format, w))?;
    summary.finish(cli.quiet, &format!("{} packages", sbom.packages.len()));
    Ok(ExitCode::SUCCESS)
}

/// Opens, reads and catalogues a source.
pub fn analyze(src: &SourceArgs, scope: Scope, quiet: bool) -> Result<Sbom> {
    if let Some(path) = sbom_path(&src.source) {
        return read_sbom_file(&src.source, path);
    }
    let capture = CatalogCapture::new(all());
    let mut read = read_source(src, &capture, quiet)?;
    // The layers are ours alone: their entries move into the tree instead of being copied.
    let (sbom, _tree) = build_sbom_and_tree(
        read.opened.meta(),
        &mut read.layers.layers,
        scope,
        capture.catalogers(),
        read.limits.max_symlink_hops,
    );
    Ok(sbom)
}

/// An image or directory read in one pass.
pub struct ReadSource {
    pub opened: Opened,
    pub layers: ReadLayers,
    pub limits: Limits,
}

/// Opens an image or directory and reads its layers once with `capture` (through the
/// layer cache unless --no-cache).
pub fn read_source(src: &SourceArgs, capture: &dyn Capture, quiet: bool) -> Result<ReadSource> {
    read_source_with(src, capture, quiet, Limits::default())
}

/// [`read_source`] within `limits` (the configuration's `[limits]`; `--time-budget` wins).
pub fn read_source_with(
    src: &SourceArgs,
    capture: &dyn Capture,
    quiet: bool,
    mut limits: Limits,
) -> Result<ReadSource> {
    if let Some(secs) = src.time_budget {
        limits.max_image_seconds = secs;
    }
    let spec = SourceSpec::parse(&src.source)?;
    let platform = src.platform.as_deref().map(Platform::parse).transpose()?;
    let opts = OpenOptions {
        platform,
        registry: RegistryOptions {
            insecure: src.insecure_registry.clone(),
            username: src.username.clone(),
            password: src.password.clone(),
            docker_config: None,
            credential_helpers: None,
            // The CLI reads what its user asks for, loopback included.
            address_policy: None,
        },
        limits,
    };
    let opened = open(&spec, &src.source, &opts).with_context(|| format!("cannot open {}", src.source))?;
    let cache = if src.no_cache {
        None
    } else {
        src.cache_dir
            .clone()
            .or_else(LayerCache::default_dir)
            .map(LayerCache::new)
    };
    let bars = LayerBars::new(opened.meta(), quiet);
    let threads = src
        .parallelism
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let read = read_layers(
        &opened,
        &ReadOptions {
            capture,
            limits: opts.limits.clone(),
            cache,
            threads,
            progress: &bars,
        },
    );
    bars.finish();
    let read = read.with_context(|| format!("cannot read {}", src.source))?;
    let cached = read.from_cache.iter().filter(|c| **c).count();
    tracing::info!("{} layers read, {cached} from the cache", read.layers.len());
    Ok(ReadSource {
        opened,
        layers: read,
        limits: opts.limits,
    })
}

/// Reads an SBOM file (`-` is standard input) of at most [`MAX_SBOM_BYTES`]; `source` is the
/// user's `sbom:` string. A file (or standard input redirected from one) is streamed, never
/// held whole; a pipe is read into memory up to the limit.
pub fn read_sbom_file(source: &str, path: &str) -> Result<Sbom> {
    if path.is_empty() {
        bail!("{source}: no file named\nhint: write sbom:FILE, e.g. sbom:image.cdx.json");
    }
    let file = if path == "-" {
        seekable_stdin()
    } else {
        let file = std::fs::File::open(path).map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                "\nhint: check the path; sbom:FILE takes the path of an SBOM file"
            } else {
                ""
            };
            anyhow!("cannot read SBOM file {path}: {e}{hint}")
        })?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            bail!("{path} is a directory, not an SBOM file\nhint: to catalogue a directory use dir:{path}");
        }
        Some(file)
    };
    let too_large = || {
        anyhow!(
            "{path} is larger than {} MiB, more than drydock reads as an SBOM",
            MAX_SBOM_BYTES / (1024 * 1024)
        )
    };
    let sbom = match file {
        // A regular file is streamed.
        Some(file) if file.metadata().is_ok_and(|m| m.is_file()) => {
            if file.metadata().is_ok_and(|m| m.len() > MAX_SBOM_BYTES) {
                return Err(too_large());
            }
            read_sbom_from(file, source)
        }
        // A pipe (standard input, a named pipe) is read into memory up to the limit.
        other => {
            let mut bytes = Vec::new();
            let read = match other {
                Some(file) => file.take(MAX_SBOM_BYTES + 1).read_to_end(&mut bytes),
                None => std::io::stdin().lock().take(MAX_SBOM_BYTES + 1).read_to_end(&mut bytes),
            };
            read.with_context(|| {
                format!(
                    "cannot read the SBOM from {}",
                    if path == "-" { "standard input" } else { path }
                )
            })?;
            if bytes.len() as u64 > MAX_SBOM_BYTES {
                return Err(too_large());
            }
            read_sbom(&bytes, source)
        }
    };
    let sbom = sbom.map_err(|e| anyhow!("{e}\n{SBOM_HINT}"))?;
    tracing::info!(
        "{} packages and {} relationships read from {source}",
        sbom.packages.len(),
        sbom.relationships.len()
    );
    Ok(sbom)
}

/// Standard input as a file when it is a regular file (redirected with `<`), so it can be
/// streamed; `None` for a pipe or a terminal.
fn seekable_stdin() -> Option<std::fs::File> {
    use std::io::Seek;
    use std::os::fd::AsFd;
    let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    let mut file = std::fs::File::from(fd);
    let regular = file.metadata().is_ok_and(|m| m.is_file());
    (regular && file.stream_position().is_ok()).then_some(file)
}
