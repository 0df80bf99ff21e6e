//! scpanel's own nodes: the level meters, the master volume, the recorder and the test tone,
//! in one group of their own at the tail of the root, so that the volume and the meters hear
//! everything users play. Their ids are fixed slots at the top of this client's node block
//! (counting down), which nobody types and which stay the same after a reset, so a user's
//! `/s_new default 1000 0 1` never finds 1000 taken by a meter.

use rosc::OscType;

use crate::error::{Result, ServerError};
use crate::link::{Attachment, Link};
use crate::model::tree::NodeTree;
use crate::ops::synthdefs::SynthDefs;
use crate::wire::protocol::{AddAction, bundle_of, msg};

/// A place in scpanel's own group, in the order the nodes run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Own {
    /// The group itself.
    Group,
    /// The meter on the hardware inputs.
    InputMeter,
    /// The test tone on the left output.
    ToneLeft,
    /// The test tone on the right output.
    ToneRight,
    /// The master volume.
    Volume,
    /// The meter on the hardware outputs (after the volume).
    OutputMeter,
    /// The recorder (so it hears everything).
    Recorder,
    /// The scope's tap (last: it reads what everything before it wrote).
    Scope,
    /// The layout probe a guest runs once at login (`server::layout`): at the root's head,
    /// for one block.
    LayoutProbe,
    /// A meter on any bus range, 0 to `MAX_BUS_METERS` − 1: at the group's tail, after
    /// every node that writes (scpanel's group is kept last in the root).
    BusMeter(u8),
}

impl Own {
    /// This slot's id in a client's node block (`ClientRanges::own_nodes`).
    pub fn id_in(self, ranges: &crate::model::alloc::ClientRanges) -> i32 {
        ranges.own_nodes.end - self.offset()
    }

    /// The synths in running order.
    const ORDER: [Own; 7] = [
        Own::InputMeter,
        Own::ToneLeft,
        Own::ToneRight,
        Own::Volume,
        Own::OutputMeter,
        Own::Recorder,
        Own::Scope,
    ];

    fn offset(self) -> i32 {
        match self {
            Own::Group => 0,
            Own::InputMeter => 1,
            Own::ToneLeft => 2,
            Own::ToneRight => 3,
            Own::Volume => 4,
            Own::OutputMeter => 5,
            Own::Recorder => 6,
            Own::Scope => 7,
            Own::LayoutProbe => 8,
            // Offsets 9 to 15 are left for fixed slots to come; bus meters take the second
            // half of the block (`OWN_NODE_SLOTS` is 32).
            Own::BusMeter(n) => 16 + i32::from(n),
        }
    }
}

/// The id of one of scpanel's own nodes on this server (`None` when not logged in).
pub(crate) fn own_node(link: &Link, slot: Own) -> Option<i32> {
    Some(slot.id_in(&link.client_ranges()?))
}

/// Whether `id` is one of scpanel's own nodes (meters, volume, recorder, test tone).
pub(crate) fn is_own_node(link: &Link, id: i32) -> bool {
    link.client_ranges()
        .is_some_and(|r| (r.own_nodes.start..=r.own_nodes.end).contains(&id))
}

/// scpanel's own group: the volume and the recorder may both be first to need it, and only
/// one may make it.
#[derive(Default)]
pub(crate) struct OwnGroup {
    one_at_a_time: tokio::sync::Mutex<()>,
}

impl OwnGroup {
    /// Makes scpanel's own group (at the tail of the root) unless it is there.
    pub async fn ensure(&self, link: &Link) -> Result<i32> {
        let group = own_node(link, Own::Group).ok_or(ServerError::NotLoggedIn)?;
        let _one_at_a_time = self.one_at_a_time.lock().await;
        // Asked of the server every time, not of the mirror, which may lag a reset or a
        // re-read: quietly, since "duplicate node ID" only means it is there.
        link.send_checked(bundle_of(vec![
            msg("/error", [OscType::Int(-1)]),
            msg(
                "/g_new",
                [OscType::Int(group), OscType::Int(1), OscType::Int(0)],
            ),
        ]))
        .await?;
        Ok(group)
    }

