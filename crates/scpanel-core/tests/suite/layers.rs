//! The core's layers only look down, and no two of its files import each other in a loop
//! (ARCHITECTURE.md). The compiler allows both, so this reads the sources' `crate::` paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// From the bottom up; a file may name its own folder or any folder below it.
const LAYERS: [&[&str]; 9] = [
    &["error", "files", "journal"],
    &["wire"],
    &["model"],
    &["synthdef"],
    &["host", "discover"],
    &["link"],
    &["ops"],
    &["server"],
    &["lib", "fuzzing"],
];

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the core's sources") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `ops/mixer.rs` → `["ops", "mixer"]`; `ops/mod.rs` → `["ops"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The `crate::a::b` paths a file names outside its tests, as far as they are modules.
fn references(text: &str) -> Vec<Vec<String>> {
    // Unit tests (a `#[cfg(test)] mod … {` block, always last) may reach anywhere.
    let code = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let path: Vec<String> = rest
            .split("::")
            .map(|seg| {
                seg.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|seg| !seg.is_empty() && seg.chars().all(|c| !c.is_ascii_uppercase()))
            .collect();
        if !path.is_empty() {
            out.push(path);
        }
    }
    // `use crate::ops::{nodes, printout}` names two modules.
    for (i, _) in code.match_indices("::{") {
        let head_start = code[..i].rfind("crate::");
        let Some(start) = head_start else { continue };
        let head = &code[start + "crate::".len()..i];
        if head.contains(char::is_whitespace) || head.contains('{') {
            continue;
        }
        let end = code[i..].find('}').map_or(code.len(), |e| i + e);
        for item in code[i + 3..end].split(',') {
            let item = item.trim().split("::").next().unwrap_or("").trim();
            if !item.is_empty() && item.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                let mut path: Vec<String> = head.split("::").map(str::to_string).collect();
                if item != "self" {
                    path.push(item.to_string());
                }
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn the_core_s_layers_only_look_down_and_its_files_make_no_loops() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    // The operations' scripted peer is a test helper (`#[cfg(test)]`).
    files.retain(|f| !f.ends_with("link/scripted.rs"));
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_of(&src, f), f.clone()))
        .collect();
    let mut upward = Vec::new();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).expect("a source file");
        let own = module.first().map_or("lib", String::as_str);
        let Some(from) = layer_of(own) else {
            panic!(
                "{} is in no layer: add its folder to LAYERS",
                file.display()
            );
        };
        for path in references(&text) {
            let Some(to) = layer_of(&path[0]) else {
                continue;
            };
            if to > from {
                upward.push(format!(
                    "{} names crate::{}",
                    file.display(),
                    path.join("::")
                ));
            }
            // The longest prefix that is a file of its own is what is imported.
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains_key(p));
            if let Some(target) = target
                && &target != module
                && !module.starts_with(&target)
            {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    assert!(
        upward.is_empty(),
        "arrows that run up:\n{}",
        upward.join("\n")
    );

    // A loop: some file reaches itself again through its imports.
    let mut loops = Vec::new();
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(at) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    loops.push(format!("{} comes back to itself", start.join("/")));
                } else if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
    }
    loops.sort();
    loops.dedup();
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}
