//! What a blind musician hears, with Debian 12's screen reader (Orca 43): scripts/orca-check.sh
//! runs Orca, the app and a dummy JACK under Xvfb with buses of their own, boots, moves to a
//! row of the node tree and kills the server, and fails unless Orca said the window's name,
//! "server online", the row and "the server crashed" (it installs Orca when missing, and
//! fails, never skips, when it can't). About 15 s with a release build.

use std::process::Command;

#[test]
fn orca_43_says_boot_a_tree_row_and_a_crash() {
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/orca-check.sh"
        ))
        .env("SCPANEL_BIN", env!("CARGO_BIN_EXE_scpanel"))
        .output()
        .expect("bash runs scripts/orca-check.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(
        out.status.success(),
        "scripts/orca-check.sh failed:\n{text}"
    );
    assert!(text.contains("orca-check: passed"), "{text}");
}
