//! Audio setup on Linux: is a JACK server (or PipeWire's JACK) reachable; start one for the
//! session when none is; list scsynth's ports and connect them to the speakers.
//!
//! Uses JACK's own command-line tools (`jack_lsp`, `jack_connect`, `jackd`, from jackd2), so
//! scpanel links no JACK library and works with whichever JACK the system has.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Result, ServerError};
use crate::host::process::ServerProcess;
use crate::model::log::ServerLog;

/// How long a JACK tool may take before we give up on it.
const TOOL_TIMEOUT: Duration = Duration::from_secs(3);

/// The most of a JACK tool's output (each stream) read: `jack_lsp` prints a line a port, so
/// thousands of ports fit many times over.
const MAX_TOOL_OUTPUT: u64 = 1024 * 1024;

/// A tool's exit status, stdout and stderr, each stream read to at most [`MAX_TOOL_OUTPUT`]:
/// a tool that prints without end is stopped, not read into memory.
async fn bounded_output(
    mut cmd: tokio::process::Command,
    program: &str,
) -> std::io::Result<std::process::Output> {
    use tokio::io::AsyncReadExt;
    let mut child = cmd.spawn()?;
    let read = |pipe: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>| async move {
        let mut bytes = Vec::new();
        if let Some(p) = pipe {
            p.take(MAX_TOOL_OUTPUT + 1).read_to_end(&mut bytes).await?;
        }
        std::io::Result::Ok(bytes)
    };
    let stdout = child
        .stdout
        .take()
        .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
    let stderr = child
        .stderr
        .take()
        .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
    let (stdout, stderr) = tokio::try_join!(read(stdout), read(stderr))?;
    if stdout.len() as u64 > MAX_TOOL_OUTPUT || stderr.len() as u64 > MAX_TOOL_OUTPUT {
        let _ = child.start_kill();
        let _ = child.wait().await;
        return Err(std::io::Error::other(format!(
            "{program} printed more than {} MiB, more than any JACK tool does",
            MAX_TOOL_OUTPUT / (1024 * 1024)
        )));
    }
    let status = child.wait().await?;
    Ok(std::process::Output {
        status,
        stdout,
        stderr,
    })
}

/// Which JACK server to talk to: `None` is the default (or `$JACK_DEFAULT_SERVER`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JackTarget {
    /// The JACK server's name (`jackd -n NAME`), or `None` for the default.
    pub server_name: Option<String>,
}

impl JackTarget {
    fn command(&self, program: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(program);
        cmd.env("JACK_NO_START_SERVER", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(name) = &self.server_name {
            cmd.env("JACK_DEFAULT_SERVER", name);
        }
        cmd
    }

    async fn run(&self, program: &str, args: &[&str]) -> Result<String> {
        let mut cmd = self.command(program);
        cmd.args(args);
        let out = tokio::time::timeout(TOOL_TIMEOUT, bounded_output(cmd, program))
            .await
            .map_err(|_| ServerError::Io(format!("{program} did not answer within 3 s")))?
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::Other => ServerError::Io(e.to_string()),
                _ => ServerError::Io(format!(
                    "cannot run {program}: {e} (install JACK's tools: `sudo apt install jackd2`)"
                )),
            })?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("failed");
            return Err(ServerError::Io(format!("{program}: {last}")));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Whether a JACK server answers.
    pub async fn status(&self) -> JackStatus {
        match self.run("jack_lsp", &[]).await {
            Ok(ports) => JackStatus::Running {
                playback_ports: ports
                    .lines()
                    .filter(|l| l.starts_with("system:playback_"))
                    .count(),
            },
            Err(ServerError::Io(e)) if e.starts_with("cannot run") => JackStatus::Unknown(e),
            Err(_) => JackStatus::NotRunning,
        }
    }

    /// The running JACK server's sample rate: scsynth runs at it, whatever `-S` asks.
    pub async fn sample_rate(&self) -> Result<u32> {
        self.number("jack_samplerate").await
    }

    /// The running JACK server's period (frames per period), as `jack_bufsize` prints it.
    pub async fn period(&self) -> Result<u32> {
        self.number("jack_bufsize").await
    }

    async fn number(&self, program: &str) -> Result<u32> {
        let out = self.run(program, &[]).await?;
        let text = out.trim();
        text.parse().map_err(|_| {
            let shown: String = text.chars().take(40).collect();
            ServerError::Io(format!("{program} printed {shown:?}, not a number"))
        })
    }

