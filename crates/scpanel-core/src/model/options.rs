//! Every scsynth / supernova command-line option, defined once.
//!
//! [`OPTIONS`] is the single table: it produces the argv that is spawned, the CLI flags
//! (`scpanel boot --port …`), the boot panel's fields and tooltips, the saved profile keys
//! and the checks. Adding an option means adding one row here.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::wire::transport::Protocol;

/// Which group of the boot panel an option belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionGroup {
    /// Port, protocol, bind address, password, Zeroconf.
    Network,
    /// Channels, sample rate, block size, device.
    Audio,
    /// Buses, buffers, nodes, SynthDefs, memory, wire buffers.
    Resources,
    /// Max logins.
    Clients,
    /// Everything else.
    Advanced,
}

impl OptionGroup {
    /// Every group, in panel order.
    pub const ALL: [OptionGroup; 5] = [
        OptionGroup::Network,
        OptionGroup::Audio,
        OptionGroup::Resources,
        OptionGroup::Clients,
        OptionGroup::Advanced,
    ];
    /// The group's heading.
    pub fn label(self) -> &'static str {
        match self {
            OptionGroup::Network => "Network",
            OptionGroup::Audio => "Audio",
            OptionGroup::Resources => "Resources",
            OptionGroup::Clients => "Clients",
            OptionGroup::Advanced => "Advanced",
        }
    }
}

/// The kind of value an option takes, with its bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A whole number within bounds.
    Int {
        /// The smallest value allowed.
        min: i64,
        /// The largest value allowed.
        max: i64,
    },
    /// Free text.
    Text,
    /// On or off.
    Bool,
    /// UDP or TCP.
    Protocol,
}

/// An option's value, as the table, the CLI and the GUI exchange it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A whole number.
    Int(i64),
    /// Text.
    Text(String),
    /// On or off.
    Bool(bool),
    /// UDP or TCP.
    Protocol(Protocol),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Text(v) => f.write_str(v),
            Value::Bool(v) => f.write_str(if *v { "1" } else { "0" }),
            Value::Protocol(p) => f.write_str(p.as_str()),
        }
    }
}

/// One row of the option table.
pub struct OptionDef {
    /// Field name: the CLI long flag (with `_` as `-`) and the profile key.
    pub key: &'static str,
    /// scsynth's flag (empty for the protocol, which picks `-u` or `-t`).
    pub flag: &'static str,
    /// A short name for forms and tables.
    pub label: &'static str,
    /// The panel group it shows in.
    pub group: OptionGroup,
    /// The value it takes.
    pub kind: Kind,
    /// One or two sentences of help.
    pub help: &'static str,
    /// Whether only supernova takes it.
    pub supernova_only: bool,
    /// Only scsynth on macOS reads it (CoreAudio's streams): left out of the panel elsewhere.
    pub macos_only: bool,
    /// Shown as `******` wherever a command line is printed or logged; only the spawned
    /// process gets the value.
    pub secret: bool,
    /// Reads the option from [`Options`].
    pub get: fn(&Options) -> Value,
    /// Writes the option into [`Options`], checking its bounds.
    pub set: fn(&mut Options, Value) -> Result<(), String>,
}

impl OptionDef {
    /// Parses text (from the CLI or a GUI field) into this option's value, checking bounds.
    pub fn parse(&self, text: &str) -> Result<Value, String> {
        let text = text.trim();
        match self.kind {
            Kind::Int { min, max } => {
                let v: i64 = text
                    .parse()
                    .map_err(|_| format!("{} must be a whole number, not {text:?}", self.label))?;
                if v < min || v > max {
                    return Err(format!("{} must be between {min} and {max}", self.label));
                }
                Ok(Value::Int(v))
            }
            Kind::Text => Ok(Value::Text(text.to_string())),
            Kind::Bool => match text.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(Value::Bool(true)),
                "0" | "false" | "no" | "off" => Ok(Value::Bool(false)),
                _ => Err(format!("{} must be on or off, not {text:?}", self.label)),
            },
            Kind::Protocol => text
                .parse()
                .map(Value::Protocol)
                .map_err(|_| format!("{} must be udp or tcp, not {text:?}", self.label)),
        }
    }

    /// What the option's zero or empty value means, where it means something other than
    /// nothing at all (the driver's rate, no password), for a form to say beside the field.
    pub fn unset_means(&self) -> Option<&'static str> {
        Some(match self.key {
            "sample_rate" => "the driver's rate",
            "hardware_buffer_size" => "the driver's size",
            "device" => "the default device",
            "password" => "none",
            "ugen_plugin_paths" => "the standard folders",
            "restricted_path" => "none: files anywhere",
            "threads" => "one per core",
            "port" => "one the system picks",
            _ => return None,
        })
    }

    /// CLI long flag, e.g. `max-logins`.
    pub fn long(&self) -> String {
        self.key.replace('_', "-")
    }
}

