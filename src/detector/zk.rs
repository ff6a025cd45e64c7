//! ZooKeeper master detection for `zk://` master strings, as upstream's
//! ZooKeeperMasterDetector (PROTOCOL.md section 7).
//!
//! Masters register EPHEMERAL|SEQUENCE children of the URL's path named
//! `json.info_<seq>` (JSON MasterInfo), legacy `info_<seq>` (binary MasterInfo) or a bare
//! `<seq>` (oldest format: the data is a pid "master@ip:port"). The member with the
//! lowest sequence leads. [`ZkDetector`] follows the group on its own thread, which
//! drives its blocking [`crate::zk::Client`] session itself, and publishes the leader's base URL for [`Detector::wait_for_change`].
//!
//! Failure handling:
//! - ZooKeeper unreachable (connection loss, all servers down): keep the last known
//!   leader and retry with backoff; the driver keeps its master connection meanwhile.
//! - Session expired while ZooKeeper answers: publish "no leader" (the driver calls
//!   disconnected()), then re-detect with a new session.
//! - Not allowed to read the group (wrong digest credentials: NoAuth), authentication
//!   failure, or a leader whose data is not a MasterInfo: a permanent error
//!   (`wait_for_change` returns `Err`; the driver calls error() and aborts).

use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use prost::Message;

use super::Detector;
use crate::log::{Level, Logger};
use crate::log_at;
use crate::zk::{Client, Connector, Interrupt, SessionInfo, ZkError};

/// Session timeout asked of ZooKeeper (upstream masters and drivers use 10 s).
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(10);

/// ZooKeeper's default client port, used when a server has no `:port`.
const DEFAULT_PORT: u16 = 2181;

/// First and longest wait between attempts while ZooKeeper is unreachable.
const RETRY_INITIAL: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(4);

/// How long a stopping detector waits for ZooKeeper to confirm closing its session (it
/// owns no ephemeral node, so this is only politeness toward the server).
const DETECTOR_CLOSE_BOUND: Duration = Duration::from_millis(500);

/// After a session expiry the detector publishes "no leader"; it holds that until the
/// driver has seen it (or this long), so a quick re-detection of the same leader still
/// makes the driver reconnect.
const EXPIRY_HOLD: Duration = Duration::from_secs(2);

/// A parsed `zk://[user:password@]host1:port1[,host2:port2...]/path` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ZkUrl {
    /// `host:port` of each server, in the order given.
    pub servers: Vec<String>,
    /// The group's znode path (absolute, never "/", no trailing slash).
    pub path: String,
    /// `digest` credentials (user, password).
    pub credentials: Option<(String, String)>,
}

impl ZkUrl {
    /// Parses a `zk://` URL; errors are clear and never contain the password.
    pub fn parse(url: &str) -> Result<ZkUrl, String> {
        let url = url.trim();
        let Some(rest) = url.strip_prefix("zk://") else {
            return Err("a ZooKeeper master string must start with 'zk://'".to_string());
        };
        // Upstream: the path starts at the first '/'; credentials end at the last '@'
        // before it.
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        let (credentials, hosts) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let shown = format!(
            "zk://{}{}{}",
            if credentials.is_some() { "***@" } else { "" },
            hosts,
            path
        );
        let fail = |why: &str| Err(format!("invalid ZooKeeper URL '{shown}': {why}"));

        let credentials = match credentials {
            None => None,
            Some(creds) => match creds.split_once(':') {
                Some((user, password)) if !user.is_empty() => {
                    Some((user.to_string(), password.to_string()))
                }
                _ => return fail("credentials must be 'user:password' (digest scheme)"),
            },
        };

        if hosts.is_empty() {
            return fail("no ZooKeeper server (expected zk://host:port[,host:port...]/path)");
        }
        let mut servers = Vec::new();
        for server in hosts.split(',') {
            servers.push(match parse_server(server) {
                Ok(server) => server,
                Err(why) => return fail(&why),
            });
        }

        if path.is_empty() {
            return fail("missing the group path (e.g. zk://host:2181/mesos)");
        }
        if path == "/" {
            return fail("the group path cannot be '/' (e.g. zk://host:2181/mesos)");
        }
        if path.ends_with('/') {
            return fail("the group path must not end with '/'");
        }
        for segment in path[1..].split('/') {
            if segment.is_empty() {
                return fail("the group path has an empty segment ('//')");
            }
            if segment == "." || segment == ".." {
                return fail("the group path cannot contain '.' or '..' segments");
            }
            if segment.chars().any(|c| c.is_control()) {
                return fail("the group path contains control characters");
            }
        }
        Ok(ZkUrl {
            servers,
            path: path.to_string(),
            credentials,
        })
    }

