//! The classic scheduler driver (MesosSchedulerDriver semantics) over the v1 HTTP API.
//!
//! Public Rust API; `src/ffi` is a thin layer over it. No FFI types here.
//!
//! Threading model: the driver owns a connection thread (detector + SUBSCRIBE stream +
//! RecordIO decoding; `connection.rs`), a monitor thread (heartbeat watchdog, leader
//! changes; `monitor.rs`), a sender thread with its acknowledgement lanes (calls on their
//! own keep-alive connections, in order; `sender.rs`) and one dispatcher thread that runs
//! `Scheduler` callbacks one at a time, or none in poll mode (`dispatcher.rs`). They
//! share `state.rs` and the callback gate (`gate.rs`). Driver methods validate their
//! arguments, enqueue work and return at once. No library lock is held while a callback
//! runs.

mod calls;
mod connection;
mod dispatcher;
mod gate;
mod monitor;
mod options;
mod sender;
mod state;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::{Condvar, Mutex};

use crate::detector::{self, Detector, MasterSpec, StaticDetector};
use crate::log::{Level, Logger};
use crate::log_at;
use crate::proto::{envelope, v1};
use calls::{call_type, validate, validate_all};
#[doc(hidden)]
pub use gate::PausePoint;
use options::Options;
use state::{Dispatch, Outgoing, Shared, State};

/// Driver status; numbering identical to mesos.proto's `Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Status {
    NotStarted = 1,
    Running = 2,
    Aborted = 3,
    Stopped = 4,
}

/// A usage error: the call did nothing and the driver's state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A required pointer/argument was missing (used by the FFI layer).
    NullArgument(String),
    /// Unparsable protobuf, invalid UTF-8, bad master string, unknown option...
    InvalidArgument(String),
    /// join/run/free from inside a callback.
    CalledFromCallback(String),
    /// The call is not allowed in the current state/mode.
    InvalidState(String),
    /// An internal bug caught at the FFI boundary.
    Panic(String),
}

