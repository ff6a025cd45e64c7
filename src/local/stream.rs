//! One subscription stream: a writer thread per SUBSCRIBE connection that owns the
//! socket's response writer, frames events as RecordIO inside HTTP chunks, sends
//! heartbeats, notices the client going away, and applies stream faults.
//! The master only ever pushes commands onto the stream's channel (never blocks on I/O).

use super::protojson;
use crate::proto::scheduler::{event, Event};
use prost::Message;
use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Protobuf,
}

impl Encoding {
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/json",
            Encoding::Protobuf => "application/x-protobuf",
        }
    }
}

/// How a stream writes events to its socket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Framing {
    /// Events queued behind one another go out in one write (up to 256 events or the
    /// 8 KiB buffer): fewest syscalls.
    #[default]
    Batched,
    /// Every event is written and flushed on its own, as a real master does (its
    /// readers see about one to a few events per read).
    PerEvent,
}

impl Framing {
    pub fn parse(text: &str) -> Option<Framing> {
        match text {
            "batched" => Some(Framing::Batched),
            "per-event" => Some(Framing::PerEvent),
            _ => None,
        }
    }
}

/// Counts the writes reaching a stream's socket (each one a send(2) on plain TCP).
pub struct CountingWriter {
    pub inner: Box<dyn Write + Send>,
    pub writes: Arc<std::sync::atomic::AtomicU64>,
}

impl Write for CountingWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.inner.write(data)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub enum StreamCmd {
    Event(Box<Event>),
    /// A serialized Event (converted to JSON for JSON streams).
    RawEvent(Vec<u8>),
    /// Bytes written as-is into the body (one chunk).
    RawBytes(Vec<u8>),
    /// ERROR event, then a clean end of the stream.
    ErrorAndClose(String),
    /// Clean end: chunked terminator, then close.
    Close,
    /// TCP RST.
    Reset,
    /// Part of a record, then close without terminator.
    Cut,
}

/// The master's end of a stream.
pub struct StreamHandle {
    pub id: String,
    pub encoding: Encoding,
    pub master: usize,
    tx: Sender<StreamCmd>,
}

impl StreamHandle {
    pub fn new(id: String, encoding: Encoding, master: usize, tx: Sender<StreamCmd>) -> Self {
        StreamHandle {
            id,
            encoding,
            master,
            tx,
        }
    }
    pub fn send(&self, event: Event) {
        let _ = self.tx.send(StreamCmd::Event(Box::new(event)));
    }
    pub fn command(&self, cmd: StreamCmd) {
        let _ = self.tx.send(cmd);
    }
}

/// Stream-wide fault switches, shared by all streams of a cluster.
#[derive(Default)]
pub struct StreamFaults {
    pub stalled: AtomicBool,
    pub split: AtomicBool,
}

/// Finds the socket of a connection from its peer and local port, and keeps a duplicate
/// of it: to notice the client hanging up (poll) and to reset it (SO_LINGER 0).
pub fn find_socket(peer: SocketAddr, local_port: u16) -> Option<OwnedFd> {
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    for entry in dir.flatten() {
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if socket_matches(fd, peer, local_port) {
            // SAFETY: fcntl F_DUPFD_CLOEXEC on an fd we just checked; the new fd is ours.
            let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
            if dup >= 0 {
                // SAFETY: `dup` is a fresh fd owned by nobody else.
                return Some(unsafe { OwnedFd::from_raw_fd(dup) });
            }
        }
    }
    None
}

/// The connections accepted on `local_port` in this process (descriptor and peer):
/// accepted ones have our port locally and a peer. The listener has no peer; our own
/// clients of that port have it as the peer's port, not the local one.
pub fn connections_on(local_port: u16) -> Vec<(i32, SocketAddr)> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|entry| entry.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|&fd| sockaddr_of(fd, false).map(|a| a.port()) == Some(local_port))
        .filter_map(|fd| sockaddr_of(fd, true).map(|peer| (fd, peer)))
        .collect()
}

