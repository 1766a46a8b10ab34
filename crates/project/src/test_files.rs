//! Test files under `tests/` (datafile-spec §11): what each test reads.
//!
//! * Classic data-quality tests (`tests/**/*.y*ml`): a list of `- <name>:` maps with a `sql`
//!   query (block scalar or one line) and/or `pipe: {name: …}`.
//! * Forward tests (`tests/<pipe>.yaml`): a list of `- name: …` maps with `parameters` and
//!   `expected_result`; the file tests the pipe named like the file.
//!
//! Only the shapes these tools write are read; this is not a general YAML parser.

use syntax::block::{MappedText, Segment};
use syntax::text::TextRange;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    pub name: String,
    pub name_range: TextRange,
    /// The `sql` query, mapped to the YAML file.
    pub sql: Option<MappedText>,
    /// `pipe: {name: x}` (Classic) or the file's pipe (Forward).
    pub pipe: Option<(String, TextRange)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestFile {
    pub path: String,
    /// Forward-style (`tests/<pipe>.yaml` with expected results).
    pub forward: bool,
    pub cases: Vec<TestCase>,
}

/// Whether a project path is a test file this module reads (`regression.yaml` holds regression
/// tests of another shape and is skipped, as `tb test run` does).
pub fn is_test_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    (path.starts_with("tests/") || path.contains("/tests/"))
        && (name.ends_with(".yaml") || name.ends_with(".yml"))
        && !name.starts_with("regression.")
}

struct YamlLine<'a> {
    indent: usize,
    /// The text after the indent and any `- ` list markers.
    content: &'a str,
    /// Offset of `content` in the file.
    at: usize,
    list_item: bool,
    range: TextRange,
}

fn yaml_lines(text: &str) -> Vec<YamlLine<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let indent = line.len() - line.trim_start_matches(' ').len();
        let mut content = &line[indent..];
        let mut at = start + indent;
        let list_item = content.starts_with("- ") || content == "-";
        if list_item {
            let rest = content[1..].trim_start_matches(' ');
            at += content.len() - rest.len();
            content = rest;
        }
        out.push(YamlLine {
            indent,
            content,
            at,
            list_item,
            range: TextRange::new(start, start + line.len()),
        });
        start += raw.len();
    }
    out
}

fn key_value(content: &str) -> Option<(&str, &str)> {
    let (k, v) = content.split_once(':')?;
    let k = k.trim();
    if k.is_empty() || k.contains(' ') && !k.starts_with(['"', '\'']) {
        return None;
    }
    Some((k.trim_matches(['"', '\'']), v.trim()))
}

