//! supriya (Python) as the judge of its own tree format: the same `/g_queryTree.reply` that
//! scpanel renders is handed to supriya's parser and printer, or supriya asks a real server.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rosc::{OscMessage, OscType};

/// supriya in a virtual environment under target/ (made once; `pip install supriya`). The
/// same place as the classroom test's, so either test makes it for both.
pub fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("supriya-venv");
    let python = venv.join("bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import supriya"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv (apt install python3-venv)");
        assert!(made.success(), "python3 -m venv failed");
        let pip = Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "supriya"])
            .status()
            .expect("pip");
        assert!(pip.success(), "pip install supriya failed");
    }
    python
}

/// supriya's text for a `/g_queryTree.reply`: `QueryTreeInfo.from_osc`, then
/// `QueryTreeGroup.from_query_tree_info`, then `str()`, as `print(server.query_tree())` does.
pub fn format_reply(reply: &OscMessage) -> String {
    const SCRIPT: &str = r#"
import json, sys
from supriya.osc import OscMessage
from supriya.contexts.responses import QueryTreeGroup, QueryTreeInfo
m = OscMessage("/g_queryTree.reply", *json.load(sys.stdin))
sys.stdout.write(str(QueryTreeGroup.from_query_tree_info(QueryTreeInfo.from_osc(m))))
"#;
    let args: Vec<String> = reply
        .args
        .iter()
        .map(|a| match a {
            OscType::Int(i) => i.to_string(),
            // Through f64, as supriya's OSC decoder hands an f32 to Python.
            OscType::Float(f) => format!("{:?}", f64::from(*f)),
            OscType::String(s) => json_string(s),
            other => panic!("no JSON for {other:?} in a tree reply"),
        })
        .collect();
    run(&["-c", SCRIPT], &format!("[{}]", args.join(",")))
}

/// What supriya prints for `print(server.query_tree(include_controls=False))` of the server
/// on 127.0.0.1:`port`, after logging in there.
pub fn query_tree_of(port: u16) -> String {
    const SCRIPT: &str = r#"
import sys
import supriya
server = supriya.Server().connect(ip_address="127.0.0.1", port=int(sys.argv[1]))
tree = server.query_tree(include_controls=False)
server.disconnect()
sys.stdout.write(str(tree))
"#;
    run(&["-c", SCRIPT, &port.to_string()], "")
}

fn run(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(python())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run supriya's python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write to python");
    let out = child.wait_with_output().expect("python's output");
    assert!(
        out.status.success(),
        "supriya failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("supriya prints UTF-8")
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
