//! The C ABI under abuse (issue 12 item 5): every function called from inside every
//! callback, and many threads calling every function at once while another thread stops
//! or aborts the driver, in thread and in poll mode. Each call must return one of the
//! statuses its documentation allows, nothing may deadlock or crash, and once stop or
//! abort has returned no call reports the driver as running. scripts/sanitize.sh runs
//! these under ThreadSanitizer and AddressSanitizer.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_void, CString};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::time::{Duration, Instant};

use mesos_sched::ffi::*;
use mesos_sched::local::{LocalCluster, LocalConfig};
use mesos_sched::proto::scheduler::{event, Event};
use mesos_sched::proto::v1::{
    AgentId, ExecutorId, FrameworkId, FrameworkInfo, OfferId, TaskId, TaskState, TaskStatus,
};
use prost::Message;

use mesos_sched_status::*;

mod ffi_support;

const WAIT: Duration = Duration::from_secs(60);

/// Protobuf bytes the calls take, built once per test.
struct Arguments {
    /// The FrameworkInfo for update_framework: once registered it must carry the
    /// framework id (another id aborts the driver, as in the classic driver).
    framework_info: Mutex<Vec<u8>>,
    framework: FrameworkInfo,
    offer_id: Vec<u8>,
    task_id: Vec<u8>,
    agent_id: Vec<u8>,
    executor_id: Vec<u8>,
    task_status: Vec<u8>,
    role: CString,
}

impl Arguments {
    fn registered_as(&self, framework_id: &str) {
        let framework = FrameworkInfo {
            id: Some(FrameworkId {
                value: framework_id.to_string(),
            }),
            ..self.framework.clone()
        };
        *self.framework_info.lock().unwrap() = framework.encode_to_vec();
    }

    fn new(framework: &FrameworkInfo) -> Arguments {
        Arguments {
            framework_info: Mutex::new(framework.encode_to_vec()),
            framework: framework.clone(),
            offer_id: OfferId {
                value: "abuse-offer".to_string(),
            }
            .encode_to_vec(),
            task_id: TaskId {
                value: "abuse-task".to_string(),
            }
            .encode_to_vec(),
            agent_id: AgentId {
                value: "abuse-agent".to_string(),
            }
            .encode_to_vec(),
            executor_id: ExecutorId {
                value: "abuse-executor".to_string(),
            }
            .encode_to_vec(),
            task_status: TaskStatus {
                task_id: TaskId {
                    value: "abuse-task".to_string(),
                },
                state: TaskState::TaskRunning as i32,
                ..Default::default()
            }
            .encode_to_vec(),
            role: CString::new("*").unwrap(),
        }
    }
}

/// Where a batch of calls is made from; it decides which statuses are allowed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Caller {
    /// Inside one of the driver's callbacks.
    Callback,
    /// Another thread, while the driver may be running, stopping or stopped.
    Thread,
}

