//! A small HTTP/1.1 server on std::net for mesos-local: an accept thread per listener
//! and a thread per connection, every one tracked so `Server::stop` can join them all.
//! Keep-alive, request bodies by Content-Length or chunked transfer-encoding with
//! bounded sizes, optional TLS (rustls). A handler either answers
//! with a `Response` or takes the connection for a streaming response.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

/// Largest request line plus headers.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most header lines in one request.
pub const MAX_HEADERS: usize = 100;
/// Most connections served at once per server; more are answered 503 and closed (a
/// flood of idle connections must not exhaust threads).
pub const MAX_CONNECTIONS: usize = 1024;
/// Longest chunk-size line or trailer line of a chunked body.
const MAX_CHUNK_LINE: usize = 1024;

/// Both directions of a connection (plain TCP or TLS).
pub trait Connection: Read + Write + Send {}
impl<T: Read + Write + Send> Connection for T {}

type Reader = BufReader<Box<dyn Connection>>;

/// TLS settings (rustls with the ring provider, already linked for ureq).
pub type TlsConfig = Arc<rustls::ServerConfig>;

/// Loads a PEM certificate chain and key into a TLS configuration.
pub fn load_tls(cert: &std::path::Path, key: &std::path::Path) -> std::io::Result<TlsConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let invalid = |what: &str, e: &dyn std::fmt::Display| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{what}: {e}"))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| invalid(&format!("cannot read certificate {}", cert.display()), &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| invalid(&format!("invalid certificate {}", cert.display()), &e))?;
    if certs.is_empty() {
        return Err(invalid(
            &format!("no certificate in {}", cert.display()),
            &"empty",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| invalid(&format!("invalid private key {}", key.display()), &e))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| invalid("TLS configuration", &e))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| invalid("TLS certificate and key", &e))?;
    Ok(Arc::new(config))
}

/// An answer with a body of known length.
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    pub fn from_data(body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    pub fn with_status_code(mut self, status: u16) -> Response {
        self.status = status;
        self
    }
    pub fn add_header(&mut self, name: &str, value: &str) {
        self.headers.push((name.to_string(), value.to_string()));
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        202 => "Accepted",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// The connection as the handler sees it; empty once taken for a streaming response.
type Slot = Rc<RefCell<Option<Reader>>>;

/// One request, its body read.
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    remote_addr: SocketAddr,
    close_after: bool,
    slot: Slot,
}

impl Request {
    pub fn method(&self) -> &str {
        &self.method
    }
    pub fn url(&self) -> &str {
        &self.url
    }
    pub fn remote_addr(&self) -> SocketAddr {
        self.remote_addr
    }
    /// Takes the body out of the request (no copy).
    pub fn take_body(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.body)
    }
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// Writes the answer; the connection stays open for the next request unless the
    /// request asked to close it.
    pub fn respond(self, response: Response) -> std::io::Result<()> {
        let mut slot = self.slot.borrow_mut();
        let Some(reader) = slot.as_mut() else {
            return Ok(());
        };
        let written = write_response(reader.get_mut(), &response, self.close_after);
        if written.is_err() || self.close_after {
            *slot = None;
        }
        written
    }
    /// Takes the connection for a response the handler writes itself (status line
    /// included); the connection closes when the writer is dropped.
    pub fn into_writer(self) -> Box<dyn Write + Send> {
        match self.slot.borrow_mut().take() {
            Some(reader) => Box::new(reader.into_inner()),
            None => Box::new(std::io::sink()),
        }
    }
}

fn write_response(out: &mut dyn Write, response: &Response, close: bool) -> std::io::Result<()> {
    use std::fmt::Write as _;
    // One buffer, one write: head and body leave in a single send(2).
    let mut head = String::with_capacity(160);
    let _ = write!(
        head,
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(
        head,
        "Date: {}\r\nContent-Length: {}\r\n",
        current_http_date(),
        response.body.len()
    );
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&response.body);
    out.write_all(&bytes)?;
    out.flush()
}

