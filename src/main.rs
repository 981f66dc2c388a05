//! The `mattermost_metrics` executable; see [`mattermost_metrics::cli`].

fn main() -> std::process::ExitCode {
    mattermost_metrics::cli::main()
}