/// One call's name and the status it returned.
type Outcome = (&'static str, mesos_sched_status);

/// Calls every driver function that leaves the driver running (all but stop, abort,
/// start and free of a running driver), with valid and with garbage arguments.
unsafe fn call_every_function(
    driver: *mut mesos_sched_driver,
    args: &Arguments,
    caller: Caller,
) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(24);
    let garbage = [0xffu8, 0xff, 0xff];
    let offer_ptrs = [args.offer_id.as_ptr()];
    let offer_lens = [args.offer_id.len()];
    let status_ptrs = [args.task_status.as_ptr()];
    let status_lens = [args.task_status.len()];
    let roles = [args.role.as_ptr() as *const c_char];

    outcomes.push((
        "request_resources",
        mesos_sched_driver_request_resources(driver, ptr::null(), ptr::null(), 0),
    ));
    outcomes.push((
        "launch_tasks(no tasks)",
        mesos_sched_driver_launch_tasks(
            driver,
            offer_ptrs.as_ptr(),
            offer_lens.as_ptr(),
            1,
            ptr::null(),
            ptr::null(),
            0,
            ptr::null(),
            0,
        ),
    ));
    outcomes.push((
        "kill_task",
        mesos_sched_driver_kill_task(driver, args.task_id.as_ptr(), args.task_id.len()),
    ));
    outcomes.push((
        "kill_task(garbage)",
        mesos_sched_driver_kill_task(driver, garbage.as_ptr(), garbage.len()),
    ));
    outcomes.push((
        "accept_offers(no operations)",
        mesos_sched_driver_accept_offers(
            driver,
            offer_ptrs.as_ptr(),
            offer_lens.as_ptr(),
            1,
            ptr::null(),
            ptr::null(),
            0,
            ptr::null(),
            0,
        ),
    ));
    outcomes.push((
        "decline_offer",
        mesos_sched_driver_decline_offer(
            driver,
            args.offer_id.as_ptr(),
            args.offer_id.len(),
            ptr::null(),
            0,
        ),
    ));
    outcomes.push((
        "revive_offers",
        mesos_sched_driver_revive_offers(driver, roles.as_ptr(), 1),
    ));
    outcomes.push((
        "suppress_offers",
        mesos_sched_driver_suppress_offers(driver, roles.as_ptr(), 1),
    ));
    outcomes.push((
        "acknowledge_status_update(implicit acks)",
        mesos_sched_driver_acknowledge_status_update(
            driver,
            args.task_status.as_ptr(),
            args.task_status.len(),
        ),
    ));
    outcomes.push((
        "send_framework_message",
        mesos_sched_driver_send_framework_message(
            driver,
            args.executor_id.as_ptr(),
            args.executor_id.len(),
            args.agent_id.as_ptr(),
            args.agent_id.len(),
            b"hello".as_ptr(),
            5,
        ),
    ));
    outcomes.push((
        "reconcile_tasks",
        mesos_sched_driver_reconcile_tasks(driver, status_ptrs.as_ptr(), status_lens.as_ptr(), 1),
    ));
    outcomes.push((
        "reconcile_tasks(implicit)",
        mesos_sched_driver_reconcile_tasks(driver, ptr::null(), ptr::null(), 0),
    ));
    let framework_info = args.framework_info.lock().unwrap().clone();
    outcomes.push((
        "update_framework",
        mesos_sched_driver_update_framework(
            driver,
            framework_info.as_ptr(),
            framework_info.len(),
            ptr::null(),
            0,
            ptr::null(),
            0,
        ),
    ));
    outcomes.push(("status", mesos_sched_driver_status(driver)));
    outcomes.push((
        "set_option(after start)",
        mesos_sched_driver_set_option(driver, c"log.level".as_ptr(), c"warn".as_ptr()),
    ));
    let mut fd = -1;
    outcomes.push(("event_fd", mesos_sched_driver_event_fd(driver, &mut fd)));
    // A thread may poll in poll mode; a poll from a callback, or from a thread while
    // the callback thread polls, must not deadlock either.
    let mut dispatched = 0usize;
    outcomes.push(("poll", mesos_sched_driver_poll(driver, 0, &mut dispatched)));
    if caller == Caller::Callback {
        outcomes.push(("join(inside a callback)", mesos_sched_driver_join(driver)));
        outcomes.push(("run(inside a callback)", mesos_sched_driver_run(driver)));
        // Inside a callback free does nothing (it would wait for itself).
        mesos_sched_driver_free(driver);
        outcomes.push((
            "status(after free inside a callback)",
            mesos_sched_driver_status(driver),
        ));
    }
    let mut text = [0u8; 64];
    let length = mesos_sched_driver_last_error(driver, text.as_mut_ptr().cast(), text.len());
    assert!(length > 0, "the failed calls above leave a last_error");
    assert!(!mesos_sched_version().is_null());
    outcomes
}

/// The statuses a call may return: the driver's status (any but NOT_STARTED: it was
/// started) or the usage error the call's documentation names.
fn allowed(name: &str, status: mesos_sched_status, poll_mode: bool, caller: Caller) -> bool {
    let driver_status = matches!(
        status,
        MESOS_SCHED_STATUS_DRIVER_RUNNING
            | MESOS_SCHED_STATUS_DRIVER_STOPPED
            | MESOS_SCHED_STATUS_DRIVER_ABORTED
    );
    match name {
        "kill_task(garbage)" => status == MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT,
        "acknowledge_status_update(implicit acks)" | "set_option(after start)" => {
            status == MESOS_SCHED_STATUS_ERROR_INVALID_STATE
        }
        "event_fd" if !poll_mode => status == MESOS_SCHED_STATUS_ERROR_INVALID_STATE,
        // Inside a callback poll fails as called from a callback, in either mode.
        "poll" if caller == Caller::Callback => {
            status == MESOS_SCHED_STATUS_ERROR_CALLED_FROM_CALLBACK
        }
        "poll" if !poll_mode => status == MESOS_SCHED_STATUS_ERROR_INVALID_STATE,
        "join(inside a callback)" | "run(inside a callback)" => {
            status == MESOS_SCHED_STATUS_ERROR_CALLED_FROM_CALLBACK
        }
        _ => driver_status,
    }
}