impl Error {
    /// The negative status code of the C ABI.
    pub fn code(&self) -> i32 {
        match self {
            Error::NullArgument(_) => -1,
            Error::InvalidArgument(_) => -2,
            Error::CalledFromCallback(_) => -3,
            Error::InvalidState(_) => -4,
            Error::Panic(_) => -5,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Error::NullArgument(m)
            | Error::InvalidArgument(m)
            | Error::CalledFromCallback(m)
            | Error::InvalidState(m)
            | Error::Panic(m) => m,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}

/// Scheduler callbacks. Every protobuf argument is the serialized message (v1 encoding,
/// wire-identical to v0), borrowed for the duration of the call. All methods default to
/// doing nothing. Callbacks run one at a time on the driver's dispatcher thread; every
/// `Driver` method may be called from inside them except `join`/`run` (which return
/// `Error::CalledFromCallback`). Callbacks run with the signal mask of the thread that
/// called `start` (or `run`), so a process a callback starts gets the mask the user
/// expects; the driver's other threads block every signal. The callback gate: once
/// `stop` or `abort` has returned no callback begins, and `join`/`run` return only after
/// a callback in progress has returned. A panicking callback aborts the driver.
#[allow(unused_variables)]
pub trait Scheduler: Send {
    fn registered(&mut self, driver: &Driver, framework_id: &[u8], master_info: &[u8]) {}
    fn reregistered(&mut self, driver: &Driver, master_info: &[u8]) {}
    fn disconnected(&mut self, driver: &Driver) {}
    fn resource_offers(&mut self, driver: &Driver, offers: &[&[u8]]) {}
    fn offer_rescinded(&mut self, driver: &Driver, offer_id: &[u8]) {}
    fn status_update(&mut self, driver: &Driver, task_status: &[u8]) {}
    fn framework_message(
        &mut self,
        driver: &Driver,
        executor_id: &[u8],
        agent_id: &[u8],
        data: &[u8],
    ) {
    }
    fn slave_lost(&mut self, driver: &Driver, agent_id: &[u8]) {}
    fn executor_lost(&mut self, driver: &Driver, executor_id: &[u8], agent_id: &[u8], status: i32) {
    }
    fn error(&mut self, driver: &Driver, message: &str) {}
    // Extensions beyond the classic API.
    fn inverse_offers(&mut self, driver: &Driver, inverse_offers: &[&[u8]]) {}
    fn inverse_offer_rescinded(&mut self, driver: &Driver, inverse_offer_id: &[u8]) {}
    fn operation_status(&mut self, driver: &Driver, operation_status: &[u8]) {}
    fn heartbeat(&mut self, driver: &Driver) {}
}

/// A scheduler driver handle. Cheap to clone (shared state); all methods are safe from
/// any thread, including from inside callbacks. Dropping the last handle the user holds
/// stops a running driver with failover (no teardown) and waits for its threads.
#[derive(Clone)]
pub struct Driver {
    shared: Arc<Shared>,
    /// None for the handle given to callbacks (it must not keep the driver alive).
    _owner: Option<Arc<Owner>>,
}

/// Dropped with the last user handle: stops and joins.
struct Owner {
    shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        Driver::internal(self.shared.clone()).release();
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("status", &self.status())
            .finish()
    }
}

/// An in-process cluster as a detector: its leader may move (`change_leader`).
struct LocalDetector {
    cluster: Arc<crate::local::LocalCluster>,
}

impl Detector for LocalDetector {
    fn wait_for_change(
        &self,
        known: Option<&str>,
        timeout: Duration,
    ) -> Result<Option<String>, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let leader = self.cluster.leader_url();
            if known != Some(leader.as_str()) || Instant::now() >= deadline {
                return Ok(Some(leader));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The configuration of master `local`: the documented defaults on a free port.
fn local_config() -> crate::local::LocalConfig {
    crate::local::LocalConfig {
        port: 0,
        ..crate::local::LocalConfig::default()
    }
}

fn next_driver_number() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Driver {
    /// Creates a driver. `framework_info` is a serialized FrameworkInfo (v0 or v1);
    /// `master` is `host:port`, `master@host:port`, `http(s)://host:port[/path]`,
    /// `zk://...`, `file:///path` or `local`; `credential` an optional serialized
    /// Credential. Nothing is started or connected until `start` (except the in-process
    /// cluster of `local`, which starts here).
    pub fn new(
        scheduler: Box<dyn Scheduler>,
        framework_info: &[u8],
        master: &str,
        credential: Option<&[u8]>,
        implicit_acknowledgements: bool,
    ) -> Result<Driver, Error> {
        let (framework_info, facts) = calls::prepare_framework_info(framework_info)?;
        let credential = credential.map(calls::parse_credential).transpose()?;
        let spec = detector::parse_master(master).map_err(Error::InvalidArgument)?;
        let mut local = None;
        let detector: Arc<dyn Detector> = match spec {
            MasterSpec::Fixed(url) => Arc::new(StaticDetector::new(url)),
            MasterSpec::ZooKeeper(url) => {
                detector::zookeeper_detector(&url).map_err(Error::InvalidArgument)?
            }
            MasterSpec::Local => {
                // Started from the caller's thread, not with signals blocked: threads
                // start tasks, and a blocked mask would pass on to them (SIGTERM could no
                // longer stop a task; tests/driver_local.rs checks the tasks' mask).
                let cluster = crate::local::LocalCluster::start(local_config()).map_err(|e| {
                    Error::InvalidArgument(format!("master 'local': cannot start the cluster: {e}"))
                })?;
                let cluster = Arc::new(cluster);
                local = Some(cluster.clone());
                Arc::new(LocalDetector { cluster })
            }
        };
        Ok(Driver::build(
            scheduler,
            framework_info,
            facts,
            detector,
            local,
            credential,
            implicit_acknowledgements,
        ))
    }

    /// Creates a driver that follows the leader `detector` reports (base URLs such as
    /// "http://host:port"), for masters found by means other than a master string.
    pub fn with_detector(
        scheduler: Box<dyn Scheduler>,
        framework_info: &[u8],
        detector: Arc<dyn Detector>,
        credential: Option<&[u8]>,
        implicit_acknowledgements: bool,
    ) -> Result<Driver, Error> {
        let (framework_info, facts) = calls::prepare_framework_info(framework_info)?;
        let credential = credential.map(calls::parse_credential).transpose()?;
        Ok(Driver::build(
            scheduler,
            framework_info,
            facts,
            detector,
            None,
            credential,
            implicit_acknowledgements,
        ))
    }

    fn build(
        scheduler: Box<dyn Scheduler>,
        framework_info: Vec<u8>,
        facts: calls::FrameworkFacts,
        detector: Arc<dyn Detector>,
        local: Option<Arc<crate::local::LocalCluster>>,
        credential: Option<(String, Vec<u8>)>,
        implicit_acknowledgements: bool,
    ) -> Driver {
        let options = Options::from_env();
        let logger = Logger::new(
            format!("driver {}", next_driver_number()),
            options.log_level,
        );
        let framework_id = facts.id.clone();
        let state = State {
            status: Status::NotStarted,
            options,
            framework_info,
            facts,
            framework_id,
            suppressed_roles: BTreeSet::new(),
            offer_constraints: None,
            connection: None,
            registered_once: false,
            stream_agent: None,
            stream_generation: 0,
            call_agent: None,
            watchdog: None,
            attempt_leader: None,
            dispatch_tx: None,
            send_tx: None,
            stopped_at: None,
            sender_done: false,
            connected_at_abort: false,
            teardown_agent: None,
            callback_thread: None,
            finish_waiters: 0,
            error_owed: false,
            poll_signal: None,
            poll_turn: None,
        };
        let shared = Arc::new(Shared {
            logger,
            implicit_acks: implicit_acknowledgements,
            detector,
            local: Mutex::new(local),
            credential,
            state: Mutex::new(state),
            changed: Condvar::new(),
            last_errors: Default::default(),
            pause_hook: Mutex::new(None),
            scheduler: Mutex::new(Some(scheduler)),
            threads: Mutex::new(Vec::new()),
            last_activity_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        });
        Driver {
            _owner: Some(Arc::new(Owner {
                shared: shared.clone(),
            })),
            shared,
        }
    }

    fn internal(shared: Arc<Shared>) -> Driver {
        Driver {
            shared,
            _owner: None,
        }
    }

    /// Records and returns a usage error.
    fn fail<T>(&self, error: Error) -> Result<T, Error> {
        self.shared.record_error(error.message());
        Err(error)
    }

    fn check<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        result.or_else(|e| self.fail(e))
    }

    /// Sets an option; only before `start` (afterwards: `Error::InvalidState`; unknown
    /// key or bad value: `Error::InvalidArgument`). Keys:
    /// - `suppressed_roles`: comma-separated roles sent as suppressed with SUBSCRIBE.
    /// - `tls.ca_file`: PEM file of CA certificates trusted for https:// masters.
    /// - `tls.verify`: `true` (default) / `false` to skip certificate verification.
    /// - `heartbeat.timeout_factor`: missed heartbeat intervals before the connection
    ///   counts as lost (default 5).
    /// - `backoff.initial_ms`, `backoff.max_ms`: registration backoff (default 2000 and
    ///   60000; also capped at failover_timeout / 10; env MESOS_REGISTRATION_BACKOFF_FACTOR).
    /// - `request.timeout_ms`: time limit of a call (default 75000).
    /// - `connect.timeout_ms`: TCP connect limit (default 10000).
    /// - `recordio.max_record_bytes`: largest event accepted (default 64 MiB).
    /// - `ack.connections`: connections on which acknowledgements of different tasks may
    ///   overlap (default 4; a task's acknowledgements leave in order on one of them;
    ///   other calls still wait for the acknowledgements made before them; 1 sends every
    ///   call on one connection, one at a time; see benches/throughput.rs).
    /// - `log.level`: off/error/warn/info/debug/trace (default off; env MESOS_SCHED_LOG).
    /// - `dispatch`: `thread` (default: a driver thread runs the callbacks) or `poll`
    ///   (callbacks run only inside `poll`, `join` and `run`, on the caller's thread).
    pub fn set_option(&self, key: &str, value: &str) -> Result<(), Error> {
        let mut state = self.shared.lock();
        if state.status != Status::NotStarted {
            drop(state);
            return self.fail(Error::InvalidState(format!(
                "option '{key}' can only be set before start"
            )));
        }
        let mut result = state.options.set(key, value);
        if result.is_ok() && key == "log.level" {
            self.shared.logger.set_level(state.options.log_level);
        }
        if result.is_ok() && key == "dispatch" {
            if !state.options.poll_mode {
                state.poll_signal = None;
            } else if state.poll_signal.is_none() {
                match dispatcher::PollSignal::new() {
                    Ok(signal) => state.poll_signal = Some(signal),
                    Err(e) => {
                        state.options.poll_mode = false;
                        result = Err(Error::InvalidState(format!(
                            "dispatch=poll: cannot create the event fd: {e}"
                        )));
                    }
                }
            }
        }
        drop(state);
        self.check(result)
    }

    pub fn start(&self) -> Status {
        let mut state = self.shared.lock();
        if state.status != Status::NotStarted {
            return state.status;
        }
        let transport =
            match crate::http::Transport::new(&self.shared.transport_config(&state.options)) {
                Ok(transport) => transport,
                Err(e) => {
                    // Options were checked when set; this only fails on a broken environment.
                    drop(state);
                    self.shared.record_error(&e);
                    return self.status();
                }
            };
        state.status = Status::Running;
        state.suppressed_roles = state.options.suppressed_roles.iter().cloned().collect();
        let (dispatch_tx, dispatch_rx) = mpsc::channel();
        let (send_tx, send_rx) = mpsc::channel();
        state.dispatch_tx = Some(dispatcher::DispatchSender {
            tx: dispatch_tx,
            signal: state.poll_signal.clone(),
        });
        state.send_tx = Some(send_tx);
        // Poll mode: the queue and the scheduler wait for the threads that poll.
        let dispatch_rx = if state.options.poll_mode {
            let scheduler = self.shared.scheduler.lock().take();
            state.poll_turn = scheduler.map(|scheduler| (dispatch_rx, scheduler));
            None
        } else {
            Some(dispatch_rx)
        };
        drop(state);
        log_at!(self.shared.logger, Level::Info, "driver started");

        let mut threads = Vec::new();
        let shared = self.shared.clone();
        // Not with signals blocked: callbacks run with the caller's signal mask, so that
        // a process a callback starts gets the mask the user expects.
        let dispatcher = dispatch_rx.map(|dispatch_rx| {
            std::thread::Builder::new()
                .name("mesos-sched-dispatch".to_string())
                .spawn({
                    let shared = shared.clone();
                    move || dispatcher::dispatcher_main(shared, dispatch_rx)
                })
        });
        let dispatcher_failed = dispatcher.as_ref().is_some_and(|spawned| spawned.is_err());
        let spawned = [
            state::spawn_worker("mesos-sched-send", {
                let shared = shared.clone();
                move || sender::sender_main(shared, send_rx, transport)
            }),
            state::spawn_worker("mesos-sched-conn", {
                let shared = shared.clone();
                move || connection::connection_main(shared)
            }),
            state::spawn_worker("mesos-sched-monitor", {
                let shared = shared.clone();
                move || monitor::monitor_main(shared)
            }),
        ];
        let mut failure = None;
        for result in dispatcher.into_iter().chain(spawned) {
            match result {
                Ok(handle) => threads.push(handle),
                Err(e) => failure = Some(e),
            }
        }
        self.shared.threads.lock().extend(threads);
        if let Some(e) = failure {
            self.shared
                .fatal(&format!("cannot start the driver's threads: {e}"));
            if dispatcher_failed {
                // No thread will run the error callback: join must not wait for it.
                self.shared.lock().error_owed = false;
            }
        }
        self.status()
    }

    pub fn stop(&self, failover: bool) -> Status {
        self.halt(failover, Status::Stopped)
    }

    /// stop(), except that an aborted driver ends as `if_aborted`: STOPPED for the
    /// user's stop (as the classic driver), ABORTED when the handle is released (a
    /// callback still running then keeps seeing ABORTED).
    fn halt(&self, failover: bool, if_aborted: Status) -> Status {
        let mut state = self.shared.lock();
        // Once stop returns no callback begins, an owed error callback included.
        state.error_owed = false;
        if state.status != Status::Running && state.status != Status::Aborted {
            return state.status;
        }
        let was_aborted = state.status == Status::Aborted;
        if was_aborted && if_aborted == Status::Aborted && state.stopped_at.is_some() {
            return Status::Aborted; // already released
        }
        state.status = if was_aborted {
            if_aborted
        } else {
            Status::Stopped
        };
        // The sender closes the stream once the calls queued before the stop are out;
        // should it hang, the monitor closes it after this grace: at once for a failover
        // (the master must see the framework go), after a call's timeout for a TEARDOWN.
        let grace = if !failover && state.connection.is_some() {
            state.options.request_timeout + Duration::from_secs(1)
        } else {
            Duration::from_secs(1)
        };
        state.stopped_at = Some(Instant::now() + grace);
        if let (false, Some(connection)) = (failover, &state.connection) {
            let teardown = calls::new_call(call_type::TEARDOWN, state.framework_id.as_ref());
            if let Some(tx) = &state.send_tx {
                let _ = tx.send(Outgoing::Call {
                    body: prost::Message::encode_to_vec(&teardown),
                    kind: call_type::TEARDOWN,
                    generation: connection.generation,
                });
            }
        }
        if !failover && was_aborted && state.connected_at_abort {
            if let Some(tx) = &state.send_tx {
                let _ = tx.send(Outgoing::TeardownAfterAbort);
            }
        }
        if let Some(tx) = &state.send_tx {
            let _ = tx.send(Outgoing::Stop);
        }
        Shared::dispatch(&state, Dispatch::Exit);
        self.shared.changed.notify_all();
        let connected = state.connection.is_some();
        drop(state);
        log_at!(
            self.shared.logger,
            Level::Info,
            "driver stopped (failover: {failover})"
        );
        if !connected {
            // Nothing to preserve: an attempt in progress ends now.
            self.shared.close_stream();
        }
        if was_aborted {
            Status::Aborted
        } else {
            Status::Stopped
        }
    }

    pub fn abort(&self) -> Status {
        self.shared.abort()
    }

    pub fn join(&self) -> Result<Status, Error> {
        if self.in_callback() {
            return self.fail(Error::CalledFromCallback(
                "join() may not be called from inside a scheduler callback".to_string(),
            ));
        }
        if !self.poll_mode() {
            return Ok(self.shared.wait_until_finished());
        }
        // Poll mode: serve the callbacks while waiting.
        loop {
            if let Some(status) = self.shared.finished_status() {
                return Ok(status);
            }
            dispatcher::poll(&self.shared, Some(JOIN_POLL_SLICE));
        }
    }

    fn poll_mode(&self) -> bool {
        self.shared.lock().options.poll_mode
    }

    /// Poll mode (`dispatch=poll`): runs the pending callbacks one at a time on the
    /// calling thread, waiting up to `timeout` for the first (None: until one ran or the
    /// driver is no longer running; zero: never waits). The driver's status and how many
    /// callbacks ran. Threads polling at once take turns. `Error::InvalidState` in thread
    /// mode, `Error::CalledFromCallback` inside a callback.
    pub fn poll(&self, timeout: Option<Duration>) -> Result<(Status, usize), Error> {
        if self.in_callback() {
            return self.fail(Error::CalledFromCallback(
                "poll() may not be called from inside a scheduler callback".to_string(),
            ));
        }
        if !self.poll_mode() {
            return self.fail(Error::InvalidState(
                "poll() needs the option dispatch=poll".to_string(),
            ));
        }
        Ok(dispatcher::poll(&self.shared, timeout))
    }

    /// Poll mode: a descriptor readable while callbacks are pending (for epoll/select),
    /// owned by the driver and valid while it lives; never read it.
    /// `Error::InvalidState` in thread mode.
    pub fn event_fd(&self) -> Result<std::os::fd::RawFd, Error> {
        let fd = self
            .shared
            .lock()
            .poll_signal
            .as_ref()
            .map(|signal| signal.raw_fd());
        match fd {
            Some(fd) => Ok(fd),
            None => self.fail(Error::InvalidState(
                "event_fd() needs the option dispatch=poll".to_string(),
            )),
        }
    }

    pub fn run(&self) -> Result<Status, Error> {
        if self.in_callback() {
            return self.fail(Error::CalledFromCallback(
                "run() may not be called from inside a scheduler callback".to_string(),
            ));
        }
        match self.start() {
            Status::Running => self.join(),
            other => Ok(other),
        }
    }

    pub fn status(&self) -> Status {
        self.shared.lock().status
    }

    /// What releasing a handle does first: stop with failover (no teardown) when
    /// running; an aborted driver stays ABORTED. Then `join` waits for the callbacks.
    pub(crate) fn stop_for_release(&self) -> Status {
        self.halt(true, Status::Aborted)
    }

    /// Stops (failover, no teardown) if running, then waits for the threads.
    fn release(&self) {
        let status = self.stop_for_release();
        if status == Status::NotStarted {
            return;
        }
        // Give queued calls a moment to leave, then interrupt whatever still hangs.
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut state = self.shared.lock();
        while !state.sender_done {
            if self
                .shared
                .changed
                .wait_until(&mut state, deadline)
                .timed_out()
            {
                break;
            }
        }
        let agents = [state.call_agent.take(), state.teardown_agent.take()];
        Shared::end_connection(&mut state);
        drop(state);
        for agent in agents.into_iter().flatten() {
            agent.shutdown();
        }
        self.shared.close_stream();
        let current = std::thread::current().id();
        let threads: Vec<_> = self.shared.threads.lock().drain(..).collect();
        for handle in threads {
            if handle.thread().id() != current {
                let _ = handle.join();
            }
        }
        let local = self.shared.local.lock().take();
        drop(local);
    }

    /// The usual prologue of a call: arguments were validated; the driver must run.
    /// Returns the state lock when the call should proceed.
    fn running_state(&self) -> Result<parking_lot::MutexGuard<'_, State>, Status> {
        let state = self.shared.lock();
        if state.status != Status::Running {
            return Err(state.status);
        }
        Ok(state)
    }

