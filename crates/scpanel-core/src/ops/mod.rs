//! The operations on a server. Each works through a [`Link`](crate::link::Link) and
//! nothing wider: free functions for what keeps no state (nodes, buffers, buses, the tree
//! queries, the basic requests), and a small type owning its state for what does (the
//! mixer, the recorder, the scope, the test tone, the control watch, the SynthDefs the
//! server has from us, scpanel's own group). The [`Server`](crate::Server) holds one state
//! of each and hands out their public faces.

pub(crate) mod buffers;
pub(crate) mod buses;
pub(crate) mod control_watch;
/// "Why is there no sound?": findings about a server, and their fixes.
pub(crate) mod doctor;
pub(crate) mod mixer;
pub(crate) mod nodes;
pub(crate) mod own_nodes;
/// The whole tree with controls from the server's printout of it (servers scpanel booted).
pub(crate) mod printed_tree;
/// SynthDef names read from the server's printout of its tree (servers scpanel booted).
pub(crate) mod printout;
pub(crate) mod recorder;
pub(crate) mod requests;
pub(crate) mod scope;
pub(crate) mod synthdefs;
pub(crate) mod test_tone;
pub(crate) mod tree_query;
/// Reading a server's whole node tree with `/g_queryTree`, even when it is too big for one reply.
pub(crate) mod tree_read;

/// A SynthDef registry with nothing sent yet, for the operations' unit tests.
#[cfg(test)]
pub(crate) fn no_synthdefs(link: &std::sync::Arc<crate::link::Link>) -> synthdefs::SynthDefs {
    synthdefs::SynthDefs {
        link: link.clone(),
        known: std::sync::Arc::new(synthdefs::Known::default()),
    }
}
