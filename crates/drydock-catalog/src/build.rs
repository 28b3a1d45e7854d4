//! From indexed layers to an SBOM: squash layer by layer, catalogue the views that
//! changed, and remember which layer introduced each package.

use crate::{catalog_tree, Cataloger};
use drydock_model::{FileKind, FileTree, ImageMeta, LayerIndex};
use drydock_sbom::distro::detect;
use drydock_sbom::{
    Descriptor, FilesSummary, Package, PackageType, Relationship, RelationshipKind, Sbom, Scope, NATIVE_SCHEMA,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Builds the SBOM of an image from its indexed layers.
pub fn build_sbom(
    meta: &ImageMeta,
    layers: &[Arc<LayerIndex>],
    scope: Scope,
    catalogers: &[Box<dyn Cataloger>],
    max_symlink_hops: usize,
) -> Sbom {
    let mut shared = layers.to_vec();
    build_sbom_and_tree(meta, &mut shared, scope, catalogers, max_symlink_hops).0
}

/// [`build_sbom`], also returning the squashed tree it built. The entries of layers held
/// only here (no other `Arc` to them) are moved into the tree rather than copied, and are
/// left empty: a layer of millions of files is then held once, not twice.
pub fn build_sbom_and_tree(
    meta: &ImageMeta,
    layers: &mut [Arc<LayerIndex>],
    scope: Scope,
    catalogers: &[Box<dyn Cataloger>],
    max_symlink_hops: usize,
) -> (Sbom, FileTree) {
    let mut tree = FileTree::new(max_symlink_hops);
    // Per catalogued view: the layer it ends at and the identities present.
    let mut seen: Vec<(usize, HashSet<String>)> = Vec::new();
    let mut first_seen: HashMap<String, (usize, Package)> = HashMap::new();
    let mut final_packages: Vec<Package> = Vec::new();
    let mut warnings: BTreeSet<String> = BTreeSet::new();
    let mut distro = None;
    let count = layers.len();
    for (i, layer) in layers.iter_mut().enumerate() {
        match Arc::get_mut(layer) {
            Some(owned) => tree.apply_owned(owned),
            None => tree.apply(layer),
        }
        for w in &layer.warnings {
            warnings.insert(format!("layer {i}: {w}"));
        }
        let last = i + 1 == count;
        let touched = !layer.captured.is_empty()
            || !layer.extracted.is_empty()
            || !layer.whiteouts.is_empty()
            || !layer.opaque_dirs.is_empty();
        if !touched && !last {
            continue;
        }
        distro = detect(&tree);
        let out = catalog_tree(&tree, catalogers, distro.as_ref(), meta.source.scheme == "dir");
        let ids: HashSet<String> = out.packages.iter().map(key).collect();
        if scope == Scope::AllLayers {
            for p in &out.packages {
                first_seen.entry(key(p)).or_insert_with(|| (i, p.clone()));
            }
        }
        if last {
            warnings.extend(out.warnings);
            final_packages = out.packages;
        }
        seen.push((i, ids));
    }

    let mut packages = match scope {
        Scope::Squashed => {
            for p in &mut final_packages {
                let k = key(p);
                // The earliest view from which the package stayed present to the end.
                let mut introduced = seen.last().map(|(l, _)| *l).unwrap_or(0);
                for (layer, ids) in seen.iter().rev() {
                    if ids.contains(&k) {
                        introduced = *layer;
                    } else {
                        break;
                    }
                }
                set_layer(p, introduced, meta);
            }
            final_packages
        }
        Scope::AllLayers => {
            let mut all: Vec<Package> = first_seen
                .into_values()
                .map(|(layer, mut p)| {
                    set_layer(&mut p, layer, meta);
                    p
                })
                .collect();
            all.sort_by(|a, b| a.id.cmp(&b.id));
            all
        }
    };
    drop_os_owned_binaries(&mut packages);
    for p in &mut packages {
        p.compute_id();
    }
    let mut relationships = dependency_relationships(&packages);
    relationships.extend(ownership_relationships(&packages));
    relationships.extend(
        crate::java::containments(&packages)
            .into_iter()
            .map(|(from, to)| Relationship {
                from,
                to,
                kind: RelationshipKind::Contains,
            }),
    );
    let mut sbom = Sbom {
        schema: NATIVE_SCHEMA.to_string(),
        descriptor: Descriptor::default(),
        scope,
        image: meta.clone(),
        distro,
        packages,
        relationships,
        files: summarize(&tree),
        warnings: warnings.into_iter().collect(),
    };
    sbom.normalize();
    (sbom, tree)
}

/// Resolves declared dependencies to packages of the same type (by name, then by
/// what packages provide); the first alternative that resolves wins.
fn dependency_relationships(packages: &[Package]) -> Vec<Relationship> {
    let mut by_name: HashMap<(PackageType, &str), &str> = HashMap::new();
    for p in packages {
        for prov in &p.provides {
            by_name.entry((p.package_type, prov.as_str())).or_insert(p.id.as_str());
        }
    }
    for p in packages {
        by_name.insert((p.package_type, p.name.as_str()), p.id.as_str());
    }
    let mut out = Vec::new();
    for p in packages {
        for group in &p.depends {
            if let Some(to) = group.iter().find_map(|n| by_name.get(&(p.package_type, n.as_str()))) {
                if *to != p.id {
                    out.push(Relationship {
                        from: p.id.clone(),
                        to: to.to_string(),
                        kind: RelationshipKind::DependsOn,
                    });
                }
            }
        }
    }
    out
}

/// Binary classifications of files an OS package installed are dropped: the OS
/// package already names (and versions) them.
fn drop_os_owned_binaries(packages: &mut Vec<Package>) {
    let owned: HashSet<&str> = packages
        .iter()
        .filter(|p| p.package_type.is_os())
        .flat_map(|p| p.files.iter().map(|f| f.path.as_str()))
        .collect();
    let doomed: HashSet<usize> = packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.package_type == PackageType::Binary)
        .filter(|(_, p)| p.locations.first().is_some_and(|l| owned.contains(l.path.as_str())))
        .map(|(i, _)| i)
        .collect();
    if !doomed.is_empty() {
        let mut i = 0;
        packages.retain(|_| {
            i += 1;
            !doomed.contains(&(i - 1))
        });
    }
}

