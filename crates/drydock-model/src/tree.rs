//! The squashed view: layers merged in order with whiteouts, opaque directories and
//! links honoured, answering "what is at this path" as a running container would see it.

use crate::files::{Content, Extracted, FileDigests, FileEntry, FileKind, LayerIndex};
use crate::path::{file_name, join, parent, resolve_link_target};
use crate::path_map::PathMap;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

/// The merged file system of an image (or of its first N layers).
#[derive(Debug, Clone, Default)]
pub struct FileTree {
    files: BTreeMap<String, FileEntry>,
    contents: HashMap<String, Content>,
    extracted: BTreeMap<String, Arc<Extracted>>,
    digests: Digests,
    max_hops: usize,
    /// True once any symbolic link was laid in the tree (paths below one are redirected).
    has_links: bool,
}

impl FileTree {
    /// An empty tree that follows at most `max_hops` symbolic links per lookup.
    pub fn new(max_hops: usize) -> Self {
        FileTree {
            files: BTreeMap::new(),
            contents: HashMap::new(),
            extracted: BTreeMap::new(),
            digests: Digests::default(),
            max_hops,
            has_links: false,
        }
    }

    /// Merges all layers, base first.
    pub fn squash<'a>(layers: impl IntoIterator<Item = &'a LayerIndex>, max_hops: usize) -> Self {
        let mut tree = FileTree::new(max_hops);
        for layer in layers {
            tree.apply(layer);
        }
        tree
    }

    /// Lays one more layer on top: its deletions first, then its entries. A path below a
    /// symbolic link to a directory lands where the link points, as extraction writes
    /// through it (`/lnk -> /etc` then `/lnk/passwd` replaces `/etc/passwd`).
    pub fn apply(&mut self, layer: &LayerIndex) {
        self.delete(layer);
        let mut moved = HashMap::new();
        for (path, entry) in &layer.entries {
            self.lay(Cow::Borrowed(path), entry.clone(), &mut moved);
        }
        self.add_contents(layer, &moved);
    }

    /// [`FileTree::apply`], moving the layer's entries and digests into the tree instead
    /// of copying them (a layer may hold millions): `layer.entries` and `layer.digests` are
    /// left empty. Its captures and summaries are shared, as with `apply`.
    pub fn apply_owned(&mut self, layer: &mut LayerIndex) {
        self.delete(layer);
        let digests = std::mem::take(&mut layer.digests);
        if self.is_blank() && !writes_through_own_links(layer) {
            // Nothing to land on, replace or redirect: the tree is the layer, its entries
            // built into a B-tree at once (full nodes) and its digests taken whole.
            self.has_links = layer.entries.values().any(|e| e.kind == FileKind::Symlink);
            self.files = std::mem::take(&mut layer.entries).into_iter().collect();
            self.add_contents(layer, &HashMap::new());
            self.digests.base = digests;
            return;
        }
        let mut moved = HashMap::new();
        for (path, entry) in std::mem::take(&mut layer.entries) {
            self.lay(Cow::Owned(path), entry, &mut moved);
        }
        self.add_contents(layer, &moved);
        for (path, d) in digests {
            let path = moved.get(&path).cloned().unwrap_or(path);
            self.digests.insert(path, d);
        }
    }

    /// True when nothing was laid yet (or all of it was deleted again).
    fn is_blank(&self) -> bool {
        self.files.is_empty()
            && self.contents.is_empty()
            && self.extracted.is_empty()
            && self.digests.is_empty()
            && !self.has_links
    }

    /// The layer's opaque directories and whiteouts.
    fn delete(&mut self, layer: &LayerIndex) {
        for dir in &layer.opaque_dirs {
            let dir = self.landing(dir).unwrap_or_else(|| dir.clone());
            self.remove_children(&dir);
        }
        for path in &layer.whiteouts {
            let path = self.landing(path).unwrap_or_else(|| path.clone());
            self.forget(&path);
            self.remove_children(&path);
        }
    }

    /// One entry of a layer; `moved` records a path that landed elsewhere.
    fn lay(&mut self, path: Cow<'_, str>, entry: FileEntry, moved: &mut HashMap<String, String>) {
        let target: String = match self.landing(&path) {
            Some(real) => {
                moved.insert(path.into_owned(), real.clone());
                real
            }
            None => path.into_owned(),
        };
        if entry.kind != FileKind::Directory {
            if let Some(old) = self.files.get(&target) {
                if old.kind == FileKind::Directory {
                    self.remove_children(&target);
                }
            }
        }
        if entry.kind == FileKind::Symlink {
            self.has_links = true;
        }
        self.contents.remove(&target);
        self.extracted.remove(&target);
        self.digests.remove(&target);
        self.files.insert(target, entry);
    }

    /// The layer's captures, summaries and digests, at the paths their files landed on.
    fn add_contents(&mut self, layer: &LayerIndex, moved: &HashMap<String, String>) {
        let at = |p: &String| moved.get(p.as_str()).cloned().unwrap_or_else(|| p.clone());
        for (path, content) in &layer.captured {
            self.contents.insert(at(path), content.clone());
        }
        for (path, found) in &layer.extracted {
            self.extracted.insert(at(path), found.clone());
        }
        for (path, d) in &layer.digests {
            self.digests.insert(at(path), *d);
        }
    }

    fn forget(&mut self, path: &str) {
        self.files.remove(path);
        self.contents.remove(path);
        self.extracted.remove(path);
        self.digests.remove(path);
    }

    /// Where a layer's path really lands when one of its parent directories is a symbolic
    /// link in the tree; `None` when it lands on itself.
    fn landing(&self, path: &str) -> Option<String> {
        if !self.has_links {
            return None;
        }
        let through_link = path
            .match_indices('/')
            .skip(1)
            .any(|(i, _)| matches!(self.files.get(&path[..i]), Some(e) if e.kind == FileKind::Symlink));
        if !through_link {
            return None;
        }
        let dir = self.resolve_within(parent(path), true)?;
        let real = join(&dir, file_name(path));
        (real != path).then_some(real)
    }

    fn remove_children(&mut self, dir: &str) {
        let prefix = if dir == "/" { "/".to_string() } else { format!("{dir}/") };
        let doomed: Vec<String> = self
            .files
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(&prefix))
            .map(|(p, _)| p.clone())
            .collect();
        for p in doomed {
            self.forget(&p);
        }
    }

    /// Number of paths in the tree.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when the tree holds nothing.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// All entries, sorted by path.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &FileEntry)> {
        self.files.iter().map(|(p, e)| (p.as_str(), e))
    }

    /// All entries, sorted by path, taken out of the tree (each freed as the next is
    /// read: a tree of millions of files need not be held beside what is made of it).
    pub fn into_entries(self) -> impl Iterator<Item = (String, FileEntry)> {
        self.files.into_iter()
    }

    /// The entry stored at exactly this path (links not followed).
    pub fn entry(&self, path: &str) -> Option<&FileEntry> {
        self.files.get(path)
    }

    /// Entries whose path starts with `prefix`, sorted.
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a FileEntry)> + 'a {
        self.files
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(p, _)| p.starts_with(prefix))
            .map(|(p, e)| (p.as_str(), e))
    }

    /// Follows symbolic links in every component, staying inside the root; `None`
    /// for a dangling path or a link loop.
    pub fn resolve(&self, path: &str) -> Option<String> {
        self.resolve_within(path, false)
    }

    /// [`FileTree::resolve`]; with `missing_ok`, a missing final component is fine (the
    /// directory a new entry is written into).
    fn resolve_within(&self, path: &str, missing_ok: bool) -> Option<String> {
        let mut pending: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .rev()
            .map(str::to_string)
            .collect();
        let mut current = String::new();
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            let candidate = format!("{current}/{comp}");
            match self.files.get(candidate.as_str()) {
                Some(e) if e.kind == FileKind::Symlink => {
                    hops += 1;
                    if hops > self.max_hops {
                        return None;
                    }
                    let target = resolve_link_target(&candidate, e.link.as_deref().unwrap_or(""));
                    pending.extend(target.split('/').filter(|c| !c.is_empty()).rev().map(str::to_string));
                    current.clear();
                }
                Some(_) => current = candidate,
                None => {
                    // Implicit parent directories are common in layers; a missing final
                    // component means the path does not exist.
                    if pending.is_empty() && !missing_ok {
                        return None;
                    }
                    current = candidate;
                }
            }
        }
        Some(if current.is_empty() { "/".into() } else { current })
    }

    /// The captured content of a file, following symbolic and hard links.
    pub fn read(&self, path: &str) -> Option<&Content> {
        if let Some(c) = self.contents.get(path) {
            return Some(c);
        }
        let real = self.resolve(path)?;
        if let Some(c) = self.contents.get(&real) {
            return Some(c);
        }
        match self.files.get(real.as_str()) {
            Some(e) if e.kind == FileKind::Hardlink => self.contents.get(e.link.as_deref()?),
            _ => None,
        }
    }

    /// Content digests of a regular file, following symbolic and hard links; `None` when
    /// they were not computed (the capture did not ask) or the path is not a file.
    pub fn digests(&self, path: &str) -> Option<&FileDigests> {
        if let Some(d) = self.digests.get(path) {
            return Some(d);
        }
        let real = self.resolve(path)?;
        if let Some(d) = self.digests.get(real.as_str()) {
            return Some(d);
        }
        match self.files.get(real.as_str()) {
            Some(e) if e.kind == FileKind::Hardlink => self.digests.get(e.link.as_deref()?),
            _ => None,
        }
    }

    /// Results of one extractor over the files of the tree, sorted by path.
    pub fn extracted_by<'a>(&'a self, extractor: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.extracted
            .iter()
            .filter_map(move |(p, found)| found.get(extractor).map(|r| (p.as_str(), r.as_str())))
    }

    /// Captured files whose path starts with `prefix`, sorted by path.
    pub fn captured_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a Content)> + 'a {
        self.under(prefix)
            .filter_map(move |(p, _)| self.contents.get(p).map(|c| (p, c)))
    }
}

