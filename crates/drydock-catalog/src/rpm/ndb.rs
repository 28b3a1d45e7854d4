//! rpm's own "ndb" package database (`Packages.db`): slot pages that map package
//! indexes to blob locations, then the blobs, each framed by a head (magic, package
//! index, timestamp, length) and a tail (adler32, length, magic). All integers are
//! little-endian; offsets and lengths are in 16-byte blocks.

use super::{Record, Records};
use std::borrow::Cow;
use std::collections::BTreeSet;

const PAGE_SIZE: usize = 4096;
const SLOT_SIZE: usize = 16;
const BLK_SIZE: u64 = 16;
/// The file header takes the first two slots of page 0.
const HEADER_SIZE: usize = 32;
const BLOBHEAD_SIZE: u64 = 16;
const BLOBTAIL_SIZE: u64 = 12;

const fn magic(s: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*s)
}
const PKGDB_MAGIC: u32 = magic(b"RpmP");
const SLOT_MAGIC: u32 = magic(b"Slot");
const BLOBHEAD_MAGIC: u32 = magic(b"BlbS");
const BLOBTAIL_MAGIC: u32 = magic(b"BlbE");

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// Reads every package blob of an ndb `Packages.db`. A file that is not an ndb
/// database is an error; a bad slot or blob is a problem naming its package index.
pub(crate) fn read(data: &[u8]) -> Result<Records<'_>, String> {
    if le32(data, 0) != Some(PKGDB_MAGIC) {
        return Err("not an rpm ndb package database (bad magic)".into());
    }
    let version = le32(data, 4).unwrap_or(u32::MAX);
    if version != 0 {
        return Err(format!("unsupported ndb version {version}"));
    }
    let slot_pages = le32(data, 12).unwrap_or(0) as usize;
    if slot_pages == 0 || slot_pages > data.len() / PAGE_SIZE {
        return Err(format!(
            "{slot_pages} slot pages do not fit in a file of {} bytes",
            data.len()
        ));
    }
    let file_blks = data.len() as u64 / BLK_SIZE;
    let min_blkoff = (slot_pages * (PAGE_SIZE / BLK_SIZE as usize)) as u64;
    let mut out = Records::default();
    let mut seen = BTreeSet::new();
    for page in 0..slot_pages {
        let first = if page == 0 { HEADER_SIZE } else { 0 };
        for o in (first..PAGE_SIZE).step_by(SLOT_SIZE) {
            let at = page * PAGE_SIZE + o;
            let slot_no = at / SLOT_SIZE;
            let (Some(m), Some(pkgidx), Some(blkoff), Some(blkcnt)) = (
                le32(data, at),
                le32(data, at + 4),
                le32(data, at + 8),
                le32(data, at + 12),
            ) else {
                break;
            };
            if m != SLOT_MAGIC {
                out.problems.push(format!(
                    "slot {slot_no}: bad slot magic; rest of slot page {page} skipped"
                ));
                break;
            }
            if blkoff == 0 {
                continue; // free slot
            }
            let (blkoff, blkcnt) = (u64::from(blkoff), u64::from(blkcnt));
            if pkgidx == 0 || blkcnt == 0 || blkoff < min_blkoff || blkoff + blkcnt > file_blks {
                out.problems.push(format!(
                    "package {pkgidx}: slot {slot_no} points outside the blob area (blocks {blkoff}+{blkcnt} of {file_blks})"
                ));
                continue;
            }
            if !seen.insert(pkgidx) {
                out.problems.push(format!(
                    "package {pkgidx}: listed in more than one slot; later slot ignored"
                ));
                continue;
            }
            match blob(data, pkgidx, blkoff, blkcnt) {
                Ok(b) => out.records.push(Record {
                    key: u64::from(pkgidx),
                    blob: Cow::Borrowed(b),
                }),
                Err(e) => out.problems.push(format!("package {pkgidx}: {e}")),
            }
        }
    }
    out.records.sort_by_key(|r| r.key);
    Ok(out)
}

