//! Names every asset of `pkg/` by its content (`gantry.<hash>.wasm`) and
//! rewrites the references between them, as cargo-leptos' `hash-files` did:
//! the hash is the MD5 of the content in unpadded URL-safe base64 (22
//! characters); the split loader, named `__wasm_split.<22 underscores>.js`
//! until then, gets its hash in place of the underscores. The files refer to
//! each other: the main JS imports the loader, the loader imports the main JS
//! and fetches the chunks, every module imports the loader, the manifest lists
//! the chunks. Names are given first, then every reference is rewritten, and
//! the loader, whose content the rewrite changed, is named again.
//!
//! Not hashed: `snippets/` (wasm-bindgen's inline JS, imported by fixed names)
//! and stylesheets other than the site's own.

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Stands for the loader's hash until it is known (its length).
const PLACEHOLDER: &str = "______________________";
/// The split manifest, before naming.
pub const MANIFEST_FILE: &str = "__wasm_split_manifest.json";

/// The loader's file name before naming.
pub fn loader_placeholder() -> String {
    format!("__wasm_split.{PLACEHOLDER}.js")
}

/// The hashes Leptos reads from `hash.txt`.
#[derive(Debug, PartialEq, Eq)]
pub struct Named {
    pub js: String,
    pub wasm: String,
    pub css: String,
    pub manifest: Option<String>,
    pub split: Option<String>,
}

impl Named {
    /// `hash.txt`: `js: …`, `wasm: …`, `css: …`, then `manifest: …` and
    /// `split: …` when the site is split.
    pub fn hash_txt(&self) -> String {
        let mut text = format!("js: {}\nwasm: {}\ncss: {}\n", self.js, self.wasm, self.css);
        if let Some(manifest) = &self.manifest {
            text.push_str(&format!("manifest: {manifest}\n"));
        }
        if let Some(split) = &self.split {
            text.push_str(&format!("split: {split}\n"));
        }
        text
    }
}

/// The hash of `bytes` as it appears in a name.
pub fn content_hash(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Md5::digest(bytes))
}

/// Renames every asset in `pkg` by its content and rewrites the references.
pub fn name_by_content(pkg: &Path, output_name: &str) -> Result<Named> {
    let own_css = format!("{output_name}.css");
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let mut hashes: BTreeMap<String, String> = BTreeMap::new();
    for file in files_under(pkg)? {
        let rel = relative(pkg, &file)?;
        if rel.split('/').any(|part| part == "snippets")
            || (rel.ends_with(".css") && rel != own_css)
        {
            continue;
        }
        let hash = content_hash(&std::fs::read(&file)?);
        let new = hashed_name(&rel, &hash)?;
        std::fs::rename(&file, pkg.join(&new))
            .with_context(|| format!("renaming {rel} to {new}"))?;
        hashes.insert(rel.clone(), hash);
        renamed.insert(rel, new);
    }
    let hash_of = |name: &str| {
        hashes
            .get(name)
            .cloned()
            .with_context(|| format!("{name} is missing from {}", pkg.display()))
    };

    let main_js = pkg.join(&renamed[&format!("{output_name}.js")]);
    rewrite_text(&main_js, &renamed)?;
    let loader = loader_placeholder();
    let split = match renamed.get(&loader).cloned() {
        None => None,
        Some(first_name) => {
            let first = pkg.join(&first_name);
            rewrite_text(&first, &renamed)?;
            replace_in_modules(pkg, &loader, &first_name)?;
            if let Some(manifest) = renamed.get(MANIFEST_FILE) {
                rewrite_manifest(&pkg.join(manifest), &renamed)?;
            }
            // The rewrite changed the loader: name it by what it holds now.
            let hash = content_hash(&std::fs::read(&first)?);
            let final_name = format!("__wasm_split.{hash}.js");
            if final_name != first_name {
                std::fs::rename(&first, pkg.join(&final_name))?;
                replace_in_modules(pkg, &first_name, &final_name)?;
                rewrite_text(
                    &main_js,
                    &BTreeMap::from([(first_name.clone(), final_name.clone())]),
                )?;
            }
            Some(hash)
        }
    };
    Ok(Named {
        js: hash_of(&format!("{output_name}.js"))?,
        wasm: hash_of(&format!("{output_name}.wasm"))?,
        css: hash_of(&own_css)?,
        manifest: hashes.get(MANIFEST_FILE).cloned(),
        split,
    })
}

