//! The load benchmark: what a turn costs through the SDK, against the bare HTTP work.
//!
//! ```text
//! cargo bench --bench load                 # the full run, a few minutes
//! cargo bench --bench load -- --quick      # a short run (less precise)
//! cargo bench --bench load -- --help       # every option
//! ```
//!
//! On 127.0.0.1 only: this process serves a fast mock Bot Connector (and, for the
//! authenticated mode, a token endpoint and OpenID metadata + JWKS) and drives the load
//! (wrk when on PATH, else a Rust generator); each server under test runs in a process of
//! its own (this binary again, `--serve MODE`), so that its CPU time (`/proc/<pid>/stat`)
//! and peak RSS (`VmHWM`) are its own. Rounds alternate between the modes, and the report
//! gives each mode's turns/s, p50/p99 latency, CPU per turn and peak RSS, and the ratios
//! (SDK / bare baseline, authenticated / anonymous, with state / without) with the targets
//! of `docs/performance.md`. Every round checks that each successful turn's reply reached
//! the mock connector; the run fails (exit code 1) if one did not.
//!
//! Then the scale measurements: proactive fan-out to 10 000 conversations through
//! `continue_conversation`, and the memory of 100 000 conversations' state in
//! `MemoryStorage`.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::print_stdout,
    clippy::print_stderr
)]

use botbuilder_test_support as support;

mod generator;
mod mock;
mod procfs;
mod scale;
mod servers;
mod workload;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use generator::{Generator, Load, RoundResult};
use mock::MockConnector;
use workload::Workload;

/// The test app id, password, key and token claims of the connector's tests.
pub(crate) mod auth {
    pub(crate) use crate::support::auth::{APP_ID, PASSWORD, TestKey, channel_claims};
}

/// A server under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Baseline,
    Sdk,
    SdkAuth,
    SdkStateMemory,
    SdkStateSqlite,
    /// `sdk` with telemetry on: spans and metrics exported over OTLP/HTTP (feature `otel`).
    SdkOtel,
}

impl Mode {
    #[cfg(not(feature = "otel"))]
    const ALL: [Mode; 5] = [
        Mode::Baseline,
        Mode::Sdk,
        Mode::SdkAuth,
        Mode::SdkStateMemory,
        Mode::SdkStateSqlite,
    ];
    #[cfg(feature = "otel")]
    const ALL: [Mode; 6] = [
        Mode::Baseline,
        Mode::Sdk,
        Mode::SdkAuth,
        Mode::SdkStateMemory,
        Mode::SdkStateSqlite,
        Mode::SdkOtel,
    ];

    fn name(self) -> &'static str {
        match self {
            Mode::Baseline => "baseline",
            Mode::Sdk => "sdk",
            Mode::SdkAuth => "sdk-auth",
            Mode::SdkStateMemory => "sdk-state-memory",
            Mode::SdkStateSqlite => "sdk-state-sqlite",
            Mode::SdkOtel => "sdk-otel",
        }
    }

    fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown mode {name:?}: expected one of {}",
                    Self::ALL.map(Mode::name).join(", ")
                )
            })
    }
}

const HELP: &str = "\
The load benchmark of botbuilder-rs (see docs/performance.md).

USAGE: cargo bench --bench load -- [OPTIONS]

OPTIONS:
  --quick                 1 round of 2 s per mode, smaller scale runs (a rough figure)
  --duration SECONDS      length of each measured round (default 5)
  --rounds N              rounds per mode, alternating between modes (default 3)
  --connections N         concurrent keep-alive connections (default 64)
  --generator G           auto (wrk if on PATH, else Rust), wrk or rust (default auto)
  --modes A,B,...         modes to run (default all): baseline, sdk, sdk-auth,
                          sdk-state-memory, sdk-state-sqlite, and with --features otel
                          sdk-otel (telemetry on: OTLP export of spans and metrics)
  --fanout N              conversations of the proactive fan-out (default 10000; 0 skips)
  --fanout-concurrency N  continue_conversation calls in flight (default 64)
  --conversations N       conversations held in MemoryStorage (default 100000; 0 skips)
  --json PATH             also write the results as JSON
  --wrap-server CMD       start each server under CMD (for profiling), e.g.
                          \"valgrind --tool=callgrind --callgrind-out-file=callgrind.%p\"
