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

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tokio::sync::{oneshot, watch, Notify};
use zookeeper_client as zk;

use crate::detector::zk::{
    classify, close_session, connect, select_leader, sleep_unless_stopped, spawn_zk_thread,
    stopped, Backoff, Failure, ZkUrl,
};

/// How long `start` waits for every master to be registered and a leader to be known.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long withdrawing a master waits for ZooKeeper to confirm closing its session
/// (after that its member is gone).
const MASTER_CLOSE_BOUND: Duration = Duration::from_secs(3);

/// Called with the leading master's index whenever it changes (never with a lock held).
pub type LeaderCallback = Box<dyn Fn(Option<usize>) + Send + Sync + 'static>;

static EVERYONE_READ_CREATOR_ALL: [zk::Acl; 2] = [
    zk::Acl::new_const(zk::Permission::READ, "world", "anyone"),
    zk::Acl::new_const(zk::Permission::ALL, "auth", ""),
];

fn acls(url: &ZkUrl) -> zk::Acls<'static> {
    if url.credentials.is_some() {
        zk::Acls::new(&EVERYONE_READ_CREATOR_ALL)
    } else {
        zk::Acls::anyone_all()
    }
}

#[derive(Default)]
struct State {
    /// The member name ("json.info_0000000003") each master registered, while it is.
    names: Vec<Option<String>>,
    /// Master withdrawn for good (its session closed).
    withdrawn: Vec<bool>,
    /// Each master's current session (tests expire them on purpose).
    sessions: Vec<Option<zk::SessionInfo>>,
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
    members_changed: Notify,
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
            state.names[index] = name;
            state.members_version += 1;
        });
        self.members_changed.notify_one();
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state.lock());
        self.changed.notify_all();
    }
}

/// The ZooKeeper side of a local cluster's masters. Dropping it closes every session.
pub struct ZkMasters {
    url: ZkUrl,
    shared: Arc<Shared>,
    stop_all: watch::Sender<bool>,
    stop_master: Vec<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
    /// The process that started the thread (a fork()ed child has no such thread).
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
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                names: vec![None; count],
                withdrawn: vec![false; count],
                sessions: vec![None; count],
                ..State::default()
            }),
            changed: Condvar::new(),
            members_changed: Notify::new(),
        });
        let (stop_all, stop_all_rx) = watch::channel(false);
        let mut stop_master = Vec::new();
        let mut stop_master_rx = Vec::new();
        for _ in 0..count {
            let (tx, rx) = watch::channel(false);
            stop_master.push(tx);
            stop_master_rx.push(rx);
        }
        let thread = {
            let url = url.clone();
            let shared = shared.clone();
            spawn_zk_thread("mesos-local-zk", move || {
                run(
                    url,
                    master_infos,
                    on_leader,
                    shared,
                    stop_all_rx,
                    stop_master_rx,
                )
            })
            .map_err(|e| format!("cannot start the ZooKeeper thread: {e}"))?
        };
        let masters = ZkMasters {
            url,
            shared,
            stop_all,
            stop_master,
            thread: Some(thread),
            creation_pid: std::process::id(),
        };

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
    pub fn session_info(&self, index: usize) -> Option<zk::SessionInfo> {
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
        let _ = stop.send(true);
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
        let _ = self.stop_all.send(true);
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() != std::thread::current().id()
                && self.creation_pid == std::process::id()
            {
                let _ = thread.join();
            }
        }
    }
}

async fn run(
    url: ZkUrl,
    master_infos: Vec<serde_json::Value>,
    on_leader: LeaderCallback,
    shared: Arc<Shared>,
    stop_all: watch::Receiver<bool>,
    stop_master: Vec<watch::Receiver<bool>>,
) {
    let mut members = Vec::new();
    // Masters first register in index order, so master 0 leads at start.
    let mut previous_registered: Option<oneshot::Receiver<()>> = None;
    for (index, (info, stop_one)) in master_infos.into_iter().zip(stop_master).enumerate() {
        let (registered, next) = oneshot::channel();
        members.push(tokio::spawn(register(
            Member {
                url: url.clone(),
                index,
                data: info.to_string().into_bytes(),
                after: previous_registered.replace(next),
                registered: Some(registered),
            },
            shared.clone(),
            stop_all.clone(),
            stop_one,
        )));
    }
    observe(&url, &on_leader, &shared, stop_all).await;
    for member in members {
        let _ = member.await;
    }
}

struct Member {
    url: ZkUrl,
    index: usize,
    data: Vec<u8>,
    /// Resolves when the previous master first registered (or gave up).
    after: Option<oneshot::Receiver<()>>,
    /// Sent once this master first registered.
    registered: Option<oneshot::Sender<()>>,
}

