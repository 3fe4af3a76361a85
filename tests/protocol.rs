//! The remoting protocol's pure parts: body fixtures in every form servers write, and fuzzing of
//! the frame decoder and body parsers (arbitrary and mutated input never panics).

use proptest::prelude::*;
use rocketmq_migrate::cluster::remoting::{body, command, fastjson};
use std::collections::BTreeMap;
use std::path::Path;

fn fixture(name: &str) -> serde_json::Value {
    let bytes = std::fs::read(Path::new("tests/fixtures/bodies").join(name)).unwrap();
    body::parse(&bytes, name).unwrap_or_else(|e| panic!("{e}"))
}

fn corpus() -> Vec<Vec<u8>> {
    let mut out = vec![];
    for e in std::fs::read_dir("tests/fixtures/bodies").unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            out.push(std::fs::read(p).unwrap());
        }
    }
    assert!(out.len() >= 8, "the corpus is there");
    out
}

#[test]
fn cluster_info_with_bare_numeric_keys() {
    let brokers = body::cluster_info(&fixture("cluster_info.java.json")).unwrap();
    assert_eq!(brokers["broker-a"].master(), Some("10.0.0.1:10911"));
    assert_eq!(brokers["broker-a"].addrs[&1], "10.0.0.2:10911");
    assert_eq!(
        brokers["broker-b"].master(),
        None,
        "a broker without master"
    );
}

#[test]
fn committed_offsets_in_the_java_and_the_rust_broker_forms_agree() {
    let java = body::consumer_offsets(&fixture("consumer_offsets.java.json")).unwrap();
    let rust = body::consumer_offsets(&fixture("consumer_offsets.rust.json")).unwrap();
    assert_eq!(java, rust);
    let key = |t: &str, g: &str| (t.to_string(), g.to_string());
    assert_eq!(java[&key("T_ORDER", "G_BILLING")][&2], 121);
    assert_eq!(java[&key("%RETRY%G_NOTIFY", "G_NOTIFY")][&0], 2);
    assert_eq!(java.len(), 3);
    let bad = serde_json::json!({"offsetTable": {"no-at-sign": {"0": 1}}});
    let e = body::consumer_offsets(&bad).unwrap_err();
    assert!(e.contains("not topic@group"), "{e}");
    let bad = serde_json::json!({"offsetTable": {"T@G": {"x": 1}}});
    assert!(body::consumer_offsets(&bad).is_err());
}

#[test]
fn consume_stats_with_object_keys_and_string_keys_agree() {
    let a = body::consume_stats(&fixture("consume_stats.java.json")).unwrap();
    let b = body::consume_stats(&fixture("consume_stats.string-keys.json")).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.queues.len(), 3);
    let backlog: i64 = a
        .queues
        .iter()
        .map(|(_, o)| o.broker_offset - o.consumer_offset)
        .sum();
    assert_eq!(backlog, 20 + 3);
    assert!(a.queues.iter().any(|(q, _)| q.topic == "%RETRY%GID_ORDER"));
    assert_eq!(a.consume_tps, 12.5);
}

#[test]
fn topic_stats_max_offsets() {
    let q = body::topic_stats(&fixture("topic_stats.java.json")).unwrap();
    assert_eq!(q.iter().map(|(_, r)| r.end).sum::<i64>(), 200);
    assert!(q.iter().all(|(_, r)| r.start == 0));
}