    /// The servers as a ZooKeeper connect string ("h1:p1,h2:p2").
    pub fn connect_string(&self) -> String {
        self.servers.join(",")
    }

    /// The `digest` scheme's auth bytes ("user:password"), if any.
    pub fn digest(&self) -> Option<Vec<u8>> {
        self.credentials
            .as_ref()
            .map(|(user, password)| format!("{user}:{password}").into_bytes())
    }
}

/// Shows the URL with the password masked.
impl fmt::Display for ZkUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("zk://")?;
        if let Some((user, _)) = &self.credentials {
            write!(f, "{user}:***@")?;
        }
        write!(f, "{}{}", self.connect_string(), self.path)
    }
}

impl fmt::Debug for ZkUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ZkUrl({self})")
    }
}

fn parse_server(server: &str) -> Result<String, String> {
    let server = server.trim();
    if server.is_empty() {
        return Err("empty server in the server list".to_string());
    }
    let (host, port) = if let Some(bracketed) = server.strip_prefix('[') {
        // [v6]:port
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err(format!("server '{server}': missing ']'"));
        };
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err(format!("server '{server}': expected ':port' after ']'")),
        };
        (format!("[{host}]"), port)
    } else {
        match server.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (server.to_string(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(format!("server '{server}': empty host"));
    }
    if host
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '@' || c == '?' || c == '#')
    {
        return Err(format!("server '{server}': invalid host"));
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(format!("server '{server}': invalid port '{port}'")),
        },
    };
    Ok(format!("{host}:{port}"))
}

/// How a member's data encodes its MasterInfo, from the child's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasterInfoFormat {
    /// `json.info_<seq>`: JSON MasterInfo (masters since 0.24).
    Json,
    /// `info_<seq>`: binary MasterInfo (legacy).
    Protobuf,
    /// `<seq>`: a pid string "master@ip:port" (oldest masters).
    Pid,
}

/// One master's membership znode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The child's name, e.g. "json.info_0000000003".
    pub name: String,
    pub sequence: i64,
    pub format: MasterInfoFormat,
}

