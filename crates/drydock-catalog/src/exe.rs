//! The one executable-format reader of the catalogers (Go build info, Rust
//! `cargo auditable` data, .NET version resources): the section and segment tables of
//! ELF, PE and Mach-O files, and a PE file's data directories — enough to find a named
//! section's bytes and to translate virtual addresses (and PE relative ones) into file
//! offsets. Every offset and count is checked against the data, so malformed input
//! yields `None` or an empty table, never a panic or an allocation sized by an
//! unchecked field.

/// Which executable format a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// ELF (Linux and most Unixes).
    Elf,
    /// PE (Windows executables and DLLs, .NET assemblies).
    Pe,
    /// Mach-O (macOS).
    MachO,
}

/// A section with its bytes in the file (sections without file data are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Section name (`.go.buildinfo`, `__go_buildinfo`…).
    pub name: String,
    /// Virtual address (absolute, image base included for PE).
    pub addr: u64,
    /// Offset of its bytes in the file.
    pub offset: u64,
    /// Length of its bytes in the file.
    pub size: u64,
}

/// A file-backed range of the address space (ELF program headers, Mach-O segments;
/// PE sections double as segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Virtual address of its start.
    pub addr: u64,
    /// Offset of its start in the file.
    pub offset: u64,
    /// Number of bytes backed by the file.
    pub filesz: u64,
}

/// The parsed tables of one executable.
#[derive(Debug, Clone)]
pub struct Binary {
    /// The file's format.
    pub format: Format,
    /// The byte order of its headers and data.
    pub endian: Endian,
    /// Pointer size in bytes (4 or 8).
    pub ptr_size: usize,
    /// Sections with file data.
    pub sections: Vec<Section>,
    /// File-backed ranges of the address space, for translating addresses to offsets.
    pub segments: Vec<Segment>,
    /// PE: the image base section addresses include.
    pub image_base: u64,
    /// PE: the optional header's data directories (relative address, size), at most 16
    /// (2 = resources, 14 = the CLR runtime header); empty for other formats.
    pub pe_directories: Vec<(u32, u32)>,
}

/// More entries than this in any table means the file is not a sane executable.
const MAX_ENTRIES: usize = 1 << 16;

/// True when `data` starts like an ELF, PE or Mach-O (thin or fat) file.
pub fn looks_executable(data: &[u8]) -> bool {
    data.starts_with(b"\x7fELF")
        || data.starts_with(b"MZ")
        || matches!(
            data.get(..4),
            Some([0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe] | [0xca, 0xfe, 0xba, 0xbe])
        )
}

/// The slices of the architectures of a fat (universal) Mach-O file; a thin file
/// is returned whole. At most 16 architectures are considered.
pub fn slices(data: &[u8]) -> Vec<&[u8]> {
    if !data.starts_with(&[0xca, 0xfe, 0xba, 0xbe]) {
        return vec![data];
    }
    let r = Reader {
        data,
        endian: Endian::Big,
    };
    let Some(n) = r.u32(4) else { return Vec::new() };
    // Java class files share the magic; their "count" is a class file version >= 45.
    if n == 0 || n > 16 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for i in 0..n as usize {
        let at = 8 + i * 20;
        let (Some(off), Some(size)) = (r.u32(at + 8), r.u32(at + 12)) else {
            break;
        };
        if let Some(s) = slice(data, off as u64, size as u64) {
            out.push(s);
        }
    }
    out
}

/// Parses the tables of a thin executable.
pub fn parse(data: &[u8]) -> Option<Binary> {
    if data.starts_with(b"\x7fELF") {
        parse_elf(data)
    } else if data.starts_with(b"MZ") {
        parse_pe(data)
    } else {
        parse_macho(data)
    }
}

/// [`parse`], keeping the data alongside (for iterator chains).
pub fn parse_with_data(data: &[u8]) -> Option<(Binary, &[u8])> {
    parse(data).map(|b| (b, data))
}