";

#[derive(Debug)]
struct Options {
    duration: Duration,
    warmup: Duration,
    rounds: u32,
    connections: usize,
    generator: String,
    modes: Vec<Mode>,
    fanout: u64,
    fanout_concurrency: usize,
    conversations: u64,
    json: Option<String>,
    wrap_server: Option<String>,
    /// Run by `cargo test`: a quick check that the harness works.
    smoke: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(5),
            warmup: Duration::from_secs(2),
            rounds: 3,
            connections: 64,
            generator: "auto".to_owned(),
            modes: Mode::ALL.to_vec(),
            fanout: 10_000,
            fanout_concurrency: 64,
            conversations: 100_000,
            json: None,
            wrap_server: None,
            smoke: false,
        }
    }
}

/// What the command line asks for.
enum Task {
    Help,
    Run(Options),
    Serve(servers::ServeOptions),
    FanOut {
        service_url: String,
        count: u64,
        concurrency: usize,
    },
    Memory {
        count: u64,
    },
}

fn parse_args(args: Vec<String>) -> Result<Task, String> {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: the harness then
    // checks itself with a run of a few seconds.
    let benching = args.iter().any(|a| a == "--bench");
    let args: Vec<String> = args.into_iter().filter(|a| a != "--bench").collect();
    let mut args = args.into_iter();
    let mut options = Options::default();
    if !benching {
        options.smoke = true;
        options.duration = Duration::from_millis(1000);
        options.warmup = Duration::from_millis(300);
        options.rounds = 1;
        options.connections = 8;
        options.fanout = 200;
        options.conversations = 2_000;
    }
    let mut serve = None;
    let mut scale = None;
    let mut mock_url = String::new();
    let mut count = 0;
    let mut concurrency = 64;
    fn value(args: &mut std::vec::IntoIter<String>, name: &str) -> Result<String, String> {
        args.next().ok_or_else(|| format!("{name} needs a value"))
    }
    fn number<T: std::str::FromStr>(text: &str, name: &str) -> Result<T, String> {
        text.parse()
            .map_err(|_| format!("{name}: {text:?} is not a number"))
    }
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Task::Help),
            "--quick" => {
                options.duration = Duration::from_secs(2);
                options.warmup = Duration::from_secs(1);
                options.rounds = 1;
                options.fanout = 2_000;
                options.conversations = 20_000;
            }
            "--duration" => {
                let seconds: f64 = number(&value(&mut args, &arg)?, &arg)?;
                if !(seconds > 0.0 && seconds < 3600.0) {
                    return Err("--duration: between 0 and 3600 seconds".into());
                }
                options.duration = Duration::from_secs_f64(seconds);
            }
            "--rounds" => options.rounds = number(&value(&mut args, &arg)?, &arg)?,
            "--connections" => options.connections = number(&value(&mut args, &arg)?, &arg)?,
            "--generator" => options.generator = value(&mut args, &arg)?,
            "--modes" => {
                options.modes = value(&mut args, &arg)?
                    .split(',')
                    .map(|m| Mode::parse(m.trim()))
                    .collect::<Result<_, _>>()?;
            }
            "--fanout" => options.fanout = number(&value(&mut args, &arg)?, &arg)?,
            "--fanout-concurrency" => {
                options.fanout_concurrency = number(&value(&mut args, &arg)?, &arg)?;
            }
            "--conversations" => options.conversations = number(&value(&mut args, &arg)?, &arg)?,
            "--json" => options.json = Some(value(&mut args, &arg)?),
            "--wrap-server" => options.wrap_server = Some(value(&mut args, &arg)?),
            // Internal: the processes this benchmark starts.
            "--serve" => serve = Some(Mode::parse(&value(&mut args, &arg)?)?),
            "--mock" => mock_url = value(&mut args, &arg)?,
            "--scale" => scale = Some(value(&mut args, &arg)?),
            "--count" => count = number(&value(&mut args, &arg)?, &arg)?,
            "--concurrency" => concurrency = number(&value(&mut args, &arg)?, &arg)?,
            other => return Err(format!("unknown option {other:?} (see --help)")),
        }
    }
    if options.rounds == 0 || options.connections == 0 || options.fanout_concurrency == 0 {
        return Err("--rounds, --connections and --fanout-concurrency must be at least 1".into());
    }
    Ok(match (serve, scale.as_deref()) {
        (Some(mode), _) => Task::Serve(servers::ServeOptions { mode, mock_url }),
        (None, Some("fanout")) => Task::FanOut {
            service_url: mock_url,
            count,
            concurrency,
        },
        (None, Some("memory")) => Task::Memory { count },
        (None, Some(other)) => return Err(format!("unknown --scale {other:?}")),
        (None, None) => Task::Run(options),
    })
}

