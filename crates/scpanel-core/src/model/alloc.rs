//! Per-client id ranges and block allocators for nodes, buffers and buses.
//!
//! The ranges follow sclang and supriya so that several clients on one server never collide:
//! node ids from `1000 + (clientID << 26)`, and the buffers, control buses and private audio
//! buses split evenly by the max logins *the server reported*.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// First-fit allocator of contiguous blocks inside a range, reusing freed space.
#[derive(Debug, Clone)]
pub struct BlockAllocator {
    range: Range<u32>,
    /// start → length of each free block, coalesced.
    free: BTreeMap<u32, u32>,
    /// start → length of each allocated block.
    used: HashMap<u32, u32>,
}

impl BlockAllocator {
    /// An allocator with all of `range` free.
    pub fn new(range: Range<u32>) -> Self {
        let mut free = BTreeMap::new();
        if !range.is_empty() {
            free.insert(range.start, range.end - range.start);
        }
        BlockAllocator {
            range,
            free,
            used: HashMap::new(),
        }
    }

    /// The start of a free block of `count` ids, or `None` when none is left.
    pub fn allocate(&mut self, count: u32) -> Option<u32> {
        if count == 0 {
            return None;
        }
        let (&start, &len) = self.free.iter().find(|(_, len)| **len >= count)?;
        self.free.remove(&start);
        if len > count {
            self.free.insert(start + count, len - count);
        }
        self.used.insert(start, count);
        Some(start)
    }

    /// Frees the block that starts at `start`; returns its length, or `None` if it wasn't ours.
    pub fn free(&mut self, start: u32) -> Option<u32> {
        let len = self.used.remove(&start)?;
        let mut s = start;
        let mut l = len;
        if let Some((&ps, &pl)) = self.free.range(..start).next_back()
            && ps + pl == start
        {
            self.free.remove(&ps);
            s = ps;
            l += pl;
        }
        if let Some(&nl) = self.free.get(&(start + len)) {
            self.free.remove(&(start + len));
            l += nl;
        }
        self.free.insert(s, l);
        Some(len)
    }

    /// Allocated blocks as `(start, count)`, in order.
    pub(crate) fn allocated(&self) -> Vec<(u32, u32)> {
        let mut v: Vec<_> = self.used.iter().map(|(&s, &l)| (s, l)).collect();
        v.sort_unstable();
        v
    }

    /// Frees every block (after a server reset).
    pub fn clear(&mut self) {
        *self = BlockAllocator::new(self.range.clone());
    }
}

/// Where the layout probe (`scpanel-layout`) sends the server's sizes.
pub const LAYOUT_REPLY: &str = "/scpanel/layout";

/// The server's sizes that a client must know to split ids (no OSC command reports them;
/// a guest asks with the layout probe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLayout {
    /// Audio buses, hardware ones included (`-a`).
    pub audio_buses: u32,
    /// Control buses (`-c`).
    pub control_buses: u32,
    /// Buffers (`-b`).
    pub buffers: u32,
    /// Hardware input channels (`-i`).
    pub input_channels: u32,
    /// Hardware output channels (`-o`).
    pub output_channels: u32,
}

impl Default for ServerLayout {
    fn default() -> Self {
        ServerLayout {
            audio_buses: 1024,
            control_buses: 16384,
            buffers: 1024,
            input_channels: 8,
            output_channels: 8,
        }
    }
}

impl ServerLayout {
    pub(crate) fn from_options(o: &crate::model::options::Options) -> Self {
        ServerLayout {
            audio_buses: o.audio_buses,
            control_buses: o.control_buses,
            buffers: o.buffers,
            input_channels: o.input_channels,
            output_channels: o.output_channels,
        }
    }

    /// The first private audio bus (after hardware outputs and inputs).
    pub(crate) fn first_private_audio_bus(&self) -> u32 {
        self.output_channels + self.input_channels
    }
}