impl Binary {
    /// The first section with this name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The file bytes of the first section with this name.
    pub fn section_data<'a>(&self, data: &'a [u8], name: &str) -> Option<&'a [u8]> {
        let s = self.section(name)?;
        slice(data, s.offset, s.size)
    }

    /// `len` bytes at virtual address `addr`, if a file-backed segment or section holds them.
    pub fn read_addr<'a>(&self, data: &'a [u8], addr: u64, len: u64) -> Option<&'a [u8]> {
        let ranges = self
            .segments
            .iter()
            .copied()
            .chain(self.sections.iter().map(|s| Segment {
                addr: s.addr,
                offset: s.offset,
                filesz: s.size,
            }));
        for seg in ranges {
            if addr >= seg.addr && addr.checked_add(len)? <= seg.addr.checked_add(seg.filesz)? {
                return slice(data, seg.offset.checked_add(addr - seg.addr)?, len);
            }
        }
        None
    }

    /// PE: data directory `index` when it is present and non-empty.
    pub fn pe_directory(&self, index: usize) -> Option<(u32, u32)> {
        self.pe_directories
            .get(index)
            .copied()
            .filter(|&(rva, size)| rva != 0 && size != 0)
    }

    /// PE: the file offset of a relative virtual address, when a section's file data
    /// holds it.
    pub fn rva_offset(&self, rva: u32) -> Option<u64> {
        let addr = self.image_base.checked_add(u64::from(rva))?;
        self.sections
            .iter()
            .find(|s| addr >= s.addr && addr - s.addr < s.size)
            .and_then(|s| s.offset.checked_add(addr - s.addr))
    }

    /// Reads a pointer-sized unsigned integer at the start of `bytes`.
    pub fn read_ptr(&self, bytes: &[u8]) -> Option<u64> {
        self.endian.word(bytes, self.ptr_size == 8)
    }
}

/// `data[off..off+len]` with overflow and bounds checks.
pub fn slice(data: &[u8], off: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(off).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    data.get(start..end)
}

/// The byte order of an executable's integers: one reader for ELF, PE and Mach-O files
/// of either order (and the Go build info header, which names its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    /// Least significant byte first (x86, most ARM; every PE file).
    Little,
    /// Most significant byte first (s390x, PowerPC, big-endian MIPS; fat Mach-O headers).
    Big,
}

/// One `Endian` method per integer width: the integer at the start of `bytes`, `None`
/// when `bytes` is too short.
macro_rules! endian_read {
    ($($name:ident: $t:ty),*) => {$(
        #[doc = concat!("The `", stringify!($t), "` at the start of `bytes` (`None` when too short).")]
        pub fn $name(self, bytes: &[u8]) -> Option<$t> {
            let b = bytes.get(..size_of::<$t>())?.try_into().ok()?;
            Some(match self {
                Endian::Little => <$t>::from_le_bytes(b),
                Endian::Big => <$t>::from_be_bytes(b),
            })
        }
    )*};
}

impl Endian {
    endian_read!(u16: u16, u32: u32, u64: u64);

    /// A word of the given width (8 bytes when `wide`, else 4) at the start of `bytes`.
    pub fn word(self, bytes: &[u8], wide: bool) -> Option<u64> {
        if wide {
            self.u64(bytes)
        } else {
            self.u32(bytes).map(u64::from)
        }
    }
}

/// Integers at offsets of a file, in its byte order.
#[derive(Clone, Copy)]
struct Reader<'a> {
    data: &'a [u8],
    endian: Endian,
}

impl Reader<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        self.endian.u16(self.data.get(at..)?)
    }
    fn u32(&self, at: usize) -> Option<u32> {
        self.endian.u32(self.data.get(at..)?)
    }
    fn u64(&self, at: usize) -> Option<u64> {
        self.endian.u64(self.data.get(at..)?)
    }
    /// A word of the given width (4 or 8 bytes).
    fn word(&self, at: usize, wide: bool) -> Option<u64> {
        self.endian.word(self.data.get(at..)?, wide)
    }
}

