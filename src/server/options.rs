//! Every scsynth / supernova command-line option, defined once.
//!
//! [`OPTIONS`] is the single table: it produces the argv that is spawned, the CLI flags
//! (`scpanel boot --port …`), the boot panel's fields and tooltips, the saved profile keys
//! and the checks. Adding an option means adding one row here.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How clients talk to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[default]
    Udp,
    Tcp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Udp => "udp",
            Protocol::Tcp => "tcp",
        }
    }
}

impl std::str::FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "udp" => Ok(Protocol::Udp),
            "tcp" => Ok(Protocol::Tcp),
            other => Err(format!("protocol must be udp or tcp, not {other:?}")),
        }
    }
}

/// Which group of the boot panel an option belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionGroup {
    Network,
    Audio,
    Resources,
    Clients,
    Advanced,
}

impl OptionGroup {
    pub const ALL: [OptionGroup; 5] = [
        OptionGroup::Network,
        OptionGroup::Audio,
        OptionGroup::Resources,
        OptionGroup::Clients,
        OptionGroup::Advanced,
    ];
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
    Int { min: i64, max: i64 },
    Text,
    Bool,
    Protocol,
}

/// An option's value, as the table, the CLI and the GUI exchange it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Text(String),
    Bool(bool),
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
    pub label: &'static str,
    pub group: OptionGroup,
    pub kind: Kind,
    pub help: &'static str,
    pub supernova_only: bool,
    pub get: fn(&Options) -> Value,
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
            Kind::Protocol => text.parse().map(Value::Protocol),
        }
    }

    /// CLI long flag, e.g. `max-logins`.
    pub fn long(&self) -> String {
        self.key.replace('_', "-")
    }
}

macro_rules! options_table {
    ($( $field:ident : $ty:ty = $default:expr, $flag:literal, $group:ident, $kind:expr, $label:literal, $help:literal $(, $sn:ident)? ; )*) => {
        /// Boot options for scsynth / supernova. Every flag field is a row of [`OPTIONS`].
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct Options {
            $( #[doc = $help] pub $field: $ty, )*
            /// The server program; `None` finds one (see [`crate::server::process::find_executable`]).
            pub executable: Option<PathBuf>,
            /// How long to wait for the server to come online before killing it.
            #[serde(with = "secs")]
            pub boot_timeout: Duration,
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
                    env: Vec::new(),
                    connect_jack_ports: true,
                }
            }
        }

        /// The table of every scsynth option, in the order the boot panel shows them.
        pub static OPTIONS: &[OptionDef] = &[
            $( OptionDef {
                key: stringify!($field),
                flag: $flag,
                label: $label,
                group: OptionGroup::$group,
                kind: $kind,
                help: $help,
                supernova_only: options_table!(@sn $($sn)?),
                get: |o| FieldValue::to_value(&o.$field),
                set: |o, v| { o.$field = FieldValue::from_value(v)?; Ok(()) },
            }, )*
        ];
    };
    (@sn) => { false };
    (@sn supernova) => { true };
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
    port: u16 = 57110, "", Network, int(0, 65535), "Port",
        "The port the server listens on (0 lets the system pick one, but scsynth never says which).";
    bind_address: String = "127.0.0.1".into(), "-B", Network, Kind::Text, "Bind address",
        "Address to listen on. 127.0.0.1 accepts only this computer; 0.0.0.0 accepts every network this computer is on.";
    password: String = String::new(), "-p", Network, Kind::Text, "Password",
        "Session password (TCP only): a client's first message must be this password. At most 32 bytes.";
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
        "Which input streams of the device to enable, as a string of 0s and 1s (macOS only).";
    output_streams: String = String::new(), "-O", Audio, Kind::Text, "Output streams (macOS)",
        "Which output streams of the device to enable, as a string of 0s and 1s (macOS only).";
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
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = f64::deserialize(d)?;
        if !(v.is_finite() && v > 0.0) {
            return Err(serde::de::Error::custom(
                "boot_timeout must be a positive number of seconds",
            ));
        }
        Ok(Duration::from_secs_f64(v))
    }
}

/// One problem with a set of options, tied to the field it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionProblem {
    pub key: &'static str,
    pub message: String,
}

impl Options {
    pub fn def(key: &str) -> Option<&'static OptionDef> {
        OPTIONS.iter().find(|d| d.key == key)
    }

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

    /// The exact command line, quoted for a shell, for previews and logs.
    pub fn command_line(&self, program: &str) -> String {
        std::iter::once(program.to_string())
            .chain(self.argv())
            .map(|a| shell_quote(&a))
            .collect::<Vec<_>>()
            .join(" ")
    }
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
    pub name: &'static str,
    pub description: &'static str,
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
        description: "Reachable from the whole network (0.0.0.0), 16 logins, TCP with a password \
                      (set one before booting).",
        apply: |o| {
            o.bind_address = "0.0.0.0".into();
            o.max_logins = 16;
            o.protocol = Protocol::Tcp;
            if o.password.is_empty() {
                o.password = "change-me".into();
            }
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
        let mut o = Options::default();
        (PRESETS[1].apply)(&mut o);
        assert!(o.listens_on_all_interfaces());
        assert!(o.argv().join(" ").starts_with("-t 57110"));
    }
}