/// `http_date` of now, formatted once a second per thread.
fn current_http_date() -> String {
    thread_local! {
        static CACHED: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let now = std::time::SystemTime::now();
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHED.with(|cached| {
        let mut cached = cached.borrow_mut();
        if cached.0 != secs {
            *cached = (secs, http_date(now));
        }
        cached.1.clone()
    })
}

/// IMF-fixdate (RFC 9110 section 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
fn http_date(now: std::time::SystemTime) -> String {
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86400) as i64;
    let time = secs % 86400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

/// Why a request could not be read: the answer to give before closing, if any.
enum ReadError {
    /// The connection ended or failed (nothing to answer).
    Gone,
    /// Malformed or too large: answer and close.
    Reject(u16, String),
}

fn reject(status: u16, message: impl Into<String>) -> ReadError {
    ReadError::Reject(status, message.into())
}

/// Reads one line (CRLF or LF) of at most `limit` bytes; `Ok(None)` at a clean end.
fn read_line(reader: &mut Reader, limit: usize, what: u16) -> Result<Option<String>, ReadError> {
    let mut line = Vec::new();
    let read = (&mut *reader)
        .take(limit as u64 + 1)
        .read_until(b'\n', &mut line)
        .map_err(|_| ReadError::Gone)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        if line.len() > limit {
            return Err(reject(what, "Request header fields too large"));
        }
        return Err(ReadError::Gone);
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| reject(400, "Request head is not valid UTF-8"))
}

struct Head {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    keep_alive: bool,
}

