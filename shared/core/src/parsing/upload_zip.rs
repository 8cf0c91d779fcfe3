//! The zip of a certificate import: one or more `.pem` files, or one `.xml` file.
//! Entry names are only ever compared and reported, never used as paths.

use std::io::{Cursor, Read, Seek, SeekFrom};

use flate2::{Decompress, FlushDecompress, Status};
use zip::{CompressionMethod, ZipArchive};

use crate::domain::UploadFormat;
use crate::parsing::{pem, xml};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    pub max_entries: usize,
    pub max_entry_size: u64,
    pub max_total_size: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_entries: 10_000,
            max_entry_size: 64 * 1024 * 1024,
            // Room for the largest upload URL file (1 GiB) of PEM, which inflates ~2x.
            max_total_size: 4 * 1024 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipError {
    #[error("the file is not a zip archive ({0}): put the .pem files, or the one .xml file, in a .zip and upload that")]
    NotAZip(String),
    #[error("the zip holds no .pem or .xml file")]
    NoCertificateFiles,
    #[error("the zip holds `{0}`; only .pem files, or one .xml file, are accepted")]
    UnsupportedFile(String),
    #[error("the zip mixes .pem and .xml files; put either .pem files or one .xml file in it")]
    MixedFormats,
    #[error("the zip holds {0} .xml files; put all certificates in one .xml file")]
    SeveralXmlFiles(usize),
    #[error("the zip holds more than {0} entries")]
    TooManyEntries(usize),
    #[error("`{name}` is larger than {limit} bytes uncompressed")]
    EntryTooLarge { name: String, limit: u64 },
    #[error("the zip is larger than {0} bytes uncompressed")]
    TotalTooLarge(u64),
    #[error("`{0}` is encrypted; upload a zip without a password")]
    Encrypted(String),
    #[error("the zip holds several entries with the same name; give each file its own name")]
    DuplicateNames,
    #[error("`{0}` is a symbolic link; put the certificate files themselves in the zip")]
    Symlink(String),
    #[error("`{name}` cannot be read from the zip ({detail})")]
    UnreadableEntry { name: String, detail: String },
    #[error("`{name}`: {source}")]
    Xml {
        name: String,
        #[source]
        source: xml::XmlError,
    },
}

/// Files up to this size are held compressed, to be inflated elsewhere (by a parsing task,
/// or a counting thread); larger ones are inflated as they are read, holding only their
/// contents.
pub const SMALL_FILE_BYTES: u64 = 1 << 20;

/// Files, and their compressed bytes, one counting thread takes at a time.
const COUNT_BATCH_FILES: usize = 128;
const COUNT_BATCH_BYTES: usize = 256 * 1024;

/// One certificate file of the upload as the zip stores it, its size within the limits.
pub struct RawFile {
    pub name: String,
    method: CompressionMethod,
    crc: u32,
    /// Uncompressed, as the central directory declares it.
    size: u64,
    compressed: Vec<u8>,
}

impl RawFile {
    /// Uncompressed, as declared.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn compressed_len(&self) -> usize {
        self.compressed.len()
    }

    /// Its contents, with `inflater` (reset first): exactly its declared size, or refused
    /// (a header that understates it cannot slip a larger file past the limits), and
    /// matching its CRC-32.
    pub fn inflate(self, inflater: &mut Decompress) -> Result<UploadFile, ZipError> {
        let RawFile {
            name,
            method,
            crc,
            size,
            compressed,
        } = self;
        let contents = match method {
            CompressionMethod::Stored => compressed,
            CompressionMethod::Deflated => match inflate(inflater, &compressed, size) {
                Ok(contents) => contents,
                Err(detail) => return Err(unreadable(&name, &detail)),
            },
            other => {
                let detail = format!("compression method {other} is not supported; use deflate");
                return Err(unreadable(&name, &detail));
            }
        };
        if contents.len() as u64 != size {
            return Err(unreadable(
                &name,
                &"its size is not the one its header declares: the zip is damaged",
            ));
        }
        if crc32fast::hash(&contents) != crc {
            return Err(unreadable(
                &name,
                &"its CRC-32 does not match: the zip is damaged",
            ));
        }
        Ok(UploadFile { name, contents })
    }
}