impl Membership {
    /// Reads a child name; None for anything that is not a master membership
    /// (non-numeric suffix, unknown label such as "log_replicas").
    pub fn parse(child: &str) -> Option<Membership> {
        let (format, digits) = if let Some(digits) = child.strip_prefix("json.info_") {
            (MasterInfoFormat::Json, digits)
        } else if let Some(digits) = child.strip_prefix("info_") {
            (MasterInfoFormat::Protobuf, digits)
        } else {
            (MasterInfoFormat::Pid, child)
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let sequence = digits.parse::<i64>().ok()?;
        Some(Membership {
            name: child.to_string(),
            sequence,
            format,
        })
    }
}

/// The leading membership among a group's children: the lowest sequence.
pub fn select_leader<S: AsRef<str>>(children: &[S]) -> Option<Membership> {
    children
        .iter()
        .filter_map(|child| Membership::parse(child.as_ref()))
        .min_by(|a, b| a.sequence.cmp(&b.sequence).then(a.name.cmp(&b.name)))
}

/// The base URL ("http://host:port") of the master described by a member's data.
pub fn master_url(format: MasterInfoFormat, data: &[u8]) -> Result<String, String> {
    match format {
        MasterInfoFormat::Json => master_url_from_json(data),
        MasterInfoFormat::Protobuf => {
            let info = crate::proto::v1::MasterInfo::decode(data)
                .map_err(|e| format!("leading master's data is not a binary MasterInfo: {e}"))?;
            master_url_from_info(&info)
        }
        MasterInfoFormat::Pid => {
            let pid = std::str::from_utf8(data)
                .map_err(|_| "leading master's pid is not UTF-8".to_string())?;
            master_url_from_pid(pid.trim())
        }
    }
}

/// address.{hostname|ip}:address.port, else the pid, else {hostname|ip}:port.
pub fn master_url_from_json(data: &[u8]) -> Result<String, String> {
    let value: serde_json::Value = serde_json::from_slice(data)
        .map_err(|e| format!("leading master's data is not valid JSON: {e}"))?;
    let Some(info) = value.as_object() else {
        return Err("leading master's JSON MasterInfo is not an object".to_string());
    };
    let text = |object: &serde_json::Map<String, serde_json::Value>, key: &str| {
        object
            .get(key)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let port_of = |object: &serde_json::Map<String, serde_json::Value>| {
        object
            .get("port")
            .and_then(|v| v.as_u64())
            .filter(|p| (1..=65535).contains(p))
    };
    if let Some(address) = info.get("address").and_then(|a| a.as_object()) {
        let host = text(address, "hostname").or_else(|| text(address, "ip"));
        if let (Some(host), Some(port)) = (host, port_of(address)) {
            return Ok(base_url(&host, port));
        }
    }
    if let Some(pid) = text(info, "pid") {
        if let Ok(url) = master_url_from_pid(&pid) {
            return Ok(url);
        }
    }
    let ip = info
        .get("ip")
        .and_then(|v| v.as_u64())
        .and_then(|ip| u32::try_from(ip).ok())
        .filter(|ip| *ip != 0)
        .map(ip_from_network_order);
    let host = text(info, "hostname").or(ip);
    match (host, port_of(info)) {
        (Some(host), Some(port)) => Ok(base_url(&host, port)),
        _ => Err(
            "leading master's JSON MasterInfo has no usable address, pid, hostname/ip or port"
                .to_string(),
        ),
    }
}

/// The same rules for a binary MasterInfo.
pub fn master_url_from_info(info: &crate::proto::v1::MasterInfo) -> Result<String, String> {
    if let Some(address) = &info.address {
        let host = [address.hostname(), address.ip()]
            .into_iter()
            .find(|s| !s.is_empty());
        if let (Some(host), Ok(port @ 1..)) = (host, u16::try_from(address.port)) {
            return Ok(base_url(host, port.into()));
        }
    }
    if !info.pid().is_empty() {
        if let Ok(url) = master_url_from_pid(info.pid()) {
            return Ok(url);
        }
    }
    let host = if !info.hostname().is_empty() {
        Some(info.hostname().to_string())
    } else if info.ip != 0 {
        Some(ip_from_network_order(info.ip))
    } else {
        None
    };
    match (host, u16::try_from(info.port)) {
        (Some(host), Ok(port @ 1..)) => Ok(base_url(&host, port.into())),
        _ => Err(
            "leading master's MasterInfo has no usable address, pid, hostname/ip or port"
                .to_string(),
        ),
    }
}

/// "master@10.0.0.1:5050" (or "ip:port") -> "http://10.0.0.1:5050".
pub fn master_url_from_pid(pid: &str) -> Result<String, String> {
    let address = pid.rsplit_once('@').map_or(pid, |(_, address)| address);
    let bad = || format!("'{pid}' is not a master pid (master@ip:port)");
    let (host, port) = address.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.is_empty() || port == 0 || host.contains(char::is_whitespace) {
        return Err(bad());
    }
    Ok(base_url(host, port.into()))
}

/// MasterInfo.ip is an IPv4 address as a uint32 in network byte order, as written by a
/// (little-endian) master: 16777343 is 127.0.0.1.
fn ip_from_network_order(ip: u32) -> String {
    Ipv4Addr::from(ip.to_le_bytes()).to_string()
}

fn base_url(host: &str, port: u64) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("http://[{host}]:{port}")
    } else {
        format!("http://{host}:{port}")
    }
}

// ---------------------------------------------------------------------------------------
// Shared with mesos-local's registration (src/local/zk.rs): threads, backoff, sessions.

/// Runs `body` on a new thread named `name`, with every signal blocked (it never runs
/// user code).
pub(crate) fn spawn_zk_thread(
    name: &str,
    body: impl FnOnce() + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            block_all_signals();
            body();
        })
}

