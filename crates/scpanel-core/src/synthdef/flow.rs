//! The signal flow of a server: its synths in the order scsynth runs them, the buses each
//! reads and writes, and which writer feeds which reader. The doctor's findings about order
//! and buses rest on it, and the window draws it.
//!
//! Pure: no I/O. The tree and the defs may come from a peer, so every walk is bounded by the
//! tree's size and every bus range by [`MAX_CHANNELS`].

use std::collections::HashMap;

use super::buses::{BusUse, Dir, ResolvedBus, resolve};
use crate::model::tree::{ControlValue, NodeTree};
use crate::wire::protocol::BusRate;

/// Where a def's buses were learnt: the doctor must say when a finding rests on a guess.
#[derive(Debug, Clone, PartialEq)]
pub enum Known {
    /// From the def's graph; the string says where the graph came from (`scpanel`, a file).
    Graph(String),
    /// Guessed from the synth's control names (a def sent by another client with `.add`).
    Guessed,
}

/// One synth in execution order, with the buses it uses.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowSynth {
    /// The node id.
    pub id: i32,
    /// Its SynthDef's name, when known.
    pub def: Option<String>,
    /// The group it is in.
    pub group: i32,
    /// The groups above it, outermost first (the root left out).
    pub group_path: Vec<i32>,
    /// It is paused, or a group above it is (as far as the tree knows).
    pub paused: bool,
    /// It is paused itself.
    pub self_paused: bool,
    /// Its controls with a number for value (bus-mapped ones left out).
    pub controls: Vec<(String, f32)>,
    /// Its bus UGens, each with the bus it names for this synth.
    pub buses: Vec<ResolvedBus>,
    /// Where `buses` came from; `None` when the def is unknown and its controls name no bus.
    pub known: Option<Known>,
}

impl FlowSynth {
    /// The bus ranges it writes (`rate`, first, channels).
    pub fn writes(&self) -> impl Iterator<Item = (BusRate, u32, u32)> + '_ {
        self.ranges(Dir::Writes)
    }

    /// The bus ranges it reads, with whether the read takes the previous block
    /// (`InFeedback`, for which order does not matter).
    pub fn reads(&self) -> impl Iterator<Item = (BusRate, u32, u32, bool)> + '_ {
        self.buses
            .iter()
            .filter(|b| b.entry.dir == Dir::Reads)
            .filter_map(|b| {
                let first = b.bus?;
                let width = width(b.entry.channels);
                Some((b.entry.rate, first, width, b.entry.ugen == "InFeedback"))
            })
    }

    fn ranges(&self, dir: Dir) -> impl Iterator<Item = (BusRate, u32, u32)> + '_ {
        self.buses
            .iter()
            .filter(move |b| b.entry.dir == dir)
            .filter_map(|b| Some((b.entry.rate, b.bus?, width(b.entry.channels))))
    }

    /// Whether it is one of scpanel's own synths (meters, volume, recorder, scope): they
    /// read and write the outputs on purpose and are no musician's mistake.
    pub fn is_scpanels(&self) -> bool {
        self.def
            .as_deref()
            .is_some_and(|d| d.starts_with("scpanel-"))
    }
}

/// No bus UGen is wider than this (scsynth's `In`/`Out` take one input a channel, and no
/// real def has thousands): a peer's def claiming more is cut here.
pub const MAX_CHANNELS: u32 = 1024;

fn width(channels: Option<u32>) -> u32 {
    // A guessed entry's width is unknown: its first bus at least.
    channels.unwrap_or(1).clamp(1, MAX_CHANNELS)
}

/// Signal going from a writer to a reader over a bus.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// The synth that writes.
    pub writer: i32,
    /// The synth that reads.
    pub reader: i32,
    /// Audio or control.
    pub rate: BusRate,
    /// The first bus both use.
    pub bus: u32,
    /// The reader runs before the writer, so in each block it reads the bus before the
    /// signal is there: an audio `In` then hears nothing of this writer.
    pub wrong_order: bool,
}

