//! Load generators: wrk (when on PATH) or a Rust one (hyper, one HTTP/1.1 keep-alive
//! connection per virtual client, closed loop). Both send the same mix (see `workload`).

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper_util::rt::TokioIo;

use crate::workload::Workload;

/// What one round of load measured, from the client's side.
#[derive(Clone, Debug, Default)]
pub struct RoundResult {
    /// Requests answered 200.
    pub ok: u64,
    /// Requests answered with another status.
    pub failed: u64,
    /// Connection or protocol errors.
    pub errors: u64,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Requests the generator may have left unanswered when the round ended (wrk does not
    /// wait for them; the Rust generator does, so 0).
    pub abandoned_at_most: u64,
}

impl RoundResult {
    pub fn turns_per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}

/// Which generator drives the load.
#[derive(Clone, Debug)]
pub enum Generator {
    Wrk { version: String },
    Rust,
}

impl Generator {
    /// wrk if it is on PATH (and runs), unless `prefer_rust`.
    pub fn pick(choice: &str) -> Result<Self, String> {
        let wrk = || {
            let out = Command::new("wrk").arg("--version").output().ok()?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            let version = text.lines().next()?.trim().to_owned();
            version.starts_with("wrk").then_some(version)
        };
        match choice {
            "rust" => Ok(Generator::Rust),
            "wrk" => wrk()
                .map(|version| Generator::Wrk { version })
                .ok_or_else(|| "--generator wrk: wrk is not on PATH".to_owned()),
            "auto" => Ok(wrk().map_or(Generator::Rust, |version| Generator::Wrk { version })),
            other => Err(format!("--generator {other}: expected auto, wrk or rust")),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Generator::Wrk { version } => version.clone(),
            Generator::Rust => "Rust generator (hyper, HTTP/1.1 keep-alive)".to_owned(),
        }
    }
}

/// The load of one round.
#[derive(Clone, Debug)]
pub struct Load {
    pub target: SocketAddr,
    pub connections: usize,
    pub duration: Duration,
    pub round: u32,
    pub authorization: Option<String>,
}

/// Runs one round with `generator`.
pub fn run(
    generator: &Generator,
    runtime: &tokio::runtime::Runtime,
    workload: &Arc<Workload>,
    load: &Load,
    scratch: &std::path::Path,
) -> Result<RoundResult, String> {
    match generator {
        Generator::Rust => runtime.block_on(run_rust(Arc::clone(workload), load.clone())),
        Generator::Wrk { .. } => run_wrk(workload, load, scratch),
    }
}

// ---------------------------------------------------------------------------------------
// The Rust generator.
// ---------------------------------------------------------------------------------------

struct ConnectionResult {
    latencies_us: Vec<u32>,
    ok: u64,
    failed: u64,
    errors: u64,
}

async fn run_rust(workload: Arc<Workload>, load: Load) -> Result<RoundResult, String> {
    let authorization = match &load.authorization {
        Some(a) => Some(HeaderValue::from_str(a).map_err(|e| e.to_string())?),
        None => None,
    };
    let host = HeaderValue::from_str(&load.target.to_string()).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let deadline = start + load.duration;
    let tasks: Vec<_> = (0..load.connections)
        .map(|connection| {
            let workload = Arc::clone(&workload);
            let (authorization, host) = (authorization.clone(), host.clone());
            let (target, round) = (load.target, load.round);
            tokio::spawn(async move {
                connection_loop(
                    target,
                    &workload,
                    round,
                    connection,
                    deadline,
                    host,
                    authorization,
                )
                .await
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut result = RoundResult::default();
    for task in tasks {
        let c = task.await.map_err(|e| format!("a load task failed: {e}"))?;
        result.ok += c.ok;
        result.failed += c.failed;
        result.errors += c.errors;
        latencies.extend(c.latencies_us);
    }
    result.elapsed = start.elapsed();
    latencies.sort_unstable();
    result.p50 = percentile(&latencies, 0.50);
    result.p99 = percentile(&latencies, 0.99);
    Ok(result)
}

fn percentile(sorted_us: &[u32], q: f64) -> Duration {
    if sorted_us.is_empty() {
        return Duration::ZERO;
    }
    // Nearest rank.
    let rank = ((q * sorted_us.len() as f64).ceil() as usize).clamp(1, sorted_us.len());
    Duration::from_micros(u64::from(sorted_us[rank - 1]))
}

async fn connection_loop(
    target: SocketAddr,
    workload: &Workload,
    round: u32,
    connection: usize,
    deadline: Instant,
    host: HeaderValue,
    authorization: Option<HeaderValue>,
) -> ConnectionResult {
    let mut result = ConnectionResult {
        latencies_us: Vec::with_capacity(16 * 1024),
        ok: 0,
        failed: 0,
        errors: 0,
    };
    let mut k = 0u64;
    'reconnect: while Instant::now() < deadline {
        let stream = match tokio::net::TcpStream::connect(target).await {
            Ok(stream) => stream,
            Err(_) => {
                result.errors += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await
        else {
            result.errors += 1;
            continue;
        };
        tokio::spawn(conn);
        while Instant::now() < deadline {
            let mut request = Request::post("/api/messages")
                .body(Full::new(workload.body(round, connection, k)))
                .unwrap_or_default();
            k += 1;
            let headers = request.headers_mut();
            headers.insert(HOST, host.clone());
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if let Some(authorization) = &authorization {
                headers.insert(AUTHORIZATION, authorization.clone());
            }
            if sender.ready().await.is_err() {
                result.errors += 1;
                continue 'reconnect;
            }
            let sent_at = Instant::now();
            let answered = match sender.send_request(request).await {
                Ok(response) => {
                    let status = response.status();
                    response
                        .into_body()
                        .collect()
                        .await
                        .map(|_| status)
                        .map_err(|_| ())
                }
                Err(_) => Err(()),
            };
            let micros = u32::try_from(sent_at.elapsed().as_micros()).unwrap_or(u32::MAX);
            match answered {
                Ok(status) if status == hyper::StatusCode::OK => {
                    result.ok += 1;
                    result.latencies_us.push(micros);
                }
                Ok(_) => {
                    result.failed += 1;
                    result.latencies_us.push(micros);
                }
                Err(()) => {
                    result.errors += 1;
                    continue 'reconnect;
                }
            }
        }
    }
    result
}

// ---------------------------------------------------------------------------------------
// wrk.
// ---------------------------------------------------------------------------------------

fn run_wrk(
    workload: &Workload,
    load: &Load,
    scratch: &std::path::Path,
) -> Result<RoundResult, String> {
    let script = scratch.join(format!("round-{}.lua", load.round));
    std::fs::write(
        &script,
        workload.wrk_script(load.round, load.authorization.as_deref()),
    )
    .map_err(|e| format!("writing {}: {e}", script.display()))?;
    let threads = load.connections.clamp(1, 2);
    let seconds = load.duration.as_secs_f64().ceil().max(1.0) as u64;
    let output = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .arg("-s")
        .arg(&script)
        .arg(format!("http://{}/api/messages", load.target))
        .output()
        .map_err(|e| format!("running wrk: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "wrk failed ({}): {}{}",
            output.status,
            text,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    parse_wrk(&text, load.connections as u64)
        .ok_or_else(|| format!("could not read wrk's output:\n{text}"))
}

/// Reads wrk's `--latency` report.
fn parse_wrk(text: &str, connections: u64) -> Option<RoundResult> {
    let mut result = RoundResult {
        abandoned_at_most: connections,
        ..RoundResult::default()
    };
    let mut total = None;
    let mut non_2xx = 0;
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", value] => result.p50 = parse_duration(value)?,
            ["99%", value] => result.p99 = parse_duration(value)?,
            [n, "requests", "in", elapsed, ..] => {
                total = Some(n.parse::<u64>().ok()?);
                result.elapsed = parse_duration(elapsed.trim_end_matches(','))?;
            }
            ["Non-2xx", "or", "3xx", "responses:", n] => non_2xx = n.parse().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                // Socket errors: connect 0, read 0, write 0, timeout 0
                result.errors = rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum();
            }
            _ => {}
        }
    }
    let total = total?;
    result.failed = non_2xx;
    result.ok = total.checked_sub(non_2xx)?;
    Some(result)
}

/// `812.00us`, `1.23ms`, `5.00s`, `2.00m`.
fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}
