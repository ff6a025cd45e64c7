//! The driver's shared state and its worker threads: connection (detect -> SUBSCRIBE ->
//! RecordIO -> events), monitor (heartbeat watchdog, leader changes, stop grace),
//! sender (calls in order on a keep-alive connection) and dispatcher (callbacks).

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::{Condvar, Mutex, MutexGuard};
use prost::Message;

use super::calls::{self, call_type, event_type, FrameworkFacts};
use super::options::Options;
use super::{Driver, Scheduler, Status};
use crate::detector::Detector;
use crate::http::{SubscribeError, Subscription, Transport, TransportConfig, SCHEDULER_PATH};
use crate::log::{Level, Logger};
use crate::log_at;
use crate::proto::envelope;

/// Work for the dispatcher thread, in delivery order.
pub(crate) enum Dispatch {
    Registered {
        framework_id: Bytes,
        master_info: Bytes,
    },
    Reregistered {
        master_info: Bytes,
    },
    Disconnected,
    Event(Box<envelope::Event>),
    /// A TaskStatus made by the driver itself (never acknowledged).
    SyntheticUpdate(Vec<u8>),
    /// `abort_first`: abort the driver before the callback (unless no longer running);
    /// otherwise the driver was already aborted by whoever queued this.
    Error {
        message: String,
        abort_first: bool,
    },
    /// Wakes a waiting `poll` (the driver left RUNNING); no callback.
    Wake,
    Exit,
}

/// Work for the sender thread, in order.
pub(crate) enum Outgoing {
    Call {
        body: Vec<u8>,
        kind: i32,
        /// `Connection::generation` of the subscription it was made for: a call still
        /// queued when that subscription ends is dropped, never sent on the next one.
        generation: u64,
    },
    /// Close the subscription once everything queued before has been sent, then exit.
    Stop,
    /// stop(false) after an abort that closed a live subscription: subscribe once more
    /// (same framework id) just to send TEARDOWN, as the classic driver still could.
    TeardownAfterAbort,
}

/// The current subscription, once SUBSCRIBED arrived.
#[derive(Clone)]
pub(crate) struct Connection {
    pub endpoint: String,
    pub stream_id: String,
    /// The calls' keep-alive agent of this subscription only: shut down when the
    /// subscription ends, so that a call hanging on a dead master ends at once.
    pub call_agent: ureq::Agent,
    /// The SUBSCRIBE attempt it came from (`State::stream_generation`).
    pub generation: u64,
}

pub(crate) struct State {
    pub status: Status,
    pub options: Options,
    /// The user's FrameworkInfo with user/hostname filled in (by appending).
    pub framework_info: Vec<u8>,
    pub facts: FrameworkFacts,
    /// Serialized FrameworkID: from the FrameworkInfo, then from SUBSCRIBED.
    pub framework_id: Option<Bytes>,
    pub suppressed_roles: BTreeSet<String>,
    pub offer_constraints: Option<Bytes>,
    pub connection: Option<Connection>,
    pub registered_once: bool,
    /// The agent of the current SUBSCRIBE attempt; `shutdown` closes its socket.
    pub stream_agent: Option<ureq::Agent>,
    pub stream_generation: u64,
    pub call_agent: Option<ureq::Agent>,
    /// Silence allowed on the current stream before it counts as dead.
    pub watchdog: Option<Duration>,
    /// Base URL of the leader of the current attempt.
    pub attempt_leader: Option<String>,
    pub dispatch_tx: Option<DispatchSender>,
    /// Poll mode: the event fd, from `set_option("dispatch", "poll")` until the driver
    /// is dropped.
    pub poll_signal: Option<Arc<PollSignal>>,
    /// Poll mode: the dispatch queue and the scheduler, held by the thread whose turn it
    /// is to run callbacks (None while a poller has them, and before start).
    pub poll_turn: Option<(mpsc::Receiver<Dispatch>, Box<dyn Scheduler>)>,
    pub send_tx: Option<mpsc::Sender<Outgoing>>,
    /// After a stop: when the monitor closes a stream the sender has not closed yet.
    pub stopped_at: Option<Instant>,
    pub sender_done: bool,
    /// The driver was subscribed when it was aborted (a later stop(false) tears down).
    pub connected_at_abort: bool,
    /// The short-lived subscription of a teardown after abort.
    pub teardown_agent: Option<ureq::Agent>,
    /// The thread running one of this driver's callbacks right now (the callback gate).
    pub callback_thread: Option<ThreadId>,
    /// The driver aborted itself on a fatal error whose `error` callback has not run yet
    /// (join waits for it); a user's stop() or abort() cancels it.
    pub error_owed: bool,
}

pub(crate) struct Shared {
    pub logger: Logger,
    pub implicit_acks: bool,
    pub detector: Arc<dyn Detector>,
    /// The in-process cluster of master `local`, owned by the driver.
    pub local: Mutex<Option<Arc<crate::local::LocalCluster>>>,
    pub credential: Option<(String, Vec<u8>)>,
    pub state: Mutex<State>,
    pub changed: Condvar,
    pub last_errors: ThreadErrors,
    /// Test-only: where the dispatcher may be held (see `Driver::set_pause_hook`).
    pub pause_hook: Mutex<Option<PauseHook>>,
    pub scheduler: Mutex<Option<Box<dyn Scheduler>>>,
    pub threads: Mutex<Vec<JoinHandle<()>>>,
    /// Milliseconds since `epoch` when the stream last delivered bytes.
    pub last_activity_ms: AtomicU64,
    pub epoch: Instant,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    pub fn is_running(&self) -> bool {
        self.lock().status == Status::Running
    }

    /// Records a usage error of the calling thread.
    pub fn record_error(&self, message: &str) {
        self.last_errors.record(message);
    }

    fn touch(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_activity_ms.store(now, Ordering::Relaxed);
    }

