//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer): one function a
//! target, each feeding outside bytes to the parsers that read them. Compiled only with the
//! `fuzzing` feature; not part of the API.
//!
//! Every internal path the targets need is named here and nowhere else in `fuzz/`, so a
//! change of the core's module layout is mended in this one file.
//!
//! A function panics only on a broken invariant (a saved file that does not load again, a
//! formatted packet that does not encode): libFuzzer reports any panic as a crash.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use crate::host::output::{classify, is_printout_line, parse_line};
use crate::model::levels::{ChannelLevel, Meters, is_meter_reply};
use crate::model::options::Options;
use crate::model::roster::Roster;
use crate::model::tree::NodeTree;
use crate::ops::printout::{NameReader, printed_count, unnamed_visible};
use crate::ops::scope::ScopeReport;
use crate::synthdef::{DefSource, SynthDefInfo, audio_out_channels};
use crate::synthdef::{decode_file, describe, encode_file};
use crate::wire::osc_text::{format_packet, parse_at};
use crate::wire::packet_guard::{check_reply, decode};
use crate::wire::printable::{printable, printable_lines};
use crate::wire::protocol::{
    BufferInfo, Expect, NodeInfo, StatusInfo, VersionInfo, check_fail, fail_for, flatten,
};

/// The largest profile file the GUI reads (`src/gui/profiles.rs`, `MAX_FILE_BYTES`).
const PROFILE_MAX_BYTES: usize = 64 * 1024;

/// One datagram or TCP frame from a server: the packet guard, then every reply decoder a
/// received message can reach (status, version, node notifications, buffer info, `/fail`,
/// `/g_queryTree.reply`, meters, scope reports), as the connection's subscribers run them.
pub fn server_reply(bytes: &[u8]) {
    let Ok(packet) = decode(bytes) else {
        return;
    };
    let mut messages = Vec::new();
    flatten(packet, &mut messages);
    let mut mirror = NodeTree::new(0);
    let mut meters = Meters {
        inputs: vec![ChannelLevel::default(); 2],
        outputs: vec![ChannelLevel::default(); 2],
        input_node: Some(1),
        output_node: Some(2),
        ..Meters::default()
    };
    for m in &messages {
        // What the connection drops before any subscriber sees it.
        if check_reply(m).is_err() {
            continue;
        }
        let _ = crate::wire::osc_text::format_message(m);
        if let Some(status) = StatusInfo::from_msg(m) {
            let _ = status.to_string();
            mirror.check_counts(status.synths, status.groups);
        }
        if let Some(version) = VersionInfo::from_msg(m) {
            let _ = version.to_string();
        }
        let _ = NodeInfo::from_msg(m);
        let _ = BufferInfo::from_msg(m);
        let _ = fail_for(m, "/d_recv");
        let _ = check_fail(m.clone());
        for expect in expectations() {
            let _ = expect.matches(m);
        }
        if m.addr == "/g_queryTree.reply"
            && let Ok(tree) = NodeTree::from_query_reply(m)
        {
            read_tree(&tree, &mut mirror);
        }
        mirror.apply(m);
        if is_meter_reply(m) {
            meters.apply(m);
        }
        let _ = ScopeReport::parse(m);
    }
    let _ = mirror.to_text(true);
    let _ = printed_count(&mirror);
}

/// What a read tree goes through: printing, walking, grafting into the mirror.
fn read_tree(tree: &NodeTree, mirror: &mut NodeTree) {
    let _ = tree.to_text(true);
    let _ = tree.to_text(false);
    let _ = tree.counts();
    let _ = tree.ids();
    let mut nodes = 0usize;
    tree.walk(|_, _| nodes += 1);
    let _ = unnamed_visible(tree, mirror);
    mirror.graft(0, tree);
    let mut carried = tree.clone();
    carried.carry_over(mirror);
}

