//! `ferrotune`: tune any program from a TOML file.
//!
//! A thin layer over the library: the config becomes a search space, a
//! sampler and a pruner; each trial is a subprocess; everything else is the
//! library's study loop and storage. Exit codes: 0 success, 1 runtime
//! failure, 2 bad config or arguments, 130 interrupted.

// No panic reachable from user input (issue 17): outside tests, the code
// may not unwrap, expect, panic or index unchecked. Where a call provably
// cannot fail, an `#[allow]` on it says why. CI runs clippy with these.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]

mod commands;
mod config;
mod dashboard;
mod metrics;
mod options;
mod output;
mod plot;
mod process;
mod progress;
#[cfg(test)]
mod properties;
mod runner;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use output::errln;

/// `ferrotune --version`: the version and the commit it was built from,
/// as `ferrotune.__version__` and `ferrotune.__commit__` give them in Python.
static VERSION: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{} (commit {})", env!("CARGO_PKG_VERSION"), ferrotune::BUILD_COMMIT));

#[derive(Parser)]
#[command(name = "ferrotune", version = VERSION.as_str(), about = "Tune the hyperparameters of any program.", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

/// Which study a command reads: from a config, or named directly.
#[derive(Args, Clone)]
struct Target {
    /// Tuning config whose study to use.
    #[arg(short, long, value_name = "TUNE.TOML")]
    config: Option<PathBuf>,
    #[command(flatten)]
    over: StudyFlags,
}