    fn silence(&self) -> Duration {
        let now = self.epoch.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_activity_ms.load(Ordering::Relaxed)))
    }

    /// Forgets the subscription and interrupts its calls in flight (calls are dropped
    /// while disconnected, as by the classic driver; the master re-sends status updates
    /// that were not acknowledged).
    pub fn end_connection(state: &mut State) {
        if let Some(connection) = state.connection.take() {
            connection.call_agent.shutdown();
        }
    }

    /// Closes the subscription socket now (the master sees the stream end).
    pub fn close_stream(&self) {
        let agent = self.lock().stream_agent.take();
        if let Some(agent) = agent {
            agent.shutdown();
        }
    }

    pub fn dispatch(state: &State, item: Dispatch) {
        if let Some(tx) = &state.dispatch_tx {
            tx.send(item);
        }
    }

    /// Queues the acknowledgement of `task_status`; statuses without uuid or agent id
    /// need none and are dropped here.
    pub fn acknowledge(&self, state: &State, task_status: &[u8]) {
        if let Some(body) = calls::acknowledge_call(state.framework_id.as_ref(), task_status) {
            self.send_if_connected(state, body, call_type::ACKNOWLEDGE);
        }
    }

    /// Queues a call if subscribed; returns false if it was dropped (disconnected).
    pub fn send_if_connected(&self, state: &State, body: Vec<u8>, kind: i32) -> bool {
        if state.connection.is_none() {
            log_at!(
                self.logger,
                Level::Debug,
                "dropping call {kind}: not connected to a master"
            );
            return false;
        }
        if let (Some(tx), Some(connection)) = (&state.send_tx, &state.connection) {
            let generation = connection.generation;
            let _ = tx.send(Outgoing::Call {
                body,
                kind,
                generation,
            });
        }
        true
    }

    /// The user's abort: aborts if running and cancels an `error` callback not yet begun
    /// (once abort returns, no callback starts).
    pub fn abort(&self) -> Status {
        let agents = {
            let mut state = self.lock();
            state.error_owed = false;
            if state.status != Status::Running {
                return state.status;
            }
            self.abort_locked(&mut state)
        };
        self.finish_abort(agents);
        Status::Aborted
    }

    /// Leaves RUNNING for ABORTED under the caller's lock; the connections to shut once
    /// the lock is released (`finish_abort`).
    fn abort_locked(&self, state: &mut State) -> [Option<ureq::Agent>; 2] {
        state.status = Status::Aborted;
        state.connected_at_abort = state.connection.is_some();
        let calls = state.connection.take().map(|c| c.call_agent);
        self.changed.notify_all();
        Self::dispatch(state, Dispatch::Wake);
        [state.stream_agent.take(), calls]
    }

    fn finish_abort(&self, agents: [Option<ureq::Agent>; 2]) {
        log_at!(self.logger, Level::Info, "driver aborted");
        for agent in agents.into_iter().flatten() {
            agent.shutdown();
        }
    }

    /// What the master refused for good: abort, then the error callback, unless the
    /// driver had already left RUNNING (then the error only goes to the log).
    pub fn fatal(&self, message: &str) {
        log_at!(self.logger, Level::Error, "fatal: {message}");
        let agents = {
            let mut state = self.lock();
            if state.status != Status::Running {
                return;
            }
            let agents = self.abort_locked(&mut state);
            // The master ended this framework's subscription (or never accepted it): a
            // later stop(false) must not subscribe again just to tear down.
            state.connected_at_abort = false;
            state.error_owed = true;
            Self::dispatch(
                &state,
                Dispatch::Error {
                    message: message.to_string(),
                    abort_first: false,
                },
            );
            agents
        };
        self.finish_abort(agents);
    }

    /// The callback gate: under the state lock, decides whether `item` may run a
    /// callback now and marks the calling thread as inside one. Stop and abort take the
    /// same lock, so once they return no callback begins.
    fn enter_gate(&self, item: &Dispatch) -> Option<GatePass<'_>> {
        let mut state = self.lock();
        let mut aborted = None;
        let enter = match item {
            Dispatch::Exit | Dispatch::Wake => false,
            Dispatch::Error {
                abort_first: true, ..
            } => {
                let running = state.status == Status::Running;
                if running {
                    aborted = Some(self.abort_locked(&mut state));
                }
                running
            }
            Dispatch::Error {
                abort_first: false, ..
            } => std::mem::take(&mut state.error_owed),
            _ => state.status == Status::Running,
        };
        if !enter {
            return None;
        }
        state.callback_thread = Some(std::thread::current().id());
        drop(state);
        if let Some(agents) = aborted {
            self.finish_abort(agents);
        }
        Some(GatePass { shared: self })
    }

    /// True while a callback runs on a thread other than the caller's, or an `error`
    /// callback is still owed: join must wait for it.
    fn callback_pending_for_others(&self, state: &State) -> bool {
        state.error_owed
            || state
                .callback_thread
                .is_some_and(|thread| thread != std::thread::current().id())
    }

    /// Waits until the driver has left RUNNING and no callback runs or is owed
    /// (join/run); the final status.
    pub fn wait_until_finished(&self) -> Status {
        let mut state = self.lock();
        while state.status == Status::Running || self.callback_pending_for_others(&state) {
            self.changed.wait(&mut state);
        }
        state.status
    }

    /// The final status once the driver has left RUNNING and no callback runs or is
    /// owed on another thread; None while join must still wait.
    pub fn finished_status(&self) -> Option<Status> {
        let state = self.lock();
        let finished = state.status != Status::Running && !self.callback_pending_for_others(&state);
        finished.then_some(state.status)
    }

    /// True when the calling thread runs one of this driver's callbacks.
    pub fn in_callback(&self) -> bool {
        self.lock().callback_thread == Some(std::thread::current().id())
    }

    fn pause_at(&self, point: PausePoint, callback: &str) {
        let hook = self.pause_hook.lock().clone();
        if let Some(hook) = hook {
            hook(point, callback);
        }
    }

    /// Waits up to `timeout` or until the status leaves RUNNING; true if still running.
    fn sleep_while_running(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while state.status == Status::Running {
            if self.changed.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
        state.status == Status::Running
    }

    pub fn transport_config(&self, options: &Options) -> TransportConfig {
        TransportConfig {
            ca_certificates: options.tls_ca_pem.clone(),
            verify: options.tls_verify,
            credential: self.credential.clone(),
            request_timeout: options.request_timeout,
            connect_timeout: options.connect_timeout,
        }
    }
}

/// Poll mode's wake-up: an eventfd that is readable while items wait in the dispatch
/// queue. `pending` and the fd change together under its lock, so the fd never reads
/// empty while an item waits.
pub(crate) struct PollSignal {
    pending: Mutex<usize>,
    fd: std::os::fd::OwnedFd,
}

