//! Shared helpers of the tests/zk_*.rs suites: the ZooKeeper server the test command
//! started (MESOS_SCHED_TEST_ZK), private servers for restart tests, and a small
//! blocking wrapper around the zookeeper-client crate to create members ourselves.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zookeeper_client as zk;

/// `host:port` of the ZooKeeper server that the test command started. Missing -> the
/// test FAILS: these tests are part of the suite, not optional.
pub fn zk_server() -> String {
    match std::env::var("MESOS_SCHED_TEST_ZK") {
        Ok(server) if !server.trim().is_empty() => server.trim().to_string(),
        _ => panic!(
            "MESOS_SCHED_TEST_ZK is not set: start a real ZooKeeper first, e.g.\n  \
             export MESOS_SCHED_TEST_ZK=$(scripts/zookeeper.sh start)\n\
             (the project's test command does this)"
        ),
    }
}

/// A group path no other test (or earlier run) uses.
pub fn unique_path(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "/mesos-sched-test/{name}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// MasterInfo JSON as a 1.12 master writes it, for 127.0.0.1:port.
pub fn master_info_json(port: u16) -> Vec<u8> {
    serde_json::json!({
        "address": {"hostname": "127.0.0.1", "ip": "127.0.0.1", "port": port},
        "capabilities": [{"type": "AGENT_UPDATE"}],
        "hostname": "127.0.0.1",
        "id": format!("master-{port}"),
        "ip": 16777343u32,
        "pid": format!("master@127.0.0.1:{port}"),
        "port": port,
        "version": "1.12.0"
    })
    .to_string()
    .into_bytes()
}

/// Runs futures on a background current-thread runtime that is also the ZooKeeper
/// client's spawner (its sessions keep pinging between our calls).
pub struct Runtime {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Spawner(tokio::runtime::Handle);

impl asyncs::task::Spawn for Spawner {
    fn spawn(&self, task: asyncs::task::Task) {
        drop(self.0.spawn(Box::into_pin(task.future)));
    }
}

impl Runtime {
    pub fn new() -> Runtime {
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            handle_tx.send(runtime.handle().clone()).unwrap();
            let spawner = Spawner(runtime.handle().clone());
            let _scope = asyncs::task::enter(&spawner);
            runtime.block_on(async {
                let _ = stop_rx.await;
            });
        });
        Runtime {
            handle: handle_rx.recv().unwrap(),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::channel();
        self.handle.spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv_timeout(Duration::from_secs(60))
            .expect("ZooKeeper operation did not finish within 60 s")
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One ZooKeeper session of the test (its ephemeral nodes live as long as it).
pub struct Session {
    pub runtime: Runtime,
    pub client: Option<zk::Client>,
}

impl Session {
    pub fn connect(servers: &str, digest: Option<&str>) -> Session {
        let runtime = Runtime::new();
        let servers = servers.to_string();
        let digest = digest.map(|d| d.as_bytes().to_vec());
        let client = runtime
            .run(async move {
                let mut connector = zk::Client::connector()
                    .with_session_timeout(Duration::from_secs(10))
                    .with_fail_eagerly();
                if let Some(digest) = digest {
                    connector = connector.with_auth("digest", &digest);
                }
                connector.connect(&servers).await
            })
            .expect("cannot connect to ZooKeeper");
        Session {
            runtime,
            client: Some(client),
        }
    }

    pub fn client(&self) -> zk::Client {
        self.client.clone().expect("session closed")
    }

    /// Creates `path` and its parents (persistent, open ACL) if missing.
    pub fn mkdir(&self, path: &str) {
        self.mkdir_with(path, zk::Acls::anyone_all());
    }

    pub fn mkdir_with(&self, path: &str, acls: zk::Acls<'static>) {
        let client = self.client();
        let path = path.to_string();
        self.runtime
            .run(async move {
                let options = zk::CreateMode::Persistent.with_acls(acls);
                match client.mkdir(&path, &options).await {
                    Ok(()) | Err(zk::Error::NodeExists) => Ok(()),
                    Err(e) => Err(e),
                }
            })
            .expect("mkdir");
    }

    /// Creates an ephemeral sequential member `path/prefix<seq>`; returns its name.
    pub fn join(&self, path: &str, prefix: &str, data: &[u8]) -> String {
        self.join_with(path, prefix, data, zk::Acls::anyone_all())
            .expect("create member")
    }

    pub fn join_with(
        &self,
        path: &str,
        prefix: &str,
        data: &[u8],
        acls: zk::Acls<'static>,
    ) -> Result<String, zk::Error> {
        let client = self.client();
        let node = format!("{path}/{prefix}");
        let data = data.to_vec();
        self.runtime.run(async move {
            let options = zk::CreateMode::EphemeralSequential.with_acls(acls);
            let (_, sequence) = client.create(&node, &data, &options).await?;
            Ok(format!("{}{sequence}", node.rsplit('/').next().unwrap()))
        })
    }

    /// Creates a persistent node (for non-member children).
    pub fn create_persistent(&self, path: &str, data: &[u8]) {
        let client = self.client();
        let path = path.to_string();
        let data = data.to_vec();
        self.runtime
            .run(async move {
                let options = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
                client.create(&path, &data, &options).await.map(|_| ())
            })
            .expect("create persistent node");
    }

    pub fn delete(&self, path: &str) {
        let client = self.client();
        let path = path.to_string();
        self.runtime
            .run(async move { client.delete(&path, None).await })
            .expect("delete");
    }

    pub fn children(&self, path: &str) -> Vec<String> {
        let client = self.client();
        let path = path.to_string();
        let mut children = self
            .runtime
            .run(async move { client.list_children(&path).await })
            .expect("list children");
        children.sort();
        children
    }

    /// Closes the session (its ephemeral members disappear) and waits for it.
    pub fn close(&mut self) {
        if let Some(client) = self.client.take() {
            self.runtime.run(async move {
                let mut state = client.state_watcher();
                drop(client);
                // Bounded: with ZooKeeper down the close cannot be confirmed.
                let _ = tokio::time::timeout(Duration::from_secs(2), async {
                    while !state.state().is_terminated() {
                        state.changed().await;
                    }
                })
                .await;
            });
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

/// A private ZooKeeper server (scripts/zookeeper.sh) for tests that stop/restart it.
pub struct PrivateServer {
    pub dir: PathBuf,
    pub address: String,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/zookeeper.sh")
}

fn run_script(command: &str, dir: &PathBuf) -> String {
    let output = Command::new("bash")
        .arg(script())
        .arg(command)
        .arg(dir)
        .output()
        .expect("run scripts/zookeeper.sh");
    assert!(
        output.status.success(),
        "scripts/zookeeper.sh {command} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

impl PrivateServer {
    pub fn start(name: &str) -> PrivateServer {
        let dir = std::env::temp_dir().join(format!(
            "mesos-sched-zk-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let address = run_script("start", &dir);
        PrivateServer { dir, address }
    }

    pub fn stop(&self) {
        run_script("stop", &self.dir);
    }

    /// Starts it again on the same port with the same data.
    pub fn start_again(&self) {
        let address = run_script("start", &self.dir);
        assert_eq!(address, self.address, "restarted on another port");
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("clean")
            .arg(&self.dir)
            .output();
    }
}

/// Expires a session from outside, the standard way: attach to it with its id and
/// password from another client, then close it. Repeats until ZooKeeper answers that
/// the session is expired (its owner may win it back in between).
pub fn expire_session(servers: &str, session: zk::SessionInfo) {
    let runtime = Runtime::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let servers = servers.to_string();
        let session = session.clone();
        let attempt = runtime.run(async move {
            // The owner may win the session back mid-handshake: retry quickly.
            let connect = zk::Client::connector()
                .with_session(session)
                .with_session_timeout(Duration::from_secs(10))
                .connect(&servers);
            let thief = tokio::time::timeout(Duration::from_secs(1), connect)
                .await
                .map_err(|_| zk::Error::Timeout)??;
            let mut state = thief.state_watcher();
            drop(thief);
            let _ = tokio::time::timeout(Duration::from_secs(5), async {
                while !state.state().is_terminated() {
                    state.changed().await;
                }
            })
            .await;
            Ok::<(), zk::Error>(())
        });
        match attempt {
            Err(zk::Error::SessionExpired) => return,
            Ok(()) => {}
            Err(e) => eprintln!("expiring the session: {e}; trying again"),
        }
        assert!(
            std::time::Instant::now() < deadline,
            "could not expire the session"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
