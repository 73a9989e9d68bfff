//! Step 6: write the site into a staging folder beside the output, then swap it in.
//!
//! A failed build therefore leaves the previous output byte-identical. opsbook records what it
//! wrote in a manifest inside the output folder and only ever deletes files listed there: an
//! output folder that holds anything else, that is the site root (or above it), or that holds the
//! content, is refused before anything is written.

use rayon::prelude::*;
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

pub const MANIFEST: &str = ".opsbook-manifest.json";
const STAGING_MARKER: &str = ".opsbook-staging";

#[derive(Debug, Clone)]
pub enum Content {
    Bytes(Vec<u8>),
    Copy(PathBuf),
}

#[derive(Debug, Clone)]
pub struct OutputFile {
    /// Output-relative path with `/` separators.
    pub path: String,
    pub content: Content,
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0}")]
    Refused(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> OutputError {
    let context = context.into();
    move |source| OutputError::Io { context, source }
}

/// An absolute, `..`-free version of `p` (resolving symlinks where the path exists).
pub fn absolute(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    // Canonicalize the longest existing prefix, then append the rest.
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for part in rest.into_iter().rev() {
        out.push(part);
    }
    let mut clean = PathBuf::new();
    for c in out.components() {
        match c {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    clean
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    generator: String,
    version: u32,
    files: Vec<String>,
}

fn read_manifest(out: &Path) -> Option<Vec<String>> {
    let text = fs::read_to_string(out.join(MANIFEST)).ok()?;
    let m: Manifest = serde_json::from_str(&text).ok()?;
    (m.generator == "opsbook").then_some(m.files)
}

/// Every file below `dir`, relative, with `/` separators (symlinks are listed, not followed).
fn list_files(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        if !entry.file_type().is_dir() {
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            out.push(crate::diagnostics::display_path(rel));
        }
    }
    Ok(out)
}

/// Refuses output folders opsbook must not write to (SPEC "Output and limits").
pub fn check_output_dir(out: &Path, root: &Path, content: &Path) -> Result<(), OutputError> {
    let (out_abs, root_abs, content_abs) = (absolute(out), absolute(root), absolute(content));
    let shown = out.display();
    if root_abs.starts_with(&out_abs) {
        return Err(OutputError::Refused(format!(
            "refusing to write the site into {shown}: it is the site root or a folder above it; choose an output folder such as `public`"
        )));
    }
    if content_abs.starts_with(&out_abs) {
        return Err(OutputError::Refused(format!(
            "refusing to write the site into {shown}: it holds the content folder"
        )));
    }
    if out_abs.exists() && !out_abs.is_dir() {
        return Err(OutputError::Refused(format!(
            "refusing to write the site into {shown}: it is a file, not a folder"
        )));
    }
    if out_abs.is_dir() {
        let present = list_files(&out_abs).map_err(io_err(format!("cannot list {shown}")))?;
        if present.is_empty() {
            return Ok(());
        }
        let Some(ours) = read_manifest(&out_abs) else {
            return Err(OutputError::Refused(format!(
                "refusing to write the site into {shown}: it is not empty and opsbook did not create it (no {MANIFEST}); empty it, or choose another folder with --out"
            )));
        };
        let ours: BTreeSet<&str> = ours.iter().map(String::as_str).collect();
        let foreign: Vec<&String> = present
            .iter()
            .filter(|p| p.as_str() != MANIFEST && !ours.contains(p.as_str()))
            .collect();
        if !foreign.is_empty() {
            let list: Vec<&str> = foreign.iter().take(5).map(|s| s.as_str()).collect();
            return Err(OutputError::Refused(format!(
                "refusing to replace {shown}: it holds {} file(s) opsbook did not write ({}{}); move them out, or choose another folder with --out",
                foreign.len(),
                list.join(", "),
                if foreign.len() > 5 { ", …" } else { "" }
            )));
        }
    }
    Ok(())
}

fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    out.with_file_name(format!(".{name}.{suffix}"))
}

/// Writes `files` as the new content of `out`. Call `check_output_dir` first.
pub fn write_site(out: &Path, files: &[OutputFile]) -> Result<(), OutputError> {
    let out = absolute(out);
    let staging = sibling(&out, "opsbook-staging");
    if staging.exists() {
        // Left over from an interrupted build: ours only if it carries our marker.
        if staging.join(STAGING_MARKER).is_file() {
            fs::remove_dir_all(&staging)
                .map_err(io_err(format!("cannot remove {}", staging.display())))?;
        } else {
            return Err(OutputError::Refused(format!(
                "{} exists and was not made by opsbook; remove it and build again",
                staging.display()
            )));
        }
    }
    if let Some(parent) = out.parent() {
        fs::create_dir_all(parent)
            .map_err(io_err(format!("cannot create {}", parent.display())))?;
    }
    let result = stage(&staging, files).and_then(|()| swap(&staging, &out));
    if result.is_err() && staging.join(STAGING_MARKER).is_file() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn stage(staging: &Path, files: &[OutputFile]) -> Result<(), OutputError> {
    fs::create_dir(staging).map_err(io_err(format!("cannot create {}", staging.display())))?;
    fs::write(staging.join(STAGING_MARKER), b"").map_err(io_err("cannot write staging marker"))?;
    let target = |path: &str| {
        let mut t = staging.to_path_buf();
        t.extend(path.split('/'));
        t
    };
    // Folders first (in order), then the files in parallel: creating files dominates.
    let dirs: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|f| target(&f.path).parent().map(Path::to_path_buf))
        .collect();
    for dir in &dirs {
        fs::create_dir_all(dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
    }
    files.par_iter().try_for_each(|f| {
        let to = target(&f.path);
        match &f.content {
            Content::Bytes(bytes) => fs::write(&to, bytes),
            Content::Copy(src) => fs::copy(src, &to).map(|_| ()),
        }
        .map_err(io_err(format!("cannot write {}", f.path)))
    })?;
    let mut names: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    names.sort();
    let manifest = Manifest {
        generator: "opsbook".into(),
        version: 1,
        files: names,
    };
    let json = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    fs::write(staging.join(MANIFEST), json + "\n").map_err(io_err("cannot write the manifest"))?;
    fs::remove_file(staging.join(STAGING_MARKER))
        .map_err(io_err("cannot remove staging marker"))?;
    Ok(())
}

fn swap(staging: &Path, out: &Path) -> Result<(), OutputError> {
    if !out.exists() {
        return fs::rename(staging, out).map_err(io_err(format!(
            "cannot move the new site into {}",
            out.display()
        )));
    }
    let old = sibling(out, "opsbook-old");
    if old.exists() {
        remove_owned(&old)?;
    }
    fs::rename(out, &old).map_err(io_err(format!("cannot move {} aside", out.display())))?;
    if let Err(e) = fs::rename(staging, out) {
        // Put the previous site back.
        let _ = fs::rename(&old, out);
        return Err(io_err(format!(
            "cannot move the new site into {}",
            out.display()
        ))(e));
    }
    remove_owned(&old)
}

/// Deletes a previous output: only the files its manifest lists, then the folders left empty.
pub fn remove_owned(dir: &Path) -> Result<(), OutputError> {
    let files = read_manifest(dir).unwrap_or_default();
    files.par_iter().try_for_each(|f| {
        let mut p = dir.to_path_buf();
        p.extend(f.split('/').filter(|part| *part != ".."));
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(format!("cannot remove {}", p.display()))(e)),
        }
    })?;
    let _ = fs::remove_file(dir.join(MANIFEST));
    // Remove empty folders, deepest first.
    let mut folders: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.path().to_path_buf())
        .collect();
    folders.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for f in folders {
        let _ = fs::remove_dir(&f); // fails, harmlessly, when something else is inside
    }
    Ok(())
}

/// Whether `dir` is an output folder opsbook wrote.
pub fn is_ours(dir: &Path) -> bool {
    read_manifest(dir).is_some()
}

/// `opsbook clean`: removes what the manifest lists. Returns files left behind (not ours).
pub fn clean(dir: &Path) -> Result<Vec<String>, OutputError> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let shown = dir.display();
    if !is_ours(dir) {
        let present = list_files(dir).map_err(io_err(format!("cannot list {shown}")))?;
        if present.is_empty() {
            return Ok(Vec::new());
        }
        return Err(OutputError::Refused(format!(
            "refusing to clean {shown}: opsbook did not write it (no {MANIFEST})"
        )));
    }
    remove_owned(dir)?;
    if dir.exists() {
        return list_files(dir).map_err(io_err(format!("cannot list {shown}")));
    }
    Ok(Vec::new())
}