/// Links an OS package to the other packages whose declaring file it installed
/// (Debian's `python3-requests` owns the `requests` egg-info).
fn ownership_relationships(packages: &[Package]) -> Vec<Relationship> {
    let mut owner: HashMap<&str, &str> = HashMap::new();
    for p in packages.iter().filter(|p| p.package_type.is_os()) {
        for f in &p.files {
            owner.entry(f.path.as_str()).or_insert(p.id.as_str());
        }
    }
    packages
        .iter()
        .filter(|p| !p.package_type.is_os())
        .filter_map(|p| {
            let loc = p.locations.first()?;
            let by = owner.get(loc.path.as_str())?;
            Some(Relationship {
                from: by.to_string(),
                to: p.id.clone(),
                kind: RelationshipKind::OwnershipByFiles,
            })
        })
        .collect()
}

fn key(p: &Package) -> String {
    let (t, n, v, a, l) = p.identity();
    format!("{t}\0{n}\0{v}\0{}\0{}", a.unwrap_or(""), l.unwrap_or(""))
}

fn set_layer(p: &mut Package, layer: usize, meta: &ImageMeta) {
    let digest = meta.layers.get(layer).map(|l| l.digest.clone()).unwrap_or_default();
    if let Some(loc) = p.locations.first_mut() {
        loc.layer = layer;
        loc.layer_digest = digest;
    }
}

fn summarize(tree: &FileTree) -> FilesSummary {
    let mut s = FilesSummary::default();
    for (path, e) in tree.entries() {
        s.total += 1;
        match e.kind {
            FileKind::Regular | FileKind::Hardlink => {
                s.regular += 1;
                s.total_bytes += e.size;
                if e.mode & 0o6000 != 0 {
                    s.setuid_setgid.push(path.to_string());
                }
            }
            FileKind::Directory => s.directories += 1,
            FileKind::Symlink => s.symlinks += 1,
            _ => {}
        }
    }
    s
}