impl PollSignal {
    pub fn new() -> std::io::Result<Arc<PollSignal>> {
        use std::os::fd::FromRawFd;
        // SAFETY: eventfd returns a new descriptor (or -1), owned from here on.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Arc::new(PollSignal {
            pending: Mutex::new(0),
            fd: unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) },
        }))
    }

    pub fn raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.fd.as_raw_fd()
    }

    fn queued(&self, send: impl FnOnce()) {
        use std::os::fd::AsRawFd;
        let mut pending = self.pending.lock();
        send();
        *pending += 1;
        if *pending == 1 {
            let one = 1u64.to_ne_bytes();
            // SAFETY: writes 8 bytes from a local buffer to our own eventfd.
            unsafe { libc::write(self.fd.as_raw_fd(), one.as_ptr().cast(), one.len()) };
        }
    }

    fn taken(&self) {
        use std::os::fd::AsRawFd;
        let mut pending = self.pending.lock();
        *pending = pending.saturating_sub(1);
        if *pending == 0 {
            let mut counter = [0u8; 8];
            // SAFETY: reads at most 8 bytes into a local buffer; EAGAIN (already empty) is fine.
            unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    counter.as_mut_ptr().cast(),
                    counter.len(),
                )
            };
        }
    }
}

/// The sending side of the dispatch queue; in poll mode it also raises the event fd.
pub(crate) struct DispatchSender {
    pub tx: mpsc::Sender<Dispatch>,
    pub signal: Option<Arc<PollSignal>>,
}

impl DispatchSender {
    fn send(&self, item: Dispatch) {
        match &self.signal {
            Some(signal) => signal.queued(|| {
                let _ = self.tx.send(item);
            }),
            None => {
                let _ = self.tx.send(item);
            }
        }
    }
}

/// A callback in progress; leaving the gate wakes join.
pub(crate) struct GatePass<'a> {
    shared: &'a Shared,
}

impl Drop for GatePass<'_> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.callback_thread = None;
        self.shared.changed.notify_all();
    }
}

/// Where the dispatcher can be held by a test, for each item it takes from its queue.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PausePoint {
    /// The item was dequeued; the gate was not taken yet.
    BeforeGate,
    /// Inside the gate, just before the callback (no lock held).
    InsideGate,
}

/// A test's hook: called with the point and the name of the callback to come.
pub(crate) type PauseHook = Arc<dyn Fn(PausePoint, &str) + Send + Sync>;

/// The last usage error of each thread that called into one driver (errno-like); a
/// failure of a background thread is logged, never stored here.
#[derive(Default)]
pub(crate) struct ThreadErrors {
    entries: Mutex<Vec<(ThreadId, String)>>,
}

impl ThreadErrors {
    /// Threads remembered per driver; the oldest is forgotten beyond this.
    const MAX_THREADS: usize = 64;

    pub fn record(&self, message: &str) {
        let me = std::thread::current().id();
        let mut entries = self.entries.lock();
        entries.retain(|(thread, _)| *thread != me);
        if entries.len() >= Self::MAX_THREADS {
            entries.remove(0);
        }
        entries.push((me, message.to_string()));
    }

    pub fn of_current_thread(&self) -> String {
        let me = std::thread::current().id();
        let entries = self.entries.lock();
        entries
            .iter()
            .find(|(thread, _)| *thread == me)
            .map(|(_, message)| message.clone())
            .unwrap_or_default()
    }
}

/// Runs `f` with every signal blocked on this thread, so that the threads it starts
/// inherit the blocked mask (signals stay with the host's own threads; child processes
/// get a clean mask from std::process).
pub(crate) fn with_signals_blocked<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: plain libc signal-mask calls on valid, zero-initialised sigset_t values;
    // this thread gets its old mask back before returning.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        let result = f();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        result
    }
}

/// Spawns a worker thread with every signal blocked.
pub(crate) fn spawn_worker(
    name: &str,
    body: impl FnOnce() + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    with_signals_blocked(|| {
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(body)
    })
}

/// Registration backoff (PROTOCOL.md 6): random in [0, b], b doubling from the initial
/// value up to min(max, failover_timeout / 10 when > 0).
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    cap: Duration,
    failures: u32,
    rng: u64,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration, failover_timeout: f64) -> Backoff {
        let mut cap = max;
        if failover_timeout > 0.0 {
            if let Ok(tenth) = Duration::try_from_secs_f64(failover_timeout / 10.0) {
                cap = cap.min(tenth);
            }
        }
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        Backoff {
            initial,
            cap,
            failures: 0,
            rng: seed | 1,
        }
    }

    /// The bound b for the next wait after another failure.
    pub fn bound_after_failure(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let factor = 1u32 << (self.failures - 1).min(20);
        self.initial.saturating_mul(factor).min(self.cap)
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The bound for a reconnection after a lost (previously working) subscription.
    pub fn bound_after_loss(&self) -> Duration {
        self.initial.min(self.cap)
    }

    /// Uniformly random in [0, bound].
    pub fn jitter(&mut self, bound: Duration) -> Duration {
        // xorshift64*: plenty for jitter.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let random = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let fraction = (random >> 11) as f64 / (1u64 << 53) as f64;
        bound.mul_f64(fraction)
    }
}

enum AttemptEnd {
    /// The attempt failed before SUBSCRIBED.
    Failed,
    /// A working subscription was lost.
    Lost,
    /// The driver is no longer running, or the master refused us for good.
    Finished,
}