/// A NUL-terminated (or fixed-width) name.
fn cstr(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Checks that `count` entries of `size` bytes at `off` fit in the data.
fn table_fits(data: &[u8], off: u64, count: usize, size: usize) -> bool {
    count <= MAX_ENTRIES
        && count
            .checked_mul(size)
            .and_then(|total| slice(data, off, total as u64))
            .is_some()
}

fn parse_elf(data: &[u8]) -> Option<Binary> {
    let wide = match data.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let endian = match data.get(5)? {
        1 => Endian::Little,
        2 => Endian::Big,
        _ => return None,
    };
    let r = Reader { data, endian };
    let (phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx) = if wide {
        (
            r.u64(0x20)?,
            r.u64(0x28)?,
            r.u16(0x36)?,
            r.u16(0x38)?,
            r.u16(0x3a)?,
            r.u16(0x3c)?,
            r.u16(0x3e)?,
        )
    } else {
        (
            u64::from(r.u32(0x1c)?),
            u64::from(r.u32(0x20)?),
            r.u16(0x2a)?,
            r.u16(0x2c)?,
            r.u16(0x2e)?,
            r.u16(0x30)?,
            r.u16(0x32)?,
        )
    };
    let mut bin = Binary {
        format: Format::Elf,
        endian,
        ptr_size: if wide { 8 } else { 4 },
        sections: Vec::new(),
        segments: Vec::new(),
        image_base: 0,
        pe_directories: Vec::new(),
    };
    let (phentsize, phnum) = (phentsize as usize, phnum as usize);
    let min_ph = if wide { 56 } else { 32 };
    if phoff != 0 && phentsize >= min_ph && table_fits(data, phoff, phnum, phentsize) {
        for i in 0..phnum {
            let at = phoff as usize + i * phentsize;
            const PT_LOAD: u32 = 1;
            if r.u32(at)? != PT_LOAD {
                continue;
            }
            let (offset, vaddr, filesz) = if wide {
                (r.u64(at + 8)?, r.u64(at + 16)?, r.u64(at + 32)?)
            } else {
                (
                    u64::from(r.u32(at + 4)?),
                    u64::from(r.u32(at + 8)?),
                    u64::from(r.u32(at + 16)?),
                )
            };
            bin.segments.push(Segment {
                addr: vaddr,
                offset,
                filesz,
            });
        }
    }
    let (shentsize, shnum) = (shentsize as usize, shnum as usize);
    let min_sh = if wide { 64 } else { 40 };
    if shoff == 0 || shentsize < min_sh || !table_fits(data, shoff, shnum, shentsize) {
        return Some(bin);
    }
    let header = |i: usize| -> Option<(u32, u32, u64, u64, u64)> {
        let at = shoff as usize + i * shentsize;
        let (name, ty) = (r.u32(at)?, r.u32(at + 4)?);
        if wide {
            Some((name, ty, r.u64(at + 16)?, r.u64(at + 24)?, r.u64(at + 32)?))
        } else {
            Some((
                name,
                ty,
                u64::from(r.u32(at + 12)?),
                u64::from(r.u32(at + 16)?),
                u64::from(r.u32(at + 20)?),
            ))
        }
    };
    let names = (shstrndx as usize) < shnum;
    let strtab = if names {
        header(shstrndx as usize).and_then(|(_, _, _, off, size)| slice(data, off, size))
    } else {
        None
    };
    for i in 0..shnum {
        let Some((name_off, ty, addr, offset, size)) = header(i) else {
            break;
        };
        const SHT_NOBITS: u32 = 8;
        if ty == 0 || ty == SHT_NOBITS {
            continue;
        }
        let name = strtab
            .and_then(|t| t.get(name_off as usize..))
            .map(cstr)
            .unwrap_or_default();
        bin.sections.push(Section {
            name,
            addr,
            offset,
            size,
        });
    }
    Some(bin)
}

fn parse_pe(data: &[u8]) -> Option<Binary> {
    let r = Reader {
        data,
        endian: Endian::Little,
    };
    let pe = r.u32(0x3c)? as usize;
    if data.get(pe..pe.checked_add(4)?)? != b"PE\0\0" {
        return None;
    }
    let coff = pe + 4;
    let nsections = r.u16(coff + 2)? as usize;
    let symtab = u64::from(r.u32(coff + 8)?);
    let nsyms = u64::from(r.u32(coff + 12)?);
    let opt_size = r.u16(coff + 16)? as usize;
    let opt = coff + 20;
    let (wide, image_base) = match r.u16(opt)? {
        0x10b => (false, u64::from(r.u32(opt + 28)?)),
        0x20b => (true, r.u64(opt + 24)?),
        _ => (false, 0),
    };
    let table = opt + opt_size;
    let dirs_at = match r.u16(opt)? {
        0x10b => Some(opt + 96),
        0x20b => Some(opt + 112),
        _ => None,
    };
    let mut pe_directories = Vec::new();
    if let Some(dirs_at) = dirs_at {
        let count = r.u32(dirs_at - 4).unwrap_or(0).min(16) as usize;
        for i in 0..count {
            let at = dirs_at + 8 * i;
            if at + 8 > table {
                break;
            }
            match (r.u32(at), r.u32(at + 4)) {
                (Some(rva), Some(size)) => pe_directories.push((rva, size)),
                _ => break,
            }
        }
    }
    let mut bin = Binary {
        format: Format::Pe,
        endian: Endian::Little,
        ptr_size: if wide { 8 } else { 4 },
        sections: Vec::new(),
        segments: Vec::new(),
        image_base,
        pe_directories,
    };
    if !table_fits(data, table as u64, nsections, 40) {
        return Some(bin);
    }
    // Long names are `/<decimal offset>` into the COFF string table after the symbols.
    let strings_at = symtab.checked_add(nsyms.checked_mul(18)?)?;
    for i in 0..nsections {
        let at = table + i * 40;
        let raw_name = data.get(at..at + 8)?;
        let mut name = cstr(raw_name);
        let long = name.strip_prefix('/').and_then(|n| n.parse::<u64>().ok());
        if let Some(off) = long.filter(|_| symtab != 0) {
            if let Some(rest) = strings_at
                .checked_add(off)
                .and_then(|o| data.get(usize::try_from(o).ok()?..))
            {
                name = cstr(&rest[..rest.len().min(256)]);
            }
        }
        let vsize = u64::from(r.u32(at + 8)?);
        let vaddr = u64::from(r.u32(at + 12)?);
        let raw_size = u64::from(r.u32(at + 16)?);
        let raw_ptr = u64::from(r.u32(at + 20)?);
        if raw_ptr == 0 || raw_size == 0 {
            continue;
        }
        let size = if vsize == 0 { raw_size } else { vsize.min(raw_size) };
        let addr = image_base.checked_add(vaddr)?;
        bin.sections.push(Section {
            name,
            addr,
            offset: raw_ptr,
            size,
        });
        bin.segments.push(Segment {
            addr,
            offset: raw_ptr,
            filesz: size,
        });
    }
    Some(bin)
}

fn parse_macho(data: &[u8]) -> Option<Binary> {
    let magic = data.get(..4)?;
    let (wide, endian) = match magic {
        [0xce, 0xfa, 0xed, 0xfe] => (false, Endian::Little),
        [0xcf, 0xfa, 0xed, 0xfe] => (true, Endian::Little),
        [0xfe, 0xed, 0xfa, 0xce] => (false, Endian::Big),
        [0xfe, 0xed, 0xfa, 0xcf] => (true, Endian::Big),
        _ => return None,
    };
    let r = Reader { data, endian };
    let ncmds = r.u32(16)? as usize;
    let mut at = if wide { 32 } else { 28 };
    let mut bin = Binary {
        format: Format::MachO,
        endian,
        ptr_size: if wide { 8 } else { 4 },
        sections: Vec::new(),
        segments: Vec::new(),
        image_base: 0,
        pe_directories: Vec::new(),
    };
    for _ in 0..ncmds.min(MAX_ENTRIES) {
        let (Some(cmd), Some(size)) = (r.u32(at), r.u32(at + 4)) else {
            break;
        };
        let size = size as usize;
        if size < 8 || at.checked_add(size).is_none_or(|end| end > data.len()) {
            break;
        }
        const LC_SEGMENT: u32 = 0x1;
        const LC_SEGMENT_64: u32 = 0x19;
        if cmd == LC_SEGMENT || cmd == LC_SEGMENT_64 {
            let w = cmd == LC_SEGMENT_64;
            let (addr, fileoff, filesz, nsects, first, sect_size) = if w {
                (
                    r.u64(at + 24)?,
                    r.u64(at + 40)?,
                    r.u64(at + 48)?,
                    r.u32(at + 64)?,
                    at + 72,
                    80,
                )
            } else {
                (
                    u64::from(r.u32(at + 24)?),
                    u64::from(r.u32(at + 32)?),
                    u64::from(r.u32(at + 36)?),
                    r.u32(at + 48)?,
                    at + 56,
                    68,
                )
            };
            if filesz > 0 {
                bin.segments.push(Segment {
                    addr,
                    offset: fileoff,
                    filesz,
                });
            }
            let nsects = nsects as usize;
            if nsects.checked_mul(sect_size).is_some_and(|t| first + t <= at + size) {
                for s in 0..nsects {
                    let sa = first + s * sect_size;
                    let name = cstr(data.get(sa..sa + 16)?);
                    let (saddr, ssize, soff) = (
                        r.word(sa + 32, w)?,
                        r.word(sa + if w { 40 } else { 36 }, w)?,
                        u64::from(r.u32(sa + if w { 48 } else { 40 })?),
                    );
                    let flags = r.u32(sa + if w { 64 } else { 56 })?;
                    // S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL have no file data.
                    if matches!(flags & 0xff, 0x1 | 0xc | 0x12) || soff == 0 {
                        continue;
                    }
                    bin.sections.push(Section {
                        name,
                        addr: saddr,
                        offset: soff,
                        size: ssize,
                    });
                }
            }
        }
        at += size;
    }
    Some(bin)
}

/// Runs every reader of this module on arbitrary bytes (the `binaries` fuzz target).
pub fn fuzz_entry(data: &[u8]) {
    for part in slices(data) {
        let Some(bin) = parse(part) else { continue };
        for s in bin.sections.iter().take(64) {
            let _ = bin.section_data(part, &s.name);
            let _ = bin.read_addr(part, s.addr, 8).map(|b| bin.read_ptr(b));
        }
        for i in 0..16 {
            if let Some((rva, size)) = bin.pe_directory(i) {
                let _ = bin.rva_offset(rva);
                let _ = bin.rva_offset(rva.saturating_add(size));
            }
        }
    }
}

/// Test support: a minimal ELF64 little-endian file with the given sections (name,
/// address, contents) and one PT_LOAD segment per section. Not for production use.
#[doc(hidden)]
pub fn test_elf64(sections: &[(&str, u64, &[u8])]) -> Vec<u8> {
    let mut out = vec![0u8; 64];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2;
    out[5] = 1;
    out[6] = 1;
    let mut placed = Vec::new();
    for (_, _, body) in sections {
        out.resize(out.len().next_multiple_of(16), 0);
        placed.push(out.len() as u64);
        out.extend_from_slice(body);
    }
    let mut shstrtab = vec![0u8];
    let mut name_offs = Vec::new();
    for (name, _, _) in sections {
        name_offs.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
    }
    let shstr_name = shstrtab.len() as u32;
    shstrtab.extend_from_slice(b".shstrtab\0");
    let shstr_off = out.len() as u64;
    out.extend_from_slice(&shstrtab);
    out.resize(out.len().next_multiple_of(8), 0);
    let phoff = out.len() as u64;
    for (i, (_, addr, body)) in sections.iter().enumerate() {
        let mut ph = vec![0u8; 56];
        ph[..4].copy_from_slice(&1u32.to_le_bytes());
        ph[8..16].copy_from_slice(&placed[i].to_le_bytes());
        ph[16..24].copy_from_slice(&addr.to_le_bytes());
        ph[32..40].copy_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&ph);
    }
    let shoff = out.len() as u64;
    out.extend_from_slice(&[0u8; 64]);
    let mut sh = |name: u32, ty: u32, addr: u64, off: u64, size: u64| {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(&name.to_le_bytes());
        h[4..8].copy_from_slice(&ty.to_le_bytes());
        h[16..24].copy_from_slice(&addr.to_le_bytes());
        h[24..32].copy_from_slice(&off.to_le_bytes());
        h[32..40].copy_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&h);
    };
    for (i, (_, addr, body)) in sections.iter().enumerate() {
        sh(name_offs[i], 1, *addr, placed[i], body.len() as u64);
    }
    sh(shstr_name, 3, 0, shstr_off, shstrtab.len() as u64);
    out[0x20..0x28].copy_from_slice(&phoff.to_le_bytes());
    out[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
    out[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
    out[0x38..0x3a].copy_from_slice(&(sections.len() as u16).to_le_bytes());
    out[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    out[0x3c..0x3e].copy_from_slice(&(sections.len() as u16 + 2).to_le_bytes());
    out[0x3e..0x40].copy_from_slice(&(sections.len() as u16 + 1).to_le_bytes());
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub use super::test_elf64 as elf64;

    #[test]
    fn pe_directories_and_relative_addresses() {
        let pe = crate::dotnet::build_test_pe(&[("ProductName", "X")], true);
        let bin = parse(&pe).unwrap();
        assert_eq!(bin.format, Format::Pe);
        // The test file: resources at RVA 0x1000 (file offset 0x200), a CLR header entry.
        let (res, size) = bin.pe_directory(2).unwrap();
        assert_eq!(res, 0x1000);
        assert!(size > 0);
        assert_eq!(bin.pe_directory(14), Some((0x2000, 72)));
        assert_eq!(bin.pe_directory(3), None, "an empty directory is absent");
        assert_eq!(bin.rva_offset(0x1000), Some(0x200));
        assert_eq!(bin.rva_offset(0x1010), Some(0x210));
        assert_eq!(bin.rva_offset(0x0fff), None);
        assert_eq!(bin.rva_offset(0x1000 + size), None, "past the section's file data");
        let plain = crate::dotnet::build_test_pe(&[], false);
        assert_eq!(parse(&plain).unwrap().pe_directory(14), None);
    }

    #[test]
    fn hostile_executables_never_panic() {
        let pe = crate::dotnet::build_test_pe(&[("ProductName", "X"), ("ProductVersion", "1.0")], true);
        let elf = elf64(&[
            (".data", 0x1000, b"hello world"),
            (".go.buildinfo", 0x2000, &[0xff; 64]),
        ]);
        for file in [pe, elf] {
            for cut in 0..file.len() {
                fuzz_entry(&file[..cut]);
            }
            for i in 0..file.len() {
                for flip in [0xff, 0x80, 0x01] {
                    let mut m = file.clone();
                    m[i] ^= flip;
                    fuzz_entry(&m);
                }
            }
        }
    }

    #[test]
    fn elf_sections_and_addresses() {
        let elf = elf64(&[(".data", 0x1000, b"hello world"), (".dep-v0", 0x2000, b"xyz")]);
        assert!(looks_executable(&elf));
        let bin = parse(&elf).unwrap();
        assert_eq!(bin.format, Format::Elf);
        assert_eq!(bin.section_data(&elf, ".dep-v0"), Some(&b"xyz"[..]));
        assert_eq!(bin.read_addr(&elf, 0x1006, 5), Some(&b"world"[..]));
        assert_eq!(bin.read_addr(&elf, 0x1006, 6), None);
        assert_eq!(bin.read_ptr(&[1, 0, 0, 0, 0, 0, 0, 0]), Some(1));
    }

    /// A 64-bit Mach-O file in the given byte order: one segment holding one `__data`
    /// section (13 bytes at address 0x4000, file offset 0x100).
    fn macho64(endian: Endian) -> Vec<u8> {
        let mut out = vec![0u8; 0x100];
        let mut put = |at: usize, v: u64, width: usize| {
            let b = match endian {
                Endian::Little => v.to_le_bytes()[..width].to_vec(),
                Endian::Big => v.to_be_bytes()[8 - width..].to_vec(),
            };
            out[at..at + width].copy_from_slice(&b);
        };
        put(0, 0xfeed_facf, 4); // 64-bit magic, in the file's order
        put(16, 1, 4); // one load command
        put(20, 152, 4);
        let cmd = 32;
        put(cmd, 0x19, 4); // LC_SEGMENT_64
        put(cmd + 4, 152, 4);
        put(cmd + 24, 0x4000, 8);
        put(cmd + 32, 0x1000, 8);
        put(cmd + 40, 0x100, 8);
        put(cmd + 48, 13, 8);
        put(cmd + 64, 1, 4); // one section
        let sect = cmd + 72;
        put(sect + 32, 0x4000, 8);
        put(sect + 40, 13, 8);
        put(sect + 48, 0x100, 4);
        out[sect..sect + 6].copy_from_slice(b"__data");
        out.extend_from_slice(b"hello, mach-o");
        out
    }

    #[test]
    fn both_byte_orders_read_alike() {
        for endian in [Endian::Little, Endian::Big] {
            let file = macho64(endian);
            let bin = parse(&file).unwrap();
            assert_eq!((bin.format, bin.endian, bin.ptr_size), (Format::MachO, endian, 8));
            assert_eq!(bin.section_data(&file, "__data"), Some(&b"hello, mach-o"[..]));
            assert_eq!(bin.read_addr(&file, 0x4007, 6), Some(&b"mach-o"[..]));
        }
        assert_eq!(Endian::Big.word(&[0, 0, 0, 1, 9], false), Some(1));
        assert_eq!(Endian::Little.word(&[1, 0, 0, 0, 0, 0, 0, 0], true), Some(1));
        assert_eq!(Endian::Big.u16(&[1, 2]), Some(0x102));
        assert_eq!(Endian::Little.u32(&[1, 2, 3]), None, "too short");
    }

    #[test]
    fn truncated_tables_do_not_panic() {
        let elf = elf64(&[(".data", 0x1000, b"hello")]);
        for n in 0..elf.len() {
            let _ = parse(&elf[..n]);
        }
        let mut pe = vec![0u8; 0x200];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x40;
        pe[0x40..0x44].copy_from_slice(b"PE\0\0");
        pe[0x46] = 0xff; // 255 sections that do not fit
        assert!(parse(&pe).unwrap().sections.is_empty());
        assert!(parse(&[0xcf, 0xfa, 0xed, 0xfe, 0, 0, 0, 0]).is_none());
        assert!(slices(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]).is_empty());
    }
}
