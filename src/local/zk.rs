//! ZooKeeper registration of the local cluster's masters (`mesos-local --zk URL`,
//! `LocalConfig::zk`), as real Mesos masters do it (PROTOCOL.md section 7):
//!
//! - each master has its own ZooKeeper session and registers an EPHEMERAL_SEQUENTIAL
//!   child `json.info_<seq>` of the URL's path holding its MasterInfo JSON (the path is
//!   created when missing; with credentials, nodes get upstream's
//!   EVERYONE_READ_CREATOR_ALL ACL, else an open ACL);
//! - the leader is the member with the lowest sequence: a watch on the children follows
//!   it and reports the leading master's index (None when the lowest member is not one
//!   of ours, or there is none) through a callback (the cluster's `set_leader`);
//! - [`ZkMasters::withdraw`] closes one master's session, so its node disappears and
//!   leadership passes on at once (stopping the leader);
//! - a master whose session expired registers again (a new, higher sequence).
//!
//! Each session is driven by its own thread (one per master, one observer); dropping
//! [`ZkMasters`] interrupts and joins them all.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::detector::zk::{
    classify, connect, select_leader, spawn_zk_thread, Backoff, Failure, ZkUrl,
};
use crate::zk::{Acl, CreateMode, Interrupt, SessionInfo, ZkError};

/// How long `start` waits for every master to be registered and a leader to be known.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long withdrawing a master waits for ZooKeeper to confirm closing its session
/// (after that its member is gone).
const MASTER_CLOSE_BOUND: Duration = Duration::from_secs(3);

/// How often the observer lists again while a master is (re)registering (a safety net
/// besides the watch and the members' own notifications).
const REGISTERING_RECHECK: Duration = Duration::from_secs(1);

/// Called with the leading master's index whenever it changes (never with a lock held).
pub type LeaderCallback = Box<dyn Fn(Option<usize>) + Send + Sync + 'static>;

fn acls(url: &ZkUrl) -> Vec<Acl> {
    if url.credentials.is_some() {
        Acl::everyone_read_creator_all()
    } else {
        Acl::open()
    }
}

#[derive(Default)]
struct State {
    /// The member name ("json.info_0000000003") each master registered, while it is.
    names: Vec<Option<String>>,
    /// Master withdrawn for good (its session closed).
    withdrawn: Vec<bool>,
    /// Master registered once, or gave up: the next one may register.
    first_done: Vec<bool>,
    /// Each master's current session (tests expire them on purpose).
    sessions: Vec<Option<SessionInfo>>,
    /// Bumped on every change of `names`.
    members_version: u64,
    /// The leader as last reported, and the `members_version` it was computed from.
    leader: Option<usize>,
    observed_version: Option<u64>,
    error: Option<String>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Wakes the observer when a master (re)registered or withdrew.
    members_changed: Interrupt,
}

impl State {
    /// Some master is between sessions (not registered, not withdrawn).
    fn registering(&self) -> bool {
        self.names
            .iter()
            .zip(&self.withdrawn)
            .any(|(name, withdrawn)| name.is_none() && !withdrawn)
    }

    /// The observer's report reflects the current members.
    fn settled(&self) -> bool {
        self.observed_version == Some(self.members_version)
    }
}

impl Shared {
    fn set_name(&self, index: usize, name: Option<String>) {
        self.update(|state| {
            if name.is_some() {
                state.first_done[index] = true;
            }
            state.names[index] = name;
            state.members_version += 1;
        });
        self.members_changed.raise();
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state.lock());
        self.changed.notify_all();
    }

    /// Raises `interrupt` and wakes the threads waiting on `changed` to see it.
    fn interrupt(&self, interrupt: &Interrupt) {
        interrupt.raise();
        let _state = self.state.lock();
        self.changed.notify_all();
    }
}

/// The ZooKeeper side of a local cluster's masters. Dropping it closes every session.
pub struct ZkMasters {
    url: ZkUrl,
    shared: Arc<Shared>,
    stop_all: Arc<Interrupt>,
    stop_master: Vec<Arc<Interrupt>>,
    threads: Vec<JoinHandle<()>>,
    /// The process that started the threads (a fork()ed child has no such threads).
    creation_pid: u32,
}

