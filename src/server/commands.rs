//! Queries and commands on an online server: nodes, buffers, buses, raw OSC.

use std::path::Path;
use std::sync::Arc;

use rosc::{OscMessage, OscPacket, OscType};

use super::connection::{Connection, REQUEST_TIMEOUT, SYNC_TIMEOUT};
use super::error::{Result, ServerError};
use super::protocol::{
    self, AddAction, BufferInfo, BusRate, Expect, NodeInfo, StatusInfo, VersionInfo, msg,
};
use super::tree::{ControlValue, Node, NodeKind, NodeTree};
use super::{Live, Server};

/// A block of consecutive buses this client allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusGroup {
    pub rate: BusRate,
    pub id: u32,
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
        pick: impl FnOnce(&mut super::alloc::Allocators) -> Option<u32>,
    ) -> Result<(Arc<Live>, u32)> {
        let live = self.logged_in()?;
        let id = live
            .alloc
            .as_ref()
            .and_then(|a| a.lock().ok().and_then(|mut a| pick(&mut a)))
            .ok_or(ServerError::OutOfIds { what })?;
        Ok((live, id))
    }

    fn release(&self, live: &Live, f: impl FnOnce(&mut super::alloc::Allocators)) {
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

    pub async fn send_msg(&self, m: OscMessage) -> Result<()> {
        self.send(packet(m)).await
    }

    /// Sends, then waits until the server has done it; `/fail`s become the error.
    pub async fn send_checked(&self, p: OscPacket) -> Result<()> {
        self.conn()?.send_checked(p).await
    }

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

    pub async fn query_node(&self, id: i32) -> Result<NodeInfo> {
        let conn = self.conn()?;
        query_node(&conn, id).await
    }

    /// The whole node tree, read from the server (not the live mirror). Stays right past
    /// scsynth's 64 KiB reply limit by reading overflowing groups child by child.
    pub async fn query_tree(&self, with_controls: bool) -> Result<NodeTree> {
        self.query_group(0, with_controls).await
    }

    /// The subtree under `group`.
    pub async fn query_group(&self, group: i32, with_controls: bool) -> Result<NodeTree> {
        let conn = self.conn()?;
        let _one_at_a_time = conn.tree_query_lock().await;
        let known_defs = self.with_tree(|t| {
            t.nodes()
                .filter_map(|n| n.def_name().map(|d| (n.id, d.to_string())))
                .collect::<std::collections::HashMap<_, _>>()
        });
        let mut tree = NodeTree::new(group);
        let mut todo = vec![group];
        while !todo.is_empty() {
            // A wave: every group still to read, asked in bundles. Replies come back in the
            // order of the queries, so each /fail is known to belong to its group.
            let wave = std::mem::take(&mut todo);
            for chunk in wave.chunks(TREE_WAVE) {
                let queries = chunk
                    .iter()
                    .map(|g| msg("/g_queryTree", [int(*g), int(with_controls as i32)]))
                    .collect();
                let replies = conn
                    .collect(
                        super::bundle_of(queries),
                        Expect::ReplyOrFail {
                            reply: "/g_queryTree.reply",
                            id: None,
                            command: "/g_queryTree",
                        },
                    )
                    .await?;
                if replies.len() != chunk.len() {
                    return Err(ServerError::Osc(format!(
                        "{} tree replies to {} queries (a datagram was lost?): try again",
                        replies.len(),
                        chunk.len()
                    )));
                }
                for (&g, reply) in chunk.iter().zip(replies) {
                    match protocol::check_fail(reply) {
                        Ok(m) => {
                            let sub = NodeTree::from_query_reply(&m)
                                .map_err(|e| ServerError::Osc(e.to_string()))?;
                            tree.graft(g, &sub);
                        }
                        Err(ServerError::Fail { message, .. }) if message.contains("overflow") => {
                            // Too big for one datagram: list its children, read each on its own.
                            let hints =
                                self.with_tree(|t| t.children(g).map(|n| n.id).collect::<Vec<_>>());
                            for ci in walk_children(&conn, g, &hints).await? {
                                let kind = if ci.is_group {
                                    NodeKind::Group
                                } else {
                                    NodeKind::Synth {
                                        def: known_defs.get(&ci.node).cloned(),
                                    }
                                };
                                tree.push_child(g, Node::new(ci.node, g, kind));
                                if ci.is_group && ci.head != -1 {
                                    todo.push(ci.node);
                                }
                            }
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(tree)
    }

    /// One `/g_queryTree group 1`, without splitting (fails past 64 KiB).
    pub(crate) async fn query_group_once(&self, group: i32) -> Result<NodeTree> {
        let conn = self.conn()?;
        let _one_at_a_time = conn.tree_query_lock().await;
        let m = conn
            .request(
                packet(msg("/g_queryTree", [int(group), int(1)])),
                Expect::ReplyOrFail {
                    reply: "/g_queryTree.reply",
                    id: None,
                    command: "/g_queryTree",
                },
                REQUEST_TIMEOUT,
            )
            .await?;
        NodeTree::from_query_reply(&m).map_err(|e| ServerError::Osc(e.to_string()))
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
        let mut args = vec![
            OscType::String(def.to_string()),
            int(id),
            int(action as i32),
            int(target),
        ];
        for (name, value) in controls {
            args.push(OscType::String(name.to_string()));
            args.push(OscType::Float(*value));
        }
        // Notifications carry no def name: note it (and the controls, defaults filled in)
        // before the /n_go can arrive.
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
            match known.iter_mut().find(|(k, _)| k == name) {
                Some((_, v)) => *v = ControlValue::Value(*value),
                None => known.push((name.to_string(), ControlValue::Value(*value))),
            }
        }
        if let Ok(mut t) = self.shared().tree.lock() {
            t.describe_synth(id, def, known);
        }
        let r = live.conn.send_checked(packet(msg("/s_new", args))).await;
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

    fn forget_node(&self, id: i32) {
        if let Some(live) = self.live() {
            self.release(&live, |a| {
                a.nodes.free(id as u32);
            });
        }
    }

    pub async fn free_node(&self, id: i32) -> Result<()> {
        self.send_checked(packet(msg("/n_free", [int(id)]))).await?;
        self.forget_node(id);
        Ok(())
    }

    /// Frees every node inside a group, keeping the group.
    pub async fn free_group_children(&self, group: i32) -> Result<()> {
        self.send_checked(packet(msg("/g_freeAll", [int(group)])))
            .await
    }

    pub async fn pause_node(&self, id: i32) -> Result<()> {
        self.send_checked(packet(msg("/n_run", [int(id), int(0)])))
            .await
    }

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

    pub async fn zero_buffer(&self, id: i32) -> Result<()> {
        self.buffer_command("/b_zero", id).await
    }

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

    pub async fn set_control_bus(&self, id: i32, value: f32) -> Result<()> {
        self.send_msg(msg("/c_set", [int(id), OscType::Float(value)]))
            .await
    }

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
    pub fn client_ranges(&self) -> Option<super::alloc::ClientRanges> {
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

/// How many `/g_queryTree`s go in one bundle: each reply may be up to 64 KiB.
const TREE_WAVE: usize = 32;

/// How many nodes one `/n_query` asks about while walking a big group.
const WALK_BATCH: usize = 256;

/// The children of `group`, in order, from `/n_info` replies. scsynth answers once per audio
/// block, so the walk asks about a batch of likely next siblings at a time (the live
/// mirror's idea of them, then consecutive ids) instead of one node per block.
async fn walk_children(conn: &Connection, group: i32, hints: &[i32]) -> Result<Vec<NodeInfo>> {
    let head = query_node(conn, group).await?.head;
    let hint_pos: std::collections::HashMap<i32, usize> =
        hints.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut known: std::collections::HashMap<i32, NodeInfo> = std::collections::HashMap::new();
    let mut out = Vec::new();
    let mut child = head;
    while child != -1 {
        let info = match known.remove(&child) {
            Some(info) if info.parent == group => info,
            _ => {
                let mut ids = vec![child];
                if let Some(&p) = hint_pos.get(&child) {
                    ids.extend(hints[p + 1..].iter().take(WALK_BATCH / 2));
                }
                let guesses = WALK_BATCH.saturating_sub(ids.len());
                ids.extend((1..=guesses as i32).filter_map(|d| child.checked_add(d)));
                ids.sort_unstable();
                ids.dedup();
                // `/error -1` in the bundle keeps wrong guesses out of the server's log.
                let bundle = super::bundle_of(vec![
                    msg("/error", [int(-1)]),
                    msg("/n_query", ids.into_iter().map(int)),
                ]);
                for m in conn.collect(bundle, Expect::Address("/n_info")).await? {
                    if let Some(i) = NodeInfo::from_msg(&m) {
                        known.insert(i.node, i);
                    }
                }
                match known.remove(&child) {
                    Some(info) => info,
                    None => query_node(conn, child).await?,
                }
            }
        };
        child = info.next;
        out.push(info);
    }
    Ok(out)
}