/// True when a layer writes a path below one of its own symbolic links (on an empty tree,
/// the only way one of its entries lands elsewhere).
fn writes_through_own_links(layer: &LayerIndex) -> bool {
    layer
        .entries
        .iter()
        .filter(|(_, e)| e.kind == FileKind::Symlink)
        .any(|(link, _)| {
            let below = format!("{link}/");
            layer
                .entries
                .range_from(&below)
                .next()
                .is_some_and(|(p, _)| p.starts_with(&below))
        })
}

/// The digests of the tree's files: those of the first layer taken whole, and the changes
/// of the layers above.
#[derive(Debug, Clone, Default)]
struct Digests {
    base: PathMap<FileDigests>,
    /// A digest laid above the base, or `None` where the base's no longer applies.
    over: HashMap<String, Option<FileDigests>>,
}

impl Digests {
    fn is_empty(&self) -> bool {
        self.base.is_empty() && self.over.is_empty()
    }

    fn get(&self, path: &str) -> Option<&FileDigests> {
        match self.over.get(path) {
            Some(d) => d.as_ref(),
            None => self.base.get(path),
        }
    }

    fn insert(&mut self, path: String, d: FileDigests) {
        self.over.insert(path, Some(d));
    }

    fn remove(&mut self, path: &str) {
        if self.base.contains_key(path) {
            self.over.insert(path.to_string(), None);
        } else {
            self.over.remove(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(layer: usize) -> FileEntry {
        FileEntry {
            kind: FileKind::Regular,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: 1,
            link: None,
            layer,
        }
    }

    fn layer(files: &[&str], idx: usize) -> LayerIndex {
        let mut l = LayerIndex::default();
        for f in files {
            l.entries.insert(f.to_string(), file(idx));
            l.captured.insert(f.to_string(), Content::from(f.as_bytes()));
        }
        l
    }

    #[test]
    fn whiteouts_and_opaque_dirs_hide_lower_layers() {
        let base = layer(&["/a/x", "/a/y", "/b/z", "/c/keep"], 0);
        let mut upper = layer(&["/b/new"], 1);
        upper.whiteouts.push("/a".into());
        upper.opaque_dirs.push("/b".into());
        let t = FileTree::squash([&base, &upper], 8);
        let paths: Vec<&str> = t.entries().map(|(p, _)| p).collect();
        assert_eq!(paths, ["/b/new", "/c/keep"]);
        assert_eq!(t.entry("/b/new").unwrap().layer, 1);
        assert!(t.read("/a/x").is_none());
    }

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let mut l = layer(&["/usr/lib/os-release"], 0);
        l.entries.insert(
            "/etc/os-release".into(),
            FileEntry {
                kind: FileKind::Symlink,
                link: Some("../../../../usr/lib/os-release".into()),
                ..file(0)
            },
        );
        l.entries.insert(
            "/loop".into(),
            FileEntry {
                kind: FileKind::Symlink,
                link: Some("/loop".into()),
                ..file(0)
            },
        );
        let t = FileTree::squash([&l], 8);
        assert_eq!(&**t.read("/etc/os-release").unwrap(), b"/usr/lib/os-release");
        assert!(t.resolve("/loop").is_none());
    }

    /// A layer with digests, links and a file written through one of its own links.
    fn linked_layer(through: bool) -> LayerIndex {
        let mut l = layer(&["/etc/passwd", "/usr/bin/tool"], 0);
        l.entries.insert(
            "/bin".into(),
            FileEntry {
                kind: FileKind::Symlink,
                link: Some("usr/bin".into()),
                ..file(0)
            },
        );
        if through {
            l.entries.insert("/bin/sh".into(), file(0));
            l.digests.insert("/bin/sh".into(), FileDigests::of(b"sh"));
        }
        l.digests.insert("/usr/bin/tool".into(), FileDigests::of(b"tool"));
        l
    }

    #[test]
    fn taking_a_layer_over_gives_the_tree_copying_it_gives() {
        for through in [false, true] {
            let copied = FileTree::squash([&linked_layer(through)], 8);
            let mut owned = FileTree::new(8);
            owned.apply_owned(&mut linked_layer(through));
            let all = |t: &FileTree| -> Vec<(String, FileEntry, Option<FileDigests>)> {
                t.entries()
                    .map(|(p, e)| (p.to_string(), e.clone(), t.digests(p).copied()))
                    .collect()
            };
            assert_eq!(all(&owned), all(&copied));
            assert_eq!(owned.digests("/bin/tool"), Some(&FileDigests::of(b"tool")));
            assert_eq!(owned.read("/bin/tool"), copied.read("/bin/tool"));
        }
        let mut owned = FileTree::new(8);
        owned.apply_owned(&mut linked_layer(true));
        assert_eq!(owned.digests("/usr/bin/sh"), Some(&FileDigests::of(b"sh")));
        assert!(owned.entry("/bin/sh").is_none(), "written where the link points");
    }
}