impl ZkMasters {
    /// Registers one member per entry of `master_infos` (each master's MasterInfo JSON,
    /// index = master index), each in its own session, and follows the leader, calling
    /// `on_leader` on every change. Returns once all are registered and the first leader
    /// was reported; a clear error if ZooKeeper cannot be reached within 30 s or refuses
    /// (credentials, ACLs).
    pub fn start(
        url: &str,
        master_infos: Vec<serde_json::Value>,
        on_leader: LeaderCallback,
    ) -> Result<ZkMasters, String> {
        let url = ZkUrl::parse(url)?;
        let count = master_infos.len();
        let wake_up = |e: std::io::Error| format!("cannot create a ZooKeeper wake-up: {e}");
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                names: vec![None; count],
                withdrawn: vec![false; count],
                first_done: vec![false; count],
                sessions: vec![None; count],
                ..State::default()
            }),
            changed: Condvar::new(),
            members_changed: Interrupt::new().map_err(wake_up)?,
        });
        let mut masters = ZkMasters {
            url: url.clone(),
            shared: shared.clone(),
            stop_all: Arc::new(Interrupt::new().map_err(wake_up)?),
            stop_master: Vec::new(),
            threads: Vec::new(),
            creation_pid: std::process::id(),
        };
        let thread_error = |e: std::io::Error| format!("cannot start a ZooKeeper thread: {e}");
        {
            let (url, shared, stop) = (url.clone(), shared.clone(), masters.stop_all.clone());
            masters.threads.push(
                spawn_zk_thread("mesos-local-zk", move || {
                    observe(&url, &on_leader, &shared, &stop)
                })
                .map_err(thread_error)?,
            );
        }
        for (index, info) in master_infos.into_iter().enumerate() {
            let stop_one = Arc::new(Interrupt::new().map_err(wake_up)?);
            masters.stop_master.push(stop_one.clone());
            let member = Member {
                url: url.clone(),
                index,
                data: info.to_string().into_bytes(),
                shared: shared.clone(),
                stop_all: masters.stop_all.clone(),
                stop_one,
            };
            masters.threads.push(
                spawn_zk_thread(&format!("mesos-local-zk{index}"), move || register(member))
                    .map_err(thread_error)?,
            );
        }

        let deadline = Instant::now() + START_TIMEOUT;
        let mut state = masters.shared.state.lock();
        loop {
            if let Some(error) = &state.error {
                return Err(error.clone());
            }
            if state.settled() && state.names.iter().all(Option::is_some) {
                break;
            }
            if masters
                .shared
                .changed
                .wait_until(&mut state, deadline)
                .timed_out()
            {
                return Err(format!(
                    "could not register the masters in ZooKeeper at {} within {:?}",
                    masters.url, START_TIMEOUT
                ));
            }
        }
        drop(state);
        Ok(masters)
    }

    /// The leading master's index as last reported (None: none of ours leads).
    pub fn leader(&self) -> Option<usize> {
        self.shared.state.lock().leader
    }

    /// The member name master `index` holds now, e.g. "json.info_0000000003".
    pub fn member_name(&self, index: usize) -> Option<String> {
        self.shared.state.lock().names.get(index).cloned().flatten()
    }

    /// Master `index`'s current ZooKeeper session, for tests that expire it.
    #[doc(hidden)]
    pub fn session_info(&self, index: usize) -> Option<SessionInfo> {
        self.shared
            .state
            .lock()
            .sessions
            .get(index)
            .cloned()
            .flatten()
    }

    /// A permanent ZooKeeper error met after start (e.g. NoAuth), if any.
    pub fn error(&self) -> Option<String> {
        self.shared.state.lock().error.clone()
    }

    /// Closes master `index`'s session so its member disappears, and waits until the
    /// new leader was reported (bounded). Stopping the leader hands leadership over.
    pub fn withdraw(&self, index: usize) {
        let Some(stop) = self.stop_master.get(index) else {
            return;
        };
        self.shared.interrupt(stop);
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut state = self.shared.state.lock();
        while !(state.withdrawn[index] && state.settled()) && state.error.is_none() {
            if self
                .shared
                .changed
                .wait_until(&mut state, deadline)
                .timed_out()
            {
                break;
            }
        }
    }
}

impl Drop for ZkMasters {
    fn drop(&mut self) {
        self.shared.interrupt(&self.stop_all);
        for thread in self.threads.drain(..) {
            if thread.thread().id() != std::thread::current().id()
                && self.creation_pid == std::process::id()
            {
                let _ = thread.join();
            }
        }
    }
}

