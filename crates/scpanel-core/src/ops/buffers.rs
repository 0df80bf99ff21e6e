//! Buffers: allocating, reading sound files into, asking about, zeroing and freeing them,
//! with ids from this client's range. Free functions over a [`Link`]; [`Buffers`] is the
//! public face ([`Server::buffers`](crate::Server::buffers)).

use std::path::Path;
use std::sync::Arc;

use rosc::OscType;

use crate::error::{Result, ServerError};
use crate::link::Link;
use crate::wire::connection::SYNC_TIMEOUT;
use crate::wire::protocol::{BufferInfo, Expect, int, msg};

/// Runs `/b_alloc`-like commands that answer `/done` with the buffer id, giving the id
/// back to this client's range when the server refuses.
async fn allocate(link: &Link, command: &'static str, args: Vec<OscType>) -> Result<i32> {
    let (live, id) = link.alloc_ids("buffer", |a| a.buffers.allocate(1))?;
    let id = id as i32;
    let r = link
        .request_within(
            msg(command, std::iter::once(int(id)).chain(args)),
            Expect::Done {
                command: command.into(),
                id: Some(id),
            },
            SYNC_TIMEOUT,
        )
        .await;
    if let Err(e) = r {
        link.release(&live, |a| {
            a.buffers.free(id as u32);
        });
        return Err(e);
    }
    Ok(id)
}

/// Allocates a buffer of `frames` × `channels`; returns its id.
pub(crate) async fn add(link: &Link, frames: i32, channels: i32) -> Result<i32> {
    allocate(link, "/b_alloc", vec![int(frames), int(channels)]).await
}

/// A buffer's frames, channels and sample rate (`/b_query`).
pub(crate) async fn query(link: &Link, id: i32) -> Result<BufferInfo> {
    let m = link
        .request(
            msg("/b_query", [int(id)]),
            Expect::ReplyOrFail {
                reply: "/b_info",
                id: Some(id),
                command: "/b_query",
            },
        )
        .await?;
    BufferInfo::from_msg(&m).ok_or_else(|| ServerError::Osc("malformed /b_info".into()))
}

async fn command(link: &Link, cmd: &str, id: i32) -> Result<()> {
    link.request_within(
        msg(cmd, [int(id)]),
        Expect::Done {
            command: cmd.into(),
            id: Some(id),
        },
        SYNC_TIMEOUT,
    )
    .await
    .map(|_| ())
}

/// Frees a buffer (`/b_free`) and gives its number back to this client.
pub(crate) async fn free(link: &Link, id: i32) -> Result<()> {
    command(link, "/b_free", id).await?;
    if let Some(live) = link.live() {
        link.release(&live, |a| {
            a.buffers.free(id as u32);
        });
    }
    Ok(())
}

/// Buffers on a server, with ids from this client's range. A plain buffer is made with
/// [`Server::add_buffer`](crate::Server::add_buffer), as in supriya.
#[derive(Clone)]
pub struct Buffers {
    pub(crate) link: Arc<Link>,
}

impl Buffers {
    /// Reads a sound file into a new buffer (`/b_allocRead`); returns its id. The server
    /// reads the file, so `path` is a path on the server's machine.
    pub async fn read(&self, path: &Path, start_frame: i32, frames: i32) -> Result<i32> {
        // The server opens the path itself: a pipe or device there would hold its command
        // thread for ever. Only what this machine can see is checked (a remote server's
        // files are its own).
        if let Ok(meta) = std::fs::metadata(path)
            && !meta.is_file()
        {
            return Err(ServerError::Fail {
                command: "/b_allocRead".into(),
                message: format!(
                    "{} is {}, not a sound file: give the path of an ordinary file",
                    path.display(),
                    crate::files::kind_of(&meta)
                ),
            });
        }
        let link = &self.link;
        let id = allocate(
            link,
            "/b_allocRead",
            vec![
                OscType::String(path.display().to_string()),
                int(start_frame),
                int(frames),
            ],
        )
        .await?;
        // A file scsynth could not read still "succeeds" with an empty buffer: check.
        let info = query(link, id).await?;
        if info.frames == 0 {
            let _ = free(link, id).await;
            return Err(ServerError::Fail {
                command: "/b_allocRead".into(),
                message: format!("could not read {} (see the server log)", path.display()),
            });
        }
        Ok(id)
    }

    /// A buffer's frames, channels and sample rate (`/b_query`).
    pub async fn query(&self, id: i32) -> Result<BufferInfo> {
        query(&self.link, id).await
    }

    /// Sets every sample of a buffer to zero (`/b_zero`).
    pub async fn zero(&self, id: i32) -> Result<()> {
        command(&self.link, "/b_zero", id).await
    }

    /// Frees a buffer (`/b_free`) and gives its number back to this client.
    pub async fn free(&self, id: i32) -> Result<()> {
        free(&self.link, id).await
    }

    /// The buffers this client allocated.
    pub fn ids(&self) -> Vec<i32> {
        self.link
            .live()
            .and_then(|l| {
                l.alloc
                    .as_ref()
                    .and_then(|a| a.lock().ok().map(|a| a.buffers.allocated()))
            })
            .unwrap_or_default()
            .into_iter()
            .map(|(s, _)| s as i32)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::scripted;
    use crate::wire::protocol::int_arg;

    #[tokio::test]
    async fn buffers_come_from_this_clients_range_and_go_back() {
        let (link, script) = scripted::link().await;
        let buffers = Buffers { link: link.clone() };
        let a = add(&link, 1024, 2).await.expect("allocated");
        let b = add(&link, 1024, 2).await.expect("allocated");
        assert_ne!(a, b);
        let range = link.client_ranges().expect("logged in").buffers;
        assert!(range.contains(&(a as u32)) && range.contains(&(b as u32)));
        assert_eq!(buffers.ids(), vec![a, b]);
        buffers.free(a).await.expect("freed");
        assert_eq!(buffers.ids(), vec![b]);
        assert_eq!(int_arg(&script.sent("/b_free")[0], 0), Some(a));
    }

    #[tokio::test]
    async fn a_refused_allocation_gives_its_id_back() {
        let (link, script) = scripted::link().await;
        script.refuse("/b_alloc");
        assert!(add(&link, 1024, 2).await.is_err());
        assert!(Buffers { link }.ids().is_empty(), "nothing kept");
    }

    /// Refused before the server is asked.
    #[tokio::test]
    async fn a_pipe_or_folder_is_no_sound_file_for_a_buffer() {
        let (link, script) = scripted::link().await;
        let dir = std::env::temp_dir().join(format!("scpanel-buf-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder");
        let fifo = dir.join("pipe.wav");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("a path");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let buffers = Buffers { link };
        for (path, kind) in [(&fifo, "a named pipe (FIFO)"), (&dir, "a folder")] {
            let e = buffers
                .read(path, 0, -1)
                .await
                .expect_err("refused")
                .to_string();
            assert!(
                e.contains(&format!("{} is {kind}, not a sound file", path.display())),
                "{e}"
            );
        }
        assert!(
            script.received.lock().expect("script").is_empty(),
            "nothing sent"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_sound_file_is_read_then_checked() {
        let (link, script) = scripted::link().await;
        let id = Buffers { link }
            .read(Path::new("/nowhere/a.wav"), 0, -1)
            .await
            .expect("the script says 1,024 frames");
        assert_eq!(int_arg(&script.sent("/b_query")[0], 0), Some(id));
    }
}
