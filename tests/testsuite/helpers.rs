//! A fixture site copied into a temporary folder, and the real binary run on it.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const TODAY: &str = "2026-11-23";

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the repository, when present.
pub fn shared() -> Option<PathBuf> {
    let p = repo().join("../shared");
    p.is_dir().then_some(p)
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the example site (`content/` and `opsbook.toml`).
pub fn example_site() -> Site {
    let site = Site::empty();
    copy_dir(&repo().join("content"), &site.path().join("content"));
    std::fs::copy(
        repo().join("opsbook.toml"),
        site.path().join("opsbook.toml"),
    )
    .unwrap();
    site
}

/// A copy of the OpenShift runbooks under `alerts/`, when ../shared is there.
pub fn openshift_site() -> Option<Site> {
    let Some(shared) = shared() else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr().lock(),
            b"skipped: ../shared is not beside the repository\n",
        );
        return None;
    };
    let site = Site::empty();
    copy_dir(
        &shared.join("corpus/openshift-runbooks/alerts"),
        &site.path().join("alerts"),
    );
    Some(site)
}

/// Writes `pages` generated runbooks (plain flavor) into `dir`, when ../shared is there.
pub fn generate(pages: usize, dir: &Path) -> bool {
    let Some(shared) = shared() else { return false };
    let out = Command::new("python3")
        .arg(shared.join("bench/gen_corpus.py"))
        .args(["--pages", &pages.to_string(), "--flavor", "plain", "--out"])
        .arg(dir)
        .output()
        .expect("run gen_corpus.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

/// The binary under test: this build's, or `OPSBOOK_TEST_BIN` (to show that a regression test
/// fails on an older build: `OPSBOOK_TEST_BIN=/old/target/debug/opsbook cargo test security`).
pub fn binary() -> PathBuf {
    std::env::var_os("OPSBOOK_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_opsbook")))
}

/// What opsbook reads from a CI system's environment.
const CI_VARIABLES: [&str; 3] = [
    "GITHUB_STEP_SUMMARY",
    "GITHUB_BASE_REF",
    "CI_MERGE_REQUEST_DIFF_BASE_SHA",
];

pub struct Site {
    pub dir: tempfile::TempDir,
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }
}

impl Site {
    /// A copy of `tests/fixtures/<name>`.
    pub fn fixture(name: &str) -> Site {
        let site = Site::empty();
        copy_dir(&fixtures().join(name), site.path());
        site
    }

    pub fn empty() -> Site {
        Site {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> &Self {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path().join(rel).exists()
    }

    /// Runs `opsbook ARGS` in the site folder, with a fixed date and no colour.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// Runs `opsbook ARGS` with these environment variables too. The CI variables opsbook reads
    /// are cleared first, so that tests run the same in GitHub Actions or GitLab CI.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(binary());
        cmd.args(args)
            .current_dir(self.path())
            .env("OPSBOOK_TODAY", TODAY)
            .env("NO_COLOR", "1");
        for var in CI_VARIABLES {
            cmd.env_remove(var);
        }
        let out = cmd.envs(env.iter().copied()).output().expect("run opsbook");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts two trees hold the same files with the same bytes, naming the first difference.
    #[track_caller]
    pub fn assert_same_tree(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) {
        let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(a), names(b), "the trees hold different files");
        for ((name, x), (_, y)) in a.iter().zip(b) {
            assert!(x == y, "{name} differs");
        }
    }

    /// Every file under `rel` with its bytes, sorted, for byte-for-byte comparisons.
    pub fn snapshot(&self, rel: &str) -> Vec<(String, Vec<u8>)> {
        let root = self.path().join(rel);
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.file_type().is_file() {
                let name = entry
                    .path()
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((name, std::fs::read(entry.path()).unwrap()));
            }
        }
        out
    }
}

/// Runs git in `dir` as a fixed committer (no signing; `main` the first branch); its output.
#[track_caller]
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_as(dir, "CI", None, args)
}

/// Runs git in `dir` as `who`, the commits dated `date` (midday UTC) when given.
#[track_caller]
pub fn git_as(dir: &Path, who: &str, date: Option<&str>, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.args([
        "-c",
        &format!("user.name={who}"),
        "-c",
        "user.email=dev@example.com",
    ])
    .args([
        "-c",
        "commit.gpgsign=false",
        "-c",
        "init.defaultBranch=main",
    ])
    .args(args)
    .current_dir(dir);
    if let Some(date) = date {
        let stamp = format!("{date}T12:00:00Z");
        cmd.env("GIT_AUTHOR_DATE", &stamp)
            .env("GIT_COMMITTER_DATE", &stamp);
    }
    let out = cmd.output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
