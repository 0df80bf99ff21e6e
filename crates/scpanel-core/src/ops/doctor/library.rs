//! Where SynthDef graphs come from: scpanel's built-ins, the defs this client sent or loaded,
//! and folders of `.scsyndef` files (sclang's own, where `.store` and `writeDefFile` put
//! them, and any the user names). A def the server has from elsewhere (another client's
//! `.add`) has no graph here: its buses are guessed from its control names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::files;
use crate::synthdef::{BusUse, DefSource, MAX_FILE_BYTES, SynthDefInfo, builtins, bus_use};

/// The folder sclang writes SynthDef files to on this platform (`.store`, `.writeDefFile`):
/// `~/.local/share/SuperCollider/synthdefs` on Linux, `~/Library/Application
/// Support/SuperCollider/synthdefs` on macOS, `%LOCALAPPDATA%\SuperCollider\synthdefs` on
/// Windows.
pub fn sclang_synthdef_dir() -> Option<PathBuf> {
    #[cfg(windows)]
    let base = dirs::data_local_dir();
    #[cfg(not(windows))]
    let base = dirs::data_dir();
    base.map(|d| d.join("SuperCollider").join("synthdefs"))
}

/// A file's path as a musician reads it: sclang's folder by name, the home folder as `~`.
fn shown(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if let (Some(dir), Some(name)) = (sclang_synthdef_dir(), &name)
        && path.parent() == Some(dir.as_path())
    {
        return format!("sclang's SynthDef folder ({name})");
    }
    match dirs::home_dir().and_then(|h| path.strip_prefix(h).ok().map(Path::to_path_buf)) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}

/// Files read from one folder at most: sclang's folder holds hundreds, not tens of thousands.
const MAX_FILES: usize = 4096;

/// What was read from each file, kept while its length and time stay the same.
pub(crate) type FileCache = HashMap<PathBuf, (u64, Option<SystemTime>, Vec<(String, BusUse)>)>;

/// Graphs by def name, and where each came from.
pub(crate) struct Library {
    by_name: HashMap<String, (BusUse, String)>,
    /// Files of defs the server may lack, by name (for the "load it" fix).
    pub files: HashMap<String, PathBuf>,
    /// Folders that could not be read, with why.
    pub unreadable: Vec<String>,
}

impl Library {
    /// The built-ins, then what this client sent, then the folders in order (the first
    /// folder naming a def wins; user folders come before sclang's).
    pub fn gather(own: &[SynthDefInfo], dirs: &[PathBuf], cache: &mut FileCache) -> Library {
        let mut lib = Library {
            by_name: HashMap::new(),
            files: HashMap::new(),
            unreadable: Vec::new(),
        };
        for def in builtins::all() {
            lib.by_name
                .insert(def.name.clone(), (bus_use(&def), "scpanel's own".into()));
        }
        for info in own {
            match &info.source {
                DefSource::BuiltIn => {
                    if let Some(def) = builtins::builtin(&info.name) {
                        lib.by_name
                            .insert(info.name.clone(), (bus_use(&def), "scpanel's own".into()));
                    }
                }
                DefSource::File(path) => {
                    for (name, u) in read_file(path, cache) {
                        if name == info.name {
                            lib.by_name
                                .insert(name, (u, format!("loaded from {}", shown(path))));
                        }
                    }
                }
            }
        }
        for dir in dirs {
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    lib.unreadable
                        .push(format!("SynthDef folder {}: {e}", dir.display()));
                    continue;
                }
            };
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "scsyndef"))
                .take(MAX_FILES)
                .collect();
            paths.sort();
            for path in paths {
                for (name, u) in read_file(&path, cache) {
                    lib.files
                        .entry(name.clone())
                        .or_insert_with(|| path.clone());
                    lib.by_name
                        .entry(name)
                        .or_insert_with(|| (u, format!("from {}", shown(&path))));
                }
            }
        }
        lib
    }

    /// A def's buses and where they were learnt.
    pub fn lookup(&self, name: &str) -> Option<(BusUse, String)> {
        self.by_name.get(name).cloned()
    }
}

/// The defs of one file (none when it is unreadable or not a SynthDef file: a folder of
/// someone's files may hold anything).
fn read_file(path: &Path, cache: &mut FileCache) -> Vec<(String, BusUse)> {
    let meta = std::fs::metadata(path).ok();
    let stamp = (
        meta.as_ref().map_or(0, std::fs::Metadata::len),
        meta.as_ref().and_then(|m| m.modified().ok()),
    );
    if let Some((len, time, defs)) = cache.get(path)
        && (*len, *time) == stamp
    {
        return defs.clone();
    }
    let defs: Vec<(String, BusUse)> = files::read_bounded(path, MAX_FILE_BYTES, "SynthDef file")
        .ok()
        .and_then(|bytes| crate::synthdef::decode_file(&bytes).ok())
        .map(|defs| defs.iter().map(|d| (d.name.clone(), bus_use(d))).collect())
        .unwrap_or_default();
    if cache.len() > MAX_FILES * 4 {
        cache.clear();
    }
    cache.insert(path.to_path_buf(), (stamp.0, stamp.1, defs.clone()));
    defs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_a_musician_knows_them() {
        if let Some(dir) = sclang_synthdef_dir() {
            assert_eq!(
                shown(&dir.join("reverb.scsyndef")),
                "sclang's SynthDef folder (reverb.scsyndef)"
            );
        }
        if let Some(home) = dirs::home_dir() {
            assert_eq!(shown(&home.join("defs/a.scsyndef")), "~/defs/a.scsyndef");
        }
        assert_eq!(
            shown(Path::new("/srv/defs/a.scsyndef")),
            "/srv/defs/a.scsyndef"
        );
    }
}