pub(crate) fn connection_main(shared: Arc<Shared>) {
    let mut backoff = {
        let state = shared.lock();
        Backoff::new(
            state.options.backoff_initial,
            state.options.backoff_max,
            state.facts.failover_timeout,
        )
    };
    loop {
        if !shared.is_running() {
            break;
        }
        let mut no_leader = false;
        let end = match shared
            .detector
            .wait_for_change(None, Duration::from_millis(500))
        {
            Ok(Some(leader)) => attempt(&shared, &leader, &mut backoff),
            Ok(None) => {
                log_at!(shared.logger, Level::Info, "no leading master detected");
                no_leader = true;
                AttemptEnd::Failed
            }
            Err(message) => {
                shared.fatal(&message);
                AttemptEnd::Finished
            }
        };
        let bound = match end {
            AttemptEnd::Finished => break,
            AttemptEnd::Failed => backoff.bound_after_failure(),
            AttemptEnd::Lost => backoff.bound_after_loss(),
        };
        // A floor, so that a zero backoff option cannot make a busy loop of retries.
        let delay = backoff.jitter(bound).max(Duration::from_millis(5));
        log_at!(
            shared.logger,
            Level::Debug,
            "retrying SUBSCRIBE in {delay:?}"
        );
        let running = if no_leader {
            wait_for_leader(&shared, delay)
        } else {
            shared.sleep_while_running(delay)
        };
        if !running {
            break;
        }
    }
    log_at!(shared.logger, Level::Debug, "connection thread exits");
}

