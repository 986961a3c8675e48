//! `ferrotune dashboard`: start the web dashboard on a storage and serve
//! until stopped. All of it is the `ferrotune-dashboard` crate; this only
//! reads the arguments and says where to look.

use std::path::PathBuf;
use std::process::ExitCode;

use ferrotune_dashboard::{open_storage, Dashboard, DashboardOptions};

use crate::config::{Overrides, TuneConfig, STORAGE_VAR};
use crate::output::{errln, outln};
use crate::CliError;

/// The environment variable that carries the token, so it stays out of the
/// process list.
const TOKEN_VAR: &str = "FERROTUNE_DASHBOARD_TOKEN";

/// A token of 128 random bits, as hex, from the system's random source.
fn random_token() -> Result<String, CliError> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| CliError::Runtime(format!("cannot read /dev/urandom for a token: {e}; pass --token")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Serve the dashboard of the storage a config or URL names.
pub fn dashboard(
    config: Option<PathBuf>,
    storage: Option<String>,
    host: String,
    port: u16,
    token: Option<String>,
) -> Result<ExitCode, CliError> {
    // As every command: --storage, then FERROTUNE_STORAGE, over the
    // config's storage, or naming the storage without a config.
    let overrides = Overrides::new(storage, None).map_err(CliError::Usage)?;
    let (url, origin) = match (config, overrides.storage.clone()) {
        (Some(path), _) => {
            let config = TuneConfig::load(&path, &overrides)?;
            (config.storage_url, config.storage_origin)
        }
        (None, Some(given)) => (given.value, given.origin),
        (None, None) => {
            return Err(CliError::Usage(format!(
                "name the storage: --config TUNE.TOML, or --storage URL (or set {STORAGE_VAR})"
            )))
        }
    };
    let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "::1");
    let token = match token.or_else(|| std::env::var(TOKEN_VAR).ok()).filter(|t| !t.is_empty()) {
        Some(t) => Some(t),
        None if !loopback => Some(random_token()?),
        None => None,
    };
    if !loopback {
        errln!(
            "warning: the dashboard listens on {host}, so other machines can reach it; every request must carry its \
             token. It serves over plain HTTP: use a trusted network or an SSH tunnel."
        );
    }
    let storage = open_storage(&url).map_err(|e| crate::commands::storage_error(&origin, e))?;
    let options = DashboardOptions { host, port, token: token.clone(), ..DashboardOptions::default() };
    let dashboard = Dashboard::start(storage, &options)?;
    match &token {
        Some(t) => outln!("ferrotune dashboard: {}?token={t}  (Ctrl-C to stop)", dashboard.url()),
        None => outln!("ferrotune dashboard: {}  (Ctrl-C to stop)", dashboard.url()),
    }
    dashboard.wait();
    Ok(ExitCode::SUCCESS)
}
