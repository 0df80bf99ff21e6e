//! Nodes: making groups and synths, and what can be done to a node once it runs (free,
//! pause, set, move, trace, ask). Free functions over a [`Link`]; [`Nodes`] is the public
//! face ([`Server::nodes`](crate::Server::nodes)).

use std::sync::Arc;

use rosc::{OscMessage, OscPacket, OscType};

use crate::error::{Result, ServerError};
use crate::link::{Link, Live};
use crate::ops::synthdefs::SynthDefs;
use crate::wire::protocol::{self, AddAction, Expect, NodeInfo, int, msg};

fn packet(m: OscMessage) -> OscPacket {
    OscPacket::Message(m)
}

fn next_node_id(link: &Link) -> Result<(Arc<Live>, i32)> {
    let (live, id) = link.alloc_ids("node", |a| a.nodes.allocate(1))?;
    Ok((live, id as i32))
}

fn forget_node(link: &Link, id: i32) {
    if let Some(live) = link.live() {
        link.release(&live, |a| {
            a.nodes.free(id as u32);
        });
    }
}

/// Adds a group (a parallel group, `/p_new`, when `parallel`); returns its id.
pub(crate) async fn add_group(
    link: &Link,
    target: i32,
    action: AddAction,
    parallel: bool,
) -> Result<i32> {
    let (live, id) = next_node_id(link)?;
    let cmd = if parallel { "/p_new" } else { "/g_new" };
    let r = live
        .conn
        .send_checked(packet(msg(cmd, [int(id), int(action as i32), int(target)])))
        .await;
    if let Err(e) = r {
        link.release(&live, |a| {
            a.nodes.free(id as u32);
        });
        return Err(e);
    }
    Ok(id)
}

/// Adds a synth of a SynthDef the server knows; returns its id.
pub(crate) async fn add_synth(
    link: &Link,
    defs: &SynthDefs,
    def: &str,
    target: i32,
    action: AddAction,
    controls: &[(&str, f32)],
) -> Result<i32> {
    // "Add a default synth" just works: a built-in is sent on first use.
    defs.ensure_builtin(def).await?;
    let (live, id) = next_node_id(link)?;
    let s_new = defs.describe_new_synth(def, id, action, target, controls);
    let r = live.conn.send_checked(packet(s_new)).await;
    if let Err(e) = r {
        link.update_tree(|t| {
            t.remove(id);
        });
        link.release(&live, |a| {
            a.nodes.free(id as u32);
        });
        return Err(e);
    }
    Ok(id)
}

/// Frees a node (`/n_free`); a group's nodes go with it.
pub(crate) async fn free(link: &Link, id: i32) -> Result<()> {
    link.send_checked(packet(msg("/n_free", [int(id)]))).await?;
    forget_node(link, id);
    Ok(())
}

/// Sets controls without waiting (fast enough for a dragged slider).
pub(crate) async fn set(link: &Link, id: i32, controls: &[(&str, f32)]) -> Result<()> {
    let mut args = vec![int(id)];
    for (name, value) in controls {
        args.push(OscType::String(name.to_string()));
        args.push(OscType::Float(*value));
    }
    link.send_msg(msg("/n_set", args)).await?;
    link.update_tree(|t| {
        for (name, value) in controls {
            t.set_control(id, name, *value);
        }
    });
    Ok(())
}

/// Pauses (`/n_run id 0`) or resumes (`/n_run id 1`) a node.
pub(crate) async fn run(link: &Link, id: i32, on: bool) -> Result<()> {
    link.send_checked(packet(msg("/n_run", [int(id), int(on as i32)])))
        .await
}

/// Where a node sits: its group and neighbours (`/n_query`).
pub(crate) async fn query(link: &Link, id: i32) -> Result<NodeInfo> {
    let m = link
        .request(
            msg("/n_query", [int(id)]),
            Expect::ReplyOrFail {
                reply: "/n_info",
                id: Some(id),
                command: "/n_query",
            },
        )
        .await?;
    NodeInfo::from_msg(&m).ok_or_else(|| ServerError::Osc("malformed /n_info".into()))
}

