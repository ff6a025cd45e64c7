//! The session: connection handshake, fail-over between servers, requests, pings and
//! watch notifications, all on the calling thread.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::jute::{Reader, Writer};
use super::{
    wait_readable, Acl, CreateMode, Event, EventType, Interrupt, SessionInfo, Stat, Wake, ZkError,
};

/// Largest frame accepted from a server: ZooKeeper's default jute.maxbuffer (1 MiB) plus
/// room for headers. Anything larger is a protocol error, not an allocation.
pub const MAX_FRAME_LEN: usize = 1024 * 1024 + 4096;

/// Watch events kept for the owner; a server flooding notifications cannot grow more.
const MAX_QUEUED_EVENTS: usize = 1024;

/// Bound on one TCP connect to one server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long closing a dropped client waits for the server to confirm.
const DROP_CLOSE_BOUND: Duration = Duration::from_millis(500);

// Special xids and opcodes of the wire protocol.
const XID_NOTIFICATION: i32 = -1;
const XID_PING: i32 = -2;
const XID_AUTH: i32 = -4;
const OP_CREATE: i32 = 1;
const OP_DELETE: i32 = 2;
const OP_EXISTS: i32 = 3;
const OP_GET_DATA: i32 = 4;
const OP_GET_CHILDREN: i32 = 8;
const OP_PING: i32 = 11;
const OP_AUTH: i32 = 100;
const OP_CLOSE_SESSION: i32 = -11;
/// The session-expired state in a notification.
const STATE_EXPIRED: i32 = -112;
/// A new session's password: 16 zero bytes.
const EMPTY_PASSWORD: [u8; 16] = [0; 16];

/// Options for a new [`Client`].
pub struct Connector {
    servers: Vec<String>,
    session_timeout: Duration,
    digest: Option<Vec<u8>>,
    session: Option<SessionInfo>,
    interrupts: Vec<Arc<Interrupt>>,
}

impl Connector {
    /// `servers`: "host:port" entries, tried in order (and in turn on fail-over).
    pub fn new(servers: &[String]) -> Connector {
        Connector {
            servers: servers.to_vec(),
            session_timeout: Duration::from_secs(10),
            digest: None,
            session: None,
            interrupts: Vec::new(),
        }
    }

    /// The same from a connect string "h1:p1,h2:p2".
    pub fn from_connect_string(servers: &str) -> Connector {
        let servers: Vec<String> = servers
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        Connector::new(&servers)
    }

    pub fn session_timeout(mut self, timeout: Duration) -> Connector {
        self.session_timeout = timeout;
        self
    }

    /// Authenticates every connection with the `digest` scheme ("user:password").
    pub fn digest(mut self, credentials: Vec<u8>) -> Connector {
        self.digest = Some(credentials);
        self
    }

    /// Attaches to an existing session instead of creating one.
    pub fn session(mut self, session: SessionInfo) -> Connector {
        self.session = Some(session);
        self
    }

    /// Raising `interrupt` cuts every blocking wait of the client short.
    pub fn interrupt(mut self, interrupt: Arc<Interrupt>) -> Connector {
        self.interrupts.push(interrupt);
        self
    }

    /// Connects to the first server that answers (each tried once). Fails with
    /// ConnectionLoss if none does, SessionExpired if the session to attach is gone.
    pub fn connect(self) -> Result<Client, ZkError> {
        if self.servers.is_empty() {
            return Err(ZkError::BadArguments);
        }
        let (session_id, password) = match self.session {
            Some(session) => (session.id, session.password),
            None => (0, EMPTY_PASSWORD.to_vec()),
        };
        let now = Instant::now();
        let mut client = Client {
            servers: self.servers,
            next_server: 0,
            requested_timeout: self.session_timeout,
            session_timeout: self.session_timeout,
            session_id,
            password,
            last_zxid: 0,
            digest: self.digest,
            connection: None,
            last_sent: now,
            last_received: now,
            next_xid: 1,
            events: VecDeque::new(),
            interrupts: self.interrupts,
            abandoned: Vec::new(),
            expired: false,
            closed: false,
        };
        client.ensure_connected()?;
        // The first connection is no "reconnection".
        client.events.clear();
        Ok(client)
    }
}

