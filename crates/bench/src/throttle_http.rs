//! A small HTTP file server with a rate limit that can be changed while it
//! runs, so mpv streaming from it really runs out of cache.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

pub struct ThrottledServer {
    pub url: String,
    rate: Arc<AtomicU64>,
}

const CHUNK: usize = 16 * 1024;

impl ThrottledServer {
    /// Serves `file` at http://127.0.0.1:PORT/NAME, at most `rate` bytes/s.
    pub async fn start(file: PathBuf, rate: u64) -> std::io::Result<ThrottledServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let url = format!("http://{}/{}", listener.local_addr()?, name);
        let rate = Arc::new(AtomicU64::new(rate));
        let shared = rate.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, file.clone(), shared.clone()));
            }
        });
        Ok(Self { url, rate })
    }

    /// Bytes per second from now on (0 stalls every download).
    pub fn set_rate(&self, rate: u64) {
        self.rate.store(rate, Ordering::SeqCst);
    }
}

async fn serve(sock: tokio::net::TcpStream, file: PathBuf, rate: Arc<AtomicU64>) {
    let (r, mut w) = sock.into_split();
    let mut lines = BufReader::new(r).lines();
    let mut range_start = 0u64;
    let mut first = true;
    while let Ok(Some(line)) = lines.next_line().await {
        if first {
            first = false;
            if !line.starts_with("GET ") {
                return;
            }
        }
        if line.is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("range: bytes=") {
            range_start = v
                .split('-')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
        }
    }
    let Ok(mut f) = tokio::fs::File::open(&file).await else {
        return;
    };
    let len = f.metadata().await.map(|m| m.len()).unwrap_or(0);
    let start = range_start.min(len);
    let head = if range_start > 0 {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Type: video/x-matroska\r\nAccept-Ranges: bytes\r\nContent-Length: {}\r\nContent-Range: bytes {}-{}/{}\r\nConnection: close\r\n\r\n",
            len - start, start, len.saturating_sub(1), len
        )
    } else {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: video/x-matroska\r\nAccept-Ranges: bytes\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
    };
    if w.write_all(head.as_bytes()).await.is_err()
        || f.seek(std::io::SeekFrom::Start(start)).await.is_err()
    {
        return;
    }
    let mut buf = vec![0u8; CHUNK];
    loop {
        let r = rate.load(Ordering::SeqCst);
        if r == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        let n = match f.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if w.write_all(&buf[..n]).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_secs_f64(n as f64 / r as f64)).await;
    }
}
