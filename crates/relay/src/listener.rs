//! Accepting connections: TCP with Nagle off, and TLS when the relay has a
//! certificate. One port serves every protocol, told apart by the first
//! byte: a JSON object (`{`) is a Syncplay client; a TLS handshake is TLS
//! (when the relay has a certificate); any other is plain HTTP, which with
//! TLS only gets the invite landing page and health (a browser opens the
//! landing page without a certificate warning; the WebSocket needs TLS).
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
/// The first byte a Syncplay client sends (its lines are JSON objects).
const SYNCPLAY_FIRST: u8 = b'{';

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
    /// Reached peer-to-peer: which way it travels, and its place among
    /// the peer-to-peer connections.
    pub p2p: Option<Arc<crate::p2p::P2pPeer>>,
}

/// A socket, plain or TLS. The TLS state (over a kilobyte) is boxed so
/// that plain connections, most of a busy relay's, do not carry its size.
pub(crate) type Io = Either<Box<TlsStream<TcpStream>>, TcpStream>;

/// The relay's listener: accepted (and, with TLS, handshaken) sockets.
pub(crate) struct RelayListener {
    local: SocketAddr,
    incoming: mpsc::Receiver<(Opened, Peer)>,
}

impl RelayListener {
    /// Starts accepting on `tcp`; until `stop`, or until the server drops
    /// the listener. With `sockets`, each address holds at most its cap.
    /// A plain socket that sends nothing within `sniff_timeout` is closed.
    pub fn start(
        tcp: TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        sockets: Option<Arc<HeldPerAddress>>,
        sniff_timeout: Duration,
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
                let (tx, acceptor) = (tx.clone(), acceptor.clone());
                // Telling the protocols apart waits for the first byte: in
                // a task of its own, with a deadline.
                let deadline = if acceptor.is_some() {
                    HANDSHAKE_TIMEOUT
                } else {
                    sniff_timeout
                };
                tokio::spawn(async move {
                    match tokio::time::timeout(deadline, open(stream, acceptor.as_ref())).await {
                        Ok(Ok(opened)) => {
                            let peer = Peer {
                                addr,
                                secure: matches!(&opened, Opened::Http(io) if matches!(**io, Either::Left(_))),
                                _place: place,
                                p2p: None,
                            };
                            let _ = tx.send((opened, peer)).await;
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%addr, "connection failed before its first message: {e}")
                        }
                        Err(_) => tracing::debug!(%addr, "nothing received in time; closed"),
                    }
                });
            }
        });
        Ok(Self { local, incoming })
    }
}

/// A connection told apart by its first byte.
pub(crate) enum Opened {
    /// HTTP (the WebSocket, the landing page, health), TLS or plain.
    Http(Box<Io>),
    /// A Syncplay client: its first line is a JSON object.
    Syncplay(TcpStream),
}

/// TLS when the client starts a handshake (and the relay has a
/// certificate), Syncplay when it starts a JSON object, else plain HTTP.
async fn open(stream: TcpStream, acceptor: Option<&TlsAcceptor>) -> std::io::Result<Opened> {
    let mut first = [0u8; 1];
    if stream.peek(&mut first).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    match (first[0], acceptor) {
        (SYNCPLAY_FIRST, _) => Ok(Opened::Syncplay(stream)),
        (TLS_HANDSHAKE, Some(acceptor)) => Ok(Opened::Http(Box::new(Either::Left(Box::new(
            acceptor.accept(stream).await?,
        ))))),
        _ => Ok(Opened::Http(Box::new(Either::Right(stream)))),
    }
}

/// An IPv4 client of a dual-stack socket shows as `::ffff:a.b.c.d`; limits
/// per address must see the IPv4 address.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

impl RelayListener {
    /// The next accepted connection; None once accepting stopped.
    pub async fn next(&mut self) -> Option<(Opened, Peer)> {
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
