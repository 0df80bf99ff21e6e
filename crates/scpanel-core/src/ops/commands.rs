//! Queries and commands on an online server: nodes, buffers, buses, raw OSC.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rosc::{OscMessage, OscPacket, OscType};

use crate::error::{Result, ServerError};
use crate::handle::tree_read::{self, ReadOptions, TreeRead};
use crate::handle::{Live, Server};
use crate::model::tree::{ControlValue, NodeTree};
use crate::wire::connection::{Connection, REQUEST_TIMEOUT, SYNC_TIMEOUT};
use crate::wire::protocol::{
    self, AddAction, BufferInfo, BusRate, Expect, NodeInfo, StatusInfo, VersionInfo, msg,
};

/// A block of consecutive buses this client allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusGroup {
    /// Audio or control rate.
    pub rate: BusRate,
    /// The first bus's index.
    pub id: u32,
    /// How many buses.
    pub count: u32,
}

fn int(v: i32) -> OscType {
    OscType::Int(v)
}

fn packet(m: OscMessage) -> OscPacket {
    OscPacket::Message(m)
}

impl Server {
    fn conn(&self) -> Result<Arc<Connection>> {
        Ok(self.online()?.conn.clone())
    }

    fn logged_in(&self) -> Result<Arc<Live>> {
        let live = self.online()?;
        if live.alloc.is_none() {
            return Err(ServerError::NotLoggedIn);
        }
        Ok(live)
    }

    fn alloc_ids(
        &self,
        what: &'static str,
        pick: impl FnOnce(&mut crate::model::alloc::Allocators) -> Option<u32>,
    ) -> Result<(Arc<Live>, u32)> {
        let live = self.logged_in()?;
        let id = live
            .alloc
            .as_ref()
            .and_then(|a| a.lock().ok().and_then(|mut a| pick(&mut a)))
            .ok_or(ServerError::OutOfIds { what })?;
        Ok((live, id))
    }

    fn release(&self, live: &Live, f: impl FnOnce(&mut crate::model::alloc::Allocators)) {
        if let Some(a) = &live.alloc
            && let Ok(mut a) = a.lock()
        {
            f(&mut a);
        }
    }

    /// Sends any OSC message or bundle, as is.
    pub async fn send(&self, p: OscPacket) -> Result<()> {
        self.conn()?.send(p).await
    }

    /// Sends one OSC message, expecting no reply.
    pub async fn send_msg(&self, m: OscMessage) -> Result<()> {
        self.send(packet(m)).await
    }

    /// Sends, then waits until the server has done it; `/fail`s become the error.
    pub async fn send_checked(&self, p: OscPacket) -> Result<()> {
        self.conn()?.send_checked(p).await
    }

    /// Whether a `/synced` id is one of the handle's own (not one a person sent).
    pub fn is_own_sync(&self, id: i32) -> bool {
        self.live().is_some_and(|l| l.conn.is_own_sync(id))
    }

    /// Waits until the server has done everything sent before (`/sync`, answered by `/synced`).
    pub async fn sync(&self) -> Result<()> {
        self.conn()?.sync(SYNC_TIMEOUT).await
    }

    /// A fresh `/status` (the poller's latest is [`Server::latest_status`]).
    pub async fn status(&self) -> Result<StatusInfo> {
        let m = self
            .conn()?
            .request(
                packet(msg("/status", [])),
                Expect::Address("/status.reply"),
                REQUEST_TIMEOUT,
            )
            .await?;
        StatusInfo::from_msg(&m).ok_or_else(|| ServerError::Osc("malformed /status.reply".into()))
    }

    /// The server program and its version (`/version`).
    pub async fn version(&self) -> Result<VersionInfo> {
        let m = self
            .conn()?
            .request(
                packet(msg("/version", [])),
                Expect::Address("/version.reply"),
                REQUEST_TIMEOUT,
            )
            .await?;
        VersionInfo::from_msg(&m).ok_or_else(|| ServerError::Osc("malformed /version.reply".into()))
    }

    /// The server prints every message it receives (to its log) from the next one on.
    pub async fn dump_osc(&self, on: bool) -> Result<()> {
        self.send_checked(packet(msg("/dumpOSC", [int(on as i32)])))
            .await
    }

    // ---- nodes ----

