//! Typed replies from scsynth, and how to recognise the reply to a request.
//! The one place that knows each reply's layout.

use rosc::{OscMessage, OscPacket, OscType};

use crate::error::ServerError;

/// An int32 argument (the type of every id and count scsynth takes).
pub(crate) fn int(v: i32) -> OscType {
    OscType::Int(v)
}

/// Builds an OSC message from an address and arguments.
pub fn msg(addr: &str, args: impl IntoIterator<Item = OscType>) -> OscMessage {
    OscMessage {
        addr: addr.to_string(),
        args: args.into_iter().collect(),
    }
}

/// Argument `i` of a message as an int, whatever number type the server sent.
pub fn int_arg(m: &OscMessage, i: usize) -> Option<i32> {
    match m.args.get(i)? {
        OscType::Int(v) => Some(*v),
        OscType::Long(v) => i32::try_from(*v).ok(),
        OscType::Float(v) => Some(*v as i32),
        OscType::Double(v) => Some(*v as i32),
        _ => None,
    }
}

/// Argument `i` as a float, whatever numeric type carries it.
pub fn float_arg(m: &OscMessage, i: usize) -> Option<f64> {
    match m.args.get(i)? {
        OscType::Int(v) => Some(f64::from(*v)),
        OscType::Long(v) => Some(*v as f64),
        OscType::Float(v) => Some(f64::from(*v)),
        OscType::Double(v) => Some(*v),
        _ => None,
    }
}

pub(crate) fn str_arg(m: &OscMessage, i: usize) -> Option<&str> {
    match m.args.get(i)? {
        OscType::String(s) => Some(s.as_str()),
        _ => None,
    }
}

/// Every message in a packet, bundles flattened in order. Iterative: a packet typed by a
/// user is not depth-checked the way a received one is.
pub fn flatten(packet: OscPacket, out: &mut Vec<OscMessage>) {
    let mut todo = vec![packet];
    while let Some(p) = todo.pop() {
        match p {
            OscPacket::Message(m) => out.push(m),
            OscPacket::Bundle(b) => todo.extend(b.content.into_iter().rev()),
        }
    }
}

/// `/status.reply`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StatusInfo {
    /// Unit generators running.
    pub ugens: i32,
    /// Synths on the server.
    pub synths: i32,
    /// Groups on the server.
    pub groups: i32,
    /// SynthDefs loaded.
    pub synthdefs: i32,
    /// Average CPU load of the audio thread, in percent.
    pub average_cpu: f32,
    /// Peak CPU load of the audio thread, in percent.
    pub peak_cpu: f32,
    /// The sample rate asked for.
    pub nominal_sample_rate: f64,
    /// The sample rate measured (drifts a little from the nominal one).
    pub actual_sample_rate: f64,
}

/// One line, as `scpanel status` prints it: counts, CPU, nominal and actual sample rate.
impl std::fmt::Display for StatusInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ugens {} synths {} groups {} synthdefs {} cpu {:.2}% (peak {:.2}%) sample rate {:.1} (actual {:.3})",
            self.ugens,
            self.synths,
            self.groups,
            self.synthdefs,
            self.average_cpu,
            self.peak_cpu,
            self.nominal_sample_rate,
            self.actual_sample_rate
        )
    }
}

impl StatusInfo {
    pub(crate) fn from_msg(m: &OscMessage) -> Option<Self> {
        if m.addr != "/status.reply" {
            return None;
        }
        Some(StatusInfo {
            ugens: int_arg(m, 1)?,
            synths: int_arg(m, 2)?,
            groups: int_arg(m, 3)?,
            synthdefs: int_arg(m, 4)?,
            average_cpu: float_arg(m, 5)? as f32,
            peak_cpu: float_arg(m, 6)? as f32,
            nominal_sample_rate: float_arg(m, 7)?,
            actual_sample_rate: float_arg(m, 8)?,
        })
    }
}

/// `/version.reply`.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionInfo {
    /// `scsynth` or `supernova`.
    pub program: String,
    /// Major version.
    pub major: i32,
    /// Minor version.
    pub minor: i32,
    /// Patch version (e.g. `.3`).
    pub patch: String,
    /// The git branch it was built from.
    pub branch: String,
    /// The git commit it was built from.
    pub commit: String,
}

