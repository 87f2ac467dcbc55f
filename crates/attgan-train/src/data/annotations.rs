//! CelebA's annotation files: `list_attr_celeba.txt` (and CelebA-HQ's
//! `CelebAMask-HQ-attribute-anno.txt`, same layout) and `list_eval_partition.txt`.
//!
//! Attribute file: line 1 the number of images, line 2 the attribute names, then one line per
//! image, `000001.jpg -1  1  1 -1 ...`, split on whitespace (CRLF accepted), values +-1.

use std::path::Path;

use super::error::{DataError, Result, io_error};

/// The parsed attribute file.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeTable {
    /// Attribute names in file order.
    pub names: Vec<String>,
    /// Image file names in file order.
    pub files: Vec<String>,
    /// One row per image, values in {0, 1} ((v + 1) / 2 of the file's +-1).
    pub values: Vec<Vec<u8>>,
}

impl AttributeTable {
    /// Column of each of `wanted` (by name), or an error naming the unknown one and the file.
    pub fn columns<S: AsRef<str>>(&self, wanted: &[S], path: &Path) -> Result<Vec<usize>> {
        wanted
            .iter()
            .map(|w| {
                let w = w.as_ref();
                self.names.iter().position(|n| n == w).ok_or_else(|| DataError::Malformed {
                    path: path.to_path_buf(),
                    line: 2,
                    message: format!("no attribute `{w}` in this file; it has: {}", self.names.join(" ")),
                })
            })
            .collect()
    }
}

fn read_text(path: &Path, what: &'static str, hint: &str) -> Result<String> {
    if !path.is_file() {
        return Err(DataError::Missing { path: path.to_path_buf(), what, hint: hint.to_string() });
    }
    std::fs::read_to_string(path).map_err(io_error(path))
}

/// Lines with their 1-based numbers, skipping blank ones (trailing newlines, CRLF remnants).
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.trim().is_empty())
}

/// Parses an attribute file; `hint` describes the expected layout for the missing-file error.
pub fn parse_attribute_file(path: &Path, hint: &str) -> Result<AttributeTable> {
    let text = read_text(path, "attribute file", hint)?;
    let malformed = |line: usize, message: String| DataError::Malformed { path: path.to_path_buf(), line, message };
    let mut lines = numbered_lines(&text);
    let (n_line, count) = lines.next().ok_or_else(|| malformed(1, "the file is empty".into()))?;
    let count: usize = count
        .trim()
        .parse()
        .map_err(|_| malformed(n_line, format!("expected the number of images, found `{}`", count.trim())))?;
    let (names_line, names) =
        lines.next().ok_or_else(|| malformed(n_line + 1, "missing the line of attribute names".into()))?;
    let names: Vec<String> = names.split_whitespace().map(str::to_string).collect();
    if names.is_empty() {
        return Err(malformed(names_line, "empty line of attribute names".into()));
    }
    if let Some(bad) = names.iter().find(|n| n.parse::<i64>().is_ok()) {
        return Err(malformed(
            names_line,
            format!("expected attribute names, found the number `{bad}` (is the count line missing?)"),
        ));
    }
    let mut files = Vec::with_capacity(count);
    let mut values = Vec::with_capacity(count);
    for (line, text) in lines {
        let mut fields = text.split_whitespace();
        let file = fields.next().expect("blank lines are skipped");
        let row: Vec<&str> = fields.collect();
        if row.len() != names.len() {
            return Err(malformed(line, format!("`{file}` has {} values for {} attributes", row.len(), names.len())));
        }
        let parsed = row
            .iter()
            .zip(&names)
            .map(|(v, name)| match *v {
                "1" => Ok(1u8),
                "-1" => Ok(0u8),
                other => Err(malformed(line, format!("`{file}`: {name} is `{other}`, expected 1 or -1"))),
            })
            .collect::<Result<Vec<u8>>>()?;
        files.push(file.to_string());
        values.push(parsed);
    }
    if files.len() != count {
        return Err(malformed(1, format!("the header announces {count} images but the file lists {}", files.len())));
    }
    Ok(AttributeTable { names, files, values })
}

/// Which part of the data a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// Training images.
    Train,
    /// Validation images.
    Val,
    /// Test images.
    Test,
}

impl Split {
    /// The split's number in `list_eval_partition.txt`: 0 train, 1 val, 2 test.
    pub const fn code(self) -> u8 {
        match self {
            Split::Train => 0,
            Split::Val => 1,
            Split::Test => 2,
        }
    }

    /// The split of 0-based row `row` under a row split: train `[0, train_end)`, val
    /// `[train_end, val_end)`, test the rest.
    pub fn of_row(row: usize, train_end: usize, val_end: usize) -> Split {
        if row < train_end {
            Split::Train
        } else if row < val_end {
            Split::Val
        } else {
            Split::Test
        }
    }
}

impl Split {
    /// The three splits in order.
    pub const ALL: [Split; 3] = [Split::Train, Split::Val, Split::Test];
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
        })
    }
}

impl std::str::FromStr for Split {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "train" => Ok(Split::Train),
            "val" | "valid" | "validation" => Ok(Split::Val),
            "test" => Ok(Split::Test),
            other => Err(format!("unknown split `{other}`; expected train, val or test")),
        }
    }
}

/// Parses `list_eval_partition.txt`: `000001.jpg 0` per line (0 train, 1 val, 2 test).
pub fn parse_partition_file(path: &Path) -> Result<Vec<(String, Split)>> {
    let text = read_text(path, "partition file", "expected lines `000001.jpg 0` (0 train, 1 val, 2 test)")?;
    numbered_lines(&text)
        .map(|(line, text)| {
            let fields: Vec<&str> = text.split_whitespace().collect();
            let malformed = |message: String| DataError::Malformed { path: path.to_path_buf(), line, message };
            match fields.as_slice() {
                [file, code] => match Split::ALL.into_iter().find(|s| s.code().to_string() == *code) {
                    Some(split) => Ok((file.to_string(), split)),
                    None => Err(malformed(format!("`{file}` has partition `{code}`, expected 0, 1 or 2"))),
                },
                _ => Err(malformed(format!("expected `<file> <0|1|2>`, found `{}`", text.trim()))),
            }
        })
        .collect()
}
