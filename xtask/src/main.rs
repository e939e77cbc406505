//! `cargo xtask codegen [--check]`: regenerates `include/oauthmail.h` from the
//! C binding crate with the pinned cbindgen; `--check` fails instead of
//! writing when the checked-in header differs.

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
    let header_path = root.join("include/oauthmail.h");
    let header = c_header(root)?;
    let current = std::fs::read(&header_path).unwrap_or_default();
    if current == header {
        println!("{} is up to date", header_path.display());
        return Ok(());
    }
    if check {
        return Err(format!(
            "{} differs from what the C binding crate generates; run `cargo xtask codegen` and commit the result",
            header_path.display()
        ));
    }
    std::fs::write(&header_path, header).map_err(|e| format!("cannot write {}: {e}", header_path.display()))?;
    println!("wrote {}", header_path.display());
    Ok(())
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
