//! Asking the server for its node tree (not the live mirror): whole, one group, or into
//! the mirror again. Free functions over a [`Link`].

use std::collections::HashMap;

use crate::error::{Result, ServerError};
use crate::link::Link;
use crate::model::tree::NodeTree;
use crate::ops::tree_read::{self, ReadOptions, TreeRead};
use crate::ops::{printed_tree, printout, requests};

/// The subtree under `group`; fails when a group is too big to list without logging in.
pub(crate) async fn query_group(link: &Link, group: i32, with_controls: bool) -> Result<NodeTree> {
    let read = read(link, group, with_controls).await?;
    if !read.is_complete() {
        return Err(unlisted_error(link, &read).await);
    }
    Ok(read.tree)
}

/// The subtree under `group` as far as the server can tell it, with what is missing.
pub(crate) async fn read(link: &Link, group: i32, with_controls: bool) -> Result<TreeRead> {
    let live = link.online()?;
    let conn = &live.conn;
    let _one_at_a_time = conn.tree_query_lock().await;
    let (hints, known_defs) = link.with_tree(|t| {
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
        walk: live.attachment.login.is_some(),
        hints,
        known_defs,
    };
    // A server we booted prints the whole tree with controls far faster than OSC reads it.
    if group == 0
        && with_controls
        && let Some(read) = printed_tree::read(link, &live, &opts).await
    {
        return Ok(read);
    }
    let mut read = tree_read::read(conn, group, &opts).await?;
    // A group too big to list named none of its synths; a server we booted prints them.
    read.named_from_printout = printout::name_from_printout(link, &live, &mut read.tree).await;
    Ok(read)
}

/// Why a watch-only read is missing groups, with how much they hold (from `/status`).
pub(crate) async fn unlisted_error(link: &Link, read: &TreeRead) -> ServerError {
    let (mut synths, mut groups) = (0i64, 0i64);
    for n in read.tree.nodes() {
        if n.is_group() {
            groups += 1;
        } else {
            synths += 1;
        }
    }
    let holds = match requests::status(link).await {
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
pub(crate) async fn query_group_once(link: &Link, group: i32, controls: bool) -> Result<NodeTree> {
    let conn = link.conn()?;
    let _one_at_a_time = conn.tree_query_lock().await;
    let opts = ReadOptions {
        controls,
        ..ReadOptions::default()
    };
    Ok(tree_read::read(&conn, group, &opts).await?.tree)
}

/// Re-reads the tree into the live mirror.
pub(crate) async fn refresh(link: &Link) -> Result<()> {
    let mut tree = query_group(link, 0, true).await?;
    link.update_tree(|t| {
        tree.carry_over(t);
        tree.generation = tree.generation.max(t.generation + 1);
        tree.structure = tree.structure.max(t.structure + 1);
        *t = tree;
    });
    link.shared.changed();
    Ok(())
}
