//! Core's areas depend downward only (README, Architecture): each module of
//! `core/src` may name (`crate::…`) only modules of a lower layer, or, in the
//! kernel, each other. Read from the source text, comments left out, so a
//! new upward import fails here before it becomes a circle.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Lowest first. The kernel is one layer: the pool carries the audit keys
/// and the audit chain writes through the pool.
const LAYERS: &[&[&str]] = &[
    &[
        "error", "backoff", "clock", "image", "db", "audit", "shared",
    ],
    &["auth", "environments", "outbox"],
    &["roadmap"],
    &["health"],
    &["aws"],
    &["jobs"],
    &["cost"],
    &["approvals"],
    &["compose"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src` belongs to (`jobs` for
/// `src/jobs/store/mod.rs`, `db` for `src/db.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).ok()?.components().next()?;
    let name = first.as_os_str().to_str()?;
    Some(name.strip_suffix(".rs").unwrap_or(name).to_owned())
}

/// Each `crate::<module>` a line of code names (comments stripped).
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            named.insert(name);
        }
    }
    named
}

#[test]
fn core_areas_depend_downward_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    let mut unplaced = BTreeSet::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        if module == "lib" {
            continue;
        }
        let Some(from) = layer_of(&module) else {
            unplaced.insert(module);
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for named in named_modules(&text) {
            if named == module {
                continue;
            }
            match layer_of(&named) {
                Some(to) if to < from || (to == 0 && from == 0) => {}
                Some(_) => upward.push(format!(
                    "{} names crate::{named}",
                    file.strip_prefix(&src).unwrap().display()
                )),
                None => {}
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules in no layer (add them to LAYERS): {unplaced:?}"
    );
    assert!(
        upward.is_empty(),
        "imports sideways or upward:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_layer_check_sees_an_upward_import() {
    let named =
        named_modules("use crate::jobs::JobId; // crate::compose\nlet x = crate::roadmap::f();");
    assert_eq!(
        named,
        ["jobs", "roadmap"].into_iter().map(String::from).collect()
    );
    assert!(layer_of("jobs") > layer_of("roadmap"));
}