fn block_all_signals() {
    // SAFETY: plain libc calls on a local, initialized signal set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Exponential backoff between attempts while ZooKeeper is unreachable.
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    pub(crate) fn new() -> Backoff {
        Backoff {
            next: RETRY_INITIAL,
        }
    }
    pub(crate) fn reset(&mut self) {
        self.next = RETRY_INITIAL;
    }
    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(RETRY_MAX);
        delay
    }
}

/// Connects a new session with the URL's digest credentials; `interrupts` cut every wait
/// of the session short. Each server is tried once, so the caller's backoff applies.
pub(crate) fn connect(url: &ZkUrl, interrupts: &[&Arc<Interrupt>]) -> Result<Client, ZkError> {
    let mut connector = Connector::new(&url.servers).session_timeout(SESSION_TIMEOUT);
    if let Some(digest) = url.digest() {
        connector = connector.digest(digest);
    }
    for interrupt in interrupts {
        connector = connector.interrupt(Arc::clone(interrupt));
    }
    connector.connect()
}

/// What to do about a failed ZooKeeper operation.
pub(crate) enum Failure {
    /// Connection trouble: the client reconnects by itself; retry the operation later.
    Retry,
    /// The session is gone: start a new one.
    SessionLost,
    /// Told to stop.
    Stopped,
    /// Permanent (authentication/authorization, bad data...).
    Fatal(String),
}

pub(crate) fn classify(error: &ZkError, path: &str) -> Failure {
    match error {
        ZkError::SessionExpired | ZkError::Closed => Failure::SessionLost,
        ZkError::Interrupted => Failure::Stopped,
        ZkError::NoAuth => Failure::Fatal(format!(
            "ZooKeeper denied access to '{path}' (NoAuth): check the credentials of the zk:// URL"
        )),
        ZkError::AuthFailed => Failure::Fatal(
            "ZooKeeper authentication failed: check the credentials of the zk:// URL".to_string(),
        ),
        ZkError::InvalidAcl
        | ZkError::BadArguments
        | ZkError::NoChildrenForEphemerals
        | ZkError::Unimplemented => Failure::Fatal(format!(
            "ZooKeeper refused an operation on '{path}': {error}"
        )),
        // Connection trouble in every form (loss, timeouts, a garbled frame, a moved
        // session): try again.
        _ => Failure::Retry,
    }
}

// ---------------------------------------------------------------------------------------
// The detector.

#[derive(Default)]
struct Published {
    leader: Option<String>,
    /// The first detection finished (until then there is no answer yet).
    detected: bool,
    error: Option<String>,
    /// "No leader" was published for a session expiry and no waiter has seen it yet.
    expiry_unseen: bool,
    /// The current session (tests expire it on purpose).
    session: Option<SessionInfo>,
}

struct Shared {
    published: Mutex<Published>,
    changed: Condvar,
    /// Level from MESOS_SCHED_LOG; lines name the URL with its password masked.
    logger: Logger,
}

impl Shared {
    fn publish(&self, leader: Option<String>) {
        let mut published = self.published.lock();
        if published.detected && published.leader == leader {
            return;
        }
        match &leader {
            Some(url) => log_at!(self.logger, Level::Info, "leading master: {url}"),
            None => log_at!(self.logger, Level::Info, "no leading master"),
        }
        published.leader = leader;
        published.detected = true;
        drop(published);
        self.changed.notify_all();
    }

    fn publish_expiry(&self) {
        log_at!(
            self.logger,
            Level::Warn,
            "ZooKeeper session expired: leader unknown until detected again"
        );
        let mut published = self.published.lock();
        published.expiry_unseen = published.leader.is_some();
        published.leader = None;
        published.detected = true;
        drop(published);
        self.changed.notify_all();
    }

    fn expiry_unseen(&self) -> bool {
        self.published.lock().expiry_unseen
    }

    fn fail(&self, message: String) {
        log_at!(self.logger, Level::Error, "{message}");
        let mut published = self.published.lock();
        published.error = Some(message);
        published.leader = None;
        drop(published);
        self.changed.notify_all();
    }
}

