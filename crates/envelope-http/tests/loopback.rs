//! The agent's timeouts against real loopback servers: one that accepts
//! and never answers, one that trickles its body, one that is slow but
//! fast enough.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use envelope_http::{agent, AgentOptions, BodyReader, TimedOut, Timeouts};

/// A server on 127.0.0.1 answering each connection with `answer` as soon
/// as it is accepted (the request is never read: these answers do not
/// depend on it); its URL.
fn serve(answer: fn(TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || listener.incoming().flatten().for_each(answer));
    url
}

fn options(n: Duration) -> AgentOptions {
    AgentOptions {
        timeouts: Timeouts::scaled(n),
        ..AgentOptions::default()
    }
}

#[test]
fn a_server_that_never_answers_is_a_first_byte_timeout() {
    let url = serve(|stream| {
        std::thread::sleep(Duration::from_secs(30));
        drop(stream);
    });
    let opts = options(Duration::from_millis(500));
    let start = Instant::now();
    let err = agent(&opts)
        .expect("agent")
        .get(format!("{url}/v2/"))
        .call()
        .expect_err("no answer");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        TimedOut::from_ureq(&err, &opts.timeouts),
        Some(TimedOut::FirstByte(Duration::from_millis(500))),
        "{err}"
    );
}

#[test]
fn a_body_that_stops_is_an_idle_timeout_and_a_trickle_a_rate_timeout() {
    let stalls = serve(|mut stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
        std::thread::sleep(Duration::from_secs(30));
    });
    let trickles = serve(|mut stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        for _ in 0..100 {
            if stream.write_all(b"x").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let opts = options(Duration::from_millis(500));
    let agent = agent(&opts).expect("agent");
    for (url, want) in [
        (stalls, TimedOut::Idle(Duration::from_millis(500))),
        (
            trickles,
            TimedOut::Rate {
                actual: 0,
                min: 1024,
                window: Duration::from_millis(500),
            },
        ),
    ] {
        let start = Instant::now();
        let resp = agent.get(&url).call().expect("a response head");
        let mut body = BodyReader::new(resp.into_body().into_reader(), &opts.timeouts);
        let err = body.read_to_end(&mut Vec::new()).expect_err("stalled");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
        let got = TimedOut::from_io(&err, &opts.timeouts);
        match (&got, &want) {
            (Some(TimedOut::Rate { min, actual, .. }), TimedOut::Rate { .. }) => {
                assert!(*min == 1024 && *actual < 100, "{got:?}");
            }
            _ => assert_eq!(got.as_ref(), Some(&want), "{err}"),
        }
    }
}

#[test]
fn a_slow_body_above_the_minimum_rate_is_read_whole() {
    // 20 KiB in 2 KiB pieces every 100 ms: 20 KiB/s, above 1 KiB/s, yet
    // longer in all than the 500 ms first-byte, idle and rate window.
    let url = serve(|mut stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 20480\r\n\r\n");
        for _ in 0..10 {
            if stream.write_all(&[b'x'; 2048]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let opts = options(Duration::from_millis(500));
    let resp = agent(&opts)
        .expect("agent")
        .get(&url)
        .call()
        .expect("response");
    let mut out = Vec::new();
    BodyReader::new(resp.into_body().into_reader(), &opts.timeouts)
        .read_to_end(&mut out)
        .expect("fast enough");
    assert_eq!(out.len(), 20480);
}