fn check(outcomes: &[Outcome], poll_mode: bool, caller: Caller) -> Vec<String> {
    outcomes
        .iter()
        .filter(|(name, status)| !allowed(name, *status, poll_mode, caller))
        .map(|(name, status)| format!("{name} -> {status:?}"))
        .collect()
}

fn framework_info(name: &str) -> FrameworkInfo {
    FrameworkInfo {
        name: name.to_string(),
        user: "abuse".to_string(),
        ..Default::default()
    }
}

fn new_driver(
    vtable: &mesos_sched_scheduler,
    user_data: *mut c_void,
    framework_info: &[u8],
    master: &str,
    poll_mode: bool,
) -> *mut mesos_sched_driver {
    let master = CString::new(master).unwrap();
    let driver = ffi_support::new_driver(vtable, user_data, framework_info, &master);
    if poll_mode {
        let status = unsafe {
            mesos_sched_driver_set_option(driver, c"dispatch".as_ptr(), c"poll".as_ptr())
        };
        assert_eq!(status, MESOS_SCHED_STATUS_DRIVER_NOT_STARTED);
    }
    driver
}

// ---- every function from inside every callback ------------------------------------------

/// What the callbacks of the first test share: the arguments, the outcomes of their
/// calls per callback, and the framework id once registered.
struct Inside {
    args: Arguments,
    poll_mode: bool,
    per_callback: Mutex<BTreeMap<&'static str, usize>>,
    violations: Mutex<Vec<String>>,
    framework_id: Mutex<Option<String>>,
    changed: Condvar,
}

impl Inside {
    unsafe fn exercise(
        user_data: *mut c_void,
        driver: *mut mesos_sched_driver,
        callback: &'static str,
    ) {
        let inside = &*(user_data as *const Inside);
        let outcomes = call_every_function(driver, &inside.args, Caller::Callback);
        let violations = check(&outcomes, inside.poll_mode, Caller::Callback);
        inside.violations.lock().unwrap().extend(
            violations
                .into_iter()
                .map(|v| format!("in {callback}: {v}")),
        );
        *inside
            .per_callback
            .lock()
            .unwrap()
            .entry(callback)
            .or_default() += 1;
        inside.changed.notify_all();
    }

    fn wait_for(&self, what: &str, done: impl Fn(&BTreeMap<&'static str, usize>) -> bool) {
        let deadline = Instant::now() + WAIT;
        let mut seen = self.per_callback.lock().unwrap();
        while !done(&seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for {what}; callbacks so far: {seen:?}"
            );
            seen = self.changed.wait_timeout(seen, left).unwrap().0;
        }
    }
}

unsafe extern "C" fn on_registered(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    framework_id: *const u8,
    framework_id_len: usize,
    _master_info: *const u8,
    _master_info_len: usize,
) {
    let id = std::slice::from_raw_parts(framework_id, framework_id_len);
    let id = FrameworkId::decode(id).unwrap().value;
    let inside = &*(ud as *const Inside);
    inside.args.registered_as(&id);
    *inside.framework_id.lock().unwrap() = Some(id);
    Inside::exercise(ud, d, "registered");
}
unsafe extern "C" fn on_resource_offers(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    _offers: *const *const u8,
    _lens: *const usize,
    _count: usize,
) {
    Inside::exercise(ud, d, "resource_offers");
}
unsafe extern "C" fn on_offer_rescinded(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    _: *const u8,
    _: usize,
) {
    Inside::exercise(ud, d, "offer_rescinded");
}
unsafe extern "C" fn on_status_update(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    _: *const u8,
    _: usize,
) {
    Inside::exercise(ud, d, "status_update");
}
unsafe extern "C" fn on_framework_message(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    _: *const u8,
    _: usize,
    _: *const u8,
    _: usize,
    _: *const u8,
    _: usize,
) {
    Inside::exercise(ud, d, "framework_message");
}
unsafe extern "C" fn on_slave_lost(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    _: *const u8,
    _: usize,
) {
    Inside::exercise(ud, d, "slave_lost");
}
unsafe extern "C" fn on_executor_lost(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    _: *const u8,
    _: usize,
    _: *const u8,
    _: usize,
    _: i32,
) {
    Inside::exercise(ud, d, "executor_lost");
}
unsafe extern "C" fn on_error(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    _: *const c_char,
    _: usize,
) {
    Inside::exercise(ud, d, "error");
}
unsafe extern "C" fn on_heartbeat(ud: *mut c_void, d: *mut mesos_sched_driver) {
    Inside::exercise(ud, d, "heartbeat");
}

