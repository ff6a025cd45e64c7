//! `mesos-local`: a faithful in-process Mesos cluster (masters + agents) serving the v1
//! scheduler HTTP API on a loopback port. Behind the master string `local` and the
//! standalone `mesos-local` binary. No FFI types here.
//!
//! Layout: `master.rs` (state, allocator, tasks, status update managers, timers),
//! `server.rs` (HTTP: status codes, validation, admin endpoint), `stream.rs`
//! (subscription streams and stream faults), `protojson.rs` (JSON <-> protobuf from the
//! project's .proto files), `resources.rs`, `util.rs`.
//!
//! Local behaviours worth knowing (see docs/mesos-local.md): a MESSAGE to an executor of a
//! running task is echoed back as a MESSAGE event; tasks with a custom ExecutorInfo run
//! the executor's command as the task; in simulate mode no process runs and a task ends
//! after its duration (label `mesos_local.duration_ms`, exit code `mesos_local.exit_code`).

mod http;
mod master;
pub mod protojson;
mod resources;
mod server;
mod stream;
mod util;

pub use master::{DURATION_LABEL, EXIT_CODE_LABEL, MAX_RECORDED_CALL_BYTES, VERSION};
pub use resources::Resources;
pub use stream::Framing;

use master::{Cluster, MasterSlot, Settings};
use parking_lot::Mutex;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use stream::StreamCmd;

/// How a cluster is set up. `Default` gives the documented defaults.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// Address to bind (default 127.0.0.1).
    pub ip: String,
    /// Port of the first master; 0 = pick free ports (default for in-process use).
    pub port: u16,
    /// Number of masters on consecutive ports (default 1); master 0 leads at start.
    pub masters: usize,
    /// Number of agents (default 2).
    pub agents: usize,
    /// Resources per agent, upstream syntax (default "cpus:4;mem:8192;disk:65536;ports:[31000-32000]").
    pub resources: String,
    /// Heartbeat interval (default 15 s).
    pub heartbeat_interval: Duration,
    /// Require HTTP Basic authentication with this principal and secret.
    pub authenticate: Option<(String, String)>,
    /// Simulated tasks (no processes): each task runs for this long unless a label says otherwise.
    pub simulate: Option<Duration>,
    /// Sandbox root; None = a fresh temporary directory, removed at shutdown.
    pub work_dir: Option<PathBuf>,
    /// Keep the work dir at shutdown.
    pub keep_work_dir: bool,
    /// Register masters in ZooKeeper under this zk:// URL.
    pub zk: Option<String>,
    /// PEM certificate and key: serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// First retry of an unacknowledged status update (upstream: 10 s, doubling up to
    /// 10 min). Tests use a short one.
    pub status_update_retry: Duration,
    /// Serve the fault-injection endpoint POST /admin/faults/... (the binary's --admin).
    pub admin: bool,
    /// Keep the bodies of received calls for `received_calls` (default true in-process;
    /// the binary keeps none). At most `MAX_RECORDED_CALL_BYTES` are kept.
    pub record_calls: bool,
    /// How subscription streams write events (default `Framing::Batched`).
    pub framing: Framing,
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            ip: "127.0.0.1".into(),
            port: 0,
            masters: 1,
            agents: 2,
            resources: "cpus:4;mem:8192;disk:65536;ports:[31000-32000]".into(),
            heartbeat_interval: Duration::from_secs(15),
            authenticate: None,
            simulate: None,
            work_dir: None,
            keep_work_dir: false,
            zk: None,
            tls: None,
            status_update_retry: Duration::from_secs(10),
            admin: false,
            record_calls: true,
            framing: Framing::Batched,
        }
    }
}

/// Counts of what a cluster keeps (see `LocalCluster::kept_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptState {
    pub frameworks: usize,
    /// Tasks of current frameworks (terminal ones leave once their update is acknowledged).
    pub tasks: usize,
    pub removed_framework_ids: usize,
    pub completed_frameworks: usize,
    pub completed_tasks: usize,
    pub offers: usize,
    /// Pending timers (update retries, failover timeouts, simulated task ends).
    pub timers: usize,
    pub recorded_call_bytes: usize,
}

