//! The HTTP side of the distribution spec: one request function that adds
//! authentication (answering 401 challenges once per scope), retries what
//! the shared retry policy calls transient (busy statuses, dropped
//! connections, one timeout; honoring Retry-After) within the operation's
//! deadline, and counts what it did; and the registry operations built on
//! it. Every request runs under the shared timeouts: blobs, up or down,
//! under the idle timeout and the minimum rate; everything else also under
//! the small-response cap.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use envelope_http::{Attempts, BodyReader, RetryPolicy, TimedOut, Timeouts};
use envelope_oci::{Descriptor, Digest};
use ureq::http::Response;
use ureq::Body;

use crate::auth::{parse_challenge, CredentialStore, Credentials};
use crate::{Error, RegistryRef};

const MAX_ATTEMPTS: u32 = 6;
const MANIFEST_LIMIT: u64 = 4 << 20;
/// Blobs larger than this go up in PATCH chunks of this size.
const DEFAULT_CHUNK: u64 = 16 << 20;
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Registries (host[:port]) reached over plain HTTP; loopback always is.
    pub insecure: Vec<String>,
    /// PEM roots to trust instead of the bundled Mozilla roots.
    pub ca_file: Option<std::path::PathBuf>,
    /// First retry delay; doubles each time (tests make it small).
    pub backoff: Option<Duration>,
    /// Chunk size for large uploads (default 16 MiB).
    pub chunk_size: Option<u64>,
    /// Connect, first-byte, idle, rate, and the deadline of an operation.
    pub timeouts: Timeouts,
}

/// What a client did, for reports and tests.
#[derive(Debug, Default)]
pub struct Stats {
    pub get: AtomicU64,
    pub head: AtomicU64,
    pub put: AtomicU64,
    pub post: AtomicU64,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
    pub retries: AtomicU64,
    /// HTTPS probes of registries that may be plain HTTP.
    pub probes: AtomicU64,
}

pub struct Client {
    agent: ureq::Agent,
    creds: CredentialStore,
    options: ClientOptions,
    retry: RetryPolicy,
    /// Authorization header values by "host scope".
    tokens: Mutex<HashMap<String, String>>,
    /// The scheme found for registries that may be plain HTTP.
    schemes: Mutex<HashMap<String, &'static str>>,
    pub stats: Stats,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Req<'a> {
    pub method: &'static str,
    pub url: String,
    pub scope: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<&'a [u8]>,
    /// A blob goes up or comes down: bounded by the idle timeout and the
    /// minimum rate, not by the small-response cap.
    pub large: bool,
}

impl Client {
    pub fn new(creds: CredentialStore, options: ClientOptions) -> Result<Client, Error> {
        let agent = envelope_http::agent(&envelope_http::AgentOptions {
            ca_file: options.ca_file.clone(),
            timeouts: options.timeouts,
        })?;
        let default = RetryPolicy::default();
        let retry = RetryPolicy {
            retries: MAX_ATTEMPTS - 1,
            backoff: options.backoff.unwrap_or(default.backoff),
            ..default
        };
        Ok(Client {
            agent,
            creds,
            options,
            retry,
            tokens: Mutex::new(HashMap::new()),
            schemes: Mutex::new(HashMap::new()),
            stats: Stats::default(),
        })
    }

