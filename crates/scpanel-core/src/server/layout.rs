//! A guest learns the server's sizes from the server itself. No command reports `-o -i -a -c
//! -b`, and assuming scsynth's defaults gets a server booted with `-o 2` wrong twice: meters
//! and the scope show buses 2–7 as outputs, and the private buses are split among clients
//! from the wrong first bus, so ours overlap another client's. A synth can read them
//! (`NumOutputBuses` and its kin), so one runs for a block at login and reports them.

use std::time::Duration;

use rosc::{OscMessage, OscPacket, OscType};

use crate::error::{Result, ServerError};
use crate::model::alloc::LAYOUT_REPLY;
use crate::model::alloc::ServerLayout;
use crate::model::options::{Kind, Options};
use crate::synthdef::builtins::layout_probe;
use crate::wire::connection::Connection;
use crate::wire::protocol::{AddAction, Expect, msg};

/// The probe answers within an audio block of its `/d_recv`; a server whose audio is stopped
/// never answers.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// Buses and buffers beyond any real server's (scsynth's `-a -c -b` are 32-bit, but a
/// million buffers already needs gigabytes of real-time memory).
const MAX_COUNT: u32 = 1 << 24;

/// Runs the probe as node `node` (one of this client's own ids) and returns what it
/// reports. Loads `scpanel-layout` first, as the `/d_recv`'s completion. At the root's head:
/// at its tail, an owner keeping its meters last would move them after it.
pub(crate) async fn ask(conn: &Connection, node: i32) -> Result<ServerLayout> {
    let start = msg(
        "/s_new",
        [
            OscType::String("scpanel-layout".into()),
            OscType::Int(node),
            OscType::Int(AddAction::AddToHead as i32),
            OscType::Int(0),
        ],
    );
    let start = rosc::encoder::encode(&OscPacket::Message(start)).map_err(|e| {
        ServerError::Osc(format!("could not encode the layout probe's /s_new: {e}"))
    })?;
    let load = msg(
        "/d_recv",
        [
            OscType::Blob(crate::synthdef::encode_file(&[layout_probe()])),
            OscType::Blob(start),
        ],
    );
    let answer = conn
        .request(
            OscPacket::Message(load),
            Expect::AddressWithId(LAYOUT_REPLY, node),
            ANSWER_WITHIN,
        )
        .await;
    match answer {
        Ok(reply) => parse(&reply),
        Err(e) => {
            // Not run (audio stopped): it would run and answer nobody later.
            let _ = conn
                .send(OscPacket::Message(msg("/n_free", [OscType::Int(node)])))
                .await;
            Err(e)
        }
    }
}

/// The largest value the option table allows for `key` (hardware channels: `-i`, `-o`).
fn table_max(key: &str) -> u32 {
    match Options::def(key).map(|d| &d.kind) {
        Some(Kind::Int { max, .. }) => u32::try_from(*max).unwrap_or(u32::MAX),
        _ => 0,
    }
}

/// `/scpanel/layout node replyID outputs inputs audio control buffers`, checked: the reply
/// comes from the network, and a nonsense size would misplace every bus we use.
fn parse(reply: &OscMessage) -> Result<ServerLayout> {
    let bad = |why: &str| ServerError::Osc(format!("the layout probe's reply {why}"));
    let values: Vec<f32> = reply
        .args
        .iter()
        .skip(2)
        .take(5)
        .map(|a| match a {
            OscType::Float(v) => Ok(*v),
            OscType::Int(v) => Ok(*v as f32),
            _ => Err(bad("holds a value that is not a number")),
        })
        .collect::<Result<_>>()?;
    let [outputs, inputs, audio, control, buffers] = values[..] else {
        return Err(bad("has fewer than five sizes"));
    };
    let count = |v: f32, max: u32, what: &str| {
        if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= max as f32 {
            Ok(v as u32)
        } else {
            Err(bad(&format!("gives {v} {what}")))
        }
    };
    let layout = ServerLayout {
        output_channels: count(outputs, table_max("output_channels"), "output channels")?,
        input_channels: count(inputs, table_max("input_channels"), "input channels")?,
        audio_buses: count(audio, MAX_COUNT, "audio buses")?,
        control_buses: count(control, MAX_COUNT, "control buses")?,
        buffers: count(buffers, MAX_COUNT, "buffers")?,
    };
    if layout.audio_buses < layout.first_private_audio_bus() {
        return Err(bad(&format!(
            "gives {} audio buses, fewer than its {} hardware channels",
            layout.audio_buses,
            layout.first_private_audio_bus()
        )));
    }
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(values: &[OscType]) -> OscMessage {
        let mut args = vec![OscType::Int(7), OscType::Int(0)];
        args.extend_from_slice(values);
        OscMessage {
            addr: LAYOUT_REPLY.into(),
            args,
        }
    }

    fn floats(v: &[f32]) -> OscMessage {
        reply(&v.iter().map(|v| OscType::Float(*v)).collect::<Vec<_>>())
    }

    #[test]
    fn sizes_are_read_in_order() {
        let l = parse(&floats(&[2.0, 4.0, 128.0, 4096.0, 256.0])).unwrap();
        assert_eq!(
            l,
            ServerLayout {
                output_channels: 2,
                input_channels: 4,
                audio_buses: 128,
                control_buses: 4096,
                buffers: 256,
            }
        );
        assert_eq!(l.first_private_audio_bus(), 6);
        assert_eq!(
            table_max("output_channels"),
            4096,
            "the option table's bound"
        );
    }

    #[test]
    fn a_nonsense_reply_is_refused_with_what_is_wrong() {
        for (values, says) in [
            (floats(&[2.0, 2.0, 1024.0]), "fewer than five"),
            (floats(&[f32::NAN, 2.0, 1024.0, 1.0, 1.0]), "NaN output"),
            (floats(&[-1.0, 2.0, 1024.0, 1.0, 1.0]), "-1 output"),
            (floats(&[2.5, 2.0, 1024.0, 1.0, 1.0]), "2.5 output"),
            (floats(&[8.0, 8.0, 1e9, 1.0, 1.0]), "audio buses"),
            (floats(&[8.0, 8.0, 10.0, 1.0, 1.0]), "fewer than its 16"),
            (
                reply(&[
                    OscType::String("x".into()),
                    OscType::Float(1.0),
                    OscType::Float(1.0),
                    OscType::Float(1.0),
                    OscType::Float(1.0),
                ]),
                "not a number",
            ),
        ] {
            let e = parse(&values).unwrap_err().to_string();
            assert!(e.contains(says), "{e:?} should say {says:?}");
        }
    }
}
