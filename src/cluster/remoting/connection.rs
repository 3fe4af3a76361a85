//! One multiplexed connection per server: requests carry an `opaque`, responses are matched by
//! it, many are in flight at once (bounded), each with a deadline. A late or unmatched response is
//! dropped with a log line, never handed to another request. Requests the server sends us
//! (e.g. NOTIFY_CONSUMER_IDS_CHANGED) are skipped.

use super::command::{self, Command, FrameError};
use super::error::RemotingError;
use super::tls::Tls;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, oneshot};

/// The two halves of a plain or a TLS stream.
type Reader = Box<dyn AsyncRead + Send + Unpin>;
type Writer = Box<dyn AsyncWrite + Send + Unpin>;

type Pending = Arc<Mutex<HashMap<i32, oneshot::Sender<Command>>>>;

pub struct Connection {
    pub addr: String,
    writer: tokio::sync::Mutex<Writer>,
    pending: Pending,
    next_opaque: AtomicI32,
    /// Why the connection ended, once it has.
    closed: Arc<Mutex<Option<String>>>,
    in_flight: Semaphore,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

fn lock(p: &Pending) -> std::sync::MutexGuard<'_, HashMap<i32, oneshot::Sender<Command>>> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

impl Connection {
    pub async fn connect(
        addr: &str,
        timeout: Duration,
        max_in_flight: usize,
        max_frame: usize,
        tls: Option<&Tls>,
    ) -> Result<Connection, RemotingError> {
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                return Err(RemotingError::Connect {
                    addr: addr.to_string(),
                    error: e.to_string(),
                });
            }
            Err(_) => {
                return Err(RemotingError::Connect {
                    addr: addr.to_string(),
                    error: format!("no answer within {}", humantime::format_duration(timeout)),
                });
            }
        };
        let _ = stream.set_nodelay(true);
        let (mut read, write): (Reader, Writer) = match tls {
            None => {
                let (r, w) = stream.into_split();
                (Box::new(r), Box::new(w))
            }
            Some(tls) => {
                let connect = |error: String| RemotingError::Connect {
                    addr: addr.to_string(),
                    error,
                };
                let s = tokio::time::timeout(timeout, tls.wrap(stream, addr))
                    .await
                    .map_err(|_| {
                        connect(format!(
                            "no TLS handshake within {}: does the server speak TLS on this port?",
                            humantime::format_duration(timeout)
                        ))
                    })?
                    .map_err(connect)?;
                let (r, w) = tokio::io::split(s);
                (Box::new(r), Box::new(w))
            }
        };
        let pending: Pending = Arc::default();
        let closed: Arc<Mutex<Option<String>>> = Arc::default();
        let reader = {
            let (pending, closed, addr) = (pending.clone(), closed.clone(), addr.to_string());
            tokio::spawn(async move {
                let why = loop {
                    match command::read(&mut read, max_frame).await {
                        Ok(cmd) if !cmd.is_response() => {
                            tracing::debug!(addr, code = cmd.code, "server request skipped");
                        }
                        Ok(cmd) => {
                            let waiter = lock(&pending).remove(&cmd.opaque);
                            match waiter {
                                Some(tx) => {
                                    let _ = tx.send(cmd);
                                }
                                None => tracing::info!(
                                    addr,
                                    opaque = cmd.opaque,
                                    code = cmd.code,
                                    "late or unmatched response dropped"
                                ),
                            }
                        }
                        Err(e) => break e,
                    }
                };
                match &why {
                    FrameError::Io(_) => tracing::info!(addr, "connection closed: {why}"),
                    _ => tracing::warn!(addr, "connection dropped: {why}"),
                }
                *closed.lock().unwrap_or_else(|e| e.into_inner()) = Some(why.to_string());
                // Dropping the senders wakes every waiter with "connection closed".
                lock(&pending).clear();
            })
        };
        Ok(Connection {
            addr: addr.to_string(),
            writer: tokio::sync::Mutex::new(write),
            pending,
            next_opaque: AtomicI32::new(1),
            closed,
            in_flight: Semaphore::new(max_in_flight.max(1)),
            reader,
        })
    }

    pub fn is_closed(&self) -> bool {
        self.closed_why().is_some()
    }

    fn closed_why(&self) -> Option<String> {
        self.closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn closed_error(&self) -> RemotingError {
        RemotingError::Closed {
            addr: self.addr.clone(),
            why: self.closed_why().unwrap_or_else(|| "closed".into()),
        }
    }

    /// Sends one request and waits for its response until the deadline.
    pub async fn request(
        &self,
        mut cmd: Command,
        deadline: Duration,
    ) -> Result<Command, RemotingError> {
        let timeout = |addr: &str| RemotingError::Timeout {
            addr: addr.to_string(),
            after: deadline,
        };
        let work = async {
            let _permit = self
                .in_flight
                .acquire()
                .await
                .map_err(|_| self.closed_error())?;
            if self.is_closed() {
                return Err(self.closed_error());
            }
            let opaque = self.next_opaque.fetch_add(1, Ordering::Relaxed) & i32::MAX;
            cmd.opaque = opaque;
            let (tx, rx) = oneshot::channel();
            lock(&self.pending).insert(opaque, tx);
            let guard = PendingGuard {
                pending: &self.pending,
                opaque,
            };
            let frame = command::encode(&cmd);
            {
                let mut w = self.writer.lock().await;
                if let Err(e) = w.write_all(&frame).await {
                    *self.closed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                    return Err(RemotingError::Io {
                        addr: self.addr.clone(),
                        error: e.to_string(),
                    });
                }
            }
            let answer = rx.await.map_err(|_| self.closed_error());
            drop(guard);
            answer
        };
        tokio::time::timeout(deadline, work)
            .await
            .unwrap_or_else(|_| Err(timeout(&self.addr)))
    }
}