    /// When the driver runs, sends the call of `kind` that `fill` completes (under the
    /// state lock, which `fill` may also update); the status.
    fn send_when_running(
        &self,
        kind: i32,
        fill: impl FnOnce(&mut State, &mut envelope::Call),
    ) -> Result<Status, Error> {
        let mut state = match self.running_state() {
            Ok(state) => state,
            Err(status) => return Ok(status),
        };
        let mut call = calls::new_call(kind, state.framework_id.as_ref());
        fill(&mut state, &mut call);
        self.send_call(&state, call);
        Ok(state.status)
    }

    /// Optional `filters` must be a valid `Filters` message.
    fn check_filters(&self, filters: Option<&[u8]>) -> Result<(), Error> {
        match filters {
            Some(filters) => self.check(validate::<v1::Filters>("filters", filters)),
            None => Ok(()),
        }
    }

    fn send_call(&self, state: &State, envelope: envelope::Call) {
        let kind = envelope.r#type.unwrap_or(0);
        self.shared
            .send_if_connected(state, prost::Message::encode_to_vec(&envelope), kind);
    }

    pub fn request_resources(&self, requests: &[&[u8]]) -> Result<Status, Error> {
        self.check(validate_all::<v1::Request>("requests", requests))?;
        self.send_when_running(call_type::REQUEST, |_, call| {
            call.request = Some(envelope::call::Request {
                requests: calls::copy_all(requests),
            });
        })
    }