/// A running cluster. Dropping it shuts it down (kills tasks, closes streams).
pub struct LocalCluster {
    cluster: Arc<Cluster>,
    /// One per master; `None` once that master stopped.
    servers: Mutex<Vec<Option<http::Server>>>,
    threads: Vec<JoinHandle<()>>,
    work_dir: PathBuf,
    remove_work_dir: bool,
    stopped: bool,
    zk: Option<String>,
}

fn invalid(message: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message.into())
}

/// Binds `count` listeners on consecutive ports starting at `port` (0 = find a free run).
fn bind_consecutive(ip: &str, port: u16, count: usize) -> std::io::Result<Vec<TcpListener>> {
    if port != 0 {
        return (0..count)
            .map(|i| {
                let p = port
                    .checked_add(i as u16)
                    .ok_or_else(|| invalid("port range overflows"))?;
                TcpListener::bind((ip, p))
            })
            .collect();
    }
    let mut last_error = None;
    for _ in 0..50 {
        let first = TcpListener::bind((ip, 0))?;
        let base = first.local_addr()?.port();
        let mut listeners = vec![first];
        for i in 1..count {
            match base
                .checked_add(i as u16)
                .map(|p| TcpListener::bind((ip, p)))
            {
                Some(Ok(l)) => listeners.push(l),
                Some(Err(e)) => {
                    last_error = Some(e);
                    break;
                }
                None => break,
            }
        }
        if listeners.len() == count {
            return Ok(listeners);
        }
    }
    Err(last_error.unwrap_or_else(|| invalid("no free consecutive ports")))
}