/// The header blob framed at `blkoff` (already checked to lie inside the file).
fn blob(data: &[u8], pkgidx: u32, blkoff: u64, blkcnt: u64) -> Result<&[u8], String> {
    let start = (blkoff * BLK_SIZE) as usize;
    let end = ((blkoff + blkcnt) * BLK_SIZE) as usize;
    let region = data.get(start..end).ok_or("blob lies outside the file")?;
    if (region.len() as u64) < BLOBHEAD_SIZE + BLOBTAIL_SIZE {
        return Err("blob is too small for its framing".into());
    }
    if le32(region, 0) != Some(BLOBHEAD_MAGIC) {
        return Err("blob head has a bad magic".into());
    }
    if le32(region, 4) != Some(pkgidx) {
        return Err("blob head names another package".into());
    }
    let bloblen = u64::from(le32(region, 12).unwrap_or(0));
    let expect = (BLOBHEAD_SIZE + bloblen + BLOBTAIL_SIZE).div_ceil(BLK_SIZE);
    if expect != blkcnt {
        return Err(format!("blob of {bloblen} bytes does not fit its {blkcnt} blocks"));
    }
    let tail = region.len() - BLOBTAIL_SIZE as usize;
    if le32(region, tail + 8) != Some(BLOBTAIL_MAGIC) || le32(region, tail + 4) != Some(bloblen as u32) {
        return Err("blob tail is damaged".into());
    }
    if le32(region, tail) != Some(adler32(&region[..tail])) {
        return Err("blob checksum (adler32) does not match".into());
    }
    let body = BLOBHEAD_SIZE as usize;
    region
        .get(body..body + bloblen as usize)
        .ok_or_else(|| "blob length exceeds its blocks".to_string())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes an ndb file the way rpmpkg.c lays it out: one slot page, blobs after it.
    pub(crate) fn build(blobs: &[(u32, &[u8])]) -> Vec<u8> {
        let mut f = vec![0u8; PAGE_SIZE];
        f[0..4].copy_from_slice(&PKGDB_MAGIC.to_le_bytes());
        f[8..12].copy_from_slice(&1u32.to_le_bytes());
        f[12..16].copy_from_slice(&1u32.to_le_bytes());
        for o in (HEADER_SIZE..PAGE_SIZE).step_by(SLOT_SIZE) {
            f[o..o + 4].copy_from_slice(&SLOT_MAGIC.to_le_bytes());
        }
        for (i, (pkgidx, b)) in blobs.iter().enumerate() {
            let blkoff = f.len() as u64 / BLK_SIZE;
            let blkcnt = (BLOBHEAD_SIZE + b.len() as u64 + BLOBTAIL_SIZE).div_ceil(BLK_SIZE);
            let mut region = Vec::new();
            region.extend(BLOBHEAD_MAGIC.to_le_bytes());
            region.extend(pkgidx.to_le_bytes());
            region.extend(0u32.to_le_bytes());
            region.extend((b.len() as u32).to_le_bytes());
            region.extend_from_slice(b);
            region.resize((blkcnt * BLK_SIZE - BLOBTAIL_SIZE) as usize, 0);
            let adl = adler32(&region);
            region.extend(adl.to_le_bytes());
            region.extend((b.len() as u32).to_le_bytes());
            region.extend(BLOBTAIL_MAGIC.to_le_bytes());
            f.extend(region);
            let slot = HEADER_SIZE + i * SLOT_SIZE;
            f[slot + 4..slot + 8].copy_from_slice(&pkgidx.to_le_bytes());
            f[slot + 8..slot + 12].copy_from_slice(&(blkoff as u32).to_le_bytes());
            f[slot + 12..slot + 16].copy_from_slice(&(blkcnt as u32).to_le_bytes());
        }
        f
    }

    #[test]
    fn adler32_matches_the_rfc_example() {
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn reads_blobs_in_package_order() {
        let f = build(&[(7, b"seven"), (3, b"three!")]);
        let r = read(&f).unwrap();
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let got: Vec<(u64, &[u8])> = r.records.iter().map(|r| (r.key, &*r.blob)).collect();
        assert_eq!(got, [(3, &b"three!"[..]), (7, &b"seven"[..])]);
    }

    #[test]
    fn damaged_blobs_and_slots_are_problems() {
        let mut f = build(&[(1, b"one"), (2, b"two")]);
        // Corrupt blob 1's body: the checksum no longer matches.
        f[PAGE_SIZE + 16] ^= 0xff;
        // Point slot 2 past the end of the file.
        let slot = HEADER_SIZE + SLOT_SIZE;
        f[slot + 8..slot + 12].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
        let r = read(&f).unwrap();
        assert!(r.records.is_empty());
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert!(r.problems[0].contains("adler32"));
        assert!(r.problems[1].contains("outside the blob area"));
    }

    #[test]
    fn not_ndb_or_truncated_is_an_error() {
        assert!(read(b"").is_err());
        assert!(read(&[0u8; 8192]).is_err());
        let f = build(&[(1, b"one")]);
        assert!(read(&f[..100]).is_err());
        // Truncated blob area: the slot now points past the end.
        let r = read(&f[..PAGE_SIZE + 16]).unwrap();
        assert!(r.records.is_empty() && r.problems.len() == 1);
    }
}