fn exercising_vtable() -> mesos_sched_scheduler {
    let mut vtable = ffi_support::empty_scheduler();
    vtable.registered = Some(on_registered);
    vtable.resource_offers = Some(on_resource_offers);
    vtable.offer_rescinded = Some(on_offer_rescinded);
    vtable.status_update = Some(on_status_update);
    vtable.framework_message = Some(on_framework_message);
    vtable.slave_lost = Some(on_slave_lost);
    vtable.executor_lost = Some(on_executor_lost);
    vtable.error = Some(on_error);
    vtable.heartbeat = Some(on_heartbeat);
    vtable
}

fn event(kind: event::Type, fill: impl FnOnce(&mut Event)) -> Vec<u8> {
    let mut event = Event {
        r#type: Some(kind as i32),
        ..Default::default()
    };
    fill(&mut event);
    event.encode_to_vec()
}

fn every_function_inside_every_callback(poll_mode: bool) {
    let cluster = LocalCluster::start(LocalConfig::default()).expect("start a local cluster");
    let framework = framework_info("ffi_abuse_inside");
    let framework_info = framework.encode_to_vec();
    let inside = Box::new(Inside {
        args: Arguments::new(&framework),
        poll_mode,
        per_callback: Mutex::new(BTreeMap::new()),
        violations: Mutex::new(Vec::new()),
        framework_id: Mutex::new(None),
        changed: Condvar::new(),
    });
    let user_data = &*inside as *const Inside as *mut c_void;
    let vtable = exercising_vtable();
    let driver = new_driver(
        &vtable,
        user_data,
        &framework_info,
        &cluster.leader_url(),
        poll_mode,
    );
    assert_eq!(
        unsafe { mesos_sched_driver_start(driver) },
        MESOS_SCHED_STATUS_DRIVER_RUNNING
    );

    // In poll mode this thread serves the callbacks; join serves them too, but only
    // after the events below have been injected.
    let poller = poll_mode.then(|| {
        let driver = driver as usize;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            while !stop_flag.load(Ordering::SeqCst) {
                let status = unsafe {
                    mesos_sched_driver_poll(driver as *mut mesos_sched_driver, 50, ptr::null_mut())
                };
                if status != MESOS_SCHED_STATUS_DRIVER_RUNNING {
                    break;
                }
            }
        });
        (stop, handle)
    });

    inside.wait_for("registered, offers and a heartbeat", |seen| {
        ["registered", "resource_offers", "heartbeat"]
            .iter()
            .all(|name| seen.contains_key(name))
    });
    let framework_id = inside.framework_id.lock().unwrap().clone().unwrap();
    let agent = || AgentId {
        value: "abuse-agent".to_string(),
    };
    let injected = [
        event(event::Type::Rescind, |e| {
            e.rescind = Some(event::Rescind {
                offer_id: OfferId {
                    value: "rescinded".to_string(),
                },
            })
        }),
        event(event::Type::Update, |e| {
            e.update = Some(event::Update {
                status: TaskStatus {
                    task_id: TaskId {
                        value: "injected-task".to_string(),
                    },
                    state: TaskState::TaskRunning as i32,
                    ..Default::default()
                },
            })
        }),
        event(event::Type::Message, |e| {
            e.message = Some(event::Message {
                agent_id: agent(),
                executor_id: ExecutorId {
                    value: "abuse-executor".to_string(),
                },
                data: b"data".to_vec(),
            })
        }),
        event(event::Type::Failure, |e| {
            e.failure = Some(event::Failure {
                agent_id: Some(agent()),
                executor_id: Some(ExecutorId {
                    value: "abuse-executor".to_string(),
                }),
                status: Some(1),
            })
        }),
        event(event::Type::Failure, |e| {
            e.failure = Some(event::Failure {
                agent_id: Some(agent()),
                executor_id: None,
                status: None,
            })
        }),
    ];
    for bytes in &injected {
        cluster.inject_event(&framework_id, bytes);
    }
    inside.wait_for("every injected event's callback", |seen| {
        [
            "offer_rescinded",
            "status_update",
            "framework_message",
            "executor_lost",
            "slave_lost",
        ]
        .iter()
        .all(|name| seen.contains_key(name))
    });
    // ERROR last: the driver aborts itself, then runs error(), whose calls see ABORTED.
    cluster.inject_event(
        &framework_id,
        &event(event::Type::Error, |e| {
            e.error = Some(event::Error {
                message: "injected".to_string(),
            })
        }),
    );
    inside.wait_for("error", |seen| seen.contains_key("error"));
    if let Some((stop, handle)) = poller {
        stop.store(true, Ordering::SeqCst);
        handle.join().unwrap();
    }
    assert_eq!(
        unsafe { mesos_sched_driver_join(driver) },
        MESOS_SCHED_STATUS_DRIVER_ABORTED
    );
    unsafe { mesos_sched_driver_free(driver) };
    let violations = inside.violations.lock().unwrap();
    assert!(
        violations.is_empty(),
        "unexpected statuses: {violations:#?}"
    );
}

