//! Finding the server program: an explicit path, `SCPANEL_SCSYNTH`, `PATH`, then the usual
//! install places, each checked to be a runnable file.

use std::path::{Path, PathBuf};

use crate::error::{Result, ServerError};

/// The variable that names the server program, ahead of `PATH`.
pub(crate) const EXECUTABLE_ENV: &str = "SCPANEL_SCSYNTH";

fn install_hint() -> &'static str {
    if cfg!(target_os = "macos") {
        "download SuperCollider from supercollider.github.io or `brew install --cask supercollider`"
    } else if cfg!(windows) {
        "run the SuperCollider installer from supercollider.github.io"
    } else {
        "`sudo apt install supercollider-server` on Debian/Ubuntu, `sudo dnf install supercollider` on Fedora"
    }
}

fn usual_places() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = Vec::new();
    if cfg!(target_os = "macos") {
        for app in [
            "/Applications/SuperCollider.app",
            "/Applications/SuperCollider/SuperCollider.app",
        ] {
            v.push(Path::new(app).join("Contents/Resources/scsynth"));
            v.push(Path::new(app).join("Contents/Resources/supernova"));
        }
        if let Some(home) = dirs::home_dir() {
            v.push(home.join("Applications/SuperCollider.app/Contents/Resources/scsynth"));
        }
    } else if cfg!(windows) {
        for base in ["C:\\Program Files", "C:\\Program Files (x86)"] {
            if let Ok(entries) = std::fs::read_dir(base) {
                let mut dirs: Vec<PathBuf> = entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with("SuperCollider"))
                    })
                    .collect();
                dirs.sort();
                dirs.reverse();
                v.extend(dirs.into_iter().map(|d| d.join("scsynth.exe")));
            }
        }
    } else {
        for dir in [
            "/usr/bin",
            "/usr/local/bin",
            "/opt/SuperCollider/bin",
            "/snap/bin",
        ] {
            v.push(Path::new(dir).join("scsynth"));
            v.push(Path::new(dir).join("supernova"));
        }
    }
    v
}

fn exe_name(name: &str) -> String {
    if cfg!(windows) {
        format!("{name}.exe")
    } else {
        name.to_string()
    }
}

/// Finds the server program: explicit path → `SCPANEL_SCSYNTH` → `PATH` → usual install places.
pub fn find_executable(explicit: Option<&Path>) -> Result<PathBuf> {
    find_executable_with(
        explicit,
        std::env::var_os(EXECUTABLE_ENV).map(PathBuf::from),
        std::env::var_os("PATH"),
        &usual_places(),
    )
}

/// [`find_executable`] with the environment passed in, so it can be tested.
pub(crate) fn find_executable_with(
    explicit: Option<&Path>,
    env_path: Option<PathBuf>,
    path_var: Option<std::ffi::OsString>,
    places: &[PathBuf],
) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return check_runnable(p);
    }
    if let Some(p) = env_path.filter(|p| !p.as_os_str().is_empty()) {
        return check_runnable(&p);
    }
    let mut searched = Vec::new();
    if let Some(path) = path_var {
        for dir in std::env::split_paths(&path) {
            for name in ["scsynth", "supernova"] {
                let candidate = dir.join(exe_name(name));
                if candidate.is_file() {
                    return Ok(candidate);
                }
            }
        }
        searched.push("PATH".to_string());
    }
    for candidate in places {
        if candidate.is_file() {
            return Ok(candidate.clone());
        }
        searched.push(candidate.display().to_string());
    }
    Err(ServerError::ExecutableNotFound {
        searched: searched.join(", "),
        hint: install_hint(),
    })
}

fn check_runnable(p: &Path) -> Result<PathBuf> {
    let not_runnable = |reason: &str| ServerError::NotRunnable {
        path: p.display().to_string(),
        reason: reason.to_string(),
    };
    let meta = std::fs::metadata(p).map_err(|e| not_runnable(&e.to_string()))?;
    if !meta.is_file() {
        return Err(not_runnable("it is not a file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 == 0 {
            return Err(not_runnable("it is not executable"));
        }
    }
    Ok(p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_executable_names_the_install_and_the_variable() {
        let places = [PathBuf::from("/nonexistent-dir/scsynth")];
        let err =
            find_executable_with(None, None, Some("/nonexistent-dir".into()), &places).unwrap_err();
        assert!(
            matches!(err, ServerError::ExecutableNotFound { .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.contains(EXECUTABLE_ENV), "{text}");
        assert!(text.contains("install"), "{text}");
        assert!(text.contains("/nonexistent-dir/scsynth"), "{text}");
        let err =
            find_executable_with(None, Some("/no/such/scsynth".into()), None, &places).unwrap_err();
        assert!(err.to_string().contains("/no/such/scsynth"));
    }
}