/// Waits up to `timeout` for a leader to be elected (the detector wakes us at once, e.g.
/// on a ZooKeeper election) or the driver to leave RUNNING; true if still running.
fn wait_for_leader(shared: &Shared, timeout: Duration) -> bool {
    // Slices, so that stop()/abort() are noticed while the detector blocks.
    const SLICE: Duration = Duration::from_millis(100);
    let deadline = Instant::now() + timeout;
    loop {
        if !shared.is_running() {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        let slice = left.min(SLICE);
        let started = Instant::now();
        match shared.detector.wait_for_change(None, slice) {
            Ok(Some(_)) => return shared.is_running(),
            // A detector that does not block must not make this a busy loop.
            Ok(None) if started.elapsed() < slice / 2 => {
                shared.sleep_while_running(slice - started.elapsed());
            }
            Ok(None) => {}
            // The next detection reports it (error() + abort).
            Err(_) => return shared.is_running(),
        }
    }
}

fn attempt(shared: &Arc<Shared>, leader: &str, backoff: &mut Backoff) -> AttemptEnd {
    let (body, transport, max_record_bytes, generation, agent) = {
        let mut state = shared.lock();
        if state.status != Status::Running {
            return AttemptEnd::Finished;
        }
        let transport = match Transport::new(&shared.transport_config(&state.options)) {
            Ok(transport) => transport,
            Err(e) => {
                drop(state);
                shared.fatal(&format!("TLS configuration: {e}"));
                return AttemptEnd::Finished;
            }
        };
        let framework_info =
            calls::with_framework_id(&state.framework_info, state.framework_id.as_ref());
        let body = calls::subscribe_call(
            framework_info,
            state.framework_id.as_ref(),
            state.suppressed_roles.iter().cloned().collect(),
            state.offer_constraints.clone(),
        );
        let agent = transport.stream_agent();
        state.stream_generation += 1;
        state.stream_agent = Some(agent.clone());
        state.attempt_leader = Some(leader.to_string());
        // Until SUBSCRIBED, the answer must come within the request timeout.
        state.watchdog = Some(state.options.request_timeout);
        shared.touch();
        (
            body,
            transport,
            state.options.max_record_bytes,
            state.stream_generation,
            agent,
        )
    };
    let endpoint = format!("{leader}{SCHEDULER_PATH}");
    log_at!(shared.logger, Level::Info, "SUBSCRIBE to {endpoint}");
    let end = match transport.subscribe(&agent, &endpoint, &body) {
        Ok(subscription) => {
            let calls = Calls {
                agent: transport.call_agent(),
                generation,
            };
            read_stream(shared, subscription, &calls, max_record_bytes, backoff)
        }
        Err(SubscribeError::Transient(message)) => {
            log_at!(shared.logger, Level::Warn, "{message}");
            AttemptEnd::Failed
        }
        Err(SubscribeError::Unauthorized) => {
            if shared.is_running() {
                shared.fatal("Master refused authentication");
            }
            AttemptEnd::Finished
        }
        Err(SubscribeError::Forbidden(body)) => {
            if shared.is_running() {
                let body = body.trim();
                shared.fatal(if body.is_empty() {
                    "Master refused the subscription (403 Forbidden)"
                } else {
                    body
                });
            }
            AttemptEnd::Finished
        }
    };
    // Forget this attempt's agent (unless another attempt replaced it already).
    let mut state = shared.lock();
    if state.stream_generation == generation {
        state.stream_agent = None;
        state.watchdog = None;
        state.attempt_leader = None;
    }
    drop(state);
    agent.shutdown();
    end
}

/// What the calls of a subscription are sent with.
struct Calls {
    agent: ureq::Agent,
    generation: u64,
}

fn read_stream(
    shared: &Arc<Shared>,
    subscription: Subscription,
    calls: &Calls,
    max_record_bytes: u64,
    backoff: &mut Backoff,
) -> AttemptEnd {
    let Subscription {
        endpoint,
        stream_id,
        mut body,
    } = subscription;
    log_at!(
        shared.logger,
        Level::Debug,
        "stream {stream_id} open at {endpoint}"
    );
    let mut decoder = crate::recordio::Decoder::new(max_record_bytes);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut records = Vec::new();
    let mut subscribed = false;
    let reason = loop {
        match body.read(&mut buffer) {
            Ok(0) => {
                break match decoder.finish() {
                    Ok(()) => "the master closed the event stream".to_string(),
                    Err(e) => e.to_string(),
                }
            }
            Ok(n) => {
                shared.touch();
                if let Err(e) = decoder.feed(&buffer[..n], &mut records) {
                    break e.to_string();
                }
                let mut failure = None;
                for record in records.drain(..) {
                    match handle_record(
                        shared,
                        record,
                        &endpoint,
                        &stream_id,
                        calls,
                        &mut subscribed,
                    ) {
                        Ok(true) => {}
                        Ok(false) => {
                            failure = Some(None);
                            break;
                        }
                        Err(reason) => {
                            failure = Some(Some(reason));
                            break;
                        }
                    }
                }
                records.clear();
                match failure {
                    None => {}
                    Some(None) => return AttemptEnd::Finished,
                    Some(Some(reason)) => break reason,
                }
            }
            Err(e) => break format!("event stream: {e}"),
        }
    };
    let mut state = shared.lock();
    if subscribed {
        Shared::end_connection(&mut state);
    }
    if state.status != Status::Running {
        return AttemptEnd::Finished;
    }
    log_at!(
        shared.logger,
        Level::Warn,
        "connection to the master lost: {reason}"
    );
    if subscribed {
        Shared::dispatch(&state, Dispatch::Disconnected);
        backoff.reset();
        AttemptEnd::Lost
    } else {
        AttemptEnd::Failed
    }
}

/// Ok(true): go on; Ok(false): stop reading (driver finished); Err: connection lost.
fn handle_record(
    shared: &Arc<Shared>,
    record: Bytes,
    endpoint: &str,
    stream_id: &str,
    calls: &Calls,
    subscribed: &mut bool,
) -> Result<bool, String> {
    let event = envelope::Event::decode(record)
        .map_err(|e| format!("an event that does not decode: {e}"))?;
    let kind = event.r#type.unwrap_or(0);
    match kind {
        event_type::SUBSCRIBED => {
            let Some(subscribed_event) = event.subscribed else {
                return Err("SUBSCRIBED without its payload".to_string());
            };
            let mut state = shared.lock();
            if state.status != Status::Running {
                return Ok(false);
            }
            let interval = subscribed_event
                .heartbeat_interval_seconds
                .filter(|s| s.is_finite() && *s > 0.0)
                .unwrap_or(15.0);
            state.watchdog =
                Duration::try_from_secs_f64(interval * state.options.heartbeat_timeout_factor).ok();
            state.connection = Some(Connection {
                endpoint: endpoint.to_string(),
                stream_id: stream_id.to_string(),
                call_agent: calls.agent.clone(),
                generation: calls.generation,
            });
            let framework_id = subscribed_event.framework_id;
            state.framework_id = Some(framework_id.clone());
            let master_info = subscribed_event.master_info.unwrap_or_default();
            log_at!(
                shared.logger,
                Level::Info,
                "subscribed as framework {} (heartbeat {interval} s)",
                calls::id_value(&framework_id)
            );
            let item = if state.registered_once {
                Dispatch::Reregistered { master_info }
            } else {
                state.registered_once = true;
                Dispatch::Registered {
                    framework_id,
                    master_info,
                }
            };
            Shared::dispatch(&state, item);
            *subscribed = true;
            Ok(true)
        }
        event_type::ERROR => {
            let message = event
                .error
                .map(|e| e.message)
                .unwrap_or_else(|| "ERROR event without a message".to_string());
            log_at!(shared.logger, Level::Error, "ERROR event: {message}");
            let mut state = shared.lock();
            if state.status != Status::Running {
                return Ok(false);
            }
            // The master ended this subscription: read no further and send nothing more
            // on it (and no TEARDOWN after the abort). The events read before still reach
            // their callbacks; the dispatcher aborts in order, then runs error().
            Shared::end_connection(&mut state);
            Shared::dispatch(
                &state,
                Dispatch::Error {
                    message,
                    abort_first: true,
                },
            );
            Ok(false)
        }
        _ if !*subscribed => {
            log_at!(
                shared.logger,
                Level::Debug,
                "ignoring event {kind} before SUBSCRIBED"
            );
            Ok(true)
        }
        event_type::OFFERS
        | event_type::RESCIND
        | event_type::UPDATE
        | event_type::MESSAGE
        | event_type::FAILURE
        | event_type::HEARTBEAT
        | event_type::INVERSE_OFFERS
        | event_type::RESCIND_INVERSE_OFFER
        | event_type::UPDATE_OPERATION_STATUS => {
            let state = shared.lock();
            match state.status {
                Status::Running => {
                    Shared::dispatch(&state, Dispatch::Event(Box::new(event)));
                    Ok(true)
                }
                // After stop() the sender closes the stream once the calls queued before
                // (TEARDOWN above all) are out; until then events are just dropped.
                Status::Stopped => Ok(true),
                _ => Ok(false),
            }
        }
        other => {
            log_at!(
                shared.logger,
                Level::Debug,
                "ignoring unknown event type {other}"
            );
            Ok(true)
        }
    }
}

/// Watches the stream's liveness, leader changes, and closes the stream after a stop.
pub(crate) fn monitor_main(shared: Arc<Shared>) {
    let watch_leader = !shared.detector.is_static();
    loop {
        let (known_leader, close_reason) = {
            let mut state = shared.lock();
            let stream_open = state.stream_agent.is_some();
            if state.status != Status::Running && !stream_open {
                break;
            }
            let mut reason = None;
            if state.status == Status::Stopped {
                let grace_over = state
                    .stopped_at
                    .is_some_and(|deadline| Instant::now() >= deadline);
                if grace_over && stream_open {
                    reason = Some("driver stopped".to_string());
                }
            } else if state.status == Status::Aborted && stream_open {
                reason = Some("driver aborted".to_string());
            } else if let Some(limit) = state.watchdog {
                if stream_open && shared.silence() > limit {
                    state.watchdog = None;
                    reason = Some(format!(
                        "no event from the master for {:?} (heartbeat watchdog)",
                        limit
                    ));
                }
            }
            let known = if state.connection.is_some() {
                state.attempt_leader.clone()
            } else {
                None
            };
            (known, reason)
        };
        if let Some(reason) = close_reason {
            log_at!(
                shared.logger,
                Level::Warn,
                "closing the event stream: {reason}"
            );
            shared.close_stream();
            continue;
        }
        match (watch_leader, known_leader) {
            (true, Some(known)) => {
                match shared
                    .detector
                    .wait_for_change(Some(&known), Duration::from_millis(100))
                {
                    Ok(current) if current.as_deref() != Some(known.as_str()) => {
                        let still_same = shared.lock().attempt_leader.as_deref() == Some(&known);
                        if still_same && shared.is_running() {
                            log_at!(
                                shared.logger,
                                Level::Info,
                                "leading master changed from {known} to {current:?}"
                            );
                            shared.close_stream();
                        }
                    }
                    Ok(_) => {}
                    Err(message) => {
                        if shared.is_running() {
                            shared.fatal(&message);
                        }
                    }
                }
            }
            _ => {
                let mut state = shared.lock();
                shared
                    .changed
                    .wait_for(&mut state, Duration::from_millis(50));
            }
        }
    }
    log_at!(shared.logger, Level::Debug, "monitor thread exits");
}

/// Sends calls in order on one keep-alive connection.
/// Acknowledgements in flight on the parallel lanes.
/// An acknowledgement's body and the `Connection::generation` it was made for.
type LaneItem = (Vec<u8>, u64);

struct AckLanes {
    queue: Mutex<Option<mpsc::Sender<LaneItem>>>,
    in_flight: Mutex<usize>,
    idle: Condvar,
}

impl AckLanes {
    fn wait_idle(&self) {
        let mut in_flight = self.in_flight.lock();
        while *in_flight > 0 {
            self.idle.wait(&mut in_flight);
        }
    }
}

/// Sends calls in order on one keep-alive connection. With `ack.connections` > 1,
/// acknowledgements may overlap each other on that many extra connections (they are
/// independent: the master sends a task's next update only after the previous one is
/// acknowledged); every other call then waits for the acknowledgements queued before it
/// and is sent alone, so no call overtakes another call that is not an acknowledgement.
pub(crate) fn sender_main(shared: Arc<Shared>, rx: mpsc::Receiver<Outgoing>, transport: Transport) {
    // Calls go out on their subscription's agent (`Connection`); this one is for a
    // teardown after an abort.
    let agent = transport.call_agent();
    let lanes_wanted = shared.lock().options.ack_lanes.max(1);
    shared.lock().call_agent = Some(agent.clone());
    let (lane_tx, lane_rx) = mpsc::channel::<LaneItem>();
    let lane_rx = Mutex::new(lane_rx);
    let lanes = AckLanes {
        queue: Mutex::new(Some(lane_tx)),
        in_flight: Mutex::new(0),
        idle: Condvar::new(),
    };
    // With one connection wanted, acknowledgements go out inline like every other call.
    let lane_threads = if lanes_wanted > 1 { lanes_wanted } else { 0 };
    std::thread::scope(|scope| {
        for _ in 0..lane_threads {
            // Lanes inherit this thread's blocked signal mask.
            let (shared, transport, lanes, lane_rx) = (&shared, &transport, &lanes, &lane_rx);
            scope.spawn(move || loop {
                let item = lane_rx.lock().recv();
                let Ok((body, generation)) = item else { break };
                send_one(shared, transport, &body, call_type::ACKNOWLEDGE, generation);
                let mut in_flight = lanes.in_flight.lock();
                *in_flight -= 1;
                if *in_flight == 0 {
                    lanes.idle.notify_all();
                }
            });
        }
        while let Ok(item) = rx.recv() {
            match item {
                Outgoing::Call {
                    body,
                    kind,
                    generation,
                } if kind == call_type::ACKNOWLEDGE && lane_threads > 0 => {
                    *lanes.in_flight.lock() += 1;
                    if let Some(queue) = &*lanes.queue.lock() {
                        let _ = queue.send((body, generation));
                    }
                }
                Outgoing::Call {
                    body,
                    kind,
                    generation,
                } => {
                    lanes.wait_idle();
                    send_one(&shared, &transport, &body, kind, generation);
                }
                Outgoing::Stop => {
                    lanes.wait_idle();
                    shared.close_stream();
                    break;
                }
                Outgoing::TeardownAfterAbort => {
                    lanes.wait_idle();
                    teardown_after_abort(&shared, &transport, &agent);
                }
            }
        }
        // Closing the lane queue ends the lanes.
        lanes.queue.lock().take();
    });
    let mut state = shared.lock();
    state.sender_done = true;
    state.call_agent = None;
    shared.changed.notify_all();
    log_at!(shared.logger, Level::Debug, "sender thread exits");
}

fn call_name(kind: i32) -> &'static str {
    match kind {
        call_type::TEARDOWN => "TEARDOWN",
        call_type::ACCEPT => "ACCEPT",
        call_type::DECLINE => "DECLINE",
        call_type::REVIVE => "REVIVE",
        call_type::KILL => "KILL",
        call_type::ACKNOWLEDGE => "ACKNOWLEDGE",
        call_type::RECONCILE => "RECONCILE",
        call_type::MESSAGE => "MESSAGE",
        call_type::REQUEST => "REQUEST",
        call_type::SUPPRESS => "SUPPRESS",
        call_type::UPDATE_FRAMEWORK => "UPDATE_FRAMEWORK",
        _ => "call",
    }
}