#[test]
fn every_function_inside_every_callback_in_thread_mode() {
    every_function_inside_every_callback(false);
}

#[test]
fn every_function_inside_every_callback_in_poll_mode() {
    every_function_inside_every_callback(true);
}

// ---- many threads at once while one stops or aborts --------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ending {
    Stop,
    Abort,
}

/// Counts the callbacks, to show none runs once join has returned.
struct Storm {
    callbacks: AtomicUsize,
    args: Arc<Arguments>,
    registered: AtomicBool,
}

unsafe extern "C" fn storm_registered(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    framework_id: *const u8,
    framework_id_len: usize,
    _: *const u8,
    _: usize,
) {
    let storm = &*(ud as *const Storm);
    let id = std::slice::from_raw_parts(framework_id, framework_id_len);
    storm
        .args
        .registered_as(&FrameworkId::decode(id).unwrap().value);
    storm.registered.store(true, Ordering::SeqCst);
    storm_callback(ud, d);
}

unsafe extern "C" fn storm_callback(ud: *mut c_void, _d: *mut mesos_sched_driver) {
    let storm = &*(ud as *const Storm);
    storm.callbacks.fetch_add(1, Ordering::SeqCst);
}
unsafe extern "C" fn storm_offers(
    ud: *mut c_void,
    d: *mut mesos_sched_driver,
    _: *const *const u8,
    _: *const usize,
    _: usize,
) {
    storm_callback(ud, d);
}

