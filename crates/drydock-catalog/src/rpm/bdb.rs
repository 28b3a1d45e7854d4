//! Berkeley DB hash files, as rpm's old `Packages` database: a meta page (magic,
//! page size, bucket count and the "spares" that map buckets to pages), bucket
//! pages holding key/value items, and overflow pages chaining values too big for a
//! bucket page. Keys are 4-byte package numbers, values are header blobs. Both byte
//! orders are read (the file's order is the writer's). Files with page checksums or
//! encryption, which rpm never wrote and cannot read, are refused.

use super::{Record, Records};
use std::borrow::Cow;

const HASH_MAGIC: u32 = 0x0006_1561;
const BTREE_MAGIC: u32 = 0x0005_3162;
/// Page types (db_page.h).
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
/// Hash item types.
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;
/// Size of the generic page header (lsn, pgno, prev, next, entries, hf_offset, level, type).
const PAGE_HEADER: usize = 26;
/// Meta-page flag: pages carry checksums.
const DBMETA_CHKSUM: u8 = 0x01;

#[derive(Clone, Copy)]
struct Db<'a> {
    data: &'a [u8],
    big_endian: bool,
    page_size: usize,
    pages: usize,
}

impl<'a> Db<'a> {
    fn u32_at(&self, at: usize) -> Option<u32> {
        let s = self.data.get(at..at.checked_add(4)?)?;
        let b = [s[0], s[1], s[2], s[3]];
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn u16_in(&self, page: &[u8], at: usize) -> Option<usize> {
        let s = page.get(at..at.checked_add(2)?)?;
        let b = [s[0], s[1]];
        Some(usize::from(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }))
    }

    fn u32_in(&self, page: &[u8], at: usize) -> Option<u32> {
        let s = page.get(at..at.checked_add(4)?)?;
        let b = [s[0], s[1], s[2], s[3]];
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// Page `pgno`, checked to exist and to say it is that page.
    fn page(&self, pgno: u32) -> Result<&'a [u8], String> {
        let n = pgno as usize;
        if pgno == 0 || n >= self.pages {
            return Err(format!("page {pgno} is outside the file ({} pages)", self.pages));
        }
        let start = n * self.page_size;
        let page = self
            .data
            .get(start..start + self.page_size)
            .ok_or_else(|| format!("page {pgno} is outside the file"))?;
        if self.u32_in(page, 8) != Some(pgno) {
            return Err(format!("page {pgno} does not carry its own number"));
        }
        Ok(page)
    }

