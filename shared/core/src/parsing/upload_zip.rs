//! The zip of a certificate import: one or more `.pem` files, or one `.xml` file.
//! Entry names are only ever compared and reported, never used as paths.

use std::io::{Cursor, Read, Seek, SeekFrom};

use zip::ZipArchive;

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

/// One certificate file of the upload, decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadFile {
    pub name: String,
    pub contents: Vec<u8>,
}

/// An upload's zip, read from memory or (for large uploads) from a spooled file.
pub struct UploadArchive<R> {
    archive: ZipArchive<R>,
    /// (entry index, name) of each certificate file, in archive order.
    files: Vec<(usize, String)>,
    format: UploadFormat,
    limits: ZipLimits,
    total_read: u64,
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
            files.push((index, name));
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
        })
    }

    pub fn format(&self) -> UploadFormat {
        self.format
    }

    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Inflates the `n`th certificate file, enforcing the size limits whatever the headers claim.
    pub fn read_file(&mut self, n: usize) -> Result<UploadFile, ZipError> {
        let Some((index, name)) = self.files.get(n).cloned() else {
            return Err(ZipError::UnreadableEntry {
                name: format!("#{n}"),
                detail: "no such file".into(),
            });
        };
        let unreadable = |e: &dyn std::fmt::Display| ZipError::UnreadableEntry {
            name: name.clone(),
            detail: e.to_string(),
        };
        let entry = self.archive.by_index(index).map_err(|e| unreadable(&e))?;
        let remaining_total = self.limits.max_total_size.saturating_sub(self.total_read);
        let cap = self.limits.max_entry_size.min(remaining_total);
        let mut contents = Vec::with_capacity(entry.size().min(cap).min(1 << 20) as usize);
        entry
            .take(cap + 1)
            .read_to_end(&mut contents)
            .map_err(|e| unreadable(&e))?;
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

    /// Counts the certificates of every file: PEM blocks, or `<certificate>` elements.
    pub fn count_certificates(&mut self) -> Result<u64, ZipError> {
        let mut count = 0u64;
        for n in 0..self.file_count() {
            let file = self.read_file(n)?;
            count += match self.format {
                UploadFormat::Pem => pem::count_certificate_blocks(&file.contents) as u64,
                UploadFormat::Xml => xml::certificates(&file.contents)
                    .map_err(|source| ZipError::Xml {
                        name: file.name.clone(),
                        source,
                    })?
                    .len() as u64,
            };
        }
        Ok(count)
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
}