    /// Where a node sits: its group and neighbours (`/n_query`).
    pub async fn query_node(&self, id: i32) -> Result<NodeInfo> {
        let conn = self.conn()?;
        query_node(&conn, id).await
    }

    /// The whole node tree, read from the server (not the live mirror). Stays right past
    /// scsynth's 64 KiB reply limit (see [`crate::handle::tree_read`]); fails when a group is too big
    /// to list without logging in ([`Server::read_tree`] returns the rest).
    pub async fn query_tree(&self, with_controls: bool) -> Result<NodeTree> {
        self.query_group(0, with_controls).await
    }

    /// The subtree under `group`.
    pub(crate) async fn query_group(&self, group: i32, with_controls: bool) -> Result<NodeTree> {
        let read = self.read_tree(group, with_controls).await?;
        if !read.is_complete() {
            return Err(self.unlisted_error(&read).await);
        }
        Ok(read.tree)
    }

    /// The subtree under `group` as far as the server can tell it, with what is missing.
    pub async fn read_tree(&self, group: i32, with_controls: bool) -> Result<TreeRead> {
        let live = self.online()?;
        let conn = &live.conn;
        let _one_at_a_time = conn.tree_query_lock().await;
        let (hints, known_defs) = self.with_tree(|t| {
            let mut hints = HashMap::new();
            let mut defs = HashMap::new();
            for n in t.nodes() {
                if n.is_group() && n.head != -1 {
                    hints.insert(n.id, t.children(n.id).map(|c| c.id).collect());
                }
                if let Some(d) = n.def_name() {
                    defs.insert(n.id, d.to_string());
                }
            }
            (hints, defs)
        });
        let opts = ReadOptions {
            controls: with_controls,
            walk: live.session.login.is_some(),
            hints,
            known_defs,
        };
        let mut read = tree_read::read(conn, group, &opts).await?;
        // A group too big to list named none of its synths; a server we booted prints them.
        read.named_from_printout = self.name_from_printout(&live, &mut read.tree).await;
        Ok(read)
    }

    /// Why a watch-only read is missing groups, with how much they hold (from `/status`).
    pub async fn unlisted_error(&self, read: &TreeRead) -> ServerError {
        let (mut synths, mut groups) = (0i64, 0i64);
        for n in read.tree.nodes() {
            if n.is_group() {
                groups += 1;
            } else {
                synths += 1;
            }
        }
        let holds = match self.status().await {
            // The root group counts among the server's groups.
            Ok(s) if read.tree.root == 0 => Some((
                (i64::from(s.synths) - synths).max(0),
                (i64::from(s.groups) - groups).max(0),
            )),
            _ => None,
        };
        ServerError::TreeTooBig {
            groups: read.unlisted.clone(),
            synths: holds.map(|h| h.0),
            subgroups: holds.map(|h| h.1),
        }
    }

    /// One group's subtree, with controls where they fit and names at least where those
    /// fit; never walked with `/n_query`.
    pub(crate) async fn query_group_once(&self, group: i32, controls: bool) -> Result<NodeTree> {
        let conn = self.conn()?;
        let _one_at_a_time = conn.tree_query_lock().await;
        let opts = ReadOptions {
            controls,
            ..ReadOptions::default()
        };
        Ok(tree_read::read(&conn, group, &opts).await?.tree)
    }

    /// Re-reads the tree into the live mirror.
    pub async fn refresh_tree(&self) -> Result<()> {
        let mut tree = self.query_tree(true).await?;
        if let Ok(mut t) = self.shared().tree.lock() {
            tree.carry_over(&t);
            tree.generation = tree.generation.max(t.generation + 1);
            tree.structure = tree.structure.max(t.structure + 1);
            *t = tree;
        }
        self.shared().changed();
        Ok(())
    }

    fn next_node_id(&self) -> Result<(Arc<Live>, i32)> {
        let (live, id) = self.alloc_ids("node", |a| a.nodes.allocate(1))?;
        Ok((live, id as i32))
    }

    /// Adds a group (a parallel group, `/p_new`, when `parallel`); returns its id.
    pub async fn add_group(&self, target: i32, action: AddAction, parallel: bool) -> Result<i32> {
        let (live, id) = self.next_node_id()?;
        let cmd = if parallel { "/p_new" } else { "/g_new" };
        let r = live
            .conn
            .send_checked(packet(msg(cmd, [int(id), int(action as i32), int(target)])))
            .await;
        if let Err(e) = r {
            self.release(&live, |a| {
                a.nodes.free(id as u32);
            });
            return Err(e);
        }
        Ok(id)
    }

