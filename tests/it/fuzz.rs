//! Bounded fuzz test (issue #13): a fixed seed, a few thousand mutants of a study spec, of a
//! labelled-csv input-output table and of a covariate CSV, each run through the library the way
//! `gvc check` / a study run would (spec: load + plan, every 50th also as a `gvc check` process;
//! tables: reader, then Leontief core and decompositions), inside `catch_unwind` and under a
//! watchdog. Every mutant must be accepted, or rejected with an error that names its place
//! (`spec.toml:line:column` or `--set …`; the table file and its line/cell; the entry or
//! country for the numeric core). A panic, a hang or an unlocated error fails the test, naming
//! the mutant (written to a file under the temp dir) and its first lines. Each test prints its
//! counts by outcome and step; `GVC_FUZZ_VERBOSE=1` prints every rejection message.
//!
//! How a panic cannot hide: each mutant runs on its own thread named `fuzz-…` inside
//! `catch_unwind`; a panic hook (chained before the default one) also records every panic on a
//! `fuzz-…` thread and every panic located in gvc's own `src/` on any thread (a worker pool's
//! thread, or one that gvc might join and swallow), and each recorded panic fails the test.
//! A crash the process cannot survive (stack overflow, abort) ends the test binary itself; the
//! mutant then in flight is in the `in-flight` file whose path each test prints first.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex, Once};
use std::time::{Duration, Instant};

use crate::common::{self, fresh_dir};

/// Wall-clock bound of one library call on one small mutant (normally a few milliseconds).
const LIBRARY_TIMEOUT: Duration = Duration::from_secs(15);
/// Wall-clock bound of one `gvc check` process.
const CLI_TIMEOUT: Duration = Duration::from_secs(30);
/// Every this many spec mutants also go through the real `gvc check`.
const CLI_EVERY: usize = 50;
/// Failures collected before a kind stops (each is printed in full).
const MAX_FAILURES: usize = 12;

// ------------------------------------------------------------------------------- PRNG

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny deterministic generator, enough to pick
/// mutations reproducibly from a fixed seed (no statistical quality is needed here).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ------------------------------------------------------------------------ the watchdog

/// What one mutant did.
#[derive(Debug)]
enum Outcome {
    /// Accepted; the string says how far it went (e.g. `decomposed`).
    Accepted(&'static str),
    /// Rejected with an error.
    Rejected(Rejection),
    /// Panicked: the message and where.
    Panic(String),
    /// Did not finish within the timeout.
    Hang(Duration),
}

/// An error a mutant was rejected with: the step that refused it (e.g. `reader`) and the
/// message, which must name a place (see [`Tally::new`]).
#[derive(Debug, PartialEq)]
struct Rejection {
    stage: &'static str,
    message: String,
}

/// A rejection at `stage`; with `GVC_FUZZ_VERBOSE` set, the error is printed too (to see which
/// checks the mutants reach).
fn rejected(stage: &'static str, error: impl std::fmt::Display) -> Rejection {
    let message = error.to_string();
    if std::env::var_os("GVC_FUZZ_VERBOSE").is_some() {
        println!("REJECT {stage}: {}", message.replace('\n', " | "));
    }
    Rejection { stage, message }
}

/// Panics recorded by the hook: (thread name, message at location).
static PANICS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Installs (once per process) a panic hook that records every panic on a `fuzz-…` thread and
/// every panic located in gvc's own source tree (`src/…`) on any thread, then runs the
/// previous hook (so the usual message is still printed).
fn install_panic_recorder() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current()
                .name()
                .unwrap_or("<unnamed>")
                .to_string();
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_else(|| "<unknown>".into());
            if thread.starts_with("fuzz-") || location.starts_with("src/") {
                let text = payload_text(info.payload());
                PANICS
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((thread, format!("{text} at {location}")));
            }
            previous(info);
        }));
    });
}

/// Panics recorded so far on this kind's worker threads (named `fuzz-<kind>-<index>`) or on a
/// thread that is no fuzz worker, emptied; those of the other kinds' tests (running in
/// parallel) are left for them.
fn take_recorded_panics(kind: &str) -> Vec<(String, String)> {
    let own = format!("fuzz-{kind}-");
    let mut all = PANICS.lock().unwrap_or_else(|p| p.into_inner());
    let (mine, others) = std::mem::take(&mut *all)
        .into_iter()
        .partition(|(thread, _)| thread.starts_with(&own) || !thread.starts_with("fuzz-"));
    *all = others;
    mine
}

fn payload_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "<non-text panic payload>".into())
}

/// Runs `job` on a fresh thread named `fuzz-<name>` inside `catch_unwind`, waiting at most
/// `timeout`. `Ok(stage)` is an acceptance, `Err(rejection)` a rejection. A hung thread is left
/// behind (it cannot be killed); the caller stops its loop.
fn guarded<F>(name: &str, timeout: Duration, job: F) -> Outcome
where
    F: FnOnce() -> Result<&'static str, Rejection> + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name(format!("fuzz-{name}"))
        // The size of a main thread's stack, on which the `gvc` binary runs the same code.
        .stack_size(8 << 20)
        .spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(job));
            let _ = tx.send(r.map_err(|p| payload_text(&*p)));
        })
        .expect("spawn fuzz worker");
    let outcome = match rx.recv_timeout(timeout) {
        Ok(Ok(Ok(stage))) => Outcome::Accepted(stage),
        Ok(Ok(Err(rejection))) => Outcome::Rejected(rejection),
        Ok(Err(message)) => Outcome::Panic(message),
        Err(mpsc::RecvTimeoutError::Timeout) => return Outcome::Hang(timeout),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Outcome::Panic("the worker thread ended without a result".into())
        }
    };
    let _ = handle.join();
    outcome
}

