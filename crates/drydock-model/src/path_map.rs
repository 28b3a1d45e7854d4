//! [`PathMap`]: a map from paths to values held as one sorted vector, for the per-file
//! maps of a layer (millions of entries: a B-tree filled in order is half empty and costs
//! about twice as much).

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// Paths and their values, sorted by path, each path once. Reads are binary searches; an
/// insert past the last path is an append, any other insert moves the paths after it, so
/// a map of many paths in no order is built with [`PathMap::from_unsorted`].
#[derive(Clone, PartialEq, Eq)]
pub struct PathMap<V> {
    items: Vec<(String, V)>,
}

impl<V> Default for PathMap<V> {
    fn default() -> Self {
        PathMap { items: Vec::new() }
    }
}

impl<V: fmt::Debug> fmt::Debug for PathMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// The iterator over a [`PathMap`]'s paths and values, in path order.
pub type Iter<'a, V> = std::iter::Map<std::slice::Iter<'a, (String, V)>, fn(&'a (String, V)) -> (&'a String, &'a V)>;

impl<V> PathMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The map of `items` in any order; of a path given twice, the later value is kept.
    pub fn from_unsorted(mut items: Vec<(String, V)>) -> Self {
        if !items.windows(2).all(|w| w[0].0 < w[1].0) {
            // Stable: of equal paths, the later stays later, and is the one kept.
            items.sort_by(|a, b| a.0.cmp(&b.0));
            items.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    std::mem::swap(later, kept);
                }
                same
            });
        }
        PathMap { items }
    }

    fn find(&self, path: &str) -> Result<usize, usize> {
        self.items.binary_search_by(|(p, _)| p.as_str().cmp(path))
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the map holds nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The value of a path.
    pub fn get<Q: AsRef<str> + ?Sized>(&self, path: &Q) -> Option<&V> {
        self.find(path.as_ref()).ok().map(|i| &self.items[i].1)
    }

    /// The value of a path, to change.
    pub fn get_mut<Q: AsRef<str> + ?Sized>(&mut self, path: &Q) -> Option<&mut V> {
        self.find(path.as_ref()).ok().map(|i| &mut self.items[i].1)
    }

    /// True when the path is in the map.
    pub fn contains_key<Q: AsRef<str> + ?Sized>(&self, path: &Q) -> bool {
        self.find(path.as_ref()).is_ok()
    }

    /// Sets the value of a path; returns the value it replaces.
    pub fn insert(&mut self, path: String, value: V) -> Option<V> {
        if self.items.last().is_none_or(|(last, _)| *last < path) {
            self.items.push((path, value));
            return None;
        }
        match self.find(&path) {
            Ok(i) => Some(std::mem::replace(&mut self.items[i].1, value)),
            Err(i) => {
                self.items.insert(i, (path, value));
                None
            }
        }
    }

    /// Takes a path out of the map.
    pub fn remove<Q: AsRef<str> + ?Sized>(&mut self, path: &Q) -> Option<V> {
        self.find(path.as_ref()).ok().map(|i| self.items.remove(i).1)
    }

    /// Paths and values, sorted by path.
    pub fn iter(&self) -> Iter<'_, V> {
        self.items.iter().map(|(p, v)| (p, v))
    }

    /// Paths and values from `path` on (itself included), sorted by path.
    pub fn range_from<'a>(&'a self, path: &str) -> Iter<'a, V> {
        let start = self.find(path).unwrap_or_else(|i| i);
        self.items[start..].iter().map(|(p, v)| (p, v))
    }

    /// Paths, sorted.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.items.iter().map(|(p, _)| p)
    }

    /// Values, in path order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.items.iter().map(|(_, v)| v)
    }

    /// Values, in path order, to change.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.items.iter_mut().map(|(_, v)| v)
    }
}

impl<V> IntoIterator for PathMap<V> {
    type Item = (String, V);
    type IntoIter = std::vec::IntoIter<(String, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, V> IntoIterator for &'a PathMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = Iter<'a, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<V> FromIterator<(String, V)> for PathMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        Self::from_unsorted(iter.into_iter().collect())
    }
}

impl<V, Q: AsRef<str> + ?Sized> std::ops::Index<&Q> for PathMap<V> {
    type Output = V;
    /// The value of a path; panics when it is not in the map (as a `BTreeMap` does).
    fn index(&self, path: &Q) -> &V {
        match self.get(path) {
            Some(v) => v,
            None => index_missing(path.as_ref()),
        }
    }
}

#[allow(clippy::panic)]
fn index_missing(path: &str) -> ! {
    panic!("path {path:?} not in the map")
}

/// Written as a map (a JSON object in path order), as a `BTreeMap` is.
impl<V: Serialize> Serialize for PathMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.items.len()))?;
        for (p, v) in &self.items {
            map.serialize_entry(p, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for PathMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = PathMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of paths")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(access.size_hint().unwrap_or(0).min(4096));
                while let Some(entry) = access.next_entry::<String, V>()? {
                    items.push(entry);
                }
                Ok(PathMap::from_unsorted(items))
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsorted_input_keeps_the_last_value_of_a_path() {
        let m = PathMap::from_unsorted(vec![
            ("/b".to_string(), 1),
            ("/a".to_string(), 2),
            ("/b".to_string(), 3),
            ("/c".to_string(), 4),
            ("/b".to_string(), 5),
        ]);
        let all: Vec<(&String, &i32)> = m.iter().collect();
        assert_eq!(all.len(), 3);
        assert_eq!(m["/a"], 2);
        assert_eq!(m["/b"], 5);
        assert_eq!(m.get("/c"), Some(&4));
        assert!(!m.contains_key("/d"));
    }

    #[test]
    fn inserts_and_removes_keep_the_order() {
        let mut m = PathMap::new();
        assert_eq!(m.insert("/m".into(), 1), None);
        assert_eq!(m.insert("/z".into(), 2), None);
        assert_eq!(m.insert("/a".into(), 3), None);
        assert_eq!(m.insert("/m".into(), 4), Some(1));
        assert_eq!(m.keys().map(String::as_str).collect::<Vec<_>>(), ["/a", "/m", "/z"]);
        assert_eq!(m.remove("/m"), Some(4));
        assert_eq!(m.remove("/m"), None);
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn written_and_read_as_a_map() {
        let m: PathMap<u32> = [("/b".to_string(), 2), ("/a".to_string(), 1)].into_iter().collect();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"/a":1,"/b":2}"#);
        let back: PathMap<u32> = serde_json::from_str(r#"{"/b":2,"/a":1}"#).unwrap();
        assert_eq!(back, m);
    }
}
