//! What the Flow tab draws, worked out once when a flow is read (never per frame): the rows
//! (synths in execution order), the lanes (audio buses: inputs, private, outputs), the links
//! between rows over a lane, and the sentences a screen reader and a tooltip say.

use std::collections::HashMap;
use std::fmt::Write as _;

use scpanel_core::BusRate;
use scpanel_core::synthdef::flow::{BusKind, Flow, FlowSynth, Hardware, Known};

/// Hardware buses shown even when nothing uses them, up to this many of each: a beginner
/// sees where the speakers are. A server with more shows only the ones in use.
const ALWAYS_SHOWN: u32 = 8;
/// Lanes a single multichannel bus range marks at most (a peer's def may claim 1024).
const MAX_RANGE_LANES: u32 = 64;
/// Wrong-order sentences listed above the picture; the rest are counted.
pub(crate) const MAX_LISTED: usize = 3;

/// A synth's mark on a lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Reads,
    Writes,
    Both,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub id: i32,
    /// "1000 reverb".
    pub name: String,
    pub paused: bool,
    pub guessed: bool,
    /// Its def's graph is unknown and its controls name no bus.
    pub unknown: bool,
    /// Reads some bus before the synth that writes it runs.
    pub wrong: bool,
    /// What the tooltip says.
    pub tip: String,
    /// What a screen reader says.
    pub label: String,
    /// Lane index and what the synth does there, by lane.
    pub marks: Vec<(usize, Mark)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lane {
    pub bus: u32,
    pub kind: BusKind,
    /// The bus number as drawn.
    pub number: String,
    pub tip: String,
}

/// A writer's signal reaching a reader over a lane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Link {
    pub lane: usize,
    /// Row indices.
    pub from: usize,
    pub to: usize,
    pub wrong: bool,
}

impl Link {
    /// The rows it spans, top to bottom.
    pub fn span(&self) -> (usize, usize) {
        (self.from.min(self.to), self.from.max(self.to))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Model {
    pub rows: Vec<Row>,
    pub lanes: Vec<Lane>,
    /// Sorted by their top row, so a frame finds the ones on screen quickly.
    pub links: Vec<Link>,
    /// The longest span of any link, in rows: links starting this far above the screen may
    /// still cross it.
    pub longest: usize,
    /// "1000 reverb reads bus 16 before 1001 source writes it", for every wrong-order link.
    pub wrong: Vec<String>,
    /// scpanel's own synths (meters, volume, tone), left out.
    pub own_hidden: usize,
    /// Synths that use control buses, which are listed in their tooltips, not drawn.
    pub control_users: usize,
    /// Where each kind of lane starts and ends (lane indices), for the group labels.
    pub groups: Vec<(BusKind, usize, usize)>,
}

fn name_of(s: &FlowSynth) -> String {
    match &s.def {
        Some(d) => format!("{} {d}", s.id),
        None => format!("{} (def unknown)", s.id),
    }
}

fn kind_word(kind: BusKind) -> &'static str {
    match kind {
        BusKind::Output => "output",
        BusKind::Input => "input",
        BusKind::Private => "private",
    }
}

/// "bus 16" or "buses 0–1".
fn buses(first: u32, width: u32) -> String {
    if width <= 1 {
        format!("bus {first}")
    } else {
        format!("buses {first}\u{2013}{}", first.saturating_add(width - 1))
    }
}

fn audio_lanes_of(s: &FlowSynth) -> impl Iterator<Item = (u32, Mark)> + '_ {
    let reads = s
        .reads()
        .filter(|r| r.0 == BusRate::Audio)
        .flat_map(|(_, b, w, _)| {
            (b..b.saturating_add(w.min(MAX_RANGE_LANES))).map(|b| (b, Mark::Reads))
        });
    let writes = s
        .writes()
        .filter(|r| r.0 == BusRate::Audio)
        .flat_map(|(_, b, w)| {
            (b..b.saturating_add(w.min(MAX_RANGE_LANES))).map(|b| (b, Mark::Writes))
        });
    reads.chain(writes)
}