/// The server's hardware buses: audio buses `0..outputs` are the outputs, the next `inputs`
/// the inputs, the rest private.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hardware {
    /// Hardware output channels (`-o`).
    pub outputs: u32,
    /// Hardware input channels (`-i`).
    pub inputs: u32,
}

impl Hardware {
    /// What an audio bus is.
    pub fn kind(&self, bus: u32) -> BusKind {
        if bus < self.outputs {
            BusKind::Output
        } else if bus < self.outputs.saturating_add(self.inputs) {
            BusKind::Input
        } else {
            BusKind::Private
        }
    }
}

/// What an audio bus is on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusKind {
    /// A hardware output: what is written there is heard.
    Output,
    /// A hardware input: the sound card's signal, overwritten each block.
    Input,
    /// A private bus: heard only through a synth that reads it.
    Private,
}

/// A server's signal flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// Synths in execution order.
    pub synths: Vec<FlowSynth>,
    /// Every writer-to-reader link over a bus, audio and control.
    pub feeds: Vec<Feed>,
    /// The hardware buses.
    pub hardware: Hardware,
    /// The feeds were cut at [`MAX_FEEDS`] or at the search's bound: some are missing.
    pub cut_short: bool,
}

/// How many feeds the flow keeps at most: a server with thousands of synths on one bus would
/// otherwise make millions (each writer to each reader). A flow cut there says so
/// ([`Flow::cut_short`]).
pub const MAX_FEEDS: usize = 100_000;

/// How many (writer, bus, reader) steps the feeds' search takes at most: a peer's defs may
/// claim a thousand channels on every synth, each read by every other.
const MAX_FEED_STEPS: usize = 10_000_000;

impl Flow {
    /// No synths, no hardware buses: a server not (yet) looked at.
    pub fn empty() -> Flow {
        Flow {
            synths: vec![],
            feeds: vec![],
            hardware: Hardware {
                outputs: 0,
                inputs: 0,
            },
            cut_short: false,
        }
    }

    /// The flow of `tree` (with controls) given each def's bus use. `defs` answers for the
    /// defs whose graph is known; any other synth's buses are guessed from its control names.
    pub fn of(
        tree: &NodeTree,
        defs: &dyn Fn(&str) -> Option<(BusUse, String)>,
        hardware: Hardware,
    ) -> Flow {
        let mut cache: HashMap<String, Option<(BusUse, String)>> = HashMap::new();
        let mut synths = Vec::new();
        // Paused groups, by the depth of the walk: a node is paused when any group above is.
        let mut paused_at: Vec<bool> = Vec::new();
        let mut groups: Vec<i32> = Vec::new();
        tree.walk(|depth, node| {
            paused_at.truncate(depth.saturating_sub(1));
            groups.truncate(depth.saturating_sub(1));
            let above = paused_at.last().copied().unwrap_or(false);
            let paused = above || node.paused == Some(true);
            if node.is_group() {
                paused_at.push(paused);
                groups.push(node.id);
                return;
            }
            let def = node.def_name().map(str::to_string);
            let values: Vec<(String, f32)> = node
                .controls
                .iter()
                .filter_map(|(n, v)| match v {
                    ControlValue::Value(x) => Some((n.clone(), *x)),
                    ControlValue::Bus(_) => None,
                })
                .collect();
            let graph = def
                .as_ref()
                .and_then(|d| cache.entry(d.clone()).or_insert_with(|| defs(d)).clone());
            let (use_, known) = match graph {
                Some((u, from)) => (u, Some(Known::Graph(from))),
                None => {
                    let names: Vec<&str> = node.controls.iter().map(|(n, _)| n.as_str()).collect();
                    let u = super::buses::guessed_from_controls(&names);
                    let known = (!u.entries.is_empty()).then_some(Known::Guessed);
                    (u, known)
                }
            };
            synths.push(FlowSynth {
                id: node.id,
                def,
                group: node.parent,
                group_path: groups.clone(),
                paused,
                self_paused: node.paused == Some(true),
                buses: resolve(&use_, &values),
                controls: values,
                known,
            });
        });
        let (feeds, cut_short) = feeds_of(&synths);
        Flow {
            synths,
            feeds,
            hardware,
            cut_short,
        }
    }

