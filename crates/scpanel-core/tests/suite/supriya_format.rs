//! The tree text scpanel calls supriya's format, checked against supriya itself: each reply
//! is rendered by scpanel and by supriya's own parser and printer (Python, in a venv under
//! target/), and the two texts must be the same. No server needed.

use crate::common;

use rosc::{OscMessage, OscType};
use scpanel_core::NodeTree;

fn i(v: i32) -> OscType {
    OscType::Int(v)
}

fn s(v: &str) -> OscType {
    OscType::String(v.into())
}

fn f(v: f32) -> OscType {
    OscType::Float(v)
}

fn reply(args: Vec<OscType>) -> OscMessage {
    OscMessage {
        addr: "/g_queryTree.reply".into(),
        args,
    }
}

fn same_as_supriya(what: &str, m: &OscMessage, with_controls: bool) {
    let ours = NodeTree::from_query_reply(m)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .to_text(with_controls);
    let theirs = common::supriya::format_reply(m);
    assert_eq!(ours, theirs, "{what}");
}

#[test]
fn tree_text_is_supriyas_own() {
    // 0 { 1 { 1000 { }, 1001 default(out 0, freq c3) } }
    let with_controls = reply(vec![
        i(1),
        i(0),
        i(1),
        i(1),
        i(2),
        i(1000),
        i(0),
        i(1001),
        i(-1),
        s("default"),
        i(2),
        s("out"),
        f(0.0),
        s("freq"),
        s("c3"),
    ]);
    same_as_supriya("a group and a synth with controls", &with_controls, true);

    // 0 { 1 { 2 { 3 { 4 sine } }, 5 { } }, 6 { } }: depth and empty groups.
    let nested = reply(vec![
        i(0),
        i(0),
        i(2),
        i(1),
        i(2),
        i(2),
        i(1),
        i(3),
        i(1),
        i(4),
        i(-1),
        s("scpanel-sine"),
        i(5),
        i(0),
        i(6),
        i(0),
    ]);
    same_as_supriya("nested groups without controls", &nested, false);

    // Numbers the way Python prints them: rounded to 6 places, exponents signed and
    // two-digit, huge values in full precision.
    let values = [
        0.0, -0.0, 440.0, 0.5, -3.25, 0.1, 0.333_333, 1e6, 123_456.79, 1e-7, 1e-6, 1e-4, 1e15,
        1e16, 1e20, -2.5e-5,
    ];
    let mut args = vec![i(1), i(0), i(1), i(1000), i(-1), s("many")];
    args.push(i(values.len() as i32));
    for (n, v) in values.iter().enumerate() {
        args.push(s(&format!("c{n}")));
        args.push(f(*v));
    }
    same_as_supriya("control values", &reply(args), true);

    // Controls by index (no name) and a bus mapping of each rate.
    let indexed = reply(vec![
        i(1),
        i(0),
        i(1),
        i(1000),
        i(-1),
        s("default"),
        i(3),
        i(0),
        f(1.5),
        s("amp"),
        s("a10"),
        s("pan"),
        s("c0"),
    ]);
    same_as_supriya("controls by index and mapped to buses", &indexed, true);
}
