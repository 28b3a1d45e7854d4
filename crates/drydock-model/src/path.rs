//! Normalisation of paths found in archives into clean absolute image paths.

/// Turns a tar entry name into `/a/b/c`, or `None` when it would leave the root
/// (`..` components) or names nothing.
pub fn normalize_entry(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for comp in name.split('/') {
        match comp {
            "" | "." => {}
            ".." => return None,
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Some("/".to_string());
    }
    let mut out = String::with_capacity(name.len() + 1);
    for p in parts {
        out.push('/');
        out.push_str(p);
    }
    Some(out)
}

/// Joins a symlink target onto the directory holding the link, clamping `..` at the
/// root as a chroot does (so a link can never point outside the image).
pub fn resolve_link_target(link_path: &str, target: &str) -> String {
    let mut stack: Vec<&str> = Vec::new();
    if !target.starts_with('/') {
        stack.extend(parent(link_path).split('/').filter(|c| !c.is_empty()));
    }
    for comp in target.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                stack.pop();
            }
            c => stack.push(c),
        }
    }
    if stack.is_empty() {
        "/".to_string()
    } else {
        let mut s = String::new();
        for c in stack {
            s.push('/');
            s.push_str(c);
        }
        s
    }
}

/// The directory part of an absolute path (`/` for top-level entries).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last component of an absolute path.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Joins a child name onto a directory path.
pub fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Where `path` lands when its parent directories go through symbolic links, `link_at`
/// giving the target of the link at a directory path (or `None`); `None` when it lands on
/// itself or the links loop more than `max_hops` times.
pub fn landing<'a>(path: &str, max_hops: usize, link_at: impl Fn(&str) -> Option<&'a str>) -> Option<String> {
    let mut current = path.to_string();
    for _ in 0..max_hops {
        let Some((dir, target)) = current
            .match_indices('/')
            .skip(1)
            .map(|(i, _)| &current[..i])
            .find_map(|dir| link_at(dir).map(|t| (dir, t)))
        else {
            return (current != path).then_some(current);
        };
        let target = resolve_link_target(dir, target);
        current = format!("{}{}", target.trim_end_matches('/'), &current[dir.len()..]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_normalised_and_escapes_refused() {
        assert_eq!(normalize_entry("./etc/passwd").as_deref(), Some("/etc/passwd"));
        assert_eq!(normalize_entry("/usr//bin/").as_deref(), Some("/usr/bin"));
        assert_eq!(normalize_entry("./").as_deref(), Some("/"));
        assert_eq!(normalize_entry("a/../../etc/passwd"), None);
        assert_eq!(normalize_entry("../x"), None);
    }

    #[test]
    fn link_targets_stay_inside_the_root() {
        assert_eq!(
            resolve_link_target("/usr/bin/python3", "python3.11"),
            "/usr/bin/python3.11"
        );
        assert_eq!(
            resolve_link_target("/etc/os-release", "../usr/lib/os-release"),
            "/usr/lib/os-release"
        );
        assert_eq!(resolve_link_target("/a/b", "../../../../etc/shadow"), "/etc/shadow");
        assert_eq!(resolve_link_target("/a/b", "/../../etc"), "/etc");
    }
}