    /// Every port of a JACK client (e.g. `SuperCollider`).
    pub async fn client_ports(&self, client: &str) -> Result<Vec<String>> {
        let prefix = format!("{client}:");
        Ok(self
            .run("jack_lsp", &[])
            .await?
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .map(String::from)
            .collect())
    }

    /// `(port, connected to…)` for every port of `client`.
    pub async fn connections(&self, client: &str) -> Result<Vec<(String, Vec<String>)>> {
        let text = self.run("jack_lsp", &["-c"]).await?;
        let prefix = format!("{client}:");
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for line in text.lines() {
            if let Some(peer) = line.strip_prefix("   ") {
                if let Some(last) = out.last_mut()
                    && last.0.starts_with(&prefix)
                {
                    last.1.push(peer.trim().to_string());
                }
            } else {
                out.push((line.trim().to_string(), Vec::new()));
            }
        }
        out.retain(|(p, _)| p.starts_with(&prefix));
        Ok(out)
    }

    /// Connects `client`'s outputs to the system playback ports, in order; returns the pairs.
    pub async fn connect_outputs_to_system(&self, client: &str) -> Result<Vec<(String, String)>> {
        let ports = self.run("jack_lsp", &[]).await?;
        let outs: Vec<&str> = ports
            .lines()
            .filter(|l| l.starts_with(&format!("{client}:out_")))
            .collect();
        let speakers: Vec<&str> = ports
            .lines()
            .filter(|l| l.starts_with("system:playback_"))
            .collect();
        if speakers.is_empty() {
            return Err(ServerError::Io(
                "this JACK server has no system playback ports to connect to".into(),
            ));
        }
        let mut done = Vec::new();
        for (out, speaker) in outs.iter().zip(speakers.iter()) {
            match self.run("jack_connect", &[out, speaker]).await {
                Ok(_) => done.push((out.to_string(), speaker.to_string())),
                // Already connected is fine.
                Err(ServerError::Io(e)) if e.contains("already") => {
                    done.push((out.to_string(), speaker.to_string()))
                }
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// Whether a JACK server answers, and what it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JackStatus {
    /// It runs.
    Running {
        /// How many hardware playback ports it has (where scsynth's outputs go).
        playback_ports: usize,
    },
    /// No JACK server answers: scsynth will find no audio device.
    NotRunning,
    /// JACK's tools are missing, so we can't tell.
    Unknown(String),
}

/// The sample rates offered for a JACK server started here.
pub const RATES: [u32; 4] = [44_100, 48_000, 88_200, 96_000];

/// The periods (frames per period) offered: latency is `period × periods / rate`.
pub const PERIODS: [u32; 6] = [64, 128, 256, 512, 1024, 2048];

/// Where a JACK server started by scpanel takes and sends its sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JackDevice {
    /// No sound card: silent, but everything runs (demos, classrooms, headless boxes).
    Dummy,
    /// An ALSA device, `hw:N` or `hw:N,D`; `None` is jackd's default (`hw:0`).
    Alsa {
        /// The device, as ALSA names it.
        hw: Option<String>,
        /// It plays sound (else JACK opens it for capture only).
        playback: bool,
        /// It records sound (else JACK opens it for playback only).
        capture: bool,
    },
}

/// How to start a JACK server: device, sample rate, period and periods per buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JackSettings {
    /// Where the sound goes.
    pub device: JackDevice,
    /// Frames per second.
    pub rate: u32,
    /// Frames per period (JACK's buffer size).
    pub period: u32,
    /// Periods per buffer (ALSA only; 2 suits onboard cards, 3 USB ones).
    pub periods: u32,
}

impl JackSettings {
    /// The silent dummy driver at 48 kHz, 256 frames (as the tests' JACK).
    pub fn dummy() -> Self {
        JackSettings {
            device: JackDevice::Dummy,
            rate: 48_000,
            period: 256,
            periods: 2,
        }
    }

    /// The default sound card at 48 kHz, 256 frames × 2.
    pub fn default_card() -> Self {
        JackSettings {
            device: JackDevice::Alsa {
                hw: None,
                playback: true,
                capture: true,
            },
            ..JackSettings::dummy()
        }
    }