/// Shuts down (both directions) those connections, skipping a descriptor that has been
/// reused for another connection meanwhile. Their clients see the connection end at
/// once, as when a master process dies; the threads owning those sockets notice on
/// their next read or write and close them.
pub fn shutdown_connections(connections: &[(i32, SocketAddr)], local_port: u16) {
    for &(fd, peer) in connections {
        if socket_matches(fd, peer, local_port) {
            // SAFETY: shutdown(2) changes the connection's state, not the fd table: the
            // fd stays valid for its owner.
            unsafe {
                libc::shutdown(fd, libc::SHUT_RDWR);
            }
        }
    }
}

fn sockaddr_of(fd: i32, peer: bool) -> Option<SocketAddr> {
    // SAFETY: plain getsockname/getpeername into a zeroed sockaddr_storage.
    unsafe {
        let mut storage: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let ptr = &mut storage as *mut _ as *mut libc::sockaddr;
        let rc = if peer {
            libc::getpeername(fd, ptr, &mut len)
        } else {
            libc::getsockname(fd, ptr, &mut len)
        };
        if rc != 0 {
            return None;
        }
        match storage.ss_family as i32 {
            libc::AF_INET => {
                let a = &*(ptr as *const libc::sockaddr_in);
                let ip = std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
                Some(SocketAddr::from((ip, u16::from_be(a.sin_port))))
            }
            libc::AF_INET6 => {
                let a = &*(ptr as *const libc::sockaddr_in6);
                let ip = std::net::Ipv6Addr::from(a.sin6_addr.s6_addr);
                Some(SocketAddr::from((ip, u16::from_be(a.sin6_port))))
            }
            _ => None,
        }
    }
}

fn socket_matches(fd: i32, peer: SocketAddr, local_port: u16) -> bool {
    sockaddr_of(fd, true) == Some(peer)
        && sockaddr_of(fd, false).map(|a| a.port()) == Some(local_port)
}

fn same_file(a: i32, b: i32) -> bool {
    // SAFETY: fstat into zeroed stat buffers.
    unsafe {
        let mut sa: libc::stat = std::mem::zeroed();
        let mut sb: libc::stat = std::mem::zeroed();
        libc::fstat(a, &mut sa) == 0
            && libc::fstat(b, &mut sb) == 0
            && sa.st_dev == sb.st_dev
            && sa.st_ino == sb.st_ino
    }
}

/// Bounds how long a write to a client that stopped reading may block: such a stream
/// then ends as if the client had gone away (the master never buffers without limit
/// behind a dead reader).
pub fn set_send_timeout(socket: &OwnedFd, timeout: std::time::Duration) {
    let tv = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: timeout.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: setsockopt on our own fd with a properly sized timeval.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            &tv as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}

/// How often a busy stream looks for its client having hung up.
const PEER_CHECK: Duration = Duration::from_millis(100);

/// True when the peer has hung up (FIN or error) on `fd`.
fn peer_gone(fd: i32) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: poll on one valid pollfd with a zero timeout.
    let rc = unsafe { libc::poll(&mut pfd, 1, 0) };
    rc > 0 && pfd.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0
}

/// Sends a TCP RST on the connection: every other fd of this socket in the process is
/// replaced by a harmless unconnected socket (so nobody sends a FIN on it), then the
/// socket is shut for reading (waking a blocked reader) and closed with SO_LINGER 0.
fn reset_connection(socket: OwnedFd) {
    let keep = socket.as_raw_fd();
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        let fds: Vec<i32> = dir
            .flatten()
            .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
            .collect();
        for fd in fds {
            if fd != keep && same_file(fd, keep) {
                // SAFETY: replace fd (same socket as ours) by a fresh unconnected socket.
                unsafe {
                    let dummy =
                        libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
                    if dummy >= 0 {
                        libc::dup2(dummy, fd);
                        libc::close(dummy);
                    }
                }
            }
        }
    }
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt/shutdown on our own fd.
    unsafe {
        libc::setsockopt(
            keep,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
        libc::shutdown(keep, libc::SHUT_RD);
    }
    drop(socket);
}

