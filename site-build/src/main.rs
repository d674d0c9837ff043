//! `site-build`: turns the two cargo builds into the site Gantry serves.
//!
//! `scripts/lib.sh` (`build_site`) runs cargo for the server and for the
//! WebAssembly (in parallel, with Tailwind beside them), then this, which:
//!
//! 1. splits the WebAssembly at the lazy routes (`#[lazy_route]`,
//!    `app/src/routes.rs`) into the main module and chunks loaded on demand,
//!    with `__wasm_split_manifest.json` for the server's preload links;
//! 2. runs wasm-bindgen (`--target web`, the library at exactly the version in
//!    Cargo.lock) on the main module;
//! 3. with `--optimize` (the release build): `wasm-opt -Oz` on every module and
//!    the JS minified (esbuild);
//! 4. copies the stylesheet and `public/`;
//! 5. names every asset by its content (`gantry.<hash>.wasm`, …) and writes
//!    the names to `hash.txt` beside a copy of the server binary, where the
//!    server reads them.
//!
//! These are the steps `cargo leptos build --release --split` took with
//! `hash-files`; cargo-leptos itself took 14–17 minutes to compile on a new
//! machine (it carries a JS compiler and OpenSSL), this about one.

mod names;

use anyhow::{bail, ensure, Context, Result};
use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The site's asset names: `pkg/gantry.js`, `pkg/gantry.wasm`, `pkg/gantry.css`.
const OUTPUT_NAME: &str = "gantry";
const PKG_DIR: &str = "pkg";

#[derive(Debug, Parser)]
#[command(
    name = "site-build",
    about = "Assembles Gantry's site from the cargo builds"
)]
struct Args {
    /// The frontend's WebAssembly as cargo built it (linked with
    /// `-Clink-args=--emit-relocs`, which splitting needs).
    #[arg(long)]
    wasm: PathBuf,
    /// The stylesheet Tailwind wrote.
    #[arg(long)]
    css: PathBuf,
    /// Static files copied to the site root as they are.
    #[arg(long)]
    public: PathBuf,
    /// The server binary cargo built.
    #[arg(long)]
    server_bin: PathBuf,
    /// The site root; its `pkg/` is built again from empty.
    #[arg(long)]
    site_root: PathBuf,
    /// Where the server binary is copied, with the `hash.txt` it reads.
    #[arg(long)]
    bin_dir: PathBuf,
    /// `wasm-opt -Oz` every module and minify the JS (the release build).
    #[arg(long)]
    optimize: bool,
    /// binaryen's wasm-opt (npm `binaryen`; Debian's is too old, see TOOLCHAIN.md).
    #[arg(long, default_value = "node_modules/.bin/wasm-opt")]
    wasm_opt: PathBuf,
    /// esbuild, for minifying the JS.
    #[arg(long, default_value = "node_modules/.bin/esbuild")]
    esbuild: PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let started = std::time::Instant::now();
    let pkg = args.site_root.join(PKG_DIR);
    // Names are by content: a new build writes new names, so start empty
    // rather than leave an earlier build's files to be named again.
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg).with_context(|| format!("removing {}", pkg.display()))?;
    }
    std::fs::create_dir_all(&pkg).with_context(|| format!("creating {}", pkg.display()))?;

    let input = std::fs::read(&args.wasm)
        .with_context(|| format!("reading the WebAssembly {}", args.wasm.display()))?;
    let work = tempdir_in(&args.site_root)?;
    let main_split = work.join(format!("{OUTPUT_NAME}_split.wasm"));
    let mut modules = split(&input, &pkg, &main_split)?;
    drop(input);
    bindgen(&main_split, &pkg)?;
    std::fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    // wasm-bindgen writes `<name>_bg.wasm`; Leptos' hydration script asks for
    // `<name>.wasm` (with hash.txt's hash).
    let main_wasm = pkg.join(format!("{OUTPUT_NAME}.wasm"));
    std::fs::rename(pkg.join(format!("{OUTPUT_NAME}_bg.wasm")), &main_wasm)
        .context("renaming wasm-bindgen's output")?;
    modules.insert(0, main_wasm);

    if args.optimize {
        optimize_wasm(&args.wasm_opt, &modules)?;
        minify_js(&args.esbuild, &pkg.join(format!("{OUTPUT_NAME}.js")))?;
    }
    copy_file(&args.css, &pkg.join(format!("{OUTPUT_NAME}.css")))?;
    copy_dir(&args.public, &args.site_root)?;

    let named = names::name_by_content(&pkg, OUTPUT_NAME)?;
    install_server(&args.server_bin, &args.bin_dir, &named.hash_txt())?;
    eprintln!(
        "site-build: {} modules, site in {}, server {} ({:.1}s)",
        modules.len(),
        args.site_root.display(),
        args.bin_dir.join(OUTPUT_NAME).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Splits `input` at its split points: chunks and the loader
/// (`__wasm_split.<placeholder>.js`) into `pkg`, the main module to
/// `main_out`, the prefetch map to `pkg/__wasm_split_manifest.json`. Returns
/// the chunks' paths.
fn split(input: &[u8], pkg: &Path, main_out: &Path) -> Result<Vec<PathBuf>> {
    let main_module = format!("./{OUTPUT_NAME}.js");
    let link_name = format!("./{}", names::loader_placeholder());
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(input);
        opts.output_dir = pkg;
        opts.main_out_path = main_out;
        opts.main_module = &main_module;
        opts.link_name = &link_name;
        opts
    })
    .map_err(|e| anyhow::anyhow!("splitting the WebAssembly: {e:?}"))?;
    let manifest = serde_json::to_string_pretty(&split.prefetch_map)?;
    std::fs::write(pkg.join(names::MANIFEST_FILE), manifest)?;
    Ok(split.split_modules)
}