macro_rules! options_table {
    ($( $field:ident : $ty:ty = $default:expr, $flag:literal, $group:ident, $kind:expr, $label:literal, $help:literal $(, $attr:ident)* ; )*) => {
        /// Boot options for scsynth / supernova. Every flag field is a row of [`OPTIONS`].
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        // The help texts are the field docs; one says `[server:]client` (JACK's own
        // notation), which rustdoc would take for a link. Escaping it would show in the GUI.
        #[allow(rustdoc::broken_intra_doc_links)]
        pub struct Options {
            $( #[doc = $help] pub $field: $ty, )*
            /// The server program; `None` finds one (`host::find::find_executable`).
            pub executable: Option<PathBuf>,
            /// How long to wait for the server to come online before killing it.
            #[serde(with = "secs")]
            pub boot_timeout: Duration,
            /// Whether profiles and `last.toml` keep the password (off: it is left out).
            pub remember_password: bool,
            /// The user's answer to "anyone on the network can play and free nodes": asked
            /// once before the first boot on every interface, then kept with the options.
            pub open_network_accepted: bool,
            /// Extra environment for the server process (e.g. `SC_JACK_DEFAULT_OUTPUTS`).
            #[serde(skip)]
            pub env: Vec<(String, String)>,
            /// On JACK, connect the server's outputs to the system's playback ports and its
            /// inputs to the capture ports at boot, as sclang does (`SC_JACK_DEFAULT_OUTPUTS`).
            pub connect_jack_ports: bool,
        }

        impl Default for Options {
            fn default() -> Self {
                Options {
                    $( $field: $default, )*
                    executable: None,
                    boot_timeout: Duration::from_secs(10),
                    remember_password: false,
                    open_network_accepted: false,
                    env: Vec::new(),
                    connect_jack_ports: true,
                }
            }
        }

        // A mark the table does not know would be read as none: refuse to build instead.
        const _: () = { $( $( assert!(known(stringify!($attr)), "unknown mark in the option table"); )* )* };

        /// The table of every scsynth option, in the order the boot panel shows them.
        pub static OPTIONS: &[OptionDef] = &[
            $( OptionDef {
                key: stringify!($field),
                flag: $flag,
                label: $label,
                group: OptionGroup::$group,
                kind: $kind,
                help: $help,
                supernova_only: false $(|| same(stringify!($attr), "supernova"))*,
                macos_only: false $(|| same(stringify!($attr), "macos"))*,
                secret: false $(|| same(stringify!($attr), "secret"))*,
                get: |o| FieldValue::to_value(&o.$field),
                set: |o, v| { o.$field = FieldValue::from_value(v)?; Ok(()) },
            }, )*
        ];
    };
}

/// The marks a row of the table may carry after its help.
const ATTRIBUTES: [&str; 3] = ["supernova", "macos", "secret"];

const fn known(mark: &str) -> bool {
    let mut i = 0;
    while i < ATTRIBUTES.len() {
        if same(mark, ATTRIBUTES[i]) {
            return true;
        }
        i += 1;
    }
    false
}

/// `a == b` for the table's marks, in a `static`'s initialiser.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Converts between a typed field and the table's [`Value`].
trait FieldValue: Sized {
    fn to_value(&self) -> Value;
    fn from_value(v: Value) -> Result<Self, String>;
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            fn to_value(&self) -> Value { Value::Int(*self as i64) }
            fn from_value(v: Value) -> Result<Self, String> {
                match v {
                    Value::Int(i) => <$t>::try_from(i).map_err(|_| format!("{i} is out of range")),
                    other => Err(format!("expected a number, got {other}")),
                }
            }
        }
    )*};
}
int_field!(u16, u32, i32);

impl FieldValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Bool(b) => Ok(b),
            other => Err(format!("expected on or off, got {other}")),
        }
    }
}