fn unreadable(name: &str, e: &dyn std::fmt::Display) -> ZipError {
    ZipError::UnreadableEntry {
        name: name.to_string(),
        detail: e.to_string(),
    }
}

/// One certificate file of the upload, decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadFile {
    pub name: String,
    pub contents: Vec<u8>,
}

/// An upload's zip, read from memory or (for large uploads) from a spooled file.
pub struct UploadArchive<R> {
    archive: ZipArchive<R>,
    /// (entry index, name, declared size) of each certificate file, in archive order.
    files: Vec<(usize, String, u64)>,
    format: UploadFormat,
    limits: ZipLimits,
    total_read: u64,
    /// One inflater for every entry read here: made once, not per entry.
    inflater: Decompress,
}

/// The entry count the end-of-central-directory record declares (`None` for zip64's
/// placeholder, or when there is no such record). Leaves `reader` at its start.
fn declared_entries<R: Read + Seek>(reader: &mut R) -> std::io::Result<Option<usize>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let len = reader.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + u64::from(u16::MAX));
    reader.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0; tail_len as usize];
    reader.read_exact(&mut tail)?;
    reader.seek(SeekFrom::Start(0))?;
    let declared = tail.windows(4).rposition(|w| w == EOCD).and_then(|at| {
        let total = tail.get(at + 10..at + 12)?;
        let total = u16::from_le_bytes([total[0], total[1]]);
        (total != u16::MAX).then_some(usize::from(total))
    });
    Ok(declared)
}

impl<'a> UploadArchive<Cursor<&'a [u8]>> {
    /// A zip held in memory; see [`UploadArchive::from_reader`].
    pub fn open(bytes: &'a [u8], limits: ZipLimits) -> Result<Self, ZipError> {
        Self::from_reader(Cursor::new(bytes), limits)
    }
}