/// wasm-bindgen's JS glue and final module for the main module, as
/// `wasm-bindgen --target web --keep-lld-exports --no-demangle` (the chunks
/// call into the main module by its linker's export names).
fn bindgen(main: &Path, pkg: &Path) -> Result<()> {
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(main)
        .web(true)?
        .keep_lld_exports(true)
        .demangle(false)
        .typescript(false)
        .out_name(OUTPUT_NAME)
        .generate(pkg)
        .context("wasm-bindgen")
}

/// `wasm-opt -Oz` on every module, as many at a time as there are cores.
fn optimize_wasm(wasm_opt: &Path, modules: &[PathBuf]) -> Result<()> {
    ensure!(
        wasm_opt.exists(),
        "{} is missing (npm ci installs binaryen)",
        wasm_opt.display()
    );
    let parallel = std::thread::available_parallelism().map_or(1, |n| n.get());
    for batch in modules.chunks(parallel) {
        let children = batch
            .iter()
            .map(|module| {
                Command::new(wasm_opt)
                    .args([
                        "-Oz",
                        "--enable-bulk-memory",
                        "--enable-nontrapping-float-to-int",
                    ])
                    .arg(module)
                    .arg("-o")
                    .arg(module)
                    .spawn()
                    .with_context(|| format!("starting {}", wasm_opt.display()))
                    .map(|child| (module, child))
            })
            .collect::<Result<Vec<_>>>()?;
        for (module, mut child) in children {
            let status = child.wait()?;
            if !status.success() {
                bail!("wasm-opt failed on {} ({status})", module.display());
            }
        }
    }
    Ok(())
}

/// Minifies the JS glue in place (an ES module).
fn minify_js(esbuild: &Path, js: &Path) -> Result<()> {
    ensure!(
        esbuild.exists(),
        "{} is missing (npm ci installs esbuild)",
        esbuild.display()
    );
    let out = js.with_extension("min.js");
    let status = Command::new(esbuild)
        .arg(js)
        .args(["--minify", "--format=esm", "--log-level=warning"])
        .arg(format!("--outfile={}", out.display()))
        .status()
        .with_context(|| format!("starting {}", esbuild.display()))?;
    ensure!(
        status.success(),
        "esbuild failed on {} ({status})",
        js.display()
    );
    std::fs::rename(&out, js)?;
    Ok(())
}

/// Copies the server binary and its `hash.txt` into `bin_dir`, each written
/// beside and renamed into place: a server starting meanwhile sees the old
/// pair or the new one.
fn install_server(server_bin: &Path, bin_dir: &Path, hash_txt: &str) -> Result<()> {
    std::fs::create_dir_all(bin_dir)?;
    let hash_file = bin_dir.join("hash.txt");
    let tmp = bin_dir.join(".hash.txt.tmp");
    std::fs::write(&tmp, hash_txt)?;
    std::fs::rename(&tmp, &hash_file)?;
    copy_file(server_bin, &bin_dir.join(OUTPUT_NAME))
}

fn copy_file(from: &Path, to: &Path) -> Result<()> {
    let tmp = to.with_extension("site-build-tmp");
    std::fs::copy(from, &tmp)
        .with_context(|| format!("copying {} to {}", from.display(), tmp.display()))?;
    std::fs::rename(&tmp, to).with_context(|| format!("renaming into {}", to.display()))?;
    Ok(())
}

/// Copies the files under `from` into `to`, keeping the folders.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// A fresh working folder under `parent` (removed by the caller).
fn tempdir_in(parent: &Path) -> Result<PathBuf> {
    let dir = parent.join(format!(".site-build.{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
