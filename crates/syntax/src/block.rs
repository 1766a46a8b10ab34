//! The text of a `KEYWORD >` block as the official parser hands it to the keyword's handler,
//! with a map from every position of that text back to the file.

use super::reader::Line;
use crate::text::TextRange;

/// One line of block text: `text[text_start..text_start + len]` is the file's
/// `file_start..file_start + len` (for an included line, the map points at the INCLUDE line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub text_start: usize,
    pub file_start: usize,
    pub len: usize,
    /// The line is from an included file: positions in it map to the INCLUDE line only.
    pub included: bool,
    /// For an included line: where in the included file it is written.
    pub origin: Option<SegmentOrigin>,
}

/// Where an included line is written: `text[text_start..]` is the included file's
/// `start..` (only when `exact`: a `$VAR` of the INCLUDE changed nothing on the line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentOrigin {
    /// Which include (index into the file's includes, nested ones included).
    pub include: usize,
    pub start: usize,
    /// The line's text is the included file's text (no variable substituted on it).
    pub exact: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MappedText {
    pub text: String,
    pub segments: Vec<Segment>,
    /// The indentation removed from every line (a dedented SQL block), to put back when text
    /// is inserted into the file.
    pub margin: String,
}

impl MappedText {
    /// The raw lines joined with `\n` (each line keeps its indentation), as the official parser
    /// accumulates a block.
    pub fn from_lines<'a>(lines: impl IntoIterator<Item = &'a Line>) -> Self {
        let mut m = MappedText::default();
        for l in lines {
            m.push_line(l, 0);
        }
        m
    }

    fn push_line(&mut self, l: &Line, skip: usize) {
        if !self.text.is_empty() || !self.segments.is_empty() {
            self.text.push('\n');
        }
        let part = &l.text[skip.min(l.text.len())..];
        self.segments.push(Segment {
            text_start: self.text.len(),
            file_start: l.range.start + if l.origin.is_some() { 0 } else { skip },
            len: part.len(),
            included: l.origin.is_some(),
            origin: l.origin.map(|o| SegmentOrigin {
                include: o.include,
                start: o.range.start + skip.min(l.text.len()),
                exact: o.exact,
            }),
        });
        self.text.push_str(part);
    }

    /// Maps an offset in `text` to an offset in the file.
    pub fn to_file(&self, offset: usize) -> usize {
        let i = match self
            .segments
            .binary_search_by(|s| s.text_start.cmp(&offset))
        {
            Ok(i) => i,
            Err(0) => return self.segments.first().map_or(0, |s| s.file_start),
            Err(i) => i - 1,
        };
        let s = &self.segments[i];
        if s.included {
            return s.file_start;
        }
        s.file_start + (offset - s.text_start).min(s.len)
    }

    /// The offset in `text` of `offset` of the file of include `include` (an index into the
    /// file's includes), where a line of that file is copied here exactly.
    pub fn from_origin(&self, include: usize, offset: usize) -> Option<usize> {
        self.segments.iter().find_map(|s| {
            let o = s.origin.filter(|o| o.exact && o.include == include)?;
            (o.start <= offset && offset <= o.start + s.len)
                .then(|| s.text_start + offset - o.start)
        })
    }

    /// Whether the text range is written in this file (not in an included `.incl`, whose
    /// positions all map to the INCLUDE line): only such a range may be edited here.
    pub fn is_written_here(&self, r: TextRange) -> bool {
        let segment = |offset: usize| match self
            .segments
            .binary_search_by(|s| s.text_start.cmp(&offset))
        {
            Ok(i) => self.segments.get(i),
            Err(0) => self.segments.first(),
            Err(i) => self.segments.get(i - 1),
        };
        [r.start, r.end]
            .iter()
            .all(|&o| segment(o).is_none_or(|s| !s.included))
    }

    /// Where a range of `text` is written when it lies in one included line that no variable
    /// changed: the include (index into the file's includes) and the range in that file.
    pub fn origin(&self, r: TextRange) -> Option<(usize, TextRange)> {
        let i = match self
            .segments
            .binary_search_by(|s| s.text_start.cmp(&r.start))
        {
            Ok(i) => i,
            Err(0) => return None,
            Err(i) => i - 1,
        };
        let s = &self.segments[i];
        let o = s.origin.filter(|o| o.exact)?;
        (r.end <= s.text_start + s.len)
            .then(|| {
                TextRange::new(
                    o.start + (r.start - s.text_start),
                    o.start + (r.end - s.text_start),
                )
            })
            .map(|range| (o.include, range))
    }

    pub fn range_to_file(&self, r: TextRange) -> TextRange {
        let start = self.to_file(r.start);
        let end = self.to_file(r.end).max(start);
        TextRange::new(start, end)
    }

    /// The SQL handler's processing (datafile-spec §2.1): a block whose first non-blank character
    /// is `%` (a template) is only stripped; any other block is dedented (common leading white
    /// space removed, as Python's textwrap.dedent) and right-stripped.
    pub fn sql_from_lines(lines: &[&Line]) -> Self {
        let templated = lines
            .iter()
            .find_map(|l| l.text.trim_start().chars().next())
            .is_some_and(|c| c == '%');
        let mut m = MappedText::default();
        if templated {
            for (n, l) in lines.iter().enumerate() {
                let skip = if n == 0 {
                    l.text.len() - l.text.trim_start().len()
                } else {
                    0
                };
                m.push_line(l, skip);
            }
        } else {
            let margin = common_margin(lines.iter().map(|l| l.text.as_str()));
            for l in lines {
                m.push_line(l, margin.len());
            }
            m.margin = margin.to_string();
        }
        m.trim_end();
        m
    }

    fn trim_end(&mut self) {
        let trimmed = self.text.trim_end().len();
        self.text.truncate(trimmed);
        while let Some(last) = self.segments.last() {
            let n = self.segments.len();
            if last.text_start > trimmed || (last.text_start == trimmed && n > 1) {
                self.segments.pop();
            } else {
                let last = self.segments.last_mut().expect("checked");
                last.len = last.len.min(trimmed - last.text_start);
                break;
            }
        }
    }
}

/// The longest common leading run of spaces and tabs of all lines that are not only spaces and
/// tabs (Python's textwrap.dedent).
/// The leading white space every non-blank line shares (Python's `textwrap.dedent` margin).
pub fn common_margin<'a>(lines: impl Iterator<Item = &'a str>) -> &'a str {
    let mut margin: Option<&str> = None;
    for l in lines {
        let rest = l.trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            continue;
        }
        let indent = &l[..l.len() - rest.len()];
        margin = Some(match margin {
            None => indent,
            Some(m) => {
                let common = m
                    .bytes()
                    .zip(indent.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                &m[..common]
            }
        });
    }
    margin.unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::split_lines;

    #[test]
    fn dedent_keeps_a_map_to_the_file() {
        let file = "SQL >\n    SELECT a\n      FROM t  \n";
        let lines = split_lines(file);
        let body: Vec<&Line> = lines[1..].iter().collect();
        let m = MappedText::sql_from_lines(&body);
        assert_eq!(m.text, "SELECT a\n  FROM t");
        let from = m.text.find("FROM").unwrap();
        assert_eq!(&file[m.to_file(from)..m.to_file(from) + 4], "FROM");
    }

    #[test]
    fn templated_sql_is_only_stripped() {
        let file = "SQL >\n    %\n    SELECT 1\n";
        let lines = split_lines(file);
        let body: Vec<&Line> = lines[1..].iter().collect();
        assert_eq!(MappedText::sql_from_lines(&body).text, "%\n    SELECT 1");
    }
}