struct Member {
    url: ZkUrl,
    index: usize,
    data: Vec<u8>,
    shared: Arc<Shared>,
    stop_all: Arc<Interrupt>,
    stop_one: Arc<Interrupt>,
}

/// One master's membership, for as long as it is not withdrawn (its thread's body).
fn register(member: Member) {
    let Member {
        url,
        index,
        data,
        shared,
        stop_all,
        stop_one,
    } = member;
    let stops = [&*stop_all, &*stop_one];
    // Masters first register in index order, so master 0 leads at start.
    if index > 0 {
        let mut state = shared.state.lock();
        while !state.first_done[index - 1] && !stops.iter().any(|s| s.is_raised()) {
            shared.changed.wait(&mut state);
        }
    }
    let acls = acls(&url);
    let prefix = format!("{}/json.info_", url.path);
    let mut backoff = Backoff::new();
    'session: loop {
        if stop_all.is_raised() {
            shared.update(|state| state.first_done[index] = true);
            return;
        }
        if stop_one.is_raised() {
            break;
        }
        let mut client = match connect(&url, &[&stop_all, &stop_one]) {
            Ok(client) => client,
            Err(_) => {
                Interrupt::sleep(&stops, backoff.next_delay());
                continue;
            }
        };
        let session = client.session_info();
        shared.update(|state| state.sessions[index] = Some(session));
        let created = client
            .mkdir(&url.path, &acls)
            .and_then(|()| client.create(&prefix, &data, &acls, CreateMode::EphemeralSequential));
        match created {
            Ok(path) => {
                backoff.reset();
                let name = path.rsplit('/').next().unwrap_or(&path).to_string();
                shared.set_name(index, Some(name));
            }
            Err(error) => match classify(&error, &url.path) {
                Failure::Fatal(message) => {
                    shared.update(|state| {
                        state.error = Some(format!("master {index}: {message}"));
                        state.first_done[index] = true;
                    });
                    shared.members_changed.raise();
                    client.close(MASTER_CLOSE_BOUND);
                    return;
                }
                Failure::Stopped => {
                    client.close(MASTER_CLOSE_BOUND);
                    continue;
                }
                Failure::Retry | Failure::SessionLost => {
                    drop(client);
                    Interrupt::sleep(&stops, backoff.next_delay());
                    continue;
                }
            },
        }
        // Registered: hold the session until withdrawn, shut down, or expired.
        loop {
            match client.wait_event(Duration::from_secs(60)) {
                // No watches here; a reconnection keeps the session and its member.
                Ok(_) => {}
                Err(ZkError::Interrupted) => {
                    client.close(MASTER_CLOSE_BOUND);
                    continue 'session;
                }
                Err(_) => {
                    // Expired: register again with a new session.
                    shared.set_name(index, None);
                    continue 'session;
                }
            }
        }
    }
    shared.update(|state| {
        state.names[index] = None;
        state.withdrawn[index] = true;
        state.first_done[index] = true;
        state.members_version += 1;
    });
    shared.members_changed.raise();
}

