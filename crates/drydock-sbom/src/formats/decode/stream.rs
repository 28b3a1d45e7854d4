//! Reading a large JSON document in bounded memory.
//!
//! A document is never parsed into one `serde_json::Value`. A first pass validates it and keeps
//! only the small top-level fields the readers use (each under a size budget) and the JSON kind
//! of every top-level field; later passes hand the elements of one top-level array to the reader
//! one at a time, each parsed under its own budget and dropped before the next. Everything else
//! (vulnerabilities, annotations, unknown fields) is skipped without being materialised.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// Approximate bytes of parsed JSON one array element (or the kept header) may take; an
/// element over it is skipped as a whole.
pub(super) const MAX_ELEMENT_BYTES: usize = 64 << 20;
/// What one parsed node costs against a budget besides its text (a `Value` and its slot).
const NODE_COST: usize = 64;

/// Top-level fields read into the header: the ones the format readers and the format
/// detection look at, other than the large arrays that are streamed.
const HEADER_KEYS: &[&str] = &[
    "$schema",
    "@context",
    "bomFormat",
    "specVersion",
    "spdxVersion",
    "descriptor",
    "schema",
    "metadata",
    "source",
    "distro",
    "creationInfo",
    "documentDescribes",
    "hasExtractedLicensingInfos",
    "scope",
    "image",
    "files",
    "warnings",
    "name",
    "SPDXID",
];

/// Where a document's bytes come from: a slice, or a seekable reader read again from `start`
/// for each pass (so the document is never held whole).
pub(super) enum Source<'a> {
    Slice(&'a [u8]),
    Reader {
        input: RefCell<Box<dyn ReadSeek + 'a>>,
        /// Offset of the document's first byte (after a byte-order mark).
        start: u64,
        /// Bytes read in one pass at most.
        limit: u64,
    },
}

/// A seekable byte reader.
pub(super) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

impl Source<'_> {
    /// Runs one pass of `visitor` over the whole document (its end checked too).
    fn pass<T, V>(&self, visitor: V) -> Result<T, serde_json::Error>
    where
        V: for<'de> Visitor<'de, Value = T>,
    {
        fn run<'de, T, R: serde_json::de::Read<'de>, V: Visitor<'de, Value = T>>(
            mut de: serde_json::Deserializer<R>,
            visitor: V,
        ) -> Result<T, serde_json::Error> {
            let out = de.deserialize_any(visitor)?;
            de.end()?;
            Ok(out)
        }
        match self {
            Source::Slice(bytes) => run(serde_json::Deserializer::from_slice(bytes), visitor),
            Source::Reader { input, start, limit } => {
                let mut input = input.borrow_mut();
                input.seek(SeekFrom::Start(*start)).map_err(serde_json::Error::io)?;
                let reader = BufReader::with_capacity(64 << 10, (&mut *input).take(*limit));
                run(serde_json::Deserializer::from_reader(reader), visitor)
            }
        }
    }
}

/// A JSON document read in bounded memory: its small header fields and the kinds of all its
/// top-level fields; large arrays are streamed with [`Doc::each`].
pub(super) struct Doc<'a> {
    source: Source<'a>,
    /// The header fields (an object).
    pub(super) head: Value,
    /// The JSON kind (as [`super::kind`] names it) of every top-level field.
    kinds: HashMap<String, &'static str>,
    /// The first error of a later pass (an input that failed or changed after it was opened).
    failed: RefCell<Option<serde_json::Error>>,
}

/// Why a document could not be opened.
pub(super) enum OpenError {
    Json(serde_json::Error),
    /// The top level is not an object; its kind.
    NotObject(&'static str),
}

impl<'a> Doc<'a> {
    /// Validates the document and reads its header.
    pub(super) fn open(bytes: &'a [u8]) -> Result<Self, OpenError> {
        Self::open_source(Source::Slice(bytes))
    }