/// `gantry.js` → `gantry.<hash>.js`; the loader's placeholder → the hash.
fn hashed_name(rel: &str, hash: &str) -> Result<String> {
    if rel.contains(PLACEHOLDER) {
        if hash.len() != PLACEHOLDER.len() {
            bail!(
                "a hash of {} characters cannot stand for the placeholder",
                hash.len()
            );
        }
        return Ok(rel.replace(PLACEHOLDER, hash));
    }
    let path = Path::new(rel);
    let (Some(stem), Some(ext)) = (path.file_stem(), path.extension()) else {
        bail!("{rel} has no extension");
    };
    let name = format!(
        "{}.{hash}.{}",
        stem.to_string_lossy(),
        ext.to_string_lossy()
    );
    Ok(match rel.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => name,
    })
}

/// Replaces every old name in the text file with its new name.
fn rewrite_text(path: &Path, renamed: &BTreeMap<String, String>) -> Result<()> {
    let mut text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    for (old, new) in renamed {
        text = text.replace(old.as_str(), new);
    }
    std::fs::write(path, text)?;
    Ok(())
}

/// Replaces the loader's name in every module's imports. The names are of
/// equal length (the hash stands in the placeholder's place), so the
/// module's length-prefixed strings stay valid.
fn replace_in_modules(pkg: &Path, old: &str, new: &str) -> Result<()> {
    if old.len() != new.len() {
        bail!("{old} and {new} differ in length: the modules cannot be patched");
    }
    for entry in std::fs::read_dir(pkg)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let mut bytes = std::fs::read(&path)?;
            if replace_bytes(&mut bytes, old.as_bytes(), new.as_bytes()) > 0 {
                std::fs::write(&path, bytes)?;
            }
        }
    }
    Ok(())
}

/// Replaces each occurrence of `old` by `new` (same length); returns how many.
fn replace_bytes(bytes: &mut [u8], old: &[u8], new: &[u8]) -> usize {
    let mut count = 0;
    let mut at = 0;
    while at + old.len() <= bytes.len() {
        if bytes[at..].starts_with(old) {
            bytes[at..at + old.len()].copy_from_slice(new);
            count += 1;
            at += old.len();
        } else {
            at += 1;
        }
    }
    count
}

/// The manifest lists chunks by file stem (`chunk_3`): each is replaced by
/// its new stem (`chunk_3.<hash>`), whole names only.
fn rewrite_manifest(path: &Path, renamed: &BTreeMap<String, String>) -> Result<()> {
    let stems: BTreeMap<&str, &str> = renamed
        .iter()
        .filter_map(|(old, new)| Some((old.strip_suffix(".wasm")?, new.strip_suffix(".wasm")?)))
        .collect();
    let mut manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)
        .with_context(|| format!("reading {}", path.display()))?;
    rename_strings(&mut manifest, &stems);
    std::fs::write(path, serde_json::to_string(&manifest)?)?;
    Ok(())
}

