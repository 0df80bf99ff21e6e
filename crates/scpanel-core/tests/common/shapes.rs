//! Trees of the shapes that break naive readers, built on a real scsynth by one client so
//! that another can join late and read them. Shared by tests/suite/late_join.rs and
//! benches/late_join.rs.

use rosc::{OscMessage, OscType};
use scpanel_core::{AddAction, Server, osc::bundle_of};

/// One node as a reader should find it: id, parent, and the SynthDef for a synth.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub id: i32,
    pub parent: i32,
    pub def: Option<&'static str>,
}

/// A 12-character SynthDef name (a silent sine) and a 15-character one (a level meter).
pub const SHORT_DEF: &str = "scpanel-sine";
pub const LONG_DEF: &str = "scpanel-meter-2";

pub const SHAPES: &[&str] = &[
    "3,000 synths of a 15-character SynthDef in one group",
    "30 groups x 100 synths of a 15-character SynthDef",
    "100 groups x (150 paused synths + 50 empty groups)",
    "a flat group of 20,000 synths",
    "a flat group of 20,000 groups",
    "a 6,000-deep chain of groups",
    "3,000 synths of a 4-character SynthDef (a 48 KB reply)",
];

fn s_new(def: &str, id: i32, target: i32) -> OscMessage {
    OscMessage {
        addr: "/s_new".into(),
        args: vec![
            OscType::String(def.into()),
            OscType::Int(id),
            OscType::Int(1),
            OscType::Int(target),
        ],
    }
}

fn g_new(id: i32, target: i32) -> OscMessage {
    OscMessage {
        addr: "/g_new".into(),
        args: vec![OscType::Int(id), OscType::Int(1), OscType::Int(target)],
    }
}

/// Builds shape `which` (an index into [`SHAPES`]) under a new paused group in the
/// server's group 1; returns that group and every node below it, depth-first.
pub async fn build(server: &Server, which: usize) -> (i32, Vec<Expected>) {
    // Paused: tens of thousands of running nodes would cost the audio thread too much.
    let holder = server
        .add_group(1, AddAction::AddToTail, false)
        .await
        .expect("holder");
    server.nodes().pause(holder).await.expect("pause");
    for def in [SHORT_DEF, LONG_DEF] {
        server
            .synthdefs()
            .send_builtin(def)
            .await
            .expect("SynthDef");
    }
    // A 4-character SynthDef: the default SynthDef's graph under another name.
    let mut four = scpanel_core::synthdef::builtins::builtin("default").expect("default");
    four.name = "tone".into();
    server
        .synthdefs()
        .send(&[four], scpanel_core::DefSource::BuiltIn)
        .await
        .expect("tone");
    let mut next = server.client_ranges().expect("logged in").nodes.start + 100_000;
    let mut id = || {
        next += 1;
        next
    };
    let mut out = Vec::new();
    let mut msgs = Vec::new();
    let synths = |msgs: &mut Vec<OscMessage>,
                  out: &mut Vec<Expected>,
                  n,
                  def,
                  parent,
                  id: &mut dyn FnMut() -> i32| {
        for _ in 0..n {
            let s = id();
            msgs.push(s_new(def, s, parent));
            out.push(Expected {
                id: s,
                parent,
                def: Some(def),
            });
        }
    };
    match which {
        0 => synths(&mut msgs, &mut out, 3000, LONG_DEF, holder, &mut id),
        1 => {
            for _ in 0..30 {
                let g = id();
                msgs.push(g_new(g, holder));
                out.push(Expected {
                    id: g,
                    parent: holder,
                    def: None,
                });
                synths(&mut msgs, &mut out, 100, LONG_DEF, g, &mut id);
            }
        }
        2 => {
            for _ in 0..100 {
                let g = id();
                msgs.push(g_new(g, holder));
                out.push(Expected {
                    id: g,
                    parent: holder,
                    def: None,
                });
                for i in 0..200 {
                    let n = id();
                    if i % 4 == 3 {
                        msgs.push(g_new(n, g));
                        out.push(Expected {
                            id: n,
                            parent: g,
                            def: None,
                        });
                    } else {
                        msgs.push(s_new(SHORT_DEF, n, g));
                        msgs.push(OscMessage {
                            addr: "/n_run".into(),
                            args: vec![OscType::Int(n), OscType::Int(0)],
                        });
                        out.push(Expected {
                            id: n,
                            parent: g,
                            def: Some(SHORT_DEF),
                        });
                    }
                }
            }
        }
        3 => synths(&mut msgs, &mut out, 20_000, SHORT_DEF, holder, &mut id),
        4 => {
            for _ in 0..20_000 {
                let g = id();
                msgs.push(g_new(g, holder));
                out.push(Expected {
                    id: g,
                    parent: holder,
                    def: None,
                });
            }
        }
        5 => {
            let mut parent = holder;
            for _ in 0..6000 {
                let g = id();
                msgs.push(g_new(g, parent));
                out.push(Expected {
                    id: g,
                    parent,
                    def: None,
                });
                parent = g;
            }
        }
        _ => synths(&mut msgs, &mut out, 3000, "tone", holder, &mut id),
    }
    for chunk in msgs.chunks(400) {
        server
            .send_checked(bundle_of(chunk.to_vec()))
            .await
            .expect("build the shape");
    }
    (holder, out)
}

/// The nodes under `holder` in `tree`, depth-first, as [`Expected`] rows (names as known).
pub fn found(tree: &scpanel_core::NodeTree, holder: i32) -> Vec<(i32, i32, Option<String>)> {
    let mut out = Vec::new();
    let mut inside = false;
    let mut depth_at = 0;
    tree.walk(|depth, n| {
        if n.id == holder {
            inside = true;
            depth_at = depth;
            return;
        }
        if inside && depth <= depth_at {
            inside = false;
        }
        if inside {
            out.push((n.id, n.parent, n.def_name().map(str::to_string)));
        }
    });
    out
}

/// Options for a server big enough for these shapes.
pub fn big(mut o: scpanel_core::Options) -> scpanel_core::Options {
    o.max_nodes = 32768;
    o.memory_kib = 65536;
    o
}