fn expectations() -> [Expect; 6] {
    [
        Expect::Address("/synced"),
        Expect::AddressWithId("/synced", 1),
        Expect::Done {
            command: "/b_alloc".into(),
            id: Some(0),
        },
        Expect::FailOf("/n_set".into()),
        Expect::ReplyOrFail {
            reply: "/b_info",
            id: Some(0),
            command: "/b_query",
        },
        Expect::Samples {
            buffer: 0,
            start: 0,
        },
    ]
}

/// One console line (`scpanel send`, the GUI's console): parsed, formatted back and
/// encoded, as sending it does.
pub fn osc_text(bytes: &[u8]) {
    let Ok(line) = std::str::from_utf8(bytes) else {
        return;
    };
    // A fixed "now" (2025-01-01): the same input always takes the same path.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_735_689_600);
    let Ok(packet) = parse_at(line, now) else {
        return;
    };
    let _ = format_packet(&packet);
    // What the console sends must encode, and what it sends must pass our own guard.
    let encoded = match rosc::encoder::encode(&packet) {
        Ok(b) => b,
        Err(e) => panic!("a parsed line does not encode: {e}"),
    };
    if let Err(e) = decode(&encoded) {
        panic!("a parsed line encodes to a packet the guard refuses: {e}");
    }
}

/// A `.scsyndef` file: decoded, described, and written back; what is written must read
/// back to the same bytes.
pub fn synthdef(bytes: &[u8]) {
    let Ok(defs) = decode_file(bytes) else {
        return;
    };
    for def in &defs {
        let _ = describe(def);
        let _ = def.controls();
        let _ = audio_out_channels(def);
        let _ = SynthDefInfo::of(def, DefSource::BuiltIn);
    }
    let written = encode_file(&defs);
    match decode_file(&written) {
        Ok(back) => {
            if encode_file(&back) != written {
                panic!("a decoded SynthDef file does not write back the same");
            }
        }
        Err(e) => panic!("a decoded SynthDef file, written back, does not decode: {e}"),
    }
}

/// A roster (session file) and a pasted server list. A roster that loads must save, and
/// what it saves must load.
pub fn roster(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let (good, bad) = Roster::parse_list(text);
    let _ = (good.len(), bad.len());
    if let Ok(roster) = Roster::from_toml(text) {
        for entry in &roster.servers {
            let _ = entry.label();
        }
        match roster.to_toml() {
            Ok(saved) => {
                if let Err(e) = Roster::from_toml(&saved) {
                    panic!("a saved roster does not load: {e}\n{saved}");
                }
            }
            Err(e) => panic!("a roster that loaded does not save: {e}"),
        }
    }
}

/// A boot-options profile (`last.toml` or a named profile), read as the GUI's
/// `gui::profiles::read` reads it; what is saved must load again.
pub fn profile(bytes: &[u8]) {
    if bytes.len() > PROFILE_MAX_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(options) = Options::from_toml(text) else {
        return;
    };
    let _ = options.problems();
    let _ = options.validate();
    let _ = options.argv();
    let _ = options.command_line("scsynth");
    let _ = options.is_supernova();
    let _ = options.open_to_anyone();
    let saved = match toml::to_string_pretty(&options) {
        Ok(s) => s,
        Err(e) => panic!("options that loaded do not save: {e}"),
    };
    if let Err(e) = Options::from_toml(&saved) {
        panic!("saved options do not load: {e}\n{saved}");
    }
}

/// scsynth's output, as the process reader sees it: bytes split into lines, each made text
/// and trimmed, then classified for boot and the log, escaped for a terminal, and read as
/// `/g_dumpTree` printout lines.
pub fn server_output(bytes: &[u8]) {
    let wanted: HashSet<i32> = (1000..1010).collect();
    let mut reader = NameReader::new(wanted, 64);
    for line in bytes.split(|b| *b == b'\n') {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end();
        if text.is_empty() {
            continue;
        }
        let _ = classify(text);
        let _ = is_printout_line(text);
        let _ = parse_line(text);
        let _ = printable(text);
        let _ = printable_lines(text);
        reader.take(text);
        let _ = reader.has_all_names();
    }
}