/// Runs `gvc args…` in `dir`, killing it after `timeout`.
fn cli_outcome(dir: &Path, args: &[String], timeout: Duration) -> Outcome {
    let mut child = std::process::Command::new(common::gvc_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("GVC_CACHE")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run gvc");
    // Drain stderr on a thread so a chatty child cannot block on a full pipe.
    let mut stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for gvc") {
            break Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let err = reader.join().unwrap_or_default();
    match status {
        None => Outcome::Hang(timeout),
        Some(s) if err.contains("panicked at") || s.code() == Some(101) || s.code().is_none() => {
            Outcome::Panic(format!("gvc {} exited with {s}: {err}", args.join(" ")))
        }
        Some(s) if s.success() => Outcome::Accepted("cli"),
        Some(_) => Outcome::Rejected(rejected("cli", err)),
    }
}

/// Writes a file anew (unlinks it first): rewriting a file in place makes ext4 flush it to disk
/// on close (`auto_da_alloc`), which costs milliseconds per mutant.
fn write_fresh(path: &Path, bytes: &[u8]) {
    let _ = std::fs::remove_file(path);
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

// ------------------------------------------------------------------------- the tally

/// Counts per kind and the failures found.
struct Tally {
    kind: &'static str,
    start: Instant,
    failure_dir: PathBuf,
    ran: usize,
    accepted: BTreeMap<&'static str, usize>,
    rejected: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
    hung: bool,
    /// Whether a rejection's message names the place of the problem.
    located: fn(&Rejection) -> bool,
}

impl Tally {
    /// A tally for one kind of mutant; `located` judges whether a rejection's message names
    /// its place (file:line, cell, spec key or `--set`): a rejection that does not is a failure.
    fn new(kind: &'static str, located: fn(&Rejection) -> bool) -> Self {
        install_panic_recorder();
        Tally {
            kind,
            located,
            start: Instant::now(),
            failure_dir: fresh_dir(&format!("fuzz-failures-{kind}")),
            ran: 0,
            accepted: BTreeMap::new(),
            rejected: BTreeMap::new(),
            failures: Vec::new(),
            hung: false,
        }
    }

    /// Where the mutant being run is kept, so a crash of the whole process still names it.
    fn in_flight(&self) -> PathBuf {
        self.failure_dir.join("in-flight")
    }

    /// Whether the loop should stop (a hang leaves a thread running; many failures are enough).
    fn should_stop(&self) -> bool {
        self.hung || self.failures.len() >= MAX_FAILURES
    }

    /// Records one outcome; a panic, a hang or an error that names no place writes the mutant to
    /// a file and remembers it.
    fn record(&mut self, index: usize, what: &str, mutant: &[u8], outcome: Outcome) {
        self.ran += 1;
        let mut failure = match outcome {
            Outcome::Accepted(stage) => {
                *self.accepted.entry(stage).or_default() += 1;
                None
            }
            Outcome::Rejected(r) => {
                *self.rejected.entry(r.stage).or_default() += 1;
                (!(self.located)(&r)).then(|| {
                    format!(
                        "UNLOCATED: rejected at {} by an error that names no place: {}",
                        r.stage, r.message
                    )
                })
            }
            Outcome::Panic(message) => Some(format!("PANIC: {message}")),
            Outcome::Hang(t) => {
                self.hung = true;
                Some(format!("HANG: no result after {} s", t.as_secs()))
            }
        };
        let recorded = take_recorded_panics(self.kind);
        if !recorded.is_empty() {
            let text: Vec<String> = recorded
                .iter()
                .map(|(thread, m)| format!("panic on thread {thread}: {m}"))
                .collect();
            let text = text.join("; ");
            failure = Some(match failure {
                Some(f) => format!("{f} [{text}]"),
                None => format!("PANIC (recorded by the hook, hidden from the caller): {text}"),
            });
        }
        if let Some(f) = failure {
            let path = self
                .failure_dir
                .join(format!("{}-{index:05}.mutant", self.kind));
            std::fs::write(&path, mutant).expect("write failing mutant");
            let head: Vec<String> = String::from_utf8_lossy(mutant)
                .lines()
                .take(12)
                .map(|l| format!("    | {}", l.chars().take(160).collect::<String>()))
                .collect();
            self.failures.push(format!(
                "{} mutant {index} ({what}): {f}\n  mutant written to {}\n  first lines:\n{}",
                self.kind,
                path.display(),
                head.join("\n")
            ));
        }
    }

    /// Prints the counts and seconds; fails with every failure found.
    fn finish(self) -> (usize, usize) {
        let acc: usize = self.accepted.values().sum();
        let rej: usize = self.rejected.values().sum();
        println!(
            "fuzz {}: {} mutants in {:.1} s: {acc} accepted {:?}, {rej} rejected with a located error {:?}, {} failures (panics, hangs, unlocated errors)",
            self.kind,
            self.ran,
            self.start.elapsed().as_secs_f64(),
            self.accepted,
            self.rejected,
            self.failures.len()
        );
        assert!(
            self.failures.is_empty(),
            "fuzz {}: {} failure(s):\n\n{}",
            self.kind,
            self.failures.len(),
            self.failures.join("\n\n")
        );
        (acc, rej)
    }
}

// ------------------------------------------------------------------ shared dictionaries

/// Numbers that stress parsers and arithmetic, as TOML literals.
const WEIRD_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "-0.0",
    "0.5",
    "-2.5",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "5e-324",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "2147483648",
    "4294967296",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "1899",
    "1900",
    "2100",
    "2101",
    "65536",
    "1000000",
    "3.0",
    "0x7fffffff",
    "1_000",
];

/// Strings that stress names, paths and patterns, as TOML literals.
fn weird_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "\"\"",
        "\" \"",
        "\"ü\"",
        "\"日本語\"",
        "\"\\u202eevil\"",
        "\"🦀\"",
        "\"a\\u0000b\"",
        "\"a\\nb\"",
        "\"../x\"",
        "\"..\"",
        "\"/\"",
        "\"/dev/null\"",
        "\"/nonexistent/file.csv\"",
        "\"C:\\\\temp\\\\x\"",
        "\"~\"",
        "\"tables\"",
        "\"cov.csv\"",
        "\"tables/io_{year}.csv\"",
        "\"io_{year}.csv\"",
        "\"{year}\"",
        "\"{year}{year}\"",
        "\"{yea\"",
        "\"*\"",
        "\"**/*\"",
        "\"[\"",
        "\"@\"",
        "\"@@all\"",
        "\"@all\"",
        "\"@sample\"",
        "\"@nope\"",
        "\"all\"",
        "\"decomposition.kpww.participation\"",
        "\"decomposition.wwz.VAX\"",
        "\"decomposition.\"",
        "\"cov.x1\"",
        "\"cov.\"",
        "\"cov.gdp\"",
        "\"gvcp\"",
        "\"x1\"",
        "\"L.x1\"",
        "\"L99999999999.x1\"",
        "\"D.L.F.x1\"",
        "\"kpww\"",
        "\"wwz\"",
        "\"fe\"",
        "\"re\"",
        "\"cluster\"",
        "\"csv\"",
        "\"synthetic\"",
        "\"labelled-csv\"",
        "\"adb-xlsx\"",
        "\"adb\"",
        "\"iso3\"",
        "\"AUS\"",
        "\"PRC\"",
        "\"a.b.c.d\"",
        "\"CON\"",
        "\"m\"",
        "\"M\"",
        "'literal \\ string'",
        "'''multi\nline'''",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("\"{}\"", "x".repeat(10_000)));
    v.push(format!("\"{}\"", "é/".repeat(300)));
    v
}

