//! LSP positions: lines end at `\n`, `\r\n` or `\r`; columns count UTF-8 bytes or UTF-16 code
//! units, as negotiated (`positionEncoding`). Converts the core's byte offsets to positions and
//! back, clamping out-of-range positions as the specification asks (a character past the end
//! of a line means the line end).

use tower_lsp_server::ls_types::{Position, Range};

use syntax::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PositionEncoding {
    Utf8,
    Utf16,
}

/// Line starts of a text, by the LSP's line-ending rules.
pub struct LineMap<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineMap<'a> {
    pub fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineMap { text, starts }
    }

    /// The text of line `line` without its line ending, and its start offset.
    fn line(&self, line: usize) -> (usize, &'a str) {
        let start = self.starts[line];
        let end = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        let content = self.text[start..end].trim_end_matches(['\n', '\r']);
        (start, content)
    }

    pub fn position(&self, offset: usize, enc: PositionEncoding) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let (start, content) = self.line(line);
        let upto = &content[..(offset - start).min(content.len())];
        let character = match enc {
            PositionEncoding::Utf8 => upto.len(),
            PositionEncoding::Utf16 => upto.encode_utf16().count(),
        };
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, r: TextRange, enc: PositionEncoding) -> Range {
        Range::new(self.position(r.start, enc), self.position(r.end, enc))
    }

    /// The byte offset of a position; past the end of a line means the line end, past the
    /// last line means the end of the text; inside a character means its start.
    pub fn offset(&self, pos: Position, enc: PositionEncoding) -> usize {
        let line = pos.line as usize;
        if line >= self.starts.len() {
            return self.text.len();
        }
        let (start, content) = self.line(line);
        start + column_to_byte(content, pos.character as usize, enc)
    }
}

/// The byte index in `line` of column `col` (clamped to the line's length).
pub fn column_to_byte(line: &str, col: usize, enc: PositionEncoding) -> usize {
    match enc {
        PositionEncoding::Utf8 => {
            let mut b = col.min(line.len());
            while !line.is_char_boundary(b) {
                b -= 1;
            }
            b
        }
        PositionEncoding::Utf16 => {
            let mut units = 0;
            for (i, c) in line.char_indices() {
                if units + c.len_utf16() > col {
                    return i;
                }
                units += c.len_utf16();
            }
            line.len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_by_encoding_and_line_ending() {
        let text = "a\r\nb😀c\rd\n";
        let m = LineMap::new(text);
        let c = text.find('c').unwrap();
        assert_eq!(m.position(c, PositionEncoding::Utf16), Position::new(1, 3));
        assert_eq!(m.position(c, PositionEncoding::Utf8), Position::new(1, 5));
        assert_eq!(m.offset(Position::new(1, 3), PositionEncoding::Utf16), c);
        // Inside the emoji: its start.
        assert_eq!(
            m.offset(Position::new(1, 2), PositionEncoding::Utf16),
            c - 4
        );
        // A lone \r ends a line; past the end of a line is its end.
        assert_eq!(
            m.position(text.find('d').unwrap(), PositionEncoding::Utf8),
            Position::new(2, 0)
        );
        assert_eq!(m.offset(Position::new(0, 99), PositionEncoding::Utf8), 1);
        assert_eq!(
            m.offset(Position::new(99, 0), PositionEncoding::Utf8),
            text.len()
        );
        assert_eq!(
            m.position(text.len(), PositionEncoding::Utf8),
            Position::new(3, 0)
        );
    }
}