fn read_head(reader: &mut Reader) -> Result<Option<Head>, ReadError> {
    let mut budget = MAX_HEAD_BYTES;
    // Blank lines before a request are allowed (RFC 9112 section 2.2).
    let request_line = loop {
        match read_line(reader, budget, 431)? {
            None => return Ok(None),
            Some(line) if line.is_empty() => budget = budget.saturating_sub(2),
            Some(line) => break line,
        }
        if budget == 0 {
            return Err(reject(431, "Request header fields too large"));
        }
    };
    budget = budget.saturating_sub(request_line.len() + 2);
    let mut parts = request_line.split(' ');
    let (Some(method), Some(url), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(reject(400, "Malformed request line"));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) || url.is_empty() {
        return Err(reject(400, "Malformed request line"));
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        v if v.starts_with("HTTP/") => return Err(reject(505, format!("Unsupported {v}"))),
        _ => return Err(reject(400, "Malformed request line")),
    };
    let mut headers = Vec::new();
    loop {
        let Some(line) = read_line(reader, budget, 431)? else {
            return Err(ReadError::Gone);
        };
        budget = budget.saturating_sub(line.len() + 2);
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS || budget == 0 {
            return Err(reject(431, "Request header fields too large"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(reject(400, "Malformed header line"));
        };
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(reject(400, "Malformed header name"));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let connection = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Connection"))
        .flat_map(|(_, v)| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect::<Vec<_>>();
    let keep_alive = if http10 {
        connection.iter().any(|t| t == "keep-alive")
    } else {
        !connection.iter().any(|t| t == "close")
    };
    Ok(Some(Head {
        method: method.to_string(),
        url: url.to_string(),
        headers,
        keep_alive,
    }))
}

fn header<'a>(headers: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn too_large(max_body: usize) -> ReadError {
    reject(
        413,
        format!("Request body exceeds the limit of {max_body} bytes"),
    )
}

fn read_body(reader: &mut Reader, head: &Head, max_body: usize) -> Result<Vec<u8>, ReadError> {
    let encodings: Vec<String> = header(&head.headers, "Transfer-Encoding")
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    if !encodings.is_empty() {
        if encodings != ["chunked"] {
            return Err(reject(
                501,
                format!("Unsupported Transfer-Encoding '{}'", encodings.join(", ")),
            ));
        }
        if header(&head.headers, "Content-Length").next().is_some() {
            return Err(reject(
                400,
                "Both Transfer-Encoding and Content-Length are present",
            ));
        }
        expect_continue(reader, head)?;
        return read_chunked(reader, max_body);
    }
    let mut lengths = header(&head.headers, "Content-Length").flat_map(|v| v.split(','));
    let Some(first) = lengths.next() else {
        return Ok(Vec::new());
    };
    let first = first.trim();
    if lengths.any(|other| other.trim() != first) {
        return Err(reject(400, "Conflicting Content-Length headers"));
    }
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err(reject(400, "Invalid Content-Length"));
    }
    let length: usize = first.parse().map_err(|_| too_large(max_body))?;
    if length > max_body {
        return Err(too_large(max_body));
    }
    expect_continue(reader, head)?;
    let mut body = Vec::new();
    read_exactly(reader, length, &mut body)?;
    Ok(body)
}

/// Appends exactly `length` bytes, growing the buffer as they arrive (a client declaring
/// a large body and sending nothing must not make us allocate it).
fn read_exactly(reader: &mut Reader, length: usize, body: &mut Vec<u8>) -> Result<(), ReadError> {
    let read = (&mut *reader)
        .take(length as u64)
        .read_to_end(body)
        .map_err(|_| ReadError::Gone)?;
    if read < length {
        return Err(ReadError::Gone);
    }
    Ok(())
}

/// Answers `Expect: 100-continue` before the body is read (curl sends it).
fn expect_continue(reader: &mut Reader, head: &Head) -> Result<(), ReadError> {
    if header(&head.headers, "Expect").any(|v| v.eq_ignore_ascii_case("100-continue")) {
        let out = reader.get_mut();
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .and_then(|_| out.flush())
            .map_err(|_| ReadError::Gone)?;
    }
    Ok(())
}

fn read_chunked(reader: &mut Reader, max_body: usize) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader, MAX_CHUNK_LINE, 400)?.ok_or(ReadError::Gone)?;
        let size = line.split(';').next().unwrap_or("").trim();
        if size.is_empty() || size.len() > 16 {
            return Err(reject(400, "Invalid chunk size"));
        }
        let size =
            usize::from_str_radix(size, 16).map_err(|_| reject(400, "Invalid chunk size"))?;
        if size == 0 {
            break;
        }
        if body.len() + size > max_body {
            return Err(too_large(max_body));
        }
        read_exactly(reader, size, &mut body)?;
        let end = read_line(reader, MAX_CHUNK_LINE, 400)?.ok_or(ReadError::Gone)?;
        if !end.is_empty() {
            return Err(reject(400, "Chunk data is longer than its size"));
        }
    }
    // Trailers, ignored; bounded like the head.
    let mut budget = MAX_HEAD_BYTES;
    loop {
        let line = read_line(reader, MAX_CHUNK_LINE, 400)?.ok_or(ReadError::Gone)?;
        if line.is_empty() {
            return Ok(body);
        }
        budget = budget.saturating_sub(line.len() + 2);
        if budget == 0 {
            return Err(reject(431, "Request trailers too large"));
        }
    }
}

/// What a server calls for every request.
pub type Handler = Arc<dyn Fn(Request) + Send + Sync>;

