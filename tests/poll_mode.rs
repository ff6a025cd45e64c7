//! Poll mode (`dispatch=poll`): callbacks run only on the threads that poll (or join/run),
//! the event fd is readable exactly while callbacks are pending, pollers take turns, and
//! the C functions check their arguments and the mode.

mod common;

use std::ffi::c_int;
use std::ptr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake_master::FakeMaster;
use common::*;
use mesos_sched::ffi::*;
use mesos_sched::proto::{scheduler, v1};
use mesos_sched::{Driver, Error, Status};

mod ffi_support;

const WAIT: Duration = Duration::from_secs(10);

fn poll_driver(master: &FakeMaster, recorder: Recorder) -> Driver {
    let driver = fast_driver(
        &master.master_string(),
        recorder,
        &framework_info("poll"),
        None,
        true,
    );
    driver.set_option("dispatch", "poll").unwrap();
    driver
}

/// True when `fd` becomes readable within `timeout`.
fn readable(fd: c_int, timeout: Duration) -> bool {
    let mut entry = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ready = unsafe { libc::poll(&mut entry, 1, timeout.as_millis() as c_int) };
    ready == 1 && entry.revents & libc::POLLIN != 0
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

/// Polls (without waiting) until `log` satisfies `predicate`, using the event fd to wait.
fn poll_until(driver: &Driver, log: &Log, predicate: impl Fn(&[Seen]) -> bool) {
    let fd = driver.event_fd().unwrap();
    let deadline = Instant::now() + WAIT;
    while !predicate(&log.all()) {
        assert!(Instant::now() < deadline, "never happened: {:?}", log.all());
        if readable(fd, Duration::from_millis(100)) {
            driver.poll(Some(Duration::ZERO)).unwrap();
        }
    }
}

#[test]
fn callbacks_run_only_on_the_polling_thread_and_the_fd_says_when() {
    let master = FakeMaster::start(3600.0);
    let (recorder, log) = Recorder::new();
    let driver = poll_driver(&master, recorder);
    let fd = driver.event_fd().unwrap();
    assert!(
        !readable(fd, Duration::ZERO),
        "nothing pending before start"
    );
    assert_eq!(driver.start(), Status::Running);
    // SUBSCRIBED arrives, but no library thread runs the callback: it waits for us.
    assert!(readable(fd, WAIT), "the fd never became readable");
    assert!(log.all().is_empty(), "a callback ran before poll");
    let (status, ran) = driver.poll(Some(Duration::ZERO)).unwrap();
    assert_eq!(status, Status::Running);
    assert!(ran >= 1);
    assert!(is_registered(&log.all()));
    // Drained: the fd is quiet until the next event.
    while readable(fd, Duration::ZERO) {
        driver.poll(Some(Duration::ZERO)).unwrap();
    }
    master.push_event(&update_event("t1"));
    assert!(readable(fd, WAIT));
    let (_, ran) = driver.poll(Some(WAIT)).unwrap();
    assert!(ran >= 1);
    assert_eq!(log.count(|s| matches!(s, Seen::Update(..))), 1);
    let me = std::thread::current().id();
    assert!(
        log.threads().iter().all(|thread| *thread == me),
        "a callback ran elsewhere"
    );
    // The implicit acknowledgement followed the callback.
    assert!(master
        .wait_received(WAIT, |r| r.call.r#type
            == Some(scheduler::call::Type::Acknowledge as i32))
        .is_some());
    // Nothing pending: poll(0) returns at once with nothing run.
    while readable(fd, Duration::ZERO) {
        driver.poll(Some(Duration::ZERO)).unwrap();
    }
    let started = Instant::now();
    assert_eq!(
        driver.poll(Some(Duration::ZERO)).unwrap(),
        (Status::Running, 0)
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    driver.stop(true);
}

#[test]
fn a_waiting_poll_returns_when_the_driver_stops() {
    let master = FakeMaster::start(3600.0);
    let (recorder, log) = Recorder::new();
    let driver = poll_driver(&master, recorder);
    driver.start();
    poll_until(&driver, &log, is_registered);
    let poller = {
        let driver = driver.clone();
        std::thread::spawn(move || driver.poll(None).unwrap())
    };
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(driver.stop(true), Status::Stopped);
    let (status, _) = poller.join().unwrap();
    assert_eq!(status, Status::Stopped);
    // And once stopped, a poll without a timeout does not wait.
    assert_eq!(driver.poll(None).unwrap().0, Status::Stopped);
}

#[test]
fn join_serves_the_callbacks_on_its_own_thread() {
    let master = FakeMaster::start(3600.0);
    let (recorder, log) = Recorder::with_hook(|driver, seen| {
        if matches!(seen, Seen::Update(..)) {
            assert!(matches!(
                driver.poll(None),
                Err(Error::CalledFromCallback(_))
            ));
            driver.stop(true);
        }
    });
    let driver = poll_driver(&master, recorder);
    driver.start();
    let joiner = {
        let driver = driver.clone();
        std::thread::spawn(move || (driver.join(), std::thread::current().id()))
    };
    assert!(log.wait_for(WAIT, is_registered));
    master.push_event(&update_event("t1"));
    let (joined, join_thread) = joiner.join().unwrap();
    assert_eq!(joined, Ok(Status::Stopped));
    assert!(log.threads().iter().all(|thread| *thread == join_thread));
}

#[test]
fn pollers_on_several_threads_take_turns() {
    let master = FakeMaster::start(3600.0);
    let (mut recorder, log) = Recorder::new();
    recorder.callback_delay = Duration::from_millis(2);
    let driver = Arc::new(poll_driver(&master, recorder));
    driver.start();
    let pollers: Vec<_> = (0..3)
        .map(|_| {
            let driver = driver.clone();
            std::thread::spawn(move || {
                while driver.status() == Status::Running {
                    driver.poll(Some(Duration::from_millis(20))).unwrap();
                }
            })
        })
        .collect();
    assert!(log.wait_for(WAIT, is_registered));
    for task in 0..50 {
        master.push_event(&update_event(&format!("t{task}")));
    }
    assert!(log.wait_for(WAIT, |seen| count_of(seen, |s| matches!(
        s,
        Seen::Update(..)
    )) == 50));
    driver.stop(true);
    for poller in pollers {
        poller.join().unwrap();
    }
    assert_eq!(log.max_concurrent(), 1, "two callbacks overlapped");
}

#[test]
fn poll_and_event_fd_need_poll_mode() {
    let master = FakeMaster::start(3600.0);
    let (recorder, log) = Recorder::new();
    let driver = fast_driver(
        &master.master_string(),
        recorder,
        &framework_info("thread"),
        None,
        true,
    );
    assert!(matches!(driver.event_fd(), Err(Error::InvalidState(_))));
    assert!(matches!(
        driver.poll(Some(Duration::ZERO)),
        Err(Error::InvalidState(_))
    ));
    assert!(driver.set_option("dispatch", "sometimes").is_err());
    driver.start();
    assert!(
        log.wait_for(WAIT, is_registered),
        "thread mode still runs callbacks itself"
    );
    assert!(
        driver.set_option("dispatch", "poll").is_err(),
        "only before start"
    );
    driver.stop(true);
}

#[test]
fn the_c_functions_check_arguments_and_mode() {
    let master = FakeMaster::start(3600.0);
    let scheduler = ffi_support::empty_scheduler();
    let master_string = std::ffi::CString::new(master.master_string()).unwrap();
    let info = encode(&framework_info("c-poll"));
    let driver = ffi_support::new_driver(&scheduler, ptr::null_mut(), &info, &master_string);
    unsafe {
        let mut fd: c_int = -1;
        assert_eq!(
            mesos_sched_driver_event_fd(driver, &mut fd),
            mesos_sched_status::MESOS_SCHED_STATUS_ERROR_INVALID_STATE
        );
        assert!(ffi_support::last_error_of(driver).contains("dispatch=poll"));
        assert_eq!(
            mesos_sched_driver_poll(driver, 0, ptr::null_mut()),
            mesos_sched_status::MESOS_SCHED_STATUS_ERROR_INVALID_STATE
        );
        assert_eq!(
            mesos_sched_driver_set_option(driver, c"dispatch".as_ptr(), c"poll".as_ptr()),
            mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_NOT_STARTED
        );
        assert_eq!(
            mesos_sched_driver_event_fd(driver, ptr::null_mut()),
            mesos_sched_status::MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT
        );
        assert_eq!(
            mesos_sched_driver_event_fd(driver, &mut fd),
            mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_NOT_STARTED
        );
        assert!(fd >= 0);
        assert_eq!(
            mesos_sched_driver_poll(driver, -2, ptr::null_mut()),
            mesos_sched_status::MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT
        );
        let mut dispatched = 99usize;
        assert_eq!(
            mesos_sched_driver_poll(driver, 0, &mut dispatched),
            mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_NOT_STARTED
        );
        assert_eq!(dispatched, 0);
        assert_eq!(
            mesos_sched_driver_start(driver),
            mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_RUNNING
        );
        assert!(readable(fd, WAIT));
        assert_eq!(
            mesos_sched_driver_poll(driver, 1000, &mut dispatched),
            mesos_sched_status::MESOS_SCHED_STATUS_DRIVER_RUNNING
        );
        assert!(
            dispatched >= 1,
            "the registered callback (a NULL member) was dispatched"
        );
        mesos_sched_driver_free(driver);
    }
}