impl FieldValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
    fn from_value(v: Value) -> Result<Self, String> {
        Ok(v.to_string())
    }
}

impl FieldValue for Protocol {
    fn to_value(&self) -> Value {
        Value::Protocol(*self)
    }
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Protocol(p) => Ok(p),
            Value::Text(t) => t.parse(),
            other => Err(format!("expected udp or tcp, got {other}")),
        }
    }
}

const fn int(min: i64, max: i64) -> Kind {
    Kind::Int { min, max }
}
const POSITIVE: Kind = int(1, i32::MAX as i64);

options_table! {
    protocol: Protocol = Protocol::Udp, "", Network, Kind::Protocol, "Protocol",
        "UDP (-u) or TCP (-t). TCP carries larger messages and allows a session password.";
    port: u16 = crate::wire::transport::DEFAULT_PORT, "", Network, int(0, 65535), "Port",
        "The port the server listens on (0 lets the system pick one, but scsynth never says which).";
    bind_address: String = "127.0.0.1".into(), "-B", Network, Kind::Text, "Bind address",
        "Address to listen on. 127.0.0.1 accepts only this computer; 0.0.0.0 accepts every network this computer is on.";
    password: String = String::new(), "-p", Network, Kind::Text, "Password",
        "Session password (TCP only): a client's first message must be this password. At most 32 bytes.", secret;
    sample_rate: u32 = 0, "-S", Audio, int(0, 768_000), "Sample rate",
        "Hardware sample rate in Hz; 0 uses the driver's rate. Ignored under JACK.";
    hardware_buffer_size: u32 = 0, "-Z", Audio, int(0, 65_536), "Hardware buffer size",
        "Hardware buffer size in frames; 0 uses the driver's. Ignored under JACK.";
    block_size: u32 = 64, "-z", Audio, int(1, 65_536), "Block size",
        "Samples per control period (rounded up to a power of two). Control-rate UGens run once a block.";
    device: String = String::new(), "-H", Audio, Kind::Text, "Device",
        "Hardware device name (two names for separate input and output). Under JACK: [server:]client name.";
    input_channels: u32 = 8, "-i", Audio, int(0, 4096), "Input channels",
        "Number of hardware input bus channels.";
    output_channels: u32 = 8, "-o", Audio, int(0, 4096), "Output channels",
        "Number of hardware output bus channels.";
    input_streams: String = String::new(), "-I", Audio, Kind::Text, "Input streams (macOS)",
        "Which input streams of the device to enable, as a string of 0s and 1s (macOS only).", macos;
    output_streams: String = String::new(), "-O", Audio, Kind::Text, "Output streams (macOS)",
        "Which output streams of the device to enable, as a string of 0s and 1s (macOS only).", macos;
    audio_buses: u32 = 1024, "-a", Resources, POSITIVE, "Audio buses",
        "Number of audio bus channels, hardware inputs and outputs included.";
    control_buses: u32 = 16384, "-c", Resources, POSITIVE, "Control buses",
        "Number of control bus channels.";
    buffers: u32 = 1024, "-b", Resources, POSITIVE, "Buffers",
        "Number of sample buffers (rounded up to a power of two).";
    max_nodes: u32 = 1024, "-n", Resources, POSITIVE, "Max nodes",
        "Maximum number of nodes (rounded up to a power of two); past it the server answers \"too many nodes\".";
    max_synthdefs: u32 = 1024, "-d", Resources, POSITIVE, "Max SynthDefs",
        "Maximum number of SynthDefs the server holds.";
    memory_kib: u32 = 8192, "-m", Resources, POSITIVE, "Real-time memory (KiB)",
        "Real-time memory for UGens such as delay lines, in kibibytes; \"alloc failed\" when it runs out.";
    wire_buffers: u32 = 64, "-w", Resources, POSITIVE, "Wire buffers",
        "Number of interconnect buffers between UGens; big SynthDefs need more.";
    random_seeds: u32 = 64, "-r", Resources, POSITIVE, "Random seeds",
        "Number of random number generators.";
    max_logins: u32 = 8, "-l", Clients, int(1, 32), "Max logins",
        "How many clients (sclang, supriya, scpanel…) may log in at once; each gets its own node, bus and buffer ids.";
    verbosity: i32 = 0, "-V", Advanced, int(-2, 4), "Verbosity",
        "0 is normal; -1 hides the ready and error messages; higher prints more.";
    ugen_plugin_paths: String = String::new(), "-U", Advanced, Kind::Text, "UGen plugin paths",
        "Folders to load UGen plugins from, separated by ':' (';' on Windows); replaces the standard ones.";
    restricted_path: String = String::new(), "-P", Advanced, Kind::Text, "Restricted path",
        "File commands (buffer reads, SynthDef loads) may not leave this folder.";
    load_synthdefs: bool = true, "-D", Advanced, Kind::Bool, "Load SynthDefs at boot",
        "Load the SynthDefs in the user's synthdefs folder when the server starts.";
    rendezvous: bool = false, "-R", Advanced, Kind::Bool, "Publish with Rendezvous",
        "Announce the server on the network with Zeroconf.";
    memory_locking: bool = false, "-L", Advanced, Kind::Bool, "Lock memory",
        "Lock the server's memory so it is never swapped out (needs permission).";
    threads: u32 = 0, "-T", Advanced, int(0, 256), "Threads (supernova)",
        "DSP threads for supernova; 0 uses one per core.", supernova;
}

mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = f64::deserialize(d)?;
        crate::wire::seconds::BOOT_TIMEOUT
            .check("boot_timeout", v)
            .map_err(serde::de::Error::custom)
    }
}

/// One problem with a set of options, tied to the field it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionProblem {
    /// The option's key (see [`OptionDef::key`]).
    pub key: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

/// What [`Options::command_line`] shows instead of a secret's value.
pub(crate) const MASK: &str = "******";

/// The one sentence naming the risk of listening on every interface (GUI and CLI alike).
pub const OPEN_NETWORK_RISK: &str = "listening on every network (0.0.0.0): anyone on a network \
     this computer is on can play and free nodes on this server";

/// The one sentence naming the risk of a password over TCP (REFERENCE.md, Traps).
pub const TCP_PASSWORD_RISK: &str = "over TCP a wrong password makes scsynth abort: one client's \
     typo ends the server for everyone (on a trusted network, use UDP without a password)";

/// A password nobody should boot with: the one an older Classroom preset filled in.
const PLACEHOLDER_PASSWORD: &str = "change-me";

impl Options {
    /// Reads options saved as TOML (a profile, `last.toml`), checking every number against its
    /// row's range: a file that fails is reported whole rather than half applied.
    pub fn from_toml(text: &str) -> Result<Options, String> {
        let options: Options = toml::from_str(text).map_err(|e| {
            // toml's message spans several lines with a caret; one line is enough here.
            e.message().to_string()
                + &e.span()
                    .and_then(|s| text.get(..s.start))
                    .map(|before| format!(" (line {})", before.matches('\n').count() + 1))
                    .unwrap_or_default()
        })?;
        for def in OPTIONS {
            if let (Kind::Int { min, max }, Value::Int(v)) = (def.kind, (def.get)(&options))
                && (v < min || v > max)
            {
                return Err(format!(
                    "{} = {v}: {} must be between {min} and {max}",
                    def.key, def.label
                ));
            }
        }
        Ok(options)
    }

