//! The callback gate, deterministically: the dispatcher is held at a pause point (a
//! test-only hook) while the test thread stops, aborts or joins, so each interleaving the
//! header promises something about is forced instead of hoped for.

mod common;

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use common::fake_master::{Answer, FakeMaster};
use common::*;
use mesos_sched::driver::PausePoint;
use mesos_sched::proto::{scheduler, v1};
use mesos_sched::{Driver, Status};
use parking_lot::{Condvar, Mutex};

const WAIT: Duration = Duration::from_secs(10);
/// How long a call that must keep waiting is watched (it may never return in time).
const STILL_WAITING: Duration = Duration::from_millis(300);

/// Holds the dispatcher once at (point, callback) until `release`.
#[derive(Default)]
struct Pause {
    state: Mutex<PauseState>,
    changed: Condvar,
}

#[derive(Default)]
struct PauseState {
    armed: Option<(PausePoint, String)>,
    arrived: bool,
    released: bool,
}

impl Pause {
    fn install(driver: &Driver, point: PausePoint, callback: &str) -> Arc<Pause> {
        let pause = Arc::new(Pause::default());
        pause.state.lock().armed = Some((point, callback.to_string()));
        let hooked = pause.clone();
        driver.set_pause_hook(move |at, name| hooked.hit(at, name));
        pause
    }

    fn hit(&self, at: PausePoint, name: &str) {
        let mut state = self.state.lock();
        let wanted =
            matches!(&state.armed, Some((point, callback)) if *point == at && callback == name);
        if !wanted {
            return;
        }
        state.armed = None;
        state.arrived = true;
        self.changed.notify_all();
        while !state.released {
            self.changed.wait(&mut state);
        }
    }

    fn wait_arrived(&self) {
        let mut state = self.state.lock();
        while !state.arrived {
            assert!(
                !self.changed.wait_for(&mut state, WAIT).timed_out(),
                "the dispatcher never reached the pause point"
            );
        }
    }

    fn release(&self) {
        self.state.lock().released = true;
        self.changed.notify_all();
    }
}