fn many_threads_while_one_ends(ending: Ending, poll_mode: bool) {
    const THREADS: usize = 8;
    let cluster = LocalCluster::start(LocalConfig::default()).expect("start a local cluster");
    let framework = framework_info("ffi_abuse_storm");
    let framework_info = framework.encode_to_vec();
    let args = Arc::new(Arguments::new(&framework));
    let storm = Box::new(Storm {
        callbacks: AtomicUsize::new(0),
        args: Arc::clone(&args),
        registered: AtomicBool::new(false),
    });
    let mut vtable = ffi_support::empty_scheduler();
    vtable.registered = Some(storm_registered);
    vtable.heartbeat = Some(storm_callback);
    vtable.resource_offers = Some(storm_offers);
    let driver = new_driver(
        &vtable,
        &*storm as *const Storm as *mut c_void,
        &framework_info,
        &cluster.leader_url(),
        poll_mode,
    );
    assert_eq!(
        unsafe { mesos_sched_driver_start(driver) },
        MESOS_SCHED_STATUS_DRIVER_RUNNING
    );
    // Registered first, so update_framework carries the framework id (in poll mode this
    // thread serves the callbacks until then).
    let deadline = Instant::now() + WAIT;
    while !storm.registered.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "not registered");
        if poll_mode {
            unsafe { mesos_sched_driver_poll(driver, 10, ptr::null_mut()) };
        } else {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    // `ended` is set once stop/abort has returned: a batch begun after that must not
    // see RUNNING.
    let ended = Arc::new(AtomicBool::new(false));
    let rounds_done = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(THREADS + 1));
    let callers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (args, ended, rounds_done, barrier) = (
                Arc::clone(&args),
                Arc::clone(&ended),
                Arc::clone(&rounds_done),
                Arc::clone(&barrier),
            );
            let driver = driver as usize;
            std::thread::spawn(move || {
                let driver = driver as *mut mesos_sched_driver;
                let mut violations = Vec::new();
                let mut rounds_after_end = 0;
                barrier.wait();
                while rounds_after_end < 3 {
                    let begun_after_end = ended.load(Ordering::SeqCst);
                    let outcomes = unsafe { call_every_function(driver, &args, Caller::Thread) };
                    violations.extend(check(&outcomes, poll_mode, Caller::Thread));
                    if begun_after_end {
                        rounds_after_end += 1;
                        violations.extend(
                            outcomes
                                .iter()
                                .filter(|(_, status)| *status == MESOS_SCHED_STATUS_DRIVER_RUNNING)
                                .map(|(name, _)| {
                                    format!("{name} -> RUNNING after the driver ended")
                                }),
                        );
                    }
                    rounds_done.fetch_add(1, Ordering::SeqCst);
                }
                violations
            })
        })
        .collect();
    barrier.wait();
    // Let the storm run against a running driver (at least a few rounds per thread).
    let deadline = Instant::now() + WAIT;
    while rounds_done.load(Ordering::SeqCst) < THREADS * 20 {
        assert!(
            Instant::now() < deadline,
            "the calling threads made no progress"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let (status, expected) = unsafe {
        match ending {
            Ending::Stop => (
                mesos_sched_driver_stop(driver, false),
                MESOS_SCHED_STATUS_DRIVER_STOPPED,
            ),
            Ending::Abort => (
                mesos_sched_driver_abort(driver),
                MESOS_SCHED_STATUS_DRIVER_ABORTED,
            ),
        }
    };
    ended.store(true, Ordering::SeqCst);
    assert_eq!(status, expected);
    let violations: Vec<String> = callers
        .into_iter()
        .flat_map(|caller| caller.join().expect("a calling thread panicked"))
        .collect();
    assert_eq!(unsafe { mesos_sched_driver_join(driver) }, expected);
    let callbacks_at_join = storm.callbacks.load(Ordering::SeqCst);
    assert!(callbacks_at_join > 0, "no callback ran during the storm");
    // Calls after join still return the final status and start no callback.
    let outcomes = unsafe { call_every_function(driver, &args, Caller::Thread) };
    let after_join = check(&outcomes, poll_mode, Caller::Thread);
    assert!(
        outcomes
            .iter()
            .all(|(_, status)| *status != MESOS_SCHED_STATUS_DRIVER_RUNNING),
        "a call after join reports RUNNING: {outcomes:?}"
    );
    std::thread::sleep(Duration::from_millis(100));
    unsafe { mesos_sched_driver_free(driver) };
    assert!(
        violations.is_empty(),
        "unexpected statuses: {violations:#?}"
    );
    assert!(
        after_join.is_empty(),
        "unexpected statuses after join: {after_join:#?}"
    );
    assert_eq!(
        storm.callbacks.load(Ordering::SeqCst),
        callbacks_at_join,
        "a callback ran after join returned ({ending:?})"
    );
}

#[test]
fn many_threads_call_everything_while_one_stops() {
    many_threads_while_one_ends(Ending::Stop, false);
}

#[test]
fn many_threads_call_everything_while_one_aborts() {
    many_threads_while_one_ends(Ending::Abort, false);
}

#[test]
fn many_threads_call_and_poll_everything_while_one_stops_in_poll_mode() {
    many_threads_while_one_ends(Ending::Stop, true);
}

#[test]
fn many_threads_call_and_poll_everything_while_one_aborts_in_poll_mode() {
    many_threads_while_one_ends(Ending::Abort, true);
}
