//! `cargo xtask codegen [--check]`: regenerates the checked-in files that
//! derive from the code: `include/oauthmail.h` (from the C binding crate, with
//! the pinned cbindgen) and the version lines of the pkg-config and CMake
//! files. `--check` fails instead of writing when any of them differs.

mod java;
mod node;
mod python;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask codegen [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["codegen"] => false,
        ["codegen", "--check"] => true,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match codegen(&workspace_root(), check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask codegen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace root").to_owned()
}

fn codegen(root: &Path, check: bool) -> Result<(), String> {
    let files = [
        ("include/oauthmail.h", c_header(root)?),
        (
            "bindings-c/pkgconfig/oauthmail.pc",
            with_version(root, "bindings-c/pkgconfig/oauthmail.pc", "Version: ", "")?,
        ),
        (
            "bindings-c/cmake/oauthmailConfigVersion.cmake",
            with_version(root, "bindings-c/cmake/oauthmailConfigVersion.cmake", "set(PACKAGE_VERSION \"", "\")")?,
        ),
    ];
    let files = files.into_iter().chain(java::files(root)?);
    let files = files.into_iter().chain(node::files(root)?);
    let files = files.chain(python::files(root)?);
    let mut stale = Vec::new();
    for (rel, content) in files {
        let path = root.join(rel);
        if std::fs::read(&path).unwrap_or_default() == content {
            continue;
        }
        if check {
            stale.push(rel);
        } else {
            std::fs::write(&path, content).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote {rel}");
        }
    }
    if !stale.is_empty() {
        return Err(format!(
            "out of date (the code generates something else): {}; run `cargo xtask codegen` and commit the result",
            stale.join(", ")
        ));
    }
    if check {
        println!("generated files are up to date");
    }
    Ok(())
}

/// `rel` with the line starting `prefix` set to `prefix<version>suffix`.
fn with_version(root: &Path, rel: &str, prefix: &str, suffix: &str) -> Result<Vec<u8>, String> {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let version = env!("CARGO_PKG_VERSION");
    let mut found = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.starts_with(prefix) {
            found = true;
            out.push_str(&format!("{prefix}{version}{suffix}\n"));
        } else {
            out.push_str(line);
        }
    }
    if !found {
        return Err(format!("{rel} has no line starting with `{prefix}`"));
    }
    Ok(out.into_bytes())
}

/// The header cbindgen makes from `bindings-c`, with the version macros of the workspace.
fn c_header(root: &Path) -> Result<Vec<u8>, String> {
    let crate_dir = root.join("bindings-c");
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .map_err(|e| format!("cannot read cbindgen.toml: {e}"))?;
    let version = env!("CARGO_PKG_VERSION");
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor, patch) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    config.after_includes = Some(format!(
        "\n#define OAUTHMAIL_VERSION \"{version}\"\n#define OAUTHMAIL_VERSION_MAJOR {major}\n\
         #define OAUTHMAIL_VERSION_MINOR {minor}\n#define OAUTHMAIL_VERSION_PATCH {patch}\n"
    ));
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .map_err(|e| format!("cbindgen failed: {e}"))?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    Ok(out)
}