    pub fn launch_tasks(
        &self,
        offer_ids: &[&[u8]],
        tasks: &[&[u8]],
        filters: Option<&[u8]>,
    ) -> Result<Status, Error> {
        self.check(validate_all::<v1::OfferId>("offer_ids", offer_ids))?;
        self.check(validate_all::<v1::TaskInfo>("tasks", tasks))?;
        self.check_filters(filters)?;
        let operation = calls::launch_operation(tasks);
        self.accept_validated(offer_ids, &[&operation], filters)
    }

    pub fn kill_task(&self, task_id: &[u8]) -> Result<Status, Error> {
        self.check(validate::<v1::TaskId>("task_id", task_id))?;
        self.send_when_running(call_type::KILL, |_, call| {
            call.kill = Some(envelope::call::Kill {
                task_id: calls::copy(task_id),
                ..Default::default()
            });
        })
    }

    pub fn accept_offers(
        &self,
        offer_ids: &[&[u8]],
        operations: &[&[u8]],
        filters: Option<&[u8]>,
    ) -> Result<Status, Error> {
        self.check(validate_all::<v1::OfferId>("offer_ids", offer_ids))?;
        self.check(calls::validate_operations(operations))?;
        self.check_filters(filters)?;
        self.accept_validated(offer_ids, operations, filters)
    }

