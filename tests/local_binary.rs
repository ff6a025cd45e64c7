//! The `mesos-local` binary: --help, the ready line, the admin endpoint, clean shutdown.

mod local_common;
use local_common::*;
use mesos_sched::proto::scheduler::event;
use mesos_sched::proto::v1;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mesos-local");

struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("mesos-local: listening on ")
        .unwrap_or_else(|| panic!("ready line, got {line:?}"))
        .to_string();
    Running { child, url }
}

#[test]
fn help_documents_every_flag() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--ip",
        "--port",
        "--masters",
        "--agents",
        "--resources",
        "--heartbeat-interval",
        "--authenticate",
        "--simulate",
        "--work-dir",
        "--keep-work-dir",
        "--tls-cert",
        "--tls-key",
        "--zk",
        "--log-level",
        "--admin",
        "--status-update-retry",
        "--framing",
    ] {
        assert!(help.contains(flag), "{flag} documented");
    }
    let bad = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown flag"));
    let bad = Command::new(BIN)
        .args(["--framing", "chunky", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'batched' or 'per-event'"));
    let bad = Command::new(BIN)
        .args(["--resources", "cpus:x", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let zk = Command::new(BIN)
        .args(["--zk", "zk://127.0.0.1:2181/mesos", "--port", "0"])
        .output()
        .unwrap();
    assert!(!zk.status.success());
    assert!(String::from_utf8_lossy(&zk.stderr).contains("ZooKeeper"));
}

#[test]
fn serves_admin_faults_and_shuts_down_cleanly() {
    let work = std::env::temp_dir().join(format!("mesos-local-bin-test-{}", std::process::id()));
    let work_str = work.to_str().unwrap().to_string();
    let mut running = run(&[
        "--port",
        "0",
        "--admin",
        "--heartbeat-interval",
        "0.5",
        "--agents",
        "1",
        "--work-dir",
        &work_str,
        "--log-level",
        "off",
        "--masters",
        "2",
    ]);
    let base = running.url.clone();
    assert_eq!(get(&format!("{base}/health")).status, 200);
    let mut info = framework_info("bin");
    info.failover_timeout = Some(3600.0);
    let mut s = Stream::subscribe(&base, info.clone());
    let offers = s.offers(SECS5);
    launch(
        &s,
        &[&offers[0]],
        vec![command_task("sleeper", &offers[0], "sleep 60", 0.5)],
    );
    s.update_acked("sleeper", SECS5);
    s.update_acked("sleeper", SECS5);
    let state: serde_json::Value =
        serde_json::from_slice(&get(&format!("{base}/state")).body).unwrap();
    let pid = state["frameworks"][0]["tasks"][0]["pid"].as_u64().unwrap();
    // Admin: close the streams; the client sees EOF.
    let admin = |path: &str| post(&format!("{base}/admin/faults/{path}"), None, &[], b"");
    assert_eq!(admin("close_streams").status, 200);
    s.drain_to_end(SECS5);
    assert!(s.ended);
    // Resubscribe, then an injected ERROR.
    info.id = s.fid();
    let mut s = Stream::subscribe(&base, info.clone());
    assert_eq!(admin("error?message=bad%20things").status, 200);
    let events = s.drain_to_end(SECS5);
    assert_eq!(
        events.last().unwrap().error.as_ref().unwrap().message,
        "bad things"
    );
    // Call failures and leader change.
    assert_eq!(admin("fail_calls?status=503&ms=300").status, 200);
    let reply = post(
        &scheduler_url(&base),
        Some(PROTOBUF),
        &[],
        &encode_call(&subscribe_call(info.clone()), PROTOBUF),
    );
    assert_eq!(reply.status, 503);
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(admin("change_leader?to=1").status, 200);
    assert_eq!(admin("change_leader?to=9").status, 400);
    let reply = post(
        &scheduler_url(&base),
        Some(PROTOBUF),
        &[],
        &encode_call(&subscribe_call(info.clone()), PROTOBUF),
    );
    assert_eq!(reply.status, 307);
    assert_eq!(admin("nope").status, 404);
    assert_eq!(
        get(&format!("{base}/admin/faults/close_streams")).status,
        405
    );
    let agent_id = offers[0].agent_id.value.clone();
    assert_eq!(admin("lose_agent?id=unknown").status, 400);
    // SIGTERM: tasks killed, work dir removed, exit 0.
    assert!(work.join("frameworks").exists());
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(running.child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = running.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "exits on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    assert!(!work.exists(), "work dir removed");
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "task killed"
    );
    let _ = (agent_id, event::Type::Heartbeat, v1::TaskState::TaskRunning);
}

#[test]
fn simulate_flag_and_keep_work_dir() {
    let work = std::env::temp_dir().join(format!("mesos-local-bin-keep-{}", std::process::id()));
    let work_str = work.to_str().unwrap().to_string();
    let mut running = run(&[
        "--port",
        "0",
        "--simulate=50",
        "--work-dir",
        &work_str,
        "--keep-work-dir",
    ]);
    let mut s = Stream::subscribe(&running.url, framework_info("sim"));
    let offers = s.offers(SECS5);
    launch(
        &s,
        &[&offers[0]],
        vec![command_task("quick", &offers[0], "exit 1", 0.5)],
    );
    let mut last = s.update_acked("quick", SECS5);
    while !matches!(
        state_of(&last),
        v1::TaskState::TaskFinished | v1::TaskState::TaskFailed
    ) {
        last = s.update_acked("quick", SECS5);
    }
    assert_eq!(
        state_of(&last),
        v1::TaskState::TaskFinished,
        "simulated: the command is not run"
    );
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(running.child.id() as i32, libc::SIGINT);
    }
    assert_eq!(running.child.wait().unwrap().code(), Some(0));
    assert!(work.exists(), "kept");
    std::fs::remove_dir_all(&work).unwrap();
}