/// Follows the leading master of a `zk://` group (see the module docs).
pub struct ZkDetector {
    url: ZkUrl,
    shared: Arc<Shared>,
    stop: Arc<Interrupt>,
    thread: Option<JoinHandle<()>>,
    /// The process that started the thread (a fork()ed child has no such thread).
    creation_pid: u32,
}

impl ZkDetector {
    /// Parses `url` (errors are clear and do not show the password) and starts following
    /// the group in the background.
    pub fn new(url: &str) -> Result<ZkDetector, String> {
        let url = ZkUrl::parse(url)?;
        let shared = Arc::new(Shared {
            published: Mutex::new(Published::default()),
            changed: Condvar::new(),
            logger: Logger::new(format!("zk {url}"), Level::from_env()),
        });
        let stop = Arc::new(
            Interrupt::new().map_err(|e| format!("cannot create the detector's wake-up: {e}"))?,
        );
        let thread = {
            let (url, shared, stop) = (url.clone(), shared.clone(), stop.clone());
            spawn_zk_thread("mesos-sched-zk", move || follow(url, shared, stop))
                .map_err(|e| format!("cannot start the ZooKeeper detector thread: {e}"))?
        };
        Ok(ZkDetector {
            url,
            shared,
            stop,
            thread: Some(thread),
            creation_pid: std::process::id(),
        })
    }

    /// The URL being followed (Display masks the password).
    pub fn url(&self) -> &ZkUrl {
        &self.url
    }

    /// The current ZooKeeper session, for tests that expire it on purpose.
    #[doc(hidden)]
    pub fn session_info(&self) -> Option<SessionInfo> {
        self.shared.published.lock().session.clone()
    }

    /// The last published leader, without waiting.
    pub fn current(&self) -> Option<String> {
        self.shared.published.lock().leader.clone()
    }
}

impl Detector for ZkDetector {
    fn wait_for_change(
        &self,
        known: Option<&str>,
        timeout: Duration,
    ) -> Result<Option<String>, String> {
        let deadline = Instant::now().checked_add(timeout);
        let mut published = self.shared.published.lock();
        loop {
            if let Some(error) = &published.error {
                return Err(error.clone());
            }
            if published.detected && published.leader.as_deref() != known {
                if published.leader.is_none() {
                    published.expiry_unseen = false;
                }
                return Ok(published.leader.clone());
            }
            match deadline {
                Some(deadline) => {
                    if self
                        .shared
                        .changed
                        .wait_until(&mut published, deadline)
                        .timed_out()
                    {
                        if let Some(error) = &published.error {
                            return Err(error.clone());
                        }
                        return Ok(published.leader.clone());
                    }
                }
                None => self.shared.changed.wait(&mut published),
            }
        }
    }
}

impl Drop for ZkDetector {
    fn drop(&mut self) {
        self.stop.raise();
        if let Some(thread) = self.thread.take() {
            // The thread ends at once when interrupted (closing its session takes at
            // most DETECTOR_CLOSE_BOUND). Never join ourselves, nor a thread that a
            // fork()ed child does not have.
            if thread.thread().id() != std::thread::current().id()
                && self.creation_pid == std::process::id()
            {
                let _ = thread.join();
            }
        }
    }
}

/// The detector thread: one session at a time, re-created when it is lost.
fn follow(url: ZkUrl, shared: Arc<Shared>, stop: Arc<Interrupt>) {
    let mut backoff = Backoff::new();
    // Set when a session expired; cleared if the next connection attempt fails (then the
    // expiry came from ZooKeeper being unreachable, and the last leader is kept).
    let mut session_expired = false;
    loop {
        let mut client = match connect(&url, &[&stop]) {
            Ok(client) => client,
            Err(error) => {
                match classify(&error, &url.path) {
                    Failure::Stopped => return,
                    Failure::Fatal(message) if error == ZkError::AuthFailed => {
                        shared.fail(message);
                        return;
                    }
                    _ => {}
                }
                session_expired = false;
                let delay = backoff.next_delay();
                log_at!(
                    shared.logger,
                    Level::Warn,
                    "cannot connect to ZooKeeper ({error}); retrying in {delay:?}, keeping the last leader"
                );
                if !Interrupt::sleep(&[&stop], delay) {
                    return;
                }
                continue;
            }
        };
        backoff.reset();
        log_at!(
            shared.logger,
            Level::Debug,
            "ZooKeeper session {:#x} established",
            client.session_info().id()
        );
        shared.published.lock().session = Some(client.session_info());
        if session_expired {
            shared.publish_expiry();
        }
        match watch_group(&mut client, &url.path, &shared, &stop) {
            Outcome::Stopped => {
                client.close(DETECTOR_CLOSE_BOUND);
                return;
            }
            Outcome::Fatal(message) => {
                shared.fail(message);
                client.close(DETECTOR_CLOSE_BOUND);
                return;
            }
            Outcome::SessionLost => session_expired = true,
        }
    }
}

