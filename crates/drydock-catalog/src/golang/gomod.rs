//! `go.mod` and `go.sum` (directory scans).

use super::*;

/// Modules required by a `go.mod` (replacements applied, exclusions removed), as
/// Syft's go.mod cataloger reports them.
pub fn parse_go_mod(text: &str) -> Result<Vec<Module>, String> {
    let mut required: BTreeMap<String, String> = BTreeMap::new();
    let mut replaces: Vec<(String, Option<String>, String, String)> = Vec::new();
    let mut excludes: Vec<(String, String)> = Vec::new();
    let mut block: Option<String> = None;
    let mut saw_module = false;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let tokens: Vec<String> = line.split_whitespace().map(unquote_token).collect();
        let (verb, args): (String, &[String]) = match &block {
            Some(_) if tokens[0] == ")" => {
                block = None;
                continue;
            }
            Some(b) => (b.clone(), &tokens[..]),
            None => {
                if tokens.len() == 2 && tokens[1] == "(" {
                    block = Some(tokens[0].clone());
                    continue;
                }
                (tokens[0].clone(), &tokens[1..])
            }
        };
        match verb.as_str() {
            "module" => saw_module = true,
            "require" => {
                if args.len() < 2 {
                    return Err(format!("line {}: malformed require", n + 1));
                }
                required.insert(args[0].clone(), args[1].clone());
            }
            "replace" => {
                let Some(arrow) = args.iter().position(|t| t == "=>") else {
                    return Err(format!("line {}: replace without =>", n + 1));
                };
                let (old, new) = (&args[..arrow], &args[arrow + 1..]);
                if old.is_empty() || new.is_empty() {
                    return Err(format!("line {}: malformed replace", n + 1));
                }
                replaces.push((
                    old[0].clone(),
                    old.get(1).cloned(),
                    new[0].clone(),
                    new.get(1).cloned().unwrap_or_default(),
                ));
            }
            "exclude" => {
                if let [path, version, ..] = args {
                    excludes.push((path.clone(), version.clone()));
                }
            }
            _ => {}
        }
    }
    if !saw_module && required.is_empty() {
        return Err("no module directive".into());
    }
    let mut out: BTreeMap<String, String> = required;
    for (old, old_version, new, new_version) in replaces {
        // A replacement by a local directory has no version: the original stays.
        if new_version.is_empty() {
            continue;
        }
        // As Syft: the replacement is added under its own path (a different old path stays).
        let _ = (old, old_version);
        out.insert(new, new_version);
    }
    // Only the excluded version goes (Syft drops the path whatever the version).
    for (path, version) in excludes {
        if out.get(&path) == Some(&version) {
            out.remove(&path);
        }
    }
    Ok(out
        .into_iter()
        .map(|(path, version)| Module {
            path,
            version,
            ..Default::default()
        })
        .collect())
}

pub(super) fn unquote_token(t: &str) -> String {
    if t.len() >= 2 && ((t.starts_with('"') && t.ends_with('"')) || (t.starts_with('`') && t.ends_with('`'))) {
        t[1..t.len() - 1].to_string()
    } else {
        t.to_string()
    }
}

/// `h1:` hashes from `go.sum`, keyed by (module, version).
pub fn parse_go_sum(text: &str) -> BTreeMap<(String, String), String> {
    text.lines()
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let (m, v, h) = (cols.next()?, cols.next()?, cols.next()?);
            (!v.ends_with("/go.mod")).then(|| ((m.to_string(), v.to_string()), h.to_string()))
        })
        .collect()
}
