//! Small file helpers shared by every module: atomic writes.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` so that the file appears whole or not at all:
/// the data goes to a temporary file in the same folder, is flushed, and is
/// renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    with_atomic_writer(path, |w| w.write_all(bytes))
}

/// Says plainly why `path` (in folder `dir`) cannot be written, instead of
/// the bare OS error from creating the temporary file or renaming it.
fn check_writable_target(path: &Path, dir: &Path) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    if path.is_dir() {
        return Err(Error::new(ErrorKind::InvalidInput, "is a folder, expected a file path"));
    }
    if std::fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
        return Ok(());
    }
    // The nearest ancestor that exists says what is wrong.
    for ancestor in dir.ancestors() {
        match std::fs::metadata(ancestor) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => {
                return Err(Error::new(ErrorKind::InvalidInput, format!("{} is a file, not a folder", ancestor.display())))
            }
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => continue,
            // Not readable, or some other trouble: creating the file reports it.
            Err(_) => return Ok(()),
        }
    }
    Err(Error::new(ErrorKind::NotFound, format!("the folder {} does not exist", dir.display())))
}

/// Calls `write` with a buffered writer on a temporary file beside `path`,
/// then renames it into place. On any error the temporary file is removed and
/// `path` is untouched.
pub fn with_atomic_writer<F>(path: &Path, write: F) -> std::io::Result<()>
where
    F: FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
{
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "output path has no file name"))?;
    check_writable_target(path, &dir)?;
    let tmp = dir.join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_leaves_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        write_atomic(&p, b"hello").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"hello");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        std::fs::write(&p, b"old").unwrap();
        let e = with_atomic_writer(&p, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("boom"))
        });
        assert!(e.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn says_why_a_path_cannot_be_written() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("afile");
        std::fs::write(&file, b"x").unwrap();
        let e = write_atomic(&d.path().join("nodir/deeper/out.json"), b"{}").unwrap_err();
        assert!(e.to_string().contains("nodir/deeper") && e.to_string().contains("does not exist"), "{e}");
        let e = write_atomic(&file.join("out.json"), b"{}").unwrap_err();
        assert!(e.to_string().contains("afile is a file"), "{e}");
        let e = write_atomic(&file.join("sub/out.json"), b"{}").unwrap_err();
        assert!(e.to_string().contains("afile is a file"), "{e}");
        let e = write_atomic(d.path(), b"{}").unwrap_err();
        assert!(e.to_string().contains("is a folder"), "{e}");
        assert_eq!(std::fs::read(&file).unwrap(), b"x");
        assert!(!d.path().join("nodir").exists());
    }
}