fn send_one(shared: &Arc<Shared>, transport: &Transport, body: &[u8], kind: i32, generation: u64) {
    let (connection, aborted) = {
        let state = shared.lock();
        (state.connection.clone(), state.status == Status::Aborted)
    };
    let Some(connection) = connection.filter(|c| c.generation == generation) else {
        // Disconnected, or made for a subscription that has ended since.
        log_at!(
            shared.logger,
            Level::Debug,
            "dropping {}: disconnected",
            call_name(kind)
        );
        return;
    };
    if aborted {
        return;
    }
    let name = call_name(kind);
    let agent = &connection.call_agent;
    match transport.call(agent, &connection.endpoint, &connection.stream_id, body) {
        Ok(response) => {
            let expected = if kind == call_type::UPDATE_FRAMEWORK {
                200
            } else {
                202
            };
            if response.status == expected || response.status == 202 {
                log_at!(shared.logger, Level::Trace, "{name} accepted");
                return;
            }
            let text = response.body.trim().to_string();
            let message = format!("{name} answered {}: {text}", response.status);
            log_at!(shared.logger, Level::Warn, "{message}");
            let not_subscribed = response.status == 403 && text.contains("not subscribed");
            let moved = (300..400).contains(&response.status);
            if (not_subscribed || moved) && shared.is_running() {
                // Our subscription is gone or the leader moved: subscribe again.
                let current = shared
                    .lock()
                    .connection
                    .as_ref()
                    .map(|c| c.stream_id.clone());
                if current.as_deref() == Some(connection.stream_id.as_str()) {
                    shared.close_stream();
                }
            }
        }
        Err(e) => {
            let current = shared
                .lock()
                .connection
                .as_ref()
                .is_some_and(|c| c.stream_id == connection.stream_id);
            if !current {
                // Interrupted because its subscription ended: dropped like any call made
                // while disconnected.
                log_at!(
                    shared.logger,
                    Level::Debug,
                    "{name} dropped: the connection to the master was lost ({e})"
                );
                return;
            }
            log_at!(shared.logger, Level::Warn, "{name} failed: {e}");
        }
    }
}

