//! The local Tencent Cloud API server's TDMQ 5.x instance (trocket 2023-03-08), driven with
//! signed requests over a plain socket: paging, the create errors, an unknown instance, and a
//! topic's subscriptions.

mod support;

use rocketmq_migrate::cluster::tdmq::sign;
use rocketmq_migrate::plan::Secret;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use support::tdmq_server::{SECRET_ID, SECRET_KEY, Server};

/// One signed POST of `action` to the server; the parsed JSON answer.
fn call_version(server: &Server, version: &str, action: &str, params: &Value) -> Value {
    let addr = server.url.trim_start_matches("http://");
    let body = params.to_string();
    let service = if version == "2023-03-08" {
        "trocket"
    } else {
        "tdmq"
    };
    let host = format!("{service}.tencentcloudapi.com");
    let ct = "application/json";
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let signed = sign::sign(
        &sign::Request {
            service,
            host: &host,
            action,
            content_type: ct,
            timestamp: ts,
            body: body.as_bytes(),
            sign_action: false,
        },
        &Secret::new(SECRET_KEY),
    );
    let auth = sign::authorization(SECRET_ID, service, &signed);
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: {ct}\r\nX-TC-Action: {action}\r\nX-TC-Version: {version}\r\nX-TC-Timestamp: {ts}\r\nX-TC-Region: ap-guangzhou\r\nAuthorization: {auth}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let (_, json) = reply.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {reply}"))
}

fn call(server: &Server, action: &str, params: Value) -> Value {
    call_version(server, "2023-03-08", action, &params)["Response"].clone()
}

fn code(r: &Value) -> &str {
    r["Error"]["Code"].as_str().unwrap_or("")
}

#[test]
fn groups_page_by_offset_and_limit() {
    let server = Server::start_instance("rmq-test");
    {
        let mut st = server.state.lock().unwrap();
        for i in 0..250 {
            st.add_instance_group(&format!("G_{i:03}"), &[], 0);
        }
    }
    let mut names = vec![];
    let mut pages = 0;
    for offset in (0..).step_by(100) {
        let r = call(
            &server,
            "DescribeConsumerGroupList",
            json!({ "InstanceId": "rmq-test", "Offset": offset, "Limit": 100 }),
        );
        assert_eq!(r["TotalCount"], 250, "{r}");
        let data = r["Data"].as_array().unwrap();
        pages += 1;
        names.extend(
            data.iter()
                .map(|g| g["ConsumerGroup"].as_str().unwrap().to_string()),
        );
        if names.len() >= 250 || data.is_empty() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 250);
    assert_eq!(names[0], "G_000");
    assert_eq!(names[249], "G_249");
    // Over 100 a page is refused; without Limit it is 20.
    let r = call(
        &server,
        "DescribeConsumerGroupList",
        json!({ "InstanceId": "rmq-test", "Limit": 101 }),
    );
    assert_eq!(code(&r), "InvalidParameterValue");
    let r = call(
        &server,
        "DescribeConsumerGroupList",
        json!({ "InstanceId": "rmq-test" }),
    );
    assert_eq!(r["Data"].as_array().unwrap().len(), 20);
    let calls = server.state.lock().unwrap().calls.len();
    assert_eq!(calls, 5, "every signed call is recorded");
    assert_eq!(server.state.lock().unwrap().bad_signatures, 0);
}

#[test]
fn create_refuses_a_second_topic_of_a_name_and_topics_past_the_limit() {
    let server = Server::start_instance("rmq-test");
    server.state.lock().unwrap().instance.topic_num_limit = 2;
    let create = |name: &str, queues: i64| {
        call(
            &server,
            "CreateTopic",
            json!({ "InstanceId": "rmq-test", "Topic": name, "TopicType": "NORMAL", "QueueNum": queues }),
        )
    };
    let r = create("T_A", 8);
    assert_eq!(r["Topic"], "T_A", "{r}");
    assert_eq!(r["InstanceId"], "rmq-test");
    assert_eq!(
        code(&create("T_A", 8)),
        "UnsupportedOperation.ResourceAlreadyExists"
    );
    assert_eq!(code(&create("T_B", 17)), "InvalidParameterValue");
    assert_eq!(code(&create("T_B", 2)), "InvalidParameterValue");
    assert_eq!(code(&create("T_B", 3)), "");
    assert_eq!(code(&create("T_C", 3)), "LimitExceeded.TopicNum");
    {
        let st = server.state.lock().unwrap();
        assert_eq!(st.instance.topics["T_A"]["QueueNum"], 8);
        assert_eq!(st.instance.topics["T_A"]["TopicType"], "NORMAL");
        assert!(!st.instance.topics.contains_key("T_C"));
    }
    let r = call(
        &server,
        "DescribeInstance",
        json!({ "InstanceId": "rmq-test" }),
    );
    assert_eq!(
        (&r["TopicNum"], &r["TopicNumLimit"], &r["GroupNumLimit"]),
        (&json!(2), &json!(2), &json!(1000)),
        "{r}"
    );

    let group = |name: &str| {
        call(
            &server,
            "CreateConsumerGroup",
            json!({ "InstanceId": "rmq-test", "ConsumerGroup": name, "MaxRetryTimes": 5, "ConsumeEnable": true, "ConsumeMessageOrderly": true }),
        )
    };
    assert_eq!(group("G_A")["ConsumerGroup"], "G_A");
    assert_eq!(
        code(&group("G_A")),
        "UnsupportedOperation.ResourceAlreadyExists"
    );
    let r = call(
        &server,
        "DescribeConsumerGroup",
        json!({ "InstanceId": "rmq-test", "ConsumerGroup": "G_A" }),
    );
    assert_eq!(r["MaxRetryTimes"], 5, "{r}");
    assert_eq!(r["ConsumeMessageOrderly"], true);
    assert_eq!(r["MessageModel"], "CLUSTERING");
    assert_eq!(r["ConsumerNum"], 0);
}

