//! Token requests go through an explicit proxy, or the one named by
//! `HTTPS_PROXY` unless `NO_PROXY` exempts the host. A separate test binary,
//! because it changes the process environment.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use common::{fixture, options, start_kit};
use oauthmail::{ClientSecretCredential, TokenCredential};

/// A minimal HTTP CONNECT proxy that records the targets it tunnels to.
fn start_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || tunnel(client, &log));
        }
    });
    (url, seen)
}

fn tunnel(client: TcpStream, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut header = String::new();
    while reader.read_line(&mut header).map(|n| n > 2).unwrap_or(false) {
        header.clear();
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("").to_owned());
    let mut client = client;
    if method != "CONNECT" {
        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    log.lock().unwrap().push(target.clone());
    let upstream = TcpStream::connect(&target).unwrap();
    client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").unwrap();
    let (mut up_r, mut up_w) = (upstream.try_clone().unwrap(), upstream);
    let mut client_w = client.try_clone().unwrap();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_r, &mut client_w);
        let _ = client_w.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut reader, &mut up_w);
    let _ = up_w.shutdown(Shutdown::Write);
}

fn credential(opts: oauthmail::CredentialOptions) -> ClientSecretCredential {
    ClientSecretCredential::new(
        fixture::TENANT_ID,
        fixture::CONFIDENTIAL_APP_ID,
        fixture::CONFIDENTIAL_APP_SECRET,
        opts,
    )
    .unwrap()
}

#[test]
fn explicit_and_environment_proxies() {
    let kit = start_kit();
    let kit_host = kit.authority().trim_start_matches("https://").to_owned();
    let (proxy, seen) = start_proxy();

    // Explicit proxy setting.
    let mut opts = options(&kit);
    opts.http.proxy = Some(proxy.clone());
    credential(opts).get_token(&[]).unwrap();
    assert_eq!(*seen.lock().unwrap(), [kit_host]);

    // SAFETY: this test binary has one test, so no other thread reads the environment.
    unsafe {
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
        std::env::set_var("HTTPS_PROXY", &proxy);
    }
    credential(options(&kit)).get_token(&[]).unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2, "HTTPS_PROXY was used");

    unsafe {
        std::env::set_var("NO_PROXY", "127.0.0.1");
    }
    credential(options(&kit)).get_token(&[]).unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2, "NO_PROXY exempts the host");
    assert_eq!(kit.token_requests(), 3);

    // A proxy that cannot be reached is a network error, not a hang.
    unsafe {
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("HTTPS_PROXY");
    }
    let mut opts = options(&kit);
    opts.http.proxy = Some("http://127.0.0.1:1".into());
    opts.http.retry = oauthmail::http::RetryPolicy::none();
    let err = credential(opts).get_token(&[]).unwrap_err();
    assert_eq!(err.kind(), oauthmail::ErrorKind::Network, "{err}");
}
