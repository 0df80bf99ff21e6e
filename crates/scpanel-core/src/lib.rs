//! scpanel's core: boot, connect to and command SuperCollider's synthesis server (scsynth or
//! supernova) from async Rust. No GUI toolkit.
//!
//! [`Server`] is an async handle on one scsynth, modelled on supriya's `AsyncServer`: boot one
//! (and own it) or connect to one, then query and command it. It is cheap to clone; every
//! clone is the same handle. Beside the requests every client makes (`status`, `sync`,
//! `send`, `query_tree`, `add_synth`, `add_group`, `add_buffer`, `add_bus`), it hands out
//! the operations: [`Server::nodes`], [`Server::buffers`], [`Server::buses`],
//! [`Server::synthdefs`], [`Server::mixer`], [`Server::recorder`], [`Server::scope`],
//! [`Server::test_tone`], [`Server::controls`].
//!
//! ```no_run
//! # async fn demo() -> scpanel_core::Result<()> {
//! use scpanel_core::{AddAction, Options, Server};
//!
//! // Boot a scsynth of our own (it needs JACK running), play a note, and quit it.
//! let server = Server::new();
//! server.boot(Options::default()).await?;
//! let group = server.attachment().map_or(1, |a| a.default_group());
//! let synth = server
//!     .add_synth("default", group, AddAction::AddToHead, &[("freq", 330.0)])
//!     .await?;
//! server.sync().await?;
//! print!("{}", server.query_tree(true).await?.to_text(false));
//! server.nodes().set(synth, &[("gate", 0.0)]).await?;
//! server.quit(false).await?;
//!
//! // Watch a server someone else started, without taking a login slot.
//! let guest = Server::new();
//! let mut options = scpanel_core::ConnectOptions::new("127.0.0.1:57110".parse().unwrap());
//! options.login = false;
//! guest.connect(options).await?;
//! let status = guest.status().await?;
//! println!("{} synths, {:.1} % CPU", status.synths, status.average_cpu);
//! guest.disconnect().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Runnable examples (in `examples/`): `boot_and_quit` boots a scsynth of its own, prints its
//! status and quits it; `print_tree` connects to a server and prints its node tree;
//! `watch_servers` watches several servers and prints a status line for each every second.
//!
//! The modules below the root are data models and helpers with no server handle: the option
//! table ([`options`]), the tree mirror ([`tree`]), levels, scope frames and spectra, the
//! server log, the roster of a wall of servers, the SynthDef codec and the buses a def reads
//! and writes ([`synthdef`]), discovery ([`discover`]), the machine's audio setup
//! ([`audio`]), ports and programs ([`machine`]), and OSC as text ([`osc`]).

#![warn(missing_docs)]

mod error;
pub mod files;
mod host;
mod link;
mod model;
mod ops;
mod server;
mod wire;

pub mod discover;
pub mod journal;
pub mod synthdef;

/// Entry points for the fuzz targets in `fuzz/`; not an API (only with `fuzzing`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

/// The connection and transport underneath the handle, for this repository's tests that
/// play a hostile peer (faults a real scsynth can't be made to produce). Not an API: it
/// exists only with the `internals` feature, which nothing but those tests turns on.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::link::shared::{Shared, subscribers};
    pub use crate::wire::tap::LossCounters;
    pub use crate::wire::{connection, packet_guard, protocol, transport};
}

// The front door, and what it speaks in.
pub use error::{PortHolder, Result, ServerError};
pub use link::shared::{Change, Direction, OscTraffic, StatusSample};
pub use link::{
    Attachment, ConnectOptions, HealthConfig, ServerEvent, ServerState, client_address,
};
pub use server::{Server, guest_default_group, sclang_default_group};
pub use wire::connection::Login;
pub use wire::protocol::{AddAction, BufferInfo, BusRate, NodeInfo, StatusInfo, VersionInfo};
pub use wire::tap::Losses;
pub use wire::transport::{DEFAULT_PORT, Protocol};

// The operations the handle hands out.
pub use ops::buffers::Buffers;
pub use ops::buses::{BusGroup, Buses};
pub use ops::control_watch::Controls;
pub use ops::mixer::Mixer;
pub use ops::nodes::Nodes;
pub use ops::own_nodes::{Own, default_group_client};
pub use ops::recorder::Recorder;
pub use ops::scope::{Scope, ScopeSpec, ScopeTap};
pub use ops::synthdefs::SynthDefs;
pub use ops::test_tone::TestTone;
pub use ops::tree_read::TreeRead;

// Data models: what the handle reports, and what a user configures.
pub use model::absence::{Absence, RejoinPolicy};
pub use model::alloc::{ClientRanges, ServerLayout};
pub use model::log::{LineKind, Mark, ServerLog};
pub use model::options::Options;
pub use model::tree::{ControlValue, Node, NodeKind, NodeTree};
pub use model::{clock, levels, log, options, recording, roster, scope, spectrum, tree};
pub use synthdef::{DefSource, SynthDefInfo};

/// "Why is there no sound?": the sound doctor ([`Server::doctor`]) and what it reports.
pub mod doctor {
    pub use crate::ops::doctor::{
        Doctor, Examination, Finding, Fix, Kind, Report, Severity, sclang_synthdef_dir,
    };
}

/// The machine's audio setup: JACK (and PipeWire's), ALSA cards, xruns, sample rates.
pub mod audio {
    pub use crate::host::{alsa, jack, pipewire, sample_rate, xruns};
}

/// Programs, ports and processes on this machine: where scsynth is, which ports are free,
/// who holds one, and this machine's addresses.
pub mod machine {
    pub use crate::host::find::find_executable;
    pub use crate::host::join::{join_lines, reachable_addresses};
    pub use crate::host::output::is_printout_line;
    pub use crate::host::ports::{command_line, stop_process};
    pub use crate::host::process::{ExitInfo, MAX_LINE as MAX_OUTPUT_LINE};
    pub use crate::wire::transport::{find_free_port, port_is_free};
}

/// OSC as people type and read it, and the few helpers a console needs.
pub mod osc {
    pub use crate::wire::osc_text::{ParseError, complete, format_packet, parse};
    /// A stored packet decoded with its nesting checked first (no recursion a peer's bytes
    /// control).
    pub use crate::wire::packet_guard::{MAX_DEPTH, Malformed, decode_within};
    pub use crate::wire::printable::{printable, printable_lines};
    pub use crate::wire::protocol::{bundle_of, flatten, float_arg, int_arg, msg};
    pub use crate::wire::seconds::{BOOT_TIMEOUT, STATUS_INTERVAL, Seconds};
}
