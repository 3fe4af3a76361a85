//! A stand-in application for the integration tests and the drill: a producer or a push consumer
//! built on the independent `rocketmq-client-rust` client, pointed at one cluster. It prints one
//! line per message (`SENT id topic`, `RECV id topic reconsume_times`, and `CHECK id` when the
//! broker checks a transaction) and stops cleanly when its standard input closes, so a test can
//! move it between clusters the way an operator would: stop it, start it again with the other
//! NameServer address. The producer can send delayed, timer or transactional messages, with a
//! tag; the consumer can subscribe with a tag expression and consume in broadcasting mode.

use clap::{Parser, Subcommand, ValueEnum};
use rocketmq_client_rust::{
    ClientConfig, ClientRuntime, ClientRuntimeConfig, ConsumeConcurrentlyContext,
    ConsumeConcurrentlyStatus, DefaultMQProducer, DefaultMQPushConsumer, LocalTransactionState,
    MQPushConsumer, MessageListenerConcurrently, TransactionListener, TransactionMQProducer,
};
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_model::common::message::MessageTrait;
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;
use rocketmq_runtime::{RuntimeConfig, RuntimeOwner};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    namesrv: String,
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    Produce {
        #[arg(long)]
        group: String,
        #[arg(long = "topic", required = true)]
        topics: Vec<String>,
        /// Messages to send in all (0: until stdin closes).
        #[arg(long, default_value_t = 0)]
        count: u64,
        /// Messages per second.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Prefix of the message ids this instance writes in the bodies.
        #[arg(long)]
        prefix: String,
        /// Send every message with this delay level (1 = 1 s, 2 = 5 s, ... by default): the
        /// broker holds it in `SCHEDULE_TOPIC_XXXX` until due.
        #[arg(long)]
        delay_level: Option<i32>,
        /// Send every message as a timer message due this many seconds later (5.x): the broker
        /// holds it in its timer wheel until due.
        #[arg(long, conflicts_with = "delay_level")]
        delay_secs: Option<u64>,
        /// Send transactional messages (a half message, then this local transaction outcome):
        /// `unknown` leaves the half message for the broker's check.
        #[arg(long, value_enum)]
        transaction: Option<TxState>,
        /// The answer to the broker's transaction check.
        #[arg(long, value_enum, default_value_t = TxState::Commit, requires = "transaction")]
        check: TxState,
        /// The tag of every message (none by default).
        #[arg(long)]
        tag: Option<String>,
    },
    Consume {
        #[arg(long)]
        group: String,
        #[arg(long = "topic", required = true)]
        topics: Vec<String>,
        /// Ask for redelivery of every Nth first delivery (a retry-heavy consumer).
        #[arg(long, default_value_t = 0)]
        fail_every: u64,
        /// The subscription expression of every topic (a TAG expression: `*`, `TagA || TagB`).
        #[arg(long, default_value = "*")]
        tags: String,
        /// Consume in broadcasting mode (every instance gets every message, offsets kept in
        /// the client) instead of clustering.
        #[arg(long)]
        broadcast: bool,
        /// The client's instance name (part of its client id). Broadcasting clients keep
        /// `DEFAULT` unless set, so those on one host share a client id.
        #[arg(long)]
        instance: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum TxState {
    Commit,
    Rollback,
    Unknown,
}

impl TxState {
    fn local(self) -> LocalTransactionState {
        match self {
            TxState::Commit => LocalTransactionState::CommitMessage,
            TxState::Rollback => LocalTransactionState::RollbackMessage,
            TxState::Unknown => LocalTransactionState::Unknown,
        }
    }
}

/// Answers the local transaction and the broker's check as told; prints `CHECK id` per check.
struct Transactions {
    local: TxState,
    check: TxState,
}

impl TransactionListener for Transactions {
    fn execute_local_transaction(
        &self,
        _: &dyn MessageTrait,
        _: Option<&(dyn std::any::Any + Send + Sync)>,
    ) -> LocalTransactionState {
        self.local.local()
    }

    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState {
        let id = msg
            .body()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "CHECK {id}");
        let _ = out.flush();
        self.check.local()
    }
}

/// A plain or a transactional producer.
enum Sender {
    Plain(DefaultMQProducer),
    Transactional(TransactionMQProducer),
}

impl Sender {
    async fn start(&mut self) -> rocketmq_client_rust::ClientResult<()> {
        match self {
            Sender::Plain(p) => p.start().await,
            Sender::Transactional(p) => p.start().await,
        }
    }

