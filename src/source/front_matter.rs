//! Splitting a source file into its YAML front matter and its Markdown body.
//!
//! Front matter is a block between a first line of `---` and the next line that is `---` or
//! `...`. We keep the byte offsets of both parts so every later position is a position in the
//! file the author edits, CRLF or LF, with or without a byte-order mark.

/// Where the parts of a source file are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    /// The YAML text and its byte offset in the file, when the file has front matter.
    pub yaml: Option<(&'a str, usize)>,
    /// The Markdown body and its byte offset in the file.
    pub body: &'a str,
    pub body_offset: usize,
    /// The front matter opened but never closed (the whole file is then the body).
    pub unclosed: bool,
}

fn is_fence(line: &str, marks: &[&str]) -> bool {
    let t = line
        .trim_end_matches(['\n', '\r'])
        .trim_end_matches([' ', '\t']);
    marks.contains(&t)
}

pub fn split(text: &str) -> Split<'_> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[start..];
    let Some(first_end) = rest.find('\n') else {
        return body_only(text, start);
    };
    if !is_fence(&rest[..=first_end], &["---"]) {
        return body_only(text, start);
    }
    let yaml_start = start + first_end + 1;
    let mut pos = yaml_start;
    while pos < text.len() {
        let rest = &text[pos..];
        let line = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(end) => &rest[..=end],
            None => rest,
        };
        if is_fence(line, &["---", "..."]) {
            let body_offset = pos + line.len();
            return Split {
                yaml: Some((&text[yaml_start..pos], yaml_start)),
                body: &text[body_offset..],
                body_offset,
                unclosed: false,
            };
        }
        pos += line.len();
    }
    Split {
        yaml: None,
        body: &text[start..],
        body_offset: start,
        unclosed: true,
    }
}

fn body_only(text: &str, start: usize) -> Split<'_> {
    Split {
        yaml: None,
        body: &text[start..],
        body_offset: start,
        unclosed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lf_and_crlf() {
        let s = split("---\ntitle: A\n---\n# Body\n");
        assert_eq!(s.yaml, Some(("title: A\n", 4)));
        assert_eq!(s.body, "# Body\n");
        let s = split("---\r\ntitle: A\r\n---\r\n# Body\r\n");
        assert_eq!(s.yaml, Some(("title: A\r\n", 5)));
        assert_eq!(s.body, "# Body\r\n");
    }

    #[test]
    fn no_front_matter() {
        let s = split("# Title\n---\n");
        assert!(s.yaml.is_none());
        assert_eq!(s.body_offset, 0);
    }

    #[test]
    fn front_matter_only_and_empty() {
        let s = split("---\nowner: x\n---");
        assert_eq!(s.yaml.unwrap().0, "owner: x\n");
        assert_eq!(s.body, "");
        assert_eq!(split("").body, "");
    }

    #[test]
    fn unclosed() {
        let s = split("---\nowner: x\n# no end\n");
        assert!(s.unclosed);
    }

    #[test]
    fn bom_is_skipped() {
        let s = split("\u{feff}---\nowner: x\n---\nbody");
        assert_eq!(s.yaml.unwrap().1, 7);
    }
}