/// One listener's accept thread and the threads of its connections.
pub struct Server {
    address: SocketAddr,
    stopped: Arc<AtomicBool>,
    accept_thread: Mutex<Option<JoinHandle<()>>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Server {
    /// Starts serving `listener`; threads are named `{name}` (accept) and `{name}-conn`.
    pub fn start(
        listener: TcpListener,
        tls: Option<TlsConfig>,
        name: &str,
        max_body: usize,
        handler: Handler,
    ) -> std::io::Result<Server> {
        let address = listener.local_addr()?;
        let stopped = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Default::default();
        let accept_thread = {
            let stopped = stopped.clone();
            let connections = connections.clone();
            let name = name.to_string();
            std::thread::Builder::new()
                .name(name.clone())
                .spawn(move || {
                    accept_loop(
                        listener,
                        tls,
                        &name,
                        max_body,
                        handler,
                        &stopped,
                        &connections,
                    )
                })?
        };
        Ok(Server {
            address,
            stopped,
            accept_thread: Mutex::new(Some(accept_thread)),
            connections,
        })
    }

    /// Stops accepting and joins the accept thread; open connections are left to the
    /// caller to end (see `join_connections`). The listening socket is closed on return.
    pub fn stop_accepting(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let Some(thread) = self.accept_thread.lock().take() else {
            return;
        };
        // Wakes the blocking accept; it sees the flag and returns.
        let _ = TcpStream::connect(self.address);
        let _ = thread.join();
    }

    /// Joins every connection thread (their connections must be ending).
    pub fn join_connections(&self) {
        loop {
            let threads: Vec<_> = self.connections.lock().drain(..).collect();
            if threads.is_empty() {
                return;
            }
            for thread in threads {
                let _ = thread.join();
            }
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsConfig>,
    name: &str,
    max_body: usize,
    handler: Handler,
    stopped: &AtomicBool,
    connections: &Mutex<Vec<JoinHandle<()>>>,
) {
    loop {
        let accepted = listener.accept();
        if stopped.load(Ordering::SeqCst) {
            return;
        }
        let (socket, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of fds and the like: back off instead of spinning.
                super::util::log_warn!("{name}: accept failed: {e}");
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            }
        };
        let _ = socket.set_nodelay(true);
        let mut threads = connections.lock();
        // Forget the finished ones (joining them is immediate).
        threads.retain(|t| !t.is_finished());
        if threads.len() >= MAX_CONNECTIONS {
            drop(threads);
            super::util::log_warn!("{name}: {MAX_CONNECTIONS} connections open, refusing one");
            if tls.is_none() {
                refuse(socket);
            }
            continue;
        }
        let connection: Box<dyn Connection> = match &tls {
            None => Box::new(socket),
            Some(config) => match rustls::ServerConnection::new(config.clone()) {
                Ok(session) => Box::new(rustls::StreamOwned::new(session, socket)),
                Err(e) => {
                    super::util::log_warn!("{name}: TLS session failed: {e}");
                    continue;
                }
            },
        };
        let handler = handler.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("{name}-conn"))
            .spawn(move || serve_connection(connection, peer, max_body, &handler));
        match spawned {
            Ok(thread) => threads.push(thread),
            Err(e) => super::util::log_warn!("{name}: cannot start a connection thread: {e}"),
        }
    }
}

/// Answers 503 on the accept thread, without waiting for a slow client.
fn refuse(mut socket: TcpStream) {
    let _ = socket.set_write_timeout(Some(std::time::Duration::from_millis(100)));
    let mut response = Response::from_data("Too many connections").with_status_code(503);
    response.add_header("Content-Type", "text/plain; charset=utf-8");
    let _ = write_response(&mut socket, &response, true);
}

fn serve_connection(
    connection: Box<dyn Connection>,
    peer: SocketAddr,
    max_body: usize,
    handler: &Handler,
) {
    let slot: Slot = Rc::new(RefCell::new(Some(BufReader::with_capacity(
        16 * 1024,
        connection,
    ))));
    loop {
        let read = {
            let mut guard = slot.borrow_mut();
            let Some(reader) = guard.as_mut() else { return };
            match read_head(reader) {
                Ok(None) => return,
                Ok(Some(head)) => read_body(reader, &head, max_body).map(|body| (head, body)),
                Err(e) => Err(e),
            }
        };
        let (head, body) = match read {
            Ok(request) => request,
            Err(ReadError::Gone) => return,
            Err(ReadError::Reject(status, message)) => {
                if let Some(reader) = slot.borrow_mut().as_mut() {
                    let mut response = Response::from_data(message).with_status_code(status);
                    response.add_header("Content-Type", "text/plain; charset=utf-8");
                    let _ = write_response(reader.get_mut(), &response, true);
                }
                return;
            }
        };
        let request = Request {
            method: head.method,
            url: head.url,
            headers: head.headers,
            body,
            remote_addr: peer,
            close_after: !head.keep_alive,
            slot: slot.clone(),
        };
        // A bug in one request must not take the connection's thread down silently.
        let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(request)));
        if handled.is_err() {
            super::util::log_warn!("a request handler panicked");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::http_date;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn http_dates() {
        let at = |secs| http_date(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(at(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(at(951_825_600), "Tue, 29 Feb 2000 12:00:00 GMT");
    }
}
