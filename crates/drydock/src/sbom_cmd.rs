//! `drydock sbom`: read a source, catalogue it, write the SBOM.

use crate::cli::{Cli, SbomArgs, ScopeArg, SourceArgs};
use crate::output::{parse_outputs, write_all};
use crate::progress::LayerBars;
use anyhow::{Context, Result};
use drydock_catalog::{all, build_sbom, CatalogCapture};
use drydock_image::{open, read_layers, LayerCache, OpenOptions, Platform, ReadOptions, RegistryOptions, SourceSpec};
use drydock_sbom::{Sbom, Scope};
use std::process::ExitCode;

/// Runs `drydock sbom`.
pub fn run(args: &SbomArgs, cli: &Cli) -> Result<ExitCode> {
    let outputs = parse_outputs(&args.output)?;
    let scope = match args.scope {
        ScopeArg::Squashed => Scope::Squashed,
        ScopeArg::AllLayers => Scope::AllLayers,
    };
    let sbom = analyze(&args.source, scope, cli.quiet)?;
    for w in &sbom.warnings {
        tracing::info!("{w}");
    }
    write_all(&sbom, &outputs)?;
    Ok(ExitCode::SUCCESS)
}

/// Opens, reads and catalogues a source.
pub fn analyze(src: &SourceArgs, scope: Scope, quiet: bool) -> Result<Sbom> {
    let spec = SourceSpec::parse(&src.source)?;
    let platform = src.platform.as_deref().map(Platform::parse).transpose()?;
    let opts = OpenOptions {
        platform,
        registry: RegistryOptions {
            insecure: src.insecure_registry.clone(),
            username: src.username.clone(),
            password: src.password.clone(),
            docker_config: None,
        },
        limits: Default::default(),
    };
    let opened = open(&spec, &src.source, &opts).with_context(|| format!("cannot open {}", src.source))?;
    let capture = CatalogCapture::new(all());
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
            capture: &capture,
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
    Ok(build_sbom(
        opened.meta(),
        &read.layers,
        scope,
        capture.catalogers(),
        opts.limits.max_symlink_hops,
    ))
}
