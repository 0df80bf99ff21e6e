//! The panels draw with the design tokens in `src/gui/theme.rs` (spacing, type sizes, corner
//! radii, the colours of states and alarms): a raw colour, text size or gap in a panel fails
//! here, with where it is, until it is a token.

use std::path::Path;

/// What a token stands for, written out.
const RAW: [&str; 5] = [
    "Color32::from_",
    ".size(",
    "FontId::proportional(",
    "FontId::monospace(",
    "add_space(",
];

fn scan(dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("{} can't be read", dir.display())
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            scan(&path, found);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        // The tests below a file may build what they check by hand.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            for raw in RAW {
                let Some(at) = line.find(raw) else { continue };
                // A token or a computed value is fine; a number written in is not.
                let rest = &line[at + raw.len()..];
                let literal =
                    raw == "Color32::from_" || rest.starts_with(|c: char| c.is_ascii_digit());
                if literal {
                    found.push(format!("{}:{}: {line}", path.display(), n + 1));
                }
            }
        }
    }
}

#[test]
fn the_panels_use_the_design_tokens() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gui");
    let mut found = Vec::new();
    for room in ["panels", "widgets", "app"] {
        scan(&root.join(room), &mut found);
    }
    assert!(
        found.is_empty(),
        "raw values where src/gui/theme.rs has tokens:\n{}",
        found.join("\n")
    );
}