    /// A synth by id.
    pub fn synth(&self, id: i32) -> Option<&FlowSynth> {
        self.synths.iter().find(|s| s.id == id)
    }

    /// Synths that write any of the audio buses `first..first+width`.
    pub fn audio_writers(&self, first: u32, width: u32) -> impl Iterator<Item = &FlowSynth> {
        let end = first.saturating_add(width);
        self.synths.iter().filter(move |s| {
            s.writes().any(|(r, b, w)| {
                r == BusRate::Audio && overlaps(b, b.saturating_add(w), first, end)
            })
        })
    }
}

fn overlaps(a0: u32, a1: u32, b0: u32, b1: u32) -> bool {
    a0 < b1 && b0 < a1
}

/// Each writer linked to each later or earlier reader of a bus it writes, bounded by
/// [`MAX_FEEDS`]: readers are indexed by bus so the work follows the buses in use, not the
/// square of the synths.
/// A synth reading a bus: its place in the order, its id, and whether it reads the last
/// block (`InFeedback`).
type Reader = (usize, i32, bool);

/// Every feed, and whether the search was cut short (by [`MAX_FEEDS`] or
/// [`MAX_FEED_STEPS`]).
pub(crate) fn feeds_of(synths: &[FlowSynth]) -> (Vec<Feed>, bool) {
    // (rate, bus) → readers (position, id, feedback).
    let mut readers: HashMap<(bool, u32), Vec<Reader>> = HashMap::new();
    let mut steps = 0usize;
    for (i, s) in synths.iter().enumerate() {
        for (rate, first, w, feedback) in s.reads() {
            for bus in first..first.saturating_add(w) {
                steps += 1;
                if steps > MAX_FEED_STEPS {
                    return (Vec::new(), true);
                }
                readers
                    .entry((rate == BusRate::Audio, bus))
                    .or_default()
                    .push((i, s.id, feedback));
            }
        }
    }
    let mut feeds = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, s) in synths.iter().enumerate() {
        for (rate, first, w) in s.writes() {
            for bus in first..first.saturating_add(w) {
                // Each bus looked at counts, read or not: a peer's wide writes cost steps too.
                steps += 1;
                if steps > MAX_FEED_STEPS {
                    return (feeds, true);
                }
                let Some(rs) = readers.get(&(rate == BusRate::Audio, bus)) else {
                    continue;
                };
                for &(j, reader, feedback) in rs {
                    steps += 1;
                    if steps > MAX_FEED_STEPS {
                        return (feeds, true);
                    }
                    if reader == s.id || !seen.insert((s.id, reader)) {
                        continue;
                    }
                    if feeds.len() >= MAX_FEEDS {
                        return (feeds, true);
                    }
                    feeds.push(Feed {
                        writer: s.id,
                        reader,
                        rate,
                        bus,
                        // Control buses keep their value between blocks, and InFeedback
                        // reads the last block on purpose: order matters for audio In only.
                        wrong_order: j < i && rate == BusRate::Audio && !feedback,
                    });
                }
            }
        }
    }
    (feeds, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tree::{Node, NodeKind};
    use crate::synthdef::buses::bus_use;
    use crate::synthdef::graph::{Graph, Sig};
    use crate::synthdef::{Rate, SynthDef};

    fn source() -> SynthDef {
        let mut g = Graph::new("src");
        let out = g.control("out", 0.0, Rate::Scalar);
        let out = g.param(out);
        let s = g.ugen("SinOsc", Rate::Audio, &[Sig::Const(440.0), Sig::Const(0.0)]);
        g.sink("Out", Rate::Audio, &[out, s]);
        g.build()
    }

    fn reverb() -> SynthDef {
        let mut g = Graph::new("verb");
        let input = g.control("in", 16.0, Rate::Scalar);
        let input = g.param(input);
        let s = g.ugen_n("In", Rate::Audio, &[input], 2, 0);
        let zero = Sig::Const(0.0);
        let mut outs = vec![zero];
        outs.extend(s);
        g.sink("Out", Rate::Audio, &outs);
        g.build()
    }

    fn synth(tree: &mut NodeTree, parent: i32, id: i32, def: &str, controls: &[(&str, f32)]) {
        let mut n = Node::new(
            id,
            parent,
            NodeKind::Synth {
                def: Some(def.into()),
            },
        );
        n.controls = controls
            .iter()
            .map(|(k, v)| ((*k).to_string(), ControlValue::Value(*v)))
            .collect();
        tree.push_child(parent, n);
    }

    fn defs(name: &str) -> Option<(BusUse, String)> {
        match name {
            "src" => Some((bus_use(&source()), "test".into())),
            "verb" => Some((bus_use(&reverb()), "test".into())),
            _ => None,
        }
    }

    const STEREO: Hardware = Hardware {
        outputs: 2,
        inputs: 2,
    };

    #[test]
    fn a_reader_before_its_writer_is_a_wrong_order_link() {
        let mut t = NodeTree::new(0);
        t.push_child(0, Node::new(1, 0, NodeKind::Group));
        synth(&mut t, 1, 1000, "verb", &[("in", 16.0)]);
        synth(&mut t, 1, 1001, "src", &[("out", 16.0)]);
        let flow = Flow::of(&t, &defs, STEREO);
        assert_eq!(
            flow.synths.iter().map(|s| s.id).collect::<Vec<_>>(),
            [1000, 1001]
        );
        assert_eq!(
            flow.feeds,
            [Feed {
                writer: 1001,
                reader: 1000,
                rate: BusRate::Audio,
                bus: 16,
                wrong_order: true
            }]
        );
        // Reordered, the same link is right.
        let mut t = NodeTree::new(0);
        synth(&mut t, 0, 1001, "src", &[("out", 16.0)]);
        synth(&mut t, 0, 1000, "verb", &[("in", 16.0)]);
        let flow = Flow::of(&t, &defs, STEREO);
        assert!(!flow.feeds[0].wrong_order);
        assert_eq!(
            flow.audio_writers(0, 2).map(|s| s.id).collect::<Vec<_>>(),
            [1000]
        );
    }

    #[test]
    fn unknown_defs_are_guessed_and_paused_groups_pause_their_synths() {
        let mut t = NodeTree::new(0);
        let mut g = Node::new(5, 0, NodeKind::Group);
        g.paused = Some(true);
        t.push_child(0, g);
        t.push_child(5, Node::new(6, 5, NodeKind::Group));
        synth(&mut t, 6, 1000, "other", &[("out", 3.0), ("freq", 1.0)]);
        synth(&mut t, 0, 1001, "other", &[("freq", 1.0)]);
        let flow = Flow::of(&t, &defs, STEREO);
        let a = flow.synth(1000).unwrap();
        assert!(a.paused, "below a paused group, however deep");
        assert_eq!(a.known, Some(Known::Guessed));
        assert_eq!(a.writes().collect::<Vec<_>>(), [(BusRate::Audio, 3, 1)]);
        let b = flow.synth(1001).unwrap();
        assert!(!b.paused);
        assert_eq!(b.known, None, "no graph and no bus control: nothing known");
        assert_eq!(STEREO.kind(3), BusKind::Input);
        assert_eq!(STEREO.kind(4), BusKind::Private);
    }

    #[test]
    fn a_flow_of_too_many_feeds_is_cut_and_says_so() {
        // 400 sources into bus 16 and 400 readers of it: 160,000 feeds.
        let mut t = NodeTree::new(0);
        for id in 0..400 {
            synth(&mut t, 0, 1000 + id, "src", &[("out", 16.0)]);
        }
        for id in 0..400 {
            synth(&mut t, 0, 2000 + id, "verb", &[("in", 16.0)]);
        }
        let flow = Flow::of(&t, &defs, STEREO);
        assert!(flow.cut_short);
        assert_eq!(flow.feeds.len(), MAX_FEEDS);
        assert!(!Flow::of(&NodeTree::new(0), &defs, STEREO).cut_short);
    }
}
