//! Late joins of any shape: another client builds the tree, then scpanel connects and must
//! read it back whole, with the right parents, order and, where the server can tell them,
//! SynthDef names (issue: trees past 64 KiB made by other clients).

use crate::common;

use common::shapes::{self, Expected};
use scpanel_core::{ConnectOptions, Server};

/// Whether a shape's synths must come with their SynthDef names.
#[derive(Clone, Copy, PartialEq)]
enum Names {
    /// Every group's listing fits one reply: every synth is named.
    Required,
    /// One group lists more than a reply holds, so the server can't name them in one: all
    /// or none, never some.
    AllOrNone,
}

/// Builds shape `which` with one client, joins with another (logged in, as the window does)
/// and checks the live mirror and a fresh read against what was built.
async fn joins_late(which: usize, names: Names) {
    let owner = common::boot(shapes::big(common::options())).await;
    let (holder, expected) = shapes::build(&owner, which).await;
    let guest = Server::new();
    guest
        .connect(ConnectOptions::new(common::connect_options(&owner).addr))
        .await
        .expect("join");
    let mirror = guest.with_tree(|t| shapes::found(t, holder));
    check(shapes::SHAPES[which], &expected, &mirror, names);
    let read = guest.read_tree(0, false).await.expect("read");
    assert!(read.is_complete(), "{:?}", read.unlisted);
    check(
        shapes::SHAPES[which],
        &expected,
        &shapes::found(&read.tree, holder),
        names,
    );
    guest.disconnect().await.expect("disconnect");
    owner.quit(false).await.expect("quit");
}

fn check(shape: &str, expected: &[Expected], got: &[(i32, i32, Option<String>)], names: Names) {
    let want: Vec<(i32, i32)> = expected.iter().map(|e| (e.id, e.parent)).collect();
    let have: Vec<(i32, i32)> = got.iter().map(|g| (g.0, g.1)).collect();
    assert_eq!(want.len(), have.len(), "{shape}: node count");
    assert!(want == have, "{shape}: ids, parents or order differ");
    // Names come wherever the group's listing fits one reply (then every synth has one).
    let named = got.iter().filter(|g| g.2.is_some()).count();
    let synths = expected.iter().filter(|e| e.def.is_some()).count();
    if names == Names::Required {
        assert_eq!(named, synths, "{shape}: {named} of {synths} synths named");
    }
    if named > 0 {
        assert_eq!(named, synths, "{shape}: some synths named, not all");
        for (e, g) in expected.iter().zip(got) {
            assert_eq!(e.def, g.2.as_deref(), "{shape}: node {}", e.id);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_thousand_synths_with_a_long_name_in_one_group() {
    joins_late(0, Names::AllOrNone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_groups_of_a_hundred_synths_are_named() {
    joins_late(1, Names::Required).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_groups_of_paused_synths_and_empty_groups() {
    joins_late(2, Names::Required).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flat_group_of_20000_synths() {
    joins_late(3, Names::AllOrNone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flat_group_of_20000_groups() {
    joins_late(4, Names::Required).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_6000_deep_chain() {
    joins_late(5, Names::Required).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_48_kb_reply_is_named() {
    joins_late(6, Names::Required).await;
}
