//! What every CLI test needs: the binary, a scratch folder with configs
//! around small shell programs, and process checks.
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ferrotune::Study;

/// The binary under test; `FERROTUNE_TEST_BIN` points the tests at another
/// build (to check that a test fails on an older binary).
pub fn bin() -> String {
    std::env::var("FERROTUNE_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ferrotune").to_owned())
}

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A config around a shell program `body`, which sees the parameter
    /// `x` (float in [0, 1]) as $FERROTUNE_PARAM_X.
    pub fn config(&self, name: &str, study_extra: &str, body: &str) -> PathBuf {
        self.write(&format!("{name}.sh"), &format!("#!/bin/sh\n{body}\n"));
        self.write(
            &format!("{name}.toml"),
            &format!(
                r#"
[study]
name = "{name}"
direction = "minimize"
{study_extra}

[sampler]
type = "random"
seed = 1

[command]
run = ["sh", "{name}.sh"]
grace_period = 1

[metric]
name = "loss"
step = "epoch"

[params]
x = {{ type = "float", low = 0.0, high = 1.0 }}
"#
            ),
        )
    }

    /// Start the binary in the sandbox with its output piped, to watch or
    /// signal it while it runs.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// The binary with `args`, in the sandbox, without the caller's
    /// FERROTUNE_STORAGE and FERROTUNE_STUDY (which would point every
    /// test's config at the caller's study).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(bin());
        command.args(args).current_dir(self.dir.path()).env_remove("FERROTUNE_STORAGE").env_remove("FERROTUNE_STUDY");
        command
    }

    pub fn study(&self, name: &str) -> Study {
        Study::builder()
            .name(name)
            .storage_url(format!("sqlite:///{}", self.path(&format!("{name}.db")).display()))
            .load()
            .unwrap()
    }
}

pub fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// Whether a process exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ")
}