    /// The table row for an option key.
    pub fn def(key: &str) -> Option<&'static OptionDef> {
        OPTIONS.iter().find(|d| d.key == key)
    }

    /// An option's value by key.
    pub fn get(&self, key: &str) -> Option<Value> {
        Self::def(key).map(|d| (d.get)(self))
    }

    /// Sets an option from text, as typed in the CLI or the boot panel.
    pub fn set_text(&mut self, key: &str, text: &str) -> Result<(), String> {
        let def = Self::def(key).ok_or_else(|| format!("no option named {key:?}"))?;
        let value = def.parse(text)?;
        (def.set)(self, value)
    }

    /// Whether the configured executable is supernova (decided by its file name).
    pub fn is_supernova(&self) -> bool {
        self.executable
            .as_deref()
            .and_then(|p| p.file_stem())
            .is_some_and(|s| s.to_string_lossy().contains("supernova"))
    }

    /// Every problem with these options; empty means they can boot.
    pub fn problems(&self) -> Vec<OptionProblem> {
        let mut out = Vec::new();
        let mut add = |key, message: String| out.push(OptionProblem { key, message });
        for def in OPTIONS {
            let value = (def.get)(self);
            if let (Kind::Int { min, max }, Value::Int(v)) = (def.kind, &value)
                && (*v < min || *v > max)
            {
                add(
                    def.key,
                    format!("{} must be between {min} and {max}", def.label),
                );
            }
            if def.supernova_only && value != Value::Int(0) && !self.is_supernova() {
                add(def.key, format!("{} applies only to supernova", def.label));
            }
        }
        if let Err(e) = crate::wire::seconds::BOOT_TIMEOUT
            .check("boot_timeout", self.boot_timeout.as_secs_f64())
        {
            add("boot_timeout", e);
        }
        let needed = self.input_channels + self.output_channels;
        if self.audio_buses < needed {
            add(
                "audio_buses",
                format!(
                    "Audio buses ({}) must be at least inputs + outputs ({needed})",
                    self.audio_buses
                ),
            );
        }
        if !self.password.is_empty() && self.protocol != Protocol::Tcp {
            add("password", "a password needs the TCP protocol".into());
        }
        if self.password.len() > 32 {
            add("password", "the password may be at most 32 bytes".into());
        }
        if self.password == PLACEHOLDER_PASSWORD {
            add(
                "password",
                format!("{PLACEHOLDER_PASSWORD:?} is a placeholder: choose a password of your own"),
            );
        }
        if self.bind_address.trim().is_empty() {
            add(
                "bind_address",
                "the bind address is empty (use 127.0.0.1)".into(),
            );
        } else if self.bind_address.parse::<std::net::IpAddr>().is_err() {
            add(
                "bind_address",
                format!(
                    "{:?} is not an IP address (use 127.0.0.1 or 0.0.0.0)",
                    self.bind_address
                ),
            );
        }
        for key in ["input_streams", "output_streams"] {
            if let Some(Value::Text(t)) = self.get(key)
                && !t.chars().all(|c| c == '0' || c == '1')
            {
                add(key, format!("{key} must be a string of 0s and 1s"));
            }
        }
        out
    }

    /// All problems as one sentence, or `Ok`.
    pub fn validate(&self) -> Result<(), String> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems
                .into_iter()
                .map(|p| p.message)
                .collect::<Vec<_>>()
                .join("; "))
        }
    }

    /// Whether anyone who can reach this computer may use the server: every interface and no
    /// password (scsynth checks one only over TCP, and the options refuse one over UDP).
    pub fn open_to_anyone(&self) -> bool {
        self.listens_on_all_interfaces() && self.password.is_empty()
    }

    /// Whether the bind address accepts connections from other computers.
    pub fn listens_on_all_interfaces(&self) -> bool {
        self.bind_address
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_unspecified())
    }

    /// The server's arguments, without the program name.
    pub fn argv(&self) -> Vec<String> {
        let mut args = vec![
            match self.protocol {
                Protocol::Udp => "-u".to_string(),
                Protocol::Tcp => "-t".to_string(),
            },
            self.port.to_string(),
        ];
        let supernova = self.is_supernova();
        for def in OPTIONS {
            if def.flag.is_empty() || (def.supernova_only && !supernova) {
                continue;
            }
            match (def.get)(self) {
                Value::Text(t) if t.is_empty() => {}
                Value::Text(t) if def.key == "device" => {
                    args.push(def.flag.into());
                    // "-H in out" names two devices: split on whitespace.
                    args.extend(t.split_whitespace().map(String::from));
                }
                Value::Int(0) if def.key == "threads" => {}
                Value::Bool(false) if def.key == "memory_locking" => {}
                Value::Bool(true) if def.key == "memory_locking" => args.push(def.flag.into()),
                v => {
                    args.push(def.flag.into());
                    args.push(v.to_string());
                }
            }
        }
        args
    }

    /// The command line, quoted for a shell, for previews and logs: exactly what runs, except
    /// that secrets show as `******`.
    pub fn command_line(&self, program: &str) -> String {
        let mut args = vec![program.to_string()];
        args.extend(self.argv());
        redacted_command_line(&args)
    }
}

