//! Tasks start with a clean signal state whatever the thread that started the cluster
//! blocks or the process ignores (a driver's threads block signals; hosts ignore some).
//! Its own test binary: it changes process-wide signal dispositions.

mod local_common;
use local_common::*;
use mesos_sched::proto::scheduler::call;
use mesos_sched::proto::v1::{self, TaskState};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|n| n == name) {
            return Some(path);
        }
    }
    None
}

#[test]
fn tasks_start_with_no_blocked_or_ignored_signals_and_die_on_sigterm() {
    // SAFETY: plain signal calls; nobody sends this test process SIGTERM/SIGHUP.
    unsafe {
        libc::signal(libc::SIGTERM, libc::SIG_IGN);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
    // The cluster (and so every thread it starts) begins on a thread blocking everything.
    let cluster = std::thread::spawn(|| {
        // SAFETY: blocks signals on this thread only.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            assert_eq!(
                libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut()),
                0
            );
        }
        start(config())
    })
    .join()
    .unwrap();
    let mut s = Stream::subscribe(&cluster.leader_url(), framework_info("signals"));
    let offers = s.offers(SECS5);
    let offer = &offers[0];
    let mut task = command_task(
        "sigtask",
        offer,
        // Read by the shell itself (a builtin loop, no fork): a shell that is forking
        // briefly blocks everything, so another process reading its status could see that.
        "while read -r line; do case $line in SigBlk*|SigIgn*) echo \"$line\";; esac; done < /proc/self/status > signals.txt; exec sleep 30",
        0.5,
    );
    // Escalation to SIGKILL would come only after 20 s: a prompt TASK_KILLED means
    // SIGTERM itself ended the task.
    task.kill_policy = Some(v1::KillPolicy {
        grace_period: Some(v1::DurationInfo {
            nanoseconds: 20_000_000_000,
        }),
    });
    assert_eq!(launch(&s, &[offer], vec![task]).status, 202);
    assert_eq!(
        state_of(&s.update_acked("sigtask", SECS5)),
        TaskState::TaskStarting
    );
    assert_eq!(
        state_of(&s.update_acked("sigtask", SECS5)),
        TaskState::TaskRunning
    );
    let deadline = Instant::now() + SECS5;
    let signals = loop {
        let text = find_file(cluster.work_dir(), "signals.txt")
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        if text.lines().count() == 2 || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mask = |name: &str| {
        let line = signals
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {signals:?}"));
        u64::from_str_radix(line.trim(), 16).unwrap()
    };
    assert_eq!(mask("SigBlk:"), 0, "{signals}");
    // Signals 32 and 33 belong to the C library (it refuses to change them, and this
    // environment may start the test with them ignored); every other one is default.
    let reserved = (1u64 << 31) | (1u64 << 32);
    assert_eq!(mask("SigIgn:") & !reserved, 0, "{signals}");
    let killed = Instant::now();
    let reply = s.send(call::Type::Kill, |c| {
        c.kill = Some(call::Kill {
            task_id: v1::TaskId {
                value: "sigtask".into(),
            },
            agent_id: Some(offer.agent_id.clone()),
            kill_policy: None,
        })
    });
    assert_eq!(reply.status, 202);
    let update = s.update_acked("sigtask", Duration::from_secs(10));
    assert_eq!(state_of(&update), TaskState::TaskKilled);
    assert_eq!(
        update.message.as_deref(),
        Some("Command terminated with signal Terminated")
    );
    assert!(
        killed.elapsed() < Duration::from_secs(3),
        "{:?}",
        killed.elapsed()
    );
}