/// One ZooKeeper session (see the module docs).
pub struct Client {
    servers: Vec<String>,
    next_server: usize,
    requested_timeout: Duration,
    /// As negotiated with the server.
    session_timeout: Duration,
    session_id: i64,
    password: Vec<u8>,
    last_zxid: i64,
    digest: Option<Vec<u8>>,
    connection: Option<TcpStream>,
    last_sent: Instant,
    last_received: Instant,
    next_xid: i32,
    events: VecDeque<Event>,
    interrupts: Vec<Arc<Interrupt>>,
    /// Requests given up on (interrupted) whose replies are still to be skipped.
    abandoned: Vec<i32>,
    expired: bool,
    closed: bool,
}

impl Client {
    pub fn session_info(&self) -> SessionInfo {
        SessionInfo {
            id: self.session_id,
            password: self.password.clone(),
        }
    }

    /// The session timeout the server granted.
    pub fn session_timeout(&self) -> Duration {
        self.session_timeout
    }

    pub fn is_connected(&self) -> bool {
        self.connection.is_some()
    }

    /// Silence after which a connection counts as dead (as ZooKeeper's own clients).
    fn read_timeout(&self) -> Duration {
        self.session_timeout * 2 / 3
    }

    /// Idle time after which a ping is sent.
    fn ping_interval(&self) -> Duration {
        self.session_timeout / 3
    }

    /// Creates `path`; returns the created path (with the sequence suffix, if any).
    pub fn create(
        &mut self,
        path: &str,
        data: &[u8],
        acls: &[Acl],
        mode: CreateMode,
    ) -> Result<String, ZkError> {
        let mut body = Writer::new();
        body.string(path).buffer(data).acls(acls).int(mode.flags());
        let reply = self.call(OP_CREATE, body)?;
        Reader::new(&reply).string()
    }