enum Outcome {
    Stopped,
    SessionLost,
    Fatal(String),
}

/// Detects the leader and re-detects on every change of the group, for one session.
fn watch_group(client: &mut Client, path: &str, shared: &Shared, stop: &Interrupt) -> Outcome {
    let mut backoff = Backoff::new();
    loop {
        let leader = match detect(client, path) {
            Ok(leader) => leader,
            Err(DetectError::BadData(message)) => return Outcome::Fatal(message),
            Err(DetectError::Zk(error)) => match classify(&error, path) {
                Failure::Retry => {
                    let delay = backoff.next_delay();
                    log_at!(
                        shared.logger,
                        Level::Debug,
                        "ZooKeeper unavailable ({error}); retrying in {delay:?}"
                    );
                    if !Interrupt::sleep(&[stop], delay) {
                        return Outcome::Stopped;
                    }
                    continue;
                }
                Failure::Stopped => return Outcome::Stopped,
                Failure::SessionLost => return Outcome::SessionLost,
                Failure::Fatal(message) => return Outcome::Fatal(message),
            },
        };
        backoff.reset();
        // After an expiry, let the driver see "no leader" before the next leader.
        let hold_until = Instant::now() + EXPIRY_HOLD;
        while shared.expiry_unseen() && Instant::now() < hold_until {
            if !Interrupt::sleep(&[stop], Duration::from_millis(20)) {
                return Outcome::Stopped;
            }
        }
        shared.publish(leader);
        // Any event (the watch fired, or a reconnection lost the watches): detect again.
        loop {
            match client.wait_event(Duration::from_secs(60)) {
                Ok(Some(_)) => break,
                Ok(None) => {}
                Err(error) => match classify(&error, path) {
                    Failure::Fatal(message) => return Outcome::Fatal(message),
                    Failure::Stopped => return Outcome::Stopped,
                    _ => return Outcome::SessionLost,
                },
            }
        }
    }
}

enum DetectError {
    Zk(ZkError),
    BadData(String),
}

impl From<ZkError> for DetectError {
    fn from(error: ZkError) -> DetectError {
        DetectError::Zk(error)
    }
}

