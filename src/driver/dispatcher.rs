//! The dispatcher thread and poll mode: the dispatch queue, and callbacks run one at a
//! time in event order through the callback gate.

use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::calls::{self, event_type};
use super::gate::PausePoint;
use super::state::{Dispatch, Shared};
use super::{Driver, Scheduler, Status};
use crate::log::Level;
use crate::log_at;
use crate::proto::envelope;

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

    pub(crate) fn queued(&self, send: impl FnOnce()) {
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

    pub(crate) fn taken(&self) {
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
    pub(crate) fn send(&self, item: Dispatch) {
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
            // Decoded before the lock is taken: most updates of a reconciliation need no
            // acknowledgement, and then take no lock at all.
            let target = shared
                .implicit_acks
                .then(|| calls::ack_target(&update.status))
                .flatten();
            if let Some(target) = target {
                let state = shared.lock();
                // stop()/abort() inside the callback suppress the acknowledgement.
                if state.status == Status::Running {
                    shared.queue_ack(&state, target);
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