fn teardown_after_abort(shared: &Arc<Shared>, transport: &Transport, call_agent: &ureq::Agent) {
    let result = (|| -> Result<(), String> {
        let (framework_info, framework_id, timeout) = {
            let state = shared.lock();
            let framework_id = state
                .framework_id
                .clone()
                .ok_or_else(|| "no framework id".to_string())?;
            (
                calls::with_framework_id(&state.framework_info, Some(&framework_id)),
                framework_id,
                state.options.request_timeout,
            )
        };
        let leader = shared
            .detector
            .wait_for_change(None, Duration::from_secs(1))?
            .ok_or_else(|| "no leading master".to_string())?;
        let body = calls::subscribe_call(framework_info, Some(&framework_id), Vec::new(), None);
        let stream_agent = transport.stream_agent();
        // Dropping the driver interrupts this too (see `Driver::release`).
        shared.lock().teardown_agent = Some(stream_agent.clone());
        let endpoint = format!("{leader}{SCHEDULER_PATH}");
        let subscription = transport
            .subscribe(&stream_agent, &endpoint, &body)
            .map_err(|e| format!("{e:?}"))?;
        let Subscription {
            endpoint,
            stream_id,
            mut body,
        } = subscription;
        // Wait (bounded) for SUBSCRIBED: the master knows the stream only from then on.
        let watchdog_agent = stream_agent.clone();
        let (done, finished) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if finished.recv_timeout(timeout) == Err(mpsc::RecvTimeoutError::Timeout) {
                watchdog_agent.shutdown();
            }
        });
        let mut decoder = crate::recordio::Decoder::new(1024 * 1024);
        let mut records = Vec::new();
        let mut buffer = [0u8; 4096];
        let subscribed = 'read: loop {
            let n = body.read(&mut buffer).map_err(|e| e.to_string())?;
            if n == 0 {
                break false;
            }
            decoder
                .feed(&buffer[..n], &mut records)
                .map_err(|e| e.to_string())?;
            for record in records.drain(..) {
                let event = envelope::Event::decode(record).map_err(|e| e.to_string())?;
                match event.r#type {
                    Some(event_type::SUBSCRIBED) => break 'read true,
                    Some(event_type::ERROR) => break 'read false,
                    _ => {}
                }
            }
        };
        let result = if subscribed {
            let teardown = calls::new_call(call_type::TEARDOWN, Some(&framework_id));
            transport
                .call(call_agent, &endpoint, &stream_id, &teardown.encode_to_vec())
                .map(drop)
        } else {
            Err("the master did not accept the framework again".to_string())
        };
        stream_agent.shutdown();
        drop(done);
        result
    })();
    shared.lock().teardown_agent = None;
    match result {
        Ok(()) => log_at!(
            shared.logger,
            Level::Info,
            "framework torn down after abort"
        ),
        Err(e) => log_at!(shared.logger, Level::Warn, "no TEARDOWN after abort: {e}"),
    }
}

/// Runs the callbacks, one at a time, in event order. Spawned without blocking signals:
/// callbacks run with the signal mask of the thread that started the driver.
pub(crate) fn dispatcher_main(shared: Arc<Shared>, rx: mpsc::Receiver<Dispatch>) {
    let Some(mut scheduler) = shared.scheduler.lock().take() else {
        return;
    };
    let driver = Driver::internal(shared.clone());
    while let Ok(item) = rx.recv() {
        match run_item(&shared, &driver, scheduler.as_mut(), item) {
            ItemOutcome::Ran | ItemOutcome::Skipped => {}
            ItemOutcome::Exit | ItemOutcome::Panicked => break,
        }
    }
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(scheduler)));
    log_at!(shared.logger, Level::Debug, "dispatcher thread exits");
}

/// Poll mode: runs pending callbacks on the calling thread, waiting up to `timeout`
/// (None: until one ran or the driver left RUNNING) for the first; the status and how
/// many callbacks ran. Pollers take turns: the queue and the scheduler go with the turn.
pub(crate) fn poll(shared: &Arc<Shared>, timeout: Option<Duration>) -> (Status, usize) {
    let deadline = timeout.map(|timeout| Instant::now() + timeout);
    let (rx, mut scheduler, signal) = {
        let mut state = shared.lock();
        loop {
            if state.status == Status::NotStarted {
                return (state.status, 0);
            }
            if let Some((rx, scheduler)) = state.poll_turn.take() {
                break (rx, scheduler, state.poll_signal.clone());
            }
            match deadline {
                Some(deadline) => {
                    if shared.changed.wait_until(&mut state, deadline).timed_out() {
                        return (state.status, 0);
                    }
                }
                None => shared.changed.wait(&mut state),
            }
        }
    };
    let driver = Driver::internal(shared.clone());
    let mut ran = 0;
    loop {
        let wait = ran == 0 && timeout != Some(Duration::ZERO) && shared.is_running();
        let next = if !wait {
            rx.try_recv().ok()
        } else if let Some(deadline) = deadline {
            rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .ok()
        } else {
            rx.recv().ok()
        };
        let Some(item) = next else { break };
        if let Some(signal) = &signal {
            signal.taken();
        }
        if run_item(shared, &driver, scheduler.as_mut(), item) == ItemOutcome::Ran {
            ran += 1;
        }
    }
    let mut state = shared.lock();
    state.poll_turn = Some((rx, scheduler));
    shared.changed.notify_all();
    (state.status, ran)
}

#[derive(Debug, PartialEq, Eq)]
enum ItemOutcome {
    /// A callback ran.
    Ran,
    /// Nothing to run (the gate was closed, or a wake-up).
    Skipped,
    /// The dispatcher thread should exit.
    Exit,
    /// A callback panicked; the driver aborted.
    Panicked,
}

/// Runs one item, turning a panicking callback into an abort.
fn run_item(
    shared: &Arc<Shared>,
    driver: &Driver,
    scheduler: &mut dyn Scheduler,
    item: Dispatch,
) -> ItemOutcome {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        dispatch_one(shared, driver, scheduler, item)
    }));
    outcome.unwrap_or_else(|panic| {
        // A panicking callback must not leave join() waiting forever on a driver whose
        // callbacks can no longer run: abort, like a fatal error.
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        log_at!(
            shared.logger,
            Level::Error,
            "a scheduler callback panicked: {what}; aborting the driver"
        );
        let agents = {
            let mut state = shared.lock();
            (state.status == Status::Running).then(|| shared.abort_locked(&mut state))
        };
        if let Some(agents) = agents {
            shared.finish_abort(agents);
        }
        ItemOutcome::Panicked
    })
}

