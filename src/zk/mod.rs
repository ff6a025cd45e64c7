//! A small blocking ZooKeeper client over std::net: exactly what the `zk://` detector and
//! mesos-local's master registration need, and nothing that outlives its owner.
//!
//! A [`Client`] owns one session and starts no thread: the thread that calls it drives
//! the socket (requests, pings, watch notifications in [`Client::wait_event`]). Every
//! blocking wait is bounded and can be cut short by an [`Interrupt`]; every frame read
//! is size-bounded. Dropping a client closes its session (bounded) and its socket.

mod client;
mod jute;

use std::fmt;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use client::{Client, Connector, MAX_FRAME_LEN};

/// ACL permission bits.
pub mod perms {
    pub const READ: u32 = 1;
    pub const WRITE: u32 = 2;
    pub const CREATE: u32 = 4;
    pub const DELETE: u32 = 8;
    pub const ADMIN: u32 = 16;
    pub const ALL: u32 = READ | WRITE | CREATE | DELETE | ADMIN;
}

/// One access control entry: `perms` for the identity `scheme:id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    pub perms: u32,
    pub scheme: String,
    pub id: String,
}

impl Acl {
    pub fn new(perms: u32, scheme: &str, id: &str) -> Acl {
        Acl {
            perms,
            scheme: scheme.to_string(),
            id: id.to_string(),
        }
    }

    /// Everyone may do everything.
    pub fn open() -> Vec<Acl> {
        vec![Acl::new(perms::ALL, "world", "anyone")]
    }

    /// Only the identities authenticated in the creating session.
    pub fn creator_all() -> Vec<Acl> {
        vec![Acl::new(perms::ALL, "auth", "")]
    }

    /// Everyone reads, the creator does everything (what Mesos masters use with
    /// credentials).
    pub fn everyone_read_creator_all() -> Vec<Acl> {
        vec![
            Acl::new(perms::READ, "world", "anyone"),
            Acl::new(perms::ALL, "auth", ""),
        ]
    }
}

/// How `create` makes a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateMode {
    Persistent,
    Ephemeral,
    PersistentSequential,
    EphemeralSequential,
}

impl CreateMode {
    fn flags(self) -> i32 {
        match self {
            CreateMode::Persistent => 0,
            CreateMode::Ephemeral => 1,
            CreateMode::PersistentSequential => 2,
            CreateMode::EphemeralSequential => 3,
        }
    }
}

/// A node's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stat {
    pub czxid: i64,
    pub mzxid: i64,
    pub ctime: i64,
    pub mtime: i64,
    pub version: i32,
    pub cversion: i32,
    pub aversion: i32,
    pub ephemeral_owner: i64,
    pub data_length: i32,
    pub num_children: i32,
    pub pzxid: i64,
}

/// A session's identity: enough to attach to it again from another connection.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionInfo {
    id: i64,
    password: Vec<u8>,
}

impl SessionInfo {
    pub fn id(&self) -> i64 {
        self.id
    }
}

impl fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionInfo({:#x})", self.id)
    }
}

/// What a watch reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    NodeCreated,
    NodeDeleted,
    NodeDataChanged,
    NodeChildrenChanged,
    /// Any other type, e.g. a session state change.
    Other(i32),
}

impl EventType {
    fn from_wire(kind: i32) -> EventType {
        match kind {
            1 => EventType::NodeCreated,
            2 => EventType::NodeDeleted,
            3 => EventType::NodeDataChanged,
            4 => EventType::NodeChildrenChanged,
            other => EventType::Other(other),
        }
    }
}

/// Something [`Client::wait_event`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A watch set by a read fired (each watch fires once).
    Watch { kind: EventType, path: String },
    /// The connection was lost and the same session re-attached on a server: watches
    /// set before are gone, so read (and watch) again.
    Reconnected,
}

/// ZooKeeper failures: the server's error codes that callers tell apart, and the
/// client's own (connection, protocol, interruption).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZkError {
    NoNode,
    NoAuth,
    NodeExists,
    NotEmpty,
    BadVersion,
    NoChildrenForEphemerals,
    InvalidAcl,
    AuthFailed,
    BadArguments,
    Unimplemented,
    SessionMoved,
    /// The session is gone (the server said so, or no server could be reached for the
    /// whole session timeout): start a new one.
    SessionExpired,
    /// Another error code from the server.
    Server(i32),
    /// No server reachable, connection lost or timed out: the client reconnects on the
    /// next call (same session while it lasts).
    ConnectionLoss(String),
    /// The server sent something malformed or oversized; the connection was dropped.
    Protocol(String),
    /// An [`Interrupt`] given to the client was raised.
    Interrupted,
    /// The client was closed.
    Closed,
}

