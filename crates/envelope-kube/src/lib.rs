//! Kubernetes manifests made from what envelope knows of an image: a
//! Deployment and a Service (and, when asked, a PodDisruptionBudget, a
//! NetworkPolicy and a ServiceAccount) that pass the Pod Security
//! Standards' *restricted* profile as written. The caller reads the image
//! into a [`Workload`]; [`render`] writes the YAML, deterministic, with a
//! comment on each setting that says why it is there.

use std::fmt::Write as _;

/// What the manifests are made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// The name of every object and the `app.kubernetes.io/name` label.
    pub name: String,
    pub namespace: Option<String>,
    /// The reference the cluster pulls, by digest (or an `envelope://` /
    /// `ko://` reference that `envelope resolve` fills in).
    pub image: String,
    /// Where the reference and the user come from, for the comments.
    pub source: String,
    /// The user and group the image runs as (never 0: see [`check`]).
    pub user: u32,
    pub group: u32,
    /// Where the user was read, for the comment (`the image's config`).
    pub user_from: String,
    /// The ports the image serves, sorted, without repeats.
    pub ports: Vec<Port>,
    pub replicas: u32,
    /// Why the program writes under /tmp (a function it calls), when it
    /// does: /tmp then gets an `emptyDir`, the root staying read-only.
    pub writes_tmp: Option<String>,
    /// An HTTP path answering health checks: the probes use it rather
    /// than a TCP connection.
    pub health_path: Option<String>,
    pub pdb: bool,
    pub network_policy: bool,
    pub service_account: bool,
}

/// A port the container listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Port {
    pub number: u16,
    pub protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

impl Port {
    /// `8080`, `8080/tcp`, `53/udp` (as image configs and Dockerfiles
    /// write them).
    pub fn parse(s: &str) -> Result<Port, Error> {
        let bad = || Error::Port {
            port: s.to_string(),
        };
        let (number, protocol) = match s.split_once('/') {
            Some((n, p)) => (n, p),
            None => (s, "tcp"),
        };
        let protocol = match protocol.to_ascii_lowercase().as_str() {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "sctp" => Protocol::Sctp,
            _ => return Err(bad()),
        };
        match number.parse::<u16>() {
            Ok(n) if n > 0 && number.bytes().all(|b| b.is_ascii_digit()) => Ok(Port {
                number: n,
                protocol,
            }),
            _ => Err(bad()),
        }
    }

    /// The port's name: at most 15 characters, a letter in it
    /// (`tcp-8080`).
    fn name(self) -> String {
        format!(
            "{}-{}",
            self.protocol.as_str().to_ascii_lowercase(),
            self.number
        )
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("`{name}` cannot name Kubernetes objects: {why}")]
    Name { name: String, why: &'static str },
    #[error(
        "`{port}` is not a port: write NUMBER or NUMBER/PROTOCOL (tcp, udp, sctp), 1 to 65535"
    )]
    Port { port: String },
    #[error(
        "the image runs as root (user {user}), which the restricted Pod Security Standard refuses"
    )]
    Root { user: String },
    #[error("--health-path `{path}` must start with `/` and hold no spaces or control characters")]
    HealthPath { path: String },
}

/// Whether `name` can name the objects: an RFC 1123 label of at most 63
/// characters (a Service's name is one).
pub fn check_name(name: &str) -> Result<(), Error> {
    let why = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 63 {
        Some("it is longer than 63 characters")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Some("only lowercase letters, digits and `-` may be used")
    } else if !name.as_bytes()[0].is_ascii_lowercase() {
        Some("it must start with a letter")
    } else if name.ends_with('-') {
        Some("it must not end with `-`")
    } else {
        None
    };
    match why {
        Some(why) => Err(Error::Name {
            name: name.to_string(),
            why,
        }),
        None => Ok(()),
    }
}