impl Dispatch {
    /// The callback this item leads to (for test pause hooks and logs).
    fn callback_name(&self) -> &'static str {
        match self {
            Dispatch::Registered { .. } => "registered",
            Dispatch::Reregistered { .. } => "reregistered",
            Dispatch::Disconnected => "disconnected",
            Dispatch::Event(event) => match event.r#type.unwrap_or(0) {
                event_type::OFFERS => "resource_offers",
                event_type::RESCIND => "offer_rescinded",
                event_type::UPDATE => "status_update",
                event_type::MESSAGE => "framework_message",
                event_type::FAILURE => "slave_lost/executor_lost",
                event_type::HEARTBEAT => "heartbeat",
                event_type::INVERSE_OFFERS => "inverse_offers",
                event_type::RESCIND_INVERSE_OFFER => "inverse_offer_rescinded",
                event_type::UPDATE_OPERATION_STATUS => "operation_status",
                _ => "none",
            },
            Dispatch::SyntheticUpdate(_) => "status_update",
            Dispatch::Error { .. } => "error",
            Dispatch::Wake | Dispatch::Exit => "none",
        }
    }
}

/// Delivers one item through the callback gate.
fn dispatch_one(
    shared: &Arc<Shared>,
    driver: &Driver,
    scheduler: &mut dyn Scheduler,
    item: Dispatch,
) -> ItemOutcome {
    match item {
        Dispatch::Exit => return ItemOutcome::Exit,
        Dispatch::Wake => return ItemOutcome::Skipped,
        _ => {}
    }
    let name = item.callback_name();
    shared.pause_at(PausePoint::BeforeGate, name);
    let Some(_pass) = shared.enter_gate(&item) else {
        return ItemOutcome::Skipped;
    };
    shared.pause_at(PausePoint::InsideGate, name);
    match item {
        Dispatch::Exit | Dispatch::Wake => return ItemOutcome::Skipped,
        Dispatch::Error { message, .. } => scheduler.error(driver, &message),
        Dispatch::Registered {
            framework_id,
            master_info,
        } => scheduler.registered(driver, &framework_id, &master_info),
        Dispatch::Reregistered { master_info } => scheduler.reregistered(driver, &master_info),
        Dispatch::Disconnected => scheduler.disconnected(driver),
        Dispatch::SyntheticUpdate(status) => scheduler.status_update(driver, &status),
        Dispatch::Event(event) => deliver(shared, driver, scheduler, *event),
    }
    ItemOutcome::Ran
}

fn deliver(
    shared: &Arc<Shared>,
    driver: &Driver,
    scheduler: &mut dyn Scheduler,
    event: envelope::Event,
) {
    match event.r#type.unwrap_or(0) {
        event_type::OFFERS => {
            let offers = event.offers.map(|o| o.offers).unwrap_or_default();
            if !offers.is_empty() {
                let slices: Vec<&[u8]> = offers.iter().map(|o| o.as_ref()).collect();
                scheduler.resource_offers(driver, &slices);
            }
        }
        event_type::RESCIND => {
            if let Some(rescind) = event.rescind {
                scheduler.offer_rescinded(driver, &rescind.offer_id);
            }
        }
        event_type::UPDATE => {
            let Some(update) = event.update else { return };
            scheduler.status_update(driver, &update.status);
            if shared.implicit_acks {
                let state = shared.lock();
                // stop()/abort() inside the callback suppress the acknowledgement.
                if state.status == Status::Running {
                    shared.acknowledge(&state, &update.status);
                }
            }
        }
        event_type::MESSAGE => {
            if let Some(message) = event.message {
                scheduler.framework_message(
                    driver,
                    &message.executor_id,
                    &message.agent_id,
                    &message.data,
                );
            }
        }
        event_type::FAILURE => {
            let Some(failure) = event.failure else { return };
            match (failure.agent_id, failure.executor_id) {
                (Some(agent_id), Some(executor_id)) => scheduler.executor_lost(
                    driver,
                    &executor_id,
                    &agent_id,
                    failure.status.unwrap_or(0),
                ),
                (Some(agent_id), None) => scheduler.slave_lost(driver, &agent_id),
                _ => {}
            }
        }
        event_type::HEARTBEAT => scheduler.heartbeat(driver),
        event_type::INVERSE_OFFERS => {
            let offers = event
                .inverse_offers
                .map(|o| o.inverse_offers)
                .unwrap_or_default();
            if !offers.is_empty() {
                let slices: Vec<&[u8]> = offers.iter().map(|o| o.as_ref()).collect();
                scheduler.inverse_offers(driver, &slices);
            }
        }
        event_type::RESCIND_INVERSE_OFFER => {
            if let Some(rescind) = event.rescind_inverse_offer {
                scheduler.inverse_offer_rescinded(driver, &rescind.inverse_offer_id);
            }
        }
        event_type::UPDATE_OPERATION_STATUS => {
            if let Some(update) = event.update_operation_status {
                scheduler.operation_status(driver, &update.status);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_bounds_double_and_cap() {
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(60), 0.0);
        let bounds: Vec<u64> = (0..7).map(|_| b.bound_after_failure().as_secs()).collect();
        assert_eq!(bounds, [2, 4, 8, 16, 32, 60, 60]);
        b.reset();
        assert_eq!(b.bound_after_failure(), Duration::from_secs(2));
        // failover_timeout / 10 caps it further.
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(60), 50.0);
        let bounds: Vec<u64> = (0..4).map(|_| b.bound_after_failure().as_secs()).collect();
        assert_eq!(bounds, [2, 4, 5, 5]);
        for _ in 0..1000 {
            let d = b.jitter(Duration::from_millis(100));
            assert!(d <= Duration::from_millis(100));
        }
        let spread: BTreeSet<u128> = (0..100)
            .map(|_| b.jitter(Duration::from_secs(1)).as_millis() / 100)
            .collect();
        assert!(spread.len() > 5, "jitter is not random: {spread:?}");
    }
}
