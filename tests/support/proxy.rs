//! A userspace TCP proxy that delays every chunk by a fixed time each way, the kernel here having
//! no netem: round-trip latency without a bandwidth limit, or a stalled server when the delay is
//! longer than a deadline.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct DelayProxy {
    pub addr: String,
}

fn pump(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        for (due, chunk) in rx {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0
            || tx
                .send((Instant::now() + delay, buf[..n].to_vec()))
                .is_err()
        {
            break;
        }
    }
}

impl DelayProxy {
    /// Forwards to `upstream`, adding `one_way` in each direction.
    pub fn start(upstream: &str, one_way: Duration) -> DelayProxy {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let upstream = upstream.to_string();
        std::thread::spawn(move || {
            for client in l.incoming().map_while(Result::ok) {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pump(client, server, one_way));
                std::thread::spawn(move || pump(s2, c2, one_way));
            }
        });
        DelayProxy { addr }
    }
}
