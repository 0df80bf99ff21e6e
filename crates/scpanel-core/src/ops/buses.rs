//! Buses: blocks from this client's range, and control bus values. Free functions over a
//! [`Link`]; [`Buses`] is the public face ([`Server::buses`](crate::Server::buses)).

use std::sync::Arc;

use rosc::OscType;

use crate::error::{Result, ServerError};
use crate::link::Link;
use crate::wire::protocol::{self, BusRate, Expect, int, msg};

/// A block of consecutive buses this client allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusGroup {
    /// Audio or control rate.
    pub rate: BusRate,
    /// The first bus's index.
    pub id: u32,
    /// How many buses.
    pub count: u32,
}

/// Reserves `count` consecutive buses from this client's range.
pub(crate) fn add_group(link: &Link, rate: BusRate, count: u32) -> Result<BusGroup> {
    let what = match rate {
        BusRate::Audio => "audio bus",
        BusRate::Control => "control bus",
    };
    let (_, id) = link.alloc_ids(what, |a| match rate {
        BusRate::Audio => a.audio_buses.allocate(count),
        BusRate::Control => a.control_buses.allocate(count),
    })?;
    Ok(BusGroup { rate, id, count })
}

/// Bus blocks and control bus values on a server. Blocks are taken with
/// [`Server::add_bus`](crate::Server::add_bus) and
/// [`Server::add_bus_group`](crate::Server::add_bus_group), as in supriya.
#[derive(Clone)]
pub struct Buses {
    pub(crate) link: Arc<Link>,
}

impl Buses {
    /// Gives a block of buses back to this client's range.
    pub fn free_group(&self, group: BusGroup) -> Result<()> {
        let live = self.link.logged_in()?;
        self.link.release(&live, |a| {
            match group.rate {
                BusRate::Audio => a.audio_buses.free(group.id),
                BusRate::Control => a.control_buses.free(group.id),
            };
        });
        Ok(())
    }

    /// This client's bus blocks, audio first.
    pub fn groups(&self) -> Vec<BusGroup> {
        let Some(live) = self.link.live() else {
            return Vec::new();
        };
        let Some(a) = live
            .alloc
            .as_ref()
            .and_then(|a| a.lock().ok().map(|a| a.clone()))
        else {
            return Vec::new();
        };
        let block = |rate| move |(id, count)| BusGroup { rate, id, count };
        let mut v: Vec<BusGroup> = a
            .audio_buses
            .allocated()
            .into_iter()
            .map(block(BusRate::Audio))
            .collect();
        v.extend(
            a.control_buses
                .allocated()
                .into_iter()
                .map(block(BusRate::Control)),
        );
        v
    }

    /// Sets a control bus (`/c_set`).
    pub async fn set_control(&self, id: i32, value: f32) -> Result<()> {
        self.link
            .send_msg(msg("/c_set", [int(id), OscType::Float(value)]))
            .await
    }

    /// Reads a control bus (`/c_get`).
    pub async fn get_control(&self, id: i32) -> Result<f32> {
        let m = self
            .link
            .request(
                msg("/c_get", [int(id)]),
                Expect::ReplyOrFail {
                    reply: "/c_set",
                    id: Some(id),
                    command: "/c_get",
                },
            )
            .await?;
        protocol::float_arg(&m, 1)
            .map(|v| v as f32)
            .ok_or_else(|| ServerError::Osc("malformed /c_set reply".into()))
    }

    /// Values of `count` consecutive control buses (`/c_getn`).
    pub async fn get_controls(&self, id: i32, count: i32) -> Result<Vec<f32>> {
        let m = self
            .link
            .request(
                msg("/c_getn", [int(id), int(count)]),
                Expect::ReplyOrFail {
                    reply: "/c_setn",
                    id: Some(id),
                    command: "/c_getn",
                },
            )
            .await?;
        // Bounded by the reply's own length, whatever count was asked.
        let count = (count.max(0) as usize).min(m.args.len().saturating_sub(2));
        Ok((0..count)
            .filter_map(|i| protocol::float_arg(&m, 2 + i).map(|v| v as f32))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::scripted;

    #[tokio::test]
    async fn bus_blocks_come_from_the_private_range_and_go_back() {
        let (link, script) = scripted::link().await;
        let buses = Buses { link: link.clone() };
        let audio = add_group(&link, BusRate::Audio, 2).expect("audio");
        let control = add_group(&link, BusRate::Control, 4).expect("control");
        let ranges = link.client_ranges().expect("logged in");
        assert!(ranges.audio_buses.contains(&audio.id), "{audio:?}");
        assert!(audio.id >= 4, "past the 2 outputs and 2 inputs");
        assert!(ranges.control_buses.contains(&control.id));
        assert_eq!(buses.groups(), vec![audio, control]);
        buses.free_group(audio).expect("freed");
        assert_eq!(buses.groups(), vec![control]);
        assert!(
            script.received.lock().expect("script").is_empty(),
            "no OSC for ids"
        );
    }

    #[tokio::test]
    async fn a_control_bus_reply_is_read_no_further_than_it_goes() {
        let (link, _script) = scripted::link().await;
        // The script answers one value whatever was asked.
        let values = Buses { link }.get_controls(7, 1_000_000).await;
        assert_eq!(values.ok(), Some(vec![0.5]));
    }
}