/// A synth control's current value on the server (`/s_get`).
pub(crate) async fn get_control(link: &Link, id: i32, control: &str) -> Result<f32> {
    let m = link
        .request(
            msg("/s_get", [int(id), OscType::String(control.to_string())]),
            Expect::ReplyOrFail {
                reply: "/n_set",
                id: Some(id),
                command: "/s_get",
            },
        )
        .await?;
    protocol::float_arg(&m, 2)
        .map(|v| v as f32)
        .ok_or_else(|| ServerError::Osc("malformed /n_set reply".into()))
}

/// What can be done to the nodes on a server once they run, like supriya's node proxies:
/// free, pause, resume, set, move, trace, ask. Groups and synths are made with
/// [`Server::add_group`](crate::Server::add_group) and
/// [`Server::add_synth`](crate::Server::add_synth).
#[derive(Clone)]
pub struct Nodes {
    pub(crate) link: Arc<Link>,
}

impl Nodes {
    /// Frees a node (`/n_free`); a group's nodes go with it.
    pub async fn free(&self, id: i32) -> Result<()> {
        free(&self.link, id).await
    }

    /// Frees every node inside a group, keeping the group (`/g_freeAll`).
    pub async fn free_children(&self, group: i32) -> Result<()> {
        self.link
            .send_checked(packet(msg("/g_freeAll", [int(group)])))
            .await
    }

    /// Pauses a node (`/n_run id 0`).
    pub async fn pause(&self, id: i32) -> Result<()> {
        run(&self.link, id, false).await
    }

    /// Resumes a paused node (`/n_run id 1`).
    pub async fn resume(&self, id: i32) -> Result<()> {
        run(&self.link, id, true).await
    }

    /// Sets controls without waiting (fast enough for a dragged slider).
    pub async fn set(&self, id: i32, controls: &[(&str, f32)]) -> Result<()> {
        set(&self.link, id, controls).await
    }

    /// Moves a node relative to a target (head / tail of a group, before / after a node).
    pub async fn move_to(&self, id: i32, target: i32, action: AddAction) -> Result<()> {
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
        self.link.send_checked(packet(cmd)).await
    }

    /// Asks the server to print a node's trace (`/n_trace`): a synth's UGens with their inputs
    /// and outputs, or a group's nodes. scsynth prints it to its own output, which only the
    /// program that booted it reads: on a server this handle booted, see
    /// [`ServerLog::trace_of`](crate::ServerLog::trace_of).
    pub async fn trace(&self, id: i32) -> Result<()> {
        self.link
            .send_checked(packet(msg("/n_trace", [int(id)])))
            .await
    }

    /// Where a node sits: its group and neighbours (`/n_query`).
    pub async fn query(&self, id: i32) -> Result<NodeInfo> {
        query(&self.link, id).await
    }

    /// A synth control's current value on the server (`/s_get`).
    pub async fn get_control(&self, id: i32, control: &str) -> Result<f32> {
        get_control(&self.link, id, control).await
    }

    /// SynthDef names for the synths `ids`, read from scsynth's printout of its node tree
    /// (`/g_dumpTree 0 0`). Only a server this process booted prints where scpanel can read
    /// it: on any other the result is empty. Synths below a group the live mirror knows is
    /// paused are not printed by the server, so they are left out.
    pub async fn names_from_printout(&self, ids: &[i32]) -> std::collections::HashMap<i32, String> {
        crate::ops::printout::synth_names(&self.link, ids).await
    }

    /// Frees scpanel's own group and whatever is left in it, quietly: for a command that
    /// leaves nothing behind on a server it visited.
    pub async fn free_own_group(&self) -> Result<()> {
        crate::ops::own_nodes::free_group(&self.link).await
    }

