//! Maven versions, ordered like Maven 3.9's `ComparableVersion`: items split on `.`, `-`
//! and digit/letter transitions; `-` (and a transition) opens a nested list; numbers
//! compare numerically; qualifiers order `alpha` < `beta` < `milestone` < `rc` = `cr` <
//! `snapshot` < `""` = `ga` = `final` = `release` < `sp` < anything else (lexically);
//! `a1`/`b1`/`m1` mean alpha/beta/milestone; case-insensitive; trailing "null" items
//! (0, "", empty lists) are trimmed so `1.0` = `1` and `1-ga` = `1`.

use crate::util::{cmp_digits, digits_are_zero};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits, leading zeros stripped ("0" for zero).
    Int(String),
    /// A qualifier (already aliased: `cr`→`rc`, `a`/`b`/`m` before a digit expanded).
    Str(String),
    /// A qualifier immediately followed by a number (`rc1`, `x-1`).
    Comb(String, String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_INDEX: &str = "5";

fn string_item(value: &str, followed_by_digit: bool) -> String {
    let v = if followed_by_digit && value.len() == 1 {
        match value {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        }
    } else {
        value
    };
    if v == "cr" {
        "rc".to_string()
    } else {
        v.to_string()
    }
}

/// `comparableQualifier`: a string whose lexical order is the qualifier order.
fn comparable(q: &str) -> String {
    if matches!(q, "ga" | "final" | "release") {
        return RELEASE_INDEX.to_string();
    }
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{}", QUALIFIERS.len(), q),
    }
}

fn strip_zeros(d: &str) -> String {
    let t = d.trim_start_matches('0');
    if t.is_empty() {
        "0".to_string()
    } else {
        t.to_string()
    }
}

fn parse_item(combination: bool, digit: bool, buf: &str) -> Item {
    if combination {
        let buf: String = buf.chars().filter(|c| *c != '-').collect();
        let idx = buf.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        let (s, d) = buf.split_at(idx);
        Item::Comb(string_item(s, true), strip_zeros(d))
    } else if digit {
        Item::Int(strip_zeros(buf))
    } else {
        Item::Str(string_item(buf, false))
    }
}

fn is_null(item: &Item) -> bool {
    match item {
        Item::Int(d) => digits_are_zero(d),
        Item::Str(s) => s.is_empty(),
        Item::Comb(..) => false,
        Item::List(l) => l.is_empty(),
    }
}

fn cmp_str(a: &str, b: &str) -> Ordering {
    comparable(a).cmp(&comparable(b))
}