pub struct StreamWriter {
    pub writer: Box<dyn Write + Send>,
    pub socket: Option<OwnedFd>,
    pub encoding: Encoding,
    pub stream_id: String,
    pub heartbeat: Duration,
    pub faults: Arc<StreamFaults>,
    pub framing: Framing,
}

/// Why a stream ended.
#[derive(Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// The master closed it (Close, ErrorAndClose, dropped handle).
    Master,
    /// The client went away or a write failed.
    Client,
    /// A fault (reset or cut).
    Fault,
}

impl StreamWriter {
    fn head(&mut self) -> std::io::Result<()> {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nMesos-Stream-Id: {}\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
            self.encoding.content_type(),
            self.stream_id
        );
        self.writer.write_all(head.as_bytes())?;
        self.writer.flush()
    }

    fn chunk(&mut self, data: &[u8]) -> std::io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        if self.faults.split.load(Ordering::Relaxed) && data.len() > 1 {
            // Split at up to three random points; each piece its own chunk, flushed.
            let mut cuts: Vec<usize> = (0..3)
                .map(|_| 1 + (super::util::random_u64() as usize) % (data.len() - 1))
                .collect();
            cuts.sort_unstable();
            cuts.dedup();
            let mut start = 0;
            for cut in cuts.into_iter().chain(std::iter::once(data.len())) {
                self.one_chunk(&data[start..cut])?;
                start = cut;
            }
            Ok(())
        } else {
            self.one_chunk(data)
        }
    }

    fn one_chunk(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.unflushed_chunk(data)?;
        self.writer.flush()
    }

    fn unflushed_chunk(&mut self, data: &[u8]) -> std::io::Result<()> {
        write!(self.writer, "{:x}\r\n", data.len())?;
        self.writer.write_all(data)?;
        self.writer.write_all(b"\r\n")
    }

    fn record(&self, event_bytes: &[u8]) -> Vec<u8> {
        let json;
        let payload = match self.encoding {
            Encoding::Protobuf => event_bytes,
            Encoding::Json => match protojson::protobuf_to_json(protojson::EVENT, event_bytes) {
                Ok(value) => {
                    json = serde_json::to_vec(&value).unwrap_or_default();
                    &json
                }
                // Not a decodable Event: send the bytes as they are (tests of bad input).
                Err(_) => event_bytes,
            },
        };
        let mut out = Vec::with_capacity(payload.len() + 12);
        crate::recordio::encode(payload, &mut out);
        out
    }

    fn event_record(&self, event: &Event) -> Vec<u8> {
        self.record(&event.encode_to_vec())
    }

    fn terminate(&mut self) {
        let _ = self.writer.write_all(b"0\r\n\r\n");
        let _ = self.writer.flush();
    }

    /// Runs until the stream ends; returns why. The connection is closed at the end
    /// (the response said `Connection: close`), which also frees the server's reader.
    pub fn run(mut self, rx: Receiver<StreamCmd>) -> StreamEnd {
        let end = self.serve(rx);
        let _ = self.writer.flush();
        if let Some(socket) = self.socket.take() {
            // SAFETY: shutdown on our own duplicate of the connection's socket.
            unsafe {
                libc::shutdown(socket.as_raw_fd(), libc::SHUT_RDWR);
            }
        }
        end
    }

    fn serve(&mut self, rx: Receiver<StreamCmd>) -> StreamEnd {
        if self.head().is_err() {
            return StreamEnd::Client;
        }
        let mut next_heartbeat = Instant::now() + self.heartbeat;
        // A hang-up is looked for when idle or every PEER_CHECK, not after every event
        // (a poll(2) per wake-up; writes to a gone client fail anyway).
        let mut next_peer_check = Instant::now() + PEER_CHECK;
        loop {
            let now = Instant::now();
            let wait = next_heartbeat
                .saturating_duration_since(now)
                .min(Duration::from_millis(100));
            let stalled = self.faults.stalled.load(Ordering::Relaxed);
            let mut idle = false;
            let result = match rx.recv_timeout(wait) {
                Ok(cmd) => self.handle_queued(cmd, &rx, stalled),
                Err(RecvTimeoutError::Timeout) => {
                    idle = true;
                    Ok(None)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.terminate();
                    return StreamEnd::Master;
                }
            };
            match result {
                Ok(Some(end)) => return end,
                Ok(None) => {}
                Err(_) => return StreamEnd::Client,
            }
            let now = Instant::now();
            if idle || now >= next_peer_check {
                next_peer_check = now + PEER_CHECK;
                if let Some(socket) = &self.socket {
                    if peer_gone(socket.as_raw_fd()) {
                        return StreamEnd::Client;
                    }
                }
            }
            if now >= next_heartbeat {
                next_heartbeat = Instant::now() + self.heartbeat;
                if !self.faults.stalled.load(Ordering::Relaxed) {
                    let record = self.event_record(&heartbeat_event());
                    if self.chunk(&record).is_err() {
                        return StreamEnd::Client;
                    }
                }
            }
        }
    }

    /// Handles `cmd` and, when batching, the events queued behind it: consecutive events
    /// go out with one flush (fewer syscalls and segments when updates come fast).
    fn handle_queued(
        &mut self,
        cmd: StreamCmd,
        rx: &Receiver<StreamCmd>,
        stalled: bool,
    ) -> std::io::Result<Option<StreamEnd>> {
        const MAX_BATCH: usize = 256;
        let mut next = Some(cmd);
        let mut handled = 0;
        let mut result = Ok(None);
        while let Some(cmd) = next.take() {
            let batching = self.framing == Framing::Batched;
            let more = if batching && handled < MAX_BATCH && matches!(cmd, StreamCmd::Event(_)) {
                rx.try_recv().ok()
            } else {
                None
            };
            let flush = !matches!(more, Some(StreamCmd::Event(_)));
            result = self.handle(cmd, stalled, flush);
            if !matches!(result, Ok(None)) {
                break;
            }
            handled += 1;
            next = more;
        }
        result
    }

    fn handle(
        &mut self,
        cmd: StreamCmd,
        stalled: bool,
        flush: bool,
    ) -> std::io::Result<Option<StreamEnd>> {
        match cmd {
            StreamCmd::Event(event) => {
                if !stalled {
                    let record = self.event_record(&event);
                    if flush || self.faults.split.load(Ordering::Relaxed) {
                        self.chunk(&record)?;
                    } else {
                        self.unflushed_chunk(&record)?;
                    }
                }
            }
            StreamCmd::RawEvent(bytes) => {
                let record = self.record(&bytes);
                self.chunk(&record)?;
            }
            StreamCmd::RawBytes(bytes) => self.chunk(&bytes)?,
            StreamCmd::ErrorAndClose(message) => {
                let event = Event {
                    r#type: Some(event::Type::Error as i32),
                    error: Some(event::Error { message }),
                    ..Default::default()
                };
                let record = self.event_record(&event);
                let _ = self.chunk(&record);
                self.terminate();
                return Ok(Some(StreamEnd::Master));
            }
            StreamCmd::Close => {
                self.terminate();
                return Ok(Some(StreamEnd::Master));
            }
            StreamCmd::Reset => {
                if let Some(socket) = self.socket.take() {
                    reset_connection(socket);
                }
                return Ok(Some(StreamEnd::Fault));
            }
            StreamCmd::Cut => {
                let record = self.event_record(&heartbeat_event());
                let half = (record.len() / 2).max(1);
                let _ = self.one_chunk(&record[..half]);
                return Ok(Some(StreamEnd::Fault));
            }
        }
        Ok(None)
    }
}

pub fn heartbeat_event() -> Event {
    Event {
        r#type: Some(event::Type::Heartbeat as i32),
        ..Default::default()
    }
}