/// Removes a request's entry however it ends (answered, timed out, cancelled), so a late answer
/// finds nobody and is dropped.
struct PendingGuard<'a> {
    pending: &'a Pending,
    opaque: i32,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(self.pending).remove(&self.opaque);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::remoting::command::{self, FLAG_RESPONSE};
    use std::collections::BTreeMap;
    use std::sync::atomic::AtomicUsize;
    use tokio::net::TcpListener;

    fn response_to(req: &Command, opaque: i32, remark: &str) -> Vec<u8> {
        let mut r = Command::request(0, BTreeMap::new(), vec![]);
        r.flag = FLAG_RESPONSE;
        r.opaque = opaque;
        r.remark = Some(remark.to_string());
        r.code = req.code;
        command::encode(&r)
    }

    /// A server that answers each request as `answer` says: (delay, opaque offset, remark).
    async fn server(answer: fn(&Command) -> Vec<(Duration, i32, String)>) -> String {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (s, _) = l.accept().await.unwrap();
            let (mut r, w) = s.into_split();
            let w = Arc::new(tokio::sync::Mutex::new(w));
            while let Ok(req) = command::read(&mut r, command::MAX_FRAME).await {
                for (delay, offset, remark) in answer(&req) {
                    let w = w.clone();
                    let bytes = response_to(&req, req.opaque + offset, &remark);
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        let _ = w.lock().await.write_all(&bytes).await;
                    });
                }
            }
        });
        addr
    }

    fn req(code: i32) -> Command {
        Command::request(code, BTreeMap::new(), vec![])
    }

    #[tokio::test]
    async fn unmatched_and_late_responses_are_never_mis_assigned() {
        // Code 1: an unmatched response first, then the right one. Code 2: answered too late.
        let addr = server(|r| match r.code {
            1 => vec![
                (Duration::ZERO, 1000, "stray".into()),
                (Duration::from_millis(20), 0, "one".into()),
            ],
            2 => vec![(Duration::from_millis(300), 0, "late".into())],
            _ => vec![(Duration::ZERO, 0, "three".into())],
        })
        .await;
        let c = Connection::connect(&addr, Duration::from_secs(1), 8, command::MAX_FRAME, None)
            .await
            .unwrap();
        let one = c.request(req(1), Duration::from_secs(1)).await.unwrap();
        assert_eq!(one.remark.as_deref(), Some("one"));
        let late = c
            .request(req(2), Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(
            late.to_string().contains("did not answer within 100ms"),
            "{late}"
        );
        // The late answer to request 2 arrives while request 3 waits: 3 gets its own.
        let three = c.request(req(3), Duration::from_secs(1)).await.unwrap();
        assert_eq!(three.remark.as_deref(), Some("three"));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let again = c.request(req(3), Duration::from_secs(1)).await.unwrap();
        assert_eq!(again.remark.as_deref(), Some("three"));
    }

    #[tokio::test]
    async fn requests_in_flight_are_bounded() {
        static OUTSTANDING: AtomicUsize = AtomicUsize::new(0);
        static PEAK: AtomicUsize = AtomicUsize::new(0);
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (s, _) = l.accept().await.unwrap();
            let (mut r, w) = s.into_split();
            let w = Arc::new(tokio::sync::Mutex::new(w));
            while let Ok(req) = command::read(&mut r, command::MAX_FRAME).await {
                let now = OUTSTANDING.fetch_add(1, Ordering::SeqCst) + 1;
                PEAK.fetch_max(now, Ordering::SeqCst);
                let w = w.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    OUTSTANDING.fetch_sub(1, Ordering::SeqCst);
                    let _ = w
                        .lock()
                        .await
                        .write_all(&response_to(&req, req.opaque, "ok"))
                        .await;
                });
            }
        });
        let c = Connection::connect(&addr, Duration::from_secs(1), 4, command::MAX_FRAME, None)
            .await
            .unwrap();
        let all =
            futures::future::join_all((0..20).map(|_| c.request(req(5), Duration::from_secs(5))))
                .await;
        assert!(all.iter().all(Result::is_ok));
        let peak = PEAK.load(Ordering::SeqCst);
        assert!((2..=4).contains(&peak), "peak in flight {peak}");
    }

    #[tokio::test]
    async fn a_broken_connection_fails_waiters_with_the_reason() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = [0u8; 64];
            let _ = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await;
            drop(s);
        });
        let c = Connection::connect(&addr, Duration::from_secs(1), 4, command::MAX_FRAME, None)
            .await
            .unwrap();
        let e = c
            .request(req(1), Duration::from_secs(2))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ended: the server closed the connection")
                || e.contains("ended: Connection reset"),
            "{e}"
        );
        assert!(c.is_closed());
    }
}
