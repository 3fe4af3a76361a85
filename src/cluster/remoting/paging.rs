//! Metadata tables read in pages, as brokers since 5.3 serve them (`enableSplitMetadata`):
//! GET_ALL_TOPIC_CONFIG with `topicSeq`/`maxTopicNum`/`dataVersion`, answered with
//! `totalTopicNum` in the header; GET_ALL_SUBSCRIPTIONGROUP_CONFIG alike with `groupSeq`,
//! `maxGroupNum`, `totalGroupNum`. A signed request without the paging fields may be refused
//! there, and a broker that pages answers at most `splitMetadataSize` (2,000) items a page. An
//! older broker ignores the fields, answers the whole table and no total: one page.
//!
//! The decisions are pure: `Pager` says what to ask next from each answer; the admin client
//! makes the calls.

use serde_json::Value;
use std::collections::BTreeMap;

/// The fields of one table's paging.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub seq: &'static str,
    pub max: &'static str,
    pub total: &'static str,
}

pub const TOPICS: Fields = Fields {
    seq: "topicSeq",
    max: "maxTopicNum",
    total: "totalTopicNum",
};

pub const GROUPS: Fields = Fields {
    seq: "groupSeq",
    max: "maxGroupNum",
    total: "totalGroupNum",
};

/// Items asked for per page: what a Java broker serves at most by default.
pub const PAGE: usize = 2000;

/// What to do after a page.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// Ask for the page starting at this position.
    Ask(usize),
    /// The table changed while being read: start again from 0 with the new version.
    Restart,
    Done,
}

/// One table being read, page by page.
#[derive(Debug)]
pub struct Pager<T> {
    fields: Fields,
    pub table: BTreeMap<String, T>,
    seq: usize,
    /// The table's `dataVersion` as the first page of this pass gave it.
    version: Option<Value>,
    pages: usize,
    restarts: usize,
}

impl<T> Pager<T> {
    pub fn new(fields: Fields) -> Pager<T> {
        Pager {
            fields,
            table: BTreeMap::new(),
            seq: 0,
            version: None,
            pages: 0,
            restarts: 0,
        }
    }

    /// The request's paging fields for the next page.
    pub fn request(&self) -> BTreeMap<String, String> {
        let version = self
            .version
            .as_ref()
            .map_or(String::new(), Value::to_string);
        BTreeMap::from([
            (self.fields.seq.to_string(), self.seq.to_string()),
            (self.fields.max.to_string(), PAGE.to_string()),
            ("dataVersion".to_string(), version),
        ])
    }

    /// Takes in one page: its items, its `dataVersion`, and the answer's header. An error when
    /// the pages do not add up (more pages than the total allows).
    pub fn take(
        &mut self,
        items: BTreeMap<String, T>,
        version: Option<Value>,
        header: &BTreeMap<String, String>,
    ) -> Result<Next, String> {
        self.pages += 1;
        let Some(total) = header
            .get(self.fields.total)
            .and_then(|t| t.trim().parse::<usize>().ok())
        else {
            // No total: a broker that does not page answered the whole table.
            self.table.extend(items);
            return Ok(Next::Done);
        };
        if self.version.is_some() && version != self.version {
            self.restarts += 1;
            if self.restarts > 3 {
                return Err("the table changed on every pass while it was read: try again".into());
            }
            self.version = version;
            self.table.clear();
            self.seq = 0;
            return Ok(Next::Restart);
        }
        self.version = version;
        let got = items.len();
        self.seq += got;
        self.table.extend(items);
        if self.seq >= total || got == 0 {
            return Ok(Next::Done);
        }
        if self.pages > total / PAGE.max(1) + 10 {
            return Err(format!(
                "{} pages read and still short of the {total} items the broker counts",
                self.pages
            ));
        }
        Ok(Next::Ask(self.seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(names: &[&str]) -> BTreeMap<String, u32> {
        names.iter().map(|n| (n.to_string(), 1)).collect()
    }

    fn total(n: usize) -> BTreeMap<String, String> {
        BTreeMap::from([("totalTopicNum".to_string(), n.to_string())])
    }

    #[test]
    fn pages_are_asked_for_until_the_total_is_read() {
        let mut p = Pager::new(TOPICS);
        assert_eq!(p.request()["topicSeq"], "0");
        assert_eq!(p.request()["maxTopicNum"], "2000");
        assert_eq!(p.request()["dataVersion"], "");
        let v = json!({"counter": 7, "stateVersion": 0, "timestamp": 1700000000000u64});
        let next = p.take(page(&["A", "B"]), Some(v.clone()), &total(3));
        assert_eq!(next, Ok(Next::Ask(2)));
        assert_eq!(p.request()["topicSeq"], "2");
        assert_eq!(
            serde_json::from_str::<Value>(&p.request()["dataVersion"]).unwrap(),
            v,
            "the version is sent back as the broker gave it"
        );
        assert_eq!(p.take(page(&["C"]), Some(v), &total(3)), Ok(Next::Done));
        assert_eq!(p.table.len(), 3);
    }

    #[test]
    fn a_broker_without_paging_answers_everything_at_once() {
        let mut p = Pager::new(GROUPS);
        let next = p.take(page(&["G1", "G2"]), None, &BTreeMap::new());
        assert_eq!(next, Ok(Next::Done));
        assert_eq!(p.table.len(), 2);
    }

    #[test]
    fn a_table_that_changes_while_read_is_read_again() {
        let mut p = Pager::new(TOPICS);
        let v1 = json!({"counter": 1});
        let v2 = json!({"counter": 2});
        assert_eq!(p.take(page(&["A"]), Some(v1), &total(2)), Ok(Next::Ask(1)));
        assert_eq!(p.take(page(&["C"]), Some(v2), &total(3)), Ok(Next::Restart));
        assert!(p.table.is_empty());
        assert_eq!(p.request()["topicSeq"], "0");
    }

    #[test]
    fn an_empty_page_ends_the_read_and_endless_pages_are_an_error() {
        let mut p: Pager<u32> = Pager::new(TOPICS);
        assert_eq!(p.take(BTreeMap::new(), None, &total(5)), Ok(Next::Done));
        // A broker that serves one item a page of 50,000: it cannot be read in the pages
        // 50,000 items take at 2,000 a page (and some slack).
        let mut p = Pager::new(TOPICS);
        let pages = (0..100)
            .map(|i| p.take(page(&[&format!("T{i}")]), None, &total(50_000)))
            .take_while(Result::is_ok)
            .count();
        assert_eq!(pages, 35);
    }
}