/// Joins a program and its arguments for display, quoted for a shell, with the value after
/// every secret flag (`-p`) shown as [`MASK`]. Also for command lines read from other
/// processes, which may carry a password.
pub(crate) fn redacted_command_line(args: &[String]) -> String {
    let mut out = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for a in args {
        if hide_next {
            out.push(MASK.to_string());
        } else {
            out.push(shell_quote(a));
        }
        hide_next = !hide_next && OPTIONS.iter().any(|d| d.secret && d.flag == a);
    }
    out.join(" ")
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_produce_the_documented_argv() {
        let argv = Options::default().argv();
        let joined = argv.join(" ");
        assert!(joined.starts_with("-u 57110 -B 127.0.0.1"), "{joined}");
        for part in ["-i 8", "-o 8", "-R 0", "-l 8", "-D 1", "-a 1024"] {
            assert!(joined.contains(part), "{part} missing from {joined}");
        }
        assert!(
            !joined.contains("-T"),
            "threads is supernova-only: {joined}"
        );
        assert!(!joined.contains("-L"), "memory locking is off: {joined}");
        assert!(!joined.contains("-p"), "no password: {joined}");
    }

    #[test]
    fn the_marks_read_as_written() {
        let macos: Vec<&str> = OPTIONS
            .iter()
            .filter(|d| d.macos_only)
            .map(|d| d.key)
            .collect();
        assert_eq!(macos, ["input_streams", "output_streams"]);
        let secret: Vec<&str> = OPTIONS.iter().filter(|d| d.secret).map(|d| d.key).collect();
        assert_eq!(secret, ["password"]);
        assert!(Options::def("threads").is_some_and(|d| d.supernova_only));
        assert!(!known("mac") && known("macos"));
        // Every key with an unset meaning is in the table, and means zero or empty there.
        for d in OPTIONS.iter().filter(|d| d.unset_means().is_some()) {
            let unset = match d.kind {
                Kind::Int { .. } => "0",
                _ => "",
            };
            assert!(d.parse(unset).is_ok(), "{} takes {unset:?}", d.key);
        }
    }

    #[test]
    fn every_row_round_trips_through_text() {
        let mut o = Options::default();
        for def in OPTIONS {
            let text = (def.get)(&o).to_string();
            o.set_text(def.key, &text).unwrap();
        }
        assert_eq!(o, Options::default());
    }

    #[test]
    fn checks_name_the_field() {
        let mut o = Options::default();
        assert!(
            o.set_text("port", "70000")
                .unwrap_err()
                .contains("between 0 and 65535")
        );
        assert!(o.set_text("max_logins", "0").is_err());
        assert!(o.set_text("max_logins", "33").is_err());
        assert!(o.set_text("buffers", "0").is_err());
        o.audio_buses = 10;
        let p = o.problems();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].key, "audio_buses");
        o.audio_buses = 16;
        assert!(o.validate().is_ok());
        o.threads = 4;
        assert_eq!(o.problems()[0].key, "threads");
        o.executable = Some("/usr/bin/supernova".into());
        assert!(o.validate().is_ok());
        assert!(o.argv().join(" ").contains("-T 4"));
        o.password = "x".into();
        assert_eq!(o.problems()[0].key, "password");
        o.protocol = Protocol::Tcp;
        assert!(o.validate().is_ok());
        assert!(o.argv().join(" ").starts_with("-t 57110"));
    }

    #[test]
    fn the_password_is_masked_in_every_printed_command_line() {
        let o = Options {
            protocol: Protocol::Tcp,
            password: "s3cret pass".into(),
            ..Options::default()
        };
        let argv = o.argv();
        let p = argv.iter().position(|a| a == "-p").unwrap();
        assert_eq!(
            argv[p + 1],
            "s3cret pass",
            "the process itself gets the password"
        );
        let line = o.command_line("/usr/bin/scsynth");
        assert!(line.contains(" -p ****** "), "{line}");
        assert!(!line.contains("s3cret"), "{line}");
        let foreign: Vec<String> = ["scsynth", "-t", "57110", "-p", "hunter2", "-l", "8"]
            .map(String::from)
            .into();
        assert_eq!(
            redacted_command_line(&foreign),
            "scsynth -t 57110 -p ****** -l 8"
        );
        assert!(
            OPTIONS
                .iter()
                .filter(|d| d.secret)
                .all(|d| d.key == "password")
        );
        assert!(Options::def("threads").unwrap().supernova_only);
        assert!(!Options::def("threads").unwrap().secret);
    }

    #[test]
    fn a_boot_timeout_out_of_range_blocks_boot() {
        let o = Options {
            boot_timeout: Duration::MAX,
            ..Options::default()
        };
        assert_eq!(o.problems()[0].key, "boot_timeout");
        assert!(
            o.validate()
                .unwrap_err()
                .contains("from 0.5 to 600 seconds")
        );
    }

    #[test]
    fn a_placeholder_password_blocks_boot() {
        let o = Options {
            protocol: Protocol::Tcp,
            password: "change-me".into(),
            ..Options::default()
        };
        let p = o.problems();
        assert_eq!(p[0].key, "password");
        assert!(p[0].message.contains("placeholder"), "{}", p[0].message);
    }

    #[test]
    fn saved_numbers_out_of_range_are_refused_naming_the_key_and_range() {
        for (text, expect) in [
            (
                "boot_timeout = 1e300",
                "boot_timeout must be from 0.5 to 600 seconds, not 1e300",
            ),
            (
                "boot_timeout = -1",
                "boot_timeout must be from 0.5 to 600 seconds, not -1",
            ),
            ("boot_timeout = nan", "boot_timeout must be from 0.5 to 600"),
            (
                "max_logins = 100",
                "max_logins = 100: Max logins must be between 1 and 32",
            ),
            ("buffers = 0", "buffers = 0: Buffers must be between 1 and"),
            ("port = 70000", "line 1"),
            ("port = \"x\"", "line 1"),
        ] {
            let e = Options::from_toml(text).unwrap_err();
            assert!(e.contains(expect), "{text}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
        let o = Options::from_toml("boot_timeout = 2.5\nmax_logins = 32").unwrap();
        assert_eq!(o.boot_timeout, Duration::from_millis(2500));
        assert_eq!(o.max_logins, 32);
        assert_eq!(Options::from_toml("").unwrap(), Options::default());
    }

    #[test]
    fn profile_toml_round_trips() {
        let o = Options {
            port: 57500,
            device: "system".into(),
            ..Options::default()
        };
        let text = toml::to_string(&o).unwrap();
        let back: Options = toml::from_str(&text).unwrap();
        assert_eq!(o, back);
        let partial: Options = toml::from_str("port = 1234").unwrap();
        assert_eq!(partial.port, 1234);
        assert_eq!(partial.max_logins, 8);
    }
}

/// A named starting point for the boot options.
pub struct Preset {
    /// The preset's name, for menus.
    pub name: &'static str,
    /// What it is for, in one line.
    pub description: &'static str,
    /// Changes the options it is about and leaves the rest.
    pub apply: fn(&mut Options),
}

/// Built-in presets. Each changes only what its use needs and keeps the rest.
pub static PRESETS: &[Preset] = &[
    Preset {
        name: "Stereo laptop",
        description: "2 inputs, 2 outputs, this computer only.",
        apply: |o| {
            o.input_channels = 2;
            o.output_channels = 2;
            o.bind_address = "127.0.0.1".into();
            o.protocol = Protocol::Udp;
            o.password.clear();
        },
    },
    Preset {
        name: "Classroom server",
        description: "UDP on every network (0.0.0.0), 32 logins, no password: scsynth has no \
                      password over UDP and aborts on a wrong one over TCP, so a class on a \
                      trusted local network uses UDP.",
        apply: |o| {
            o.bind_address = "0.0.0.0".into();
            o.max_logins = 32;
            o.protocol = Protocol::Udp;
            o.password.clear();
        },
    },
    Preset {
        name: "SuperDirt",
        description: "The sizes Tidal users set: 2 in / 2 out, many buffers for samples, \
                      more memory, wire buffers and nodes.",
        apply: |o| {
            o.input_channels = 2;
            o.output_channels = 2;
            o.buffers = 1024 * 256;
            o.memory_kib = 8192 * 32;
            o.wire_buffers = 2048;
            o.max_nodes = 1024 * 32;
        },
    },
];

#[cfg(test)]
mod preset_tests {
    use super::*;

    #[test]
    fn presets_produce_valid_options() {
        for p in PRESETS {
            let mut o = Options::default();
            (p.apply)(&mut o);
            assert!(o.validate().is_ok(), "{}: {:?}", p.name, o.validate());
        }
    }

    #[test]
    fn the_classroom_preset_is_udp_on_every_network_without_a_password() {
        let classroom = PRESETS
            .iter()
            .find(|p| p.name == "Classroom server")
            .unwrap();
        let mut o = Options {
            protocol: Protocol::Tcp,
            password: "secret".into(),
            ..Options::default()
        };
        (classroom.apply)(&mut o);
        assert!(o.listens_on_all_interfaces());
        assert_eq!((o.protocol, o.max_logins), (Protocol::Udp, 32));
        assert!(o.password.is_empty());
        assert!(o.validate().is_ok());
        assert!(o.argv().join(" ").starts_with("-u 57110 -B 0.0.0.0"));
        assert!(
            !o.open_network_accepted,
            "the preset does not answer for the user"
        );
        assert!(o.open_to_anyone());
        o.protocol = Protocol::Tcp;
        o.password = "a class secret".into();
        assert!(
            !o.open_to_anyone(),
            "TCP with a password lets in only who knows it"
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 1000,
            failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x0971_0125),
            ..ProptestConfig::default()
        }
    }

    /// Values of the kinds people and old files put in: numbers of every size, words, junk.
    fn value_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|v| v.to_string()),
            (-100i64..100_000).prop_map(|v| v.to_string()),
            any::<f64>().prop_map(|v| v.to_string()),
            Just("1e300".to_string()),
            Just("-0".to_string()),
            Just("nan".to_string()),
            Just("inf".to_string()),
            "[a-z]{0,6}",
            "\\PC{0,8}",
        ]
    }

    /// A TOML line for an option key (or a stray one), quoted or not.
    fn toml_line() -> impl Strategy<Value = String> {
        let keys: Vec<&'static str> = OPTIONS
            .iter()
            .map(|d| d.key)
            .chain(["boot_timeout", "remember_password", "executable", "stray"])
            .collect();
        (prop::sample::select(keys), value_text(), any::<bool>()).prop_map(|(k, v, quote)| {
            if quote {
                format!("{k} = {v:?}")
            } else {
                format!("{k} = {v}")
            }
        })
    }

    /// Options with every row set to a value inside its range.
    fn valid_options() -> impl Strategy<Value = Options> {
        let rows: Vec<BoxedStrategy<String>> = OPTIONS
            .iter()
            .map(|d| match d.kind {
                Kind::Int { min, max } => (min..=max).prop_map(|v| v.to_string()).boxed(),
                Kind::Bool => any::<bool>().prop_map(|b| b.to_string()).boxed(),
                Kind::Protocol => {
                    prop_oneof![Just("udp".to_string()), Just("tcp".to_string())].boxed()
                }
                Kind::Text => "[ -~]{0,12}".boxed(),
            })
            .collect();
        (rows, 500u64..=600_000, any::<bool>()).prop_map(|(texts, ms, remember)| {
            let mut o = Options::default();
            for (def, text) in OPTIONS.iter().zip(texts) {
                o.set_text(def.key, &text).unwrap();
            }
            o.boot_timeout = Duration::from_millis(ms);
            o.remember_password = remember;
            o
        })
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn typed_option_values_are_in_range_or_refused(
            row in 0..OPTIONS.len(),
            text in value_text(),
        ) {
            let def = &OPTIONS[row];
            let mut o = Options::default();
            match o.set_text(def.key, &text) {
                Ok(()) => {
                    if let (Kind::Int { min, max }, Some(Value::Int(v))) = (def.kind, o.get(def.key)) {
                        prop_assert!(v >= min && v <= max);
                    }
                    let shown = o.get(def.key).unwrap().to_string();
                    let mut again = Options::default();
                    again.set_text(def.key, &shown).unwrap();
                    prop_assert_eq!(again, o);
                }
                Err(e) => prop_assert!(e.contains(def.label), "{} for {:?}", e, text),
            }
        }

        #[test]
        fn saved_files_load_in_range_or_are_refused(
            lines in prop::collection::vec(toml_line(), 0..8),
        ) {
            let text = lines.join("\n");
            if let Ok(o) = Options::from_toml(&text) {
                prop_assert!(o.problems().iter().all(|p| !p.message.contains("must be between")));
                prop_assert!(
                    crate::wire::seconds::BOOT_TIMEOUT
                        .check("boot_timeout", o.boot_timeout.as_secs_f64())
                        .is_ok()
                );
            }
        }

        #[test]
        fn valid_options_survive_a_save_and_load(o in valid_options()) {
            let text = toml::to_string_pretty(&o).unwrap();
            prop_assert_eq!(Options::from_toml(&text), Ok(o));
        }
    }
}