    /// Validates the document in `source` and reads its header, in one streaming pass.
    pub(super) fn open_source(source: Source<'a>) -> Result<Self, OpenError> {
        let budget = Budget::new(MAX_ELEMENT_BYTES);
        let top = source
            .pass(Top {
                keep: HEADER_KEYS,
                budget: &budget,
                stream: None,
            })
            .map_err(OpenError::Json)?;
        match top {
            TopOut::Object(head, kinds) => Ok(Doc {
                source,
                head: Value::Object(head),
                kinds,
                failed: RefCell::new(None),
            }),
            TopOut::Other(kind) => Err(OpenError::NotObject(kind)),
        }
    }

    /// The error of a pass after the first, if one failed (its array was cut short).
    pub(super) fn take_failure(&self) -> Option<serde_json::Error> {
        self.failed.borrow_mut().take()
    }

    /// The header as a map.
    pub(super) fn obj(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        match &self.head {
            Value::Object(m) => m,
            // The header is always an object.
            _ => EMPTY.get_or_init(Map::new),
        }
    }

    /// The kind of the top-level field `key`, when present.
    pub(super) fn kind(&self, key: &str) -> Option<&'static str> {
        self.kinds.get(key).copied()
    }

    /// The top-level field names, sorted.
    pub(super) fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.kinds.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    /// True when the top-level field `key` is present.
    pub(super) fn has(&self, key: &str) -> bool {
        self.kinds.contains_key(key)
    }

    /// The kind of `key` when it is present and neither an array nor null.
    pub(super) fn not_array(&self, key: &str) -> Option<&'static str> {
        self.kind(key).filter(|k| !matches!(*k, "an array" | "null"))
    }

    /// Hands each element of the top-level array `key` to `f` with its index, one at a time;
    /// `None` for an element over [`MAX_ELEMENT_BYTES`] (skipped unread). `f` returning false
    /// skips the remaining elements unread. Nothing happens when `key` is not an array.
    pub(super) fn each(&self, key: &str, f: impl FnMut(usize, Option<Value>) -> bool) {
        if self.kind(key) != Some("an array") {
            return;
        }
        let budget = Budget::new(0);
        let mut f = f;
        let pass = self.source.pass(Top {
            keep: &[],
            budget: &budget,
            stream: Some((key, &mut f)),
        });
        // The document was validated when it was opened; a reader can still fail or change.
        if let (Err(e), Source::Reader { .. }) = (pass, &self.source) {
            self.failed.borrow_mut().get_or_insert(e);
        }
    }
}

/// A cost budget shared by the nodes of one parsed value.
struct Budget {
    left: Cell<usize>,
    exhausted: Cell<bool>,
}

impl Budget {
    fn new(bytes: usize) -> Self {
        Budget {
            left: Cell::new(bytes),
            exhausted: Cell::new(false),
        }
    }

    /// Charges `cost`; false (and exhausted from then on) when the budget does not cover it.
    fn take(&self, cost: usize) -> bool {
        if self.exhausted.get() {
            return false;
        }
        match self.left.get().checked_sub(cost) {
            Some(left) => {
                self.left.set(left);
                true
            }
            None => {
                self.exhausted.set(true);
                false
            }
        }
    }

    fn reset(&self, bytes: usize) {
        self.left.set(bytes);
        self.exhausted.set(false);
    }
}

/// Parses one value into a `Value` while the budget lasts; once it runs out, the rest of the
/// value is skipped unread (and the result must be discarded).
struct Bounded<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.0.take(NODE_COST);
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.0.take(NODE_COST);
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.0.take(NODE_COST);
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.0.take(NODE_COST);
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.take(NODE_COST);
        Ok(Value::Null)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        if self.0.take(NODE_COST + v.len()) {
            Ok(Value::String(v.to_string()))
        } else {
            Ok(Value::Null)
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.take(NODE_COST);
        let mut out = Vec::new();
        loop {
            if self.0.exhausted.get() {
                while seq.next_element::<Skip>()?.is_some() {}
                return Ok(Value::Null);
            }
            match seq.next_element_seed(Bounded(self.0))? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.take(NODE_COST);
        let mut out = Map::new();
        loop {
            if self.0.exhausted.get() {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                return Ok(Value::Null);
            }
            let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? else {
                return Ok(Value::Object(out));
            };
            if !self.0.take(NODE_COST + k.len()) {
                map.next_value::<Skip>()?;
                continue;
            }
            let v = map.next_value_seed(Bounded(self.0))?;
            out.insert(k.into_owned(), v);
        }
    }
}