/// Checks what `render` relies on: names, a user other than root, a
/// health path that is a path.
pub fn check(w: &Workload) -> Result<(), Error> {
    check_name(&w.name)?;
    if let Some(ns) = &w.namespace {
        check_name(ns)?;
    }
    if w.user == 0 {
        return Err(Error::Root {
            user: w.user.to_string(),
        });
    }
    if let Some(p) = &w.health_path {
        if !p.starts_with('/') || p.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::HealthPath { path: p.clone() });
        }
    }
    Ok(())
}

/// A YAML scalar for any text: JSON's double-quoted string is one.
fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Writes the manifests: YAML documents separated by `---`, in a fixed
/// order. `w` must pass [`check`].
pub fn render(w: &Workload) -> Result<String, Error> {
    check(w)?;
    let mut out = String::new();
    let mut ports = w.ports.clone();
    ports.sort();
    ports.dedup();
    writeln!(
        out,
        "# Made by envelope from {}:\n\
         # a Deployment that meets the restricted Pod Security Standard, and what\n\
         # serves it. Review the resources before use.",
        w.source
    )
    .ok();
    if w.service_account {
        out.push_str(&header("v1", "ServiceAccount", w));
        out.push_str("# The program does not call the Kubernetes API: no token is mounted.\n");
        out.push_str("automountServiceAccountToken: false\n");
        out.push_str("---\n");
    }
    deployment(&mut out, w, &ports);
    if !ports.is_empty() {
        out.push_str("---\n");
        service(&mut out, w, &ports);
    }
    if w.pdb {
        out.push_str("---\n");
        out.push_str(&header("policy/v1", "PodDisruptionBudget", w));
        out.push_str("spec:\n");
        out.push_str("  # A voluntary disruption (a node drain) takes one pod at a time.\n");
        out.push_str("  maxUnavailable: 1\n");
        selector(&mut out, w, "  ");
    }
    if w.network_policy {
        out.push_str("---\n");
        network_policy(&mut out, w, &ports);
    }
    Ok(out)
}

fn header(api: &str, kind: &str, w: &Workload) -> String {
    let mut s = format!(
        "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {}\n",
        w.name
    );
    if let Some(ns) = &w.namespace {
        writeln!(s, "  namespace: {ns}").ok();
    }
    writeln!(s, "  labels:\n    app.kubernetes.io/name: {}", w.name).ok();
    s
}

fn selector(out: &mut String, w: &Workload, indent: &str) {
    writeln!(
        out,
        "{indent}selector:\n{indent}  matchLabels:\n{indent}    app.kubernetes.io/name: {}",
        w.name
    )
    .ok();
}