    /// The bytes of item `i` on a hash page with `n` items.
    fn item(&self, page: &'a [u8], i: usize, n: usize) -> Result<&'a [u8], String> {
        let min = PAGE_HEADER + 2 * n;
        let off = self
            .u16_in(page, PAGE_HEADER + 2 * i)
            .ok_or("item index past the page")?;
        let end = if i == 0 {
            self.page_size
        } else {
            self.u16_in(page, PAGE_HEADER + 2 * (i - 1))
                .ok_or("item index past the page")?
        };
        if off < min || off >= end || end > self.page_size {
            return Err(format!("item {i} has a bad offset {off}"));
        }
        page.get(off..end)
            .ok_or_else(|| format!("item {i} lies outside the page"))
    }

    /// An item's value: inline bytes or an overflow chain (whose pages are marked in
    /// `visited`: no page may serve two values, so copies never outgrow the file).
    fn value(&self, item: &'a [u8], visited: &mut [bool]) -> Result<Cow<'a, [u8]>, String> {
        match item.first() {
            Some(&H_KEYDATA) => Ok(Cow::Borrowed(&item[1..])),
            Some(&H_OFFPAGE) => {
                let (Some(pgno), Some(len)) = (self.u32_in(item, 4), self.u32_in(item, 8)) else {
                    return Err("off-page item is truncated".into());
                };
                self.overflow(pgno, len as usize, visited).map(Cow::Owned)
            }
            Some(&(H_DUPLICATE | H_OFFDUP)) => Err("duplicate items are not used by rpm".into()),
            Some(t) => Err(format!("unknown item type {t}")),
            None => Err("empty item".into()),
        }
    }

    /// Follows an overflow chain of `len` bytes starting at `pgno`.
    fn overflow(&self, mut pgno: u32, len: usize, visited: &mut [bool]) -> Result<Vec<u8>, String> {
        if len == 0 || len > self.data.len() {
            return Err(format!("overflow item claims {len} bytes"));
        }
        let mut out = Vec::with_capacity(len);
        // Each page adds at least one byte and is used once, so this ends.
        loop {
            if out.len() == len {
                return Ok(out);
            }
            let page = self.page(pgno).map_err(|e| format!("overflow chain broken: {e}"))?;
            match visited.get_mut(pgno as usize) {
                Some(v) if !*v => *v = true,
                _ => return Err(format!("overflow page {pgno} is used twice")),
            }
            if page.get(25) != Some(&P_OVERFLOW) {
                return Err(format!(
                    "overflow chain reaches page {pgno}, which is not an overflow page"
                ));
            }
            let used = self.u16_in(page, 22).unwrap_or(0);
            let chunk = page
                .get(PAGE_HEADER..PAGE_HEADER + used)
                .filter(|c| !c.is_empty() && out.len() + c.len() <= len)
                .ok_or_else(|| format!("overflow page {pgno} holds a bad length {used}"))?;
            out.extend_from_slice(chunk);
            pgno = self.u32_in(page, 16).unwrap_or(0);
        }
    }
}

/// Reads every key/value pair of a Berkeley DB hash `Packages` file. A file that is
/// not a readable hash database is an error; a damaged page or record is a problem.
pub(crate) fn read(data: &[u8]) -> Result<Records<'_>, String> {
    let magic_le = data.get(12..16).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
    let magic_be = data.get(12..16).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
    let big_endian = match (magic_le, magic_be) {
        (Some(HASH_MAGIC), _) => false,
        (_, Some(HASH_MAGIC)) => true,
        (Some(BTREE_MAGIC), _) | (_, Some(BTREE_MAGIC)) => {
            return Err("a Berkeley DB btree, not the hash database rpm keeps packages in".into())
        }
        _ => return Err("not a Berkeley DB hash database".into()),
    };
    let mut db = Db {
        data,
        big_endian,
        page_size: 0,
        pages: 0,
    };
    let version = db.u32_at(16).unwrap_or(0);
    if !(8..=10).contains(&version) {
        return Err(format!("unsupported Berkeley DB hash version {version}"));
    }
    let page_size = db.u32_at(20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("impossible page size {page_size}"));
    }
    if data.len() < page_size {
        return Err("file is shorter than its meta page".into());
    }
    if data.get(24).copied().unwrap_or(0) != 0 {
        return Err("encrypted Berkeley DB files are not supported".into());
    }
    if data.get(25) != Some(&P_HASHMETA) {
        return Err("page 0 is not a hash meta page".into());
    }
    if data.get(26).copied().unwrap_or(0) & DBMETA_CHKSUM != 0 {
        return Err("Berkeley DB files with page checksums are not supported (rpm never wrote them)".into());
    }
    let mut out = Records::default();
    let last_pgno = db.u32_at(32).unwrap_or(0) as usize;
    let in_file = data.len() / page_size;
    if last_pgno.saturating_add(1) > in_file {
        out.problems.push(format!(
            "file is truncated: last page is {last_pgno} but the file holds {in_file} pages"
        ));
    }
    db.page_size = page_size;
    db.pages = in_file.min(last_pgno.saturating_add(1));
    let max_bucket = db.u32_at(72).unwrap_or(0) as usize;
    let mut spares = [0u32; 32];
    for (i, s) in spares.iter_mut().enumerate() {
        *s = db.u32_at(96 + 4 * i).unwrap_or(0);
    }
    // Every bucket has its own page, so there cannot be more buckets than pages.
    let buckets = max_bucket.saturating_add(1).min(db.pages);
    let mut visited = vec![false; db.pages];
    for bucket in 0..buckets {
        let bits = (usize::BITS - bucket.leading_zeros()) as usize;
        let first = spares.get(bits).map(|&s| bucket as u64 + u64::from(s));
        let Some(Ok(mut pgno)) = first.map(u32::try_from) else {
            out.problems.push(format!("bucket {bucket} maps to an impossible page"));
            continue;
        };
        let mut head = true;
        while pgno != 0 {
            let n = pgno as usize;
            if n >= db.pages {
                out.problems
                    .push(format!("bucket {bucket}: page {pgno} is past the end of the file"));
                break;
            }
            if visited[n] {
                out.problems
                    .push(format!("bucket {bucket}: page {pgno} is linked twice"));
                break;
            }
            visited[n] = true;
            let start = n * page_size;
            let raw = &data[start..start + page_size];
            // A bucket that was never written is an all-zero page: empty.
            if head && raw[..PAGE_HEADER].iter().all(|&b| b == 0) {
                break;
            }
            head = false;
            let page = match db.page(pgno) {
                Ok(p) => p,
                Err(e) => {
                    out.problems.push(format!("bucket {bucket}: {e}"));
                    break;
                }
            };
            if !matches!(page[25], P_HASH | P_HASH_UNSORTED) {
                out.problems.push(format!(
                    "bucket {bucket}: page {pgno} is not a hash page (type {})",
                    page[25]
                ));
                break;
            }
            bucket_page(&db, page, pgno, &mut visited, &mut out);
            pgno = db.u32_in(page, 16).unwrap_or(0);
        }
    }
    out.records.sort_by_key(|r| r.key);
    Ok(out)
}