impl LocalCluster {
    pub fn start(config: LocalConfig) -> std::io::Result<LocalCluster> {
        util::init_log_from_env();
        if let Some(url) = &config.zk {
            // The ZooKeeper registration module hooks in here (src/local/zk.rs).
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                format!("cannot register in ZooKeeper at {url}: ZooKeeper support is not compiled into this build"),
            ));
        }
        if config.masters == 0 {
            return Err(invalid("at least one master is needed"));
        }
        if config.heartbeat_interval.is_zero() {
            return Err(invalid("the heartbeat interval must be positive"));
        }
        let ip: std::net::Ipv4Addr = config
            .ip
            .parse()
            .map_err(|_| invalid(format!("invalid IPv4 address '{}'", config.ip)))?;
        let resources = Resources::parse(&config.resources).map_err(invalid)?;
        let (work_dir, remove_work_dir) = match &config.work_dir {
            Some(dir) => (dir.clone(), !config.keep_work_dir),
            None => (
                std::env::temp_dir().join(format!(
                    "mesos-local-{}-{:016x}",
                    std::process::id(),
                    util::random_u64()
                )),
                !config.keep_work_dir,
            ),
        };
        std::fs::create_dir_all(&work_dir)?;
        let tls = match &config.tls {
            Some((cert, key)) => Some(http::load_tls(cert, key)?),
            None => None,
        };
        let listeners = bind_consecutive(&config.ip, config.port, config.masters)?;
        let masters: Vec<MasterSlot> = listeners
            .iter()
            .map(|l| {
                Ok(MasterSlot {
                    id: util::new_uuid(),
                    port: l.local_addr()?.port(),
                    stopped: Default::default(),
                })
            })
            .collect::<std::io::Result<_>>()?;
        let settings = Settings {
            agents: config.agents,
            resources,
            heartbeat: config.heartbeat_interval,
            simulate: config.simulate,
            work_dir: work_dir.clone(),
            status_retry: config.status_update_retry.max(Duration::from_millis(1)),
            ip: ip.to_string(),
            hostname: ip.to_string(),
        };
        let cluster = Cluster::new(
            settings,
            masters,
            config.tls.is_some(),
            config.authenticate.clone(),
            config.admin,
            config.record_calls,
            config.framing,
        );
        let mut servers = Vec::new();
        let mut threads = Vec::new();
        for (index, listener) in listeners.into_iter().enumerate() {
            let handler = server::handler(cluster.clone(), index);
            let server = http::Server::start(
                listener,
                tls.clone(),
                &format!("mesos-local-master-{index}"),
                server::MAX_BODY_BYTES,
                handler,
            );
            match server {
                Ok(server) => servers.push(Some(server)),
                Err(e) => {
                    // The masters already serving end with their threads.
                    cluster.shutting_down.store(true, Ordering::SeqCst);
                    for server in servers.into_iter().flatten() {
                        server.stop_accepting();
                    }
                    return Err(e);
                }
            }
        }
        {
            let cluster = cluster.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("mesos-local-timers".into())
                    .spawn(move || cluster.run_timers())?,
            );
        }
        let local = LocalCluster {
            cluster,
            servers: Mutex::new(servers),
            threads,
            work_dir,
            remove_work_dir,
            stopped: false,
            zk: config.zk.clone(),
        };
        util::log_info!(
            "cluster started: masters {:?}, {} agents",
            local.master_urls(),
            config.agents
        );
        Ok(local)
    }

    fn url_of(&self, index: usize) -> String {
        let scheme = if self.cluster.tls { "https" } else { "http" };
        format!(
            "{scheme}://{}:{}",
            self.cluster.settings.ip, self.cluster.masters[index].port
        )
    }

    /// Base URL of the current leader, e.g. "http://127.0.0.1:5050" (master 0 when
    /// there is no leader).
    pub fn leader_url(&self) -> String {
        let leader = self.cluster.leader.lock().unwrap_or(0);
        self.url_of(leader)
    }

    /// Base URLs of all masters, in port order.
    pub fn master_urls(&self) -> Vec<String> {
        (0..self.cluster.masters.len())
            .map(|i| self.url_of(i))
            .collect()
    }

    /// Raw bodies (and Content-Type) of the calls the masters received, oldest first:
    /// those that fit in `MAX_RECORDED_CALL_BYTES`; none unless `record_calls`.
    pub fn received_calls(&self) -> Vec<(String, Vec<u8>)> {
        match &self.cluster.received {
            Some(received) => received.lock().calls.clone(),
            None => Vec::new(),
        }
    }

    /// What the cluster keeps in memory, counted (for soak tests: it must not grow
    /// over framework lifetimes).
    pub fn kept_state(&self) -> KeptState {
        let recorded_call_bytes = self
            .cluster
            .received
            .as_ref()
            .map_or(0, |received| received.lock().bytes);
        let st = self.cluster.state.lock();
        KeptState {
            frameworks: st.frameworks.len(),
            tasks: st.frameworks.values().map(|fw| fw.tasks.len()).sum(),
            removed_framework_ids: st.removed_frameworks.len(),
            completed_frameworks: st.completed_frameworks.len(),
            completed_tasks: st.completed_tasks.len(),
            offers: st.offers.len(),
            timers: self.cluster.timers.len(),
            recorded_call_bytes,
        }
    }

    /// Writes made to subscription streams' sockets so far (each a send(2) on plain
    /// TCP): shows the stream framing (`LocalConfig::framing`).
    pub fn stream_writes(&self) -> u64 {
        self.cluster.stream_writes.load(Ordering::Relaxed)
    }

    /// The `/state` document.
    pub fn state_json(&self) -> serde_json::Value {
        self.cluster.state_json()
    }

    /// The ZooKeeper URL this cluster was configured with (for the ZooKeeper hook).
    pub fn zk_url(&self) -> Option<&str> {
        self.zk.as_deref()
    }

    /// The work directory (sandboxes live under it).
    pub fn work_dir(&self) -> &std::path::Path {
        &self.work_dir
    }

    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.cluster.kill_all_tasks();
        self.cluster.shutting_down.store(true, Ordering::SeqCst);
        self.cluster.timers.notify();
        let servers: Vec<_> = self.servers.lock().iter_mut().map(|s| s.take()).collect();
        for (index, server) in servers.iter().enumerate() {
            if let Some(server) = server {
                end_server(self.faults(), index, server);
            }
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        if self.remove_work_dir {
            let _ = std::fs::remove_dir_all(&self.work_dir);
        }
        util::log_info!("cluster stopped");
    }

    fn faults(&self) -> Faults<'_> {
        Faults {
            cluster: &self.cluster,
        }
    }

    /// Clean EOF (chunked terminator) on every subscription stream.
    pub fn close_streams(&self) {
        self.faults().close_streams()
    }
    /// TCP RST on every subscription stream.
    pub fn reset_streams(&self) {
        self.faults().reset_streams()
    }
    /// Writes part of a record, then closes, on every subscription stream.
    pub fn cut_streams_mid_record(&self) {
        self.faults().cut_streams_mid_record()
    }
    /// Keeps connections open but sends nothing (no heartbeats, events dropped).
    pub fn stall_streams(&self, stalled: bool) {
        self.faults().stall_streams(stalled)
    }
    /// Splits records across HTTP chunks at random points.
    pub fn split_chunks(&self, enabled: bool) {
        self.faults().split_chunks(enabled)
    }
    /// Answers every scheduler call (SUBSCRIBE too) with `status` for a while.
    pub fn fail_calls(&self, status: u16, duration: Duration) {
        self.faults().fail_calls(status, duration)
    }
    /// Delays every scheduler call by `delay` for a while.
    pub fn delay_calls(&self, delay: Duration, duration: Duration) {
        self.faults().delay_calls(delay, duration)
    }
    /// ERROR event to every subscribed framework, then the stream closes.
    pub fn inject_error(&self, message: &str) {
        self.faults().inject_error(message)
    }
    /// A serialized mesos.v1.scheduler.Event onto that framework's stream (as JSON for
    /// JSON streams).
    pub fn inject_event(&self, framework_id: &str, event: &[u8]) {
        self.cluster
            .inject(framework_id, StreamCmd::RawEvent(event.to_vec()));
    }
    /// Raw bytes written as-is into that framework's stream body.
    pub fn inject_raw(&self, framework_id: &str, bytes: &[u8]) {
        self.cluster
            .inject(framework_id, StreamCmd::RawBytes(bytes.to_vec()));
    }
    /// The agent goes away: its tasks are lost, FAILURE{agent_id}, its offers rescinded.
    pub fn lose_agent(&self, agent_id: &str) {
        self.cluster.lose_agent(agent_id);
    }
    pub fn agent_ids(&self) -> Vec<String> {
        let st = self.cluster.state.lock();
        st.agents
            .iter()
            .filter(|a| a.active)
            .map(|a| a.id.clone())
            .collect()
    }
    /// Master `to` leads; the old leader's streams close and it answers 307.
    pub fn change_leader(&self, to: usize) {
        self.faults().change_leader(to)
    }
    /// Every master answers 503 for a while.
    pub fn no_leader_for(&self, duration: Duration) {
        self.faults().no_leader_for(duration)
    }
    pub fn framework_ids(&self) -> Vec<String> {
        self.cluster.state.lock().framework_order.clone()
    }
    /// Polls `state_json` until `predicate` holds (true) or the timeout passes (false).
    pub fn wait_until<F: Fn(&serde_json::Value) -> bool>(
        &self,
        timeout: Duration,
        predicate: F,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if predicate(&self.state_json()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    // ZooKeeper hook -------------------------------------------------------------------

    /// MasterInfo of master `index` as the JSON a master writes into ZooKeeper.
    pub fn master_info_json(&self, index: usize) -> serde_json::Value {
        use prost::Message;
        let info = self.cluster.master_info(index);
        protojson::protobuf_to_json("mesos.v1.MasterInfo", &info.encode_to_vec())
            .unwrap_or(serde_json::Value::Null)
    }
    /// Sets the leader (None = no leader: every master answers 503). Streams of a
    /// leader that loses leadership close.
    pub fn set_leader(&self, index: Option<usize>) {
        let current = *self.cluster.leader.lock();
        if current != index {
            self.cluster.disconnect_all_for_leader_change();
            *self.cluster.leader.lock() = index;
            // A master losing leadership ends like upstream's (which exits): nothing
            // accepted on it before stays unanswered.
            if let Some(old) = current {
                self.faults().close_connections(old);
            }
        }
    }
    /// Stops serving master `index`'s port (its streams close).
    pub fn stop_master(&self, index: usize) {
        if index >= self.cluster.masters.len() {
            return;
        }
        self.cluster.masters[index]
            .stopped
            .store(true, Ordering::SeqCst);
        if *self.cluster.leader.lock() == Some(index) {
            self.cluster.disconnect_all_for_leader_change();
        }
        let server = self.servers.lock()[index].take();
        match server {
            Some(server) => end_server(self.faults(), index, &server),
            None => self.faults().close_connections(index),
        }
    }
    /// Number of masters.
    pub fn master_count(&self) -> usize {
        self.cluster.masters.len()
    }
}

/// Ends master `index`'s server like a dead process: no more connections accepted,
/// every open one (streams, keep-alive call connections, requests in progress) ends now,
/// and every thread it started is joined.
fn end_server(faults: Faults<'_>, index: usize, server: &http::Server) {
    server.stop_accepting();
    faults.close_connections(index);
    server.join_connections();
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The fault injections, shared by the Rust API and the admin endpoint.
pub(crate) struct Faults<'a> {
    pub(crate) cluster: &'a Arc<Cluster>,
}

impl Faults<'_> {
    pub fn close_streams(&self) {
        self.cluster.command_all_streams(|| StreamCmd::Close);
    }
    pub fn reset_streams(&self) {
        self.cluster.command_all_streams(|| StreamCmd::Reset);
    }
    pub fn cut_streams_mid_record(&self) {
        self.cluster.command_all_streams(|| StreamCmd::Cut);
    }
    pub fn stall_streams(&self, stalled: bool) {
        self.cluster
            .stream_faults
            .stalled
            .store(stalled, Ordering::SeqCst);
    }
    pub fn split_chunks(&self, enabled: bool) {
        self.cluster
            .stream_faults
            .split
            .store(enabled, Ordering::SeqCst);
    }
    pub fn fail_calls(&self, status: u16, duration: Duration) {
        *self.cluster.call_faults.fail.lock() = Some((status, Instant::now() + duration));
    }
    pub fn delay_calls(&self, delay: Duration, duration: Duration) {
        *self.cluster.call_faults.delay.lock() = Some((delay, Instant::now() + duration));
    }
    pub fn inject_error(&self, message: &str) {
        let message = message.to_string();
        self.cluster
            .command_all_streams(|| StreamCmd::ErrorAndClose(message.clone()));
    }
    pub fn change_leader(&self, to: usize) {
        if let Some(deposed) = self.switch_leader(to) {
            deposed.close();
        }
    }
    /// Makes master `to` the leader and closes the streams; if the leader changed,
    /// returns the old leader's connections as they were at the switch, for the caller
    /// to close (connections made later get the old master's redirect).
    pub fn switch_leader(&self, to: usize) -> Option<OpenConnections> {
        if to >= self.cluster.masters.len() {
            return None;
        }
        self.cluster.disconnect_all_for_leader_change();
        let old = self.cluster.leader.lock().replace(to);
        let old = old.filter(|&old| old != to)?;
        Some(self.open_connections(old))
    }
    /// Master `index`'s open connections now.
    pub fn open_connections(&self, index: usize) -> OpenConnections {
        let port = self.cluster.masters[index].port;
        OpenConnections {
            port,
            connections: stream::connections_on(port),
        }
    }
    /// Ends every open connection of master `index` at once, as a dying master process
    /// would (requests in progress are never answered).
    pub fn close_connections(&self, index: usize) {
        self.open_connections(index).close();
    }
}

/// A snapshot of a master's open connections (see `Faults::open_connections`).
pub(crate) struct OpenConnections {
    port: u16,
    connections: Vec<(i32, std::net::SocketAddr)>,
}

impl OpenConnections {
    /// Ends them at once (those still open).
    pub fn close(self) {
        stream::shutdown_connections(&self.connections, self.port);
    }
}

impl Faults<'_> {
    pub fn no_leader_for(&self, duration: Duration) {
        *self.cluster.call_faults.no_leader_until.lock() = Some(Instant::now() + duration);
    }
}

/// Sets the log level of every cluster in this process ("off", "error", "warn", "info",
/// "debug"); false for an unknown level.
pub fn set_log_level(level: &str) -> bool {
    match util::parse_log_level(level) {
        Some(level) => {
            util::set_log_level(level);
            true
        }
        None => false,
    }
}

#[cfg(feature = "zookeeper")]
pub mod zk;