    /// Adds a synth of a SynthDef the server knows; returns its id.
    pub async fn add_synth(
        &self,
        def: &str,
        target: i32,
        action: AddAction,
        controls: &[(&str, f32)],
    ) -> Result<i32> {
        // "Add a default synth" just works: a built-in is sent on first use.
        self.ensure_builtin(def).await?;
        let (live, id) = self.next_node_id()?;
        let s_new = self.describe_new_synth(def, id, action, target, controls);
        let r = live.conn.send_checked(packet(s_new)).await;
        if let Err(e) = r {
            if let Ok(mut t) = self.shared().tree.lock() {
                t.remove(id);
            }
            self.release(&live, |a| {
                a.nodes.free(id as u32);
            });
            return Err(e);
        }
        Ok(id)
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
            int(id),
            int(action as i32),
            int(target),
        ];
        let mut known: Vec<(String, ControlValue)> = self
            .synthdefs()
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
        if let Ok(mut t) = self.shared().tree.lock() {
            t.describe_synth(id, def, known);
        }
        msg("/s_new", args)
    }

    fn forget_node(&self, id: i32) {
        if let Some(live) = self.live() {
            self.release(&live, |a| {
                a.nodes.free(id as u32);
            });
        }
    }

    /// Frees a node (`/n_free`); a group's nodes go with it.
    pub async fn free_node(&self, id: i32) -> Result<()> {
        self.send_checked(packet(msg("/n_free", [int(id)]))).await?;
        self.forget_node(id);
        Ok(())
    }

    /// Asks the server to print a node's trace (`/n_trace`): a synth's UGens with their inputs
    /// and outputs, or a group's nodes. scsynth prints it to its own output, which only the
    /// program that booted it reads: on a server this handle booted, see
    /// [`ServerLog::trace_of`](crate::model::log::ServerLog::trace_of).
    pub async fn trace_node(&self, id: i32) -> Result<()> {
        self.send_checked(packet(msg("/n_trace", [int(id)]))).await
    }

    /// Frees every node inside a group, keeping the group.
    pub async fn free_group_children(&self, group: i32) -> Result<()> {
        self.send_checked(packet(msg("/g_freeAll", [int(group)])))
            .await
    }

    /// Pauses a node (`/n_run id 0`).
    pub async fn pause_node(&self, id: i32) -> Result<()> {
        self.send_checked(packet(msg("/n_run", [int(id), int(0)])))
            .await
    }

    /// Resumes a paused node (`/n_run id 1`).
    pub async fn run_node(&self, id: i32) -> Result<()> {
        self.send_checked(packet(msg("/n_run", [int(id), int(1)])))
            .await
    }

    /// Sets controls without waiting (fast enough for a dragged slider).
    pub async fn set_node(&self, id: i32, controls: &[(&str, f32)]) -> Result<()> {
        let mut args = vec![int(id)];
        for (name, value) in controls {
            args.push(OscType::String(name.to_string()));
            args.push(OscType::Float(*value));
        }
        self.send_msg(msg("/n_set", args)).await?;
        if let Ok(mut t) = self.shared().tree.lock() {
            for (name, value) in controls {
                t.set_control(id, name, *value);
            }
        }
        Ok(())
    }

    /// Moves a node relative to a target (head / tail of a group, before / after a node).
    pub async fn move_node(&self, id: i32, target: i32, action: AddAction) -> Result<()> {
        let cmd = match action {
            AddAction::AddToHead => msg("/g_head", [int(target), int(id)]),
            AddAction::AddToTail => msg("/g_tail", [int(target), int(id)]),
            AddAction::AddBefore => msg("/n_before", [int(id), int(target)]),
            AddAction::AddAfter => msg("/n_after", [int(id), int(target)]),
            AddAction::Replace => {
                return Err(ServerError::Fail {
                    command: "move".into(),
                    message: "a node can't be moved by replacing another".into(),
                });
            }
        };
        self.send_checked(packet(cmd)).await
    }

    /// A synth control's current value on the server (`/s_get`).
    pub async fn get_synth_control(&self, id: i32, control: &str) -> Result<f32> {
        let m = self
            .conn()?
            .request(
                packet(msg(
                    "/s_get",
                    [int(id), OscType::String(control.to_string())],
                )),
                Expect::ReplyOrFail {
                    reply: "/n_set",
                    id: Some(id),
                    command: "/s_get",
                },
                REQUEST_TIMEOUT,
            )
            .await?;
        protocol::float_arg(&m, 2)
            .map(|v| v as f32)
            .ok_or_else(|| ServerError::Osc("malformed /n_set reply".into()))
    }

    // ---- buffers ----

    /// Allocates a buffer of `frames` × `channels`; returns its id.
    pub async fn add_buffer(&self, frames: i32, channels: i32) -> Result<i32> {
        let (live, id) = self.alloc_ids("buffer", |a| a.buffers.allocate(1))?;
        let id = id as i32;
        let r = live
            .conn
            .request(
                packet(msg("/b_alloc", [int(id), int(frames), int(channels)])),
                Expect::Done {
                    command: "/b_alloc".into(),
                    id: Some(id),
                },
                SYNC_TIMEOUT,
            )
            .await;
        if let Err(e) = r {
            self.release(&live, |a| {
                a.buffers.free(id as u32);
            });
            return Err(e);
        }
        Ok(id)
    }

    /// Reads a sound file into a new buffer (`/b_allocRead`); returns its id.
    pub async fn read_buffer(&self, path: &Path, start_frame: i32, frames: i32) -> Result<i32> {
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
                    crate::host::files::kind_of(&meta)
                ),
            });
        }
        let (live, id) = self.alloc_ids("buffer", |a| a.buffers.allocate(1))?;
        let id = id as i32;
        let r = live
            .conn
            .request(
                packet(msg(
                    "/b_allocRead",
                    [
                        int(id),
                        OscType::String(path.display().to_string()),
                        int(start_frame),
                        int(frames),
                    ],
                )),
                Expect::Done {
                    command: "/b_allocRead".into(),
                    id: Some(id),
                },
                SYNC_TIMEOUT,
            )
            .await;
        if let Err(e) = r {
            self.release(&live, |a| {
                a.buffers.free(id as u32);
            });
            return Err(e);
        }
        // A file scsynth could not read still "succeeds" with an empty buffer: check.
        let info = self.query_buffer(id).await?;
        if info.frames == 0 {
            let _ = self.free_buffer(id).await;
            return Err(ServerError::Fail {
                command: "/b_allocRead".into(),
                message: format!("could not read {} (see the server log)", path.display()),
            });
        }
        Ok(id)
    }

    /// A buffer's frames, channels and sample rate (`/b_query`).
    pub async fn query_buffer(&self, id: i32) -> Result<BufferInfo> {
        let m = self
            .conn()?
            .request(
                packet(msg("/b_query", [int(id)])),
                Expect::ReplyOrFail {
                    reply: "/b_info",
                    id: Some(id),
                    command: "/b_query",
                },
                REQUEST_TIMEOUT,
            )
            .await?;
        BufferInfo::from_msg(&m).ok_or_else(|| ServerError::Osc("malformed /b_info".into()))
    }

    /// Sets every sample of a buffer to zero (`/b_zero`).
    pub async fn zero_buffer(&self, id: i32) -> Result<()> {
        self.buffer_command("/b_zero", id).await
    }

    /// Frees a buffer (`/b_free`) and gives its number back to this client.
    pub async fn free_buffer(&self, id: i32) -> Result<()> {
        self.buffer_command("/b_free", id).await?;
        if let Some(live) = self.live() {
            self.release(&live, |a| {
                a.buffers.free(id as u32);
            });
        }
        Ok(())
    }

    async fn buffer_command(&self, cmd: &str, id: i32) -> Result<()> {
        self.conn()?
            .request(
                packet(msg(cmd, [int(id)])),
                Expect::Done {
                    command: cmd.into(),
                    id: Some(id),
                },
                SYNC_TIMEOUT,
            )
            .await
            .map(|_| ())
    }

    /// The buffers this client allocated, as `(id, 1)` blocks.
    pub fn buffer_ids(&self) -> Vec<i32> {
        self.live()
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

    // ---- buses ----

    /// Allocates one bus from this client's range.
    pub async fn add_bus(&self, rate: BusRate) -> Result<BusGroup> {
        self.add_bus_group(rate, 1).await
    }

    /// Reserves `count` consecutive buses from this client's range.
    pub async fn add_bus_group(&self, rate: BusRate, count: u32) -> Result<BusGroup> {
        let what = match rate {
            BusRate::Audio => "audio bus",
            BusRate::Control => "control bus",
        };
        let (_, id) = self.alloc_ids(what, |a| match rate {
            BusRate::Audio => a.audio_buses.allocate(count),
            BusRate::Control => a.control_buses.allocate(count),
        })?;
        Ok(BusGroup { rate, id, count })
    }

    /// Gives a block of buses back to this client's range.
    pub fn free_bus_group(&self, group: BusGroup) -> Result<()> {
        let live = self.logged_in()?;
        self.release(&live, |a| {
            match group.rate {
                BusRate::Audio => a.audio_buses.free(group.id),
                BusRate::Control => a.control_buses.free(group.id),
            };
        });
        Ok(())
    }

    /// This client's bus groups.
    pub fn bus_groups(&self) -> Vec<BusGroup> {
        let Some(live) = self.live() else {
            return Vec::new();
        };
        let Some(a) = live
            .alloc
            .as_ref()
            .and_then(|a| a.lock().ok().map(|a| a.clone()))
        else {
            return Vec::new();
        };
        let mut v: Vec<BusGroup> = a
            .audio_buses
            .allocated()
            .into_iter()
            .map(|(id, count)| BusGroup {
                rate: BusRate::Audio,
                id,
                count,
            })
            .collect();
        v.extend(
            a.control_buses
                .allocated()
                .into_iter()
                .map(|(id, count)| BusGroup {
                    rate: BusRate::Control,
                    id,
                    count,
                }),
        );
        v
    }

    /// Sets a control bus (`/c_set`).
    pub async fn set_control_bus(&self, id: i32, value: f32) -> Result<()> {
        self.send_msg(msg("/c_set", [int(id), OscType::Float(value)]))
            .await
    }

    /// Reads a control bus (`/c_get`).
    pub async fn get_control_bus(&self, id: i32) -> Result<f32> {
        let m = self
            .conn()?
            .request(
                packet(msg("/c_get", [int(id)])),
                Expect::ReplyOrFail {
                    reply: "/c_set",
                    id: Some(id),
                    command: "/c_get",
                },
                REQUEST_TIMEOUT,
            )
            .await?;
        protocol::float_arg(&m, 1)
            .map(|v| v as f32)
            .ok_or_else(|| ServerError::Osc("malformed /c_set reply".into()))
    }

    /// Values of `count` consecutive control buses (`/c_getn`).
    pub async fn get_control_buses(&self, id: i32, count: i32) -> Result<Vec<f32>> {
        let m = self
            .conn()?
            .request(
                packet(msg("/c_getn", [int(id), int(count)])),
                Expect::ReplyOrFail {
                    reply: "/c_setn",
                    id: Some(id),
                    command: "/c_getn",
                },
                REQUEST_TIMEOUT,
            )
            .await?;
        Ok((0..count.max(0) as usize)
            .filter_map(|i| protocol::float_arg(&m, 2 + i).map(|v| v as f32))
            .collect())
    }

    /// The node, buffer and bus id ranges of this client.
    pub fn client_ranges(&self) -> Option<crate::model::alloc::ClientRanges> {
        self.live()?
            .alloc
            .as_ref()
            .and_then(|a| a.lock().ok().map(|a| a.ranges.clone()))
    }
}

async fn query_node(conn: &Connection, id: i32) -> Result<NodeInfo> {
    let m = conn
        .request(
            packet(msg("/n_query", [int(id)])),
            Expect::ReplyOrFail {
                reply: "/n_info",
                id: Some(id),
                command: "/n_query",
            },
            REQUEST_TIMEOUT,
        )
        .await?;
    NodeInfo::from_msg(&m).ok_or_else(|| ServerError::Osc("malformed /n_info".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Refused before the server is asked: this runs with no server at all.
    #[tokio::test]
    async fn a_pipe_or_folder_is_no_sound_file_for_a_buffer() {
        let dir = std::env::temp_dir().join(format!("scpanel-buf-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe.wav");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let server = Server::new();
        for (path, kind) in [(&fifo, "a named pipe (FIFO)"), (&dir, "a folder")] {
            let e = server
                .read_buffer(path, 0, -1)
                .await
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&format!("{} is {kind}, not a sound file", path.display())),
                "{e}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
