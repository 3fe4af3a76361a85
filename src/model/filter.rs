//! What a consumer receives of a topic: its subscription expression. A broker delivers a group
//! only the messages its expression matches and advances the group's offset past the others, so
//! a target consumer with a narrower expression than the source's loses messages with a backlog
//! of 0. Comparing topic names alone cannot see that.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Per topic, the expressions the group's consumers subscribe with on one cluster.
pub type Subscriptions = BTreeMap<String, Expressions>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expressions {
    /// As the consumers sent them: one when they agree, several when its clients (or the
    /// brokers they heartbeat to) disagree.
    Seen(BTreeSet<Filter>),
    /// The cluster lists the subscription but not its expression (the TDMQ 4.x API): why.
    NotShown(String),
}

/// Adds an expression seen for `topic`.
pub fn subscribe(subs: &mut Subscriptions, topic: String, filter: Filter) {
    match subs
        .entry(topic)
        .or_insert_with(|| Expressions::Seen(BTreeSet::new()))
    {
        Expressions::Seen(set) => {
            set.insert(filter);
        }
        Expressions::NotShown(_) => {}
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilterKind {
    Tag,
    Sql92,
}

/// A subscription expression as the client sent it (`expressionType`, `subString`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Filter {
    pub kind: FilterKind,
    pub expression: String,
}

impl Filter {
    /// Every message of the topic: tag expression `*`.
    pub fn all() -> Filter {
        Filter {
            kind: FilterKind::Tag,
            expression: "*".into(),
        }
    }

    /// From a connection list's `expressionType` and `subString`. A missing type is TAG (the
    /// client default); an unknown one is kept as SQL92-like text compared for equality only,
    /// so it never passes for a tag set.
    pub fn parse(kind: Option<&str>, expression: Option<&str>) -> Filter {
        let expression = expression.unwrap_or("").trim().to_string();
        match kind.map(str::to_ascii_uppercase).as_deref() {
            None | Some("TAG") => Filter {
                kind: FilterKind::Tag,
                expression: if expression.is_empty() {
                    "*".into()
                } else {
                    expression
                },
            },
            Some(_) => Filter {
                kind: FilterKind::Sql92,
                expression,
            },
        }
    }

    /// The tags a TAG expression accepts; `None` for every tag (`*`, or empty) and for SQL92.
    fn tags(&self) -> Option<BTreeSet<&str>> {
        if self.kind != FilterKind::Tag || self.expression == "*" {
            return None;
        }
        Some(
            (self.expression.split("||"))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect(),
        )
    }

    fn takes_every_tag(&self) -> bool {
        self.kind == FilterKind::Tag && self.tags().is_none_or(|t| t.contains("*"))
    }

    /// Whether a consumer subscribed with `self` receives at least every message one with
    /// `other` receives: `*` receives everything; a tag set receives another tag set it
    /// includes; SQL92 is compared as text (two different SQL expressions may match the same
    /// messages, but nothing short of evaluating them on every message could tell).
    pub fn receives_at_least(&self, other: &Filter) -> bool {
        if self.takes_every_tag() {
            return true;
        }
        match (self.kind, other.kind) {
            (FilterKind::Tag, FilterKind::Tag) => match (self.tags(), other.tags()) {
                (Some(mine), Some(theirs)) => !other.takes_every_tag() && theirs.is_subset(&mine),
                _ => false,
            },
            (FilterKind::Sql92, FilterKind::Sql92) => {
                normalized(&self.expression) == normalized(&other.expression)
            }
            _ => false,
        }
    }
}

/// SQL text with runs of whitespace made one space: the same expression typed twice.
fn normalized(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FilterKind::Tag => write!(f, "tag {}", self.expression),
            FilterKind::Sql92 => write!(f, "SQL92 {}", self.expression),
        }
    }
}

/// The expressions of a topic in words: "tag *", or "tag TagA, tag TagB" when they disagree.
pub fn describe(filters: &BTreeSet<Filter>) -> String {
    filters
        .iter()
        .map(Filter::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(e: &str) -> Filter {
        Filter::parse(Some("TAG"), Some(e))
    }

    fn sql(e: &str) -> Filter {
        Filter::parse(Some("SQL92"), Some(e))
    }

    #[test]
    fn a_target_receives_at_least_the_source_only_with_a_wider_or_equal_expression() {
        assert!(tag("*").receives_at_least(&tag("TagA")));
        assert!(tag("*").receives_at_least(&sql("a > 1")));
        assert!(tag("TagA || TagB").receives_at_least(&tag("TagB")));
        assert!(tag("TagB||TagA").receives_at_least(&tag("TagA || TagB")));
        assert!(!tag("TagA").receives_at_least(&tag("*")), "narrower");
        assert!(!tag("TagA").receives_at_least(&tag("TagA || TagB")));
        assert!(!tag("TagA").receives_at_least(&tag("TagB")));
        assert!(sql("a > 1  AND b = 2").receives_at_least(&sql("a > 1 AND b = 2")));
        assert!(!sql("a > 1").receives_at_least(&sql("a > 2")));
        assert!(!sql("TRUE").receives_at_least(&tag("*")), "not provable");
        assert!(!tag("TagA").receives_at_least(&sql("a > 1")));
    }

    #[test]
    fn a_missing_or_empty_expression_is_every_tag() {
        assert_eq!(Filter::parse(None, None), Filter::all());
        assert_eq!(Filter::parse(Some("TAG"), Some("  ")), Filter::all());
        assert_eq!(Filter::parse(Some("tag"), Some("TagA")), tag("TagA"));
        assert_eq!(tag("TagA || TagB").to_string(), "tag TagA || TagB");
        assert_eq!(
            describe(&[tag("TagA"), tag("*")].into_iter().collect()),
            "tag *, tag TagA"
        );
    }
}
