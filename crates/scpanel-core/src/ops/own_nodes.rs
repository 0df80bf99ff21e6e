//! scpanel's own nodes: the level meters, the master volume, the recorder and the test tone,
//! in one group of their own at the tail of the root, so that the volume and the meters hear
//! everything users play. Their ids are fixed slots at the top of this client's node block
//! (counting down), which nobody types and which stay the same after a reset, so a user's
//! `/s_new default 1000 0 1` never finds 1000 taken by a meter.

use rosc::OscType;

use crate::error::{Result, ServerError};
use crate::handle::{Server, Session, bundle_of};
use crate::model::tree::NodeTree;
use crate::wire::protocol::{AddAction, msg};

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

impl Server {
    /// The id of one of scpanel's own nodes on this server (`None` when not logged in).
    pub fn own_node(&self, slot: Own) -> Option<i32> {
        Some(slot.id_in(&self.client_ranges()?))
    }

    /// Whether `id` is one of scpanel's own nodes (meters, volume, recorder, test tone).
    pub fn is_own_node(&self, id: i32) -> bool {
        self.client_ranges()
            .is_some_and(|r| (r.own_nodes.start..=r.own_nodes.end).contains(&id))
    }

    /// Makes scpanel's own group (at the tail of the root) unless it is there.
    pub(crate) async fn ensure_own_group(&self) -> Result<i32> {
        let group = self.own_node(Own::Group).ok_or(ServerError::NotLoggedIn)?;
        // The volume and the recorder may both be first: only one may make the group.
        let _one_at_a_time = self.shared().own_group_lock.lock().await;
        // Asked of the server every time, not of the mirror, which may lag a reset or a
        // re-read: quietly, since "duplicate node ID" only means it is there.
        self.send_checked(bundle_of(vec![
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
    pub(crate) async fn add_own_synth(
        &self,
        slot: Own,
        def: &str,
        controls: &[(&str, f32)],
    ) -> Result<i32> {
        let group = self.ensure_own_group().await?;
        let id = self.own_node(slot).ok_or(ServerError::NotLoggedIn)?;
        let later = Own::ORDER
            .iter()
            .skip_while(|s| **s != slot)
            .skip(1)
            .filter_map(|s| self.own_node(*s))
            .find(|n| self.with_tree(|t| t.get(*n).is_some_and(|n| n.parent == group)));
        let (target, action) = match later {
            Some(n) => (n, AddAction::AddBefore),
            None => (group, AddAction::AddToTail),
        };
        self.ensure_builtin(def).await?;
        let s_new = self.describe_new_synth(def, id, action, target, controls);
        if let Err(e) = self.send_checked(bundle_of(vec![s_new])).await {
            if let Ok(mut t) = self.shared().tree.lock() {
                t.remove(id);
            }
            return Err(e);
        }
        Ok(id)
    }

    /// Frees one of scpanel's own synths (quietly: it may have ended by itself). Asked
    /// whether or not the mirror knows it: a one-shot link keeps no mirror, and the id is
    /// in this client's own block, so nobody else's node can have it.
    pub(crate) async fn free_own_synth(&self, slot: Own) -> Result<()> {
        let Some(id) = self.own_node(slot) else {
            return Ok(());
        };
        self.send_checked(bundle_of(vec![
            msg("/error", [OscType::Int(-1)]),
            msg("/n_free", [OscType::Int(id)]),
        ]))
        .await
    }

    /// Frees scpanel's own group when nothing runs in it any more (leaving a server).
    pub(crate) async fn free_own_group_if_empty(&self) {
        let Some(group) = self.own_node(Own::Group) else {
            return;
        };
        if self.with_tree(|t| t.get(group).is_some_and(|g| g.head == -1)) {
            let _ = self.free_own_group().await;
        }
    }

    /// Frees scpanel's own group and whatever is left in it, quietly: for a command that
    /// leaves nothing behind on a server it visited.
    pub async fn free_own_group(&self) -> Result<()> {
        let Some(group) = self.own_node(Own::Group) else {
            return Ok(());
        };
        self.send_checked(bundle_of(vec![
            msg("/error", [OscType::Int(-1)]),
            msg("/n_free", [OscType::Int(group)]),
        ]))
        .await
    }
}

/// Which client's default group `id` is, when it is one: `clientID·2^26 + 1` in sclang's
/// layout, `clientID + 1` in supriya's (the one scpanel boots with), both at the root.
pub fn default_group_client(tree: &NodeTree, session: &Session, id: i32) -> Option<i32> {
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
pub(crate) async fn keep_last(server: std::sync::Weak<crate::handle::Inner>) {
    let Some(mut changes) = Server::from_weak(&server).map(|s| s.watch_changes()) else {
        return;
    };
    while changes.changed().await.is_ok() {
        let Some(server) = Server::from_weak(&server) else {
            return;
        };
        let Some(group) = server.own_node(Own::Group) else {
            continue;
        };
        let misplaced = server.with_tree(|t| {
            t.get(group).is_some_and(|g| g.parent == t.root)
                && t.get(t.root).is_some_and(|r| r.tail != group)
        });
        if misplaced {
            // The next notification tells whether it worked; a failure is retried then.
            let _ = server
                .send(bundle_of(vec![
                    msg("/error", [OscType::Int(-1)]),
                    msg("/g_tail", [OscType::Int(0), OscType::Int(group)]),
                ]))
                .await;
        }
    }
}
