//! Boot options kept across restarts: the last used set and named profiles, as TOML files in
//! the user's config folder (`~/.config/scpanel` on Linux).
//!
//! A file that can't be used is reported and moved aside as `NAME.bad`, so that the next save
//! can't overwrite what the user had with defaults. Files are written whole or not at all
//! (a temporary file, then a rename), readable by the user only, and without the password
//! unless "remember password" is ticked.

use std::path::{Path, PathBuf};

use scpanel_core::Options;

static FOLDER: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Larger than any profile scpanel writes (about 2 KB); a bigger file is not one of ours.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Longest profile name kept in a file name.
const MAX_NAME_CHARS: usize = 64;

/// Uses `dir` instead of the user's config folder for this process (tests, portable setups).
/// Only the first call counts.
pub fn set_folder(dir: PathBuf) {
    let _ = FOLDER.set(dir);
}

/// The folder a test or a script set apart ([`set_folder`], `SCPANEL_CONFIG_DIR`), if any:
/// what the app keeps elsewhere (its shows) goes beside it then, never in the user's.
pub fn set_apart() -> Option<PathBuf> {
    FOLDER
        .get()
        .cloned()
        .or_else(|| std::env::var_os("SCPANEL_CONFIG_DIR").map(PathBuf::from))
}

/// [`set_folder`]'s folder, else `SCPANEL_CONFIG_DIR`, else the user's config folder.
pub fn folder() -> Option<PathBuf> {
    if let Some(dir) = FOLDER.get() {
        return Some(dir.clone());
    }
    if let Some(dir) = std::env::var_os("SCPANEL_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    dirs::config_dir().map(|d| d.join("scpanel"))
}

fn profile_path(name: &str) -> Result<PathBuf, String> {
    let clean: String = name
        .trim()
        .chars()
        .take(MAX_NAME_CHARS)
        .map(|c| {
            if c.is_alphanumeric() || "-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim();
    if clean.is_empty() {
        return Err("a profile needs a name".into());
    }
    let dir = folder().ok_or("no config folder on this system")?;
    Ok(dir.join("profiles").join(format!("{clean}.toml")))
}

fn last_path() -> Result<PathBuf, String> {
    Ok(folder()
        .ok_or("no config folder on this system")?
        .join("last.toml"))
}

/// The text saved for `options`: without the password unless the user asked to keep it.
fn to_text(options: &Options) -> Result<String, String> {
    let mut saved = options.clone();
    if !saved.remember_password {
        saved.password.clear();
    }
    toml::to_string_pretty(&saved).map_err(|e| format!("cannot write the options: {e}"))
}

fn create_folder(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Writes `text` to `path` whole or not at all, readable by the user only (a profile may
/// hold the password).
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    // The config folder is the user's own (0700) before anything goes in it.
    if let Some(dir) = path.parent() {
        create_folder(dir)?;
    }
    scpanel_core::files::write_atomic(path, text.as_bytes(), true, "profile")
        .map_err(|e| e.to_string())
}

/// Why a file can't be used.
enum ReadError {
    Missing,
    Unusable(String),
    /// A pipe, device or folder at a profile's path: not ours to move aside.
    NotAFile(String),
}

fn read(path: &Path) -> Result<Options, ReadError> {
    use scpanel_core::files::{self, FileError};
    let bytes = match files::read_bounded(path, MAX_FILE_BYTES, "profile") {
        Ok(b) => b,
        Err(e) if e.is_missing() => return Err(ReadError::Missing),
        Err(e @ FileError::NotAFile { .. }) => return Err(ReadError::NotAFile(e.to_string())),
        Err(FileError::TooLarge { .. }) => {
            return Err(ReadError::Unusable(format!(
                "is larger than {} KiB, so it is not a profile",
                MAX_FILE_BYTES / 1024
            )));
        }
        Err(e) => return Err(ReadError::Unusable(format!("cannot be read: {e}"))),
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| ReadError::Unusable("is not text (UTF-8), so it is not a profile".into()))?;
    Options::from_toml(&text).map_err(ReadError::Unusable)
}

/// Moves an unusable file to `NAME.bad` (or `NAME.bad-2`, …, never over an earlier one).
fn set_aside(path: &Path) -> Result<PathBuf, String> {
    let base = path.as_os_str().to_string_lossy().into_owned();
    for n in 1..=100 {
        let bad = PathBuf::from(if n == 1 {
            format!("{base}.bad")
        } else {
            format!("{base}.bad-{n}")
        });
        if bad.symlink_metadata().is_ok() {
            continue;
        }
        return std::fs::rename(path, &bad)
            .map(|()| bad)
            .map_err(|e| format!("could not be moved aside: {e}"));
    }
    Err("could not be moved aside: 100 earlier .bad copies are in the way".into())
}

/// Reads `path`; an unusable file is moved aside and reported in one sentence.
fn read_or_set_aside(path: &Path) -> Result<Option<Options>, String> {
    match read(path) {
        Ok(o) => Ok(Some(o)),
        Err(ReadError::Missing) => Ok(None),
        Err(ReadError::NotAFile(why)) => Err(why),
        Err(ReadError::Unusable(why)) => Err(match set_aside(path) {
            Ok(bad) => format!("{} {why}; it was kept as {}", path.display(), bad.display()),
            Err(e) => format!("{} {why}, and {e}", path.display()),
        }),
    }
}

pub(crate) fn save(name: &str, options: &Options) -> Result<PathBuf, String> {
    let path = profile_path(name)?;
    write_atomically(&path, &to_text(options)?)?;
    Ok(path)
}

/// A saved profile. One that can't be used is moved aside (see the module notes).
pub(crate) fn load(name: &str) -> Result<Options, String> {
    let path = profile_path(name)?;
    read_or_set_aside(&path)?.ok_or_else(|| format!("{} does not exist", path.display()))
}

pub(crate) fn list() -> Vec<String> {
    let Some(dir) = folder().map(|d| d.join("profiles")) else {
        return Vec::new();
    };
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                // A folder of thousands of files is not ours; the menu shows the first ones.
                .take(1000)
                .filter_map(|e| {
                    let p = e.path();
                    (p.extension()? == "toml")
                        .then(|| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                        .flatten()
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The options of the last session: defaults when there are none, an error naming the file
/// when it can't be used (it has then been moved aside, so defaults never replace it).
pub fn load_last() -> Result<Options, String> {
    Ok(read_or_set_aside(&last_path()?)?.unwrap_or_default())
}

pub(crate) fn save_last(options: &Options) -> Result<(), String> {
    write_atomically(&last_path()?, &to_text(options)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("scpanel-profiles-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn files_are_written_whole_for_the_user_only() {
        let dir = scratch("write");
        let path = dir.join("p.toml");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&path, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        write_atomically(&path, "port = 1234\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "port = 1234\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "no temporary file is left: {left:?}");
        // A folder that can't be written leaves the old file as it was.
        assert!(write_atomically(&dir.join("p.toml").join("x.toml"), "y").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "port = 1234\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_password_is_saved_only_when_remembered() {
        let mut o = Options {
            password: "hunter2".into(),
            ..Options::default()
        };
        let text = to_text(&o).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(Options::from_toml(&text).unwrap().password, "");
        o.remember_password = true;
        let text = to_text(&o).unwrap();
        assert_eq!(Options::from_toml(&text).unwrap().password, "hunter2");
    }

    #[test]
    fn an_unusable_file_is_reported_and_moved_aside_never_overwritten() {
        let dir = scratch("bad");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("last.toml");
        for (n, text) in ["boot_timeout = 1e300\n", "max_logins = \"many\"\n"]
            .iter()
            .enumerate()
        {
            std::fs::write(&path, text).unwrap();
            let e = read_or_set_aside(&path).unwrap_err();
            let bad = if n == 0 {
                dir.join("last.toml.bad")
            } else {
                dir.join("last.toml.bad-2")
            };
            assert!(e.contains("last.toml"), "{e}");
            assert!(e.contains(&bad.display().to_string()), "{e}");
            assert_eq!(
                std::fs::read_to_string(&bad).unwrap(),
                *text,
                "kept as it was"
            );
            assert!(!path.exists());
        }
        assert!(
            read_or_set_aside(&path).unwrap().is_none(),
            "missing is not an error"
        );
        std::fs::write(&path, "x".repeat(MAX_FILE_BYTES as usize + 10)).unwrap();
        let e = read_or_set_aside(&path).unwrap_err();
        assert!(e.contains("larger than 64 KiB"), "{e}");
        std::fs::write(&path, "output_channels = 6\n").unwrap();
        assert_eq!(
            read_or_set_aside(&path).unwrap().unwrap().output_channels,
            6
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_pipe_or_folder_at_a_profiles_path_is_refused_at_once_and_left_where_it_is() {
        let dir = scratch("fifo");
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("last.toml");
        mkfifo(&fifo);
        let started = std::time::Instant::now();
        let e = read_or_set_aside(&fifo).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(
            e.contains(&format!(
                "{} is a named pipe (FIFO), not a profile",
                fifo.display()
            )),
            "{e}"
        );
        assert!(
            fifo.exists() && !dir.join("last.toml.bad").exists(),
            "not ours to move"
        );
        let folder = dir.join("folder.toml");
        std::fs::create_dir_all(&folder).unwrap();
        let e = read_or_set_aside(&folder).unwrap_err();
        assert!(e.contains("is a folder, not a profile"), "{e}");
        assert!(folder.is_dir());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn mkfifo(path: &std::path::Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    #[test]
    fn profile_names_become_safe_file_names() {
        set_folder(std::env::temp_dir().join("scpanel-profiles-names"));
        let p = profile_path("../../etc/passwd").unwrap();
        assert_eq!(p.file_name().unwrap(), "______etc_passwd.toml");
        assert!(profile_path("   ").is_err());
        let long = profile_path(&"a".repeat(1000)).unwrap();
        assert_eq!(long.file_name().unwrap().len(), MAX_NAME_CHARS + 5);
    }
}