#[test]
fn consumer_connection_versions_and_subscriptions() {
    let c = body::consumer_connection(&fixture("consumer_connection.java.json")).unwrap();
    assert_eq!(c.clients.len(), 2);
    assert_eq!(c.clients[0].version.as_deref(), Some("V4_9_4"));
    assert_eq!(c.clients[1].version.as_deref(), Some("V4_3_0"));
    use rocketmq_migrate::model::{Filter, FilterKind};
    let expression = |kind, e: &str| Filter {
        kind,
        expression: e.into(),
    };
    assert_eq!(
        c.subscriptions.into_iter().collect::<Vec<_>>(),
        [
            (
                "AUDIT".to_string(),
                expression(FilterKind::Sql92, "amount > 100")
            ),
            ("ORDER".to_string(), expression(FilterKind::Tag, "*")),
            (
                "PAY".to_string(),
                expression(FilterKind::Tag, "TagA || TagB")
            ),
        ],
        "retry topic left out"
    );
    assert_eq!(
        c.message_model,
        Some(rocketmq_migrate::model::MessageModel::Clustering)
    );
}

/// Two brokers' answers for one group whose clients subscribe T_ORDER differently, merged as the
/// snapshot merges them: both expressions are kept, so the gates can warn. (Real brokers rarely
/// show this: each keeps the subscription with the highest subVersion, the newest client's,
/// whatever the heartbeat order. See tests/who_reads.rs.)
#[test]
fn connection_answers_that_disagree_keep_both_expressions() {
    use rocketmq_migrate::model::{Expressions, Subscriptions, describe, subscribe};
    let answer = |client: &str, expression: &str| {
        let text = format!(
            r#"{{"connectionSet":[{{"clientAddr":"10.1.0.5:52011","clientId":"{client}","language":"JAVA","version":401}}],"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{{"T_ORDER":{{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"{expression}","subVersion":1700000000000,"tagsSet":[],"topic":"T_ORDER"}},"%RETRY%G_BILLING":{{"subString":"*","topic":"%RETRY%G_BILLING"}}}}}}"#
        );
        body::consumer_connection(&body::parse(text.as_bytes(), "connection").unwrap()).unwrap()
    };
    let mut subs = Subscriptions::new();
    for c in [
        answer("10.1.0.5@4711", "*"),
        answer("10.1.0.6@4712", "TagA"),
    ] {
        for (topic, filter) in c.subscriptions {
            subscribe(&mut subs, topic, filter);
        }
    }
    assert_eq!(subs.len(), 1, "the retry topic left out: {subs:?}");
    let Expressions::Seen(seen) = &subs["T_ORDER"] else {
        panic!("expressions shown: {subs:?}")
    };
    assert_eq!(describe(seen), "tag *, tag TagA");
}