/// One master's membership, for as long as it is not withdrawn.
async fn register(
    mut member: Member,
    shared: Arc<Shared>,
    mut stop_all: watch::Receiver<bool>,
    mut stop_one: watch::Receiver<bool>,
) {
    let (url, index, data) = (member.url.clone(), member.index, member.data.clone());
    let mut backoff = Backoff::new();
    let prefix = format!("{}/json.info_", url.path);
    if let Some(after) = member.after.take() {
        tokio::select! {
            _ = after => {}
            _ = stopped(&mut stop_all) => return,
            _ = stopped(&mut stop_one) => {}
        }
    }
    loop {
        let connected = tokio::select! {
            connected = connect(&url) => connected,
            _ = stopped(&mut stop_all) => return,
            _ = stopped(&mut stop_one) => break,
        };
        let client = match connected {
            Ok(client) => client,
            Err(_) => {
                tokio::select! {
                    go_on = sleep_unless_stopped(backoff.next_delay(), &mut stop_all) => {
                        if !go_on { return; }
                    }
                    _ = stopped(&mut stop_one) => break,
                }
                continue;
            }
        };
        let mut state = client.state_watcher();
        let session = client.session().clone();
        shared.update(|state| state.sessions[index] = Some(session));
        let created = async {
            let directory = zk::CreateMode::Persistent.with_acls(acls(&url));
            client.mkdir(&url.path, &directory).await?;
            let member = zk::CreateMode::EphemeralSequential.with_acls(acls(&url));
            let (_, sequence) = client.create(&prefix, &data, &member).await?;
            Ok::<String, zk::Error>(format!("json.info_{sequence}"))
        };
        let created = tokio::select! {
            created = created => created,
            _ = stopped(&mut stop_all) => { close_session(client, MASTER_CLOSE_BOUND).await; return; }
            _ = stopped(&mut stop_one) => { close_session(client, MASTER_CLOSE_BOUND).await; break; }
        };
        match created {
            Ok(name) => {
                backoff.reset();
                shared.set_name(index, Some(name));
                if let Some(registered) = member.registered.take() {
                    let _ = registered.send(());
                }
            }
            Err(error) => {
                if let Failure::Fatal(message) = classify(&error, &url.path) {
                    shared.update(|state| {
                        state.error = Some(format!("master {index}: {message}"));
                    });
                    shared.members_changed.notify_one();
                    close_session(client, MASTER_CLOSE_BOUND).await;
                    return;
                }
                drop(client);
                if !sleep_unless_stopped(backoff.next_delay(), &mut stop_all).await {
                    return;
                }
                continue;
            }
        }
        // Registered: hold the session until withdrawn, shut down, or expired.
        let session_ended = async {
            loop {
                if state.changed().await.is_terminated() {
                    break;
                }
            }
        };
        tokio::select! {
            _ = session_ended => {
                // Expired: register again with a new session.
                shared.set_name(index, None);
                drop(client);
            }
            _ = stopped(&mut stop_all) => { close_session(client, MASTER_CLOSE_BOUND).await; return; }
            _ = stopped(&mut stop_one) => { close_session(client, MASTER_CLOSE_BOUND).await; break; }
        }
    }
    shared.update(|state| {
        state.names[index] = None;
        state.withdrawn[index] = true;
        state.members_version += 1;
    });
    shared.members_changed.notify_one();
}

/// Follows the group with its own session and reports the leading master's index.
async fn observe(
    url: &ZkUrl,
    on_leader: &LeaderCallback,
    shared: &Shared,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new();
    let mut reported: Option<Option<usize>> = None;
    'session: loop {
        let connected = tokio::select! {
            connected = connect(url) => connected,
            _ = stopped(&mut stop) => return,
        };
        let client = match connected {
            Ok(client) => client,
            Err(_) => {
                if !sleep_unless_stopped(backoff.next_delay(), &mut stop).await {
                    return;
                }
                continue;
            }
        };
        loop {
            // Taken before listing: a member change after it makes this report stale, and
            // its notification makes us list again.
            let version = shared.state.lock().members_version;
            let listed = tokio::select! {
                listed = client.get_and_watch_children(&url.path) => listed,
                _ = stopped(&mut stop) => break 'session,
            };
            let (leader, watcher) = match listed {
                Ok((children, _, watcher)) => {
                    let lowest = select_leader(&children).map(|member| member.name);
                    let state = shared.state.lock();
                    let leader = lowest.and_then(|lowest| {
                        state
                            .names
                            .iter()
                            .position(|name| name.as_deref() == Some(lowest.as_str()))
                    });
                    (leader, Some(watcher))
                }
                // Not created yet (a master is about to): look again when told.
                Err(zk::Error::NoNode) => (None, None),
                Err(error) => match classify(&error, &url.path) {
                    Failure::Retry => {
                        if !sleep_unless_stopped(backoff.next_delay(), &mut stop).await {
                            break 'session;
                        }
                        continue;
                    }
                    Failure::SessionLost => continue 'session,
                    Failure::Fatal(message) => {
                        shared.update(|state| state.error = Some(message));
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
            let children_changed = async {
                match watcher {
                    Some(watcher) => {
                        watcher.changed().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = children_changed => {}
                _ = shared.members_changed.notified() => {}
                // Safety net while a master is (re)registering.
                _ = tokio::time::sleep(Duration::from_secs(1)), if shared.state.lock().registering() => {}
                _ = stopped(&mut stop) => break 'session,
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