impl<R: Read + Seek> UploadArchive<R> {
    /// Reads the central directory and checks what the zip holds, without inflating anything.
    pub fn from_reader(mut reader: R, limits: ZipLimits) -> Result<Self, ZipError> {
        let declared = declared_entries(&mut reader).map_err(|e| ZipError::NotAZip(e.to_string()))?;
        let archive = ZipArchive::new(reader).map_err(|e| ZipError::NotAZip(e.to_string()))?;
        if archive.len() > limits.max_entries {
            return Err(ZipError::TooManyEntries(limits.max_entries));
        }
        // The zip reader keeps one entry per name: more entries declared than it kept
        // means names repeat, and a file would be silently dropped.
        if declared.is_some_and(|declared| declared > archive.len()) {
            return Err(ZipError::DuplicateNames);
        }
        let mut files = Vec::new();
        let (mut pem_files, mut xml_files) = (0usize, 0usize);
        for index in 0..archive.len() {
            // The central directory's record only: no entry is read (a shard reading a
            // remote upload fetches only its own entries).
            let entry = archive
                .by_index_data(index)
                .map_err(|e| ZipError::NotAZip(e.to_string()))?;
            let name = entry
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(entry.name_raw()).into_owned());
            if entry.is_dir() || is_os_metadata(&name) {
                continue;
            }
            if entry.is_symlink() {
                return Err(ZipError::Symlink(name));
            }
            if entry.encrypted() {
                return Err(ZipError::Encrypted(name));
            }
            match UploadFormat::from_file_name(&name) {
                Some(UploadFormat::Pem) => pem_files += 1,
                Some(UploadFormat::Xml) => xml_files += 1,
                None => return Err(ZipError::UnsupportedFile(name)),
            }
            files.push((index, name, entry.size()));
        }
        let format = match (pem_files, xml_files) {
            (0, 0) => return Err(ZipError::NoCertificateFiles),
            (_, 0) => UploadFormat::Pem,
            (0, 1) => UploadFormat::Xml,
            (0, n) => return Err(ZipError::SeveralXmlFiles(n)),
            _ => return Err(ZipError::MixedFormats),
        };
        Ok(UploadArchive {
            archive,
            files,
            format,
            limits,
            total_read: 0,
            inflater: Decompress::new(false),
        })
    }

    pub fn format(&self) -> UploadFormat {
        self.format
    }

    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// The `n`th file's size, as its header declares it.
    pub fn file_size(&self, n: usize) -> Option<u64> {
        self.files.get(n).map(|(_, _, size)| *size)
    }

    /// Whether the `n`th file is small enough to hold compressed and inflated at once
    /// (a larger one is inflated as it is read).
    pub fn is_small(&self, n: usize) -> bool {
        self.file_size(n).is_some_and(|size| size <= SMALL_FILE_BYTES)
    }

    /// Inflates the `n`th certificate file, enforcing the size limits whatever the headers
    /// claim, and checking its CRC-32.
    pub fn read_file(&mut self, n: usize) -> Result<UploadFile, ZipError> {
        if self.is_small(n) {
            let raw = self.raw_file(n)?;
            return self.inflate(raw);
        }
        self.stream_file(n)
    }

    /// A large file inflated as it is read: only its contents are held.
    fn stream_file(&mut self, n: usize) -> Result<UploadFile, ZipError> {
        let Some((index, name, _)) = self.files.get(n).cloned() else {
            return Err(unreadable(&format!("#{n}"), &"no such file"));
        };
        let entry = self.archive.by_index(index).map_err(|e| unreadable(&name, &e))?;
        let remaining_total = self.limits.max_total_size.saturating_sub(self.total_read);
        let cap = self.limits.max_entry_size.min(remaining_total);
        let mut contents = Vec::with_capacity(entry.size().min(cap).min(1 << 20) as usize);
        // zip checks the CRC-32 when the entry ends.
        entry
            .take(cap + 1)
            .read_to_end(&mut contents)
            .map_err(|e| unreadable(&name, &e))?;
        if contents.len() as u64 > cap {
            return Err(if cap < self.limits.max_entry_size {
                ZipError::TotalTooLarge(self.limits.max_total_size)
            } else {
                ZipError::EntryTooLarge {
                    name,
                    limit: self.limits.max_entry_size,
                }
            });
        }
        self.total_read += contents.len() as u64;
        Ok(UploadFile { name, contents })
    }

    /// `raw` inflated with this archive's inflater.
    pub fn inflate(&mut self, raw: RawFile) -> Result<UploadFile, ZipError> {
        raw.inflate(&mut self.inflater)
    }

    /// The `n`th certificate file as stored (to inflate elsewhere, with [`RawFile::inflate`]).
    /// Its size counts against the limits as its header declares it; inflating it checks
    /// that it is that size.
    pub fn raw_file(&mut self, n: usize) -> Result<RawFile, ZipError> {
        let Some((index, name, _)) = self.files.get(n).cloned() else {
            return Err(unreadable(&format!("#{n}"), &"no such file"));
        };
        let remaining_total = self.limits.max_total_size.saturating_sub(self.total_read);
        let entry = match self.archive.by_index_raw(index) {
            Ok(entry) => entry,
            Err(e) => return Err(unreadable(&name, &e)),
        };
        let (method, crc, size) = (entry.compression(), entry.crc32(), entry.size());
        if size > self.limits.max_entry_size {
            return Err(ZipError::EntryTooLarge {
                name,
                limit: self.limits.max_entry_size,
            });
        }
        if size > remaining_total {
            return Err(ZipError::TotalTooLarge(self.limits.max_total_size));
        }
        // Deflate never grows data by more than 5 bytes per 16 KiB block (and a header).
        let compressed_cap = size + size / 1024 + 1024;
        let mut compressed = Vec::with_capacity(entry.compressed_size().min(compressed_cap) as usize);
        let read = entry.take(compressed_cap + 1).read_to_end(&mut compressed);
        if let Err(e) = read {
            return Err(unreadable(&name, &e));
        }
        if compressed.len() as u64 > compressed_cap {
            return Err(unreadable(&name, &"it is larger compressed than its size allows"));
        }
        self.total_read += size;
        Ok(RawFile {
            name,
            method,
            crc,
            size,
            compressed,
        })
    }

    /// Counts the certificates of every file: PEM blocks, or `<certificate>` elements.
    /// PEM files are inflated on every core (with a file per certificate, counting is
    /// mostly inflating); an error is the one of the first file that has one.
    pub fn count_certificates(&mut self) -> Result<u64, ZipError> {
        if self.format == UploadFormat::Xml {
            let mut count = 0u64;
            for n in 0..self.file_count() {
                let file = self.read_file(n)?;
                let found = xml::certificates(&file.contents).map_err(|source| ZipError::Xml {
                    name: file.name.clone(),
                    source,
                })?;
                count += found.len() as u64;
            }
            return Ok(count);
        }
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        std::thread::scope(|scope| {
            let (to, from) = std::sync::mpsc::sync_channel::<(usize, Vec<RawFile>)>(2 * workers);
            let from = std::sync::Arc::new(std::sync::Mutex::new(from));
            let counters: Vec<_> = (0..workers)
                .map(|_| {
                    let from = from.clone();
                    scope.spawn(move || {
                        let mut inflater = Decompress::new(false);
                        let mut counted = Vec::new();
                        loop {
                            let next = from.lock().map_err(|_| ()).and_then(|f| f.recv().map_err(|_| ()));
                            let Ok((batch, files)) = next else {
                                return counted;
                            };
                            let count = files.into_iter().try_fold(0u64, |count, raw| {
                                let file = raw.inflate(&mut inflater)?;
                                Ok(count + pem::count_certificate_blocks(&file.contents) as u64)
                            });
                            counted.push((batch, count));
                        }
                    })
                })
                .collect();
            let mut read_error = None;
            let mut inline = Vec::new();
            let (mut batch, mut files, mut bytes) = (0, Vec::new(), 0);
            for n in 0..self.file_count() {
                if !self.is_small(n) {
                    // Counted here, as it is read, in its place among the batches.
                    if !files.is_empty() && to.send((batch, std::mem::take(&mut files))).is_ok() {
                        (batch, bytes) = (batch + 1, 0);
                    }
                    let counted = self
                        .stream_file(n)
                        .map(|file| pem::count_certificate_blocks(&file.contents) as u64);
                    let failed = counted.is_err();
                    inline.push((batch, counted));
                    batch += 1;
                    if failed {
                        break;
                    }
                    continue;
                }
                match self.raw_file(n) {
                    Ok(raw) => {
                        bytes += raw.compressed_len();
                        files.push(raw);
                    }
                    Err(e) => {
                        // What came before it is counted first: an error there is earlier.
                        if !files.is_empty() && to.send((batch, std::mem::take(&mut files))).is_ok() {
                            batch += 1;
                        }
                        read_error = Some((batch, e));
                        break;
                    }
                }
                if files.len() >= COUNT_BATCH_FILES || bytes >= COUNT_BATCH_BYTES {
                    let full = std::mem::take(&mut files);
                    if to.send((batch, full)).is_err() {
                        break;
                    }
                    (batch, bytes) = (batch + 1, 0);
                }
            }
            if !files.is_empty() {
                let _ = to.send((batch, files));
            }
            drop(to);
            let lost = || ZipError::UnreadableEntry {
                name: "(counting)".into(),
                detail: "a counting thread failed".into(),
            };
            let mut counted: Vec<(usize, Result<u64, ZipError>)> = counters
                .into_iter()
                .flat_map(|counter| counter.join().unwrap_or_else(|_| vec![(0, Err(lost()))]))
                .collect();
            counted.extend(inline);
            counted.extend(read_error.map(|(batch, e)| (batch, Err(e))));
            counted.sort_by_key(|(batch, _)| *batch);
            counted.into_iter().map(|(_, count)| count).sum()
        })
    }
}

