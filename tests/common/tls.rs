//! TLS for tests: a private CA (rcgen) and a TLS-terminating proxy (rustls) in front of a
//! plain-HTTP test master, so https:// masters can be tested whatever serves behind.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA and a server certificate for 127.0.0.1 / localhost, signed by it.
pub struct TestPki {
    pub dir: PathBuf,
    pub ca_file: PathBuf,
    pub server_chain: Vec<CertificateDer<'static>>,
    pub server_key: Vec<u8>,
}

impl TestPki {
    pub fn new(name: &str) -> TestPki {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mesos-sched test CA");
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let mut server_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .unwrap();
        server_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "127.0.0.1");
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server = server_params.signed_by(&server_key, &ca, &ca_key).unwrap();
        let dir =
            std::env::temp_dir().join(format!("mesos-sched-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        TestPki {
            dir,
            ca_file,
            server_chain: vec![server.der().clone()],
            server_key: server_key.serialize_der(),
        }
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Listens with TLS on a free loopback port and forwards plaintext to `upstream`.
/// Returns the port.
pub fn tls_proxy(pki: &TestPki, upstream: u16) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            pki.server_chain.clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone())),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { break };
            let config = config.clone();
            std::thread::spawn(move || relay(config, client, upstream));
        }
    });
    port
}

fn relay(config: Arc<rustls::ServerConfig>, client: TcpStream, upstream: u16) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let connection = Arc::new(Mutex::new(rustls::ServerConnection::new(config).unwrap()));
    // rustls is sans-IO: each direction reads its socket without the lock, then feeds or
    // drains the shared connection state under it.
    let (mut client_in, mut client_out) =
        (client.try_clone().unwrap(), client.try_clone().unwrap());
    let (mut server_in, mut server_out) = (server.try_clone().unwrap(), server);
    let tls = connection.clone();
    let mut client_out_2 = client_out.try_clone().unwrap();
    let upstream_to_client = std::thread::spawn(move || {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let n = match server_in.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut connection = tls.lock();
            if connection.writer().write_all(&buffer[..n]).is_err() {
                break;
            }
            while connection.wants_write() {
                if connection.write_tls(&mut client_out_2).is_err() {
                    return;
                }
            }
        }
        let _ = client_out_2.shutdown(Shutdown::Both);
    });
    let mut buffer = vec![0u8; 16 * 1024];
    let mut plain = vec![0u8; 16 * 1024];
    'outer: loop {
        let n = match client_in.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut received = Vec::new();
        {
            let mut connection = connection.lock();
            let mut input = &buffer[..n];
            while !input.is_empty() {
                if connection.read_tls(&mut input).is_err() {
                    break 'outer;
                }
                if connection.process_new_packets().is_err() {
                    // Let the alert reach the client before closing.
                    while connection.wants_write() {
                        let _ = connection.write_tls(&mut client_out);
                    }
                    break 'outer;
                }
            }
            loop {
                match connection.reader().read(&mut plain) {
                    Ok(0) => break,
                    Ok(m) => received.extend_from_slice(&plain[..m]),
                    Err(_) => break,
                }
            }
            while connection.wants_write() {
                if connection.write_tls(&mut client_out).is_err() {
                    break 'outer;
                }
            }
        }
        if !received.is_empty() && server_out.write_all(&received).is_err() {
            break;
        }
    }
    let _ = server_out.shutdown(Shutdown::Both);
    let _ = client_out.shutdown(Shutdown::Both);
    let _ = upstream_to_client.join();
}
