//! What the .deb installs, checked from the sources: completions and man pages generated from
//! the one command definition (every boot option from the option table among them), the
//! .desktop file and AppStream metainfo as their validators see them, the icons, and the
//! cargo-deb metadata that puts them in place. scripts/with-jack.sh installs the validators.

use std::path::{Path, PathBuf};
use std::process::Command;

use scpanel_core::options::OPTIONS;

const BIN: &str = env!("CARGO_BIN_EXE_scpanel");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scpanel(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().expect("run scpanel");
    assert!(
        out.status.success(),
        "scpanel {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Runs a validator; it must be installed (scripts/test.sh installs it when missing).
fn validate(tool: &str, args: &[&str]) {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool}: {e} (run the tests with scripts/test.sh, which installs it)")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completions_offer_every_boot_option_in_every_shell() {
    let bash = scpanel(&["completions", "bash"]);
    assert!(
        bash.contains("--output-channels"),
        "bash: --output-channels"
    );
    for def in OPTIONS {
        let flag = format!("--{}", def.long());
        assert!(bash.contains(&flag), "the bash completion lacks {flag}");
    }
    for shell in ["zsh", "fish"] {
        let script = scpanel(&["completions", shell]);
        assert!(
            script.contains("output-channels"),
            "{shell}: output-channels"
        );
        assert!(script.contains("synthdef"), "{shell}: subcommands");
    }
    let out = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .expect("run scpanel");
    assert!(!out.status.success(), "an unknown shell is refused");
}

#[test]
fn the_man_pages_come_from_the_same_command() {
    let page = scpanel(&["man"]);
    assert!(page.contains(".TH scpanel 1"), "scpanel(1)");
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "the version");
    for sub in ["status", "watch", "boot", "synthdef", "completions", "man"] {
        assert!(page.contains(sub), "scpanel(1) names {sub}");
    }
    let dir = std::env::temp_dir().join(format!("scpanel-man-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    scpanel(&["man", "--dir", dir.to_str().expect("UTF-8 path")]);
    let boot = std::fs::read_to_string(dir.join("scpanel-boot.1")).expect("scpanel-boot.1");
    for def in OPTIONS {
        // roff escapes the hyphens: \-\-output\-channels.
        let flag = format!("--{}", def.long()).replace('-', "\\-");
        assert!(boot.contains(&flag), "scpanel-boot(1) lacks {flag}");
    }
    assert!(dir.join("scpanel.1").is_file());
    assert!(dir.join("scpanel-status.1").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_desktop_file_is_valid_and_names_the_icon_binary_and_categories() {
    let path = root().join("assets/scpanel.desktop");
    validate("desktop-file-validate", &[path.to_str().expect("UTF-8")]);
    let text = std::fs::read_to_string(&path).expect("the .desktop file");
    for line in [
        "Exec=scpanel",
        "Icon=scpanel",
        "Categories=AudioVideo;Audio;Music;",
        "StartupWMClass=scpanel",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in {path:?}");
    }
}

#[test]
fn the_metainfo_is_valid_and_launches_the_desktop_file() {
    let path = root().join("assets/io.github.scpanel.scpanel.metainfo.xml");
    validate(
        "appstreamcli",
        &["validate", "--no-net", path.to_str().expect("UTF-8")],
    );
    let text = std::fs::read_to_string(&path).expect("metainfo");
    assert!(text.contains("<id>io.github.scpanel.scpanel</id>"));
    assert!(text.contains(r#"<launchable type="desktop-id">scpanel.desktop</launchable>"#));
    assert!(text.contains("<screenshot type=\"default\">"));
    assert!(text.contains(&format!(
        "<release version=\"{}\"",
        env!("CARGO_PKG_VERSION")
    )));
}

/// A PNG's width and height, from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    assert!(
        bytes.len() > 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{path:?} is a PNG"
    );
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

#[test]
fn the_icons_are_an_svg_and_48_128_256_px_pngs() {
    let icons = root().join("assets/icons");
    let svg = std::fs::read_to_string(icons.join("scpanel.svg")).expect("scpanel.svg");
    assert!(svg.contains("<svg") && svg.contains("viewBox=\"0 0 256 256\""));
    for size in [48, 128, 256] {
        let path = icons.join(format!("scpanel-{size}.png"));
        assert_eq!(png_size(&path), (size, size), "{path:?}");
    }
}

#[test]
fn the_deb_metadata_installs_binary_menu_entry_icons_man_pages_and_completions() {
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .expect("Cargo.toml")
        .parse()
        .expect("TOML");
    let deb = manifest["package"]["metadata"]["deb"]
        .as_table()
        .expect("[package.metadata.deb]");
    let depends = deb["depends"].as_str().expect("depends");
    assert!(depends.contains("supercollider-server"), "{depends}");
    let recommends = deb["recommends"].as_str().expect("recommends");
    assert!(
        recommends.contains("jackd2 | pipewire-jack"),
        "{recommends}"
    );
    assert!(
        recommends.contains("supercollider-supernova"),
        "{recommends}"
    );
    let assets: Vec<(String, String)> = deb["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .map(|a| {
            let a = a.as_array().expect("[source, dest, mode]");
            (
                a[0].as_str().expect("source").to_string(),
                a[1].as_str().expect("dest").to_string(),
            )
        })
        .collect();
    let dest = |d: &str| assets.iter().any(|(_, to)| to == d);
    for d in [
        "usr/bin/",
        "usr/share/applications/",
        "usr/share/metainfo/",
        "usr/share/icons/hicolor/scalable/apps/scpanel.svg",
        "usr/share/icons/hicolor/48x48/apps/scpanel.png",
        "usr/share/icons/hicolor/128x128/apps/scpanel.png",
        "usr/share/icons/hicolor/256x256/apps/scpanel.png",
        "usr/share/man/man1/",
        "usr/share/bash-completion/completions/scpanel",
        "usr/share/zsh/vendor-completions/_scpanel",
        "usr/share/fish/vendor_completions.d/scpanel.fish",
    ] {
        assert!(dest(d), "the .deb installs {d}");
    }
    // Files kept in the repository exist; the rest scripts/package.sh builds or generates.
    for (from, _) in &assets {
        if !from.starts_with("target/") {
            assert!(root().join(from).is_file(), "{from} exists");
        }
    }
}