fn unquote(v: &str) -> &str {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

pub fn read(path: &str, text: &str) -> TestFile {
    let lines = yaml_lines(text);
    let forward = lines.iter().any(|l| {
        matches!(
            key_value(l.content),
            Some(("expected_result" | "parameters" | "expected_http_status", _))
        )
    });
    let stem = path
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .split('.')
        .next()
        .unwrap_or("")
        .to_string();
    let mut cases: Vec<TestCase> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        if l.list_item && l.indent == 0 {
            if let Some((k, v)) = key_value(l.content) {
                let (name, name_range) = if forward {
                    let n = if k == "name" { unquote(v) } else { "" };
                    let at = l.at + l.content.find(v).unwrap_or(0);
                    (n.to_string(), TextRange::new(at, at + v.len()))
                } else {
                    (k.to_string(), TextRange::new(l.at, l.at + k.len()))
                };
                cases.push(TestCase {
                    name,
                    name_range,
                    sql: None,
                    pipe: forward.then(|| (stem.clone(), name_range)),
                });
            }
        }
        let Some(case) = cases.last_mut() else {
            i += 1;
            continue;
        };
        match key_value(l.content) {
            Some(("sql", v)) if !forward => {
                if v.starts_with('|') || v.starts_with('>') {
                    let (m, next) = block_scalar(&lines, i, text);
                    case.sql = Some(m);
                    i = next;
                    continue;
                }
                let at = l.at + l.content.find(v).unwrap_or(0);
                let inner = unquote(v);
                let off = at + usize::from(inner.len() != v.len());
                case.sql = Some(MappedText {
                    text: inner.to_string(),
                    segments: vec![Segment {
                        text_start: 0,
                        file_start: off,
                        len: inner.len(),
                        included: false,
                        origin: None,
                    }],
                    margin: String::new(),
                });
            }
            Some(("pipe", v)) if !forward => {
                // `pipe: {name: x}` or a nested `name: x` on the next lines.
                let inline = v.trim_start_matches('{').split(',').find_map(|p| {
                    key_value(p.trim().trim_end_matches('}')).filter(|(k, _)| *k == "name")
                });
                if let Some((_, n)) = inline {
                    let at = l.at + l.content.find(n).unwrap_or(0);
                    case.pipe = Some((unquote(n).to_string(), TextRange::new(at, at + n.len())));
                } else {
                    let mut j = i + 1;
                    while j < lines.len() && lines[j].indent > l.indent {
                        if let Some(("name", n)) = key_value(lines[j].content) {
                            let at = lines[j].at + lines[j].content.find(n).unwrap_or(0);
                            case.pipe =
                                Some((unquote(n).to_string(), TextRange::new(at, at + n.len())));
                        }
                        j += 1;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    TestFile {
        path: path.to_string(),
        forward,
        cases,
    }
}

/// The block scalar starting at the key on line `i`: the more-indented lines after it, dedented
/// by the first one's indent. Returns the text and the index of the line after the block.
fn block_scalar(lines: &[YamlLine], i: usize, text: &str) -> (MappedText, usize) {
    let key_indent = lines[i].at - lines[i].range.start;
    let mut j = i + 1;
    let mut margin: Option<usize> = None;
    let mut m = MappedText::default();
    let mut pending_blank = 0;
    while j < lines.len() {
        let l = &lines[j];
        let raw = &text[l.range.start..l.range.end];
        if raw.trim().is_empty() {
            pending_blank += 1;
            j += 1;
            continue;
        }
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        if indent <= key_indent {
            break;
        }
        let margin = *margin.get_or_insert(indent);
        let skip = margin.min(indent);
        for _ in 0..pending_blank {
            m.text.push('\n');
        }
        pending_blank = 0;
        if !m.segments.is_empty() {
            m.text.push('\n');
        }
        m.segments.push(Segment {
            text_start: m.text.len(),
            file_start: l.range.start + skip,
            len: raw.len() - skip,
            included: false,
            origin: None,
        });
        m.text.push_str(&raw[skip..]);
        j += 1;
    }
    (m, j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_quality_test() {
        let text = "- no_dupes:\n    max_time: null\n    sql: |\n      SELECT count() c\n      FROM visits_mv\n      HAVING c > 1\n- by_pipe:\n    pipe:\n      name: daily\n    sql: SELECT 1\n";
        let f = read("tests/q.yaml", text);
        assert!(!f.forward);
        assert_eq!(f.cases.len(), 2);
        let sql = f.cases[0].sql.as_ref().unwrap();
        assert_eq!(sql.text, "SELECT count() c\nFROM visits_mv\nHAVING c > 1");
        let from = sql.text.find("visits_mv").unwrap();
        assert_eq!(&text[sql.to_file(from)..sql.to_file(from) + 9], "visits_mv");
        assert_eq!(f.cases[1].pipe.as_ref().unwrap().0, "daily");
        assert_eq!(f.cases[1].sql.as_ref().unwrap().text, "SELECT 1");
    }

    #[test]
    fn forward_test_reads_its_pipe() {
        let f = read(
            "tests/top_pages.yaml",
            "- name: one day\n  parameters: a=1\n  expected_result: |\n    {\"x\":1}\n",
        );
        assert!(f.forward);
        assert_eq!(f.cases[0].name, "one day");
        assert_eq!(f.cases[0].pipe.as_ref().unwrap().0, "top_pages");
        assert!(is_test_file("tests/top_pages.yaml"));
        assert!(!is_test_file("tests/regression.yaml"));
    }
}
