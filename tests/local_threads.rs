//! A driver with master `local` starts an in-process cluster; dropping (freeing) the
//! driver ends every thread and closes every fd it started, before it returns (alone in
//! this test binary, since it counts the process's threads and fds).

mod common;

use std::time::Duration;

use common::*;

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

#[test]
fn dropped_local_drivers_leave_no_threads_or_fds_behind() {
    // Warm up: process-wide lazies (logging, the thread-local RNG) start once.
    local_round(0);
    let threads = thread_count();
    let fds = fd_count();
    for round in 1..=6 {
        local_round(round);
        // Right after the drop, without waiting: nothing the driver started is left.
        assert_eq!(thread_count(), threads, "threads after round {round}");
        assert_eq!(fd_count(), fds, "fds after round {round}");
    }
}
