//! A driver with master `local` starts an in-process cluster; dropping (freeing) the
//! driver ends every thread and closes every fd it started, before it returns (alone in
//! this test binary, since it counts the process's threads and fds).

mod common;
mod ffi_support;

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use mesos_sched::ffi::*;
use prost::Message;

const WAIT: Duration = Duration::from_secs(10);

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// One round: a local driver registers, gets offers, makes a call, then goes.
fn local_round(round: usize) {
    let (recorder, log) = Recorder::new();
    let driver = fast_driver("local", recorder, &framework_info("local"), None, true);
    driver.start();
    assert!(log.wait_for(WAIT, is_registered), "round {round}");
    assert!(
        log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Offers(_)))),
        "round {round}: offers"
    );
    driver.revive_offers(None).unwrap();
    match round % 3 {
        0 => {
            driver.stop(false);
        }
        1 => {
            driver.abort();
        }
        _ => {}
    }
    drop(driver);
}

unsafe extern "C" fn count_registered(
    user_data: *mut c_void,
    _driver: *mut mesos_sched_driver,
    _framework_id: *const u8,
    _framework_id_len: usize,
    _master_info: *const u8,
    _master_info_len: usize,
) {
    (*(user_data as *const AtomicUsize)).fetch_add(1, Ordering::SeqCst);
}

/// The same through the C ABI: new, start, registered, stop, free.
fn c_abi_round(round: usize) {
    let registered = AtomicUsize::new(0);
    let scheduler = mesos_sched_scheduler {
        registered: Some(count_registered),
        ..ffi_support::empty_scheduler()
    };
    let info = framework_info("local-c").encode_to_vec();
    let driver = ffi_support::new_driver(
        &scheduler,
        &registered as *const AtomicUsize as *mut c_void,
        &info,
        c"local",
    );
    unsafe {
        mesos_sched_driver_start(driver);
        assert!(
            eventually(WAIT, || registered.load(Ordering::SeqCst) == 1),
            "round {round}: registered"
        );
        if round % 2 == 0 {
            mesos_sched_driver_stop(driver, false);
        }
        mesos_sched_driver_free(driver);
    }
}

#[test]
fn dropped_local_drivers_leave_no_threads_or_fds_behind() {
    // Warm up: process-wide lazies (logging, the thread-local RNG) start once.
    local_round(0);
    c_abi_round(0);
    let threads = thread_count();
    let fds = fd_count();
    eprintln!("baseline: {threads} threads, {fds} fds");
    for round in 1..=6 {
        c_abi_round(round);
        // Right after free returned, without waiting: nothing the driver started is left.
        assert_eq!(thread_count(), threads, "threads after C round {round}");
        assert_eq!(fd_count(), fds, "fds after C round {round}");
        local_round(round);
        // Right after the drop, without waiting: nothing the driver started is left.
        assert_eq!(thread_count(), threads, "threads after round {round}");
        assert_eq!(fd_count(), fds, "fds after round {round}");
    }
}