    fn accept_validated(
        &self,
        offer_ids: &[&[u8]],
        operations: &[&[u8]],
        filters: Option<&[u8]>,
    ) -> Result<Status, Error> {
        let state = match self.running_state() {
            Ok(state) => state,
            Err(status) => return Ok(status),
        };
        if state.connection.is_none() {
            // The classic driver answers launches it cannot deliver with TASK_LOST
            // (TASK_DROPPED for partition-aware frameworks), through the callbacks.
            for task_id in calls::launched_task_ids(operations) {
                let status =
                    calls::master_disconnected_status(&task_id, state.facts.partition_aware);
                Shared::dispatch(&state, Dispatch::SyntheticUpdate(status));
            }
            log_at!(
                self.shared.logger,
                Level::Debug,
                "ignoring ACCEPT: not connected to a master"
            );
            return Ok(state.status);
        }
        let mut call = calls::new_call(call_type::ACCEPT, state.framework_id.as_ref());
        call.accept = Some(envelope::call::Accept {
            offer_ids: calls::copy_all(offer_ids),
            operations: calls::copy_all(operations),
            filters: Some(filters.map(calls::copy).unwrap_or_default()),
        });
        self.send_call(&state, call);
        Ok(state.status)
    }

    pub fn decline_offer(&self, offer_id: &[u8], filters: Option<&[u8]>) -> Result<Status, Error> {
        self.check(validate::<v1::OfferId>("offer_id", offer_id))?;
        self.check_filters(filters)?;
        self.send_when_running(call_type::DECLINE, |_, call| {
            call.decline = Some(envelope::call::Decline {
                offer_ids: vec![calls::copy(offer_id)],
                filters: Some(filters.map(calls::copy).unwrap_or_default()),
            });
        })
    }

