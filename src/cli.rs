//! The command line: commands and flags, with help text taken from these doc comments.

use crate::diagnostics::{ColorChoice, exit};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Check operations runbooks against a schema and render them into a searchable static site.
#[derive(Debug, Parser)]
#[command(name = "opsbook", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new site: opsbook.toml and content/ with example runbooks.
    #[command(after_help = "Example:\n  opsbook init runbooks && cd runbooks && opsbook serve")]
    Init {
        /// Folder to create the site in (default: the current folder).
        dir: Option<PathBuf>,
    },
    /// Add a runbook from a template with every section the schema asks for.
    #[command(
        after_help = "Example:\n  opsbook new database/failover --template alert --title \"Fail over the primary\""
    )]
    New(NewArgs),
    /// Check every runbook and report findings (exit 1 when any is an error).
    Check(CheckArgs),
    /// Check and render the site into the output folder.
    #[command(
        after_help = "Examples:\n  opsbook build                       the site here, into public/\n  opsbook build docs --out site --base-url https://runbooks.example.com/"
    )]
    Build(BuildArgs),
    /// Print the JSON Schema of the front matter (the site's own fields included), for editors.
    #[command(after_help = "Example:\n  opsbook schema > .opsbook-schema.json")]
    Schema {
        /// Site root (default: the current folder).
        root: Option<PathBuf>,
    },
    /// Serve the site on localhost, rebuild on every change and reload open tabs.
    #[command(after_help = "Example:\n  opsbook serve --open")]
    Serve(ServeArgs),
    /// Remove the output folder, but only what opsbook wrote into it.
    #[command(after_help = "Example:\n  opsbook clean docs")]
    Clean {
        /// Site root (default: the current folder).
        root: Option<PathBuf>,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  opsbook completions bash > ~/.local/share/bash-completion/completions/opsbook"
    )]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page of opsbook, or of one of its commands (roff, for `man`).
    #[command(
        after_help = "Examples:\n  opsbook man | man -l -\n  opsbook man check > opsbook-check.1"
    )]
    Man {
        /// The command whose page to print (default: opsbook's own).
        command: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateKind {
    /// Responding to an incident: triage, mitigation, communication.
    Incident,
    /// A planned procedure: preparation, steps, rollback.
    Maintenance,
    /// The answer to one alert: meaning, impact, diagnosis, mitigation.
    Alert,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Where to create the runbook, under content/ (e.g. `database/failover`).
    pub path: String,
    /// The runbook's title (default: from the file name).
    #[arg(long)]
    pub title: Option<String>,
    /// Which kind of runbook to start from.
    #[arg(long, value_enum, default_value_t = TemplateKind::Incident)]
    pub template: TemplateKind,
    /// Site root (default: the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Date written as last_reviewed (default: today).
    #[arg(long, env = "OPSBOOK_TODAY", value_parser = parse_date)]
    pub today: Option<NaiveDate>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  opsbook check                                  every runbook of the site here
  opsbook check docs --format sarif --output opsbook.sarif
  opsbook check content/db/failover.md           that runbook, and links to it that broke
  opsbook check --changed-since origin/main      what this branch changed (CI: `auto`)
  opsbook check --format markdown --max-bytes 60000 > comment.md")]
pub struct CheckArgs {
    /// The site root (a folder; default: the current folder); or files to report on, with the
    /// findings elsewhere that they cause (a link to a runbook deleted or renamed), the site being
    /// the current folder or `--root`. The whole site is always checked.
    #[arg(value_name = "ROOT | FILE")]
    pub paths: Vec<PathBuf>,
    /// The site root, when files are named.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Report on the files changed since this git commit or branch: from their merge base to
    /// HEAD, renames followed, plus uncommitted and new files. `auto` takes the base of the pull
    /// request (GITHUB_BASE_REF) or merge request (CI_MERGE_REQUEST_DIFF_BASE_SHA).
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = crate::report::Format::Human)]
    pub format: crate::report::Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The most bytes the Markdown summary takes (`--format markdown`, and the job summary):
    /// findings that do not fit are counted, not listed. GitHub takes 65,536 characters in a
    /// comment and 1 MiB in a job summary.
    #[arg(long, value_name = "BYTES", default_value_t = 65_536, value_parser = parse_max_bytes)]
    pub max_bytes: usize,
    /// Do not append the Markdown summary to `$GITHUB_STEP_SUMMARY` (done whenever GitHub
    /// Actions sets it, whatever the format).
    #[arg(long)]
    pub no_summary: bool,
    /// Report only findings that are not in this earlier `--format json` report.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Prometheus rule files: check each alert's runbook_url and the runbooks' `alerts` lists.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub alert_rules: Vec<PathBuf>,
    /// Treat warnings as errors for the exit code.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Also report the reviews falling due from today to this many days ahead
    /// (`review-due-soon`, a warning unless [rules] says otherwise): for a scheduled job that
    /// reminds owners before their reviews are overdue.
    #[arg(long, value_name = "DAYS")]
    pub due_within: Option<u32>,
    /// The date review rules compare against (YYYY-MM-DD), for reproducible CI results.
    #[arg(long, env = "OPSBOOK_TODAY", value_parser = parse_date)]
    pub today: Option<NaiveDate>,
    /// When to colour the report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Site root (default: the current folder).
    pub root: Option<PathBuf>,
    /// Output folder (default: `output_dir` from opsbook.toml, `public` under the root).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The URL the site is served from (overrides `[site] base_url`).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Include runbooks marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
    /// Fail on any error-level finding, not only those that break the site.
    #[arg(long)]
    pub strict: bool,
    /// The date review rules compare against (YYYY-MM-DD).
    #[arg(long, env = "OPSBOOK_TODAY", value_parser = parse_date)]
    pub today: Option<NaiveDate>,
    /// When to colour findings.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Site root (default: the current folder).
    pub root: Option<PathBuf>,
    /// Port to listen on (default: 3000, or the next free port after it).
    #[arg(long)]
    pub port: Option<u16>,
    /// Address to listen on; anything but a loopback address makes the site reachable by others.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Open the site in a browser.
    #[arg(long)]
    pub open: bool,
    /// Watch by polling instead of file-system events (network mounts, some containers).
    #[arg(long)]
    pub poll: bool,
    /// Include runbooks marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
    /// The date review rules compare against (YYYY-MM-DD).
    #[arg(long, env = "OPSBOOK_TODAY", value_parser = parse_date)]
    pub today: Option<NaiveDate>,
}

fn parse_max_bytes(s: &str) -> Result<usize, String> {
    let min = crate::report::MIN_SUMMARY_BYTES;
    match s.replace('_', "").parse::<usize>() {
        Ok(n) if n >= min => Ok(n),
        Ok(_) => Err(format!("the summary needs {min} bytes at least")),
        Err(_) => Err(format!("`{s}` is not a number of bytes")),
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; write YYYY-MM-DD"))
}

/// Prints an error that stops the command; returns the exit code for it.
pub fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    exit::FAILURE
}

/// The date review rules compare against: `--today`/`OPSBOOK_TODAY`, else the local date.
pub fn today_or_now(today: Option<NaiveDate>) -> NaiveDate {
    today.unwrap_or_else(|| chrono::Local::now().date_naive())
}
