//! Boot options kept across restarts: the last used set and named profiles, as TOML files in
//! the user's config folder (`~/.config/scpanel` on Linux).

use std::path::PathBuf;

use crate::server::Options;

static FOLDER: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Uses `dir` instead of the user's config folder for this process (tests, portable setups).
/// Only the first call counts.
pub fn set_folder(dir: PathBuf) {
    let _ = FOLDER.set(dir);
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
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let dir = folder().ok_or("no config folder on this system")?;
    Ok(dir.join("profiles").join(format!("{}.toml", clean.trim())))
}

fn write(path: &PathBuf, options: &Options) -> Result<(), String> {
    let text =
        toml::to_string_pretty(options).map_err(|e| format!("cannot write the options: {e}"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn read(path: &PathBuf) -> Result<Options, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{} is not a valid profile: {e}", path.display()))
}

pub fn save(name: &str, options: &Options) -> Result<PathBuf, String> {
    let path = profile_path(name)?;
    write(&path, options)?;
    Ok(path)
}

pub fn load(name: &str) -> Result<Options, String> {
    read(&profile_path(name)?)
}

pub fn list() -> Vec<String> {
    let Some(dir) = folder().map(|d| d.join("profiles")) else {
        return Vec::new();
    };
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
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

/// The options of the last session (defaults when there are none or they can't be read).
pub fn load_last() -> Options {
    folder()
        .map(|d| d.join("last.toml"))
        .and_then(|p| read(&p).ok())
        .unwrap_or_default()
}

pub fn save_last(options: &Options) -> Result<(), String> {
    let path = folder()
        .ok_or("no config folder on this system")?
        .join("last.toml");
    write(&path, options)
}