/// Arrays, tables and other shapes, as TOML literals.
const WEIRD_SHAPES: &[&str] = &[
    "[]",
    "[[]]",
    "[1]",
    "[1, 2, 3]",
    "[2008]",
    "[2012, 2008]",
    "[2008, 2009, 2010]",
    "[2008, 2008]",
    "[1900, 2100]",
    "[-5, 5]",
    "[2008.5, 2010]",
    "[\"a\"]",
    "[\"AUS\", \"AUS\"]",
    "[[2008, 2010]]",
    "[1, \"a\"]",
    "[{}]",
    "[{ a = 1 }]",
    "{}",
    "{ a = 1 }",
    "{ lag = -1 }",
    "{ lag = 1000000 }",
    "{ lead = 0 }",
    "{ winsorize = { lower = 99, upper = 1 } }",
    "{ winsorize = { lower = -5, upper = 500 } }",
    "{ pim_stock = { delta = 1.5 } }",
    "{ pim_stock = { delta = nan, fill = \"nope\" } }",
    "{ scale = nan }",
    "{ ratio = \"x1\" }",
    "{ interaction = \"gvcp\" }",
    "{ lp_spillover = { ofdi = \"cov.x1\", capital = \"x1\" } }",
    "[\"log\", \"log\", \"diff\"]",
    "[\"nope\"]",
    "[{ lag = 1 }, { lag = 1 }, \"standardize\"]",
    "{ \"sample.years\" = [2008, 2009] }",
    "{ \"sample.exclude_years\" = [2009, 2010, 2008] }",
    "{ \"models.m.vce\" = \"robust\" }",
    "{ \"extends\" = \"x.toml\" }",
    "{ \"nope.nope\" = 1 }",
    "true",
    "false",
    "1979-05-27",
    "1979-05-27T07:32:00Z",
    "07:32:00",
];

/// Every key a spec knows (from `gvc::spec::types::keys`), for injection in wrong places, plus
/// unknown ones.
fn injectable_keys() -> Vec<String> {
    use gvc::spec::types::keys;
    let mut v: Vec<String> = [
        keys::TOP,
        keys::STUDY,
        keys::SOURCE,
        keys::SAMPLE,
        keys::DECOMPOSITION,
        keys::VARIABLE,
        keys::MODEL,
        keys::ROBUSTNESS,
        keys::REPORT,
        keys::COUNTRIES,
    ]
    .iter()
    .flat_map(|k| k.iter().map(|s| s.to_string()))
    .collect();
    for s in [
        "zzz",
        "Title",
        "seed",
        "countries",
        "sectors",
        "fd_categories",
        "years",
        "layout",
        "country",
        "delimiter",
        "separator",
        "output_label",
        "primary_input_rows",
        "\"quoted key\"",
        "\"\"",
        "a.b",
        "\"ü\"",
    ] {
        v.push(s.to_string());
    }
    v
}

/// A random value literal of any shape.
fn weird_value(rng: &mut Rng, strings: &[String]) -> String {
    match rng.below(10) {
        0..=2 => rng.pick(WEIRD_NUMBERS).to_string(),
        3..=6 => rng.pick(strings).clone(),
        7 => deep_nesting(rng),
        _ => rng.pick(WEIRD_SHAPES).to_string(),
    }
}

/// Arrays or inline tables nested 2..2000 deep.
fn deep_nesting(rng: &mut Rng) -> String {
    let depth = [2, 10, 64, 200, 2000][rng.below(5)];
    if rng.chance(0.5) {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    } else {
        format!("{}1{}", "{ a = ".repeat(depth), " }".repeat(depth))
    }
}

// ---------------------------------------------------------------- byte-level mutations

/// Bytes that matter to TOML and CSV, and a few that are not UTF-8.
const SPECIAL_BYTES: &[u8] = b"\"'[]{}=,.#\\\n\r\t _-+0123456789eE\x00\xff\xc3";

/// Replaces, deletes or inserts a few bytes.
fn mutate_bytes(rng: &mut Rng, b: &mut Vec<u8>) {
    if b.is_empty() {
        b.push(*rng.pick(SPECIAL_BYTES));
        return;
    }
    let at = rng.below(b.len());
    match rng.below(5) {
        0 => b[at] ^= 1 << rng.below(8),
        1 => b[at] = *rng.pick(SPECIAL_BYTES),
        2 => {
            let end = (at + 1 + rng.below(32)).min(b.len());
            b.drain(at..end);
        }
        3 => b.insert(at, *rng.pick(SPECIAL_BYTES)),
        _ => b.truncate(at),
    }
}

// -------------------------------------------------------------- spec text mutations

fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(|l| l.to_string()).collect()
}

/// Indexes of `key = value` lines (not headers, comments or blanks).
fn assignment_lines(lines: &[String]) -> Vec<usize> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.starts_with('[') && !t.starts_with('#') && t.contains('=')
        })
        .map(|(i, _)| i)
        .collect()
}

/// (key part, value part) of an assignment line at its first `=`.
fn split_assignment(line: &str) -> Option<(&str, &str)> {
    line.split_once('=')
}

