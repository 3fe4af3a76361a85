//! Plan errors that name the file, line, column and field, and say how to fix it.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub file: PathBuf,
    /// 1-based line and column, when the error has a place in the file.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted path of the field, e.g. `batch[2].consumer_groups` or `gates.settle_window`.
    pub field: String,
    pub problem: String,
    pub fix: String,
    /// The offending line, unless it may hold a secret.
    pub snippet: Option<String>,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if self.field.is_empty() {
            writeln!(f, ": {}", self.problem)?;
        } else {
            writeln!(f, ": `{}`: {}", self.field, self.problem)?;
        }
        if let (Some(line), Some(snippet)) = (self.line, &self.snippet) {
            writeln!(f, "  {line:>4} | {snippet}")?;
        }
        write!(f, "  fix: {}", self.fix)
    }
}

/// All errors found in one plan: validation reports every problem at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanErrors(pub Vec<PlanError>);

impl fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the plan has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PlanErrors {}

/// Maps byte offsets of the plan text to lines, fields and safe snippets.
pub struct Locator<'a> {
    pub file: PathBuf,
    pub text: &'a str,
}

impl Locator<'_> {
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    fn line_text(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.saturating_sub(1))
    }

    /// The line, shown to help the operator, unless it may carry a secret value.
    fn snippet(&self, line: usize) -> Option<String> {
        let text = self.line_text(line)?.trim_end();
        let key = text.split('=').next().unwrap_or("").to_ascii_lowercase();
        let risky = ["secret", "password", "passwd", "token", "sk"]
            .iter()
            .any(|w| key.contains(w));
        if risky
            && text.contains('=')
            && !key.trim().ends_with("_env")
            && !key.trim().ends_with("_file")
        {
            let k = text.split('=').next().unwrap_or("").trim_end();
            return Some(format!("{k} = <value hidden>"));
        }
        Some(text.to_string())
    }

    /// The dotted path of the table the offset sits in, e.g. `batch[2]` or `gates`.
    pub fn section_at(&self, offset: usize) -> String {
        let offset = offset.min(self.text.len());
        let mut section = String::new();
        let mut counts: std::collections::HashMap<String, usize> = Default::default();
        let mut pos = 0;
        for line in self.text.split_inclusive('\n') {
            if pos > offset {
                break;
            }
            let t = line.trim();
            if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
                let name = name.trim().to_string();
                let n = counts.entry(name.clone()).or_insert(0);
                *n += 1;
                section = format!("{name}[{n}]");
            } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
                let name = name.trim();
                section = match name.strip_prefix("batch.") {
                    // a sub-table of the current batch
                    Some(sub) => {
                        format!("batch[{}].{sub}", counts.get("batch").copied().unwrap_or(0))
                    }
                    None => name.to_string(),
                };
            }
            pos += line.len();
        }
        section
    }

    /// The key written on the offset's line, if it is a `key = value` line.
    fn key_at(&self, offset: usize) -> Option<String> {
        let (line, _) = self.line_col(offset);
        let text = self.line_text(line)?.trim();
        if text.starts_with('[') || !text.contains('=') {
            return None;
        }
        Some(text.split('=').next()?.trim().trim_matches('"').to_string())
    }

    pub fn field_at(&self, offset: usize) -> String {
        let section = self.section_at(offset);
        match (self.key_at(offset), section.is_empty()) {
            (Some(k), true) => k,
            (Some(k), false) => format!("{section}.{k}"),
            (None, _) => section,
        }
    }

    pub fn error(
        &self,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> PlanError {
        let (line, column) = match &span {
            Some(s) => {
                let (l, c) = self.line_col(s.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        PlanError {
            file: self.file.clone(),
            line,
            column,
            field: field.into(),
            problem: problem.into(),
            fix: fix.into(),
            snippet: line.and_then(|l| self.snippet(l)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_fields_are_found() {
        let text = "[source]\nkind = \"x\"\n[[batch]]\nname = \"a\"\n[[batch]]\nname = \"b\"\n[batch.subscriptions]\nG = [\"T\"]\n";
        let loc = Locator {
            file: "m.toml".into(),
            text,
        };
        assert_eq!(loc.field_at(text.find("kind").unwrap()), "source.kind");
        assert_eq!(loc.field_at(text.find("\"b\"").unwrap()), "batch[2].name");
        assert_eq!(
            loc.field_at(text.find("G =").unwrap()),
            "batch[2].subscriptions.G"
        );
    }

    #[test]
    fn secret_lines_are_hidden() {
        let text = "secret_key = \"abc\"\nsecret_key_env = \"SK\"\n";
        let loc = Locator {
            file: "m.toml".into(),
            text,
        };
        assert_eq!(loc.snippet(1).unwrap(), "secret_key = <value hidden>");
        assert_eq!(loc.snippet(2).unwrap(), "secret_key_env = \"SK\"");
    }
}
