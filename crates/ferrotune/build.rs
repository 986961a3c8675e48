//! Records the commit the crate is built from, so that `ferrotune --version`
//! and the Python package's `__commit__` can say which code they run.
//!
//! Sources, first found wins: `FERROTUNE_COMMIT` in the environment (a build
//! from a packaged crate or an sdist, where there is no repository), then
//! `git rev-parse` in the source tree, else "unknown".

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=FERROTUNE_COMMIT");
    let commit = std::env::var("FERROTUNE_COMMIT").ok().filter(|c| !c.trim().is_empty()).or_else(git_head);
    println!("cargo:rustc-env=FERROTUNE_COMMIT={}", commit.as_deref().map_or("unknown", str::trim));
}

/// The checked-out commit, and a rerun of this script whenever it moves.
fn git_head() -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    // Only ferrotune's own repository counts: a packaged crate unpacked
    // inside someone else's repository must not report their commit.
    if git(&["rev-parse", "--show-prefix"])?.trim_end_matches('/') != "crates/ferrotune" {
        return None;
    }
    let commit = git(&["rev-parse", "HEAD"])?;
    // HEAD names a branch, whose ref file (or packed-refs) moves with each
    // commit. Only existing files are watched: cargo reruns a script whose
    // watched file is missing on every build.
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &name]) {
            if std::path::Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    Some(commit)
}