/// `compressed` (raw deflate) inflated with `inflater` (reset first): at most `size`
/// bytes are made (one more, to tell that there are more).
fn inflate(inflater: &mut Decompress, compressed: &[u8], size: u64) -> Result<Vec<u8>, String> {
    inflater.reset(false);
    let mut out = Vec::with_capacity(size.min(1 << 20) as usize + 1);
    loop {
        let consumed = (inflater.total_in() as usize).min(compressed.len());
        let status = inflater
            .decompress_vec(&compressed[consumed..], &mut out, FlushDecompress::Finish)
            .map_err(|e| e.to_string())?;
        if out.len() as u64 > size {
            return Err("it inflates to more than its header declares: the zip is damaged".into());
        }
        match status {
            Status::StreamEnd => return Ok(out),
            Status::Ok | Status::BufError if out.len() == out.capacity() => {
                let room = (size + 1).saturating_sub(out.len() as u64).min(1 << 20);
                out.reserve(room.max(1) as usize);
            }
            Status::Ok | Status::BufError => return Err("its compressed data ends early".into()),
        }
    }
}

/// Entries that archivers add on their own (macOS resource forks, Finder and Explorer files).
fn is_os_metadata(name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    name.starts_with("__MACOSX/") || base.starts_with("._") || base == ".DS_Store" || base == "Thumbs.db"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::zip_of;

    #[test]
    fn classifies_pem_and_xml_uploads() {
        let pem = zip_of(&[
            ("a.pem", b"x"),
            ("dir/", b""),
            ("__MACOSX/._a.pem", b"junk"),
            ("b.PEM", b"y"),
        ]);
        let archive = UploadArchive::open(&pem, ZipLimits::default()).unwrap();
        assert_eq!(archive.format(), UploadFormat::Pem);
        assert_eq!(archive.file_count(), 2);

        let xml = zip_of(&[("certs.xml", b"<certificates/>")]);
        assert_eq!(
            UploadArchive::open(&xml, ZipLimits::default()).unwrap().format(),
            UploadFormat::Xml
        );
    }

    #[test]
    fn refuses_what_it_cannot_import() {
        let open = |files: &[(&str, &[u8])]| UploadArchive::open(&zip_of(files), ZipLimits::default()).err();
        assert_eq!(
            open(&[("a.pem", b""), ("b.xml", b"")]),
            Some(ZipError::MixedFormats)
        );
        assert_eq!(
            open(&[("a.xml", b""), ("b.xml", b"")]),
            Some(ZipError::SeveralXmlFiles(2))
        );
        assert_eq!(
            open(&[("notes.txt", b"")]),
            Some(ZipError::UnsupportedFile("notes.txt".into()))
        );
        assert_eq!(open(&[]), Some(ZipError::NoCertificateFiles));
        // A repeated name (patched in, as writers refuse to make one).
        let mut repeated = zip_of(&[("a.pem", b"x"), ("b.pem", b"y")]);
        for at in 0..repeated.len() - 5 {
            if &repeated[at..at + 5] == b"b.pem" {
                repeated[at..at + 5].copy_from_slice(b"a.pem");
            }
        }
        assert_eq!(
            UploadArchive::open(&repeated, ZipLimits::default()).err(),
            Some(ZipError::DuplicateNames)
        );
        assert!(matches!(
            UploadArchive::open(b"PK\x03\x04 not really", ZipLimits::default()),
            Err(ZipError::NotAZip(_))
        ));
    }

    #[test]
    fn enforces_size_limits_while_inflating() {
        let big = vec![b'A'; 10_000];
        let bytes = zip_of(&[("a.pem", &big), ("b.pem", &big)]);
        let limits = ZipLimits {
            max_entries: 10,
            max_entry_size: 9_999,
            max_total_size: 1 << 30,
        };
        let mut archive = UploadArchive::open(&bytes, limits).unwrap();
        assert!(matches!(
            archive.read_file(0),
            Err(ZipError::EntryTooLarge { .. })
        ));

        let limits = ZipLimits {
            max_entries: 10,
            max_entry_size: 10_000,
            max_total_size: 15_000,
        };
        let mut archive = UploadArchive::open(&bytes, limits).unwrap();
        assert_eq!(archive.read_file(0).unwrap().contents.len(), 10_000);
        assert_eq!(archive.read_file(1), Err(ZipError::TotalTooLarge(15_000)));

        let limits = ZipLimits {
            max_entries: 1,
            ..ZipLimits::default()
        };
        assert_eq!(
            UploadArchive::open(&bytes, limits).err(),
            Some(ZipError::TooManyEntries(1))
        );
    }

    #[test]
    fn counts_certificates_per_format() {
        let block = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
        let bytes = zip_of(&[("a.pem", block.repeat(3).as_bytes()), ("b.pem", block.as_bytes())]);
        let mut archive = UploadArchive::open(&bytes, ZipLimits::default()).unwrap();
        assert_eq!(archive.count_certificates().unwrap(), 4);

        let xml = zip_of(&[(
            "c.xml",
            b"<certificates><certificate><pem>AA==</pem></certificate></certificates>",
        )]);
        let mut archive = UploadArchive::open(&xml, ZipLimits::default()).unwrap();
        assert_eq!(archive.count_certificates().unwrap(), 1);

        let bad = zip_of(&[("c.xml", b"<!DOCTYPE x><certificates/>")]);
        let mut archive = UploadArchive::open(&bad, ZipLimits::default()).unwrap();
        assert!(matches!(archive.count_certificates(), Err(ZipError::Xml { .. })));
    }

    /// Many small files, as a zip of a file per certificate is: counted on every core,
    /// each one once.
    #[test]
    fn a_zip_of_many_small_files_is_counted_whole() {
        let pem =
            crate::testing::certs::self_signed(crate::testing::certs::KeyType::EcP256, "/CN=a", None).pem;
        let names: Vec<String> = (0..1000).map(|n| format!("device-{n}.pem")).collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), pem.as_bytes())).collect();
        let zip = zip_of(&files);
        let mut archive = UploadArchive::open(&zip, ZipLimits::default()).unwrap();
        assert_eq!(archive.count_certificates().unwrap(), 1000);
    }

    /// A file whose bytes are not the ones its CRC-32 was made of is refused, counting
    /// and reading alike, naming the file.
    #[test]
    fn a_damaged_file_is_refused_by_its_crc() {
        use std::io::Write;
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        for name in ["a.pem", "b.pem"] {
            writer.start_file(name, stored).unwrap();
            writer
                .write_all(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .unwrap();
        }
        let mut zip = writer.finish().unwrap().into_inner();
        let second = zip.windows(5).rposition(|w| w == b"AAAA\n").unwrap();
        let first_of_b = zip[..second].windows(5).rposition(|w| w == b"b.pem").unwrap();
        let at = zip[first_of_b..].windows(4).position(|w| w == b"AAAA").unwrap() + first_of_b;
        zip[at] = b'B';
        let mut archive = UploadArchive::open(&zip, ZipLimits::default()).unwrap();
        assert!(archive.read_file(0).is_ok());
        let damaged = archive.read_file(1).unwrap_err();
        assert!(
            matches!(&damaged, ZipError::UnreadableEntry { name, detail } if name == "b.pem" && detail.contains("CRC")),
            "{damaged}"
        );
        let counted = UploadArchive::open(&zip, ZipLimits::default())
            .unwrap()
            .count_certificates();
        assert!(
            matches!(counted, Err(ZipError::UnreadableEntry { .. })),
            "{counted:?}"
        );
    }

    /// A file over `SMALL_FILE_BYTES` among small ones is inflated as it is read and
    /// counted in its place.
    #[test]
    fn a_large_file_among_small_ones_is_counted_and_read_whole() {
        let pem =
            crate::testing::certs::self_signed(crate::testing::certs::KeyType::EcP256, "/CN=a", None).pem;
        let copies = (SMALL_FILE_BYTES as usize / pem.len()) + 10;
        let large = pem.repeat(copies);
        let zip = zip_of(&[
            ("a.pem", pem.as_bytes()),
            ("large.pem", large.as_bytes()),
            ("b.pem", pem.as_bytes()),
        ]);
        let mut archive = UploadArchive::open(&zip, ZipLimits::default()).unwrap();
        assert!(archive.is_small(0) && !archive.is_small(1));
        assert_eq!(archive.count_certificates().unwrap(), copies as u64 + 2);
        let mut archive = UploadArchive::open(&zip, ZipLimits::default()).unwrap();
        assert_eq!(archive.read_file(1).unwrap().contents, large.as_bytes());
    }
}
