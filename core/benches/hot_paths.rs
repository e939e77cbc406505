//! Micro-benchmarks of the paths every send and listing goes through: SASL encoding,
//! a token cache hit, and summary decoding (alone, and inside a whole IMAP listing).
//! `cargo bench -p oauthmail --bench hot_paths`; the numbers go to tests/bench/RESULTS.md.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oauthmail::authority::Authority;
use oauthmail::imap::{ImapClient, ImapConfig, ListOptions};
use oauthmail::sasl::Mechanism;
use oauthmail::tls::TlsTrust;
use oauthmail::{
    CredentialOptions, MessageSummary, Secret, Security, StaticTokenCredential, TokenCredential,
    UsernamePasswordCredential,
};
use oauthmail_testkit::{INBOX, TestKit, TokenRequest, fixture};

/// About the size of an Exchange Online access token (a signed JWT).
fn jwt_sized_token() -> Secret {
    let segment = |n: usize| "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9".chars().cycle().take(n).collect::<String>();
    Secret::new(format!("{}.{}.{}", segment(90), segment(1400), segment(342)))
}

fn sasl(c: &mut Criterion) {
    let token = jwt_sized_token();
    let mut g = c.benchmark_group("sasl");
    for mechanism in [Mechanism::Xoauth2, Mechanism::OAuthBearer] {
        g.bench_function(mechanism.name(), |b| {
            b.iter(|| {
                mechanism.initial_response_base64(black_box("bob@example.test"), &token, "outlook.office365.com", 993)
            })
        });
    }
    g.finish();
}

fn token_cache_hit(c: &mut Criterion) {
    let mut g = c.benchmark_group("token_cache_hit");
    let fixed = StaticTokenCredential::new(jwt_sized_token(), None).unwrap();
    g.bench_function("StaticTokenCredential", |b| b.iter(|| fixed.get_token(black_box(&[]))));

    // A real credential: the first call fetches from the test kit, every later one is a hit.
    let kit = TestKit::start_default().expect("the test kit starts");
    let options = CredentialOptions::default()
        .with_authority(Authority::microsoft(&kit.authority()).expect("the kit's URL"))
        .with_tls(TlsTrust::with_pem(kit.ca_pem().as_bytes()).expect("the kit's CA"));
    let password = UsernamePasswordCredential::new(
        fixture::TENANT_ID,
        fixture::PUBLIC_APP_ID,
        fixture::BOB,
        fixture::BOB_PASSWORD,
        options,
    )
    .expect("the credential builds");
    password.get_token(&[]).expect("the first token");
    g.bench_function("UsernamePasswordCredential", |b| b.iter(|| password.get_token(black_box(&[]))));
    g.finish();
    assert_eq!(kit.token_requests(), 1, "every timed call was a cache hit");
}

/// The header block a listing fetches, for the four kinds of message tests/mailstack seeds.
fn seeded_headers(i: usize) -> String {
    let subject = match i % 4 {
        0 => format!("Seed message {i}"),
        1 => format!("=?UTF-8?B?5Lya6K6u57qq6KaBIHtp?= =?UTF-8?Q?{i}?="),
        2 => format!("Re: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_{i}?="),
        _ => format!("Report {i} attached"),
    };
    let content_type = if i % 4 == 3 { "multipart/mixed; boundary=\"=_mixed_1\"" } else { "text/plain; charset=UTF-8" };
    format!(
        "Date: Mon, 1 Jan 2024 10:{:02}:00 +0000\r\nSubject: {subject}\r\n\
         From: =?UTF-8?Q?Carol_S=C3=A9nder?= <carol@example.test>\r\nTo: <bob@example.test>\r\n\
         Message-ID: <seed-1-{i}@example.test>\r\nContent-Type: {content_type}\r\n\r\n",
        i % 60
    )
}

fn summary_decoding(c: &mut Criterion) {
    let blocks: Vec<String> = (0..4).map(seeded_headers).collect();
    let mut g = c.benchmark_group("summary");
    g.throughput(Throughput::Elements(blocks.len() as u64));
    g.bench_function("from_headers_x4_kinds", |b| {
        b.iter(|| {
            for (uid, h) in blocks.iter().enumerate() {
                black_box(MessageSummary::from_headers(uid as u32, h.as_bytes()));
            }
        })
    });
    g.finish();
}

/// A whole listing: one FETCH of 1,000 messages read over TLS and parsed into summaries,
/// from the test kit's IMAP server in this process.
fn imap_listing(c: &mut Criterion) {
    const COUNT: usize = 1000;
    let kit = TestKit::start_default().expect("the test kit starts");
    for i in 0..COUNT {
        let raw = format!("{}Hello {i}\r\n", seeded_headers(i));
        kit.store().append(fixture::BOB, INBOX, raw.as_bytes(), &["\\Seen"]);
    }
    let ca = TlsTrust::with_pem(kit.ca_pem().as_bytes()).expect("the kit's CA");
    let token = kit.issue_token(&TokenRequest::user(fixture::BOB, &["IMAP.AccessAsUser.All"]));
    let mut config = ImapConfig::new("127.0.0.1", kit.imap_tls_port(), fixture::BOB);
    config.security = Some(Security::Tls);
    config.ca = ca;
    config.timeout = Duration::from_secs(30);
    let imap = ImapClient::new(config, Arc::new(StaticTokenCredential::new(token, None).unwrap())).expect("the client");
    let options = ListOptions { batch_size: COUNT, ..ListOptions::default() };

    let mut g = c.benchmark_group("imap");
    g.sample_size(10).throughput(Throughput::Elements(COUNT as u64));
    g.bench_function("list_1000_testkit", |b| {
        b.iter(|| {
            let listed = imap.list_messages(INBOX, &options).expect("the listing");
            assert_eq!(listed.len(), COUNT);
            listed
        })
    });
    g.finish();
}

criterion_group!(benches, sasl, token_cache_hit, summary_decoding, imap_listing);
criterion_main!(benches);