impl Model {
    /// The picture of `flow`, leaving out the synths in scpanel's own group.
    pub fn of(flow: &Flow, own_group: Option<i32>) -> Model {
        let own =
            |s: &FlowSynth| own_group.is_some_and(|g| s.group == g || s.group_path.contains(&g));
        let shown: Vec<&FlowSynth> = flow.synths.iter().filter(|s| !own(s)).collect();
        let own_hidden = flow.synths.len() - shown.len();
        let row_of: HashMap<i32, usize> =
            shown.iter().enumerate().map(|(i, s)| (s.id, i)).collect();

        // The lanes: every audio bus a shown synth uses, and the hardware ones.
        let hw: Hardware = flow.hardware;
        let mut used: Vec<u32> = shown
            .iter()
            .flat_map(|s| audio_lanes_of(s).map(|(b, _)| b))
            .collect();
        if hw.outputs <= ALWAYS_SHOWN {
            used.extend(0..hw.outputs);
        }
        if hw.inputs <= ALWAYS_SHOWN {
            used.extend(hw.outputs..hw.outputs.saturating_add(hw.inputs));
        }
        used.sort_unstable();
        used.dedup();
        // Inputs on the left, where sound comes in; outputs on the right, where it leaves.
        let rank = |k: BusKind| match k {
            BusKind::Input => 0,
            BusKind::Private => 1,
            BusKind::Output => 2,
        };
        used.sort_by_key(|b| (rank(hw.kind(*b)), *b));
        let lane_of: HashMap<u32, usize> = used.iter().enumerate().map(|(i, b)| (*b, i)).collect();
        let mut groups: Vec<(BusKind, usize, usize)> = Vec::new();
        for (i, b) in used.iter().enumerate() {
            let k = hw.kind(*b);
            match groups.last_mut() {
                Some((last, _, end)) if *last == k => *end = i + 1,
                _ => groups.push((k, i, i + 1)),
            }
        }

        // The links, over audio buses (control buses keep their value between blocks: order
        // does not matter there, and they are listed in the tooltips instead).
        let mut links = Vec::new();
        let mut wrong = Vec::new();
        let mut wrong_of: HashMap<i32, Vec<String>> = HashMap::new();
        for f in &flow.feeds {
            if f.rate != BusRate::Audio {
                continue;
            }
            let (Some(&from), Some(&to), Some(&lane)) = (
                row_of.get(&f.writer),
                row_of.get(&f.reader),
                lane_of.get(&f.bus),
            ) else {
                continue;
            };
            links.push(Link {
                lane,
                from,
                to,
                wrong: f.wrong_order,
            });
            if f.wrong_order {
                let said = format!(
                    "{} reads bus {} before {} writes it",
                    shown[to].id,
                    f.bus,
                    name_of(shown[from])
                );
                wrong.push(format!(
                    "{} reads bus {} before {} writes it: it hears none of it (move {} after {})",
                    name_of(shown[to]),
                    f.bus,
                    name_of(shown[from]),
                    shown[to].id,
                    shown[from].id
                ));
                wrong_of.entry(shown[to].id).or_default().push(said);
            }
        }
        links.sort_by_key(|l| l.span().0);
        let longest = links
            .iter()
            .map(|l| l.span().1 - l.span().0)
            .max()
            .unwrap_or(0);

        let mut control_users = 0;
        let rows = shown
            .iter()
            .map(|s| {
                let mut marks: Vec<(usize, Mark)> = Vec::new();
                for (bus, m) in audio_lanes_of(s) {
                    let Some(&lane) = lane_of.get(&bus) else {
                        continue;
                    };
                    match marks.iter_mut().find(|(l, _)| *l == lane) {
                        Some((_, had)) if *had != m => *had = Mark::Both,
                        Some(_) => {}
                        None => marks.push((lane, m)),
                    }
                }
                let name = name_of(s);
                let mut uses = Vec::new();
                let mut control = Vec::new();
                for (rate, b, w, feedback) in s.reads() {
                    let what = format!(
                        "reads {}{}",
                        buses(b, w),
                        if feedback {
                            " (InFeedback: the last block)"
                        } else {
                            ""
                        }
                    );
                    if rate == BusRate::Audio {
                        uses.push(what)
                    } else {
                        control.push(what)
                    }
                }
                for (rate, b, w) in s.writes() {
                    let what = format!("writes {}", buses(b, w));
                    if rate == BusRate::Audio {
                        uses.push(what)
                    } else {
                        control.push(what)
                    }
                }
                if !control.is_empty() {
                    control_users += 1;
                }
                let guessed = s.known == Some(Known::Guessed);
                let unknown = s.known.is_none();
                let mut label = name.clone();
                if s.paused {
                    label.push_str(", paused");
                }
                if guessed {
                    label.push_str(", guessed");
                }
                if uses.is_empty() {
                    label.push_str(": no audio bus");
                } else {
                    let _ = write!(label, ": {}", uses.join(", "));
                }
                let wrong = wrong_of.get(&s.id);
                if let Some(w) = wrong {
                    let _ = write!(label, "; {}", w.join("; "));
                }
                let mut tip = label.clone();
                if !control.is_empty() {
                    let _ = write!(tip, "\ncontrol buses: {}", control.join(", "));
                }
                match &s.known {
                    Some(Known::Graph(from)) => {
                        let _ = write!(tip, "\nbuses from the def's graph ({from})");
                    }
                    Some(Known::Guessed) => {
                        tip.push_str("\nbuses guessed from control names: no graph of this def");
                    }
                    None => tip.push_str(
                        "\nno graph of this def and no bus control: its buses are unknown",
                    ),
                }
                let _ = write!(tip, "\nin group {}", s.group);
                if s.paused && !s.self_paused {
                    tip.push_str(" (a group above it is paused)");
                }
                Row {
                    id: s.id,
                    name,
                    paused: s.paused,
                    guessed,
                    unknown,
                    wrong: wrong.is_some(),
                    tip,
                    label,
                    marks,
                }
            })
            .collect();

        let lanes = used
            .iter()
            .map(|&bus| {
                let kind = hw.kind(bus);
                let count = |m: Mark| {
                    shown
                        .iter()
                        .filter(|s| audio_lanes_of(s).any(|(b, x)| b == bus && x == m))
                        .count()
                };
                let (writers, readers) = (count(Mark::Writes), count(Mark::Reads));
                let tip = format!(
                    "bus {bus}, {}: {writers} writing, {readers} reading{}",
                    kind_word(kind),
                    match kind {
                        BusKind::Output => "; what is written here is heard",
                        BusKind::Input => "; the sound card's input, overwritten each block",
                        BusKind::Private => "",
                    }
                );
                Lane {
                    bus,
                    kind,
                    number: bus.to_string(),
                    tip,
                }
            })
            .collect();
        Model {
            rows,
            lanes,
            links,
            longest,
            wrong,
            own_hidden,
            control_users,
            groups,
        }
    }
}