fn rename_strings(value: &mut serde_json::Value, stems: &BTreeMap<&str, &str>) {
    match value {
        serde_json::Value::String(s) => {
            if let Some(new) = stems.get(s.as_str()) {
                *s = (*new).to_owned();
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| rename_strings(v, stems)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| rename_strings(v, stems)),
        _ => {}
    }
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                stack.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    Ok(files)
}

fn relative(root: &Path, file: &Path) -> Result<String> {
    let rel = file.strip_prefix(root)?;
    Ok(rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A split site as wasm-bindgen and the splitter leave it: the main JS
    /// importing the loader, the loader importing the main JS and fetching
    /// two chunks, every module naming the loader, the manifest listing the
    /// chunks by stem, a snippet and a foreign stylesheet.
    fn split_site() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "site-build-names-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("snippets/leptos-1")).unwrap();
        let loader = loader_placeholder();
        let write = |name: &str, content: &[u8]| std::fs::write(dir.join(name), content).unwrap();
        write(
            "gantry.js",
            format!("import * as s from './{loader}';").as_bytes(),
        );
        write(
            &loader,
            b"import { initSync } from './gantry.js'; fetch('chunk_1.wasm'); fetch('chunk_10.wasm');",
        );
        write(
            "gantry.wasm",
            format!("\0asm main imports {loader}").as_bytes(),
        );
        write(
            "chunk_1.wasm",
            format!("\0asm one imports {loader}").as_bytes(),
        );
        write(
            "chunk_10.wasm",
            format!("\0asm ten imports {loader}").as_bytes(),
        );
        write(
            MANIFEST_FILE,
            br#"{"audit": ["chunk_1", "chunk_10"], "board": ["chunk_10"]}"#,
        );
        write("gantry.css", b"body{}");
        write("other.css", b"p{}");
        write("snippets/leptos-1/inline0.js", b"export function f() {}");
        dir
    }

    fn names_in(dir: &Path) -> Vec<String> {
        files_under(dir)
            .unwrap()
            .iter()
            .map(|f| relative(dir, f).unwrap())
            .collect()
    }

    #[test]
    fn every_asset_is_named_by_its_content_and_every_reference_follows() {
        let dir = split_site();
        let css_hash = content_hash(b"body{}");
        let named = name_by_content(&dir, "gantry").unwrap();
        let names = names_in(&dir);

        assert_eq!(
            named.css, css_hash,
            "the stylesheet's name is its content's hash"
        );
        assert_eq!(named.css.len(), 22);
        assert!(
            names.contains(&format!("gantry.{}.css", named.css)),
            "{names:?}"
        );
        assert!(
            names.contains(&format!("gantry.{}.js", named.js)),
            "{names:?}"
        );
        assert!(
            names.contains(&format!("gantry.{}.wasm", named.wasm)),
            "{names:?}"
        );
        assert!(
            names.contains(&"other.css".to_owned()),
            "a foreign stylesheet keeps its name"
        );
        assert!(names.contains(&"snippets/leptos-1/inline0.js".to_owned()));
        let split = named.split.clone().expect("a split site names its loader");
        let loader = format!("__wasm_split.{split}.js");
        assert!(names.contains(&loader), "{names:?}");
        assert!(!names.iter().any(|n| n.contains(PLACEHOLDER)), "{names:?}");

        // The loader's name is the hash of what it holds after the rewrite.
        let loader_text = std::fs::read_to_string(dir.join(&loader)).unwrap();
        assert_eq!(content_hash(loader_text.as_bytes()), split);
        assert!(
            loader_text.contains(&format!("./gantry.{}.js", named.js)),
            "{loader_text}"
        );
        let chunk = |stem: &str| {
            names
                .iter()
                .find(|n| n.starts_with(&format!("{stem}.")))
                .unwrap()
                .clone()
        };
        assert!(
            loader_text.contains(&format!("fetch('{}')", chunk("chunk_1"))),
            "{loader_text}"
        );
        assert!(
            loader_text.contains(&format!("fetch('{}')", chunk("chunk_10"))),
            "{loader_text}"
        );

        // The main JS and every module import the loader by its final name.
        let main_js = std::fs::read_to_string(dir.join(format!("gantry.{}.js", named.js))).unwrap();
        assert_eq!(main_js, format!("import * as s from './{loader}';"));
        for module in names.iter().filter(|n| n.ends_with(".wasm")) {
            let bytes = std::fs::read(dir.join(module)).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                text.ends_with(&format!("imports {loader}")),
                "{module}: {text}"
            );
        }

        // The manifest lists the chunks by their new stems, whole names only.
        let manifest = names
            .iter()
            .find(|n| n.starts_with("__wasm_split_manifest."))
            .unwrap();
        assert_eq!(
            Some(manifest.clone()),
            named
                .manifest
                .as_ref()
                .map(|h| format!("__wasm_split_manifest.{h}.json"))
        );
        let listed: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(manifest)).unwrap()).unwrap();
        let stem = |n: String| n.strip_suffix(".wasm").unwrap().to_owned();
        assert_eq!(
            listed,
            serde_json::json!({
                "audit": [stem(chunk("chunk_1")), stem(chunk("chunk_10"))],
                "board": [stem(chunk("chunk_10"))],
            })
        );

        assert_eq!(
            named.hash_txt(),
            format!(
                "js: {}\nwasm: {}\ncss: {}\nmanifest: {}\nsplit: {split}\n",
                named.js,
                named.wasm,
                named.css,
                named.manifest.clone().unwrap()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_same_content_gets_the_same_names() {
        let first = split_site();
        let a = name_by_content(&first, "gantry").unwrap();
        let names_a = names_in(&first);
        let second = split_site();
        let b = name_by_content(&second, "gantry").unwrap();
        assert_eq!(a, b);
        assert_eq!(names_a, names_in(&second));
        std::fs::remove_dir_all(&second).unwrap();
    }

    #[test]
    fn a_missing_asset_is_named_in_the_error() {
        let dir = split_site();
        std::fs::remove_file(dir.join("gantry.css")).unwrap();
        let err = name_by_content(&dir, "gantry").unwrap_err();
        assert!(err.to_string().contains("gantry.css is missing"), "{err:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn patching_counts_only_whole_occurrences() {
        let mut bytes = b"xxabcxxabcab".to_vec();
        assert_eq!(replace_bytes(&mut bytes, b"abc", b"XYZ"), 2);
        assert_eq!(bytes, b"xxXYZxxXYZab");
        assert_eq!(
            hashed_name("pkg/chunk_1.wasm", "h").unwrap(),
            "pkg/chunk_1.h.wasm"
        );
        assert!(hashed_name(&loader_placeholder(), "short").is_err());
    }
}
