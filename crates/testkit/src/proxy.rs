//! A loopback TCP proxy that delays each chunk by a one-way delay ± jitter
//! (keeping order, as TCP does) and can cut the link.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// One-way delay and jitter of a link, in ms.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LinkProfile {
    pub delay_ms: f64,
    pub jitter_ms: f64,
}

impl LinkProfile {
    /// Parses "75" or "75:30" (delay:jitter).
    pub fn parse(s: &str) -> Result<Self, String> {
        let (d, j) = s.split_once(':').unwrap_or((s, "0"));
        let num = |x: &str| {
            x.trim()
                .parse::<f64>()
                .map_err(|_| format!("bad link profile {s}"))
        };
        Ok(Self {
            delay_ms: num(d)?,
            jitter_ms: num(j)?,
        })
    }

    pub fn label(&self) -> String {
        if self.jitter_ms > 0.0 {
            format!("{}±{} ms", self.delay_ms, self.jitter_ms)
        } else {
            format!("{} ms", self.delay_ms)
        }
    }
}

pub struct Proxy {
    pub addr: SocketAddr,
    down: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, profile: LinkProfile) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let down = Arc::new(AtomicBool::new(false));
        let (generation, gen_rx) = watch::channel(0u64);
        let is_down = down.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if is_down.load(Ordering::SeqCst) {
                    drop(client); // refused while the link is cut
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                // Only cuts after this connection opened end it: a clone
                // of the receiver would still see the last cut as new.
                let mut cuts = gen_rx.clone();
                cuts.borrow_and_update();
                tokio::spawn(pump(cr, sw, profile, cuts.clone()));
                tokio::spawn(pump(sr, cw, profile, cuts));
            }
        });
        Ok(Proxy {
            addr,
            down,
            generation,
        })
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Cuts the link (closing open connections and refusing new ones) or
    /// restores it.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            self.generation.send_modify(|g| *g += 1);
        }
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    profile: LinkProfile,
    mut generation: watch::Receiver<u64>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let mut cut = generation.clone();
    let writer = tokio::spawn(async move {
        loop {
            tokio::select! {
                item = rx.recv() => match item {
                    Some((at, bytes)) => {
                        tokio::time::sleep_until(at).await;
                        if to.write_all(&bytes).await.is_err() {
                            return;
                        }
                    }
                    None => return,
                },
                _ = cut.changed() => return,
            }
        }
    });
    let mut last = Instant::now();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            n = from.read(&mut buf) => match n {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let jitter = if profile.jitter_ms > 0.0 {
                        rand::rng().random_range(-profile.jitter_ms..profile.jitter_ms)
                    } else {
                        0.0
                    };
                    let delay = Duration::from_secs_f64((profile.delay_ms + jitter).max(0.0) / 1000.0);
                    let at = (Instant::now() + delay).max(last);
                    last = at;
                    if tx.send((at, buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            },
            _ = generation.changed() => break,
        }
    }
    drop(tx);
    let _ = writer.await;
}