impl VersionInfo {
    pub(crate) fn from_msg(m: &OscMessage) -> Option<Self> {
        let text = |i| match m.args.get(i) {
            Some(OscType::String(s)) => s.clone(),
            Some(OscType::Int(v)) => v.to_string(),
            _ => String::new(),
        };
        Some(VersionInfo {
            program: str_arg(m, 0)?.to_string(),
            major: int_arg(m, 1)?,
            minor: int_arg(m, 2)?,
            patch: text(3),
            branch: text(4),
            commit: text(5),
        })
    }
}

impl std::fmt::Display for VersionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}.{}{}",
            self.program, self.major, self.minor, self.patch
        )?;
        if !self.branch.is_empty() {
            write!(f, " ({} {})", self.branch, self.commit)?;
        }
        Ok(())
    }
}

/// `/n_go /n_end /n_off /n_on /n_move /n_info`: where a node sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeInfo {
    /// The node's id.
    pub node: i32,
    /// Its group.
    pub parent: i32,
    /// The node before it in its group, or -1.
    pub prev: i32,
    /// The node after it in its group, or -1.
    pub next: i32,
    /// A group (`true`) or a synth.
    pub is_group: bool,
    /// For a group: its first node, or -1.
    pub head: i32,
    /// For a group: its last node, or -1.
    pub tail: i32,
}

impl NodeInfo {
    pub(crate) fn from_msg(m: &OscMessage) -> Option<Self> {
        let is_group = int_arg(m, 4)? == 1;
        Some(NodeInfo {
            node: int_arg(m, 0)?,
            parent: int_arg(m, 1)?,
            prev: int_arg(m, 2)?,
            next: int_arg(m, 3)?,
            is_group,
            head: if is_group {
                int_arg(m, 5).unwrap_or(-1)
            } else {
                -1
            },
            tail: if is_group {
                int_arg(m, 6).unwrap_or(-1)
            } else {
                -1
            },
        })
    }
}

/// `/b_info bufnum frames channels sampleRate`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BufferInfo {
    /// The buffer number.
    pub id: i32,
    /// Its length in sample frames.
    pub frames: i32,
    /// Its number of channels.
    pub channels: i32,
    /// Its sample rate.
    pub sample_rate: f64,
}

impl BufferInfo {
    pub(crate) fn from_msg(m: &OscMessage) -> Option<Self> {
        Some(BufferInfo {
            id: int_arg(m, 0)?,
            frames: int_arg(m, 1)?,
            channels: int_arg(m, 2)?,
            sample_rate: float_arg(m, 3)?,
        })
    }
}

#[cfg(any(test, feature = "internals", feature = "fuzzing"))]
/// A `/fail` reply as an error, if `m` is one for `command`.
pub fn fail_for(m: &OscMessage, command: &str) -> Option<ServerError> {
    if m.addr != "/fail" || str_arg(m, 0)? != command {
        return None;
    }
    Some(ServerError::Fail {
        command: command.to_string(),
        message: str_arg(m, 1).unwrap_or("failed").trim().to_string(),
    })
}

/// What reply a request waits for.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// A message with this address (whatever its arguments).
    Address(&'static str),
    /// A message with this address whose first argument is this int.
    AddressWithId(&'static str, i32),
    /// `/done command [id]`, or `/fail command …` (also answered for the id when given).
    Done {
        /// The command's address, e.g. `/b_alloc`.
        command: String,
        /// The id the `/done` names, if any.
        id: Option<i32>,
    },
    /// Only a `/fail` for this command (to catch errors of commands that answer nothing).
    FailOf(String),
    /// The reply address, or a `/fail` for this command.
    ReplyOrFail {
        /// The reply's address.
        reply: &'static str,
        /// The first argument the reply must have, if any.
        id: Option<i32>,
        /// The command whose `/fail` also ends the wait.
        command: &'static str,
    },
    /// `/b_setn buffer start …` answering a `/b_getn` of that range, or a `/fail` of
    /// `/b_getn`: several reads of one buffer may be under way at once.
    Samples {
        /// The buffer read.
        buffer: i32,
        /// The first sample asked for.
        start: i32,
    },
}

impl Expect {
    /// Whether `m` is the reply this waits for.
    pub fn matches(&self, m: &OscMessage) -> bool {
        match self {
            Expect::Address(a) => m.addr == *a,
            Expect::AddressWithId(a, id) => m.addr == *a && int_arg(m, 0) == Some(*id),
            Expect::Done { command, id } => {
                if str_arg(m, 0) != Some(command.as_str()) {
                    return false;
                }
                match m.addr.as_str() {
                    "/done" => id.is_none_or(|id| int_arg(m, 1) == Some(id)),
                    // A /fail names the id after its text when the command had one.
                    "/fail" => id.is_none_or(|id| int_arg(m, 2).is_none_or(|f| f == id)),
                    _ => false,
                }
            }
            Expect::FailOf(command) => m.addr == "/fail" && str_arg(m, 0) == Some(command.as_str()),
            Expect::ReplyOrFail { reply, id, command } => {
                if m.addr == *reply {
                    return id.is_none_or(|id| int_arg(m, 0) == Some(id));
                }
                m.addr == "/fail" && str_arg(m, 0) == Some(command)
            }
            Expect::Samples { buffer, start } => {
                if m.addr == "/b_setn" {
                    return int_arg(m, 0) == Some(*buffer) && int_arg(m, 1) == Some(*start);
                }
                m.addr == "/fail" && str_arg(m, 0) == Some("/b_getn")
            }
        }
    }
}

/// Turns a matched reply into an error when it is a `/fail`.
pub(crate) fn check_fail(m: OscMessage) -> Result<OscMessage, ServerError> {
    if m.addr == "/fail" {
        let command = str_arg(&m, 0).unwrap_or("?").to_string();
        let message = str_arg(&m, 1).unwrap_or("failed").trim().to_string();
        return Err(ServerError::Fail { command, message });
    }
    Ok(m)
}

/// Where a new node goes relative to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddAction {
    /// At the head of the target group (`0`).
    #[default]
    AddToHead = 0,
    /// At the tail of the target group (`1`).
    AddToTail = 1,
    /// Just before the target node (`2`).
    AddBefore = 2,
    /// Just after the target node (`3`).
    AddAfter = 3,
    /// In place of the target node, which is freed (`4`).
    Replace = 4,
}