    /// `roles: None` = all roles.
    pub fn revive_offers(&self, roles: Option<&[&str]>) -> Result<Status, Error> {
        let roles = owned_roles(roles);
        self.send_when_running(call_type::REVIVE, |state, call| {
            if roles.is_empty() {
                state.suppressed_roles.clear();
            } else {
                for role in &roles {
                    state.suppressed_roles.remove(role);
                }
            }
            call.revive = roles_field(roles);
        })
    }

    /// `roles: None` = all roles.
    pub fn suppress_offers(&self, roles: Option<&[&str]>) -> Result<Status, Error> {
        let roles = owned_roles(roles);
        self.send_when_running(call_type::SUPPRESS, |state, call| {
            if roles.is_empty() {
                state.suppressed_roles = state.facts.roles.iter().cloned().collect();
            } else {
                state.suppressed_roles.extend(roles.iter().cloned());
            }
            call.suppress = roles_field(roles);
        })
    }

    pub fn acknowledge_status_update(&self, task_status: &[u8]) -> Result<Status, Error> {
        self.check(validate::<v1::TaskStatus>("task_status", task_status))?;
        if self.shared.implicit_acks {
            return self.fail(Error::InvalidState(
                "acknowledge_status_update() needs a driver created with implicit \
                 acknowledgements off"
                    .to_string(),
            ));
        }
        let state = match self.running_state() {
            Ok(state) => state,
            Err(status) => return Ok(status),
        };
        self.shared.acknowledge(&state, task_status);
        Ok(state.status)
    }

