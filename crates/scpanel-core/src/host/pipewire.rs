//! Whether PipeWire provides JACK on this machine: then JACK clients (scsynth, JACK's tools)
//! talk to PipeWire, and starting `jackd` would only fight it for the sound card.
//!
//! A PipeWire daemon alone is not enough: on Debian 12 and Ubuntu it runs every desktop's
//! sound while the system's libjack stays JACK's own, so scsynth does not reach it until
//! `pipewire-jack` is made the system's libjack.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long `ldconfig -p` or a socket may take before we give up on it.
const TIMEOUT: Duration = Duration::from_secs(2);

/// The most of `ldconfig -p`'s output read (a desktop's cache prints some 200 KiB).
const MAX_LDCONFIG: usize = 4 * 1024 * 1024;

/// What points at PipeWire and its JACK.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipeWire {
    /// The system's `libjack.so.0` is PipeWire's (from `ldconfig -p`).
    pub library: Option<PathBuf>,
    /// A loader configuration that puts PipeWire's libjack first
    /// (`/etc/ld.so.conf.d/pipewire-jack*`).
    pub config: Option<PathBuf>,
    /// A PipeWire daemon runs for this user: its socket accepts a connection.
    pub daemon: Option<PathBuf>,
}

impl PipeWire {
    /// Whether JACK here is PipeWire's (the libjack JACK programs load is PipeWire's), so
    /// that no `jackd` should be started.
    pub fn provides_jack(&self) -> bool {
        self.library.is_some() || self.config.is_some()
    }

    /// PipeWire runs for this user but JACK programs load JACK's own libjack: a `jackd` on a
    /// sound card would fight PipeWire for it.
    pub fn runs_without_its_jack(&self) -> bool {
        self.daemon.is_some() && !self.provides_jack()
    }

    /// What was found, in words, for a tooltip or the log.
    pub fn evidence(&self) -> String {
        let mut found = Vec::new();
        if let Some(p) = &self.library {
            found.push(format!("libjack is PipeWire's ({})", p.display()));
        }
        if let Some(p) = &self.config {
            found.push(format!("the loader is set up for it ({})", p.display()));
        }
        if let Some(p) = &self.daemon {
            found.push(format!("a PipeWire daemon answers at {}", p.display()));
        }
        found.join("; ")
    }
}

/// What the audio setup says instead of offering to start `jackd`.
pub const PROVIDES_JACK: &str = "PipeWire provides JACK; scsynth connects to it.";

/// What the audio setup says when PipeWire runs but JACK programs don't reach it.
pub const RUNS_WITHOUT_ITS_JACK: &str = "PipeWire runs here, but JACK programs don't reach it: \
     the system's libjack is JACK's own. Make PipeWire's the system's (install pipewire-jack; \
     on Debian and Ubuntu also copy /usr/share/doc/pipewire/examples/ld.so.conf.d/\
     pipewire-jack-*.conf to /etc/ld.so.conf.d/ and run ldconfig), or start JACK on the dummy \
     driver: a sound card is PipeWire's.";

/// The most of a library file read to tell whose it is.
const MAX_LIBRARY: u64 = 16 * 1024 * 1024;

/// Looks for PipeWire's JACK: the loader's libjack, its configuration, the user's daemon.
pub async fn detect() -> PipeWire {
    let runtime = std::env::var_os("PIPEWIRE_RUNTIME_DIR")
        .or_else(|| std::env::var_os("XDG_RUNTIME_DIR"))
        .map(PathBuf::from);
    detect_in(runtime.as_deref()).await
}

/// [`detect`], with the daemon's socket looked for in `runtime` (the user's runtime
/// directory, `$XDG_RUNTIME_DIR`).
pub async fn detect_in(runtime: Option<&Path>) -> PipeWire {
    let text = ldconfig().await;
    // Reads libraries and a directory: off the runtime's workers.
    let (library, config) = tokio::task::spawn_blocking(move || {
        (
            text.as_deref().and_then(pipewire_libjack),
            pipewire_jack_config(Path::new("/etc/ld.so.conf.d")),
        )
    })
    .await
    .unwrap_or((None, None));
    PipeWire {
        library,
        config,
        daemon: match runtime {
            Some(dir) => daemon_socket(dir).await,
            None => None,
        },
    }
}

