//! Reading input files (scenario, loan tape, schedules, rating tables): the one place that
//! opens them. Only regular files are read, and at most [`MAX_INPUT_BYTES`]: the size is checked
//! from the file's metadata before opening and enforced again while reading, so a FIFO, a device
//! such as `/dev/zero` or a file that grows while being read cannot hang the program or exhaust
//! memory.

use std::io::{self, Read};
use std::path::Path;

/// Largest input file read, in bytes (64 MiB).
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads `path` as UTF-8 text. Errors say what is wrong without echoing the contents; callers
/// name the file.
pub fn read_text(path: &Path) -> io::Result<String> {
    read_text_limited(path, MAX_INPUT_BYTES)
}

/// Reads `path` as bytes, with the same checks as [`read_text`]: for inputs whose encoding is
/// decided by the caller (loan tapes in GB18030, `.xlsx` workbooks).
pub fn read_bytes(path: &Path) -> io::Result<Vec<u8>> {
    read_bytes_limited(path, MAX_INPUT_BYTES)
}

fn read_bytes_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    check_metadata(&std::fs::metadata(path)?, limit)?;
    let file = open_nonblocking(path)?;
    // The path may have been replaced between the two looks: check what was opened.
    check_metadata(&file.metadata()?, limit)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

fn read_text_limited(path: &Path, limit: u64) -> io::Result<String> {
    let bytes = read_bytes_limited(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
        // The text before the bad byte is intact in the lossy copy: count lines there.
        let before = &lossy[..offset];
        let line = before.matches('\n').count() as u64 + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        io::Error::new(
            io::ErrorKind::InvalidData,
            NotUtf8 {
                offset,
                line,
                column,
                lossy,
            },
        )
    })
}

/// A file that is not UTF-8 text: where its first invalid byte is, and the text with invalid
/// bytes replaced (for excerpts in error messages).
#[derive(Debug)]
pub struct NotUtf8 {
    pub offset: usize,
    pub line: u64,
    pub column: usize,
    pub lossy: String,
}

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not UTF-8 text: invalid byte at line {}, column {} (byte offset {}); save the file as UTF-8",
            self.line, self.column, self.offset
        )
    }
}

impl std::error::Error for NotUtf8 {}

/// The [`NotUtf8`] inside an error of [`read_text`], if that is what it is.
pub fn not_utf8(e: &io::Error) -> Option<&NotUtf8> {
    e.get_ref()?.downcast_ref::<NotUtf8>()
}

/// Opens for reading without blocking: a FIFO swapped in after the metadata check would
/// otherwise block `open` until a writer appears. The opened file is checked again after.
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn check_metadata(meta: &std::fs::Metadata, limit: u64) -> io::Result<()> {
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a pipe, socket or device)"
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{kind}: only regular files are read"),
        ));
    }
    if meta.len() > limit {
        return Err(too_large(limit));
    }
    Ok(())
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "larger than the input size limit of {} MiB ({limit} bytes)",
            limit / (1024 * 1024)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, "id\n").unwrap();
        assert_eq!(read_text_limited(&path, 3).unwrap(), "id\n");
        let err = read_text_limited(&path, 2).unwrap_err().to_string();
        assert!(err.contains("larger than the input size limit"), "{err}");
        assert_eq!(read_bytes_limited(&path, 3).unwrap(), b"id\n");
        let err = read_bytes_limited(&path, 2).unwrap_err().to_string();
        assert!(err.contains("larger than the input size limit"), "{err}");
    }

    #[test]
    fn refuses_folders_and_devices() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_text(dir.path()).unwrap_err().to_string();
        assert!(err.contains("a folder"), "{err}");
        #[cfg(unix)]
        {
            let err = read_text(Path::new("/dev/zero")).unwrap_err().to_string();
            assert!(err.contains("not a regular file"), "{err}");
        }
    }

    #[test]
    fn binary_content_is_not_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.bin");
        std::fs::write(&path, [b'o', b'k', 0xff, 0xfe, b'S', b'E', b'C']).unwrap();
        let err = read_text(&path).unwrap_err().to_string();
        assert!(err.contains("not UTF-8") && !err.contains("SEC"), "{err}");
    }
}
