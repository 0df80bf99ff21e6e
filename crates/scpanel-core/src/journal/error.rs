//! What can go wrong with a show, in sentences a musician can act on.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

/// Why a show can't be saved or read. Its `Display` is the sentence to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalError {
    /// The folder (or the file in it) can't be written: a read-only disk or no permission.
    ReadOnly {
        /// The shows' folder.
        folder: PathBuf,
    },
    /// Something that is not a folder is where the folder should be.
    NotAFolder {
        /// The shows' folder.
        folder: PathBuf,
    },
    /// The disk holding the folder is full (or the user's quota is used up).
    Full {
        /// The shows' folder.
        folder: PathBuf,
    },
    /// Saving failed for another reason.
    Write {
        /// The show's file (or folder).
        path: PathBuf,
        /// What the system or SQLite said.
        detail: String,
    },
    /// A show file can't be read.
    Read {
        /// The file.
        path: PathBuf,
        /// What the system or SQLite said.
        detail: String,
    },
    /// The file is not a scpanel show (or one from a newer scpanel).
    NotAShow {
        /// The file.
        path: PathBuf,
        /// Why not.
        detail: String,
    },
    /// No show in the folder has that id.
    NoSuchShow {
        /// The shows' folder.
        folder: PathBuf,
        /// The id asked for.
        id: String,
    },
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalError::ReadOnly { folder } => write!(
                f,
                "the show can't be saved: {} is read-only: choose another folder for shows",
                folder.display()
            ),
            JournalError::NotAFolder { folder } => write!(
                f,
                "the show can't be saved: {} can't be a folder (a file is in the way): \
                 choose another folder for shows",
                folder.display()
            ),
            JournalError::Full { folder } => write!(
                f,
                "the show can't be saved: the disk holding {} is full: free some space or \
                 choose another folder for shows",
                folder.display()
            ),
            JournalError::Write { path, detail } => {
                write!(f, "the show can't be saved: {}: {detail}", path.display())
            }
            JournalError::Read { path, detail } => {
                write!(f, "the show {} can't be read: {detail}", path.display())
            }
            JournalError::NotAShow { path, detail } => {
                write!(f, "{} is not a scpanel show ({detail})", path.display())
            }
            JournalError::NoSuchShow { folder, id } => {
                write!(f, "no show {id} in {}", folder.display())
            }
        }
    }
}

impl std::error::Error for JournalError {}

impl JournalError {
    /// A failure to write `path` (in `folder`), from the system.
    pub(crate) fn from_io(folder: &Path, path: &Path, e: &io::Error) -> Self {
        let folder = folder.to_path_buf();
        match e.kind() {
            io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied => {
                JournalError::ReadOnly { folder }
            }
            io::ErrorKind::NotADirectory => JournalError::NotAFolder { folder },
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                JournalError::Full { folder }
            }
            // `create_dir_all` under a file says "File exists" on some systems.
            io::ErrorKind::AlreadyExists if !folder.is_dir() => JournalError::NotAFolder { folder },
            _ => JournalError::Write {
                path: path.to_path_buf(),
                detail: e.to_string(),
            },
        }
    }

    /// A failure to write `path` (in `folder`), from SQLite.
    pub(crate) fn from_sqlite(folder: &Path, path: &Path, e: &rusqlite::Error) -> Self {
        let folder = folder.to_path_buf();
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => JournalError::Full { folder },
            Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
                JournalError::ReadOnly { folder }
            }
            Some(ErrorCode::CannotOpen) if !writable(&folder) => JournalError::ReadOnly { folder },
            _ => JournalError::Write {
                path: path.to_path_buf(),
                detail: e.to_string(),
            },
        }
    }

    /// A failure to read `path`, from SQLite.
    pub(crate) fn reading(path: &Path, e: &rusqlite::Error) -> Self {
        JournalError::Read {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    }

    /// Whether it is one of the two a user fixes by choosing a folder or freeing space.
    pub fn is_full(&self) -> bool {
        matches!(self, JournalError::Full { .. })
    }
}

/// Whether a file can be created in `folder` (tried, then removed).
fn writable(folder: &Path) -> bool {
    tempfile::Builder::new()
        .prefix(".scpanel-probe")
        .tempfile_in(folder)
        .is_ok()
}