/// The words over a group of lanes.
pub(crate) fn group_word(kind: BusKind) -> &'static str {
    match kind {
        BusKind::Output => "outputs",
        BusKind::Input => "inputs",
        BusKind::Private => "private",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scpanel_core::synthdef::flow::Feed;
    use scpanel_core::synthdef::{BusEntry, BusFrom, Dir, ResolvedBus};

    fn synth(id: i32, def: &str, group: i32, buses: &[(Dir, u32, u32)]) -> FlowSynth {
        FlowSynth {
            id,
            def: Some(def.into()),
            group,
            group_path: vec![group],
            paused: false,
            self_paused: false,
            controls: vec![],
            buses: buses
                .iter()
                .map(|&(dir, bus, w)| ResolvedBus {
                    entry: BusEntry {
                        dir,
                        rate: BusRate::Audio,
                        channels: Some(w),
                        from: BusFrom::Constant(bus),
                        ugen: if dir == Dir::Reads {
                            "In".into()
                        } else {
                            "Out".into()
                        },
                        guessed: false,
                    },
                    bus: Some(bus),
                })
                .collect(),
            known: Some(Known::Graph("test".into())),
        }
    }

    #[test]
    fn lanes_go_inputs_private_outputs_and_scpanel_s_own_are_left_out() {
        let flow = Flow {
            synths: vec![
                synth(1000, "verb", 1, &[(Dir::Reads, 16, 2), (Dir::Writes, 0, 2)]),
                synth(1001, "src", 1, &[(Dir::Writes, 16, 1)]),
                synth(3, "scpanel-meter-2", 7, &[(Dir::Reads, 0, 2)]),
            ],
            feeds: vec![Feed {
                writer: 1001,
                reader: 1000,
                rate: BusRate::Audio,
                bus: 16,
                wrong_order: true,
            }],
            hardware: Hardware {
                outputs: 2,
                inputs: 2,
            },
            cut_short: false,
        };
        let m = Model::of(&flow, Some(7));
        assert_eq!(m.own_hidden, 1);
        let buses: Vec<u32> = m.lanes.iter().map(|l| l.bus).collect();
        assert_eq!(buses, [2, 3, 16, 17, 0, 1]);
        assert_eq!(
            m.links,
            [Link {
                lane: 2,
                from: 1,
                to: 0,
                wrong: true
            }]
        );
        assert!(m.rows[0].wrong);
        assert!(
            m.rows[0]
                .label
                .contains("1000 reads bus 16 before 1001 src writes it"),
            "{}",
            m.rows[0].label
        );
        assert_eq!(
            m.rows[0].marks,
            [
                (2, Mark::Reads),
                (3, Mark::Reads),
                (4, Mark::Writes),
                (5, Mark::Writes)
            ]
        );
        assert_eq!(m.groups.len(), 3);
    }
}