/// `ldconfig -p`'s output, or `None` when it can't be run.
async fn ldconfig() -> Option<String> {
    // Not always on a user's PATH (it lives in /sbin on Debian).
    let program = ["/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"]
        .into_iter()
        .find(|p| !p.starts_with('/') || Path::new(p).is_file())?;
    use tokio::io::AsyncReadExt;
    let mut child = tokio::process::Command::new(program)
        .arg("-p")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let mut bytes = Vec::new();
    // Only the first MAX_LDCONFIG bytes are ever held; the rest is left unread.
    let mut limited = stdout.take(MAX_LDCONFIG as u64);
    tokio::time::timeout(TIMEOUT, limited.read_to_end(&mut bytes))
        .await
        .ok()?
        .ok()?;
    let _ = child.start_kill();
    let _ = tokio::time::timeout(TIMEOUT, child.wait()).await;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The `libjack.so.0` in `ldconfig -p`'s text that is PipeWire's: under a PipeWire directory
/// (`libjack.so.0 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/pipewire-0.3/jack/libjack.so.0`,
/// also through a symbolic link), or a library that loads libpipewire (Arch and Fedora put
/// PipeWire's libjack where JACK's was).
///
/// Only the first `libjack.so.0` of this machine's own ABI counts: that is the one the
/// loader picks (a PipeWire one listed after JACK's, or an i386 one, is not).
pub fn pipewire_libjack(ldconfig_text: &str) -> Option<PathBuf> {
    let (_, path) = ldconfig_text.lines().find_map(|line| {
        let (name, path) = line.split_once(" => ")?;
        let name = name.trim_start();
        (name.starts_with("libjack.so.0 ") && native_abi(name)).then_some((name, path))
    })?;
    {
        let path = PathBuf::from(path.trim());
        let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let pipewire = |p: &Path| p.to_string_lossy().to_lowercase().contains("pipewire");
        (pipewire(&path) || pipewire(&real) || loads_libpipewire(&real)).then_some(path)
    }
}

/// Whether an `ldconfig -p` entry (`libjack.so.0 (libc6,x86-64)`) is for this machine's ABI.
fn native_abi(entry: &str) -> bool {
    let flags = entry
        .split_once('(')
        .and_then(|(_, f)| f.split_once(')'))
        .map_or("", |(f, _)| f);
    match std::env::consts::ARCH {
        "x86_64" => flags.contains("x86-64"),
        "aarch64" => flags.contains("AArch64"),
        // 32-bit x86 entries carry no architecture: `(libc6)`.
        "x86" => flags == "libc6",
        _ => true,
    }
}

/// Whether a library names libpipewire among what it loads.
pub fn loads_libpipewire(library: &Path) -> bool {
    crate::files::read_head(library, MAX_LIBRARY, "library").is_ok_and(|bytes| {
        bytes
            .windows(b"libpipewire-".len())
            .any(|w| w == b"libpipewire-")
    })
}

/// A `pipewire-jack*` file in the loader's configuration directory.
pub fn pipewire_jack_config(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .take(1000)
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("pipewire-jack"))
        })
}

/// PipeWire's socket in `runtime_dir` (`pipewire-0`), when it accepts a connection: a socket
/// file left by a daemon that has ended refuses it.
pub async fn daemon_socket(runtime_dir: &Path) -> Option<PathBuf> {
    let path = runtime_dir.join("pipewire-0");
    let connected = tokio::time::timeout(TIMEOUT, tokio::net::UnixStream::connect(&path)).await;
    matches!(connected, Ok(Ok(_))).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ldconfig -p` on a Debian 12 desktop with `pipewire-jack` set up (trimmed).
    const WITH_PIPEWIRE: &str = "1234 libs found in cache `/etc/ld.so.cache'
	libjpeg.so.62 (libc6,x86-64) => /lib/x86_64-linux-gnu/libjpeg.so.62
	libjack.so.0 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/pipewire-0.3/jack/libjack.so.0
	libjack.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libjack.so.0
	libjacknet.so.0 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/pipewire-0.3/jack/libjacknet.so.0
";

    /// The same with only jackd2's libjack.
    const WITH_JACKD2: &str = "1234 libs found in cache `/etc/ld.so.cache'
	libjack.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libjack.so.0
	libjacknet.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libjacknet.so.0
";

    #[test]
    fn pipewires_libjack_is_recognised_in_ldconfigs_list() {
        assert_eq!(
            pipewire_libjack(WITH_PIPEWIRE),
            Some(PathBuf::from(
                "/usr/lib/x86_64-linux-gnu/pipewire-0.3/jack/libjack.so.0"
            ))
        );
        assert_eq!(pipewire_libjack(WITH_JACKD2), None);
        assert_eq!(pipewire_libjack(""), None);
    }

    fn temp_dir(what: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("scpanel-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_pipewire_jack_loader_config_is_found() {
        let dir = temp_dir("ld-conf");
        std::fs::write(dir.join("libc.conf"), "/usr/local/lib\n").unwrap();
        assert_eq!(pipewire_jack_config(&dir), None);
        let conf = dir.join("pipewire-jack-x86_64-linux-gnu.conf");
        std::fs::write(&conf, "/usr/lib/x86_64-linux-gnu/pipewire-0.3/jack/\n").unwrap();
        assert_eq!(pipewire_jack_config(&dir), Some(conf));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A real socket in a runtime directory of its own: found while something listens on it,
    /// not once the listener is gone (the file stays, as after a crashed daemon).
    #[tokio::test]
    async fn a_listening_pipewire_socket_is_a_running_daemon() {
        let dir = temp_dir("xdg-runtime");
        assert_eq!(daemon_socket(&dir).await, None);
        let path = dir.join("pipewire-0");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        assert_eq!(daemon_socket(&dir).await, Some(path.clone()));
        let found = PipeWire {
            daemon: daemon_socket(&dir).await,
            ..PipeWire::default()
        };
        // A daemon alone: JACK programs still load JACK's libjack.
        assert!(!found.provides_jack(), "{found:?}");
        assert!(found.runs_without_its_jack());
        assert!(found.evidence().contains("pipewire-0"));
        drop(listener);
        assert!(path.exists());
        assert_eq!(daemon_socket(&dir).await, None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A libjack at JACK's usual place that loads libpipewire is PipeWire's (Arch, Fedora).
    #[test]
    fn a_libjack_that_loads_libpipewire_is_pipewires() {
        let dir = temp_dir("libjack");
        let theirs = dir.join("libjack.so.0");
        std::fs::write(&theirs, b"\x7fELF...libpipewire-0.3.so.0\0libc.so.6\0").unwrap();
        let jacks = dir.join("libjack-jack2.so.0");
        std::fs::write(&jacks, b"\x7fELF...libdb-5.3.so\0libc.so.6\0").unwrap();
        let line = |p: &Path| format!("\tlibjack.so.0 (libc6,x86-64) => {}\n", p.display());
        assert_eq!(pipewire_libjack(&line(&theirs)), Some(theirs.clone()));
        assert_eq!(pipewire_libjack(&line(&jacks)), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nothing_found_is_no_pipewire() {
        assert!(!PipeWire::default().provides_jack());
    }
}