/// The storage URL and study name over a config's `[study]` table (or,
/// without a config, naming the study). Precedence: flag, environment
/// variable, config, default.
#[derive(Args, Clone, Default)]
struct StudyFlags {
    /// Storage URL, e.g. postgresql://user@host/db or sqlite:///tune.db:
    /// over the config's [study] storage, or instead of a config
    /// [env: FERROTUNE_STORAGE]
    #[arg(long, value_name = "URL")]
    storage: Option<String>,
    /// Study name: over the config's [study] name, or with --storage
    /// [env: FERROTUNE_STUDY]
    #[arg(long, value_name = "NAME")]
    study: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

/// What `export` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    Table,
    Csv,
    Json,
    /// An Optuna SQLite database (needs --output FILE.db).
    Optuna,
    /// TensorBoard HParams logs (needs --output DIR).
    Tensorboard,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run (or resume) the study a config describes.
    #[command(
        after_help = "Examples:\n  ferrotune run tune.toml\n  ferrotune run tune.toml --n-trials 50 --json > trials.jsonl\n  FERROTUNE_STORAGE=postgresql://tuner@db/studies ferrotune run tune.toml\n\nRunning the same config again continues the study. Ctrl-C stops running trials and re-enqueues them for the next run. Workers on many machines share one study by running the same config against one PostgreSQL URL (--storage or FERROTUNE_STORAGE over the config's)."
    )]
    Run {
        /// The tuning config.
        config: PathBuf,
        #[command(flatten)]
        over: StudyFlags,
        /// Total number of trials for the study (overrides study.n_trials).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        n_trials: Option<u64>,
        /// Print only the final summary.
        #[arg(short, long, conflicts_with = "json")]
        quiet: bool,
        /// Print one JSON object per finished trial, then a summary.
        #[arg(long)]
        json: bool,
    },
    /// List the studies in a storage.
    #[command(
        after_help = "Examples:\n  ferrotune studies --storage sqlite:///tune.db\n  ferrotune studies -c tune.toml"
    )]
    Studies {
        #[command(flatten)]
        target: Target,
    },
    /// List a study's trials.
    #[command(
        after_help = "Examples:\n  ferrotune trials -c tune.toml\n  ferrotune trials -c tune.toml --state complete --format csv > trials.csv"
    )]
    Trials {
        #[command(flatten)]
        target: Target,
        /// Only trials in these states (running, waiting, complete, pruned, failed).
        #[arg(long, value_delimiter = ',')]
        state: Vec<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Show the best trial (or the Pareto front).
    #[command(
        after_help = "Examples:\n  ferrotune best -c tune.toml\n  ferrotune best -c tune.toml --json | jq .params"
    )]
    Best {
        #[command(flatten)]
        target: Target,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Queue a hand-picked configuration; the next trial runs it.
    #[command(after_help = "Example:\n  ferrotune enqueue -c tune.toml --param lr=0.001 --param optimizer=adam")]
    Enqueue {
        /// The tuning config (its parameters check the values).
        #[arg(short, long)]
        config: PathBuf,
        #[command(flatten)]
        over: StudyFlags,
        /// NAME=VALUE, repeatable; parameters left out are sampled.
        #[arg(long = "param", value_name = "NAME=VALUE", required = true)]
        params: Vec<String>,
    },
    /// Start a trial and print its parameters as JSON (for shell loops).
    #[command(
        after_help = "Example:\n  trial=$(ferrotune ask -c tune.toml)\n  lr=$(echo \"$trial\" | jq -r .params.lr)\n  ferrotune tell -c tune.toml --trial $(echo \"$trial\" | jq .trial) --value 0.93"
    )]
    Ask {
        #[arg(short, long)]
        config: PathBuf,
        #[command(flatten)]
        over: StudyFlags,
        /// Print shell assignments (TRIAL=7, then one NAME=value per
        /// parameter) for `eval`, instead of JSON.
        #[arg(long)]
        shell: bool,
    },
    /// Finish a trial started with `ask`.
    #[command(
        after_help = "Examples:\n  ferrotune tell -c tune.toml --trial 3 --value 0.93\n  ferrotune tell -c tune.toml --trial 4 --state failed --reason \"out of memory\""
    )]
    Tell {
        #[arg(short, long)]
        config: PathBuf,
        #[command(flatten)]
        over: StudyFlags,
        /// The trial number `ask` printed.
        #[arg(long)]
        trial: u64,
        /// Objective value (repeat for several objectives); inf and -inf
        /// are accepted.
        #[arg(long = "value", allow_hyphen_values = true, value_parser = parse_number)]
        values: Vec<f64>,
        /// pruned or failed, instead of values.
        #[arg(long, conflicts_with = "values")]
        state: Option<String>,
        /// Why the trial failed (with --state failed).
        #[arg(long)]
        reason: Option<String>,
        /// Finish the trial even though a live `ferrotune run` owns it.
        #[arg(long)]
        force: bool,
    },
    /// Write all trials as CSV or JSON, studies as an Optuna database, or TensorBoard logs.
    #[command(
        after_help = "Examples:\n  ferrotune export -c tune.toml --format csv -o trials.csv\n  ferrotune export --storage sqlite:///tune.db --study mlp --format json\n  ferrotune export --storage sqlite:///tune.db --format optuna --out optuna.db\n  ferrotune export -c tune.toml --format tensorboard --out runs && tensorboard --logdir runs\n\n--format tensorboard writes each finished trial as a run (trial-N) with its parameters, metrics and status, for TensorBoard's HPARAMS tab; writing again replaces them.\n\n--format optuna writes a new SQLite file in Optuna 5's schema, which Optuna, optuna-dashboard and Optuna scripts open as their own (optuna.load_study(study_name=..., storage=\"sqlite:///optuna.db\")): every study of the storage, or the one --study or --config names. It never overwrites a file."
    )]
    Export {
        #[command(flatten)]
        target: Target,
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Output file (default: standard output; required for --format optuna, a folder for --format tensorboard).
        #[arg(short, long, visible_alias = "out")]
        output: Option<PathBuf>,
    },
    /// Copy studies from an Optuna database into a ferrotune storage.
    #[command(
        after_help = "Examples:\n  ferrotune import sqlite:///optuna.db --storage sqlite:///tune.db\n  ferrotune import postgresql://optuna@db/optuna --study mlp --study cnn --storage sqlite:///tune.db\n\nReads Optuna's RDB storage (SQLite or PostgreSQL, Optuna 3.0 to 5.x) without changing it, and copies every study (or those named by --study) with all its trials: parameters and their distributions, values, intermediate values, attributes, states. A study whose name the ferrotune storage already has is refused, and nothing is written."
    )]
    Import {
        /// The Optuna storage URL: sqlite:///optuna.db, or postgresql://user@host/database.
        #[arg(value_name = "OPTUNA_URL")]
        optuna_url: String,
        /// Import only this study (repeat for several; default: every study).
        #[arg(long = "study", value_name = "NAME")]
        studies: Vec<String>,
        /// The ferrotune storage to import into [env: FERROTUNE_STORAGE].
        #[arg(long, value_name = "URL")]
        storage: Option<String>,
    },
    /// Delete a study and all its trials.
    #[command(after_help = "Example:\n  ferrotune delete --storage sqlite:///tune.db --study old-run")]
    Delete {
        #[command(flatten)]
        target: Target,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Delete even while a live `ferrotune run` is running its trials.
        #[arg(long)]
        force: bool,
    },
    /// Draw a plot of a study as an SVG, PNG or HTML file.
    #[command(
        after_help = "Examples:\n  ferrotune plot optimization-history -c tune.toml -o history.svg\n  ferrotune plot contour -c tune.toml --params lr,batch_size -o contour.png\n  ferrotune plot pareto-front --storage sqlite:///tune.db --study mo -o front.html\n  ferrotune plot slice -c tune.toml --target-objective 1 -o - > slice.svg\n\nKinds: optimization-history, parallel-coordinate, slice, contour, param-importances, intermediate-values, pareto-front, timeline, edf, rank, hypervolume-history."
    )]
    Plot(Box<plot::PlotArgs>),
    /// Watch and explore studies in the browser, live.
    #[command(
        after_help = "Examples:\n  ferrotune dashboard -c tune.toml\n  ferrotune dashboard --storage sqlite:///tune.db --port 8081\n  FERROTUNE_DASHBOARD_TOKEN=secret ferrotune dashboard --storage postgresql://me@db/studies --host 0.0.0.0\n\nThe dashboard only reads the storage (SQLite read-only), so it never slows or locks a running study. Bound to another address than 127.0.0.1, every request must carry a token (--token, the environment variable, or one made up and printed)."
    )]
    Dashboard {
        /// Tuning config whose storage to show.
        #[arg(short, long, value_name = "TUNE.TOML")]
        config: Option<PathBuf>,
        /// Storage URL, e.g. sqlite:///tune.db: over the config's [study]
        /// storage, or instead of a config [env: FERROTUNE_STORAGE]
        #[arg(long, value_name = "URL")]
        storage: Option<String>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on (0: any free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Token every request must carry (or FERROTUNE_DASHBOARD_TOKEN).
        #[arg(long)]
        token: Option<String>,
    },
    /// (internal) Stops the trials of a `ferrotune run` that died.
    #[command(name = "__guard", hide = true)]
    Guard {
        /// Seconds between SIGTERM and SIGKILL.
        grace: String,
    },
}