#[test]
fn producer_info_leaves_internal_groups_out() {
    let p = body::all_producer_info(&fixture("producer_info.java.json")).unwrap();
    assert_eq!(p.keys().collect::<Vec<_>>(), ["PID_ORDER"]);
    assert_eq!(p["PID_ORDER"][0].addr, "10.1.0.7:40001");
    let snake = body::parse(br#"{"data":{"PID_X":[{"client_id":"c1","remote_ip":"1.2.3.4:5","language":"RUST","version":479,"last_update_timestamp":1}]}}"#, "x").unwrap();
    let p = body::all_producer_info(&snake).unwrap();
    assert_eq!(p["PID_X"][0].client_id, "c1");
    assert_eq!(p["PID_X"][0].addr, "1.2.3.4:5");
}

#[test]
fn topic_and_group_configs() {
    let t = body::topic_configs(&fixture("topic_config.java.json")).unwrap();
    assert_eq!(t["ORDER"].read_queues, 8);
    assert!(t["STOCK"].order);
    let g = body::subscription_groups(&fixture("subscription_groups.java.json")).unwrap();
    assert!(g["GID_BCAST"].broadcast && g["GID_BCAST"].orderly);
    assert_eq!(g["GID_ORDER"].retry_max_times, 16);
}

fn all_parsers(bytes: &[u8]) {
    if let Ok(v) = fastjson::parse(bytes) {
        let _ = body::cluster_info(&v);
        let _ = body::route(&v);
        let _ = body::consume_stats(&v);
        let _ = body::consumer_offsets(&v);
        let _ = body::topic_stats(&v);
        let _ = body::consumer_connection(&v);
        let _ = body::producer_connection(&v);
        let _ = body::all_producer_info(&v);
        let _ = body::topic_configs(&v);
        let _ = body::subscription_groups(&v);
        let _ = body::topic_list(&v);
        let _ = body::delay_offsets(&v);
        let _ = body::runtime_info(&v);
    }
    let _ = body::properties(bytes);
}

fn arb_command() -> impl Strategy<Value = command::Command> {
    (
        any::<i16>(),
        0usize..14,
        any::<i16>(),
        any::<i32>(),
        0i32..4,
        proptest::option::of("[ -~]{0,40}"),
        proptest::collection::btree_map("[A-Za-z]{1,12}", "[ -~]{0,20}", 0..6),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(code, lang, version, opaque, flag, remark, ext, body)| command::Command {
                code: code as i32,
                language: [
                    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP",
                    "GO", "PHP", "OMS", "RUST", "NODE_JS",
                ][lang]
                    .into(),
                version: version as i32,
                opaque,
                flag,
                remark: remark.filter(|r| !r.is_empty()),
                ext: ext.into_iter().collect::<BTreeMap<_, _>>(),
                body,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn frames_round_trip_in_both_header_forms(c in arb_command()) {
        prop_assert_eq!(command::decode(&command::encode(&c)[4..]).unwrap(), c.clone());
        prop_assert_eq!(command::decode(&command::encode_binary(&c)[4..]).unwrap(), c);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = command::decode(&bytes);
        all_parsers(&bytes);
    }

    #[test]
    fn mutated_frames_never_panic(c in arb_command(), cuts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), binary in any::<bool>()) {
        let mut f = if binary { command::encode_binary(&c) } else { command::encode(&c) };
        for (i, b) in cuts {
            let i = i.index(f.len());
            f[i] = b;
        }
        let _ = command::decode(&f[4..]);
    }

    #[test]
    fn mutated_corpus_bodies_never_panic(pick in any::<prop::sample::Index>(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6), cut in any::<prop::sample::Index>()) {
        let corpus = corpus();
        let mut b = corpus[pick.index(corpus.len())].clone();
        for (i, v) in edits {
            let i = i.index(b.len());
            b[i] = v;
        }
        let keep = cut.index(b.len() + 1);
        b.truncate(keep.max(b.len() / 2));
        all_parsers(&b);
    }
}

#[test]
fn a_table_read_in_pages_is_the_table_read_at_once() {
    use rocketmq_migrate::cluster::remoting::paging::{Next, Pager, TOPICS};
    use std::collections::BTreeMap;
    // The header a paging broker answers with: how many topics the whole table holds.
    let header = BTreeMap::from([("totalTopicNum".to_string(), "3".to_string())]);
    let mut pager = Pager::new(TOPICS);
    let mut next = Next::Ask(0);
    for page in [
        "topic_config.page1.java.json",
        "topic_config.page2.java.json",
    ] {
        assert_ne!(next, Next::Done, "asked for no more than the total");
        let v = fixture(page);
        let items = body::topic_configs(&v).unwrap();
        next = pager.take(items, body::data_version(&v), &header).unwrap();
    }
    assert_eq!(next, Next::Done);
    let whole = body::topic_configs(&fixture("topic_config.whole.java.json")).unwrap();
    assert_eq!(pager.table, whole);
    assert_eq!(whole.len(), 3);
    // The second page was asked for from where the first ended, with the table's version.
    let mut again = Pager::new(TOPICS);
    let v = fixture("topic_config.page1.java.json");
    again
        .take(
            body::topic_configs(&v).unwrap(),
            body::data_version(&v),
            &header,
        )
        .unwrap();
    let ask = again.request();
    assert_eq!(ask["topicSeq"], "2");
    assert!(ask["dataVersion"].contains("\"counter\":12"), "{ask:?}");
}