fn update_event(task: &str) -> scheduler::Event {
    scheduler::Event {
        r#type: Some(scheduler::event::Type::Update as i32),
        update: Some(scheduler::event::Update {
            status: v1::TaskStatus {
                task_id: v1::TaskId { value: task.into() },
                state: v1::TaskState::TaskRunning as i32,
                agent_id: Some(v1::AgentId { value: "a1".into() }),
                uuid: Some(b"0123456789abcdef".to_vec()),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

fn updates(log: &Log) -> usize {
    log.count(|seen| matches!(seen, Seen::Update(..)))
}

fn errors(log: &Log) -> Vec<Seen> {
    log.all()
        .into_iter()
        .filter(|seen| matches!(seen, Seen::Error { .. }))
        .collect()
}

/// A registered driver on `master` whose dispatcher will pause at (point, callback).
fn registered_paused(
    master: &FakeMaster,
    point: PausePoint,
    callback: &str,
) -> (Driver, Arc<Log>, Arc<Pause>) {
    let (recorder, log) = Recorder::new();
    let driver = fast_driver(
        &master.master_string(),
        recorder,
        &framework_info("gate"),
        None,
        true,
    );
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    let pause = Pause::install(&driver, point, callback);
    (driver, log, pause)
}

/// Runs `join` on another thread; its result arrives on the receiver.
fn join_in_background(
    driver: &Driver,
    log: &Arc<Log>,
) -> mpsc::Receiver<(Status, usize, Vec<Seen>)> {
    let (tx, rx) = mpsc::channel();
    let (driver, log) = (driver.clone(), log.clone());
    std::thread::spawn(move || {
        let status = driver.join().unwrap();
        // What the callbacks had done when join returned.
        let _ = tx.send((status, updates(&log), errors(&log)));
    });
    rx
}

#[test]
fn no_callback_begins_after_stop_returns() {
    let master = FakeMaster::start(15.0);
    let (driver, log, pause) = registered_paused(&master, PausePoint::BeforeGate, "status_update");
    master.push_event(&update_event("t1"));
    pause.wait_arrived();
    // The update is dequeued and on its way to the callback; stop wins the gate.
    assert_eq!(driver.stop(true), Status::Stopped);
    pause.release();
    assert_eq!(driver.join(), Ok(Status::Stopped));
    drop(driver); // joins the dispatcher: it has handled the item by now
    assert_eq!(updates(&log), 0, "a callback began after stop() returned");
    assert!(master
        .received_of_type(scheduler::call::Type::Acknowledge)
        .is_empty());
}

#[test]
fn no_callback_begins_after_abort_returns() {
    let master = FakeMaster::start(15.0);
    let (driver, log, pause) = registered_paused(&master, PausePoint::BeforeGate, "status_update");
    master.push_event(&update_event("t1"));
    pause.wait_arrived();
    assert_eq!(driver.abort(), Status::Aborted);
    pause.release();
    assert_eq!(driver.join(), Ok(Status::Aborted));
    drop(driver);
    assert_eq!(updates(&log), 0, "a callback began after abort() returned");
}

#[test]
fn join_after_stop_waits_for_the_callback_in_progress() {
    let master = FakeMaster::start(15.0);
    let (driver, log, pause) = registered_paused(&master, PausePoint::InsideGate, "status_update");
    master.push_event(&update_event("t1"));
    pause.wait_arrived();
    // The callback has passed the gate: stop cannot cancel it, join must wait for it.
    assert_eq!(driver.stop(true), Status::Stopped);
    let joined = join_in_background(&driver, &log);
    assert!(
        joined.recv_timeout(STILL_WAITING).is_err(),
        "join returned while a callback was in progress"
    );
    pause.release();
    let (status, updates_at_join, _) = joined.recv_timeout(WAIT).expect("join never returned");
    assert_eq!(status, Status::Stopped);
    assert_eq!(updates_at_join, 1, "join returned before the callback did");
}

#[test]
fn join_after_abort_waits_for_the_callback_in_progress() {
    let master = FakeMaster::start(15.0);
    let (driver, log, pause) = registered_paused(&master, PausePoint::InsideGate, "status_update");
    master.push_event(&update_event("t1"));
    pause.wait_arrived();
    assert_eq!(driver.abort(), Status::Aborted);
    let joined = join_in_background(&driver, &log);
    assert!(joined.recv_timeout(STILL_WAITING).is_err());
    pause.release();
    let (status, updates_at_join, _) = joined.recv_timeout(WAIT).expect("join never returned");
    assert_eq!((status, updates_at_join), (Status::Aborted, 1));
    // Aborted inside: no acknowledgement for the update it was handling.
    drop(driver);
    assert!(master
        .received_of_type(scheduler::call::Type::Acknowledge)
        .is_empty());
}

/// A driver whose SUBSCRIBE the master refuses (401: fatal), paused at (point, "error").
fn refused_paused(master: &FakeMaster, point: PausePoint) -> (Driver, Arc<Log>, Arc<Pause>) {
    master.script_subscribe([Answer::status(401, "")]);
    let (recorder, log) = Recorder::new();
    let driver = fast_driver(
        &master.master_string(),
        recorder,
        &framework_info("gate"),
        None,
        true,
    );
    let pause = Pause::install(&driver, point, "error");
    driver.start();
    pause.wait_arrived();
    // The driver aborted itself before queueing the error callback.
    assert_eq!(driver.status(), Status::Aborted);
    (driver, log, pause)
}

#[test]
fn abort_cancels_the_error_callback_of_a_failure_met_just_before() {
    let master = FakeMaster::start(15.0);
    let (driver, log, pause) = refused_paused(&master, PausePoint::BeforeGate);
    assert_eq!(driver.abort(), Status::Aborted);
    pause.release();
    assert_eq!(driver.join(), Ok(Status::Aborted));
    drop(driver);
    assert_eq!(
        errors(&log),
        [],
        "error() ran after the caller's abort() returned"
    );
}

#[test]
fn stop_cancels_the_error_callback_of_a_failure_met_just_before() {
    let master = FakeMaster::start(15.0);
    let (driver, log, pause) = refused_paused(&master, PausePoint::BeforeGate);
    assert_eq!(driver.stop(true), Status::Aborted);
    pause.release();
    assert_eq!(driver.join(), Ok(Status::Stopped));
    drop(driver);
    assert_eq!(errors(&log), []);
}

#[test]
fn join_returns_after_the_error_callback_of_a_self_abort() {
    let master = FakeMaster::start(15.0);
    // Held before the gate: the error is owed but not begun; join must wait for it.
    let (driver, log, pause) = refused_paused(&master, PausePoint::BeforeGate);
    let joined = join_in_background(&driver, &log);
    assert!(
        joined.recv_timeout(STILL_WAITING).is_err(),
        "join returned before the error callback of the driver's own abort"
    );
    pause.release();
    let (status, _, errors_at_join) = joined.recv_timeout(WAIT).expect("join never returned");
    assert_eq!(status, Status::Aborted);
    assert_eq!(
        errors_at_join,
        [Seen::Error {
            message: "Master refused authentication".into(),
            status_during: Status::Aborted,
        }]
    );
}

#[test]
fn releasing_an_aborted_driver_keeps_it_aborted_for_the_callback_in_progress() {
    let master = FakeMaster::start(15.0);
    let seen_status = Arc::new(Mutex::new(None));
    let seen_in_hook = seen_status.clone();
    let (recorder, log) = Recorder::with_hook(move |driver, seen| {
        if matches!(seen, Seen::Update(..)) {
            *seen_in_hook.lock() = Some(driver.status());
        }
    });
    let driver = fast_driver(
        &master.master_string(),
        recorder,
        &framework_info("gate"),
        None,
        true,
    );
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    let pause = Pause::install(&driver, PausePoint::InsideGate, "status_update");
    master.push_event(&update_event("t1"));
    pause.wait_arrived();
    assert_eq!(driver.abort(), Status::Aborted);
    // Dropping the last handle (what mesos_sched_driver_free also does) stops the driver
    // for good, then waits for the callback, which must still see ABORTED (as the
    // classic driver's destructor leaves the status alone).
    let released = std::thread::spawn(move || drop(driver));
    std::thread::sleep(STILL_WAITING); // let the release begin; it then waits for us
    assert!(
        !released.is_finished(),
        "the release did not wait for the callback"
    );
    pause.release();
    released.join().unwrap();
    assert_eq!(*seen_status.lock(), Some(Status::Aborted));
}

#[test]
fn last_error_is_per_thread_and_never_set_by_background_failures() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::new();
    let driver = fast_driver(
        &master.master_string(),
        recorder,
        &framework_info("errno"),
        None,
        true,
    );
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    // A usage error on another thread.
    let other = driver.clone();
    let other_thread = std::thread::spawn(move || {
        assert!(other.kill_task(b"\xff\xff garbage").is_err());
        let message = other.last_error();
        (other, message)
    });
    let (other, message_there) = other_thread.join().unwrap();
    assert!(message_there.contains("task_id"), "{message_there}");
    assert_eq!(
        driver.last_error(),
        "",
        "another thread's error leaked here"
    );
    // A usage error here, then a call that succeeds here but that the master refuses.
    assert!(driver.kill_task(b"\xff\xff").is_err());
    let mine = driver.last_error();
    assert!(mine.contains("task_id"), "{mine}");
    master.script_calls([Answer::status(503, "Service Unavailable")]);
    assert_eq!(driver.revive_offers(None), Ok(Status::Running));
    // Calls leave in order: once the SUPPRESS arrived, the 503 was handled.
    driver.suppress_offers(None).unwrap();
    assert!(master
        .wait_received(WAIT, |r| r.call.r#type
            == Some(scheduler::call::Type::Suppress as i32))
        .is_some());
    assert_eq!(
        driver.last_error(),
        mine,
        "a background failure overwrote last_error"
    );
    drop(other);
}

/// Starts `sleep 30` the way C code does (posix_spawn with default attributes keeps the
/// caller's signal mask; std::process would reset it); its pid.
fn spawn_sleep_inheriting_the_mask() -> libc::pid_t {
    let program = std::ffi::CString::new("sleep").unwrap();
    let argument = std::ffi::CString::new("30").unwrap();
    let argv = [
        program.as_ptr() as *mut libc::c_char,
        argument.as_ptr() as *mut libc::c_char,
        std::ptr::null_mut(),
    ];
    let mut pid = 0;
    let rc = unsafe {
        libc::posix_spawnp(
            &mut pid,
            program.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            argv.as_ptr(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "posix_spawnp");
    pid
}

/// SigBlk of `task`: a pid, or "thread-self" for the calling thread.
fn blocked_signals_of(task: impl std::fmt::Display) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{task}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("SigBlk:")).unwrap();
    u64::from_str_radix(line["SigBlk:".len()..].trim(), 16).unwrap()
}

#[test]
fn callbacks_and_their_children_get_the_signal_mask_of_the_starting_thread() {
    let master = FakeMaster::start(15.0);
    let seen = Arc::new(Mutex::new(None));
    let seen_in_hook = seen.clone();
    let (recorder, log) = Recorder::with_hook(move |_driver, event| {
        if matches!(event, Seen::Registered { .. }) {
            let child = spawn_sleep_inheriting_the_mask();
            *seen_in_hook.lock() = Some((blocked_signals_of("thread-self"), child));
        }
    });
    let driver = fast_driver(
        &master.master_string(),
        recorder,
        &framework_info("mask"),
        None,
        true,
    );
    // Start from a thread that blocks exactly SIGUSR1: callbacks must run with that mask.
    let starter = {
        let driver = driver.clone();
        std::thread::spawn(move || unsafe {
            let mut only_usr1: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut only_usr1);
            libc::sigaddset(&mut only_usr1, libc::SIGUSR1);
            libc::pthread_sigmask(libc::SIG_SETMASK, &only_usr1, std::ptr::null_mut());
            let mask = blocked_signals_of("thread-self");
            driver.start();
            mask
        })
    };
    let starter_mask = starter.join().unwrap();
    assert_eq!(starter_mask, 1 << (libc::SIGUSR1 - 1));
    assert!(log.wait_for(WAIT, is_registered));
    let (callback_mask, child) = seen.lock().expect("registered ran");
    assert_eq!(callback_mask, starter_mask, "the callback's mask");
    assert_eq!(
        blocked_signals_of(child),
        starter_mask,
        "the mask a child of a callback inherits"
    );
    // So SIGTERM stops that child.
    let mut wait_status = 0;
    unsafe {
        libc::kill(child, libc::SIGTERM);
        assert_eq!(libc::waitpid(child, &mut wait_status, 0), child);
    }
    assert!(libc::WIFSIGNALED(wait_status) && libc::WTERMSIG(wait_status) == libc::SIGTERM);
    driver.stop(true);
}