impl AddAction {
    /// Every add action, in number order.
    pub const ALL: [AddAction; 5] = [
        AddAction::AddToHead,
        AddAction::AddToTail,
        AddAction::AddBefore,
        AddAction::AddAfter,
        AddAction::Replace,
    ];
    /// A few words for menus: "at head", "before", ….
    pub fn label(self) -> &'static str {
        match self {
            AddAction::AddToHead => "at head",
            AddAction::AddToTail => "at tail",
            AddAction::AddBefore => "before",
            AddAction::AddAfter => "after",
            AddAction::Replace => "replacing",
        }
    }
}

/// Audio or control rate, for buses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BusRate {
    /// Audio-rate buses (`Out.ar`, `In.ar`); the first ones are the hardware outputs and inputs.
    Audio,
    /// Control-rate buses (`Out.kr`, `In.kr`, `/c_set`).
    Control,
}

/// An immediate bundle of messages.
pub fn bundle_of(messages: Vec<rosc::OscMessage>) -> OscPacket {
    OscPacket::Bundle(rosc::OscBundle {
        timetag: rosc::OscTime {
            seconds: 0,
            fractional: 1,
        },
        content: messages.into_iter().map(OscPacket::Message).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_matching_uses_command_and_id() {
        let e = Expect::Done {
            command: "/b_alloc".into(),
            id: Some(3),
        };
        let done = msg(
            "/done",
            [OscType::String("/b_alloc".into()), OscType::Int(3)],
        );
        let other = msg(
            "/done",
            [OscType::String("/b_alloc".into()), OscType::Int(4)],
        );
        let fail = msg(
            "/fail",
            [
                OscType::String("/b_alloc".into()),
                OscType::String("alloc failed\n".into()),
                OscType::Int(3),
            ],
        );
        assert!(e.matches(&done));
        assert!(!e.matches(&other));
        assert!(e.matches(&fail));
        match check_fail(fail) {
            Err(ServerError::Fail { command, message }) => {
                assert_eq!(command, "/b_alloc");
                assert_eq!(message, "alloc failed");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn status_reply_parses_or_refuses() {
        let m = msg(
            "/status.reply",
            [
                OscType::Int(1),
                OscType::Int(10),
                OscType::Int(2),
                OscType::Int(3),
                OscType::Int(4),
                OscType::Float(1.5),
                OscType::Float(2.5),
                OscType::Double(48000.0),
                OscType::Double(48001.0),
            ],
        );
        let s = StatusInfo::from_msg(&m).unwrap();
        assert_eq!((s.ugens, s.synths, s.groups, s.synthdefs), (10, 2, 3, 4));
        assert_eq!(s.actual_sample_rate, 48001.0);
        let short = msg("/status.reply", [OscType::Int(1)]);
        assert!(StatusInfo::from_msg(&short).is_none());
    }
}