    /// Starts `def` in `slot` of scpanel's own group, in running order; returns its id.
    pub async fn add_synth(
        &self,
        link: &Link,
        defs: &SynthDefs,
        slot: Own,
        def: &str,
        controls: &[(&str, f32)],
    ) -> Result<i32> {
        let group = self.ensure(link).await?;
        let id = own_node(link, slot).ok_or(ServerError::NotLoggedIn)?;
        let later = Own::ORDER
            .iter()
            .skip_while(|s| **s != slot)
            .skip(1)
            .filter_map(|s| own_node(link, *s))
            .find(|n| link.with_tree(|t| t.get(*n).is_some_and(|n| n.parent == group)));
        let (target, action) = match later {
            Some(n) => (n, AddAction::AddBefore),
            None => (group, AddAction::AddToTail),
        };
        defs.ensure_builtin(def).await?;
        let s_new = defs.describe_new_synth(def, id, action, target, controls);
        if let Err(e) = link.send_checked(bundle_of(vec![s_new])).await {
            link.update_tree(|t| {
                t.remove(id);
            });
            return Err(e);
        }
        Ok(id)
    }
}

/// Frees one of scpanel's own synths (quietly: it may have ended by itself). Asked
/// whether or not the mirror knows it: a one-shot link keeps no mirror, and the id is
/// in this client's own block, so nobody else's node can have it.
pub(crate) async fn free_synth(link: &Link, slot: Own) -> Result<()> {
    let Some(id) = own_node(link, slot) else {
        return Ok(());
    };
    link.send_checked(bundle_of(vec![
        msg("/error", [OscType::Int(-1)]),
        msg("/n_free", [OscType::Int(id)]),
    ]))
    .await
}

/// Frees scpanel's own group when nothing runs in it any more (leaving a server).
pub(crate) async fn free_group_if_empty(link: &Link) {
    let Some(group) = own_node(link, Own::Group) else {
        return;
    };
    if link.with_tree(|t| t.get(group).is_some_and(|g| g.head == -1)) {
        let _ = free_group(link).await;
    }
}

/// Frees scpanel's own group and whatever is left in it, quietly: for a command that
/// leaves nothing behind on a server it visited.
pub(crate) async fn free_group(link: &Link) -> Result<()> {
    let Some(group) = own_node(link, Own::Group) else {
        return Ok(());
    };
    link.send_checked(bundle_of(vec![
        msg("/error", [OscType::Int(-1)]),
        msg("/n_free", [OscType::Int(group)]),
    ]))
    .await
}

/// Which client's default group `id` is, when it is one: `clientID·2^26 + 1` in sclang's
/// layout, `clientID + 1` in supriya's (the one scpanel boots with), both at the root.
pub fn default_group_client(tree: &NodeTree, session: &Attachment, id: i32) -> Option<i32> {
    let logins = session.login.map_or(32, |l| l.max_logins.clamp(1, 32)) as i32;
    let at_root = |g: i32| {
        tree.get(g)
            .is_some_and(|n| n.is_group() && n.parent == tree.root)
    };
    if !at_root(id) {
        return None;
    }
    if id & ((1 << 26) - 1) == 1 && (0..32).contains(&(id >> 26)) {
        return Some(id >> 26);
    }
    let supriya = session.is_owner || (1..=logins).all(at_root);
    (supriya && (2..=logins).contains(&id)).then_some(id - 1)
}

/// Keeps scpanel's own group last in the root while the connection lives: a node another
/// client adds at the root's tail would otherwise play after the volume and the meters.
pub(crate) async fn keep_last(link: std::sync::Weak<Link>) {
    let Some(mut changes) = link.upgrade().map(|l| l.shared.changes.subscribe()) else {
        return;
    };
    while changes.changed().await.is_ok() {
        let Some(link) = link.upgrade() else {
            return;
        };
        let Some(group) = own_node(&link, Own::Group) else {
            continue;
        };
        let misplaced = link.with_tree(|t| {
            t.get(group).is_some_and(|g| g.parent == t.root)
                && t.get(t.root).is_some_and(|r| r.tail != group)
        });
        if misplaced {
            // The next notification tells whether it worked; a failure is retried then.
            let _ = link
                .send(bundle_of(vec![
                    msg("/error", [OscType::Int(-1)]),
                    msg("/g_tail", [OscType::Int(0), OscType::Int(group)]),
                ]))
                .await;
        }
    }
}
