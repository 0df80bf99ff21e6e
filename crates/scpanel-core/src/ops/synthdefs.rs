//! The SynthDefs this client has given the server: send built-ins, load files and folders,
//! free them, and remember each one's controls so a GUI can offer sliders.

use std::path::{Path, PathBuf};

use rosc::{OscMessage, OscPacket, OscType};

use std::sync::{Arc, Mutex};

use crate::error::{Result, ServerError};
use crate::files;
use crate::link::Link;
use crate::model::tree::ControlValue;
use crate::synthdef::{MAX_FILE_BYTES, SynthDef, builtins, decode_file};
use crate::wire::connection::SYNC_TIMEOUT;
use crate::wire::protocol::{AddAction, Expect, msg};

use crate::synthdef::{DefSource, SynthDefInfo};

fn read_defs(path: &Path) -> Result<Vec<SynthDef>> {
    let bytes = files::read_bounded(path, MAX_FILE_BYTES, "SynthDef file")
        .map_err(|e| ServerError::Io(e.to_string()))?;
    decode_file(&bytes)
        .map_err(|e| ServerError::Io(format!("{} is not a SynthDef file: {e}", path.display())))
}

/// One `.scsyndef` of a folder about to be sent with `/d_loadDir`: `None` for a broken one.
/// A pipe or device is an error for the whole folder, as the server would open it and wait.
fn read_defs_of_folder(path: &Path) -> Result<Option<Vec<SynthDef>>> {
    match files::read_bounded(path, MAX_FILE_BYTES, "SynthDef file") {
        Err(e @ files::FileError::NotAFile { .. }) if !path.is_dir() => Err(ServerError::Io(
            format!("{e}; the server would wait for ever reading its folder"),
        )),
        Err(_) => Ok(None),
        Ok(bytes) => Ok(decode_file(&bytes).ok()),
    }
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::fs::canonicalize(path)
        .map_err(|e| ServerError::Io(format!("cannot find {}: {e}", path.display())))
}

/// What the server has from this client, by name: one list per handle, kept across calls.
pub(crate) type Known = Mutex<Vec<SynthDefInfo>>;

/// Sending, loading and freeing SynthDefs, and what the server has from this client
/// ([`Server::synthdefs`](crate::Server::synthdefs)).
#[derive(Clone)]
pub struct SynthDefs {
    pub(crate) link: Arc<Link>,
    pub(crate) known: Arc<Known>,
}

