//! A real distribution registry (Debian's docker-registry) on a free
//! loopback port, optionally with htpasswd Basic auth; stopped on drop.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Registry {
    pub addr: String,
    config: PathBuf,
    /// The CA certificate of a TLS registry (PEM), alone in its directory.
    pub cert: Option<PathBuf>,
    child: Child,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl Registry {
    pub fn start() -> Registry {
        Self::start_with(None)
    }

    pub fn start_with(auth: Option<(&str, &str)>) -> Registry {
        Self::start_full(auth, false)
    }

    /// With TLS: a server certificate for 127.0.0.1 from a test CA (openssl).
    pub fn start_tls() -> Registry {
        Self::start_full(None, true)
    }

    /// With Basic auth for `user`/`password`, and/or TLS.
    pub fn start_full(auth: Option<(&str, &str)>, tls: bool) -> Registry {
        Self::start_config(auth, tls, "")
    }

    /// With extra YAML appended to the configuration (top-level keys).
    pub fn start_config(auth: Option<(&str, &str)>, tls: bool, extra: &str) -> Registry {
        super::require("docker-registry");
        let dir = super::tempdir();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = auth {
            super::require("htpasswd");
            let out = super::ok(Command::new("htpasswd").args(["-Bbn", user, password]));
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, out).expect("htpasswd file");
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: envelope-test\n    path: {}\n",
                file.display()
            ));
        }
        let mut cert = None;
        if tls {
            super::require("openssl");
            let certs = dir.path().join("certs");
            std::fs::create_dir_all(&certs).expect("mkdir");
            // A test CA, and a server certificate for 127.0.0.1 signed by it.
            let (ca, ca_key) = (certs.join("ca.crt"), dir.path().join("ca.key"));
            let (crt, key, csr) = (
                dir.path().join("server.crt"),
                dir.path().join("server.key"),
                dir.path().join("server.csr"),
            );
            let ext = dir.path().join("ext.cnf");
            std::fs::write(&ext, "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n").expect("ext");
            let openssl = |args: &[&std::ffi::OsStr]| {
                super::ok(Command::new("openssl").args(args));
            };
            let p = |x: &std::path::Path| x.as_os_str().to_owned();
            let o = |x: &str| std::ffi::OsString::from(x);
            openssl(&[
                &o("req"),
                &o("-x509"),
                &o("-newkey"),
                &o("rsa:2048"),
                &o("-nodes"),
                &o("-days"),
                &o("2"),
                &o("-subj"),
                &o("/CN=envelope test CA"),
                &o("-keyout"),
                &p(&ca_key),
                &o("-out"),
                &p(&ca),
            ]);
            openssl(&[
                &o("req"),
                &o("-newkey"),
                &o("rsa:2048"),
                &o("-nodes"),
                &o("-subj"),
                &o("/CN=127.0.0.1"),
                &o("-keyout"),
                &p(&key),
                &o("-out"),
                &p(&csr),
            ]);
            openssl(&[
                &o("x509"),
                &o("-req"),
                &o("-in"),
                &p(&csr),
                &o("-CA"),
                &p(&ca),
                &o("-CAkey"),
                &p(&ca_key),
                &o("-CAcreateserial"),
                &o("-days"),
                &o("2"),
                &o("-extfile"),
                &p(&ext),
                &o("-out"),
                &p(&crt),
            ]);
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                crt.display(),
                key.display()
            ));
            cert = Some(ca);
        }
        config.push_str(extra);
        let cfg: PathBuf = dir.path().join("config.yml");
        std::fs::write(&cfg, config).expect("config");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let started = Instant::now();
        while TcpStream::connect(&addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the registry did not start on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry {
            addr,
            config: cfg,
            cert,
            child,
            _dir: dir,
        }
    }
}

impl Registry {
    /// Kills the registry process (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same address with the same storage.
    pub fn restart(&mut self) {
        self.kill();
        self.child = Command::new("docker-registry")
            .arg("serve")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let started = Instant::now();
        while TcpStream::connect(&self.addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the registry did not restart"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Docker config.json with Basic credentials for `host`.
pub fn basic_config(host: &str, user: &str, password: &str) -> String {
    let out = super::ok(
        Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s '{user}:{password}' | base64 -w0")),
    );
    format!(r#"{{"auths":{{"{host}":{{"auth":"{}"}}}}}}"#, out.trim())
}