/// Collects the key/value pairs of one hash page.
fn bucket_page<'a>(db: &Db<'a>, page: &'a [u8], pgno: u32, visited: &mut [bool], out: &mut Records<'a>) {
    let n = db.u16_in(page, 20).unwrap_or(0);
    if PAGE_HEADER + 2 * n > db.page_size {
        out.problems
            .push(format!("page {pgno} claims {n} items, more than fit"));
        return;
    }
    if n & 1 == 1 {
        out.problems
            .push(format!("page {pgno} has an odd number of items; the last is ignored"));
    }
    for i in (0..n.saturating_sub(1)).step_by(2) {
        let key = match db.item(page, i, n).and_then(|k| db.value(k, visited)) {
            Ok(k) => k,
            Err(e) => {
                out.problems.push(format!("page {pgno}: key {}: {e}", i / 2));
                continue;
            }
        };
        let Ok(kb) = <[u8; 4]>::try_from(&*key) else {
            out.problems.push(format!(
                "page {pgno}: key of {} bytes is not a package number",
                key.len()
            ));
            continue;
        };
        let k = if db.big_endian {
            u32::from_be_bytes(kb)
        } else {
            u32::from_le_bytes(kb)
        };
        if k == 0 {
            continue; // rpm's record 0 holds the largest package number, not a header
        }
        match db.item(page, i + 1, n).and_then(|v| db.value(v, visited)) {
            Ok(blob) => out.records.push(Record {
                key: u64::from(k),
                blob,
            }),
            Err(e) => out.problems.push(format!("record {k}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian hash file with one bucket page, pages of 512 bytes: record 1
    /// inline, record 2 on two overflow pages.
    fn build(big_endian: bool) -> Vec<u8> {
        let ps = 512;
        let u32b = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u16b = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut f = vec![0u8; ps * 4];
        // Meta page.
        f[8..12].copy_from_slice(&u32b(0));
        f[12..16].copy_from_slice(&u32b(HASH_MAGIC));
        f[16..20].copy_from_slice(&u32b(9));
        f[20..24].copy_from_slice(&u32b(ps as u32));
        f[25] = P_HASHMETA;
        f[32..36].copy_from_slice(&u32b(3)); // last page
        f[72..76].copy_from_slice(&u32b(0)); // max bucket
        f[96..100].copy_from_slice(&u32b(1)); // spares[0]: bucket 0 -> page 1
                                              // Bucket page 1: key 1 -> "inline", key 2 -> overflow at page 2 (700 bytes).
        let p = ps;
        f[p + 8..p + 12].copy_from_slice(&u32b(1));
        f[p + 20..p + 22].copy_from_slice(&u16b(4));
        f[p + 25] = P_HASH;
        let mut items: Vec<Vec<u8>> = Vec::new();
        items.push([vec![H_KEYDATA], u32b(1).to_vec()].concat());
        items.push([vec![H_KEYDATA], b"inline".to_vec()].concat());
        items.push([vec![H_KEYDATA], u32b(2).to_vec()].concat());
        let mut off = vec![H_OFFPAGE, 0, 0, 0];
        off.extend(u32b(2));
        off.extend(u32b(700));
        items.push(off);
        let mut end = ps;
        for (i, it) in items.iter().enumerate() {
            let start = end - it.len();
            f[p + start..p + end].copy_from_slice(it);
            f[p + 26 + 2 * i..p + 28 + 2 * i].copy_from_slice(&u16b(start as u16));
            end = start;
        }
        // Overflow pages 2 and 3.
        for (pg, next, len) in [(2usize, 3u32, 400u16), (3, 0, 300)] {
            let o = pg * ps;
            f[o + 8..o + 12].copy_from_slice(&u32b(pg as u32));
            f[o + 16..o + 20].copy_from_slice(&u32b(next));
            f[o + 22..o + 24].copy_from_slice(&u16b(len));
            f[o + 25] = P_OVERFLOW;
            for b in &mut f[o + 26..o + 26 + len as usize] {
                *b = pg as u8;
            }
        }
        f
    }

    #[test]
    fn reads_inline_and_overflow_values_in_both_byte_orders() {
        for be in [false, true] {
            let f = build(be);
            let r = read(&f).unwrap();
            assert!(r.problems.is_empty(), "{:?}", r.problems);
            assert_eq!(r.records.len(), 2);
            assert_eq!((r.records[0].key, &*r.records[0].blob), (1, &b"inline"[..]));
            let big = &r.records[1].blob;
            assert_eq!(big.len(), 700);
            assert!(big[..400].iter().all(|&b| b == 2) && big[400..].iter().all(|&b| b == 3));
        }
    }

    #[test]
    fn broken_chains_are_problems_not_panics() {
        // Overflow page 2 points at a page past the end.
        let mut f = build(false);
        f[2 * 512 + 16..2 * 512 + 20].copy_from_slice(&999u32.to_le_bytes());
        let r = read(&f).unwrap();
        assert_eq!(r.records.len(), 1);
        assert!(
            r.problems[0].contains("record 2") && r.problems[0].contains("outside the file"),
            "{:?}",
            r.problems
        );
        // A chain that loops back to itself.
        let mut f = build(false);
        f[3 * 512 + 16..3 * 512 + 20].copy_from_slice(&3u32.to_le_bytes());
        f[3 * 512 + 22..3 * 512 + 24].copy_from_slice(&1u16.to_le_bytes());
        let r = read(&f).unwrap();
        assert_eq!(r.records.len(), 1, "{:?}", r.problems);
        assert!(r.problems[0].contains("used twice"), "{:?}", r.problems);
        // A chain that starts on the bucket page itself.
        let mut f = build(false);
        let item = 512 - 5 - 7 - 5 - 12;
        f[512 + item + 4..512 + item + 8].copy_from_slice(&1u32.to_le_bytes());
        let r = read(&f).unwrap();
        assert_eq!(r.records.len(), 1, "{:?}", r.problems);
        assert!(r.problems[0].contains("used twice"), "{:?}", r.problems);
        // A bucket page whose next page is itself.
        let mut f = build(false);
        f[512 + 16..512 + 20].copy_from_slice(&1u32.to_le_bytes());
        let r = read(&f).unwrap();
        assert_eq!(r.records.len(), 2);
        assert!(r.problems[0].contains("linked twice"));
        // Absurd item count and offsets.
        let mut f = build(false);
        f[512 + 20..512 + 22].copy_from_slice(&u16::MAX.to_le_bytes());
        assert!(read(&f).unwrap().problems[0].contains("more than fit"));
        let mut f = build(false);
        f[512 + 26..512 + 28].copy_from_slice(&3u16.to_le_bytes());
        assert!(read(&f).unwrap().problems[0].contains("bad offset"));
    }

    #[test]
    fn every_truncation_is_handled() {
        let f = build(false);
        for n in 0..f.len() {
            let _ = read(&f[..n]);
        }
        let r = read(&f[..3 * 512]).unwrap();
        assert!(r.problems.iter().any(|p| p.contains("truncated")));
    }

    #[test]
    fn other_files_are_errors() {
        assert!(read(b"").is_err());
        assert!(read(&[0u8; 4096]).is_err());
        let mut f = build(false);
        f[12..16].copy_from_slice(&BTREE_MAGIC.to_le_bytes());
        assert!(read(&f).unwrap_err().contains("btree"));
        let mut f = build(false);
        f[20..24].copy_from_slice(&1000u32.to_le_bytes());
        assert!(read(&f).is_err());
        let mut f = build(false);
        f[24] = 1;
        assert!(read(&f).unwrap_err().contains("encrypted"));
        let mut f = build(false);
        f[26] = DBMETA_CHKSUM;
        assert!(read(&f).unwrap_err().contains("checksums"));
    }
}