impl SynthDefs {
    /// SynthDefs this client sent or loaded, by name.
    pub fn list(&self) -> Vec<SynthDefInfo> {
        self.known.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// Whether the server has a SynthDef of this name from us.
    pub fn knows(&self, name: &str) -> bool {
        self.known
            .lock()
            .is_ok_and(|d| d.iter().any(|i| i.name == name))
    }

    fn remember(&self, infos: impl IntoIterator<Item = SynthDefInfo>) {
        if let Ok(mut known) = self.known.lock() {
            for info in infos {
                known.retain(|k| k.name != info.name);
                known.push(info);
            }
            known.sort_by(|a, b| a.name.cmp(&b.name));
        }
        self.link.shared.changed();
    }

    /// Sends SynthDefs with `/d_recv` and waits for the server's `/done`.
    pub async fn send(&self, defs: &[SynthDef], source: DefSource) -> Result<()> {
        let conn = self.link.online()?.conn.clone();
        self.send_on(&conn, defs, source).await
    }

    /// [`SynthDefs::send`] on a connection that is not yet the handle's live one.
    pub(crate) async fn send_on(
        &self,
        conn: &crate::wire::connection::Connection,
        defs: &[SynthDef],
        source: DefSource,
    ) -> Result<()> {
        let bytes = crate::synthdef::encode_file(defs);
        conn.request(
            OscPacket::Message(msg("/d_recv", [OscType::Blob(bytes)])),
            Expect::Done {
                command: "/d_recv".into(),
                id: None,
            },
            SYNC_TIMEOUT,
        )
        .await?;
        self.remember(defs.iter().map(|d| SynthDefInfo::of(d, source.clone())));
        Ok(())
    }

    /// Sends a built-in SynthDef by name (see [`builtins::builtin`]).
    pub async fn send_builtin(&self, name: &str) -> Result<()> {
        let def = builtins::builtin(name).ok_or_else(|| ServerError::Fail {
            command: "/d_recv".into(),
            message: format!("no built-in SynthDef named {name:?}"),
        })?;
        self.send(&[def], DefSource::BuiltIn).await
    }

    /// Loads a `.scsyndef` file (`/d_load`); returns the names it holds.
    pub async fn load_file(&self, path: &Path) -> Result<Vec<String>> {
        let path = absolute(path)?;
        let defs = read_defs(&path)?;
        self.d_load("/d_load", &path).await?;
        let names = defs.iter().map(|d| d.name.clone()).collect();
        self.remember(
            defs.iter()
                .map(|d| SynthDefInfo::of(d, DefSource::File(path.clone()))),
        );
        Ok(names)
    }

    /// Loads every `.scsyndef` in a folder (`/d_loadDir`); returns the names.
    pub async fn load_dir(&self, dir: &Path) -> Result<Vec<String>> {
        let dir = absolute(dir)?;
        files::expect_folder(&dir, "SynthDef files").map_err(|e| ServerError::Io(e.to_string()))?;
        let mut infos = Vec::new();
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            ServerError::Io(format!("cannot read the folder {}: {e}", dir.display()))
        })?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "scsyndef") {
                match read_defs_of_folder(&p)? {
                    Some(defs) => infos.extend(
                        defs.iter()
                            .map(|d| SynthDefInfo::of(d, DefSource::File(p.clone()))),
                    ),
                    // A broken file is skipped by the server too; don't let it hide the others.
                    None => continue,
                }
            }
        }
        self.d_load("/d_loadDir", &dir).await?;
        let names = infos.iter().map(|i| i.name.clone()).collect();
        self.remember(infos);
        Ok(names)
    }

    async fn d_load(&self, cmd: &str, path: &Path) -> Result<()> {
        let conn = self.link.online()?.conn.clone();
        conn.request(
            OscPacket::Message(msg(cmd, [OscType::String(path.display().to_string())])),
            Expect::Done {
                command: cmd.into(),
                id: None,
            },
            SYNC_TIMEOUT,
        )
        .await
        .map(|_| ())
    }

    /// Frees SynthDefs by name (`/d_free`).
    pub async fn free(&self, names: &[&str]) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        self.link
            .send_checked(OscPacket::Message(msg(
                "/d_free",
                names.iter().map(|n| OscType::String(n.to_string())),
            )))
            .await?;
        if let Ok(mut known) = self.known.lock() {
            known.retain(|k| !names.contains(&k.name.as_str()));
        }
        self.link.shared.changed();
        Ok(())
    }

    /// Frees every SynthDef this client knows of.
    pub async fn free_all(&self) -> Result<()> {
        let names: Vec<String> = self.list().into_iter().map(|d| d.name).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        self.free(&refs).await
    }

    /// The `/s_new` for a synth. Notifications carry no SynthDef name, so the def and the
    /// controls (defaults filled in) are noted in the mirror first: the `/n_go` may arrive
    /// before the send returns.
    pub(crate) fn describe_new_synth(
        &self,
        def: &str,
        id: i32,
        action: AddAction,
        target: i32,
        controls: &[(&str, f32)],
    ) -> OscMessage {
        let mut args = vec![
            OscType::String(def.to_string()),
            OscType::Int(id),
            OscType::Int(action as i32),
            OscType::Int(target),
        ];
        let mut known: Vec<(String, ControlValue)> = self
            .list()
            .into_iter()
            .find(|d| d.name == def)
            .map(|d| {
                d.controls
                    .into_iter()
                    .map(|(k, v)| (k, ControlValue::Value(v)))
                    .collect()
            })
            .unwrap_or_default();
        for (name, value) in controls {
            args.push(OscType::String(name.to_string()));
            args.push(OscType::Float(*value));
            match known.iter_mut().find(|(k, _)| k == name) {
                Some((_, v)) => *v = ControlValue::Value(*value),
                None => known.push((name.to_string(), ControlValue::Value(*value))),
            }
        }
        self.link.update_tree(|t| t.describe_synth(id, def, known));
        msg("/s_new", args)
    }

    /// Makes sure a built-in SynthDef is on the server before a synth of it is made.
    pub(crate) async fn ensure_builtin(&self, name: &str) -> Result<()> {
        if !self.knows(name) && builtins::builtin(name).is_some() {
            self.send_builtin(name).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    /// Refused before the server is asked: these run with no server at all.
    #[tokio::test]
    async fn pipes_and_wrong_kinds_are_refused_before_anything_is_sent() {
        let dir = std::env::temp_dir().join(format!("scpanel-defs-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe.scsyndef");
        mkfifo(&fifo);
        let server = SynthDefs {
            link: Arc::new(Link::default()),
            known: Arc::new(Known::default()),
        };
        let started = std::time::Instant::now();
        let e = server.load_file(&fifo).await.unwrap_err().to_string();
        assert!(
            e.contains("pipe.scsyndef is a named pipe (FIFO), not a SynthDef file"),
            "{e}"
        );
        let e = server.load_file(&dir).await.unwrap_err().to_string();
        assert!(e.contains("is a folder, not a SynthDef file"), "{e}");
        // The server would open the pipe among the folder's files and wait on it.
        let e = server.load_dir(&dir).await.unwrap_err().to_string();
        assert!(e.contains("pipe.scsyndef is a named pipe (FIFO)"), "{e}");
        assert!(e.contains("wait for ever"), "{e}");
        let e = server.load_dir(&fifo).await.unwrap_err().to_string();
        assert!(e.contains("is a named pipe (FIFO), not a folder"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