/// One line-level mutation of a TOML text.
fn mutate_spec_text(rng: &mut Rng, text: &str, strings: &[String], keys: &[String]) -> String {
    let mut lines = lines_of(text);
    if lines.is_empty() {
        return format!("{} = {}", rng.pick(keys), weird_value(rng, strings));
    }
    let assigns = assignment_lines(&lines);
    let n = lines.len();
    match rng.below(11) {
        // Duplicate a line (duplicate key or table header).
        0 => {
            let i = rng.below(n);
            let l = lines[i].clone();
            lines.insert(rng.below(n + 1), l);
        }
        // Delete a line (a required key, a header).
        1 => {
            lines.remove(rng.below(n));
        }
        // Swap two lines (moves keys between sections).
        2 => {
            let (i, j) = (rng.below(n), rng.below(n));
            lines.swap(i, j);
        }
        // Swap the values of two keys.
        3 if assigns.len() >= 2 => {
            let (i, j) = (*rng.pick(&assigns), *rng.pick(&assigns));
            let (ki, vi) = split_assignment(&lines[i]).expect("assignment");
            let (kj, vj) = split_assignment(&lines[j]).expect("assignment");
            let (a, b) = (format!("{ki}={vj}"), format!("{kj}={vi}"));
            lines[i] = a;
            lines[j] = b;
        }
        // Replace a value with a weird one of any type.
        4 | 5 if !assigns.is_empty() => {
            let i = *rng.pick(&assigns);
            let (k, _) = split_assignment(&lines[i]).expect("assignment");
            lines[i] = format!("{k}= {}", weird_value(rng, strings));
        }
        // Replace a number inside a line.
        6 => {
            let i = rng.below(n);
            lines[i] = replace_number_token(rng, &lines[i]);
        }
        // Replace a quoted string inside a line.
        7 => {
            let i = rng.below(n);
            lines[i] = replace_quoted(rng, &lines[i], strings);
        }
        // Inject a key (known elsewhere, or unknown).
        8 => {
            let line = format!("{} = {}", rng.pick(keys), weird_value(rng, strings));
            lines.insert(rng.below(n + 1), line);
        }
        // Inject a table header.
        9 => {
            let headers = [
                "[study]",
                "[sources]",
                "[sources.mrio]",
                "[sources.new]",
                "[countries]",
                "[sample]",
                "[decomposition]",
                "[variables]",
                "[variables.v]",
                "[[models]]",
                "[[robustness]]",
                "[report]",
                "[nope]",
                "[[study]]",
                "[models]",
            ];
            lines.insert(rng.below(n + 1), rng.pick(&headers).to_string());
        }
        // Delete a key's value (`key =`).
        _ if !assigns.is_empty() => {
            let i = *rng.pick(&assigns);
            let (k, _) = split_assignment(&lines[i]).expect("assignment");
            lines[i] = format!("{k}=");
        }
        _ => {
            lines.remove(rng.below(n));
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Replaces one run of digits (with sign, point and exponent) by a weird number.
fn replace_number_token(rng: &mut Rng, line: &str) -> String {
    let b = line.as_bytes();
    let starts: Vec<usize> = (0..b.len())
        .filter(|&i| b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()))
        .collect();
    if starts.is_empty() {
        return line.to_string();
    }
    let s = *rng.pick(&starts);
    let mut e = s;
    while e < b.len() && (b[e].is_ascii_digit() || b"._eE+-".contains(&b[e])) {
        e += 1;
    }
    format!("{}{}{}", &line[..s], rng.pick(WEIRD_NUMBERS), &line[e..])
}

/// Replaces one `"…"` string by a weird value.
fn replace_quoted(rng: &mut Rng, line: &str, strings: &[String]) -> String {
    let quotes: Vec<usize> = line.match_indices('"').map(|(i, _)| i).collect();
    if quotes.len() < 2 {
        return line.to_string();
    }
    let k = rng.below(quotes.len() / 2) * 2;
    let (s, e) = (quotes[k], quotes[k + 1]);
    format!("{}{}{}", &line[..s], rng.pick(strings), &line[e + 1..])
}

// ------------------------------------------------------------ spec tree mutations

/// A path to a value inside a TOML document: table keys and array indexes.
#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Every value path of the document.
fn value_paths(v: &toml::Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        toml::Value::Table(t) => {
            for (k, c) in t {
                prefix.push(Seg::Key(k.clone()));
                out.push(prefix.clone());
                value_paths(c, prefix, out);
                prefix.pop();
            }
        }
        toml::Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                prefix.push(Seg::Index(i));
                out.push(prefix.clone());
                value_paths(c, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn get_mut<'a>(v: &'a mut toml::Value, path: &[Seg]) -> Option<&'a mut toml::Value> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (Seg::Key(k), toml::Value::Table(t)) => t.get_mut(k)?,
            (Seg::Index(i), toml::Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Parses a value literal (`v = <literal>`); `None` when TOML refuses it.
fn literal_value(literal: &str) -> Option<toml::Value> {
    toml::from_str::<toml::Table>(&format!("v = {literal}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
}

/// One structural mutation of a parsed spec (the result is well-formed TOML, so it reaches the
/// validator and the planner rather than the parser).
fn mutate_spec_tree(rng: &mut Rng, doc: &mut toml::Value, strings: &[String], keys: &[String]) {
    let mut paths = Vec::new();
    value_paths(doc, &mut Vec::new(), &mut paths);
    if paths.is_empty() {
        return;
    }
    let path = rng.pick(&paths).clone();
    let (parent_path, last) = path.split_at(path.len() - 1);
    match rng.below(10) {
        // Replace it with a value of the same type found elsewhere in the document (a
        // plausible but wrong name, year or option: it passes the parser and the type checks).
        8 | 9 => {
            let Some(old) = get_mut(doc, &path).cloned() else {
                return;
            };
            let same: Vec<toml::Value> = paths
                .iter()
                .filter_map(|p| get_mut(doc, p).cloned())
                .filter(|v| v.type_str() == old.type_str() && *v != old)
                .collect();
            if !same.is_empty() {
                let new = rng.pick(&same).clone();
                if let Some(v) = get_mut(doc, &path) {
                    *v = new;
                }
            }
        }
        // Delete the value (a required key, an array entry, a whole section).
        0 | 1 => {
            if let Some(parent) = get_mut(doc, parent_path) {
                match (parent, &last[0]) {
                    (toml::Value::Table(t), Seg::Key(k)) => {
                        t.remove(k);
                    }
                    (toml::Value::Array(a), Seg::Index(i)) => {
                        a.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        // Replace it with a weird value of any type.
        2 | 3 => {
            if let Some(new) = literal_value(&weird_value(rng, strings)) {
                if let Some(v) = get_mut(doc, &path) {
                    *v = new;
                }
            }
        }
        // Swap two values.
        4 => {
            let other = rng.pick(&paths).clone();
            let a = get_mut(doc, &path).cloned();
            let b = get_mut(doc, &other).cloned();
            if let (Some(a), Some(b)) = (a, b) {
                if let Some(v) = get_mut(doc, &path) {
                    *v = b;
                }
                if let Some(v) = get_mut(doc, &other) {
                    *v = a;
                }
            }
        }
        // Inject a key into the enclosing table (or the value itself, when it is a table).
        5 => {
            let key = rng.pick(keys).trim_matches('"').to_string();
            let value = literal_value(&weird_value(rng, strings));
            let target = match get_mut(doc, &path) {
                Some(toml::Value::Table(_)) => get_mut(doc, &path),
                _ => get_mut(doc, parent_path),
            };
            if let (Some(toml::Value::Table(t)), Some(value)) = (target, value) {
                t.insert(key, value);
            }
        }
        // Wrong arity or nesting: wrap in an array, unwrap an array, duplicate or empty it.
        6 => {
            if let Some(v) = get_mut(doc, &path) {
                *v = match std::mem::replace(v, toml::Value::Boolean(false)) {
                    toml::Value::Array(mut a) => match rng.below(4) {
                        0 => a.into_iter().next().unwrap_or(toml::Value::Integer(0)),
                        1 => toml::Value::Array(Vec::new()),
                        2 => {
                            let copy = a.clone();
                            a.extend(copy);
                            toml::Value::Array(a)
                        }
                        _ => toml::Value::Array(vec![toml::Value::Array(a)]),
                    },
                    other => toml::Value::Array(vec![other.clone(), other]),
                };
            }
        }
        // Negate, scale or stringify a number; change a string's case.
        7 => {
            if let Some(v) = get_mut(doc, &path) {
                *v = match v.clone() {
                    toml::Value::Integer(i) => match rng.below(4) {
                        0 => toml::Value::Integer(i.wrapping_neg()),
                        1 => toml::Value::Integer(i.saturating_mul(1_000_000_007)),
                        2 => toml::Value::Float(i as f64 + 0.5),
                        _ => toml::Value::String(i.to_string()),
                    },
                    toml::Value::Float(f) => match rng.below(3) {
                        0 => toml::Value::Float(-f),
                        1 => toml::Value::Float(f * 1e300),
                        _ => toml::Value::Float(f64::NAN),
                    },
                    toml::Value::String(s) => match rng.below(3) {
                        0 => toml::Value::String(s.to_uppercase()),
                        1 => toml::Value::String(format!("{s}{s}")),
                        _ => toml::Value::String(format!(" {s}")),
                    },
                    toml::Value::Boolean(b) => toml::Value::String(b.to_string()),
                    other => other,
                };
            }
        }
        _ => unreachable!("rng.below(10)"),
    }
}

/// `--set` overrides: a dotted path taken from the document (or a made-up one) and a value.
fn random_override(rng: &mut Rng, doc: &toml::Value, strings: &[String]) -> String {
    let mut paths = Vec::new();
    value_paths(doc, &mut Vec::new(), &mut paths);
    let dotted = if paths.is_empty() || rng.chance(0.15) {
        rng.pick(&["nope", "a..b", ".", "", "models.9.name", "extends", "study"])
            .to_string()
    } else {
        rng.pick(&paths)
            .iter()
            .map(|s| match s {
                Seg::Key(k) => k.clone(),
                Seg::Index(i) => i.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    };
    let value = if rng.chance(0.2) {
        rng.pick(&["bare", "", "=", "[", "a=b"]).to_string()
    } else {
        weird_value(rng, strings)
    };
    if rng.chance(0.05) {
        dotted
    } else {
        format!("{dotted}={value}")
    }
}

/// One spec mutant: 1–3 mutations, tree-level or text-level or byte-level, and sometimes
/// `--set` overrides.
fn spec_mutant(
    rng: &mut Rng,
    base: &str,
    strings: &[String],
    keys: &[String],
) -> (Vec<u8>, Vec<String>) {
    let doc: toml::Value = toml::from_str(base).expect("base spec is TOML");
    let mut text = base.to_string();
    let rounds = 1 + rng.below(3);
    if rng.chance(0.45) {
        let mut d = doc.clone();
        for _ in 0..rounds {
            mutate_spec_tree(rng, &mut d, strings, keys);
        }
        if let Ok(t) = toml::to_string(&d) {
            text = t;
        }
    } else {
        for _ in 0..rounds {
            text = mutate_spec_text(rng, &text, strings, keys);
        }
    }
    let mut bytes = text.into_bytes();
    if rng.chance(0.15) {
        for _ in 0..1 + rng.below(3) {
            mutate_bytes(rng, &mut bytes);
        }
    }
    let mut overrides = Vec::new();
    if rng.chance(0.15) {
        for _ in 0..1 + rng.below(2) {
            overrides.push(random_override(rng, &doc, strings));
        }
    }
    (bytes, overrides)
}

// ------------------------------------------------------------------------- spec bases

/// A small file-based study: labelled-csv tables of 3 countries × 3 sectors for 2008–2010, a
/// covariate CSV, built-in templates, and a spec touching every section.
fn file_study(dir: &Path) -> String {
    use gvc::sources::mrio::synthetic::{generate, Names, SyntheticSpec};
    std::fs::create_dir_all(dir.join("tables")).unwrap();
    let spec = SyntheticSpec {
        seed: 5,
        countries: vec!["AUS".into(), "BRA".into(), "CAN".into()],
        sectors: Names::Count(3),
        fd_categories: Names::Count(2),
        years: vec![],
    };
    for year in 2008..=2010 {
        let t = generate(&spec, year).unwrap();
        common::write_labelled_csv(&dir.join(format!("tables/io_{year}.csv")), &t);
    }
    std::fs::write(dir.join("cov.csv"), covariate_csv()).unwrap();
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    for (name, text) in gvc::report::BUILTIN_TEMPLATES.iter() {
        std::fs::write(dir.join("templates").join(name), text).unwrap();
    }
    r#"[study]
title = "fuzz base"
description = "file-based"

[sources.mrio]
format = "labelled-csv"
path = "tables"
files = "io_{year}.csv"

[sources.cov]
format = "csv"
path = "cov.csv"
country = "iso3"

[countries]
codes = "iso3"
all = ["AUS", "BRA", "CAN"]
rest = ["BRA", "CAN"]
two = ["AUS", "@rest"]

[sample]
countries = "two"
years = [2008, 2010]
exclude_years = []

[decomposition]
measures = ["kpww", "bm"]
iv = "dvafx"
level = "country"

[variables]
gvcp = { from = "decomposition.kpww.participation", label = "GVC participation" }
x1 = { from = "cov.x1", label = "Covariate one" }
x1_lag = { from = "x1", transform = { lag = 1 }, label = "x1, previous year" }
x1_log = { from = "x1", transform = ["log", { scale = 100 }] }

[[models]]
name = "m"
title = "Model m"
dependent = "gvcp"
regressors = ["x1", "L.x1"]
controls = ["x1_log", "x1_lag"]
controls_mode = "sequential"
estimators = ["fe", "re"]
vce = "cluster"
hausman = true

[[robustness]]
name = "no-2009"
label = "Without 2009"
exclude_years = [2009]

[[robustness]]
name = "short"
set = { "sample.years" = [2008, 2009], "models.m.vce" = "robust" }
models = ["m"]

[report]
formats = ["markdown", "latex"]
stars = [0.1, 0.05, 0.01]
digits = 3
r2 = "auto"
drop = ["_cons"]
"#
    .to_string()
}

/// The covariate CSV of the file study (long layout, 3 countries × 2008–2010).
fn covariate_csv() -> String {
    let mut cov = String::from("iso3,year,x1\n");
    for (i, c) in ["AUS", "BRA", "CAN"].iter().enumerate() {
        for y in 2008..=2010_usize {
            let v =
                1.0 + i as f64 * 0.7 + (y - 2008) as f64 * 0.13 + ((i * 7 + y) % 5) as f64 * 0.05;
            cov.push_str(&format!("{c},{y},{v}\n"));
        }
    }
    cov
}

/// A spec rejection names a place: `file.toml:line:column` or the `--set` override at fault.
fn names_a_spec_place(r: &Rejection) -> bool {
    let m = &r.message;
    m.contains("--set ")
        || m.match_indices(".toml:")
            .any(|(i, _)| m[i + ".toml:".len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// `gvc check`'s library path: load (with overrides), then plan.
fn check_spec(path: &Path, overrides: &[String]) -> Result<&'static str, Rejection> {
    let spec = gvc::spec::load_spec(path, overrides).map_err(|e| rejected("load", e))?;
    let hasher = gvc::engine::hashing::FileHasher::new(None);
    gvc::engine::plan::build(&spec, &hasher).map_err(|e| rejected("plan", e))?;
    Ok("planned")
}

#[test]
fn spec_mutants() {
    let root = fresh_dir("fuzz-spec");
    let demo_dir = root.join("demo");
    let files_dir = root.join("files");
    std::fs::create_dir_all(&demo_dir).unwrap();
    std::fs::create_dir_all(&files_dir).unwrap();
    let demo =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/demo.toml"))
            .unwrap();
    let files = file_study(&files_dir);
    let bases = [("demo", demo_dir, demo), ("files", files_dir, files)];
    // Each base is valid as it stands: the mutants start from specs that reach the planner.
    for (name, dir, text) in &bases {
        let p = dir.join(format!("{name}.toml"));
        std::fs::write(&p, text).unwrap();
        assert_eq!(check_spec(&p, &[]), Ok("planned"), "base spec {name}");
    }
    let strings = weird_strings();
    let keys = injectable_keys();
    let mut rng = Rng::new(0x6776_635f_7370_6563);
    let mut tally = Tally::new("spec", names_a_spec_place);
    println!(
        "fuzz spec: the mutant in flight is kept in {}",
        tally.in_flight().display()
    );
    const PER_BASE: usize = 1500;
    let mut cli_runs = 0;
    for index in 0..PER_BASE * bases.len() {
        if tally.should_stop() {
            break;
        }
        let (base, dir, text) = &bases[index % bases.len()];
        let (bytes, overrides) = spec_mutant(&mut rng, text, &strings, &keys);
        // Named like the base so `extends = "demo.toml"` and friends point somewhere real.
        let path = dir.join("mutant.toml");
        write_fresh(&path, &bytes);
        let mut record = bytes.clone();
        for o in &overrides {
            record.extend_from_slice(format!("\n# --set {o}").as_bytes());
        }
        write_fresh(&tally.in_flight(), &record);
        let what = format!("{base} spec, --set {overrides:?}");
        let job_path = path.clone();
        let job_overrides = overrides.clone();
        let outcome = guarded(
            &format!("{}-{index}", tally.kind),
            LIBRARY_TIMEOUT,
            move || check_spec(&job_path, &job_overrides),
        );
        tally.record(index, &what, &record, outcome);
        if index % CLI_EVERY == 0 {
            let mut args: Vec<String> = vec!["check".into(), "mutant.toml".into()];
            for o in &overrides {
                args.push("--set".into());
                args.push(o.clone());
            }
            args.push("--cache".into());
            args.push(root.join("cli-cache").display().to_string());
            let outcome = cli_outcome(dir, &args, CLI_TIMEOUT);
            tally.record(index, &format!("gvc {}", args.join(" ")), &record, outcome);
            cli_runs += 1;
        }
    }
    println!("fuzz spec: {cli_runs} of the runs were `gvc check` processes");
    let (acc, rej) = tally.finish();
    // The mutants must exercise both paths, else the mutator is broken.
    assert!(acc > 100 && rej > 100, "accepted {acc}, rejected {rej}");
}

// -------------------------------------------------------------- labelled-csv mutants

/// Cell texts that stress a number parser.
const WEIRD_CELLS: &[&str] = &[
    "1e308",
    "-1e308",
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "-5",
    "-1e-300",
    "5e-324",
    "0",
    "-0",
    "abc",
    "1,5",
    "\"1,5\"",
    "",
    "  ",
    " 3 ",
    "0x1F",
    "+3",
    "1_000",
    "١٢٣",
    "1.2.3",
    "--1",
    "1e",
    ".",
    "\"\"",
    "\"3\"",
    "\"",
    "NA",
    "1e-320",
    "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.5",
];

/// Labels that stress the `<CTY>_<SECTOR>` parser.
const WEIRD_LABELS: &[&str] = &[
    "",
    "AUS",
    "AUS_",
    "_c1",
    "_",
    "AUS_c1_x",
    "AUS__c1",
    "aus_c1",
    "AUS_C1",
    "ÄÜS_c1",
    " AUS_c1",
    "AUS_c1 ",
    "AUS_c1",
    "BRA_c2",
    "CAN_F1",
    "AUS_F2",
    "XXX_c1",
    "AUS_c9",
    "VA",
    "OUT",
    "TLS",
    "label",
    "\"AUS_c1\"",
    "\"AUS,c1\"",
    "🦀_🦀",
    "AUS_c1\u{0}",
];

/// Splits a CSV text into rows of fields (plain split: the base has no quotes).
fn grid_of(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(|f| f.to_string()).collect())
        .collect()
}

fn text_of(grid: &[Vec<String>], eol: &str) -> String {
    let mut s = String::new();
    for row in grid {
        s.push_str(&row.join(","));
        s.push_str(eol);
    }
    s
}

/// One mutation of a CSV grid (labels in the first row and column).
fn mutate_grid(rng: &mut Rng, g: &mut Vec<Vec<String>>, cells: &[&str], labels: &[&str]) {
    if g.is_empty() {
        g.push(vec!["label".into()]);
        return;
    }
    let r = rng.below(g.len());
    let width = g.iter().map(|row| row.len()).max().unwrap_or(0).max(1);
    let c = rng.below(width);
    match rng.below(16) {
        // A number cell becomes something else.
        0..=3 => {
            if r > 0 && c > 0 && c < g[r].len() {
                g[r][c] = rng.pick(cells).to_string();
            }
        }
        // Scale or zero a cell (overflow in A = Z / x, zero output, singular I − A).
        4 => {
            if r > 0 && c > 0 && c < g[r].len() {
                if let Ok(v) = g[r][c].parse::<f64>() {
                    g[r][c] = match rng.below(4) {
                        0 => format!("{}", v * 1e300),
                        1 => "0".into(),
                        2 => format!("{}", -v),
                        _ => format!("{}", v * 1e6),
                    };
                }
            }
        }
        // A whole row or column zero (an economy or entry with no output).
        5 => {
            if rng.chance(0.5) {
                for cell in g[r].iter_mut().skip(1) {
                    *cell = "0".into();
                }
            } else {
                for row in g.iter_mut().skip(1) {
                    if c > 0 && c < row.len() {
                        row[c] = "0".into();
                    }
                }
            }
        }
        // A label: row label or header label.
        6 | 7 => {
            let label = rng.pick(labels).to_string();
            if rng.chance(0.5) {
                g[r][0] = label;
            } else if c < g[0].len() {
                g[0][c] = label;
            }
        }
        // Drop, duplicate or move a row.
        8 => {
            g.remove(r);
        }
        9 => {
            let row = g[r].clone();
            let at = rng.below(g.len() + 1);
            g.insert(at, row);
        }
        10 => {
            let j = rng.below(g.len());
            g.swap(r, j);
        }
        // Drop, duplicate or swap a column.
        11 => {
            for row in g.iter_mut() {
                if c < row.len() {
                    row.remove(c);
                }
            }
        }
        12 => {
            for row in g.iter_mut() {
                if c < row.len() {
                    let v = row[c].clone();
                    row.insert(c, v);
                }
            }
        }
        13 => {
            let d = rng.below(width);
            for row in g.iter_mut() {
                if c < row.len() && d < row.len() {
                    row.swap(c, d);
                }
            }
        }
        // One ragged row: a field fewer or more.
        14 => {
            if rng.chance(0.5) {
                g[r].pop();
            } else {
                g[r].push(rng.pick(cells).to_string());
            }
        }
        // Decimal commas everywhere in a row (every number splits in two fields).
        _ => {
            let row: Vec<String> = g[r]
                .iter()
                .map(|f| f.replacen('.', ",", 1))
                .collect::<Vec<_>>()
                .join(",")
                .split(',')
                .map(|s| s.to_string())
                .collect();
            g[r] = row;
        }
    }
}

/// One CSV mutant: grid mutations, then byte mutations, line endings, a BOM.
fn csv_mutant(rng: &mut Rng, base: &str, cells: &[&str], labels: &[&str]) -> Vec<u8> {
    let mut g = grid_of(base);
    for _ in 0..1 + rng.below(3) {
        mutate_grid(rng, &mut g, cells, labels);
    }
    let eol = if rng.chance(0.1) { "\r\n" } else { "\n" };
    let mut bytes = text_of(&g, eol).into_bytes();
    if rng.chance(0.05) {
        bytes.splice(0..0, [0xEF, 0xBB, 0xBF]);
    }
    if rng.chance(0.25) {
        for _ in 0..1 + rng.below(4) {
            mutate_bytes(rng, &mut bytes);
        }
    }
    if rng.chance(0.01) {
        bytes.clear();
    }
    bytes
}

/// The part of a table on some countries (their entries and final-demand columns; the rest of
/// the world dropped), with output recomputed from the rows. One country gives a table without
/// trade.
fn sub_table(t: &gvc::iot::IoTable, keep: &[usize]) -> gvc::iot::IoTable {
    let rows: Vec<usize> = (0..t.n())
        .filter(|&i| keep.contains(&t.row_country[i]))
        .collect();
    let f = t.f();
    let fd: Vec<usize> = keep
        .iter()
        .flat_map(|&c| (0..f).map(move |k| c * f + k))
        .collect();
    use ndarray::ShapeBuilder;
    let z = ndarray::Array2::from_shape_fn((rows.len(), rows.len()).f(), |(a, b)| {
        t.z[(rows[a], rows[b])]
    });
    let y =
        ndarray::Array2::from_shape_fn((rows.len(), fd.len()).f(), |(a, b)| t.y[(rows[a], fd[b])]);
    let mut out = gvc::iot::IoTable {
        year: t.year,
        countries: keep.iter().map(|&c| t.countries[c].clone()).collect(),
        fd_categories: t.fd_categories.clone(),
        labels: rows.iter().map(|&i| t.labels[i].clone()).collect(),
        row_country: rows
            .iter()
            .map(|&i| keep.iter().position(|&c| c == t.row_country[i]).unwrap())
            .collect(),
        z,
        y,
        x: ndarray::Array1::zeros(0),
        primary_inputs: Vec::new(),
    };
    out.x = out.output_from_rows();
    out
}

/// A table whose file is consistent (OUT row = OUT column = row sums, VA = OUT − column sums)
/// but whose numbers are hard: entries without sales or purchases, an economy without trade,
/// an entry that only buys from itself (singular I − A), cells near overflow or underflow,
/// negative flows; sometimes fewer countries. It passes the reader's layout checks, so it
/// reaches the Leontief core and the decompositions.
fn numeric_mutant(rng: &mut Rng, base: &gvc::iot::IoTable) -> gvc::iot::IoTable {
    let mut t = match rng.below(6) {
        0 => sub_table(base, &[rng.below(base.g())]),
        1 => {
            let drop = rng.below(base.g());
            let keep: Vec<usize> = (0..base.g()).filter(|&c| c != drop).collect();
            sub_table(base, &keep)
        }
        _ => base.clone(),
    };
    let (n, fy) = (t.n(), t.y.ncols());
    let f = t.f();
    for _ in 0..1 + rng.below(3) {
        let (i, j) = (rng.below(n), rng.below(n));
        match rng.below(11) {
            // An entry that sells nothing (zero output).
            0 => {
                (0..n).for_each(|b| t.z[(i, b)] = 0.0);
                (0..fy).for_each(|b| t.y[(i, b)] = 0.0);
            }
            // An entry that buys nothing (all value added).
            1 => (0..n).for_each(|a| t.z[(a, j)] = 0.0),
            // One cell near overflow, near underflow, subnormal or negative.
            2 => t.z[(i, j)] *= *rng.pick(&[1e300, 1e150, 1e-300, -1.0, -1e3]),
            3 => t.z[(i, j)] = *rng.pick(&[5e-324, 1e-310, f64::MIN_POSITIVE, 1e300]),
            // An economy that neither exports nor imports.
            4 => {
                let c = t.row_country[i];
                for a in 0..n {
                    for b in 0..n {
                        if (t.row_country[a] == c) != (t.row_country[b] == c) {
                            t.z[(a, b)] = 0.0;
                        }
                    }
                    for b in 0..fy {
                        if (t.row_country[a] == c) != (b / f == c) {
                            t.y[(a, b)] = 0.0;
                        }
                    }
                }
            }
            // No final demand anywhere for a country's entries.
            5 => {
                let c = t.row_country[i];
                for a in (0..n).filter(|&a| t.row_country[a] == c) {
                    (0..fy).for_each(|b| t.y[(a, b)] = 0.0);
                }
            }
            // An entry that only buys from and sells to itself: A_ii = 1, I − A singular.
            6 => {
                let keep = t.z[(i, i)].max(1.0);
                (0..n).for_each(|b| t.z[(i, b)] = 0.0);
                (0..n).for_each(|a| t.z[(a, i)] = 0.0);
                (0..fy).for_each(|b| t.y[(i, b)] = 0.0);
                t.z[(i, i)] = keep;
            }
            // A column that buys more than the entry makes (negative value added).
            7 => {
                let row: f64 = (0..n).map(|b| t.z[(j, b)]).sum::<f64>()
                    + (0..fy).map(|b| t.y[(j, b)]).sum::<f64>();
                t.z[(i, j)] += row * *rng.pick(&[0.5, 1.0, 2.0, 1e6]);
            }
            // A negative final-demand cell (inventories), large enough to make output negative.
            8 => {
                let b = rng.below(fy);
                t.y[(i, b)] = -t.y[(i, b)] * *rng.pick(&[1.0, 10.0, 1e9]);
            }
            // The whole table scaled towards the edge of the floating-point range.
            9 => {
                let k = *rng.pick(&[1e-305, 1e-200, 1e200, 1e290]);
                for a in 0..n {
                    (0..n).for_each(|b| t.z[(a, b)] *= k);
                    (0..fy).for_each(|b| t.y[(a, b)] *= k);
                }
            }
            // Everything zero.
            _ => {
                for a in 0..n {
                    (0..n).for_each(|b| t.z[(a, b)] = 0.0);
                    (0..fy).for_each(|b| t.y[(a, b)] = 0.0);
                }
            }
        }
    }
    t.x = t.output_from_rows();
    // Sometimes the reported output is off by rounding, or by a lot.
    if rng.chance(0.2) {
        let i = rng.below(n);
        t.x[i] *= *rng.pick(&[1.0 + 1e-9, 1.0 - 1e-7, 1.001, 0.0, -1.0]);
    }
    t
}

/// A labelled-csv rejection names a place: the reader names the file (and its line and cell
/// where there is one); the Leontief core and the decompositions, which see a table and not a
/// file, name the entry or exporting country (or the world total) at fault.
fn names_a_table_place(r: &Rejection) -> bool {
    match r.stage {
        "reader" => r.message.contains("io_2010.csv"),
        _ => ["AUS", "BRA", "CAN", "world"]
            .iter()
            .any(|c| r.message.contains(c)),
    }
}

/// Reads a labelled-csv table and, when it reads, builds its Leontief core and runs KPWW
/// (every fourth mutant: every family defined at the country level).
fn read_and_decompose(
    path: &Path,
    options: gvc::sources::mrio::MrioOptions,
    all_families: bool,
) -> Result<&'static str, Rejection> {
    use gvc::decompose::{decompose, DecomposeOptions, Level, FAMILIES};
    let table = gvc::sources::mrio::read_table(&options, Some(path), Some(2010))
        .map_err(|e| rejected("reader", e))?;
    let leontief = gvc::iot::Leontief::new(&table).map_err(|e| rejected("leontief", e))?;
    let mut o = DecomposeOptions::default();
    if all_families {
        o.measures = FAMILIES
            .iter()
            .filter(|f| !f.measures(Level::Country).is_empty())
            .map(|f| f.family)
            .collect();
    }
    decompose(&table, &leontief, &o).map_err(|e| rejected("decompose", e))?;
    Ok("decomposed")
}

#[test]
fn labelled_csv_mutants() {
    use gvc::sources::mrio::labelled_csv::LabelledCsvOptions;
    use gvc::sources::mrio::synthetic::{generate, Names, SyntheticSpec};
    use gvc::sources::mrio::{MrioOptions, OutputSource};
    let dir = fresh_dir("fuzz-lcsv");
    let spec = SyntheticSpec {
        seed: 17,
        countries: vec!["AUS".into(), "BRA".into(), "CAN".into()],
        sectors: Names::Count(3),
        fd_categories: Names::Count(2),
        years: vec![],
    };
    let table = generate(&spec, 2010).unwrap();
    let base_path = dir.join("base.csv");
    common::write_labelled_csv(&base_path, &table);
    let base = std::fs::read_to_string(&base_path).unwrap();
    let options = |rng: &mut Rng| {
        let mut o = LabelledCsvOptions::default();
        if rng.chance(0.25) {
            o.output = OutputSource::RowSums;
        }
        if rng.chance(0.1) {
            o.fd_categories = Some(vec!["F1".into(), "F2".into()]);
        }
        MrioOptions::LabelledCsv(o)
    };
    let mut rng = Rng::new(0x6c61_6265_6c6c_6564);
    assert_eq!(
        read_and_decompose(&base_path, options(&mut Rng::new(1)), true),
        Ok("decomposed"),
        "the base table"
    );
    let mut tally = Tally::new("labelled-csv", names_a_table_place);
    println!(
        "fuzz labelled-csv: the mutant in flight is kept in {}",
        tally.in_flight().display()
    );
    const MUTANTS: usize = 3000;
    let path = dir.join("io_2010.csv");
    let scratch = dir.join("numeric.csv");
    for index in 0..MUTANTS {
        if tally.should_stop() {
            break;
        }
        let numeric = rng.chance(0.4);
        let bytes = if numeric {
            let _ = std::fs::remove_file(&scratch);
            common::write_labelled_csv(&scratch, &numeric_mutant(&mut rng, &table));
            std::fs::read(&scratch).unwrap()
        } else {
            csv_mutant(&mut rng, &base, WEIRD_CELLS, WEIRD_LABELS)
        };
        let opts = options(&mut rng);
        let what = format!(
            "{} mutant, {opts:?}",
            if numeric { "numeric" } else { "text" }
        );
        write_fresh(&path, &bytes);
        write_fresh(&tally.in_flight(), &bytes);
        let job_path = path.clone();
        let all = index % 4 == 0;
        let outcome = guarded(
            &format!("{}-{index}", tally.kind),
            LIBRARY_TIMEOUT,
            move || read_and_decompose(&job_path, opts, all),
        );
        tally.record(index, &what, &bytes, outcome);
    }
    let (acc, rej) = tally.finish();
    assert!(acc > 100 && rej > 100, "accepted {acc}, rejected {rej}");
}

// ------------------------------------------------------------- covariate-csv mutants

/// Cell texts for a covariate table (years and values).
const WEIRD_COVARIATE_CELLS: &[&str] = &[
    "2008.5",
    "-1",
    "99999999999",
    "1e400",
    "NaN",
    "inf",
    "",
    "NA",
    ".",
    "n/a",
    "1,5",
    "\"1,5\"",
    "abc",
    "2008 ",
    " 2008",
    "0x7DA",
    "+2008",
    "-0",
    "1e308",
    "9223372036854775808",
    "٢٠٠٨",
];

/// Country cells and header names for a covariate table.
const WEIRD_COVARIATE_LABELS: &[&str] = &[
    "", "AUS", "aus", "XXX", "AU", "AUSS", "iso3", "year", "x1", "ÄÜS", " AUS", "\"AUS\"", "🦀",
];

#[test]
fn covariate_csv_mutants() {
    use gvc::sources::table::{read_table, TableLayout, TableSpec};
    let dir = fresh_dir("fuzz-cov");
    let long = covariate_csv();
    // The same data in the wide layout (a column per year).
    let mut wide = String::from("iso3,2008,2009,2010\n");
    for (i, c) in ["AUS", "BRA", "CAN"].iter().enumerate() {
        wide.push_str(&format!("{c},{},{},{}\n", i + 1, i + 2, i + 3));
    }
    let bilateral = "reporter,partner,year,value\nAUS,BRA,2008,1\nAUS,CAN,2008,2\nBRA,AUS,2009,3\nCAN,BRA,2010,4\n".to_string();
    let specs = [
        (
            long,
            TableSpec {
                country: Some("iso3".into()),
                ..TableSpec::default()
            },
        ),
        (
            wide,
            TableSpec {
                layout: TableLayout::Wide,
                country: Some("iso3".into()),
                value: Some("x1".into()),
                ..TableSpec::default()
            },
        ),
        (
            bilateral,
            TableSpec {
                layout: TableLayout::Bilateral,
                codes: Some(gvc::sources::countries::CodeSystem::Iso3),
                missing: vec!["-999".into()],
                ..TableSpec::default()
            },
        ),
    ];
    let path = dir.join("cov.csv");
    for (text, spec) in &specs {
        std::fs::write(&path, text).unwrap();
        assert!(read_table(&path, spec).is_ok(), "base table {spec:?}");
    }
    let mut rng = Rng::new(0x636f_7661_7269_6174);
    let mut tally = Tally::new("covariate-csv", |r| r.message.contains("cov.csv"));
    println!(
        "fuzz covariate-csv: the mutant in flight is kept in {}",
        tally.in_flight().display()
    );
    const MUTANTS: usize = 1500;
    for index in 0..MUTANTS {
        if tally.should_stop() {
            break;
        }
        let (base, spec) = &specs[index % specs.len()];
        let bytes = csv_mutant(
            &mut rng,
            base,
            WEIRD_COVARIATE_CELLS,
            WEIRD_COVARIATE_LABELS,
        );
        write_fresh(&path, &bytes);
        write_fresh(&tally.in_flight(), &bytes);
        let (job_path, job_spec) = (path.clone(), spec.clone());
        let outcome = guarded(
            &format!("{}-{index}", tally.kind),
            LIBRARY_TIMEOUT,
            move || {
                read_table(&job_path, &job_spec)
                    .map(|_| "read")
                    .map_err(|e| rejected("reader", e))
            },
        );
        tally.record(index, &format!("{spec:?}"), &bytes, outcome);
    }
    let (acc, rej) = tally.finish();
    assert!(acc > 50 && rej > 50, "accepted {acc}, rejected {rej}");
}