impl ZkError {
    fn from_code(code: i32) -> ZkError {
        match code {
            -101 => ZkError::NoNode,
            -102 => ZkError::NoAuth,
            -103 => ZkError::BadVersion,
            -108 => ZkError::NoChildrenForEphemerals,
            -110 => ZkError::NodeExists,
            -111 => ZkError::NotEmpty,
            -112 => ZkError::SessionExpired,
            -114 => ZkError::InvalidAcl,
            -115 => ZkError::AuthFailed,
            -118 => ZkError::SessionMoved,
            -8 => ZkError::BadArguments,
            -6 => ZkError::Unimplemented,
            other => ZkError::Server(other),
        }
    }
}

impl fmt::Display for ZkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZkError::NoNode => f.write_str("no such node (NoNode)"),
            ZkError::NoAuth => f.write_str("not authorized (NoAuth)"),
            ZkError::NodeExists => f.write_str("node already exists (NodeExists)"),
            ZkError::NotEmpty => f.write_str("node has children (NotEmpty)"),
            ZkError::BadVersion => f.write_str("version mismatch (BadVersion)"),
            ZkError::NoChildrenForEphemerals => {
                f.write_str("ephemeral nodes cannot have children (NoChildrenForEphemerals)")
            }
            ZkError::InvalidAcl => f.write_str("invalid ACL (InvalidACL)"),
            ZkError::AuthFailed => f.write_str("authentication failed (AuthFailed)"),
            ZkError::BadArguments => f.write_str("bad arguments (BadArguments)"),
            ZkError::Unimplemented => f.write_str("operation not implemented (Unimplemented)"),
            ZkError::SessionMoved => f.write_str("session moved to another server (SessionMoved)"),
            ZkError::SessionExpired => f.write_str("session expired (SessionExpired)"),
            ZkError::Server(code) => write!(f, "ZooKeeper error code {code}"),
            ZkError::ConnectionLoss(why) => write!(f, "connection loss: {why}"),
            ZkError::Protocol(why) => write!(f, "protocol error: {why}"),
            ZkError::Interrupted => f.write_str("interrupted"),
            ZkError::Closed => f.write_str("client closed"),
        }
    }
}

impl std::error::Error for ZkError {}

/// A wake-up that blocking waits of a [`Client`] (and [`Interrupt::sleep`]) watch: a
/// flag plus a socket pair, so `poll` sees it together with the ZooKeeper socket.
pub struct Interrupt {
    raised: AtomicBool,
    reader: UnixStream,
    writer: UnixStream,
}

impl Interrupt {
    pub fn new() -> std::io::Result<Interrupt> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        Ok(Interrupt {
            raised: AtomicBool::new(false),
            reader,
            writer,
        })
    }

    /// Wakes every wait on this interrupt, now and later, until [`Interrupt::clear`].
    pub fn raise(&self) {
        if !self.raised.swap(true, Ordering::SeqCst) {
            let _ = (&self.writer).write(&[1]);
        }
    }

    pub fn is_raised(&self) -> bool {
        self.raised.load(Ordering::SeqCst)
    }

    /// Lowers it again (for notifications rather than stops). A raise racing with this
    /// stays visible through the flag, which waits check before sleeping.
    pub fn clear(&self) {
        self.raised.store(false, Ordering::SeqCst);
        let mut sink = [0u8; 64];
        while matches!((&self.reader).read(&mut sink), Ok(n) if n > 0) {}
    }

    /// Sleeps `duration`; false if one of `interrupts` was raised (at once).
    pub fn sleep(interrupts: &[&Interrupt], duration: Duration) -> bool {
        let deadline = std::time::Instant::now() + duration;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match wait_readable(None, interrupts, left) {
                Wake::Interrupted => return false,
                Wake::Timeout if left.is_zero() => return true,
                _ => {}
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    Readable,
    Interrupted,
    Timeout,
}

/// Waits until `socket` is readable, an interrupt is raised, or `timeout` passes.
pub(crate) fn wait_readable(
    socket: Option<RawFd>,
    interrupts: &[&Interrupt],
    timeout: Duration,
) -> Wake {
    if interrupts.iter().any(|i| i.is_raised()) {
        return Wake::Interrupted;
    }
    let mut fds: Vec<libc::pollfd> = interrupts
        .iter()
        .map(|i| i.reader.as_raw_fd())
        .chain(socket)
        .map(|fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // Round up so a short positive wait does not spin.
    let millis = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
    // SAFETY: `fds` is a valid, initialized array of `fds.len()` pollfd entries.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis) };
    if interrupts.iter().any(|i| i.is_raised()) {
        return Wake::Interrupted;
    }
    if ready <= 0 {
        // Timeout, or EINTR (callers loop on their own deadline).
        return Wake::Timeout;
    }
    match socket {
        Some(_) if fds.last().is_some_and(|fd| fd.revents != 0) => Wake::Readable,
        _ => Wake::Timeout,
    }
}