    /// Creates `path` and its missing ancestors as persistent nodes; an existing node is
    /// fine.
    pub fn mkdir(&mut self, path: &str, acls: &[Acl]) -> Result<(), ZkError> {
        let mut prefix = String::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            prefix.push('/');
            prefix.push_str(segment);
            match self.create(&prefix, b"", acls, CreateMode::Persistent) {
                Ok(_) | Err(ZkError::NodeExists) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Deletes `path` (any version when `version` is None).
    pub fn delete(&mut self, path: &str, version: Option<i32>) -> Result<(), ZkError> {
        let mut body = Writer::new();
        body.string(path).int(version.unwrap_or(-1));
        self.call(OP_DELETE, body).map(drop)
    }

    /// The node's metadata, None if it does not exist. With `watch`, a watch fires on
    /// its creation, deletion or change (also when it does not exist yet).
    pub fn exists(&mut self, path: &str, watch: bool) -> Result<Option<Stat>, ZkError> {
        let mut body = Writer::new();
        body.string(path).bool(watch);
        match self.call(OP_EXISTS, body) {
            Ok(reply) => Ok(Some(Reader::new(&reply).stat()?)),
            Err(ZkError::NoNode) => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub fn get_data(&mut self, path: &str, watch: bool) -> Result<(Vec<u8>, Stat), ZkError> {
        let mut body = Writer::new();
        body.string(path).bool(watch);
        let reply = self.call(OP_GET_DATA, body)?;
        let mut reader = Reader::new(&reply);
        Ok((reader.buffer()?, reader.stat()?))
    }

    /// The children's names (unsorted). With `watch`, a watch fires when they change or
    /// the node is deleted.
    pub fn get_children(&mut self, path: &str, watch: bool) -> Result<Vec<String>, ZkError> {
        let mut body = Writer::new();
        body.string(path).bool(watch);
        let reply = self.call(OP_GET_CHILDREN, body)?;
        Reader::new(&reply).strings()
    }

    /// Waits up to `timeout` for an [`Event`], keeping the session alive meanwhile
    /// (pings, reconnection with the same session). Ok(None) when the time passed.
    pub fn wait_event(&mut self, timeout: Duration) -> Result<Option<Event>, ZkError> {
        self.wait_event_or(timeout, &[])
    }

    /// [`Client::wait_event`] that `extra` interrupts also cut short (Interrupted).
    pub fn wait_event_or(
        &mut self,
        timeout: Duration,
        extra: &[&Interrupt],
    ) -> Result<Option<Event>, ZkError> {
        let deadline = Instant::now() + timeout;
        let own = self.interrupts.clone();
        let interrupts: Vec<&Interrupt> = own
            .iter()
            .map(|i| i.as_ref())
            .chain(extra.iter().copied())
            .collect();
        let mut first_pass = true;
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Some(event));
            }
            let now = Instant::now();
            // Checked after one pass at least (a zero timeout still reads what is there),
            // and on every frame: a flooding server cannot hold us past the deadline.
            if !first_pass && now >= deadline {
                return Ok(None);
            }
            first_pass = false;
            if self.connection.is_none() {
                match self.ensure_connected() {
                    Ok(()) => continue,
                    Err(
                        error @ (ZkError::SessionExpired
                        | ZkError::Closed
                        | ZkError::AuthFailed
                        | ZkError::Interrupted),
                    ) => return Err(error),
                    Err(_) => {
                        // Nothing reachable: pause before the next round of servers.
                        let pause = deadline
                            .saturating_duration_since(now)
                            .min(Duration::from_millis(250));
                        if pause.is_zero() {
                            return Ok(None);
                        }
                        if !Interrupt::sleep(&interrupts, pause) {
                            return Err(ZkError::Interrupted);
                        }
                        continue;
                    }
                }
            }
            if now.duration_since(self.last_received) >= self.read_timeout() {
                self.disconnect();
                continue;
            }
            if now.duration_since(self.last_sent) >= self.ping_interval() {
                if let Err(error) = self.send(XID_PING, OP_PING, Writer::new()) {
                    final_only(error)?;
                    continue;
                }
            }
            let wake_at = deadline
                .min(self.last_sent + self.ping_interval())
                .min(self.last_received + self.read_timeout());
            let socket = self.connection.as_ref().map(|c| c.as_raw_fd());
            match wait_readable(socket, &interrupts, wake_at.saturating_duration_since(now)) {
                Wake::Interrupted => return Err(ZkError::Interrupted),
                Wake::Readable => match self.receive_one() {
                    // Only the late reply to a request given up on can come here.
                    Ok(Some((xid, _))) => self.abandoned.retain(|x| *x != xid),
                    Ok(None) => {}
                    Err(error) => final_only(error)?,
                },
                Wake::Timeout => {
                    if Instant::now() >= deadline {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Closes the session (its ephemeral nodes go) and waits up to `bound` for the
    /// server to confirm. Without a connection, only the socket state is dropped.
    pub fn close(&mut self, bound: Duration) {
        if self.closed {
            return;
        }
        self.closed = true;
        if self.expired || self.connection.is_none() {
            self.connection = None;
            return;
        }
        let xid = self.take_xid();
        if self.send(xid, OP_CLOSE_SESSION, Writer::new()).is_ok() {
            // Not interruptible: a stopping owner still wants its ephemeral nodes gone.
            let _ = self.await_reply(xid, bound, false);
        }
        self.connection = None;
    }

    fn interrupt_refs(&self) -> Vec<&Interrupt> {
        self.interrupts.iter().map(|i| i.as_ref()).collect()
    }

    fn take_xid(&mut self) -> i32 {
        let xid = self.next_xid;
        self.next_xid = if xid == i32::MAX { 1 } else { xid + 1 };
        xid
    }

    /// One request and its reply's body.
    fn call(&mut self, op: i32, body: Writer) -> Result<Vec<u8>, ZkError> {
        self.ensure_connected()?;
        let xid = self.take_xid();
        self.send(xid, op, body)?;
        self.await_reply(xid, self.read_timeout(), true)
    }

    fn send(&mut self, xid: i32, op: i32, body: Writer) -> Result<(), ZkError> {
        let Some(connection) = self.connection.as_mut() else {
            return Err(ZkError::ConnectionLoss("not connected".to_string()));
        };
        let mut request = Writer::new();
        request.int(xid).int(op);
        let mut frame = request.into_bytes();
        frame.extend_from_slice(&body.into_bytes());
        let mut framed = Vec::with_capacity(frame.len() + 4);
        framed.extend_from_slice(&(frame.len() as u32).to_be_bytes());
        framed.extend_from_slice(&frame);
        match connection.write_all(&framed) {
            Ok(()) => {
                self.last_sent = Instant::now();
                Ok(())
            }
            Err(error) => {
                self.disconnect();
                Err(ZkError::ConnectionLoss(format!(
                    "sending a request: {error}"
                )))
            }
        }
    }

    /// Reads frames until the reply to `xid` (queueing notifications meanwhile).
    fn await_reply(
        &mut self,
        xid: i32,
        bound: Duration,
        interruptible: bool,
    ) -> Result<Vec<u8>, ZkError> {
        let deadline = Instant::now() + bound;
        let interrupts = self.interrupts.clone();
        let interrupts: Vec<&Interrupt> = if interruptible {
            interrupts.iter().map(|i| i.as_ref()).collect()
        } else {
            Vec::new()
        };
        loop {
            let Some(socket) = self.connection.as_ref().map(|c| c.as_raw_fd()) else {
                return Err(ZkError::ConnectionLoss("connection lost".to_string()));
            };
            // Checked on every frame: a server flooding other frames cannot hold us.
            let left = deadline.saturating_duration_since(Instant::now());
            match wait_readable(Some(socket), &interrupts, left) {
                Wake::Interrupted => {
                    // Its reply may still come: skip it then.
                    self.abandoned.push(xid);
                    return Err(ZkError::Interrupted);
                }
                _ if left.is_zero() => {
                    self.disconnect();
                    return Err(ZkError::ConnectionLoss(format!(
                        "no reply from ZooKeeper within {bound:?}"
                    )));
                }
                Wake::Timeout => continue,
                Wake::Readable => {}
            }
            if let Some(reply) = self.receive_one()? {
                if reply.0 == xid {
                    return reply.1;
                }
                if let Some(stale) = self.abandoned.iter().position(|x| *x == reply.0) {
                    self.abandoned.swap_remove(stale);
                    continue;
                }
                self.disconnect();
                return Err(ZkError::Protocol(format!(
                    "reply for request {} while waiting for {xid}",
                    reply.0
                )));
            }
        }
    }

    /// Reads one frame and handles pings and notifications; a request's reply is
    /// returned as (xid, body or error).
    #[allow(clippy::type_complexity)]
    fn receive_one(&mut self) -> Result<Option<(i32, Result<Vec<u8>, ZkError>)>, ZkError> {
        let frame = match self.read_frame() {
            Ok(frame) => frame,
            Err(error) => {
                self.disconnect();
                return Err(error);
            }
        };
        self.last_received = Instant::now();
        let mut reader = Reader::new(&frame);
        let header = (|| Ok::<_, ZkError>((reader.int()?, reader.long()?, reader.int()?)))();
        let (xid, zxid, code) = match header {
            Ok(header) => header,
            Err(error) => {
                self.disconnect();
                return Err(error);
            }
        };
        if zxid > 0 {
            self.last_zxid = self.last_zxid.max(zxid);
        }
        match xid {
            XID_PING => Ok(None),
            XID_NOTIFICATION => {
                let event =
                    (|| Ok::<_, ZkError>((reader.int()?, reader.int()?, reader.string()?)))();
                let (kind, state, path) = match event {
                    Ok(event) => event,
                    Err(error) => {
                        self.disconnect();
                        return Err(error);
                    }
                };
                if state == STATE_EXPIRED {
                    self.expired = true;
                    self.connection = None;
                    return Err(ZkError::SessionExpired);
                }
                // Any event means "read again": beyond a bound, more add nothing.
                if kind != -1 && self.events.len() < MAX_QUEUED_EVENTS {
                    self.events.push_back(Event::Watch {
                        kind: EventType::from_wire(kind),
                        path,
                    });
                }
                Ok(None)
            }
            _ if code != 0 => {
                let error = ZkError::from_code(code);
                if error == ZkError::SessionExpired {
                    self.expired = true;
                    self.connection = None;
                }
                Ok(Some((xid, Err(error))))
            }
            _ => Ok(Some((
                xid,
                Ok(frame[reader_offset(&frame, &reader)..].to_vec()),
            ))),
        }
    }

    /// One length-prefixed frame, size-bounded, from the current connection. The caller
    /// saw it readable; a frame that stalls midway fails after the read timeout.
    fn read_frame(&mut self) -> Result<Vec<u8>, ZkError> {
        let Some(connection) = self.connection.as_mut() else {
            return Err(ZkError::ConnectionLoss("not connected".to_string()));
        };
        read_frame(connection)
    }

    fn disconnect(&mut self) {
        self.abandoned.clear();
        self.connection = None;
    }

    /// Connects (or reconnects with the same session) if needed: each server once,
    /// starting after the last one used.
    fn ensure_connected(&mut self) -> Result<(), ZkError> {
        if self.closed {
            return Err(ZkError::Closed);
        }
        if self.expired {
            return Err(ZkError::SessionExpired);
        }
        if self.connection.is_some() {
            return Ok(());
        }
        let reconnecting = self.session_id != 0;
        // Silent for well past its timeout, the session is surely expired on the server
        // (a margin for a quorum that restarted meanwhile, which gives sessions a fresh
        // timeout): give up on it rather than reattach forever.
        if reconnecting && self.last_received.elapsed() >= self.session_timeout * 7 / 5 {
            self.expired = true;
            return Err(ZkError::SessionExpired);
        }
        let mut last_error = String::new();
        for _ in 0..self.servers.len() {
            if self.interrupts.iter().any(|i| i.is_raised()) {
                return Err(ZkError::Interrupted);
            }
            let server = self.servers[self.next_server].clone();
            self.next_server = (self.next_server + 1) % self.servers.len();
            match self.handshake(&server) {
                Ok(connection) => {
                    self.connection = Some(connection);
                    let now = Instant::now();
                    self.last_received = now;
                    self.last_sent = now;
                    if reconnecting {
                        self.events.push_back(Event::Reconnected);
                    }
                    return Ok(());
                }
                Err(
                    error @ (ZkError::SessionExpired | ZkError::AuthFailed | ZkError::Interrupted),
                ) => {
                    if error == ZkError::SessionExpired {
                        self.expired = true;
                    }
                    return Err(error);
                }
                Err(error) => last_error = format!("{server}: {error}"),
            }
        }
        Err(ZkError::ConnectionLoss(format!(
            "no ZooKeeper server reachable (last: {last_error})"
        )))
    }

    /// TCP connect, session handshake and authentication with one server.
    fn handshake(&mut self, server: &str) -> Result<TcpStream, ZkError> {
        let addresses = server
            .to_socket_addrs()
            .map_err(|e| ZkError::ConnectionLoss(format!("cannot resolve: {e}")))?;
        let mut connected = None;
        let mut last_error = None;
        for address in addresses {
            match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
                Ok(stream) => {
                    connected = Some(stream);
                    break;
                }
                Err(error) => last_error = Some(error),
            }
        }
        let mut stream = connected.ok_or_else(|| {
            ZkError::ConnectionLoss(match last_error {
                Some(error) => format!("cannot connect: {error}"),
                None => "no address".to_string(),
            })
        })?;
        let io = |e: std::io::Error| ZkError::ConnectionLoss(e.to_string());
        let bound = self.requested_timeout * 2 / 3;
        stream.set_nodelay(true).map_err(io)?;
        stream.set_read_timeout(Some(bound)).map_err(io)?;
        stream.set_write_timeout(Some(bound)).map_err(io)?;

        let mut request = Writer::new();
        request
            .int(0) // protocol version
            .long(self.last_zxid)
            .int(i32::try_from(self.requested_timeout.as_millis()).unwrap_or(i32::MAX))
            .long(self.session_id)
            .buffer(&self.password)
            .bool(false); // read-only not wanted
        stream.write_all(&request.into_frame()).map_err(io)?;
        let response = self.read_handshake_frame(&stream, bound)?;
        let mut reader = Reader::new(&response);
        let _protocol_version = reader.int()?;
        let timeout_ms = reader.int()?;
        let session_id = reader.long()?;
        let password = reader.buffer()?;
        // Older servers omit the read-only flag; we never ask for a read-only session.
        let read_only = reader.remaining() > 0 && reader.bool()?;
        if timeout_ms <= 0 {
            return Err(ZkError::SessionExpired);
        }
        if read_only {
            return Err(ZkError::ConnectionLoss(
                "the server offered only a read-only session".to_string(),
            ));
        }
        self.session_id = session_id;
        self.password = password;
        self.session_timeout = Duration::from_millis(timeout_ms as u64);

        if let Some(digest) = &self.digest {
            let mut auth = Writer::new();
            auth.int(XID_AUTH)
                .int(OP_AUTH)
                .int(0)
                .string("digest")
                .buffer(digest);
            stream.write_all(&auth.into_frame()).map_err(io)?;
            // The server answers in order; nothing else is pending on a fresh connection.
            let reply = self.read_handshake_frame(&stream, bound)?;
            let mut reader = Reader::new(&reply);
            let (xid, _zxid, code) = (reader.int()?, reader.long()?, reader.int()?);
            if xid != XID_AUTH {
                return Err(ZkError::Protocol(format!(
                    "expected the authentication reply, got xid {xid}"
                )));
            }
            if code != 0 {
                return Err(ZkError::AuthFailed);
            }
        }
        Ok(stream)
    }

    fn read_handshake_frame(
        &self,
        mut stream: &TcpStream,
        bound: Duration,
    ) -> Result<Vec<u8>, ZkError> {
        match wait_readable(Some(stream.as_raw_fd()), &self.interrupt_refs(), bound) {
            Wake::Readable => read_frame(&mut stream),
            Wake::Interrupted => Err(ZkError::Interrupted),
            Wake::Timeout => Err(ZkError::ConnectionLoss(format!(
                "no handshake answer within {bound:?}"
            ))),
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.close(DROP_CLOSE_BOUND);
    }
}

/// Passes on the errors that end a wait (the session or the owner is done); the others
/// only cost the connection, which the wait re-establishes.
fn final_only(error: ZkError) -> Result<(), ZkError> {
    match error {
        ZkError::Interrupted | ZkError::SessionExpired | ZkError::Closed => Err(error),
        _ => Ok(()),
    }
}

fn reader_offset(frame: &[u8], reader: &Reader<'_>) -> usize {
    frame.len() - reader.remaining()
}

/// Reads one length-prefixed frame of at most [`MAX_FRAME_LEN`] bytes (the socket's read
/// timeout bounds a stall).
fn read_frame(stream: &mut impl Read) -> Result<Vec<u8>, ZkError> {
    let mut length = [0u8; 4];
    read_exact(stream, &mut length)?;
    let length = i32::from_be_bytes(length);
    let length = usize::try_from(length)
        .ok()
        .filter(|length| *length <= MAX_FRAME_LEN)
        .ok_or_else(|| {
            ZkError::Protocol(format!(
                "frame of {length} bytes announced (limit {MAX_FRAME_LEN})"
            ))
        })?;
    let mut frame = vec![0u8; length];
    read_exact(stream, &mut frame)?;
    Ok(frame)
}

fn read_exact(stream: &mut impl Read, buffer: &mut [u8]) -> Result<(), ZkError> {
    stream
        .read_exact(buffer)
        .map_err(|error| match error.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => {
                ZkError::ConnectionLoss("ZooKeeper stalled in the middle of a frame".to_string())
            }
            ErrorKind::UnexpectedEof => {
                ZkError::ConnectionLoss("ZooKeeper closed the connection".to_string())
            }
            _ => ZkError::ConnectionLoss(error.to_string()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A fake server that accepts one connection and hands it to `serve`.
    fn fake_server(
        serve: impl FnOnce(TcpStream) + Send + 'static,
    ) -> (String, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let thread = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            serve(stream);
        });
        (address, thread)
    }

    fn read_request(stream: &mut TcpStream) -> Vec<u8> {
        read_frame(stream).expect("a request frame")
    }

    fn connect_response(stream: &mut TcpStream) {
        let mut response = Writer::new();
        response
            .int(0)
            .int(3000)
            .long(0x1234)
            .buffer(&[7; 16])
            .bool(false);
        stream.write_all(&response.into_frame()).unwrap();
    }

    #[test]
    fn handshake_then_request_and_reply() {
        let (address, server) = fake_server(|mut stream| {
            let connect = read_request(&mut stream);
            let mut reader = Reader::new(&connect);
            assert_eq!(reader.int().unwrap(), 0);
            assert_eq!(reader.long().unwrap(), 0);
            assert_eq!(reader.int().unwrap(), 3000);
            assert_eq!(reader.long().unwrap(), 0);
            assert_eq!(reader.buffer().unwrap(), [0; 16]);
            connect_response(&mut stream);
            let request = read_request(&mut stream);
            let mut reader = Reader::new(&request);
            let xid = reader.int().unwrap();
            assert_eq!(reader.int().unwrap(), OP_GET_CHILDREN);
            assert_eq!(reader.string().unwrap(), "/m");
            assert!(reader.bool().unwrap());
            // A notification first, then the reply.
            let mut notification = Writer::new();
            notification.int(XID_NOTIFICATION).long(-1).int(0);
            notification.int(4).int(3).string("/other");
            stream.write_all(&notification.into_frame()).unwrap();
            let mut reply = Writer::new();
            reply.int(xid).long(5).int(0).int(2).string("a").string("b");
            stream.write_all(&reply.into_frame()).unwrap();
            let _ = read_request(&mut stream); // the close
        });
        let mut client = Connector::new(&[address])
            .session_timeout(Duration::from_secs(3))
            .connect()
            .unwrap();
        assert_eq!(client.session_info().id(), 0x1234);
        assert_eq!(client.session_timeout(), Duration::from_secs(3));
        assert_eq!(client.get_children("/m", true).unwrap(), ["a", "b"]);
        assert_eq!(
            client.wait_event(Duration::ZERO).unwrap(),
            Some(Event::Watch {
                kind: EventType::NodeChildrenChanged,
                path: "/other".into()
            })
        );
        drop(client);
        server.join().unwrap();
    }

    #[test]
    fn oversized_frame_is_a_clear_error() {
        let (address, server) = fake_server(|mut stream| {
            let _ = read_request(&mut stream);
            // Announces 1 GiB.
            stream.write_all(&(1u32 << 30).to_be_bytes()).unwrap();
            std::thread::sleep(Duration::from_millis(200));
        });
        let started = Instant::now();
        let error = Connector::new(&[address])
            .session_timeout(Duration::from_secs(3))
            .connect()
            .err()
            .expect("must fail");
        // The single server failed: connection loss naming the protocol problem.
        let message = error.to_string();
        assert!(message.contains("frame of 1073741824 bytes"), "{message}");
        assert!(message.contains("limit"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(2));
        server.join().unwrap();
    }

    #[test]
    fn oversized_reply_after_connect_is_a_protocol_error() {
        let (address, server) = fake_server(|mut stream| {
            let _ = read_request(&mut stream);
            connect_response(&mut stream);
            let _ = read_request(&mut stream);
            stream
                .write_all(&((MAX_FRAME_LEN + 1) as u32).to_be_bytes())
                .unwrap();
            std::thread::sleep(Duration::from_millis(200));
        });
        let mut client = Connector::new(&[address])
            .session_timeout(Duration::from_secs(3))
            .connect()
            .unwrap();
        let error = client.get_data("/x", false).unwrap_err();
        assert!(
            matches!(&error, ZkError::Protocol(m) if m.contains("limit")),
            "{error}"
        );
        assert!(!client.is_connected(), "a bad frame drops the connection");
        server.join().unwrap();
    }

    #[test]
    fn stalled_server_times_out_instead_of_hanging() {
        // Accepts, never answers the handshake.
        let (address, server) = fake_server(|mut stream| {
            let _ = read_request(&mut stream);
            std::thread::sleep(Duration::from_millis(1500));
        });
        let started = Instant::now();
        let error = Connector::new(&[address])
            .session_timeout(Duration::from_millis(900))
            .connect()
            .err()
            .expect("must fail");
        assert!(matches!(error, ZkError::ConnectionLoss(_)), "{error}");
        assert!(error.to_string().contains("no handshake answer"), "{error}");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(550) && took < Duration::from_millis(1400),
            "{took:?}"
        );
        server.join().unwrap();

        // Answers the handshake, then stalls halfway through a reply.
        let (address, server) = fake_server(|mut stream| {
            let _ = read_request(&mut stream);
            connect_response(&mut stream);
            let _ = read_request(&mut stream);
            stream.write_all(&[0, 0, 0, 100, 0, 0]).unwrap();
            std::thread::sleep(Duration::from_millis(2500));
        });
        let mut client = Connector::new(&[address])
            .session_timeout(Duration::from_millis(900))
            .connect()
            .unwrap();
        let started = Instant::now();
        let error = client.get_data("/x", false).unwrap_err();
        assert!(error.to_string().contains("stalled"), "{error}");
        assert!(started.elapsed() < Duration::from_millis(2500));
        server.join().unwrap();
    }

    #[test]
    fn an_interrupt_cuts_a_wait_short() {
        let interrupt = Arc::new(Interrupt::new().unwrap());
        let (address, server) = fake_server(|mut stream| {
            let _ = read_request(&mut stream);
            connect_response(&mut stream);
            std::thread::sleep(Duration::from_millis(800));
        });
        let mut client = Connector::new(&[address])
            .session_timeout(Duration::from_secs(3))
            .interrupt(interrupt.clone())
            .connect()
            .unwrap();
        let raiser = {
            let interrupt = interrupt.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(100));
                interrupt.raise();
            })
        };
        let started = Instant::now();
        assert_eq!(
            client.wait_event(Duration::from_secs(5)),
            Err(ZkError::Interrupted)
        );
        assert!(started.elapsed() < Duration::from_millis(600));
        raiser.join().unwrap();
        server.join().unwrap();
    }

    #[test]
    fn fails_over_to_the_next_server_with_the_same_session() {
        let dead = TcpListener::bind("127.0.0.1:0").unwrap();
        let dead_address = dead.local_addr().unwrap().to_string();
        drop(dead);
        // The first live server accepts the session, then goes away.
        let (first, first_server) = fake_server(|mut stream| {
            let _ = read_request(&mut stream);
            connect_response(&mut stream);
        });
        // The second one must be asked for the same session id and password.
        let (second, second_server) = fake_server(|mut stream| {
            let connect = read_request(&mut stream);
            let mut reader = Reader::new(&connect);
            reader.int().unwrap();
            reader.long().unwrap();
            reader.int().unwrap();
            assert_eq!(reader.long().unwrap(), 0x1234, "same session id");
            assert_eq!(reader.buffer().unwrap(), [7; 16], "same password");
            connect_response(&mut stream);
            let _ = read_request(&mut stream); // the close
        });
        let mut client = Connector::new(&[dead_address, first, second])
            .session_timeout(Duration::from_secs(3))
            .connect()
            .unwrap();
        first_server.join().unwrap();
        assert_eq!(
            client.wait_event(Duration::from_secs(5)).unwrap(),
            Some(Event::Reconnected)
        );
        assert!(client.is_connected());
        assert_eq!(client.session_info().id(), 0x1234);
        drop(client);
        second_server.join().unwrap();
    }

    #[test]
    fn idle_sessions_ping_within_a_third_of_the_timeout() {
        let (address, server) = fake_server(|mut stream| {
            let _ = read_request(&mut stream);
            let mut response = Writer::new();
            response.int(0).int(900).long(1).buffer(&[1; 16]);
            stream.write_all(&response.into_frame()).unwrap();
            let started = Instant::now();
            let ping = read_request(&mut stream);
            let waited = started.elapsed();
            let mut reader = Reader::new(&ping);
            assert_eq!(reader.int().unwrap(), XID_PING);
            assert_eq!(reader.int().unwrap(), OP_PING);
            assert!(waited < Duration::from_millis(600), "{waited:?}");
            let mut reply = Writer::new();
            reply.int(XID_PING).long(0).int(0);
            stream.write_all(&reply.into_frame()).unwrap();
            let _ = read_request(&mut stream);
        });
        let mut client = Connector::new(&[address])
            .session_timeout(Duration::from_millis(900))
            .connect()
            .unwrap();
        // Nothing to report within 500 ms, but the session stayed alive.
        assert_eq!(client.wait_event(Duration::from_millis(500)).unwrap(), None);
        assert!(client.is_connected());
        drop(client);
        server.join().unwrap();
    }

    #[test]
    fn a_flood_of_notifications_neither_holds_nor_grows() {
        let (address, server) = fake_server(|mut stream| {
            let _ = read_request(&mut stream);
            connect_response(&mut stream);
            let mut notification = Writer::new();
            notification.int(XID_NOTIFICATION).long(-1).int(0);
            notification.int(3).int(3).string("/n");
            let frame = notification.into_frame();
            let started = Instant::now();
            // Never the reply: only notifications, for 6 s.
            while started.elapsed() < Duration::from_secs(6) {
                if stream.write_all(&frame).is_err() {
                    break;
                }
            }
        });
        let mut client = Connector::new(&[address])
            .session_timeout(Duration::from_secs(3))
            .connect()
            .unwrap();
        let started = Instant::now();
        let error = client.get_data("/x", false).unwrap_err();
        // Within the read timeout (2/3 of the granted 3 s), not when the flood ends.
        assert!(error.to_string().contains("no reply"), "{error}");
        assert!(
            started.elapsed() < Duration::from_millis(3500),
            "{:?}",
            started.elapsed()
        );
        assert!(client.events.len() <= MAX_QUEUED_EVENTS);
        drop(client);
        server.join().unwrap();
    }

    #[test]
    fn expired_session_on_attach_is_reported() {
        let (address, server) = fake_server(|mut stream| {
            let _ = read_request(&mut stream);
            let mut response = Writer::new();
            response.int(0).int(0).long(0).buffer(&[0; 16]);
            stream.write_all(&response.into_frame()).unwrap();
        });
        let error = Connector::new(&[address])
            .session(SessionInfo {
                id: 9,
                password: vec![1; 16],
            })
            .connect()
            .err()
            .unwrap();
        assert_eq!(error, ZkError::SessionExpired);
        server.join().unwrap();
    }
}
