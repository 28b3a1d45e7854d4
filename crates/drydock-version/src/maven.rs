//! Maven versions, ordered like `ComparableVersion` of the released Maven line (3.9.x,
//! which the POM reference's "Version Order Specification" documents): items split on
//! `.`, `-` and digit/letter transitions; `-` and every transition open a nested list
//! (`1.0-beta11` is `1, 0, [beta, [11]]`, while `1.0-beta.6` is `1, 0, [beta, 6]`);
//! numbers compare numerically; qualifiers order `alpha` < `beta` < `milestone` < `rc` =
//! `cr` < `snapshot` < `""` = `ga` = `final` = `release` < `sp` < anything else
//! (lexically); `a1`/`b1`/`m1` mean alpha/beta/milestone; case-insensitive; "null" items
//! (0, `""`, empty lists) are trimmed from the end of each list, stepping over nested
//! lists, so `1.0` = `1`, `1-ga` = `1` and `1.0-1` = `1-1`. Numbers of up to 9, up to 18
//! and more digits (after leading zeros) are different Java classes that order by class.
//! Maven 4's changes (`X-1` read as `X1`, MNG-7714) are not applied.

use crate::util::cmp_digits;
use std::cmp::Ordering;

/// Which Java class holds a number: `IntItem` (up to 9 digits), `LongItem` (up to 18),
/// `BigIntegerItem`. Items of different classes order by class, whatever their value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NumKind {
    Int,
    Long,
    Big,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// A number: its class and its digits without leading zeros ("0" for zero).
    Num(NumKind, String),
    /// A qualifier, already aliased (`ga`/`final`/`release` → `""`, `cr` → `rc`, a
    /// one-letter `a`/`b`/`m` before a digit expanded).
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_INDEX: &str = "5";

/// `new StringItem(value, followedByDigit)`.
fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let v = if followed_by_digit {
        match value {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        }
    } else {
        value
    };
    let v = match v {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(v.to_string())
}

/// `parseItem(true, buf)`: Java's `stripLeadingZeroes` keeps an all-zero string whole,
/// and the class is chosen by the stripped length.
fn number_item(buf: &str) -> Item {
    let stripped = match buf.find(|c| c != '0') {
        Some(i) => &buf[i..],
        None if buf.is_empty() => "0",
        None => buf,
    };
    let kind = match stripped.len() {
        0..=9 => NumKind::Int,
        10..=18 => NumKind::Long,
        _ => NumKind::Big,
    };
    let value = stripped.trim_start_matches('0');
    Item::Num(kind, if value.is_empty() { "0".into() } else { value.into() })
}

fn parse_item(is_digit: bool, buf: &str) -> Item {
    if is_digit {
        number_item(buf)
    } else {
        string_item(buf, false)
    }
}

/// `comparableQualifier`: a string whose order is the qualifier order.
fn comparable(q: &str) -> String {
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{}", QUALIFIERS.len(), q),
    }
}

/// Java's `String.compareTo`: UTF-16 code units.
fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn is_null(item: &Item) -> bool {
    match item {
        Item::Num(_, d) => d == "0",
        Item::Str(s) => s.is_empty(),
        Item::List(l) => l.is_empty(),
    }
}

/// `Item.compareTo(other)`, with `None` for Java's `null` (padding).
fn cmp_item(a: &Item, b: Option<&Item>) -> Ordering {
    match a {
        Item::Num(ka, x) => match b {
            None => {
                if x == "0" {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Some(Item::Num(kb, y)) => ka.cmp(kb).then_with(|| cmp_digits(x, y)),
            Some(_) => Ordering::Greater,
        },
        Item::Str(x) => match b {
            None => java_cmp(&comparable(x), RELEASE_INDEX),
            Some(Item::Num(..) | Item::List(_)) => Ordering::Less,
            Some(Item::Str(y)) => java_cmp(&comparable(x), &comparable(y)),
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
            Some(Item::Num(..)) => Ordering::Less,
            Some(Item::Str(_)) => Ordering::Greater,
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

    /// `ListItem.normalize()` of list `idx` (its sub-lists already normalised): from the
    /// end, drop null items, step over non-null lists, stop at anything else.
    fn normalize(&mut self, idx: usize) {
        let mut i = self.lists[idx].len();
        while i > 0 {
            i -= 1;
            let (null, is_list) = match &self.lists[idx][i] {
                Node::Leaf(item) => (is_null(item), false),
                Node::Sub(k) => (self.lists[*k].is_empty(), true),
            };
            if null {
                self.lists[idx].remove(i);
            } else if !is_list {
                break;
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
        let mut arena = Arena {
            lists: vec![Vec::new()],
        };
        let mut list = 0usize;
        let mut is_digit = false;
        let mut start = 0usize; // byte offset
        for (i, c) in v.char_indices() {
            if c == '.' {
                let item = if i == start {
                    number_item("0")
                } else {
                    parse_item(is_digit, &v[start..i])
                };
                arena.lists[list].push(Node::Leaf(item));
                start = i + 1;
            } else if c == '-' {
                let item = if i == start {
                    number_item("0")
                } else {
                    parse_item(is_digit, &v[start..i])
                };
                arena.lists[list].push(Node::Leaf(item));
                start = i + 1;
                list = arena.new_list(list);
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    // "X1": the qualifier, then the number in a list of its own.
                    if !arena.lists[list].is_empty() {
                        list = arena.new_list(list);
                    }
                    arena.lists[list].push(Node::Leaf(string_item(&v[start..i], true)));
                    start = i;
                    list = arena.new_list(list);
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    arena.lists[list].push(Node::Leaf(number_item(&v[start..i])));
                    start = i;
                    list = arena.new_list(list);
                }
                is_digit = false;
            }
        }
        if v.len() > start {
            // "1.0.0.X1" < "1.0.0-X2": a trailing ".X" qualifier is treated as "-X".
            if !is_digit && !arena.lists[list].is_empty() {
                list = arena.new_list(list);
            }
            arena.lists[list].push(Node::Leaf(parse_item(is_digit, &v[start..])));
        }
        // Lists are created in nesting order, so children come after their parents.
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