    /// `https://HOST`, except for loopback registries and those named with
    /// `--insecure`: they get HTTPS when they speak it and plain HTTP
    /// otherwise, as the Docker daemon does.
    pub fn base_url(&self, r: &RegistryRef) -> String {
        let host = r.api_host();
        let may_be_plain =
            r.is_loopback() || self.options.insecure.iter().any(|h| h == &r.registry);
        if !may_be_plain {
            return format!("https://{host}");
        }
        // One probe per registry: the lock is held while probing so that
        // parallel uploads wait for it instead of probing too.
        let Ok(mut schemes) = self.schemes.lock() else {
            return format!("https://{host}");
        };
        if let Some(scheme) = schemes.get(host).copied() {
            return format!("{scheme}://{host}");
        }
        // A TLS server with a certificate we do not trust stays HTTPS, so the
        // error says so; anything else that fails the handshake is plain HTTP.
        self.stats.probes.fetch_add(1, Ordering::Relaxed);
        let probe = self.agent.get(format!("https://{host}/v2/"));
        let scheme = match envelope_http::bounded(probe, &self.options.timeouts).call() {
            Ok(_) => "https",
            Err(e) if e.to_string().to_ascii_lowercase().contains("certificate") => "https",
            Err(_) => "http",
        };
        schemes.insert(host.to_string(), scheme);
        format!("{scheme}://{host}")
    }

    /// The attempts of one operation, within its deadline.
    fn attempts(&self) -> Attempts {
        Attempts::new(self.retry, self.options.timeouts.deadline)
    }

    /// A request that failed in transport: a timeout names which one.
    fn transport_error(&self, method: &'static str, url: &str, e: &ureq::Error) -> Error {
        let timed_out = TimedOut::from_ureq(e, &self.options.timeouts);
        failure(method, url, timed_out, e)
    }

    /// A body that could not be read whole: a timeout names which one.
    fn body_error(&self, method: &'static str, url: &str, e: &std::io::Error) -> Error {
        let timed_out = TimedOut::from_io(e, &self.options.timeouts);
        failure(method, url, timed_out, e)
    }

    /// The whole body, refused when it is larger than `limit`, read under
    /// the minimum rate.
    fn read_limited(&self, resp: Response<Body>, limit: u64) -> std::io::Result<Vec<u8>> {
        read_limited(
            BodyReader::new(resp.into_body().into_reader(), &self.options.timeouts),
            limit,
        )
    }

    fn status_error(&self, method: &'static str, url: &str, resp: Response<Body>) -> Error {
        let status = resp.status().as_u16();
        let detail = error_detail(BodyReader::new(
            resp.into_body().into_reader(),
            &self.options.timeouts,
        ));
        Error::Status {
            method,
            url: redact_url(url),
            status,
            detail,
        }
    }

    fn counter(&self, method: &str) -> &AtomicU64 {
        match method {
            "HEAD" => &self.stats.head,
            "PUT" | "PATCH" => &self.stats.put,
            "POST" => &self.stats.post,
            _ => &self.stats.get,
        }
    }

    fn raw(&self, req: &Req<'_>, auth: Option<&str>) -> Result<Response<Body>, ureq::Error> {
        self.counter(req.method).fetch_add(1, Ordering::Relaxed);
        let timeouts = &self.options.timeouts;
        macro_rules! with_headers {
            ($b:expr) => {{
                let mut b = $b;
                if !req.large {
                    b = envelope_http::bounded(b, timeouts);
                }
                for (k, v) in &req.headers {
                    b = b.header(*k, v.as_str());
                }
                if let Some(a) = auth {
                    b = b.header("Authorization", a);
                }
                b
            }};
        }
        match req.method {
            "GET" => with_headers!(self.agent.get(&req.url)).call(),
            "HEAD" => with_headers!(self.agent.head(&req.url)).call(),
            "DELETE" => with_headers!(self.agent.delete(&req.url)).call(),
            m => {
                let b = match m {
                    "PUT" => self.agent.put(&req.url),
                    "PATCH" => self.agent.patch(&req.url),
                    _ => self.agent.post(&req.url),
                };
                let b = with_headers!(b);
                match req.body {
                    Some(body) => {
                        self.stats
                            .bytes_up
                            .fetch_add(body.len() as u64, Ordering::Relaxed);
                        b.send(body)
                    }
                    None => b.send_empty(),
                }
            }
        }
    }

    /// Sends a request with authentication and retries, as an operation
    /// of its own.
    pub(crate) fn send(&self, req: &Req<'_>) -> Result<Response<Body>, Error> {
        self.send_within(req, &mut self.attempts())
    }

