//! The commands: each runs the pipeline as far as it needs and returns an exit code.
//!
//! Messages for people go to stderr; a command's product (the `check` report, a completion
//! script) goes to stdout.

use crate::cli::{BuildArgs, CheckArgs, Cli, Command, fail, today_or_now};
use crate::config::Project;
use crate::diagnostics::{self, Level, Located, exit};
use crate::output;
use crate::render::{self, Theme};
use crate::report::{self, Baseline, Format};
use crate::site::{Keep, LoadOptions, Site};
use clap::CommandFactory;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Init { dir } => crate::scaffold::init(dir.as_deref().unwrap_or(Path::new("."))),
        Command::New(args) => crate::scaffold::new_runbook(&args),
        Command::Check(args) => check(&args),
        Command::Build(args) => build(&args),
        Command::Clean { root } => clean(&root_or_cwd(root)),
        Command::Schema { root } => schema(&root_or_cwd(root)),
        Command::Serve(args) => crate::serve::run(&args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "opsbook", &mut std::io::stdout());
            exit::OK
        }
        Command::Man { command } => man(command.as_deref()),
    }
}

/// Prints the manual page of opsbook or of one command (`opsbook-check(1)`), made from the
/// same definitions as `--help`.
fn man(command: Option<&str>) -> u8 {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let page = match command {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                return fail(format!(
                    "opsbook has no command `{name}`; its commands: {}",
                    names.join(", ")
                ));
            }
        },
    };
    let mut out = std::io::stdout().lock();
    match clap_mangen::Man::new(page).render(&mut out) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            fail(format!("cannot write the manual page: {e}"))
        }
        _ => exit::OK,
    }
}

fn root_or_cwd(root: Option<PathBuf>) -> PathBuf {
    root.unwrap_or_else(|| PathBuf::from("."))
}

/// Loads the site, or returns the exit code of the failure (already reported).
fn load(project: Project, options: &LoadOptions) -> Result<Site, u8> {
    let site = Site::load(project, options);
    if !site.errors.is_empty() {
        for e in &site.errors {
            eprintln!("error: {e}");
        }
        return Err(exit::FAILURE);
    }
    Ok(site)
}

fn summary(site: &Site, located: &[Located]) -> String {
    let counts = diagnostics::count(located);
    let complete = site.runbooks.iter().filter(|r| r.complete).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{} ({} complete): {}, {}",
        plural(site.runbooks.len(), "runbook"),
        complete,
        plural(counts.errors, "error"),
        plural(counts.warnings, "warning"),
    )
}

/// The flavor and content folder a run chose, and why: said after the summary.
fn chosen(site: &Site) -> String {
    let g = &site.project.generator;
    let why = match (&g.source, site.project.config.site.flavor) {
        (_, Some(_)) => " (set in opsbook.toml)".to_string(),
        (Some(file), None) => format!(" (from {file})"),
        (None, None) => String::new(),
    };
    format!(
        "flavor {}{why}, runbooks in {}",
        g.flavor.name(),
        site.project.content_dir.display()
    )
}

/// What the summary adds when files were not read, or nothing was found: "0 runbooks" is never
/// silent.
fn skipped_note(site: &Site) -> Option<String> {
    let content = site.project.content_dir.display();
    if !site.skipped.is_empty() {
        let total: usize = site.skipped.iter().map(|(_, n)| n).sum();
        let kinds: Vec<String> = site
            .skipped
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        return Some(format!(
            "note: {total} file{} in {content} look{} like documents but {} not Markdown that opsbook reads (only *.md is): {}; they are copied as attachments",
            if total == 1 { "" } else { "s" },
            if total == 1 { "s" } else { "" },
            if total == 1 { "is" } else { "are" },
            kinds.join(", ")
        ));
    }
    if site.runbooks.is_empty() {
        return Some(format!(
            "note: no runbook found in {content}: opsbook reads *.md files (a folder's _index.md, README.md or index.md is its section page, not a runbook)"
        ));
    }
    None
}

