//! ZooKeeper leaves nothing behind (issue 17): right after a `zk://` driver is freed
//! (Rust API and C ABI), and right after an in-process cluster registered in ZooKeeper
//! (mesos-local --zk) shuts down, the process has exactly the threads and fds it had
//! before. Against the real ZooKeeper of MESOS_SCHED_TEST_ZK; alone in this test binary,
//! since it counts the process's threads and fds. The drivers' masters run in a
//! `mesos-local --zk` child process, so that its connection threads are not counted.
#![cfg(feature = "zookeeper")]

mod common;
mod ffi_support;
mod zk_common;

use std::ffi::{c_void, CString};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use mesos_sched::ffi::*;
use mesos_sched::local::zk::ZkLocalCluster;
use mesos_sched::local::LocalConfig;
use prost::Message;
use zk_common::*;

const WAIT: Duration = Duration::from_secs(20);

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn zk_cluster(url: &str, masters: usize) -> ZkLocalCluster {
    ZkLocalCluster::start(LocalConfig {
        zk: Some(url.to_string()),
        masters,
        ..LocalConfig::default()
    })
    .expect("cluster registered in ZooKeeper")
}

/// A `mesos-local --zk URL` child process, ended (SIGTERM) when dropped.
struct ChildCluster(Child);

impl ChildCluster {
    fn start(url: &str) -> ChildCluster {
        let output =
            std::env::temp_dir().join(format!("mesos-sched-zk-threads-{}.out", std::process::id()));
        // stdout to a file: no pipe (nor a reader thread) in this process.
        let stdout = std::fs::File::create(&output).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_mesos-local"))
            .args(["--port", "0", "--agents", "1", "--zk", url])
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start mesos-local");
        let child = ChildCluster(child);
        assert!(
            eventually(WAIT, || std::fs::read_to_string(&output)
                .is_ok_and(|out| out.contains("listening on"))),
            "mesos-local did not start"
        );
        let _ = std::fs::remove_file(&output);
        child
    }
}

impl Drop for ChildCluster {
    fn drop(&mut self) {
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.0.wait();
    }
}

/// One mesos-local --zk cluster: registers, hands leadership over, shuts down.
fn cluster_round(round: usize) {
    let url = format!("zk://{}{}", zk_server(), unique_path("threads-cluster"));
    let cluster = zk_cluster(&url, 2);
    assert_eq!(
        cluster.zookeeper().unwrap().leader(),
        Some(0),
        "round {round}"
    );
    cluster.stop_master(0);
    assert_eq!(
        cluster.zookeeper().unwrap().leader(),
        Some(1),
        "round {round}"
    );
    if round % 2 == 0 {
        cluster.shutdown();
    } else {
        drop(cluster);
    }
}

/// One zk:// driver through the Rust API: finds the leader, registers, goes.
fn rust_round(url: &str, round: usize) {
    let (recorder, log) = Recorder::new();
    let driver = fast_driver(url, recorder, &framework_info("zk-threads"), None, true);
    driver.start();
    assert!(log.wait_for(WAIT, is_registered), "round {round}");
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
fn c_abi_round(url: &str, round: usize) {
    let registered = AtomicUsize::new(0);
    let scheduler = mesos_sched_scheduler {
        registered: Some(count_registered),
        ..ffi_support::empty_scheduler()
    };
    let info = framework_info("zk-threads-c").encode_to_vec();
    let master = CString::new(url).unwrap();
    let driver = ffi_support::new_driver(
        &scheduler,
        &registered as *const AtomicUsize as *mut c_void,
        &info,
        &master,
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
fn zookeeper_users_leave_no_threads_or_fds_behind() {
    // In-process clusters registered in ZooKeeper. Warm up first: process-wide lazies
    // (logging, the thread-local RNG) start once.
    cluster_round(0);
    let threads = thread_count();
    let fds = fd_count();
    eprintln!("cluster baseline: {threads} threads, {fds} fds");
    for round in 1..=3 {
        cluster_round(round);
        // Right after shutdown returned, without waiting.
        assert_eq!(
            thread_count(),
            threads,
            "threads after cluster round {round}"
        );
        assert_eq!(fd_count(), fds, "fds after cluster round {round}");
    }

    // zk:// drivers against a cluster in a child process.
    let url = format!("zk://{}{}", zk_server(), unique_path("threads-driver"));
    let cluster = ChildCluster::start(&url);
    rust_round(&url, 0);
    c_abi_round(&url, 0);
    let threads = thread_count();
    let fds = fd_count();
    eprintln!("driver baseline: {threads} threads, {fds} fds");
    for round in 1..=4 {
        c_abi_round(&url, round);
        // Right after free returned, without waiting: nothing the driver started is left.
        assert_eq!(thread_count(), threads, "threads after C round {round}");
        assert_eq!(fd_count(), fds, "fds after C round {round}");
        rust_round(&url, round);
        assert_eq!(thread_count(), threads, "threads after round {round}");
        assert_eq!(fd_count(), fds, "fds after round {round}");
    }
    drop(cluster);
}