    /// `jackd`'s arguments: `-r` (no real-time scheduling, which needs privileges), then the
    /// driver and its options.
    pub fn jackd_args(&self) -> Vec<String> {
        let mut args = vec!["-r".to_string()];
        let rate = self.rate.to_string();
        let period = self.period.to_string();
        match &self.device {
            JackDevice::Dummy => {
                args.extend(["-d", "dummy", "-r", &rate, "-p", &period].map(String::from))
            }
            JackDevice::Alsa {
                hw,
                playback,
                capture,
            } => {
                args.extend(["-d", "alsa"].map(String::from));
                if let Some(hw) = hw {
                    // A device that only plays (HDMI) or only records must be opened so: the
                    // ALSA driver fails when it can't open both directions of `-d`.
                    let flag = match (playback, capture) {
                        (true, false) => "-P",
                        (false, true) => "-C",
                        _ => "-d",
                    };
                    args.extend([flag.to_string(), hw.clone()]);
                }
                args.extend(
                    ["-r", &rate, "-p", &period, "-n", &self.periods.to_string()].map(String::from),
                );
            }
        }
        args
    }
}

/// A JACK server this app started and owns; stopped on [`JackServer::stop`] or drop.
pub struct JackServer {
    process: Arc<ServerProcess>,
    /// Which JACK server it is.
    pub target: JackTarget,
    /// Its output.
    pub log: Arc<Mutex<ServerLog>>,
}

impl JackServer {
    /// The `jackd` process id.
    pub fn pid(&self) -> u32 {
        self.process.pid
    }

    /// Starts `jackd` with `settings` and waits until it answers.
    pub async fn start(target: JackTarget, settings: &JackSettings) -> Result<JackServer> {
        let program = std::path::Path::new("jackd");
        let program = which(program).ok_or_else(|| {
            ServerError::Io("jackd is not installed: `sudo apt install jackd2`".into())
        })?;
        let args = settings.jackd_args();
        let env: Vec<(String, String)> = target
            .server_name
            .iter()
            .map(|n| ("JACK_DEFAULT_SERVER".to_string(), n.clone()))
            .collect();
        let log = Arc::new(Mutex::new(ServerLog::with_capacity(500)));
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let process = ServerProcess::spawn(&program, &args, &env, log.clone(), tx)?;
        let server = JackServer {
            process,
            target,
            log,
        };
        // jack_wait blocks until the server is up (it exits with the server's answer).
        let mut wait = server.target.command("jack_wait");
        // Only its exit status counts: nothing it prints is held.
        wait.args(["-w", "-t", "10"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let waited = tokio::select! {
            r = wait.status() => r.map(|s| s.success()).unwrap_or(false),
            exit = server.process.wait() => {
                // Its last words may still be in the pipes.
                server.process.drained(Duration::from_secs(1)).await;
                let why = server.why_not(settings);
                return Err(ServerError::Io(format!("jackd stopped at once ({exit}): {why}")));
            }
        };
        if !waited || !matches!(server.target.status().await, JackStatus::Running { .. }) {
            server.process.terminate(Duration::from_secs(1)).await;
            server.process.drained(Duration::from_secs(1)).await;
            let why = server.why_not(settings);
            return Err(ServerError::Io(format!("jackd did not come up: {why}")));
        }
        Ok(server)
    }

    /// jackd's last words and, when a sound card would not open, what to check.
    fn why_not(&self, settings: &JackSettings) -> String {
        let (last, card_refused) = self
            .log
            .lock()
            .map(|l| {
                let refused = l.lines().any(|l| {
                    l.text.contains("Cannot open PCM device") || l.text.contains("control open")
                });
                (l.tail(3).join(" / "), refused)
            })
            .unwrap_or_default();
        match &settings.device {
            JackDevice::Alsa { hw, .. } if card_refused => {
                let hw = hw.as_deref().unwrap_or("the default sound card (hw:0)");
                format!(
                    "{last}. {hw} could not be opened: is the card there (see the list), and \
                     not held by another program (PulseAudio, PipeWire)?"
                )
            }
            _ => last,
        }
    }

    /// Stops `jackd` (terminate, then kill after 2 s) and waits for it.
    pub async fn stop(self) {
        self.process.terminate(Duration::from_secs(2)).await;
    }
}

fn which(program: &std::path::Path) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// scsynth's device option under JACK, `-H [server:]client`: the JACK server's name (empty
/// for the default) and the client's.
pub fn split_device(device: &str) -> (&str, &str) {
    let device = device.trim();
    match device.split_once(':') {
        Some((server, client)) => (server.trim(), client),
        None => ("", device),
    }
}

/// The JACK client name scsynth takes with the device option `-H [server:]client`:
/// `SuperCollider` when none is given.
pub fn client_name(device: &str) -> &str {
    let client = split_device(device).1;
    if client.is_empty() {
        "SuperCollider"
    } else {
        client
    }
}

/// The JACK client name a scsynth really got, from its output (`JackDriver: client name is
/// 'SuperCollider-01'`): JACK renames a second client that asks for a name in use, so the
/// name asked for is not always the name given. The last run's, when `lines` hold several.
pub fn client_name_in_output<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<String> {
    lines
        .into_iter()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("JackDriver: client name is '")?
                .strip_suffix('\'')
                .filter(|n| !n.is_empty() && n.len() <= 256)
                .map(str::to_string)
        })
        .last()
}

/// The JACK client a server scpanel booted has: the name JACK gave it (its `output`), else
/// the one its `-H` `device` asked for.
pub fn client_of<'a>(output: impl IntoIterator<Item = &'a str>, device: &str) -> String {
    client_name_in_output(output).unwrap_or_else(|| client_name(device).to_string())
}