pub fn check(args: &CheckArgs) -> u8 {
    // `check DIR` names the site (and so does a name that is nowhere and not a file's, for its
    // error); any other paths are files to report on.
    let (root, files) = match (&args.root, args.paths.as_slice()) {
        (None, [dir]) if dir.is_dir() || (!dir.exists() && dir.extension().is_none()) => {
            (dir.clone(), &[][..])
        }
        (root, files) => (root_or_cwd(root.clone()), files),
    };
    let mut project = match Project::detect(&root) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    // Asked for on the command line: on, whatever the configuration's default.
    if args.due_within.is_some()
        && project.config.setting(diagnostics::Rule::ReviewDueSoon) == diagnostics::Setting::Off
    {
        project.config.rules.insert(
            diagnostics::Rule::ReviewDueSoon.code().to_string(),
            crate::config::RuleSetting::Level(crate::config::LevelName::Warning),
        );
    }
    let mut changes = crate::changes::Changes::of_files(files);
    // Asking git runs beside reading the site, so that checking a change costs no more than
    // checking everything.
    let from_git = args.changed_since.clone().map(|reference| {
        let root = project.root.clone();
        std::thread::spawn(move || crate::changes::changed_since(&root, &reference))
    });
    let selective = !files.is_empty() || args.changed_since.is_some();
    let mut baseline = match &args.baseline {
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => return fail(format!("cannot read baseline {}: {e}", path.display())),
            };
            match Baseline::parse(&text) {
                Ok(b) => Some(b),
                Err(e) => return fail(format!("baseline {} {e}", path.display())),
            }
        }
        None => None,
    };
    // Drafts are checked too: they are work in progress, not exempt.
    let options = LoadOptions {
        today: today_or_now(args.today),
        drafts: true,
        exclude: vec![project.output_dir(None)],
        alert_rules: args.alert_rules.clone(),
        render_html: false,
        keep: Keep::ForFindings,
        cache: None,
        due_within: args.due_within,
    };
    let mut site = match load(project, &options) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(asked) = from_git {
        match asked.join().expect("git thread") {
            Ok(c) => {
                changes.present.extend(c.present);
                changes.gone.extend(c.gone);
                changes.old_titles.extend(c.old_titles);
            }
            Err(e) => return fail(e),
        }
    }
    let timer = crate::site::Timer::new();
    let mut located = diagnostics::locate(std::mem::take(&mut site.diagnostics), &site);
    timer.lap("locate findings");
    let mut outside = Vec::new();
    let skipped = skipped_note(&site);
    if selective {
        let all = site.runbooks.len();
        outside = crate::changes::narrow(&mut site, &mut located, &changes);
        eprintln!(
            "reporting on {} of {all} runbooks{}",
            site.runbooks.len(),
            args.changed_since
                .as_ref()
                .map(|r| format!(" (changed since {r})"))
                .unwrap_or_default()
        );
    }
    if let Some(b) = baseline.as_mut() {
        let known = b.filter(&mut located);
        if known > 0 {
            eprintln!("{known} finding(s) already in the baseline were not reported");
        }
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let prefix = report::repository_prefix(&site.project.root);
    let parts: Vec<Vec<u8>> = match args.format {
        Format::Human => {
            let color = args.color.enabled(to_terminal);
            let mut parts = diagnostics::human_chunks(&located, color);
            parts.push(
                format!("checked {}; {}\n", summary(&site, &located), chosen(&site)).into_bytes(),
            );
            parts
        }
        Format::Json => vec![report::json(&site, &located).into_bytes()],
        Format::Sarif => vec![report::sarif(&located, &prefix).into_bytes()],
        Format::Github => vec![report::github(&located, &prefix).into_bytes()],
        Format::Junit => vec![report::junit(&site, &located).into_bytes()],
        Format::Gitlab => vec![report::gitlab(&located, &prefix).into_bytes()],
        Format::Markdown => {
            vec![report::markdown(&site, &located, args.max_bytes, &prefix).into_bytes()]
        }
    };
    timer.lap("report");
    let write_parts = |out: &mut dyn Write| -> std::io::Result<()> {
        for part in &parts {
            out.write_all(part)?;
        }
        out.flush()
    };
    let written = match &args.output {
        Some(path) => std::fs::File::create(path)
            .and_then(|mut file| write_parts(&mut file))
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => match write_parts(&mut std::io::stdout().lock()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(format!("cannot write the report: {e}"))
            }
            _ => Ok(()),
        },
    };
    if let Err(e) = written {
        return fail(e);
    }
    // In GitHub Actions, the summary goes on the run's page too.
    if let Some(summary_file) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty())
        && !args.no_summary
    {
        let text = report::markdown(&site, &located, args.max_bytes, &prefix);
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&summary_file)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = appended {
            return fail(format!(
                "cannot append the summary to GITHUB_STEP_SUMMARY ({}): {e}",
                Path::new(&summary_file).display()
            ));
        }
    }
    if args.output.is_some() || args.format != Format::Human {
        eprintln!("checked {}; {}", summary(&site, &located), chosen(&site));
    }
    for note in skipped.iter().chain(&site.history_note) {
        eprintln!("{note}");
    }
    if !outside.is_empty() {
        eprintln!(
            "note: {} of the files named {} not in the site at {} and {} left out: {}",
            outside.len(),
            if outside.len() == 1 { "is" } else { "are" },
            site.project.root.display(),
            if outside.len() == 1 { "was" } else { "were" },
            outside.join(", ")
        );
    }
    let counts = diagnostics::count(&located);
    // The process ends now: freeing a large site and its findings piece by piece would only
    // cost time.
    std::mem::forget((site, located, parts));
    if counts.errors > 0 || (args.deny_warnings && counts.warnings > 0) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