    /// Sends a request with authentication and retries, the retries
    /// counted in (and bounded by the deadline of) `attempts`.
    pub(crate) fn send_within(
        &self,
        req: &Req<'_>,
        attempts: &mut Attempts,
    ) -> Result<Response<Body>, Error> {
        let host = host_of_url(&req.url);
        let key = format!("{host} {}", req.scope);
        let mut authenticated = false;
        loop {
            let auth = self.tokens.lock().ok().and_then(|t| t.get(&key).cloned());
            match self.raw(req, auth.as_deref()) {
                Err(e) => {
                    let timed_out = TimedOut::from_ureq(&e, &self.options.timeouts).is_some();
                    // A cut upload spoils its session: the caller starts
                    // a new one instead of sending the bytes to it again.
                    let upload = req.large && req.body.is_some();
                    let wait = if RetryPolicy::retries_error(&e) && !upload {
                        attempts.retry(timed_out, None)
                    } else {
                        None
                    };
                    let Some(wait) = wait else {
                        return Err(self.transport_error(req.method, &req.url, &e));
                    };
                    std::thread::sleep(wait);
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if status == 401 && !authenticated {
                        authenticated = true;
                        let header = resp
                            .headers()
                            .get("www-authenticate")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        let value = self.answer_challenge(&header, &host, &req.scope, req)?;
                        if let Ok(mut t) = self.tokens.lock() {
                            t.insert(key.clone(), value);
                        }
                        continue;
                    }
                    if status == 401 || status == 403 {
                        return Err(Error::Unauthorized {
                            method: req.method,
                            url: redact_url(&req.url),
                            status,
                            detail: error_detail(BodyReader::new(
                                resp.into_body().into_reader(),
                                &self.options.timeouts,
                            )),
                        });
                    }
                    if !RetryPolicy::retries_status(status) {
                        return Ok(resp);
                    }
                    let retry_after = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok());
                    let Some(wait) = attempts.retry(false, retry_after) else {
                        return Ok(resp);
                    };
                    std::thread::sleep(wait);
                }
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Authorization header value that answers a challenge.
    fn answer_challenge(
        &self,
        header: &str,
        host: &str,
        scope: &str,
        req: &Req<'_>,
    ) -> Result<String, Error> {
        let unauthorized = |detail: String| Error::Unauthorized {
            method: req.method,
            url: redact_url(&req.url),
            status: 401,
            detail,
        };
        let challenge = parse_challenge(header)
            .ok_or_else(|| unauthorized(format!("unreadable challenge {header:?}")))?;
        let registry = host.to_string();
        let creds = self.creds.lookup(&registry)?;
        match challenge.scheme.as_str() {
            "basic" => match creds {
                Some(Credentials::Basic { username, password }) => {
                    Ok(basic(&username, password.expose()))
                }
                _ => Err(unauthorized(format!(
                    "{registry} needs credentials: run `envelope login {registry}`"
                ))),
            },
            "bearer" => {
                let realm = challenge
                    .params
                    .get("realm")
                    .ok_or_else(|| unauthorized("Bearer challenge without realm".into()))?;
                let service = challenge.params.get("service").cloned().unwrap_or_default();
                let scope = if scope.is_empty() {
                    challenge.params.get("scope").cloned().unwrap_or_default()
                } else {
                    scope.to_string()
                };
                let token = self
                    .fetch_token(realm, &service, &scope, creds.as_ref())
                    .map_err(|e| match e {
                        Error::Status { status, detail, .. }
                        | Error::Unauthorized { status, detail, .. } => {
                            unauthorized(format!("token server answered HTTP {status} {detail}"))
                        }
                        other => other,
                    })?;
                Ok(format!("Bearer {token}"))
            }
            other => Err(unauthorized(format!(
                "unsupported authentication scheme {other:?}"
            ))),
        }
    }

    fn fetch_token(
        &self,
        realm: &str,
        service: &str,
        scope: &str,
        creds: Option<&Credentials>,
    ) -> Result<String, Error> {
        let mut url = format!(
            "{realm}{}service={}",
            if realm.contains('?') { '&' } else { '?' },
            urlencode(service)
        );
        for s in scope.split(' ').filter(|s| !s.is_empty()) {
            url.push_str(&format!("&scope={}", urlencode(s)));
        }
        let resp = match creds {
            Some(Credentials::IdentityToken(tok)) => {
                let mut form = format!(
                    "grant_type=refresh_token&client_id=envelope&service={}&refresh_token={}",
                    urlencode(service),
                    urlencode(tok.expose())
                );
                for s in scope.split(' ').filter(|s| !s.is_empty()) {
                    form.push_str(&format!("&scope={}", urlencode(s)));
                }
                self.stats.post.fetch_add(1, Ordering::Relaxed);
                self.bounded(self.agent.post(realm))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .send(form.as_bytes())
            }
            Some(Credentials::Basic { username, password }) => {
                self.stats.get.fetch_add(1, Ordering::Relaxed);
                self.bounded(self.agent.get(&url))
                    .header("Authorization", basic(username, password.expose()))
                    .call()
            }
            None => {
                self.stats.get.fetch_add(1, Ordering::Relaxed);
                self.bounded(self.agent.get(&url)).call()
            }
        }
        .map_err(|e| self.transport_error("GET", realm, &e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(self.status_error("GET", realm, resp));
        }
        let body = self
            .read_limited(resp, 1 << 20)
            .map_err(|e| self.body_error("GET", realm, &e))?;
        let v: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
            Error::Malformed(format!(
                "token server {} did not answer JSON",
                redact_url(realm)
            ))
        })?;
        v["token"]
            .as_str()
            .or_else(|| v["access_token"].as_str())
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                Error::Malformed(format!(
                    "token server {} answered without a token",
                    redact_url(realm)
                ))
            })
    }

    fn scope(r: &RegistryRef, push: bool) -> String {
        format!(
            "repository:{}:{}",
            r.repository,
            if push { "pull,push" } else { "pull" }
        )
    }

    fn bounded<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        envelope_http::bounded(request, &self.options.timeouts)
    }

    /// `GET /v2/`: reachable, and authentication works.
    pub fn ping(&self, r: &RegistryRef) -> Result<(), Error> {
        let url = format!("{}/v2/", self.base_url(r));
        let resp = self.send(&Req {
            method: "GET",
            url: url.clone(),
            scope: String::new(),
            headers: vec![],
            body: None,
            large: false,
        })?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(self.status_error("GET", &url, resp))
        }
    }

    /// A manifest or index: bytes, media type, digest. When the reference is
    /// a digest the bytes are checked against it; otherwise against the
    /// registry's Docker-Content-Digest when it sends one.
    pub fn get_manifest(&self, r: &RegistryRef) -> Result<(Vec<u8>, String, Digest), Error> {
        let url = format!(
            "{}/v2/{}/manifests/{}",
            self.base_url(r),
            r.repository,
            r.reference()
        );
        let resp = self.send(&Req {
            method: "GET",
            url: url.clone(),
            scope: Self::scope(r, false),
            headers: vec![("Accept", MANIFEST_ACCEPT.into())],
            body: None,
            large: false,
        })?;
        if !resp.status().is_success() {
            return Err(self.status_error("GET", &url, resp));
        }
        let media_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let claimed = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<Digest>().ok());
        let body = self
            .read_limited(resp, MANIFEST_LIMIT)
            .map_err(|e| self.body_error("GET", &url, &e))?;
        self.stats
            .bytes_down
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        let actual = Digest::sha256(&body);
        let expected = r
            .digest
            .clone()
            .or(claimed.filter(|d| d.algorithm() == "sha256"));
        if let Some(expected) = expected {
            if expected != actual {
                return Err(Error::DigestMismatch {
                    what: "manifest".into(),
                    url: redact_url(&url),
                    expected,
                    actual,
                });
            }
        }
        let media_type = if media_type.is_empty() || media_type == "application/json" {
            serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["mediaType"].as_str().map(str::to_string))
                .unwrap_or(media_type)
        } else {
            media_type
        };
        Ok((body, media_type, actual))
    }

    /// The digest a tag points to (HEAD), or None when it does not exist.
    pub fn head_manifest(&self, r: &RegistryRef) -> Result<Option<(Digest, String, u64)>, Error> {
        let url = format!(
            "{}/v2/{}/manifests/{}",
            self.base_url(r),
            r.repository,
            r.reference()
        );
        let resp = self.send(&Req {
            method: "HEAD",
            url: url.clone(),
            scope: Self::scope(r, false),
            headers: vec![("Accept", MANIFEST_ACCEPT.into())],
            body: None,
            large: false,
        })?;
        match resp.status().as_u16() {
            404 => Ok(None),
            s if (200..300).contains(&s) => {
                let h = resp.headers();
                let digest = h
                    .get("docker-content-digest")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<Digest>().ok());
                let mt = h
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let len = h
                    .get("content-length")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                match digest {
                    Some(d) => Ok(Some((d, mt, len))),
                    // Without the header, fetch and hash it.
                    None => self
                        .get_manifest(r)
                        .map(|(b, mt, d)| Some((d, mt, b.len() as u64))),
                }
            }
            _ => Err(self.status_error("HEAD", &url, resp)),
        }
    }

    /// The digest a reference points to from one HEAD, or None when it does
    /// not exist or the registry sends no digest header.
    pub fn head_manifest_quick(&self, r: &RegistryRef) -> Result<Option<Digest>, Error> {
        let url = format!(
            "{}/v2/{}/manifests/{}",
            self.base_url(r),
            r.repository,
            r.reference()
        );
        let resp = self.send(&Req {
            method: "HEAD",
            url: url.clone(),
            scope: Self::scope(r, true),
            headers: vec![("Accept", MANIFEST_ACCEPT.into())],
            body: None,
            large: false,
        })?;
        match resp.status().as_u16() {
            s if (200..300).contains(&s) => Ok(resp
                .headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<Digest>().ok())),
            404 => Ok(None),
            _ => Err(self.status_error("HEAD", &url, resp)),
        }
    }

    /// A blob, checked against its descriptor's size and digest while read.
    pub fn get_blob(&self, r: &RegistryRef, desc: &Descriptor) -> Result<Vec<u8>, Error> {
        let url = format!(
            "{}/v2/{}/blobs/{}",
            self.base_url(r),
            r.repository,
            desc.digest
        );
        let mut attempts = self.attempts();
        loop {
            let resp = self.send_within(
                &Req {
                    method: "GET",
                    url: url.clone(),
                    scope: Self::scope(r, false),
                    headers: vec![],
                    body: None,
                    large: true,
                },
                &mut attempts,
            )?;
            if !resp.status().is_success() {
                return Err(self.status_error("GET", &url, resp));
            }
            let mut reader =
                BodyReader::new(resp.into_body().into_reader(), &self.options.timeouts)
                    .take(desc.size.saturating_add(1));
            let mut buf = Vec::with_capacity(usize::try_from(desc.size.min(64 << 20)).unwrap_or(0));
            match reader.read_to_end(&mut buf) {
                Ok(_) => {
                    self.stats
                        .bytes_down
                        .fetch_add(buf.len() as u64, Ordering::Relaxed);
                    if buf.len() as u64 != desc.size {
                        return Err(Error::SizeMismatch {
                            what: format!("blob {}", desc.digest),
                            url: redact_url(&url),
                            expected: desc.size,
                            actual: buf.len() as u64,
                        });
                    }
                    if !desc.digest.matches(&buf) {
                        return Err(Error::DigestMismatch {
                            what: "blob".into(),
                            url: redact_url(&url),
                            expected: desc.digest.clone(),
                            actual: Digest::sha256(&buf),
                        });
                    }
                    return Ok(buf);
                }
                // A connection cut mid-body: fetch it again, while the
                // operation has retries and time left.
                Err(e) => {
                    let timed_out = TimedOut::from_io(&e, &self.options.timeouts).is_some();
                    let Some(wait) = attempts.retry(timed_out, None) else {
                        return Err(self.body_error("GET", &url, &e));
                    };
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(wait);
                }
            }
        }
    }

    pub fn blob_exists(&self, r: &RegistryRef, digest: &Digest) -> Result<bool, Error> {
        let url = format!("{}/v2/{}/blobs/{digest}", self.base_url(r), r.repository);
        let resp = self.send(&Req {
            method: "HEAD",
            url: url.clone(),
            scope: Self::scope(r, true),
            headers: vec![],
            body: None,
            large: false,
        })?;
        match resp.status().as_u16() {
            s if (200..300).contains(&s) => Ok(true),
            404 => Ok(false),
            _ => Err(self.status_error("HEAD", &url, resp)),
        }
    }

    /// Cross-repository mount; true when the registry mounted it.
    pub fn mount_blob(&self, r: &RegistryRef, digest: &Digest, from: &str) -> Result<bool, Error> {
        let url = format!(
            "{}/v2/{}/blobs/uploads/?mount={digest}&from={}",
            self.base_url(r),
            r.repository,
            urlencode(from)
        );
        let scope = format!("{} repository:{from}:pull", Self::scope(r, true));
        let resp = self.send(&Req {
            method: "POST",
            url: url.clone(),
            scope,
            headers: vec![("Content-Length", "0".into())],
            body: None,
            large: false,
        })?;
        Ok(resp.status().as_u16() == 201)
    }

    /// Uploads a blob: POST for a session, then one PUT with the bytes.
    /// Uploads a blob: POST for a session, then the bytes in one PUT, or
    /// for large blobs in PATCH chunks and a closing PUT. `progress` hears
    /// the bytes sent so far. A failure starts a new session (they are
    /// single-use).
    pub fn upload_blob(
        &self,
        r: &RegistryRef,
        digest: &Digest,
        data: &[u8],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), Error> {
        let base = self.base_url(r);
        let chunk = usize::try_from(self.options.chunk_size.unwrap_or(DEFAULT_CHUNK))
            .unwrap_or(usize::MAX)
            .max(1);
        // One operation: the sessions and their requests share the retries
        // and the deadline.
        let mut attempts = self.attempts();
        for attempt in 0..3 {
            let url = format!("{base}/v2/{}/blobs/uploads/", r.repository);
            let resp = self.send_within(
                &Req {
                    method: "POST",
                    url: url.clone(),
                    scope: Self::scope(r, true),
                    headers: vec![("Content-Length", "0".into())],
                    body: None,
                    large: false,
                },
                &mut attempts,
            )?;
            if resp.status().as_u16() != 202 {
                return Err(self.status_error("POST", &url, resp));
            }
            let mut location = upload_location(&base, &url, &resp)?;
            let mut sent = 0usize;
            let mut failed = None;
            if data.len() > chunk {
                for piece in data.chunks(chunk) {
                    let range = format!("{}-{}", sent, sent + piece.len() - 1);
                    let result = self.send_within(
                        &Req {
                            method: "PATCH",
                            url: location.clone(),
                            scope: Self::scope(r, true),
                            headers: vec![
                                ("Content-Type", "application/octet-stream".into()),
                                ("Content-Range", range),
                            ],
                            body: Some(piece),
                            large: true,
                        },
                        &mut attempts,
                    );
                    match result {
                        Ok(resp) if resp.status().as_u16() == 202 => {
                            location = upload_location(&base, &location, &resp)?;
                            sent += piece.len();
                            progress(sent as u64);
                        }
                        Ok(resp) => {
                            failed = Some(self.status_error("PATCH", &location, resp));
                            break;
                        }
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
            }
            if failed.is_none() {
                let mut put = location.clone();
                put.push(if put.contains('?') { '&' } else { '?' });
                put.push_str(&format!("digest={digest}"));
                let rest = &data[sent..];
                let result = self.send_within(
                    &Req {
                        method: "PUT",
                        url: put.clone(),
                        scope: Self::scope(r, true),
                        headers: vec![("Content-Type", "application/octet-stream".into())],
                        body: Some(rest),
                        large: true,
                    },
                    &mut attempts,
                );
                match result {
                    Ok(resp) if resp.status().as_u16() == 201 => {
                        progress(data.len() as u64);
                        return Ok(());
                    }
                    Ok(resp) => failed = Some(self.status_error("PUT", &put, resp)),
                    Err(e) => failed = Some(e),
                }
            }
            // Transport errors, timeouts and statuses are worth a new
            // session while the operation has retries and time left; other
            // errors (digest or auth trouble) are not.
            if let Some(e) = failed {
                let timed_out = matches!(e, Error::TimedOut { .. });
                let worth =
                    timed_out || matches!(e, Error::Transport { .. } | Error::Status { .. });
                let wait = (worth && attempt < 2)
                    .then(|| attempts.retry(timed_out, None))
                    .flatten();
                let Some(wait) = wait else {
                    return Err(e);
                };
                std::thread::sleep(wait);
            }
            progress(0);
        }
        Err(Error::Malformed(format!(
            "upload of {digest} did not complete after 3 sessions"
        )))
    }

    /// PUT a manifest; checks the registry computed the same digest.
    pub fn put_manifest(
        &self,
        r: &RegistryRef,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest, Error> {
        self.put_manifest_subject(r, reference, media_type, bytes)
            .map(|(d, _)| d)
    }

    /// The referrers of `subject` from the referrers API
    /// (`GET /v2/NAME/referrers/DIGEST`), or None when the registry does
    /// not offer it (404, or an answer that is not an image index).
    pub fn get_referrers(
        &self,
        r: &RegistryRef,
        subject: &Digest,
    ) -> Result<Option<envelope_oci::ImageIndex>, Error> {
        let url = format!(
            "{}/v2/{}/referrers/{subject}",
            self.base_url(r),
            r.repository
        );
        let resp = self.send(&Req {
            method: "GET",
            url: url.clone(),
            scope: Self::scope(r, false),
            headers: vec![("Accept", envelope_oci::media_types::OCI_INDEX.into())],
            body: None,
            large: false,
        })?;
        match resp.status().as_u16() {
            404 | 405 => return Ok(None),
            s if (200..300).contains(&s) => {}
            _ => return Err(self.status_error("GET", &url, resp)),
        }
        let body = self
            .read_limited(resp, MANIFEST_LIMIT)
            .map_err(|e| self.body_error("GET", &url, &e))?;
        Ok(serde_json::from_slice(&body).ok())
    }

    /// PUT a manifest; also says whether the registry processed its
    /// `subject` (the OCI-Subject response header of registries with the
    /// referrers API).
    pub fn put_manifest_subject(
        &self,
        r: &RegistryRef,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<(Digest, bool), Error> {
        let url = format!(
            "{}/v2/{}/manifests/{reference}",
            self.base_url(r),
            r.repository
        );
        let resp = self.send(&Req {
            method: "PUT",
            url: url.clone(),
            scope: Self::scope(r, true),
            headers: vec![("Content-Type", media_type.into())],
            body: Some(bytes),
            large: false,
        })?;
        if resp.status().as_u16() != 201 && !resp.status().is_success() {
            return Err(self.status_error("PUT", &url, resp));
        }
        let subject_seen = resp.headers().get("oci-subject").is_some();
        let ours = Digest::sha256(bytes);
        if let Some(theirs) = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<Digest>().ok())
        {
            if theirs != ours {
                return Err(Error::DigestMismatch {
                    what: "pushed manifest".into(),
                    url: redact_url(&url),
                    expected: ours,
                    actual: theirs,
                });
            }
        }
        Ok((ours, subject_seen))
    }
}

/// A transport failure: the timeout that fired, or what went wrong.
fn failure(
    method: &'static str,
    url: &str,
    timed_out: Option<TimedOut>,
    e: &dyn std::fmt::Display,
) -> Error {
    let url = redact_url(url);
    match timed_out {
        Some(source) => Error::TimedOut {
            method,
            url,
            source,
        },
        None => Error::Transport {
            method,
            url,
            detail: e.to_string(),
        },
    }
}

/// The upload session URL from a POST or PATCH response.
fn upload_location(base: &str, url: &str, resp: &Response<Body>) -> Result<String, Error> {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(|l| absolute(base, l))
        .ok_or_else(|| Error::Malformed(format!("{} gave no upload location", redact_url(url))))
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// The whole body, refused when it is larger than `limit`: a manifest cut
/// at the limit would hash to a digest that names nothing.
fn read_limited(body: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let buf = read_prefix(body, limit.saturating_add(1))?;
    if buf.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the response is larger than the {limit} bytes envelope reads"),
        ));
    }
    Ok(buf)
}