/// Follows the group with its own session and reports the leading master's index (the
/// observer thread's body).
fn observe(url: &ZkUrl, on_leader: &LeaderCallback, shared: &Shared, stop: &Arc<Interrupt>) {
    let mut backoff = Backoff::new();
    let mut reported: Option<Option<usize>> = None;
    'session: loop {
        let mut client = match connect(url, &[stop]) {
            Ok(client) => client,
            Err(_) => {
                if !Interrupt::sleep(&[stop], backoff.next_delay()) {
                    return;
                }
                continue;
            }
        };
        loop {
            // Cleared and the version taken before listing: a member change after it
            // makes this report stale, and its notification makes us list again.
            shared.members_changed.clear();
            let version = shared.state.lock().members_version;
            let leader = match client.get_children(&url.path, true) {
                Ok(children) => {
                    let lowest = select_leader(&children).map(|member| member.name);
                    let state = shared.state.lock();
                    lowest.and_then(|lowest| {
                        state
                            .names
                            .iter()
                            .position(|name| name.as_deref() == Some(lowest.as_str()))
                    })
                }
                // Not created yet (a master is about to): look again when told.
                Err(ZkError::NoNode) => None,
                Err(error) => match classify(&error, &url.path) {
                    Failure::Retry => {
                        if !Interrupt::sleep(&[stop], backoff.next_delay()) {
                            break 'session;
                        }
                        continue;
                    }
                    Failure::SessionLost => continue 'session,
                    Failure::Stopped => break 'session,
                    Failure::Fatal(message) => {
                        shared.update(|state| state.error = Some(message));
                        client.close(MASTER_CLOSE_BOUND);
                        break 'session;
                    }
                },
            };
            backoff.reset();
            if reported != Some(leader) {
                reported = Some(leader);
                on_leader(leader);
            }
            shared.update(|state| {
                state.leader = leader;
                state.observed_version = Some(version);
            });
            let wait = if shared.state.lock().registering() {
                REGISTERING_RECHECK
            } else {
                Duration::from_secs(60)
            };
            // A watch event, a member change, the recheck time or stop: list again.
            match client.wait_event_or(wait, &[&shared.members_changed]) {
                Ok(_) => {}
                Err(ZkError::Interrupted) if !stop.is_raised() => {}
                Err(ZkError::Interrupted) => {
                    client.close(MASTER_CLOSE_BOUND);
                    break 'session;
                }
                Err(_) => continue 'session,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// A local cluster registered in ZooKeeper.

fn invalid_input(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

/// A [`LocalCluster`](super::LocalCluster) whose masters are registered in ZooKeeper
/// (`LocalConfig::zk`), ZooKeeper deciding who leads. Derefs to the cluster; stop
/// masters through [`ZkLocalCluster::stop_master`] so ZooKeeper learns of it.
pub struct ZkLocalCluster {
    // Field order matters: the ZooKeeper sessions close before the cluster stops.
    zk: Option<Arc<ZkMasters>>,
    cluster: Arc<super::LocalCluster>,
}

impl ZkLocalCluster {
    /// Starts the cluster and registers every master under `config.zk`; master 0
    /// registers first, so it leads at start. Without `config.zk` this is a plain
    /// cluster (so `mesos-local` can always start through here).
    pub fn start(mut config: super::LocalConfig) -> std::io::Result<ZkLocalCluster> {
        let Some(url) = config.zk.take() else {
            return Ok(ZkLocalCluster {
                zk: None,
                cluster: Arc::new(super::LocalCluster::start(config)?),
            });
        };
        ZkUrl::parse(&url).map_err(invalid_input)?;
        let cluster = Arc::new(super::LocalCluster::start(config)?);
        let infos = (0..cluster.master_count())
            .map(|index| cluster.master_info_json(index))
            .collect();
        let follower = Arc::downgrade(&cluster);
        let zk = ZkMasters::start(
            &url,
            infos,
            Box::new(move |leader| {
                if let Some(cluster) = follower.upgrade() {
                    cluster.set_leader(leader);
                }
            }),
        )
        .map_err(std::io::Error::other)?;
        let zk = Arc::new(zk);
        // The admin endpoint's stop_master; weak so dropping the cluster still stops all.
        let (weak_zk, weak_cluster) = (Arc::downgrade(&zk), Arc::downgrade(&cluster));
        *cluster.cluster.stop_master_hook.lock() = Some(Arc::new(move |index| {
            if let Some(zk) = weak_zk.upgrade() {
                zk.withdraw(index);
            }
            if let Some(cluster) = weak_cluster.upgrade() {
                cluster.stop_master(index);
            }
        }));
        Ok(ZkLocalCluster {
            zk: Some(zk),
            cluster,
        })
    }

    /// Stops master `index` as a crashing master would be seen: its ZooKeeper session
    /// closes (leadership passes to the next lowest member), then its port stops serving.
    pub fn stop_master(&self, index: usize) {
        if let Some(zk) = &self.zk {
            zk.withdraw(index);
        }
        self.cluster.stop_master(index);
    }

    /// The ZooKeeper side (leader index, member names); None without `config.zk`.
    pub fn zookeeper(&self) -> Option<&ZkMasters> {
        self.zk.as_deref()
    }

    pub fn cluster(&self) -> &super::LocalCluster {
        &self.cluster
    }

    pub fn shutdown(mut self) {
        self.zk.take();
    }
}

impl std::ops::Deref for ZkLocalCluster {
    type Target = super::LocalCluster;
    fn deref(&self) -> &super::LocalCluster {
        &self.cluster
    }
}
