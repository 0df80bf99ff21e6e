//! Default groups: one per login at the root, in supriya's layout on servers we boot, and
//! the one a guest uses on a server someone else started (sclang's or the owner's).

use rosc::OscType;

use crate::error::Result;
use crate::model::tree::NodeTree;
use crate::wire::connection::{Connection, Login};
use crate::wire::protocol::bundle_of;
use crate::wire::protocol::msg;

/// sclang's default group for a client: the first id of its block, `id·2^26 + 1`.
pub fn sclang_default_group(client_id: i32) -> i32 {
    client_id.clamp(0, 31).wrapping_shl(26) | 1
}

/// The default group a guest uses: the owner's for its client id when there is one (sclang
/// makes `id·2^26 + 1`; supriya and scpanel make `id + 1` for every login), otherwise sclang's,
/// which is made in the guest's own id block and so can't take an id anyone else will use.
pub fn guest_default_group(tree: &NodeTree, login: Login) -> i32 {
    let sclang = sclang_default_group(login.client_id);
    let is_root_group = |id: i32| {
        tree.get(id)
            .is_some_and(|n| n.is_group() && n.parent == tree.root)
    };
    if is_root_group(sclang) {
        return sclang;
    }
    // `id + 1` is also sclang's first permanent id (`s.nextPermNodeID`): take it for a default
    // group only when every login's group of the supriya layout is there.
    let logins = login.max_logins.clamp(1, 32) as i32;
    let supriya = login.client_id + 1;
    if supriya <= logins && (1..=logins).all(is_root_group) {
        return supriya;
    }
    sclang
}

pub(super) async fn create_default_groups(conn: &Connection, max_logins: u32) -> Result<()> {
    let groups = (0..max_logins as i32)
        .map(|i| {
            msg(
                "/g_new",
                [OscType::Int(i + 1), OscType::Int(1), OscType::Int(0)],
            )
        })
        .collect();
    conn.send_checked(bundle_of(groups)).await
}