pub fn schema(root: &Path) -> u8 {
    let project = match Project::detect(root) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let schema = crate::schema::json_schema::json_schema(&project.config.schema);
    println!(
        "{}",
        serde_json::to_string_pretty(&schema).expect("schema serializes")
    );
    exit::OK
}

pub fn build(args: &BuildArgs) -> u8 {
    let started = Instant::now();
    let root = root_or_cwd(args.root.clone());
    let mut project = match Project::detect(&root) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if let Some(base) = &args.base_url {
        if let Some(why) = crate::config::url_problem(base) {
            return fail(format!("--base-url {why}"));
        }
        project.config.site.base_url = base.clone();
    }
    let out = project.output_dir(args.out.as_deref());
    if let Err(e) = output::check_output_dir(&out, &project.root, &project.content_dir) {
        return fail(e);
    }
    let options = LoadOptions {
        today: today_or_now(args.today),
        drafts: args.drafts,
        exclude: vec![out.clone()],
        alert_rules: Vec::new(),
        render_html: true,
        keep: Keep::Nothing,
        cache: None,
        due_within: None,
    };
    let mut site = match load(project, &options) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let timer = crate::site::Timer::new();
    // The findings move into `located`: rendering needs them only with their lines.
    let located = diagnostics::locate(std::mem::take(&mut site.diagnostics), &site);
    timer.lap("locate findings");
    // The site is published whatever its findings (they are on its pages), unless it would be
    // wrong, or the site asks for strictness.
    let strict = args.strict || site.project.config.build.strict;
    let fatal: Vec<Located> = located
        .iter()
        .filter(|d| {
            d.level == Level::Error
                && (strict
                    || crate::diagnostics::Rule::from_code(d.rule).is_some_and(|r| r.fails_build()))
        })
        .cloned()
        .collect();
    let stderr = std::io::stderr();
    let color = args.color.enabled(stderr.is_terminal());
    if !fatal.is_empty() {
        let _ = diagnostics::write_human(&mut stderr.lock(), &fatal, color);
        eprintln!(
            "error: build failed with {} error{}; the previous output in {} was left untouched",
            fatal.len(),
            if fatal.len() == 1 { "" } else { "s" },
            out.display()
        );
        return exit::FINDINGS;
    }
    let theme = match Theme::load(
        site.project.themes_dir.as_deref(),
        &site.project.config.site.theme,
    ) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    // Pages are written into the staging folder as they are rendered; an error drops the
    // staging folder and leaves the previous output as it was.
    let staging = match output::Staging::begin(&out) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    timer.lap("theme and staging");
    let sink = |f: output::OutputFile| staging.write(&f).map_err(|e| e.to_string());
    let taken = render::Taken::from(&mut site);
    let files = match render::render_site(&site, &theme, &located, Some(&taken), &sink) {
        Ok(n) => n,
        Err(e) => return fail(e),
    };
    timer.lap("render and write");
    match staging.finish() {
        Ok(skipped) if !skipped.is_empty() => eprintln!(
            "warning: replacing {}: {}",
            out.display(),
            output::describe_skipped(&skipped)
        ),
        Ok(_) => {}
        Err(e) => return fail(e),
    }
    timer.lap("swap");
    let incomplete = site.runbooks.iter().filter(|r| !r.complete).count();
    eprintln!(
        "built {} into {} ({} files) in {:.2}s",
        summary(&site, &located),
        out.display(),
        files + 1,
        started.elapsed().as_secs_f64()
    );
    if incomplete > 0 || !located.is_empty() {
        eprintln!("note: run `opsbook check` to see every finding");
    }
    if let Some(note) = &site.history_note {
        eprintln!("{note}");
    }
    if let Some(note) = skipped_note(&site) {
        eprintln!("{note}");
    }
    // The process ends now: freeing a large site piece by piece would only cost time.
    std::mem::forget(site);
    exit::OK
}

pub fn clean(root: &Path) -> u8 {
    let project = match Project::detect(root) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let out = project.output_dir(None);
    match output::clean(&out, &project.root, &project.content_dir) {
        Ok(cleaned) => {
            if !cleaned.skipped.is_empty() {
                eprintln!("warning: {}", output::describe_skipped(&cleaned.skipped));
            }
            if cleaned.left.is_empty() {
                eprintln!("removed {}", out.display());
            } else {
                eprintln!(
                    "removed what opsbook wrote in {}; left {} file(s) it did not write: {}",
                    out.display(),
                    cleaned.left.len(),
                    cleaned
                        .left
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            exit::OK
        }
        Err(e) => fail(e),
    }
}