#[test]
fn another_instance_id_is_not_found_and_no_4x_cluster_answers_for_it() {
    let server = Server::start_instance("rmq-test");
    server
        .state
        .lock()
        .unwrap()
        .add_instance_topic("T", "NORMAL", 4, 10);
    for (action, extra) in [
        ("DescribeInstance", json!({})),
        ("DescribeTopicList", json!({})),
        ("DescribeTopic", json!({ "Topic": "T" })),
        ("DescribeConsumerGroupList", json!({})),
        (
            "CreateTopic",
            json!({ "Topic": "T2", "TopicType": "NORMAL" }),
        ),
    ] {
        let mut p = extra;
        p["InstanceId"] = "rmq-other".into();
        let r = call(&server, action, p);
        assert_eq!(code(&r), "ResourceNotFound.Instance", "{action}: {r}");
    }
    // The 4.x API does not know a 5.x instance.
    let r = call_version(
        &server,
        "2020-02-17",
        "DescribeRocketMQClusters",
        &json!({ "Offset": 0, "Limit": 10, "ClusterIdList": ["rmq-test"] }),
    );
    assert_eq!(r["Response"]["ClusterList"], json!([]), "{r}");
    // Neither do the 5.x actions sent with the 4.x version.
    let r = call_version(
        &server,
        "2020-02-17",
        "DescribeInstance",
        &json!({ "InstanceId": "rmq-test" }),
    );
    assert_eq!(code(&r["Response"]), "InvalidAction", "{r}");
    // The instance's own id is served.
    let r = call(
        &server,
        "DescribeTopicList",
        json!({ "InstanceId": "rmq-test", "Filters": [{ "Name": "TopicName", "Values": ["T"] }] }),
    );
    assert_eq!(r["TotalCount"], 1, "{r}");
    assert_eq!(r["Data"][0]["QueueNum"], 4);
}