    /// Whether `id` is one of scpanel's own nodes (meters, volume, recorder, test tone).
    pub fn is_own(&self, id: i32) -> bool {
        crate::ops::own_nodes::is_own_node(&self.link, id)
    }

    /// The id of one of scpanel's own nodes on this server (`None` when not logged in).
    pub fn own(&self, slot: crate::ops::own_nodes::Own) -> Option<i32> {
        crate::ops::own_nodes::own_node(&self.link, slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::scripted;
    use crate::model::tree::ControlValue;
    use crate::wire::protocol::{int_arg, str_arg};

    fn defs(link: &Arc<Link>) -> SynthDefs {
        crate::ops::no_synthdefs(link)
    }

    #[tokio::test]
    async fn a_synth_is_described_in_the_mirror_before_the_server_says_so() {
        let (link, script) = scripted::link().await;
        let id = add_synth(
            &link,
            &defs(&link),
            "default",
            1,
            AddAction::AddToHead,
            &[("freq", 330.0)],
        )
        .await
        .expect("the scripted server takes it");
        let s_new = script.sent("/s_new");
        assert_eq!(s_new.len(), 1, "{s_new:?}");
        assert_eq!(str_arg(&s_new[0], 0), Some("default"));
        assert_eq!(int_arg(&s_new[0], 1), Some(id));
        // `default` is a built-in: it went to the server before the synth.
        assert_eq!(script.sent("/d_recv").len(), 1);
        // The mirror has no node before `/n_go`, but knows what it will be.
        link.update_tree(|t| {
            t.apply(&msg("/n_go", [int(id), int(0), int(-1), int(-1), int(0)]));
        });
        let controls = link.with_tree(|t| t.get(id).map(|n| n.controls.clone()));
        let freq = controls
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "freq");
        assert_eq!(freq, Some(("freq".into(), ControlValue::Value(330.0))));
    }

    #[tokio::test]
    async fn a_refused_synth_gives_its_id_back() {
        let (link, script) = scripted::link().await;
        let defs = defs(&link);
        script.refuse("/s_new");
        let refused = add_synth(&link, &defs, "default", 1, AddAction::AddToHead, &[]).await;
        assert!(
            matches!(refused, Err(ServerError::Fail { .. })),
            "{refused:?}"
        );
        let tried = int_arg(&script.sent("/s_new")[0], 1);
        script.refuse.lock().expect("script").clear();
        let id = add_synth(&link, &defs, "default", 1, AddAction::AddToHead, &[])
            .await
            .expect("taken now");
        assert_eq!(Some(id), tried, "the refused id is handed out again");
    }

    #[tokio::test]
    async fn setting_controls_changes_the_mirror_without_waiting() {
        let (link, script) = scripted::link().await;
        link.update_tree(|t| {
            t.apply(&msg("/n_go", [int(1000), int(0), int(-1), int(-1), int(0)]));
            t.describe_synth(
                1000,
                "default",
                vec![("amp".into(), ControlValue::Value(0.1))],
            );
        });
        set(&link, 1000, &[("amp", 0.25)]).await.expect("sent");
        // The mirror changed before any answer; the sync only lets the script catch up.
        link.sync().await.expect("synced");
        let amp = link.with_tree(|t| t.get(1000).map(|n| n.controls.clone()));
        assert_eq!(amp, Some(vec![("amp".into(), ControlValue::Value(0.25))]));
        assert_eq!(script.sent("/n_set").len(), 1);
    }

    #[tokio::test]
    async fn a_node_is_not_moved_by_replacing_another() {
        let (link, script) = scripted::link().await;
        let nodes = Nodes { link };
        let r = nodes.move_to(1000, 1, AddAction::Replace).await;
        assert!(matches!(r, Err(ServerError::Fail { .. })), "{r:?}");
        assert!(
            script.received.lock().expect("script").is_empty(),
            "nothing sent"
        );
    }
}