/// At most the first `limit` bytes of the body.
fn read_prefix(body: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    body.take(limit).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The registry's own error message (OCI error codes), short.
fn error_detail(body: impl Read) -> String {
    let Ok(body) = read_prefix(body, 64 * 1024) else {
        return String::new();
    };
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
        if let Some(errs) = v["errors"].as_array() {
            return errs
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e["code"].as_str().unwrap_or(""),
                        e["message"].as_str().unwrap_or("")
                    )
                    .trim()
                    .to_string()
                })
                .collect::<Vec<_>>()
                .join("; ");
        }
    }
    String::from_utf8_lossy(&body[..body.len().min(200)])
        .trim()
        .to_string()
}

fn host_of_url(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else {
        format!(
            "{base}{}{location}",
            if location.starts_with('/') { "" } else { "/" }
        )
    }
}

/// A URL for messages: no user info, no query (upload state, tokens).
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest
        .split_once('@')
        .filter(|(userinfo, _)| !userinfo.contains('/'))
        .map_or(rest, |(_, r)| r);
    let rest = rest.split('?').next().unwrap_or(rest);
    if scheme.is_empty() {
        rest.to_string()
    } else {
        format!("{scheme}://{rest}")
    }
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            redact_url("https://u:p@reg.io/v2/x?_state=secret"),
            "https://reg.io/v2/x"
        );
        assert_eq!(
            absolute("http://h:1", "/v2/x/blobs/uploads/u?_state=s"),
            "http://h:1/v2/x/blobs/uploads/u?_state=s"
        );
        assert_eq!(absolute("http://h:1", "https://other/x"), "https://other/x");
        assert_eq!(
            urlencode("repository:a/b:pull,push"),
            "repository%3Aa%2Fb%3Apull%2Cpush"
        );
        assert_eq!(host_of_url("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
    }

    /// A manifest over the limit was hashed cut at the limit when the
    /// registry sent no digest header, so `digest` printed (and `pin`
    /// wrote) a digest that names nothing. It is refused now.
    #[test]
    fn bodies_over_the_limit_are_refused_not_cut() {
        let body = |n: usize| {
            Response::builder()
                .body(Body::builder().data(vec![b'x'; n]))
                .expect("response")
                .into_body()
                .into_reader()
        };
        assert_eq!(read_limited(body(10), 10).expect("at the limit").len(), 10);
        let err = read_limited(body(11), 10).expect_err("over the limit");
        assert!(
            err.to_string().contains("larger than the 10 bytes"),
            "{err}"
        );
        assert_eq!(read_prefix(body(11), 10).expect("prefix").len(), 10);
    }
}