/// A number for `--value`: also `inf`, `-inf` and `nan`, which clap's
/// number parsing takes for flags or rejects.
fn parse_number(text: &str) -> Result<f64, String> {
    text.trim().parse::<f64>().map_err(|_| format!("'{text}' is not a number"))
}

/// An error and the exit code it maps to.
enum CliError {
    /// Bad config or arguments: exit 2.
    Usage(String),
    /// Everything else: exit 1.
    Runtime(String),
}

impl From<config::ConfigError> for CliError {
    fn from(e: config::ConfigError) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<ferrotune::Error> for CliError {
    fn from(e: ferrotune::Error) -> Self {
        match e {
            ferrotune::Error::StudyNotFound(_)
            | ferrotune::Error::InvalidArgument(_)
            | ferrotune::Error::InvalidOption { .. } => CliError::Usage(e.to_string()),
            e => CliError::Runtime(e.to_string()),
        }
    }
}

impl From<runner::RunFailure> for CliError {
    fn from(e: runner::RunFailure) -> Self {
        match e {
            runner::RunFailure::Usage(m) => CliError::Usage(m),
            runner::RunFailure::Runtime(m) => CliError::Runtime(m),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Another process holding the database (a `sqlite3` shell in a
    // transaction, a backup) makes every command wait; say so once rather
    // than hang silently.
    ferrotune::storage::SqliteStorage::set_lock_wait_hook(std::time::Duration::from_secs(2), |path, _| {
        static TOLD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if !TOLD.swap(true, std::sync::atomic::Ordering::SeqCst) {
            errln!("waiting for a lock on {} held by another process...", path.display());
        }
    });
    let result = dispatch(cli.command);
    // Output that could not be written (a full disk behind `> file`) is a
    // failure even when the work itself succeeded.
    let result = match (result, output::stdout_error()) {
        (Ok(_), Some(e)) => Err(CliError::Runtime(format!("cannot write to standard output: {e}"))),
        (result, _) => result,
    };
    match result {
        Ok(code) => code,
        Err(CliError::Usage(m)) => {
            errln!("error: {m}");
            ExitCode::from(2)
        }
        Err(CliError::Runtime(m)) => {
            errln!("error: {m}");
            ExitCode::from(1)
        }
    }
}

/// One function per subcommand; this only routes.
fn dispatch(command: Cmd) -> Result<ExitCode, CliError> {
    match command {
        Cmd::Run { config, over, n_trials, quiet, json } => commands::run(config, over, n_trials, quiet, json),
        Cmd::Studies { target } => commands::studies(target),
        Cmd::Trials { target, state, format } => commands::trials(target, state, format),
        Cmd::Best { target, json } => commands::best(target, json),
        Cmd::Enqueue { config, over, params } => commands::enqueue(config, over, params),
        Cmd::Ask { config, over, shell } => commands::ask(config, over, shell),
        Cmd::Tell { config, over, trial, values, state, reason, force } => {
            commands::tell(config, over, trial, values, state, reason, force)
        }
        Cmd::Export { target, format, output } => commands::export(target, format, output),
        Cmd::Import { optuna_url, studies, storage } => commands::import(&optuna_url, studies, storage),
        Cmd::Guard { grace } => Ok(process::guardian_main(&grace)),
        Cmd::Delete { target, yes, force } => commands::delete(target, yes, force),
        Cmd::Plot(args) => plot::plot(*args),
        Cmd::Dashboard { config, storage, host, port, token } => {
            dashboard::dashboard(config, storage, host, port, token)
        }
    }
}