/// Skips a value. Unlike `IgnoredAny`, nesting deeper than the parser's recursion limit is an
/// error here, as it is when a value is parsed.
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(KindOf).map(|_| Skip)
    }
}

/// Skips a value, telling its kind.
struct KindOf;

impl<'de> DeserializeSeed<'de> for KindOf {
    type Value = &'static str;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'static str, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KindOf {
    type Value = &'static str;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<&'static str, E> {
        Ok("a boolean")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<&'static str, E> {
        Ok("a number")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<&'static str, E> {
        Ok("a number")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<&'static str, E> {
        Ok("a number")
    }
    fn visit_unit<E: de::Error>(self) -> Result<&'static str, E> {
        Ok("null")
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<&'static str, E> {
        Ok("a string")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<&'static str, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok("an array")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<&'static str, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok("an object")
    }
}

type ElementFn<'f> = &'f mut dyn FnMut(usize, Option<Value>) -> bool;

/// Streams an array's elements to a callback, each under a fresh budget.
struct Elements<'b, 'f> {
    budget: &'b Budget,
    f: ElementFn<'f>,
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_> {
    type Value = &'static str;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'static str, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_> {
    type Value = &'static str;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<&'static str, A::Error> {
        let mut i = 0;
        loop {
            self.budget.reset(MAX_ELEMENT_BYTES);
            let Some(v) = seq.next_element_seed(Bounded(self.budget))? else {
                return Ok("an array");
            };
            let v = (!self.budget.exhausted.get()).then_some(v);
            if !(self.f)(i, v) {
                while seq.next_element::<Skip>()?.is_some() {}
                return Ok("an array");
            }
            i += 1;
        }
    }
}

/// The top-level object: header fields kept, kinds recorded, one array optionally streamed.
struct Top<'k, 'b, 'f> {
    keep: &'k [&'k str],
    budget: &'b Budget,
    stream: Option<(&'k str, ElementFn<'f>)>,
}

enum TopOut {
    Object(Map<String, Value>, HashMap<String, &'static str>),
    Other(&'static str),
}

impl<'de> Visitor<'de> for Top<'_, '_, '_> {
    type Value = TopOut;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON document")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<TopOut, A::Error> {
        let mut head = Map::new();
        let mut kinds = HashMap::new();
        // A repeated key's last occurrence is the one kept; a repeated array is streamed once.
        let mut streamed = false;
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let kind = match &mut self.stream {
                Some((key, f)) if *key == k && !streamed => {
                    streamed = true;
                    match map.next_value_seed(Elements {
                        budget: self.budget,
                        f: &mut **f,
                    }) {
                        Ok(kind) => kind,
                        // Not an array: nothing to stream.
                        Err(_) => return Ok(TopOut::Object(head, kinds)),
                    }
                }
                _ if self.keep.contains(&k.as_ref()) => {
                    self.budget.reset(MAX_ELEMENT_BYTES);
                    let v = map.next_value_seed(Bounded(self.budget))?;
                    let kind = super::kind(&v);
                    if self.budget.exhausted.get() {
                        // An oversized header field is read as absent.
                        head.remove(k.as_ref());
                    } else {
                        head.insert(k.to_string(), v);
                    }
                    kind
                }
                _ => map.next_value_seed(KindOf)?,
            };
            if self.stream.is_none() {
                kinds.insert(k.into_owned(), kind);
            }
        }
        Ok(TopOut::Object(head, kinds))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TopOut, A::Error> {
        KindOf.visit_seq(seq).map(TopOut::Other)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<TopOut, E> {
        Ok(TopOut::Other("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<TopOut, E> {
        Ok(TopOut::Other("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<TopOut, E> {
        Ok(TopOut::Other("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<TopOut, E> {
        Ok(TopOut::Other("a number"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<TopOut, E> {
        Ok(TopOut::Other("null"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<TopOut, E> {
        Ok(TopOut::Other("a string"))
    }
}