fn deployment(out: &mut String, w: &Workload, ports: &[Port]) {
    out.push_str(&header("apps/v1", "Deployment", w));
    out.push_str("spec:\n");
    writeln!(out, "  replicas: {}", w.replicas).ok();
    selector(out, w, "  ");
    out.push_str("  template:\n    metadata:\n      labels:\n");
    writeln!(out, "        app.kubernetes.io/name: {}", w.name).ok();
    out.push_str("    spec:\n");
    if w.service_account {
        writeln!(out, "      serviceAccountName: {}", w.name).ok();
    }
    if w.replicas > 1 {
        out.push_str("      # Replicas on different nodes where the cluster can: one node lost is\n      # not the whole service.\n");
        writeln!(
            out,
            "      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n            - weight: 100\n              podAffinityTerm:\n                topologyKey: kubernetes.io/hostname\n                labelSelector:\n                  matchLabels:\n                    app.kubernetes.io/name: {}",
            w.name
        )
        .ok();
    }
    out.push_str("      # The program does not call the Kubernetes API: no token is mounted.\n");
    out.push_str("      automountServiceAccountToken: false\n");
    out.push_str("      securityContext:\n");
    writeln!(
        out,
        "        # The image runs as {}:{} ({}); never as root.",
        w.user, w.group, w.user_from
    )
    .ok();
    out.push_str("        runAsNonRoot: true\n");
    writeln!(
        out,
        "        runAsUser: {}\n        runAsGroup: {}",
        w.user, w.group
    )
    .ok();
    out.push_str("        # The container runtime's default system call filter.\n");
    out.push_str("        seccompProfile:\n          type: RuntimeDefault\n");
    out.push_str("      containers:\n");
    writeln!(out, "        - name: {}", w.name).ok();
    writeln!(out, "          image: {}", quoted(&w.image)).ok();
    if w.image.contains("@sha256:") {
        out.push_str(
            "          # By digest: the bytes pulled cannot change, a cached copy is them.\n",
        );
    }
    out.push_str("          imagePullPolicy: IfNotPresent\n");
    if !ports.is_empty() {
        out.push_str("          # The ports the image declares.\n          ports:\n");
        for p in ports {
            writeln!(
                out,
                "            - name: {}\n              containerPort: {}\n              protocol: {}",
                p.name(),
                p.number,
                p.protocol.as_str()
            )
            .ok();
        }
    }
    out.push_str("          securityContext:\n");
    out.push_str("            allowPrivilegeEscalation: false\n");
    out.push_str("            privileged: false\n");
    out.push_str("            # A static Go binary writes nothing into its image.\n");
    out.push_str("            readOnlyRootFilesystem: true\n");
    out.push_str("            capabilities:\n              drop:\n                - ALL\n");
    if let Some(low) = ports.iter().find(|p| p.number < 1024) {
        writeln!(
            out,
            "              # Port {} is below 1024: binding it needs this one capability.\n              add:\n                - NET_BIND_SERVICE",
            low.number
        )
        .ok();
    }
    out.push_str(
        "          # Placeholders: measure the service under load and set its own.\n          resources:\n            requests:\n              cpu: 100m\n              memory: 64Mi\n              ephemeral-storage: 64Mi\n            limits:\n              cpu: 500m\n              memory: 128Mi\n              ephemeral-storage: 128Mi\n",
    );
    probes(out, w, ports);
    if let Some(why) = &w.writes_tmp {
        out.push_str(
            "          volumeMounts:\n            - name: tmp\n              mountPath: /tmp\n",
        );
        out.push_str("      volumes:\n");
        writeln!(
            out,
            "        # The program writes temporary files ({why}):\n        # /tmp is writable, the root file system is not."
        )
        .ok();
        out.push_str("        - name: tmp\n          emptyDir:\n            sizeLimit: 64Mi\n");
    }
}

/// Readiness and liveness probes: an HTTP GET of the health path, else a
/// TCP connection to the first TCP port; never a command (the image has
/// no shell to run one). Liveness waits longer and tolerates more
/// failures, so a slow start is not a restart loop.
fn probes(out: &mut String, w: &Workload, ports: &[Port]) {
    let Some(port) = ports.iter().find(|p| p.protocol == Protocol::Tcp) else {
        out.push_str(
            "          # No TCP port to probe: add readiness and liveness probes that fit\n          # the program (never `exec`: the image has no shell).\n",
        );
        return;
    };
    let tcp = format!("tcpSocket:\n              port: {}", port.name());
    let ready = match &w.health_path {
        Some(path) => format!(
            "httpGet:\n              path: {}\n              port: {}",
            quoted(path),
            port.name()
        ),
        None => tcp.clone(),
    };
    out.push_str(
        "          # Probes reach the program over the network: the image has no shell.\n",
    );
    if w.health_path.is_none() {
        out.push_str(
            "          # With an HTTP health path (--health-path), readiness would ask it.\n",
        );
    }
    writeln!(
        out,
        "          readinessProbe:\n            {ready}\n            periodSeconds: 10\n            failureThreshold: 3"
    )
    .ok();
    out.push_str(
        "          # Liveness only asks whether the program still accepts connections, and\n          # waits longer: a failing dependency must not restart every pod.\n",
    );
    writeln!(
        out,
        "          livenessProbe:\n            {tcp}\n            initialDelaySeconds: 10\n            periodSeconds: 20\n            failureThreshold: 6"
    )
    .ok();
}