    pub fn send_framework_message(
        &self,
        executor_id: &[u8],
        agent_id: &[u8],
        data: &[u8],
    ) -> Result<Status, Error> {
        self.check(validate::<v1::ExecutorId>("executor_id", executor_id))?;
        self.check(validate::<v1::AgentId>("agent_id", agent_id))?;
        self.send_when_running(call_type::MESSAGE, |_, call| {
            call.message = Some(envelope::call::Message {
                agent_id: calls::copy(agent_id),
                executor_id: calls::copy(executor_id),
                data: calls::copy(data),
            });
        })
    }

    pub fn reconcile_tasks(&self, statuses: &[&[u8]]) -> Result<Status, Error> {
        self.check(validate_all::<v1::TaskStatus>("statuses", statuses))?;
        self.send_when_running(call_type::RECONCILE, |_, call| {
            let tasks = statuses
                .iter()
                .map(|status| {
                    let peeked: envelope::TaskStatusPeek =
                        prost::Message::decode(*status).unwrap_or_default();
                    envelope::call::reconcile::Task {
                        task_id: peeked.task_id.unwrap_or_default(),
                        agent_id: peeked.agent_id,
                    }
                })
                .collect();
            call.reconcile = Some(envelope::call::Reconcile { tasks });
        })
    }