/// Lists the group (setting a watch) and reads the leader's data. With no group node
/// yet, watches for its creation.
fn detect(client: &mut Client, path: &str) -> Result<Option<String>, DetectError> {
    loop {
        let children = match client.get_children(path, true) {
            Ok(children) => children,
            Err(ZkError::NoNode) => {
                if client.exists(path, true)?.is_some() {
                    continue; // created meanwhile
                }
                return Ok(None);
            }
            Err(error) => return Err(error.into()),
        };
        let Some(leader) = select_leader(&children) else {
            return Ok(None);
        };
        let data = match client.get_data(&format!("{path}/{}", leader.name), false) {
            Ok((data, _)) => data,
            // Gone between the listing and the read: list again.
            Err(ZkError::NoNode) => continue,
            Err(error) => return Err(error.into()),
        };
        let url = master_url(leader.format, &data).map_err(|why| {
            DetectError::BadData(format!("ZooKeeper member '{path}/{}': {why}", leader.name))
        })?;
        return Ok(Some(url));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_servers_path_and_credentials() {
        let url = ZkUrl::parse(" zk://alice:s3cr@t@h1:2181,h2:2182/mesos/prod ").unwrap();
        assert_eq!(url.servers, vec!["h1:2181", "h2:2182"]);
        assert_eq!(url.path, "/mesos/prod");
        assert_eq!(
            url.credentials,
            Some(("alice".to_string(), "s3cr@t".to_string()))
        );
        assert_eq!(url.digest().unwrap(), b"alice:s3cr@t");
        assert_eq!(url.connect_string(), "h1:2181,h2:2182");
        assert_eq!(url.to_string(), "zk://alice:***@h1:2181,h2:2182/mesos/prod");

        let url = ZkUrl::parse("zk://127.0.0.1:2181/mesos").unwrap();
        assert_eq!(url.credentials, None);
        assert_eq!(url.to_string(), "zk://127.0.0.1:2181/mesos");
        let url = ZkUrl::parse("zk://zk1,[::1]:2888,[fe80::1]/m").unwrap();
        assert_eq!(
            url.servers,
            vec!["zk1:2181", "[::1]:2888", "[fe80::1]:2181"]
        );
    }

    #[test]
    fn rejects_malformed_urls_clearly_without_leaking_the_password() {
        let cases = [
            ("http://h:1/mesos", "must start with 'zk://'"),
            ("zk://h:2181", "missing the group path"),
            ("zk://h:2181/", "cannot be '/'"),
            ("zk://h:2181/mesos/", "must not end with '/'"),
            ("zk://h:2181/a//b", "empty segment"),
            ("zk://h:2181/a/../b", "'.' or '..'"),
            ("zk:///mesos", "no ZooKeeper server"),
            ("zk://h1:2181,,h2:2181/mesos", "empty server"),
            ("zk://h1:abc/mesos", "invalid port 'abc'"),
            ("zk://h1:0/mesos", "invalid port '0'"),
            ("zk://h1:70000/mesos", "invalid port"),
            ("zk://:2181/mesos", "empty host"),
            ("zk://secret@h:2181/mesos", "user:password"),
            ("zk://:secret@h:2181/mesos", "user:password"),
            ("zk://[::1/mesos", "missing ']'"),
        ];
        for (input, expected) in cases {
            let error = ZkUrl::parse(input).expect_err(input);
            assert!(error.contains(expected), "{input}: {error}");
            assert!(
                !error.contains("secret"),
                "{input}: leaks the password: {error}"
            );
        }
    }

    #[test]
    fn lowest_sequence_leads_and_non_members_are_skipped() {
        let children = [
            "json.info_0000000012",
            "log_replicas",
            "json.info_abc",
            "json.info_",
            "json.info_0000000010",
            "info_0000000011",
            "other_0000000001",
        ];
        let leader = select_leader(&children).unwrap();
        assert_eq!(leader.name, "json.info_0000000010");
        assert_eq!(leader.sequence, 10);
        assert_eq!(leader.format, MasterInfoFormat::Json);

        let leader = select_leader(&["json.info_0000000009", "info_0000000003"]).unwrap();
        assert_eq!(leader.format, MasterInfoFormat::Protobuf);
        assert_eq!(leader.sequence, 3);
        let leader = select_leader(&["0000000004", "json.info_0000000005"]).unwrap();
        assert_eq!(leader.format, MasterInfoFormat::Pid);
        assert!(select_leader::<&str>(&[]).is_none());
        assert!(select_leader(&["log_replicas", "json.info_x1"]).is_none());
    }

    #[test]
    fn json_master_info_to_url() {
        // What a real 1.12 master writes.
        let real = br#"{"address":{"hostname":"127.0.0.1","ip":"127.0.0.1","port":5060},
            "capabilities":[{"type":"AGENT_UPDATE"}],"hostname":"127.0.0.1","id":"e4ea",
            "ip":16777343,"pid":"master@127.0.0.1:5060","port":5060,"version":"1.12.0"}"#;
        assert_eq!(master_url_from_json(real).unwrap(), "http://127.0.0.1:5060");
        // address.ip when there is no address.hostname.
        let ip_only = br#"{"address":{"ip":"10.1.2.3","port":5050},"pid":"master@9.9.9.9:1"}"#;
        assert_eq!(
            master_url_from_json(ip_only).unwrap(),
            "http://10.1.2.3:5050"
        );
        // pid when there is no address.
        let pid = br#"{"pid":"master@10.0.0.7:5051","ip":1,"port":1}"#;
        assert_eq!(master_url_from_json(pid).unwrap(), "http://10.0.0.7:5051");
        // hostname/port, then ip (network byte order)/port.
        let hostname = br#"{"hostname":"m1.example","ip":16777343,"port":5052}"#;
        assert_eq!(
            master_url_from_json(hostname).unwrap(),
            "http://m1.example:5052"
        );
        let ip = br#"{"ip":16777343,"port":5053}"#;
        assert_eq!(master_url_from_json(ip).unwrap(), "http://127.0.0.1:5053");
        let v6 = br#"{"address":{"ip":"::1","port":5054}}"#;
        assert_eq!(master_url_from_json(v6).unwrap(), "http://[::1]:5054");

        for bad in [
            &b"not json"[..],
            b"[]",
            b"{}",
            br#"{"ip":16777343}"#,
            br#"{"address":{"hostname":"h","port":0}}"#,
        ] {
            assert!(
                master_url_from_json(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn binary_master_info_and_pid_to_url() {
        use crate::proto::v1::{Address, MasterInfo};
        let mut info = MasterInfo {
            id: "m".into(),
            ip: 16777343,
            port: 5050,
            ..Default::default()
        };
        let bytes = info.encode_to_vec();
        assert_eq!(
            master_url(MasterInfoFormat::Protobuf, &bytes).unwrap(),
            "http://127.0.0.1:5050"
        );
        info.pid = Some("master@10.0.0.2:5060".into());
        assert_eq!(master_url_from_info(&info).unwrap(), "http://10.0.0.2:5060");
        info.address = Some(Address {
            hostname: Some("leader.example".into()),
            ip: Some("10.0.0.3".into()),
            port: 5070,
        });
        assert_eq!(
            master_url_from_info(&info).unwrap(),
            "http://leader.example:5070"
        );
        assert!(master_url(MasterInfoFormat::Protobuf, b"\xff\xff\xff").is_err());

        assert_eq!(
            master_url(MasterInfoFormat::Pid, b"master@127.0.0.1:5050\n").unwrap(),
            "http://127.0.0.1:5050"
        );
        for bad in ["master@", "master@host", "master@host:x", "master@:5050"] {
            assert!(master_url_from_pid(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_refusals_are_fatal() {
        use ZkError as E;
        let retry = [
            E::ConnectionLoss("reset".into()),
            E::Protocol("frame too big".into()),
            E::SessionMoved,
            E::Server(-7),
            E::NoNode,
        ];
        for error in retry {
            assert!(
                matches!(classify(&error, "/m"), Failure::Retry),
                "{error:?}"
            );
        }
        for lost in [E::SessionExpired, E::Closed] {
            assert!(
                matches!(classify(&lost, "/m"), Failure::SessionLost),
                "{lost:?}"
            );
        }
        assert!(matches!(classify(&E::Interrupted, "/m"), Failure::Stopped));
        for fatal in [E::NoAuth, E::AuthFailed, E::InvalidAcl, E::BadArguments] {
            assert!(
                matches!(classify(&fatal, "/m"), Failure::Fatal(_)),
                "{fatal:?}"
            );
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut backoff = Backoff::new();
        let delays: Vec<_> = (0..7).map(|_| backoff.next_delay()).collect();
        assert_eq!(delays[0], RETRY_INITIAL);
        assert_eq!(delays[1], RETRY_INITIAL * 2);
        assert_eq!(*delays.last().unwrap(), RETRY_MAX);
        backoff.reset();
        assert_eq!(backoff.next_delay(), RETRY_INITIAL);
    }

    #[test]
    fn unreachable_zookeeper_keeps_waiting_without_an_answer() {
        // Nothing listens on port 1: detection keeps retrying, no leader, no error.
        let detector = ZkDetector::new("zk://127.0.0.1:1/mesos").unwrap();
        let started = Instant::now();
        let answer = detector.wait_for_change(None, Duration::from_millis(600));
        assert_eq!(answer, Ok(None));
        assert!(started.elapsed() >= Duration::from_millis(550));
        let answer = detector.wait_for_change(Some("http://x:1"), Duration::from_millis(300));
        assert_eq!(
            answer,
            Ok(None),
            "not detected yet: times out with no leader"
        );
        drop(detector); // must not hang
    }
}