fn service(out: &mut String, w: &Workload, ports: &[Port]) {
    out.push_str(&header("v1", "Service", w));
    out.push_str("spec:\n  type: ClusterIP\n");
    selector_plain(out, w);
    out.push_str("  ports:\n");
    for p in ports {
        writeln!(
            out,
            "    - name: {}\n      port: {}\n      targetPort: {}\n      protocol: {}",
            p.name(),
            p.number,
            p.name(),
            p.protocol.as_str()
        )
        .ok();
    }
}

/// A Service's selector is a plain map of labels.
fn selector_plain(out: &mut String, w: &Workload) {
    writeln!(out, "  selector:\n    app.kubernetes.io/name: {}", w.name).ok();
}

fn network_policy(out: &mut String, w: &Workload, ports: &[Port]) {
    out.push_str(&header("networking.k8s.io/v1", "NetworkPolicy", w));
    out.push_str("spec:\n  podSelector:\n    matchLabels:\n");
    writeln!(out, "      app.kubernetes.io/name: {}", w.name).ok();
    out.push_str(
        "  # Incoming traffic reaches the service's ports only; outgoing traffic is\n  # not restricted (a policy for Egress would also have to allow DNS).\n  policyTypes:\n    - Ingress\n",
    );
    if ports.is_empty() {
        out.push_str("  # The image declares no port: nothing may connect.\n  ingress: []\n");
        return;
    }
    out.push_str("  ingress:\n    - ports:\n");
    for p in ports {
        writeln!(
            out,
            "        - port: {}\n          protocol: {}",
            p.number,
            p.protocol.as_str()
        )
        .ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload() -> Workload {
        Workload {
            name: "server".into(),
            namespace: None,
            image: "registry.example.com/server@sha256:".to_string() + &"a".repeat(64),
            source: "oci:out:server".into(),
            user: 65532,
            group: 65532,
            user_from: "the image's config".into(),
            ports: vec![Port::parse("8080/tcp").unwrap()],
            replicas: 2,
            writes_tmp: None,
            health_path: None,
            pdb: false,
            network_policy: false,
            service_account: false,
        }
    }

    #[test]
    fn ports_parse_as_image_configs_write_them() {
        assert_eq!(
            Port::parse("53/udp"),
            Ok(Port {
                number: 53,
                protocol: Protocol::Udp
            })
        );
        assert_eq!(Port::parse("8080").map(|p| p.protocol), Ok(Protocol::Tcp));
        for bad in ["0", "65536", "80/http", "", "+80", "8o"] {
            assert!(Port::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Port::parse("443/tcp").unwrap().name(), "tcp-443");
    }

    #[test]
    fn names_are_rfc1123_labels() {
        assert!(check_name("api-server2").is_ok());
        for bad in ["", "Api", "2api", "api-", "a_b", &"a".repeat(64)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn root_is_refused_and_low_ports_get_one_capability() {
        let mut w = workload();
        w.user = 0;
        assert!(matches!(render(&w), Err(Error::Root { .. })));
        let mut w = workload();
        w.ports = vec![Port::parse("443").unwrap(), Port::parse("8080").unwrap()];
        let y = render(&w).unwrap();
        assert!(
            y.contains("add:\n                - NET_BIND_SERVICE"),
            "{y}"
        );
        assert!(!render(&workload()).unwrap().contains("NET_BIND_SERVICE"));
    }

    #[test]
    fn tmp_is_an_empty_dir_only_when_the_program_writes_there() {
        assert!(!render(&workload()).unwrap().contains("emptyDir"));
        let mut w = workload();
        w.writes_tmp = Some("it calls os.CreateTemp".into());
        let y = render(&w).unwrap();
        assert!(y.contains("mountPath: /tmp"), "{y}");
        assert!(y.contains("emptyDir"), "{y}");
    }

    #[test]
    fn the_same_workload_renders_the_same_bytes_and_quotes_the_image() {
        let w = workload();
        assert_eq!(render(&w).unwrap(), render(&w).unwrap());
        let mut w = workload();
        w.image = "envelope://./cmd/server".into();
        let y = render(&w).unwrap();
        assert!(y.contains("image: \"envelope://./cmd/server\""), "{y}");
        assert!(!y.contains("By digest"), "{y}");
    }
}