/// `Item.compareTo(other)`, with `None` for Java's `null` (padding).
fn cmp_item(a: &Item, b: Option<&Item>) -> Ordering {
    match a {
        Item::Int(x) => match b {
            None => {
                if digits_are_zero(x) {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Some(Item::Int(y)) => cmp_digits(x, y),
            Some(_) => Ordering::Greater,
        },
        Item::Str(x) => match b {
            None => comparable(x).as_str().cmp(RELEASE_INDEX),
            Some(Item::Int(_)) | Some(Item::List(_)) => Ordering::Less,
            Some(Item::Str(y)) => cmp_str(x, y),
            Some(Item::Comb(ys, _)) => match cmp_str(x, ys) {
                Ordering::Equal => Ordering::Less,
                r => r,
            },
        },
        Item::Comb(xs, xd) => match b {
            None => comparable(xs).as_str().cmp(RELEASE_INDEX),
            Some(Item::Int(_)) | Some(Item::List(_)) => Ordering::Less,
            Some(Item::Str(y)) => match cmp_str(xs, y) {
                Ordering::Equal => Ordering::Greater,
                r => r,
            },
            Some(Item::Comb(ys, yd)) => cmp_str(xs, ys).then_with(|| cmp_digits(xd, yd)),
        },
        Item::List(l) => match b {
            None => {
                for i in l {
                    let r = cmp_item(i, None);
                    if r != Ordering::Equal {
                        return r;
                    }
                }
                Ordering::Equal
            }
            Some(Item::Int(_)) => Ordering::Less,
            Some(Item::Str(_)) | Some(Item::Comb(..)) => Ordering::Greater,
            Some(Item::List(r)) => cmp_lists(l, r),
        },
    }
}

/// `ListItem.compareTo(ListItem)`: item by item, the shorter padded with `null`.
fn cmp_lists(l: &[Item], r: &[Item]) -> Ordering {
    let n = l.len().max(r.len());
    for k in 0..n {
        let o = match (l.get(k), r.get(k)) {
            (Some(x), y) => cmp_item(x, y),
            (None, Some(y)) => cmp_item(y, None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// While parsing, lists live in an arena and refer to their sub-lists by index.
#[derive(Debug)]
enum Node {
    Leaf(Item),
    Sub(usize),
}

struct Arena {
    lists: Vec<Vec<Node>>,
}

impl Arena {
    fn new_list(&mut self, parent: usize) -> usize {
        self.lists.push(Vec::new());
        let idx = self.lists.len() - 1;
        self.lists[parent].push(Node::Sub(idx));
        idx
    }

    fn node_is_null(&self, n: &Node) -> bool {
        match n {
            Node::Leaf(i) => is_null(i),
            Node::Sub(k) => self.lists[*k].is_empty(),
        }
    }

    /// `ListItem.normalize()` of list `idx` (its sub-lists already normalised).
    fn normalize(&mut self, idx: usize) {
        let mut i = self.lists[idx].len();
        while i > 0 {
            i -= 1;
            if !self.node_is_null(&self.lists[idx][i]) {
                continue;
            }
            let list = &self.lists[idx];
            let remove = if i == list.len() - 1 {
                true
            } else {
                match &list[i + 1] {
                    Node::Leaf(Item::Str(_)) => true,
                    Node::Sub(k) => {
                        matches!(
                            self.lists[*k].first(),
                            Some(Node::Leaf(Item::Comb(..)) | Node::Leaf(Item::Str(_)))
                        )
                    }
                    _ => false,
                }
            };
            if remove {
                self.lists[idx].remove(i);
            }
        }
    }

    fn build(&mut self, idx: usize) -> Vec<Item> {
        let nodes = std::mem::take(&mut self.lists[idx]);
        nodes
            .into_iter()
            .map(|n| match n {
                Node::Leaf(i) => i,
                Node::Sub(k) => Item::List(self.build(k)),
            })
            .collect()
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub(crate) struct MavenVersion {
    items: Vec<Item>,
}

impl MavenVersion {
    /// Maven accepts any string; we reject only empty input, whitespace and control
    /// characters (which no published artifact version contains).
    pub(crate) fn parse(s: &str) -> Result<MavenVersion, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty version".into());
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("invalid character {c:?}"));
        }
        let v = s.to_lowercase();
        let chars: Vec<(usize, char)> = v.char_indices().collect();
        let mut arena = Arena {
            lists: vec![Vec::new()],
        };
        let mut list = 0usize;
        let mut is_digit = false;
        let mut is_combination = false;
        let mut start = 0usize; // byte offset
        let n = chars.len();
        for (k, &(i, c)) in chars.iter().enumerate() {
            if c == '.' {
                if i == start {
                    arena.lists[list].push(Node::Leaf(Item::Int("0".into())));
                } else {
                    arena.lists[list].push(Node::Leaf(parse_item(is_combination, is_digit, &v[start..i])));
                }
                is_combination = false;
                start = i + 1;
            } else if c == '-' {
                if i == start {
                    arena.lists[list].push(Node::Leaf(Item::Int("0".into())));
                } else {
                    // "X-1" is read as "X1".
                    if !is_digit && k + 1 < n && chars[k + 1].1.is_ascii_digit() {
                        is_combination = true;
                        continue;
                    }
                    arena.lists[list].push(Node::Leaf(parse_item(is_combination, is_digit, &v[start..i])));
                }
                start = i + 1;
                if !arena.lists[list].is_empty() {
                    list = arena.new_list(list);
                }
                is_combination = false;
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    is_combination = true;
                    if !arena.lists[list].is_empty() {
                        list = arena.new_list(list);
                    }
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    arena.lists[list].push(Node::Leaf(parse_item(is_combination, true, &v[start..i])));
                    start = i;
                    list = arena.new_list(list);
                    is_combination = false;
                }
                is_digit = false;
            }
        }
        if v.len() > start {
            // "1.0.0.X1" < "1.0.0-X2": a trailing ".X" qualifier is treated as "-X".
            if !is_digit && !arena.lists[list].is_empty() {
                list = arena.new_list(list);
            }
            arena.lists[list].push(Node::Leaf(parse_item(is_combination, is_digit, &v[start..])));
        }
        for idx in (0..arena.lists.len()).rev() {
            arena.normalize(idx);
        }
        Ok(MavenVersion { items: arena.build(0) })
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}