    pub fn update_framework(
        &self,
        framework_info: &[u8],
        suppressed_roles: &[&str],
        offer_constraints: Option<&[u8]>,
    ) -> Result<Status, Error> {
        let (framework_info, facts) = self.check(calls::prepare_framework_info(framework_info))?;
        if let Some(constraints) = offer_constraints {
            self.check(calls::validate_any("offer_constraints", constraints))?;
        }
        let mut state = match self.running_state() {
            Ok(state) => state,
            Err(status) => return Ok(status),
        };
        let known = state.framework_id.as_ref().map(|id| calls::id_value(id));
        let error = match (&known, &facts.id) {
            (None, _) => Some(
                "MesosSchedulerDriver::updateFramework() must not be called prior to \
                 registration with the master"
                    .to_string(),
            ),
            (Some(known), given) => {
                let given = given
                    .as_ref()
                    .map(|id| calls::id_value(id))
                    .unwrap_or_default();
                (&given != known).then(|| {
                    format!(
                        "The 'FrameworkInfo.id' provided to \
                         MesosSchedulerDriver::updateFramework() ({given}) must be equal to \
                         the value known to the MesosSchedulerDriver ({known})"
                    )
                })
            }
        };
        if let Some(message) = error {
            // As the classic driver: the call returns, then abort + error().
            Shared::dispatch(
                &state,
                Dispatch::Error {
                    message,
                    abort_first: true,
                },
            );
            return Ok(state.status);
        }
        state.framework_info = framework_info;
        state.facts = facts;
        state.suppressed_roles = suppressed_roles.iter().map(|r| r.to_string()).collect();
        state.offer_constraints = offer_constraints.map(calls::copy);
        if state.connection.is_some() {
            let mut call =
                calls::new_call(call_type::UPDATE_FRAMEWORK, state.framework_id.as_ref());
            call.update_framework = Some(envelope::call::Subscribe {
                framework_info: Bytes::from(state.framework_info.clone()),
                suppressed_roles: state.suppressed_roles.iter().cloned().collect(),
                offer_constraints: state.offer_constraints.clone(),
            });
            self.send_call(&state, call);
        }
        Ok(state.status)
    }

    /// The message of the calling thread's last usage error on this driver ("" if
    /// none): errno-like, per driver and thread. A call that the master refused later is
    /// not a usage error; it goes to the log (`log.level`), never here.
    pub fn last_error(&self) -> String {
        self.shared.last_errors.of_current_thread()
    }

    /// Records a usage error of the calling thread (the FFI layer reports its own checks
    /// here too).
    pub fn set_last_error(&self, message: &str) {
        self.shared.record_error(message);
    }

    /// True when the calling thread runs one of this driver's callbacks.
    pub fn in_callback(&self) -> bool {
        self.shared.in_callback()
    }

    /// Test-only: `hook` runs on the dispatcher thread at each `PausePoint` of every item
    /// it takes, with the name of the callback to come, so a test can hold the
    /// dispatcher there and force an interleaving. Not part of the supported API.
    #[doc(hidden)]
    pub fn set_pause_hook(&self, hook: impl Fn(PausePoint, &str) + Send + Sync + 'static) {
        *self.shared.pause_hook.lock() = Some(Arc::new(hook));
    }
}

/// How long a join in poll mode waits in one poll before checking the status again.
const JOIN_POLL_SLICE: Duration = Duration::from_millis(100);

/// `None` (all roles) becomes an empty list.
fn owned_roles(roles: Option<&[&str]>) -> Vec<String> {
    roles
        .unwrap_or_default()
        .iter()
        .map(|r| r.to_string())
        .collect()
}

/// The REVIVE/SUPPRESS body: absent for all roles, else the roles named.
fn roles_field(roles: Vec<String>) -> Option<envelope::call::Roles> {
    (!roles.is_empty()).then_some(envelope::call::Roles { roles })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_handles_cross_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Driver>();
    }

    #[test]
    fn error_codes_match_the_abi() {
        assert_eq!(Error::NullArgument(String::new()).code(), -1);
        assert_eq!(Error::InvalidArgument(String::new()).code(), -2);
        assert_eq!(Error::CalledFromCallback(String::new()).code(), -3);
        assert_eq!(Error::InvalidState(String::new()).code(), -4);
        assert_eq!(Error::Panic(String::new()).code(), -5);
        assert_eq!(Status::Running as i32, 2);
    }
}