    async fn send(&mut self, msg: Message) -> Result<(), String> {
        match self {
            Sender::Plain(p) => p
                .send_with_timeout(msg, 3000)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Sender::Transactional(p) => p
                .send_message_in_transaction::<(), _>(msg, None)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }

    async fn shutdown(&mut self) {
        match self {
            Sender::Plain(p) => p.shutdown().await,
            Sender::Transactional(p) => p.shutdown().await,
        }
    }
}

struct Listener {
    fail_every: u64,
    seen: AtomicU64,
}

impl MessageListenerConcurrently for Listener {
    fn consume_message(
        &self,
        msgs: &[&MessageExt],
        _: &ConsumeConcurrentlyContext,
    ) -> rocketmq_client_rust::ClientResult<ConsumeConcurrentlyStatus> {
        let mut out = std::io::stdout().lock();
        let mut retry = false;
        for m in msgs {
            let n = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
            let id = m
                .body()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            if self.fail_every > 0 && m.reconsume_times() == 0 && n.is_multiple_of(self.fail_every)
            {
                retry = true;
                let _ = writeln!(out, "RETRY {id} {}", m.topic());
                continue;
            }
            let _ = writeln!(out, "RECV {id} {} {}", m.topic(), m.reconsume_times());
        }
        let _ = out.flush();
        Ok(if retry {
            ConsumeConcurrentlyStatus::ReconsumeLater
        } else {
            ConsumeConcurrentlyStatus::ConsumeSuccess
        })
    }
}

/// Resolves when standard input reaches its end: the test's way to say "stop cleanly".
async fn stdin_closed() {
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    })
    .await;
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    // MQ_APP_LOG=debug shows the client library's own log on stderr, to see why an app hangs.
    if let Ok(filter) = std::env::var("MQ_APP_LOG") {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .init();
    }
    let mut config = RuntimeConfig {
        thread_name: "mq-app".into(),
        ..Default::default()
    };
    // The push consumer runs listeners on this lane; its default queue overflows under load.
    config.blocking_lane_policies.metadata_io.max_queue_depth = 4096;
    let owner = RuntimeOwner::plan(config)?.build()?;
    let telemetry = rocketmq_observability::TelemetryRuntimeGuard::noop();
    let client: Arc<ClientRuntime> = ClientRuntime::try_new(
        owner.root_context().component("client"),
        ClientRuntimeConfig::default(),
        telemetry.handle(),
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match args.role {
            Role::Produce {
                group,
                topics,
                count,
                rate,
                prefix,
                delay_level,
                delay_secs,
                transaction,
                check,
                tag,
            } => {
                let mut p = match transaction {
                    None => Sender::Plain(
                        DefaultMQProducer::builder(client.clone())
                            .producer_group(group)
                            .name_server_addr(args.namesrv)
                            .build(),
                    ),
                    Some(local) => Sender::Transactional(
                        TransactionMQProducer::builder(client.clone())
                            .producer_group(group)
                            .name_server_addr(args.namesrv)
                            .topics(topics.clone())
                            .transaction_listener(Transactions { local, check })
                            .build(),
                    ),
                };
                p.start().await?;
                println!("READY");
                let pause = Duration::from_secs_f64(1.0 / rate.max(0.1));
                let stop = stdin_closed();
                tokio::pin!(stop);
                let mut n = 0u64;
                while count == 0 || n < count {
                    let topic = &topics[(n as usize) % topics.len()];
                    let id = format!("{prefix}-{n}");
                    let mut msg = Message::builder()
                        .topic(topic.as_str())
                        .body_slice(id.as_bytes());
                    if let Some(level) = delay_level {
                        msg = msg.delay_level(level);
                    }
                    if let Some(secs) = delay_secs {
                        msg = msg.delay_secs(secs);
                    }
                    if let Some(tag) = &tag {
                        msg = msg.tags(tag.as_str());
                    }
                    let msg = msg.build_unchecked();
                    tokio::select! {
                        _ = &mut stop => break,
                        r = p.send(msg) => match r {
                            Ok(_) => println!("SENT {id} {topic}"),
                            Err(e) => println!("FAIL {id} {topic} {e}"),
                        },
                    }
                    n += 1;
                    tokio::select! {
                        _ = &mut stop => break,
                        _ = tokio::time::sleep(pause) => {}
                    }
                }
                println!("DONE {n}");
                if count > 0 {
                    stdin_closed().await;
                }
                p.shutdown().await;
            }
            Role::Consume {
                group,
                topics,
                fail_every,
                tags,
                broadcast,
                instance,
            } => {
                let model = if broadcast {
                    MessageModel::Broadcasting
                } else {
                    MessageModel::Clustering
                };
                let mut config = ClientConfig::default();
                if let Some(name) = instance {
                    config.instance_name = name.into();
                }
                let mut c = DefaultMQPushConsumer::builder(client.clone())
                    .client_config(config)
                    .consumer_group(group)
                    .name_server_addr(args.namesrv)
                    .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
                    .message_model(model)
                    .build();
                for t in &topics {
                    c.subscribe(t.as_str(), tags.as_str()).await?;
                }
                c.register_message_listener_concurrently(Listener {
                    fail_every,
                    seen: AtomicU64::new(0),
                });
                c.start().await?;
                println!("READY");
                stdin_closed().await;
                c.shutdown().await;
            }
        }
        println!("STOPPED");
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    Ok(())
}