/// How many ids at the top of each client's node block are kept for scpanel's own nodes:
/// 16 fixed slots, then 16 bus meters.
pub(crate) const OWN_NODE_SLOTS: i64 = 32;

/// One client's share of the server's ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRanges {
    /// Node ids for this client's synths and groups.
    pub nodes: Range<i32>,
    /// The top of the client's node block, kept for scpanel's own nodes (see `own_nodes`):
    /// ids nobody types, the same after every reset.
    pub own_nodes: Range<i32>,
    /// Buffer numbers.
    pub buffers: Range<u32>,
    /// Control bus indices.
    pub control_buses: Range<u32>,
    /// Private audio bus indices.
    pub audio_buses: Range<u32>,
}

fn share(total: u32, first: u32, client_id: u32, max_logins: u32) -> Range<u32> {
    let per = total.saturating_sub(first) / max_logins.max(1);
    let start = first + per * client_id;
    start..start + per
}

impl ClientRanges {
    /// The share of a client id on a server with `max_logins` logins.
    pub fn new(client_id: u32, max_logins: u32, layout: &ServerLayout) -> Self {
        let max_logins = max_logins.max(1);
        let client_id = client_id.min(max_logins - 1);
        let base = (client_id as i64) << 26;
        let end = (((client_id as i64) + 1) << 26).min(i32::MAX as i64 + 1);
        ClientRanges {
            nodes: (base + 1000) as i32..(end - OWN_NODE_SLOTS) as i32,
            own_nodes: (end - OWN_NODE_SLOTS) as i32..(end - 1) as i32,
            buffers: share(layout.buffers, 0, client_id, max_logins),
            control_buses: share(layout.control_buses, 0, client_id, max_logins),
            audio_buses: share(
                layout.audio_buses,
                layout.first_private_audio_bus(),
                client_id,
                max_logins,
            ),
        }
    }
}

/// The allocators of one logged-in client.
#[derive(Debug, Clone)]
pub(crate) struct Allocators {
    pub ranges: ClientRanges,
    pub nodes: BlockAllocator,
    pub buffers: BlockAllocator,
    pub control_buses: BlockAllocator,
    pub audio_buses: BlockAllocator,
}

impl Allocators {
    pub fn new(ranges: ClientRanges) -> Self {
        let nodes = BlockAllocator::new(ranges.nodes.start as u32..ranges.nodes.end as u32);
        Allocators {
            nodes,
            buffers: BlockAllocator::new(ranges.buffers.clone()),
            control_buses: BlockAllocator::new(ranges.control_buses.clone()),
            audio_buses: BlockAllocator::new(ranges.audio_buses.clone()),
            ranges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_reused_and_coalesced() {
        let mut a = BlockAllocator::new(10..20);
        let x = a.allocate(4).unwrap();
        let y = a.allocate(4).unwrap();
        assert_eq!((x, y), (10, 14));
        assert_eq!(a.allocate(4), None, "only 2 left");
        assert_eq!(a.free(x), Some(4));
        assert_eq!(a.free(x), None, "double free is refused");
        assert_eq!(a.allocate(1), Some(10), "freed space is reused");
        a.free(10);
        a.free(y);
        assert_eq!(
            a.allocate(10),
            Some(10),
            "frees coalesce back into one block"
        );
    }

    #[test]
    fn client_ranges_split_like_sclang() {
        let layout = ServerLayout::default();
        let r0 = ClientRanges::new(0, 8, &layout);
        let r3 = ClientRanges::new(3, 8, &layout);
        assert_eq!(r0.nodes.start, 1000);
        assert_eq!(r3.nodes.start, (3 << 26) + 1000);
        assert_eq!(r3.control_buses, 6144..8192);
        assert_eq!(r3.buffers, 384..512);
        assert_eq!(r0.audio_buses, 16..(16 + 126));
        let last = ClientRanges::new(31, 32, &layout);
        assert!(
            last.nodes.start > 0 && last.nodes.end > last.nodes.start,
            "{last:?}"
        );
    }
}
