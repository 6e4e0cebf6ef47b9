//! Accepting connections: TCP with Nagle off, and TLS when the relay has a
//! certificate. With TLS, one port serves both: a connection whose first
//! byte starts a TLS handshake is TLS, any other is plain HTTP, which only
//! gets the invite landing page and health (a browser opens the landing
//! page without a certificate warning; the WebSocket needs TLS).
//!
//! Handshakes run in their own tasks with a deadline, so a client that
//! stalls in one holds up nobody else. Every socket takes a place of its
//! address's quota the moment it is accepted, before any byte is read;
//! an address over its quota has further sockets closed at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::either::Either;
use tokio_util::sync::CancellationToken;

/// Longest time from accepting a socket to the end of its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Accepted connections waiting for the server to take them.
const QUEUE: usize = 64;
/// The first byte of a TLS record carrying a handshake.
const TLS_HANDSHAKE: u8 = 0x16;

use crate::limits::{Held, HeldPerAddress};

/// Who is on the other end of a connection.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    pub addr: SocketAddr,
    /// The connection is TLS.
    pub secure: bool,
    /// The socket's place in its address's quota, given back when the
    /// last holder (the HTTP connection, or the WebSocket it became) ends.
    pub _place: Option<Arc<Held>>,
}

pub(crate) type Io = Either<TlsStream<TcpStream>, TcpStream>;

/// The relay's listener: accepted (and, with TLS, handshaken) sockets.
pub(crate) struct RelayListener {
    local: SocketAddr,
    incoming: mpsc::Receiver<(Io, Peer)>,
}

impl RelayListener {
    /// Starts accepting on `tcp`; until `stop`, or until the server drops
    /// the listener. With `sockets`, each address holds at most its cap.
    pub fn start(
        tcp: TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        sockets: Option<Arc<HeldPerAddress>>,
        stop: CancellationToken,
    ) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, incoming) = mpsc::channel(QUEUE);
        let acceptor = tls.map(TlsAcceptor::from);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tx.closed() => return,
                    a = tcp.accept() => a,
                };
                let (stream, addr) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a
                        // little instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // Small frames go out at once: Nagle's algorithm would hold
                // a second message (a notice after a state) until the first
                // is acknowledged.
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!("could not set TCP_NODELAY: {e}");
                }
                let addr = canonical(addr);
                let place = match &sockets {
                    None => None,
                    Some(quota) => match quota.take(addr.ip()) {
                        Some(place) => Some(Arc::new(place)),
                        None => {
                            tracing::debug!(%addr, "socket refused: its address holds its quota");
                            continue;
                        }
                    },
                };
                match &acceptor {
                    None => {
                        let peer = Peer {
                            addr,
                            secure: false,
                            _place: place,
                        };
                        if tx.send((Either::Right(stream), peer)).await.is_err() {
                            return;
                        }
                    }
                    Some(acceptor) => {
                        let (tx, acceptor) = (tx.clone(), acceptor.clone());
                        tokio::spawn(async move {
                            let opened =
                                tokio::time::timeout(HANDSHAKE_TIMEOUT, open(stream, &acceptor))
                                    .await;
                            match opened {
                                Ok(Ok((io, secure))) => {
                                    let peer = Peer {
                                        addr,
                                        secure,
                                        _place: place,
                                    };
                                    let _ = tx.send((io, peer)).await;
                                }
                                Ok(Err(e)) => tracing::debug!(%addr, "TLS handshake failed: {e}"),
                                Err(_) => tracing::debug!(%addr, "TLS handshake timed out"),
                            }
                        });
                    }
                }
            }
        });
        Ok(Self { local, incoming })
    }
}

/// TLS when the client starts a handshake, else the plain stream.
async fn open(stream: TcpStream, acceptor: &TlsAcceptor) -> std::io::Result<(Io, bool)> {
    let mut first = [0u8; 1];
    if stream.peek(&mut first).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    if first[0] == TLS_HANDSHAKE {
        Ok((Either::Left(acceptor.accept(stream).await?), true))
    } else {
        Ok((Either::Right(stream), false))
    }
}

/// An IPv4 client of a dual-stack socket shows as `::ffff:a.b.c.d`; limits
/// per address must see the IPv4 address.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

impl RelayListener {
    /// The next accepted connection; None once accepting stopped.
    pub async fn next(&mut self) -> Option<(Io, Peer)> {
        self.incoming.recv().await
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

/// Binds `addr`. An unspecified IPv6 address (`[::]`) also takes IPv4
/// clients, on every platform.
pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    if addr.is_ipv6() && addr.ip().is_unspecified() {
        socket.set_only_v6(false)?;
    }
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}
