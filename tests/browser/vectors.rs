//! The entries of `tests/browser/xss-vectors.txt`, for the browser test and for
//! `examples/sanitizer.rs` (both include this file).

use std::path::Path;

/// (label, vector) of every entry: a line `@@ label`, then the vector up to the next such line.
pub fn read(repo: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo.join("tests/browser/xss-vectors.txt")).unwrap();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(label) = line.strip_prefix("@@ ") {
            out.push((label.trim().to_string(), String::new()));
        } else if let Some((_, vector)) = out.last_mut() {
            vector.push_str(line);
        }
    }
    for (_, v) in &mut out {
        v.truncate(v.trim_end_matches('\n').len());
    }
    out
}
