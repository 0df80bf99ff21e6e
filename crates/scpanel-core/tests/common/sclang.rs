//! A real sclang (Debian's `supercollider-language`, headless) as the other client: it boots a
//! server or joins one, and evaluates code the test sends it over OSC. Results come back on
//! its standard output as `SCPANEL RESULT <id> <value>` lines.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rosc::{OscMessage, OscPacket, OscType};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Notify;

/// How long sclang may take to start, boot or join (about a second here, more on a busy CI).
const READY_WITHIN: Duration = Duration::from_secs(60);
/// How long one evaluation may take.
const EVAL_WITHIN: Duration = Duration::from_secs(30);

pub struct Sclang {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    new_line: Arc<Notify>,
    sock: tokio::net::UdpSocket,
    lang_port: u16,
    /// The scsynth sclang booted, killed with sclang if it is still there.
    pub server_pid: Option<u32>,
    pub client_id: i32,
    next_id: i32,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const PRELUDE: &str = r#"
~scpanelReply = { |id, v| ("SCPANEL RESULT " ++ id ++ " " ++ v.asString).postln };
OSCdef(\scpanelEval, { |msg|
    var id = msg[1], code = msg[2].asString;
    fork {
        var r = try { code.interpret } { |e| "ERROR " ++ e.errorString };
        ~scpanelReply.(id, r);
    };
}, '/scpanel/eval');
~scpanelFails = List.new;
OSCdef(\scpanelFail, { |msg| ~scpanelFails.add(msg) }, '/fail');
~scpanelNInfo = 0;
OSCdef(\scpanelNInfo, { |msg| ~scpanelNInfo = ~scpanelNInfo + 1 }, '/n_info');
~scpanelReady = {
    fork {
        while { s.notified.not } { 0.02.wait };
        s.sync;
        ("SCPANEL READY lang=" ++ NetAddr.langPort ++ " pid=" ++ (s.pid ? -1)
            ++ " client=" ++ s.clientID).postln;
    };
};
"#;

impl Sclang {
    /// sclang boots a server on `port` with `max_logins` logins, as the IDE would.
    pub async fn boot(port: u16, max_logins: u32) -> Sclang {
        let script = format!(
            "{PRELUDE}\ns = Server(\\scpanel_test, NetAddr(\"127.0.0.1\", {port}));\n\
             s.options.maxLogins = {max_logins};\n\
             s.options.numInputBusChannels = 2; s.options.numOutputBusChannels = 2;\n\
             s.options.maxNodes = 8192; s.options.memSize = 65536;\n\
             s.waitForBoot({{ ~scpanelReady.value }});\n"
        );
        Sclang::start(&script).await
    }

    /// sclang joins a server someone else booted.
    pub async fn join(port: u16) -> Sclang {
        let script = format!(
            "{PRELUDE}\ns = Server.remote(\\scpanel_test, NetAddr(\"127.0.0.1\", {port}));\n\
             s.doWhenBooted({{ ~scpanelReady.value }});\n"
        );
        Sclang::start(&script).await
    }

    async fn start(script: &str) -> Sclang {
        let dir = std::env::temp_dir().join(format!(
            "scpanel-sclang-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("test.scd");
        std::fs::write(&file, script).expect("write script");
        let mut child = Command::new("sclang")
            .arg(&file)
            .current_dir(&dir)
            .env("QT_QPA_PLATFORM", "offscreen")
            .env("QTWEBENGINE_DISABLE_SANDBOX", "1")
            // Its own user folders, so no one's startup file or quarks run.
            .env("HOME", &dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_DATA_HOME", dir.join("data"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("sclang runs (apt install supercollider-language)");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let new_line = Arc::new(Notify::new());
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let (lines, new_line) = (lines.clone(), new_line.clone());
            tokio::spawn(async move {
                let mut reader = BufReader::new(pipe).lines();
                while let Ok(Some(l)) = reader.next_line().await {
                    lines.lock().expect("lines").push(l);
                    new_line.notify_waiters();
                }
            });
        }
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let mut sclang = Sclang {
            child,
            lines,
            new_line,
            sock,
            lang_port: 0,
            server_pid: None,
            client_id: -1,
            next_id: 1,
            _dir: TempDir(dir),
        };
        let ready = sclang
            .wait_line(READY_WITHIN, |l| l.starts_with("SCPANEL READY"))
            .await;
        for word in ready.split_whitespace() {
            if let Some(v) = word.strip_prefix("lang=") {
                sclang.lang_port = v.parse().expect("lang port");
            } else if let Some(v) = word.strip_prefix("pid=") {
                sclang.server_pid = v.parse::<i64>().ok().and_then(|p| u32::try_from(p).ok());
            } else if let Some(v) = word.strip_prefix("client=") {
                sclang.client_id = v.parse().expect("client id");
            }
        }
        sclang
    }

    /// Waits for an output line `pick` accepts (lines already seen count too).
    pub async fn wait_line(&self, within: Duration, pick: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.new_line.notified();
            if let Some(l) = self.lines.lock().expect("lines").iter().find(|l| pick(l)) {
                return l.clone();
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "sclang printed no matching line within {within:?}. Its output:\n{}",
                    self.output().join("\n")
                );
            }
        }
    }

    /// Evaluates `code` in sclang (inside a routine, so `s.sync` works) and returns what it
    /// answered, as sclang's `asString`.
    pub async fn eval(&mut self, code: &str) -> String {
        let id = self.next_id;
        self.next_id += 1;
        let packet = OscPacket::Message(OscMessage {
            addr: "/scpanel/eval".into(),
            args: vec![OscType::Int(id), OscType::String(code.into())],
        });
        let bytes = rosc::encoder::encode(&packet).expect("encode");
        self.sock
            .send_to(&bytes, ("127.0.0.1", self.lang_port))
            .await
            .expect("send to sclang");
        let prefix = format!("SCPANEL RESULT {id} ");
        let line = self
            .wait_line(EVAL_WITHIN, |l| l.starts_with(&prefix))
            .await;
        let value = line[prefix.len()..].to_string();
        assert!(
            !value.starts_with("ERROR"),
            "sclang could not run {code:?}: {value}"
        );
        value
    }

    pub fn output(&self) -> Vec<String> {
        self.lines.lock().expect("lines").clone()
    }

    /// Lines in which the server reported a failure (scsynth's output reaches sclang's when
    /// sclang booted it).
    pub fn failure_lines(&self) -> Vec<String> {
        self.output()
            .into_iter()
            .filter(|l| l.contains("FAILURE IN SERVER"))
            .collect()
    }
}

static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Drop for Sclang {
    fn drop(&mut self) {
        // The server sclang booted is ours too: stop it by its pid, then sclang.
        if let Some(pid) = self.server_pid
            && let Ok(pid) = i32::try_from(pid)
        {
            // SAFETY: a signal to a process this test started (through sclang).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        let _ = self.child.start_kill();
    }
}