fn main() {
    let task = match parse_args(std::env::args().skip(1).collect()) {
        Ok(task) => task,
        Err(message) => {
            eprintln!("load: {message}");
            std::process::exit(2);
        }
    };
    let outcome: Result<bool, String> = match task {
        Task::Help => {
            print!("{HELP}");
            Ok(true)
        }
        Task::Serve(options) => servers::serve(options)
            .map(|()| true)
            .map_err(|e| e.to_string()),
        Task::FanOut {
            service_url,
            count,
            concurrency,
        } => scale::fan_out(&service_url, count, concurrency)
            .and_then(|r| Ok(serde_json::to_string(&r)?))
            .map(|line| {
                println!("{line}");
                true
            })
            .map_err(|e| e.to_string()),
        Task::Memory { count } => scale::memory(count)
            .and_then(|r| Ok(serde_json::to_string(&r)?))
            .map(|line| {
                println!("{line}");
                true
            })
            .map_err(|e| e.to_string()),
        Task::Run(options) => run(&options),
    };
    match outcome {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(message) => {
            eprintln!("load: {message}");
            std::process::exit(1);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The orchestrator.
// ---------------------------------------------------------------------------------------

/// A server process under test.
struct Server {
    mode: Mode,
    addr: SocketAddr,
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Server {
    fn start(mode: Mode, mock_url: &str, wrapper: Option<&str>) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("finding this binary: {e}"))?;
        let mut wrapper = wrapper.unwrap_or("").split_whitespace();
        let mut command = match wrapper.next() {
            Some(program) => {
                let mut command = Command::new(program);
                command.args(wrapper).arg(exe);
                command
            }
            None => Command::new(exe),
        };
        let mut child = command
            .args(["--bench", "--serve", mode.name(), "--mock", mock_url])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting the {} server: {e}", mode.name()))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("reading the {} server's address: {e}", mode.name()))?;
        let addr = line
            .trim()
            .strip_prefix("LISTENING ")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("the {} server did not start ({line:?})", mode.name()))?;
        Ok(Self {
            mode,
            addr,
            child,
            stdin,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes its standard input (it stops) and waits a little for it.
    fn stop(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One measured round of one mode.
#[derive(Clone, Debug)]
struct Sample {
    round: u32,
    load: RoundResult,
    cpu: Duration,
    replies: u64,
}

impl Sample {
    fn turns_per_second(&self) -> f64 {
        self.load.turns_per_second()
    }

    fn cpu_per_turn(&self) -> Duration {
        if self.load.ok == 0 {
            return Duration::ZERO;
        }
        self.cpu / u32::try_from(self.load.ok).unwrap_or(u32::MAX)
    }
}

fn run(options: &Options) -> Result<bool, String> {
    let generator = Generator::pick(&options.generator)?;
    let load_before = procfs::load_average();
    println!("botbuilder-rs load benchmark");
    println!("  machine:     {}", procfs::machine());
    println!(
        "  load avg:    {}",
        load_before.map_or("unknown".to_owned(), |(a, b, c)| format!(
            "{a:.2} {b:.2} {c:.2} (1, 5, 15 min) at start"
        ))
    );
    println!("  generator:   {}", generator.describe());
    if options.smoke {
        println!(
            "  note:        a check of the harness (not run by `cargo bench`): short rounds, a test build; the figures mean nothing"
        );
    }
    println!(
        "  rounds:      {} x {:.1} s per mode (after a {:.1} s warm-up), {} connections, alternating {}",
        options.rounds,
        options.duration.as_secs_f64(),
        options.warmup.as_secs_f64(),
        options.connections,
        options
            .modes
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(" / "),
    );
    println!();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    let key_id = "bench-key";
    let jwk = auth::TestKey::A.jwk(key_id, &["webchat"]);
    let mock = runtime
        .block_on(MockConnector::start(jwk, workload::TEXT))
        .map_err(|e| format!("starting the mock connector: {e}"))?;
    let service_url = mock.service_url();
    let workload = Arc::new(Workload::new(&service_url));
    workload.check(&service_url)?;
    let channel_token = auth::TestKey::A.sign(
        key_id,
        &auth::channel_claims(SystemTime::now(), &service_url),
    );
    let scratch = std::env::temp_dir().join(format!("botbuilder-load-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("creating {scratch:?}: {e}"))?;

    let mut servers = Vec::new();
    for &mode in &options.modes {
        servers.push(Server::start(
            mode,
            &mock.url(),
            options.wrap_server.as_deref(),
        )?);
    }
    let result = measure_all(
        options,
        &generator,
        &runtime,
        &mock,
        &workload,
        &servers,
        &channel_token,
        &scratch,
    );
    let peaks: Vec<(Mode, u64)> = servers
        .iter()
        .map(|s| (s.mode, procfs::peak_rss(s.pid()).unwrap_or(0)))
        .collect();
    for server in servers {
        server.stop();
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let (samples, mut ok) = result?;
    let whole_run = mock.counters.snapshot();

    let mut report = json!({
        "machine": procfs::machine(),
        "load_average_at_start": load_before.map(|(a, b, c)| vec![a, b, c]),
        "generator": generator.describe(),
        "connections": options.connections,
        "round_seconds": options.duration.as_secs_f64(),
        "rounds": options.rounds,
    });
    ok &= print_modes(&samples, &peaks, &mut report);
    print_ratios(&samples, &peaks, &mut report);
    if options.modes.contains(&Mode::SdkAuth) {
        println!(
            "  sdk-auth fetched the OpenID metadata {} time(s), the JWKS {} time(s) and an app token {} time(s) in the whole run",
            whole_run.metadata_requests, whole_run.key_requests, whole_run.token_requests
        );
        report["auth_fetches"] = json!({
            "metadata": whole_run.metadata_requests,
            "jwks": whole_run.key_requests,
            "app_token": whole_run.token_requests,
        });
    }
    println!();
    ok &= run_scale(options, &mock, &runtime, &mut report)?;
    let load_after = procfs::load_average();
    if let Some((a, b, c)) = load_after {
        println!("  load avg at the end: {a:.2} {b:.2} {c:.2}");
        report["load_average_at_end"] = json!([a, b, c]);
    }
    if let Some(path) = &options.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("writing {path}: {e}"))?;
        println!("  results written to {path}");
    }
    if !ok {
        println!(
            "\nFAILED: some replies did not reach the mock connector, or requests failed (see above)"
        );
    }
    Ok(ok)
}

type Measured = (Vec<(Mode, Vec<Sample>)>, bool);

#[allow(clippy::too_many_arguments)]
fn measure_all(
    options: &Options,
    generator: &Generator,
    runtime: &tokio::runtime::Runtime,
    mock: &MockConnector,
    workload: &Arc<Workload>,
    servers: &[Server],
    channel_token: &str,
    scratch: &std::path::Path,
) -> Result<Measured, String> {
    let load_for = |server: &Server, round: u32, duration: Duration| Load {
        target: server.addr,
        connections: options.connections,
        duration,
        round,
        authorization: (server.mode == Mode::SdkAuth).then(|| format!("Bearer {channel_token}")),
    };
    let mut ok = true;
    print!("  warming up:");
    for server in servers {
        print!(" {}", server.mode.name());
        let _ = std::io::stdout().flush();
        let load = load_for(server, 0, options.warmup);
        let warm = generator::run(generator, runtime, workload, &load, scratch)?;
        settle(mock);
        if warm.ok == 0 {
            println!();
            return Err(format!(
                "the {} server answered no request with 200 in the warm-up ({} failed, {} errors)",
                server.mode.name(),
                warm.failed,
                warm.errors
            ));
        }
    }
    println!();
    let mut samples: Vec<(Mode, Vec<Sample>)> =
        servers.iter().map(|s| (s.mode, Vec::new())).collect();
    for round in 1..=options.rounds {
        for (i, server) in servers.iter().enumerate() {
            let before = mock.counters.snapshot();
            let cpu_before = procfs::cpu_time(server.pid())?;
            let load = load_for(server, round, options.duration);
            let result = generator::run(generator, runtime, workload, &load, scratch)?;
            // Turns the generator gave up on at the end (wrk) finish before counting.
            let delta = settle(mock).since(&before);
            let cpu = procfs::cpu_time(server.pid())?.saturating_sub(cpu_before);
            let sample = Sample {
                round,
                load: result,
                cpu,
                replies: delta.replies,
            };
            let problems = check_round(server.mode, &sample, &delta);
            println!(
                "  round {round} {:<17} {:>9.0} turns/s  p50 {:>7.2} ms  p99 {:>7.2} ms  CPU {:>6.1} µs/turn  replies {}/{}{}",
                server.mode.name(),
                sample.turns_per_second(),
                ms(sample.load.p50),
                ms(sample.load.p99),
                us(sample.cpu_per_turn()),
                sample.replies,
                sample.load.ok,
                if problems.is_empty() {
                    String::new()
                } else {
                    format!("  FAILED: {}", problems.join("; "))
                }
            );
            ok &= problems.is_empty();
            samples[i].1.push(sample);
        }
    }
    println!();
    Ok((samples, ok))
}

/// Waits until the mock connector has seen nothing new for 200 ms (turns still running when
/// the load stopped have finished), at most 5 s, and returns its counters.
fn settle(mock: &MockConnector) -> mock::Snapshot {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = mock.counters.snapshot();
    let mut quiet_since = Instant::now();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        let now = mock.counters.snapshot();
        if now != last {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_millis(200) {
            break;
        }
    }
    last
}

/// What went wrong in a round: failed requests, replies missing or malformed, tokens where
/// there should be none.
fn check_round(mode: Mode, sample: &Sample, delta: &mock::Snapshot) -> Vec<String> {
    let mut problems = Vec::new();
    let load = &sample.load;
    if load.ok == 0 {
        problems.push("no request succeeded".to_owned());
    }
    if load.failed > 0 {
        problems.push(format!("{} requests answered other than 200", load.failed));
    }
    if load.errors > 0 {
        problems.push(format!("{} connection errors", load.errors));
    }
    if delta.replies < load.ok {
        problems.push(format!(
            "{} successful turns but only {} replies reached the connector",
            load.ok, delta.replies
        ));
    }
    if delta.replies > load.ok + load.abandoned_at_most {
        problems.push(format!(
            "{} replies for {} successful turns",
            delta.replies, load.ok
        ));
    }
    if delta.bad > 0 {
        problems.push(format!("{} malformed connector requests", delta.bad));
    }
    if delta.proactive > 0 {
        problems.push(format!("{} unexpected proactive messages", delta.proactive));
    }
    let tokens_expected = if mode == Mode::SdkAuth {
        delta.replies
    } else {
        0
    };
    if delta.with_app_token != tokens_expected || delta.with_other_authorization > 0 {
        problems.push(format!(
            "{} of {} replies carried the app token ({} another Authorization)",
            delta.with_app_token, delta.replies, delta.with_other_authorization
        ));
    }
    problems
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn print_modes(samples: &[(Mode, Vec<Sample>)], peaks: &[(Mode, u64)], report: &mut Value) -> bool {
    println!(
        "  {:<17} {:>10} {:>10} {:>10} {:>13} {:>14}",
        "mode (median)", "turns/s", "p50 ms", "p99 ms", "CPU µs/turn", "peak RSS MiB"
    );
    let mut modes = serde_json::Map::new();
    for (mode, list) in samples {
        let peak = peaks.iter().find(|(m, _)| m == mode).map_or(0, |(_, p)| *p);
        let tps = median(list.iter().map(Sample::turns_per_second).collect());
        let p50 = median(list.iter().map(|s| ms(s.load.p50)).collect());
        let p99 = median(list.iter().map(|s| ms(s.load.p99)).collect());
        let cpu = median(list.iter().map(|s| us(s.cpu_per_turn())).collect());
        println!(
            "  {:<17} {:>10.0} {:>10.2} {:>10.2} {:>13.1} {:>14.1}",
            mode.name(),
            tps,
            p50,
            p99,
            cpu,
            mib(peak)
        );
        modes.insert(
            mode.name().to_owned(),
            json!({
                "turns_per_second": tps,
                "p50_ms": p50,
                "p99_ms": p99,
                "cpu_us_per_turn": cpu,
                "peak_rss_mib": mib(peak),
                "rounds": list.iter().map(|s| json!({
                    "round": s.round,
                    "turns": s.load.ok,
                    "replies": s.replies,
                    "turns_per_second": s.turns_per_second(),
                    "p50_ms": ms(s.load.p50),
                    "p99_ms": ms(s.load.p99),
                    "cpu_us_per_turn": us(s.cpu_per_turn()),
                })).collect::<Vec<_>>(),
            }),
        );
    }
    report["modes"] = Value::Object(modes);
    println!();
    true
}

/// A ratio and its target: `at_least` (>=) or at most.
struct Target {
    limit: f64,
    at_least: bool,
}

fn print_ratios(samples: &[(Mode, Vec<Sample>)], peaks: &[(Mode, u64)], report: &mut Value) {
    let find = |mode: Mode| samples.iter().find(|(m, _)| *m == mode).map(|(_, l)| l);
    // Per-round ratios (the two modes ran one after the other), then their median.
    let per_round = |a: &[Sample], b: &[Sample], f: &dyn Fn(&Sample) -> f64| -> Vec<f64> {
        a.iter()
            .zip(b)
            .map(|(x, y)| f(x) / f(y))
            .filter(|r| r.is_finite())
            .collect()
    };
    let mut ratios = Vec::new();
    let mut line = |name: String, values: Vec<f64>, target: Option<Target>| {
        if values.is_empty() {
            return;
        }
        let m = median(values.clone());
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (verdict, target_text) = match &target {
            Some(t) if t.at_least => (
                if m >= t.limit { "met" } else { "MISSED" },
                format!(">= {:.2}", t.limit),
            ),
            Some(t) => (
                if m <= t.limit { "met" } else { "MISSED" },
                format!("<= {:.2}", t.limit),
            ),
            None => ("", String::new()),
        };
        let spread = if values.len() > 1 {
            format!("[{lo:.2}-{hi:.2}]")
        } else {
            String::new()
        };
        println!("  {name:<44} {m:>6.2} {spread:<12} {target_text:<8} {verdict}");
        ratios.push(json!({
            "ratio": name,
            "median": m,
            "per_round": values,
            "target": target_text,
            "verdict": verdict,
        }));
    };
    println!("  ratios (median of the per-round ratios [range])   target");
    let tps = |s: &Sample| s.turns_per_second();
    let cpu = |s: &Sample| us(s.cpu_per_turn());
    let p50 = |s: &Sample| ms(s.load.p50);
    let p99 = |s: &Sample| ms(s.load.p99);
    let peak = |mode: Mode| {
        peaks
            .iter()
            .find(|(m, _)| *m == mode)
            .map(|(_, p)| *p as f64)
    };
    if let (Some(sdk), Some(base)) = (find(Mode::Sdk), find(Mode::Baseline)) {
        let at_least = |limit| {
            Some(Target {
                limit,
                at_least: true,
            })
        };
        let at_most = |limit| {
            Some(Target {
                limit,
                at_least: false,
            })
        };
        line(
            "sdk / baseline: turns/s".into(),
            per_round(sdk, base, &tps),
            at_least(0.9),
        );
        line(
            "sdk / baseline: CPU per turn".into(),
            per_round(sdk, base, &cpu),
            at_most(1.15),
        );
        line(
            "sdk / baseline: p50 latency".into(),
            per_round(sdk, base, &p50),
            None,
        );
        line(
            "sdk / baseline: p99 latency".into(),
            per_round(sdk, base, &p99),
            at_most(1.2),
        );
        if let (Some(a), Some(b)) = (peak(Mode::Sdk), peak(Mode::Baseline)) {
            line("sdk / baseline: peak RSS".into(), vec![a / b], at_most(2.0));
        }
    }
    if let Some(sdk) = find(Mode::Sdk) {
        for (mode, target) in [
            (Mode::SdkAuth, Some(0.85)),
            (Mode::SdkStateMemory, Some(0.8)),
            (Mode::SdkStateSqlite, None),
            (Mode::SdkOtel, Some(0.9)),
        ] {
            if let Some(other) = find(mode) {
                line(
                    format!("{} / sdk: turns/s", mode.name()),
                    per_round(other, sdk, &tps),
                    target.map(|limit| Target {
                        limit,
                        at_least: true,
                    }),
                );
                line(
                    format!("{} / sdk: CPU per turn", mode.name()),
                    per_round(other, sdk, &cpu),
                    // Telemetry on must stay within 10 % of off.
                    (mode == Mode::SdkOtel).then_some(Target {
                        limit: 1.1,
                        at_least: false,
                    }),
                );
            }
        }
    }
    report["ratios"] = Value::Array(ratios);
}

fn run_scale(
    options: &Options,
    mock: &MockConnector,
    runtime: &tokio::runtime::Runtime,
    report: &mut Value,
) -> Result<bool, String> {
    let _ = runtime;
    let exe = std::env::current_exe().map_err(|e| format!("finding this binary: {e}"))?;
    let mut ok = true;
    if options.fanout > 0 {
        let before = mock.counters.snapshot();
        let output = Command::new(&exe)
            .args([
                "--bench",
                "--scale",
                "fanout",
                "--mock",
                &mock.service_url(),
            ])
            .args(["--count", &options.fanout.to_string()])
            .args(["--concurrency", &options.fanout_concurrency.to_string()])
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("running the fan-out: {e}"))?;
        let delivered = mock.counters.snapshot().since(&before);
        let result: scale::FanOutResult = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("the fan-out process failed ({}): {e}", output.status))?;
        let rate = result.sent as f64 / result.seconds;
        println!(
            "  proactive fan-out: {} conversations, {} at a time: {:.0} messages/s, {:.1} µs CPU per message, peak RSS {:.1} MiB ({:.1} MiB before)",
            result.conversations,
            result.concurrency,
            rate,
            result.cpu_seconds * 1e6 / result.sent.max(1) as f64,
            mib(result.peak_rss),
            mib(result.rss_before),
        );
        if result.errors > 0
            || result.sent != result.conversations
            || delivered.proactive != result.conversations
            || delivered.bad > 0
        {
            println!(
                "    FAILED: {} sent, {} errors, {} reached the connector, {} malformed",
                result.sent, result.errors, delivered.proactive, delivered.bad
            );
            ok = false;
        }
        report["fanout"] = json!({
            "conversations": result.conversations,
            "concurrency": result.concurrency,
            "messages_per_second": rate,
            "cpu_us_per_message": result.cpu_seconds * 1e6 / result.sent.max(1) as f64,
            "peak_rss_mib": mib(result.peak_rss),
            "rss_before_mib": mib(result.rss_before),
            "delivered": delivered.proactive,
        });
    }
    if options.conversations > 0 {
        let output = Command::new(&exe)
            .args(["--bench", "--scale", "memory"])
            .args(["--count", &options.conversations.to_string()])
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("running the memory measurement: {e}"))?;
        let result: scale::MemoryResult = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("the memory process failed ({}): {e}", output.status))?;
        let per =
            result.rss_after.saturating_sub(result.rss_before) as f64 / result.conversations as f64;
        println!(
            "  MemoryStorage: {} conversations' state ({} bytes of JSON each): {:.0} bytes of RSS per conversation ({:.1} MiB in all)",
            result.conversations,
            result.document_bytes,
            per,
            mib(result.rss_after.saturating_sub(result.rss_before)),
        );
        if result.stored as u64 != result.conversations {
            println!(
                "    FAILED: {} documents stored for {} conversations",
                result.stored, result.conversations
            );
            ok = false;
        }
        report["memory_storage"] = json!({
            "conversations": result.conversations,
            "document_json_bytes": result.document_bytes,
            "rss_bytes_per_conversation": per,
        });
    }
    Ok(ok)
}