/// A client name of its own for a second server on the machine, from its port, so that
/// JACK's patchbays tell the servers apart (`SuperCollider-57111`).
pub fn client_name_for_port(port: u16) -> String {
    format!("SuperCollider-{port}")
}

#[cfg(test)]
mod tests {
    use super::{JackDevice, JackSettings, bounded_output};
    use std::process::Stdio;
    use std::time::Duration;

    fn args(settings: &JackSettings) -> String {
        settings.jackd_args().join(" ")
    }

    /// A tool that prints without end is cut off at the bound, not read into memory.
    #[tokio::test]
    async fn a_tools_output_is_read_to_its_bound() {
        let mut ok = tokio::process::Command::new("sh");
        ok.args(["-c", "echo system:playback_1; echo oops >&2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = bounded_output(ok, "sh").await.unwrap();
        assert_eq!(out.stdout, b"system:playback_1\n");
        assert_eq!(out.stderr, b"oops\n");
        let mut endless = tokio::process::Command::new("sh");
        endless
            .args(["-c", "exec cat /dev/zero"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let e = tokio::time::timeout(Duration::from_secs(10), bounded_output(endless, "jack_lsp"))
            .await
            .expect("ends at the bound")
            .unwrap_err();
        assert!(
            e.to_string().contains("jack_lsp printed more than 1 MiB"),
            "{e}"
        );
    }

    #[test]
    fn jackd_is_started_on_the_chosen_device_rate_and_period() {
        let card = |hw: &str, playback, capture| JackSettings {
            device: JackDevice::Alsa {
                hw: Some(hw.into()),
                playback,
                capture,
            },
            rate: 44_100,
            period: 128,
            periods: 3,
        };
        assert_eq!(
            args(&card("hw:1", true, true)),
            "-r -d alsa -d hw:1 -r 44100 -p 128 -n 3"
        );
        // HDMI plays only; a USB microphone records only.
        assert_eq!(
            args(&card("hw:0,3", true, false)),
            "-r -d alsa -P hw:0,3 -r 44100 -p 128 -n 3"
        );
        assert_eq!(
            args(&card("hw:2,0", false, true)),
            "-r -d alsa -C hw:2,0 -r 44100 -p 128 -n 3"
        );
        assert_eq!(
            args(&JackSettings::default_card()),
            "-r -d alsa -r 48000 -p 256 -n 2"
        );
        // The dummy driver has no periods per buffer.
        let dummy = JackSettings {
            rate: 96_000,
            period: 64,
            ..JackSettings::dummy()
        };
        assert_eq!(args(&dummy), "-r -d dummy -r 96000 -p 64");
    }

    #[test]
    fn client_names_come_from_the_device_option() {
        assert_eq!(super::client_name(""), "SuperCollider");
        assert_eq!(super::client_name("mine"), "mine");
        assert_eq!(super::client_name("srv:mine"), "mine");
        assert_eq!(super::client_name("srv:"), "SuperCollider");
    }

    #[test]
    fn the_name_jack_gave_is_read_from_the_output_last_run_first() {
        let out = [
            "JackDriver: client name is 'SuperCollider'",
            "SuperCollider 3 server ready.",
            "JackDriver: client name is 'SuperCollider-01'",
            "JackDriver: client name is ''",
        ];
        assert_eq!(
            super::client_name_in_output(out),
            Some("SuperCollider-01".into())
        );
        assert_eq!(super::client_name_in_output(["ready"]), None);
    }
}