#[test]
fn describe_topic_lists_each_group_with_its_sub_string() {
    let server = Server::start_instance("rmq-test");
    {
        let mut st = server.state.lock().unwrap();
        st.add_instance_topic("T_ORDER", "NORMAL", 4, 1003);
        st.add_instance_topic("T_PAY", "FIFO", 3, 0);
        st.add_instance_group(
            "G_A",
            &[("T_ORDER", "TagA || TagB", 7), ("T_PAY", "*", 0)],
            2,
        );
        st.add_instance_group("G_B", &[("T_ORDER", "*", 0)], 0);
        st.add_instance_group("G_C", &[("T_PAY", "*", 0)], 1);
        st.set_producers("T_ORDER", 3);
    }
    let r = call(
        &server,
        "DescribeTopic",
        json!({ "InstanceId": "rmq-test", "Topic": "T_ORDER" }),
    );
    assert_eq!(r["SubscriptionCount"], 2, "{r}");
    let subs = r["SubscriptionData"].as_array().unwrap();
    let a = &subs[0];
    assert_eq!(a["ConsumerGroup"], "G_A");
    assert_eq!(a["SubString"], "TagA || TagB");
    assert_eq!(a["ExpressionType"], "TAG");
    assert_eq!(a["ConsumerLag"], 7);
    assert_eq!(a["IsOnline"], true);
    assert_eq!(a["MessageModel"], "CLUSTERING");
    assert_eq!(a["Consistency"], 0);
    assert_eq!(
        a["ClientSubscriptionInfos"],
        json!([]),
        "consistent: none listed"
    );
    assert_eq!(subs[1]["ConsumerGroup"], "G_B");
    assert_eq!(subs[1]["IsOnline"], false);
    // Paged by Offset/Limit, the total in SubscriptionCount.
    let r = call(
        &server,
        "DescribeTopic",
        json!({ "InstanceId": "rmq-test", "Topic": "T_ORDER", "Offset": 1, "Limit": 1 }),
    );
    assert_eq!(r["SubscriptionCount"], 2);
    assert_eq!(r["SubscriptionData"][0]["ConsumerGroup"], "G_B");
    // A client subscribing otherwise: inconsistent, every client listed with its own.
    server
        .state
        .lock()
        .unwrap()
        .set_client_substring("G_A", 1, "T_ORDER", "TagA");
    let r = call(
        &server,
        "DescribeTopic",
        json!({ "InstanceId": "rmq-test", "Topic": "T_ORDER", "Filters": [{ "Name": "ConsumerGroup", "Values": ["G_A"] }] }),
    );
    let a = &r["SubscriptionData"][0];
    assert_eq!(r["SubscriptionCount"], 1, "{r}");
    assert_eq!(a["Consistency"], 1);
    let infos = a["ClientSubscriptionInfos"].as_array().unwrap();
    assert_eq!(infos.len(), 2);
    assert_eq!(infos[0]["ClientId"], "10.8.0.0@0#G_A");
    assert_eq!(infos[0]["SubString"], "TagA || TagB");
    assert_eq!(infos[1]["SubString"], "TagA");
    assert_eq!(infos[1]["Topic"], "T_ORDER");
    // On request: every client listed although consistent.
    server
        .state
        .lock()
        .unwrap()
        .instance
        .list_consistent_clients = true;
    let r = call(
        &server,
        "DescribeTopic",
        json!({ "InstanceId": "rmq-test", "Topic": "T_PAY" }),
    );
    let a = &r["SubscriptionData"][0];
    assert_eq!(
        (&a["ConsumerGroup"], &a["Consistency"]),
        (&json!("G_A"), &json!(0))
    );
    assert_eq!(a["ClientSubscriptionInfos"][1]["SubString"], "*", "{r}");
    let r = call(
        &server,
        "DescribeTopic",
        json!({ "InstanceId": "rmq-test", "Topic": "T_NONE" }),
    );
    assert_eq!(code(&r), "ResourceNotFound.Topic");

    // The group's side: lag summed, clients, FromTopic, producers, queue stats.
    let r = call(
        &server,
        "DescribeConsumerGroup",
        json!({ "InstanceId": "rmq-test", "ConsumerGroup": "G_A" }),
    );
    assert_eq!(
        (&r["ConsumerNum"], &r["ConsumerLag"]),
        (&json!(2), &json!(7))
    );
    assert_eq!(r["ConsumeType"], "PUSH");
    let r = call(
        &server,
        "DescribeConsumerGroup",
        json!({ "InstanceId": "rmq-test", "ConsumerGroup": "G_NONE" }),
    );
    assert_eq!(code(&r), "ResourceNotFound.Group");
    let r = call(
        &server,
        "DescribeConsumerClientList",
        json!({ "InstanceId": "rmq-test", "ConsumerGroup": "G_A" }),
    );
    assert_eq!(r["TotalCount"], 2);
    assert_eq!(r["Data"][1]["ClientAddr"], "10.8.0.1:50001");
    let r = call(
        &server,
        "DescribeConsumerGroupList",
        json!({ "InstanceId": "rmq-test", "FromTopic": "T_PAY" }),
    );
    let groups: Vec<&Value> = r["Data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["ConsumerGroup"])
        .collect();
    assert_eq!(groups, [&json!("G_A"), &json!("G_C")]);
    let r = call(
        &server,
        "DescribeProducerList",
        json!({ "InstanceId": "rmq-test", "Topic": "T_ORDER" }),
    );
    assert_eq!(r["TotalCount"], 3);
    assert_eq!(r["ProducerList"][2]["ClientId"], "10.7.0.2@2#T_ORDER");
    let r = call(
        &server,
        "DescribeTopicStats",
        json!({ "InstanceId": "rmq-test", "Topic": "T_ORDER", "GroupId": "G_A" }),
    );
    assert_eq!(r["TotalCount"], 4, "{r}");
    let queues = r["Data"].as_array().unwrap();
    let sum = |f: &str| queues.iter().map(|q| q[f].as_i64().unwrap()).sum::<i64>();
    assert_eq!(sum("BrokerOffset"), 1003);
    assert_eq!(sum("MessageCount"), 7);
    assert_eq!(queues[3]["QueueId"], 3);
}
