//! Threads and sockets are released: started, stopped and dropped drivers leave nothing
//! running (alone in this test binary, since it counts the process's threads).

mod common;

use std::time::Duration;

use common::fake_master::FakeMaster;
use common::*;
use mesos_sched::Driver;

const WAIT: Duration = Duration::from_secs(10);

fn driver_for(master: &str) -> (Driver, std::sync::Arc<Log>) {
    let (recorder, log) = Recorder::new();
    (
        fast_driver(master, recorder, &framework_info("t"), None, true),
        log,
    )
}

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn dropped_drivers_leave_no_threads_behind() {
    let master = FakeMaster::start(15.0);
    // Warm up (the fake master's own threads), then measure.
    let (driver, log) = driver_for(&master.master_string());
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    drop(driver);
    std::thread::sleep(Duration::from_millis(200));
    let baseline = thread_count();
    for round in 0..20 {
        let (driver, log) = driver_for(&master.master_string());
        driver.start();
        assert!(log.wait_for(WAIT, is_registered));
        match round % 3 {
            0 => {
                driver.revive_offers(None).unwrap();
                driver.stop(false);
            }
            1 => {
                driver.abort();
            }
            _ => {}
        }
        drop(driver);
    }
    // The fake master's per-connection threads end when the driver's sockets close.
    assert!(
        eventually(WAIT, || thread_count() <= baseline + 2),
        "{} threads, baseline {baseline}",
        thread_count()
    );
}
