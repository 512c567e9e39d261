//! The report of `realdid bench all`: the runs' figures against the targets (each judged on
//! the slowest run), per-part tables, plots over time, and what is needed to compare it
//! with another report (the machine, the commit, the build profile and a calibration).

use std::fmt::Write as _;
use std::time::Duration;

use super::bench_figures::{
    IssuerFigures, RegistryFigures, Second, VerifierFigures, VerifierPhase,
};
use super::bench_plot::{Line, chart};

/// The machine the runs ran on, as Linux tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
}

impl Machine {
    /// Reads it from /proc; what cannot be read is said so.
    pub fn read() -> Self {
        let proc = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpu = proc("/proc/cpuinfo")
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, name)| name.trim().to_owned())
            .unwrap_or_else(|| "unknown CPU".into());
        let memory_kib: f64 = proc("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|l| l.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        let kernel = proc("/proc/sys/kernel/osrelease").trim().to_owned();
        Self {
            cpu,
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            memory_gib: memory_kib / (1024.0 * 1024.0),
            kernel: if kernel.is_empty() {
                "unknown kernel".into()
            } else {
                format!("Linux {kernel}")
            },
        }
    }

    /// One line.
    pub fn summary(&self) -> String {
        format!(
            "{}, {} cores, {:.0} GiB, {}",
            self.cpu, self.cores, self.memory_gib, self.kernel
        )
    }
}

/// The resident memory of a devnet's processes at one moment of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Memory {
    /// When: "idle", "after the registry", …
    pub moment: &'static str,
    /// Each process's name (node-0, issuer, …) and RSS in bytes.
    pub rss: Vec<(String, u64)>,
}

impl Memory {
    /// The devnet's processes under `dir`, read now.
    pub fn of(dir: &std::path::Path, moment: &'static str) -> Self {
        Self {
            moment,
            rss: super::bench_soak::devnet_processes(dir)
                .into_iter()
                .map(|p| {
                    let rss = super::bench_soak::rss_bytes(p.pid);
                    (p.name, rss)
                })
                .collect(),
        }
    }

    /// The largest RSS among the processes whose name starts with `prefix`, MiB.
    fn largest_mib(&self, prefix: &str) -> Option<f64> {
        self.rss
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(_, rss)| *rss as f64 / (1024.0 * 1024.0))
            .reduce(f64::max)
    }
}

/// One run's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Bare Ed25519 verifications per second on one core, before the run.
    pub calibration: f64,
    pub registry: RegistryFigures,
    pub issuer: IssuerFigures,
    pub verifier: VerifierFigures,
    /// The devnet's memory at a few moments of the run.
    pub memory: Vec<Memory>,
}

impl Run {
    fn first_seen_cpu_ratio(&self) -> Option<f64> {
        let first = self.verifier.first_seen.as_ref()?.cpu_us_each?;
        let again = self
            .verifier
            .repeated_at_first_seen_rate
            .as_ref()?
            .cpu_us_each?;
        Some(first / again.max(f64::MIN_POSITIVE))
    }

    fn javascript_ratio(&self, vc: bool) -> Option<f64> {
        let js = self.verifier.javascript.as_ref().ok()?;
        let theirs = if vc { &js.sd_jwt_vc } else { &js.sd_jwt };
        Some(self.verifier.repeated.verified.per_second / theirs.per_second.max(f64::MIN_POSITIVE))
    }
}

/// Which way a figure should go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Better {
    /// At least the bound.
    Higher,
    /// Below the bound.
    Lower,
    /// At most the bound.
    AtMost,
}

/// A target and each run's figure for it.
#[derive(Debug, Clone, PartialEq)]
struct Target {
    what: &'static str,
    better: Better,
    bound: f64,
    unit: &'static str,
    /// One per run; `None` where the run did not measure it.
    values: Vec<Option<f64>>,
}

impl Target {
    /// The slowest run's figure: the lowest of a "higher is better" figure, the highest of
    /// a "lower is better" one. `None` if any run lacks it.
    fn worst(&self) -> Option<f64> {
        let values: Option<Vec<f64>> = self.values.iter().copied().collect();
        let values = values.filter(|v| !v.is_empty())?;
        Some(match self.better {
            Better::Higher => values.into_iter().fold(f64::INFINITY, f64::min),
            Better::Lower | Better::AtMost => values.into_iter().fold(f64::NEG_INFINITY, f64::max),
        })
    }

    fn met(&self) -> Option<bool> {
        self.worst().map(|w| match self.better {
            Better::Higher => w >= self.bound,
            Better::Lower => w < self.bound,
            Better::AtMost => w <= self.bound,
        })
    }

    fn bound_text(&self) -> String {
        match self.better {
            Better::Higher => format!("≥ {}{}", number(self.bound), self.unit),
            Better::Lower => format!("< {}{}", number(self.bound), self.unit),
            Better::AtMost => format!("≤ {}{}", number(self.bound), self.unit),
        }
    }

    fn verdict(&self) -> &'static str {
        match self.met() {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "not measured",
        }
    }
}

/// Everything `realdid bench all` found.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The command line that made it.
    pub command: String,
    pub machine: Machine,
    pub commit: String,
    /// "release" or "debug": debug figures are not comparable with the targets.
    pub profile: &'static str,
    pub took: Duration,
    pub runs: Vec<Run>,
}

impl Report {
    fn targets(&self) -> Vec<Target> {
        let each = |f: &dyn Fn(&Run) -> Option<f64>| self.runs.iter().map(f).collect();
        vec![
            Target {
                what: "committed DID creates per second",
                better: Better::Higher,
                bound: 5_000.0,
                unit: "/s",
                values: each(&|r| Some(r.registry.writes.per_second)),
            },
            Target {
                what: "finality latency p99",
                better: Better::Lower,
                bound: 1_000.0,
                unit: " ms",
                values: each(&|r| Some(r.registry.writes.p99_ms)),
            },
            Target {
                what: "proven resolves per second, one DID a call, each checked",
                better: Better::Higher,
                bound: 20_000.0,
                unit: "/s",
                values: each(&|r| Some(r.registry.reads.per_second)),
            },
            Target {
                what: "proven resolves per second, coalesced by the registry client",
                better: Better::Higher,
                bound: 20_000.0,
                unit: "/s",
                values: each(&|r| {
                    r.registry
                        .coalesced_reads
                        .as_ref()
                        .map(|c| c.reads.per_second)
                }),
            },
            Target {
                what: "credentials issued per second",
                better: Better::Higher,
                bound: 5_000.0,
                unit: "/s",
                values: each(&|r| Some(r.issuer.credentials_per_second)),
            },
            Target {
                what: "verified presentations per second (repeated credentials)",
                better: Better::Higher,
                bound: 8_000.0,
                unit: "/s",
                values: each(&|r| Some(r.verifier.repeated.verified.per_second)),
            },
            Target {
                what: "verification latency p99 (repeated credentials)",
                better: Better::Lower,
                bound: 20.0,
                unit: " ms",
                values: each(&|r| Some(r.verifier.repeated.verified.p99_ms)),
            },
            Target {
                what: "verifier CPU, first-seen ÷ repeated credential at the same pace",
                better: Better::AtMost,
                bound: 1.5,
                unit: "×",
                values: each(&|r| r.first_seen_cpu_ratio()),
            },
            Target {
                what: "realdid over gRPC ÷ `@sd-jwt/core` in one process",
                better: Better::Higher,
                bound: 5.0,
                unit: "×",
                values: each(&|r| r.javascript_ratio(false)),
            },
            Target {
                what: "realdid over gRPC ÷ `@sd-jwt/sd-jwt-vc` in one process",
                better: Better::Higher,
                bound: 5.0,
                unit: "×",
                values: each(&|r| r.javascript_ratio(true)),
            },
        ]
    }

    /// The targets as plain lines, for the terminal.
    pub fn targets_text(&self) -> Vec<String> {
        self.targets()
            .iter()
            .map(|t| {
                format!(
                    "{:<60} {:>12} {:>12}  {}",
                    t.what,
                    t.worst()
                        .map(|w| format!("{}{}", number(w), t.unit))
                        .unwrap_or_else(|| "—".into()),
                    t.bound_text(),
                    t.verdict().trim_matches('*')
                )
            })
            .collect()
    }

    /// The plots, each as (file name, SVG).
    pub fn plots(&self) -> Vec<(&'static str, String)> {
        let per_run =
            |series: fn(&Run) -> Option<&[Second]>, value: fn(&Second) -> f64, suffix: &str| {
                self.runs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| {
                        series(r).map(|s| Line {
                            name: format!("run {}{suffix}", i + 1),
                            points: s.iter().map(|p| (f64::from(p.at), value(p))).collect(),
                        })
                    })
                    .collect::<Vec<_>>()
            };
        fn count(s: &Second) -> f64 {
            s.count as f64
        }
        fn p99(s: &Second) -> f64 {
            s.p99_ms
        }
        fn writes(r: &Run) -> Option<&[Second]> {
            Some(&r.registry.writes.seconds)
        }
        fn reads(r: &Run) -> Option<&[Second]> {
            Some(&r.registry.reads.seconds)
        }
        fn coalesced(r: &Run) -> Option<&[Second]> {
            r.registry
                .coalesced_reads
                .as_ref()
                .map(|c| c.reads.seconds.as_slice())
        }
        fn repeated(r: &Run) -> Option<&[Second]> {
            Some(&r.verifier.repeated.verified.seconds)
        }
        // The first-seen phase lasts about a second (each holder costs an enrolment to
        // prepare): its figures are in the table, not plotted.
        let verifier_rate = per_run(repeated, count, "");
        let verifier_p99 = per_run(repeated, p99, "");
        vec![
            (
                "registry-writes.svg",
                chart(
                    "Registry: DID creates committed per second",
                    "seconds of writes",
                    "committed per second",
                    &per_run(writes, count, ""),
                ),
            ),
            (
                "registry-finality.svg",
                chart(
                    "Registry: finality latency p99, per second",
                    "seconds of writes",
                    "ms",
                    &per_run(writes, p99, ""),
                ),
            ),
            (
                "registry-reads.svg",
                chart(
                    "Registry: proven resolves per second (node 0, each checked)",
                    "seconds of reads",
                    "resolves per second",
                    &[
                        per_run(reads, count, ", one DID a call"),
                        per_run(coalesced, count, ", coalesced"),
                    ]
                    .concat(),
                ),
            ),
            (
                "verifier-rate.svg",
                chart(
                    "Verifier: presentations of repeated credentials verified per second",
                    "seconds of verification",
                    "verified per second",
                    &verifier_rate,
                ),
            ),
            (
                "verifier-latency.svg",
                chart(
                    "Verifier: latency p99 of repeated credentials, per second",
                    "seconds of verification",
                    "ms",
                    &verifier_p99,
                ),
            ),
        ]
    }

    /// The report, Markdown.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let runs = self.runs.len();
        let heads: Vec<String> = (1..=runs).map(|i| format!("run {i}")).collect();
        let _ = writeln!(md, "# realdid benchmark report\n");
        let _ = writeln!(
            md,
            "Made by `{}`: {runs} run(s), each on a fresh 4-validator devnet, in {:.1} min.\n",
            self.command,
            self.took.as_secs_f64() / 60.0
        );
        let _ = writeln!(md, "| | |\n|---|---|");
        let _ = writeln!(md, "| commit | {} |", self.commit);
        let _ = writeln!(md, "| build profile | {} |", self.profile);
        let _ = writeln!(md, "| machine | {} |", self.machine.summary());
        let _ = writeln!(
            md,
            "| calibration: bare Ed25519 verifications per second, one core | {} |\n",
            self.runs
                .iter()
                .map(|r| number(r.calibration))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if self.profile != "release" {
            let _ = writeln!(
                md,
                "A debug build: these figures are not comparable with the targets.\n"
            );
        }

        let _ = writeln!(md, "## Targets, judged on the slowest run\n");
        let _ = writeln!(
            md,
            "| target | {} | slowest | bound | |\n|---|{}---|---|---|",
            heads.join(" | "),
            "---|".repeat(runs)
        );
        for t in self.targets() {
            let cells: Vec<String> = t
                .values
                .iter()
                .map(|v| {
                    v.map(|v| format!("{}{}", number(v), t.unit))
                        .unwrap_or_else(|| "—".into())
                })
                .collect();
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                t.what,
                cells.join(" | "),
                t.worst()
                    .map(|w| format!("{}{}", number(w), t.unit))
                    .unwrap_or_else(|| "—".into()),
                t.bound_text(),
                t.verdict()
            );
        }

        let table = |md: &mut String, rows: &[(&str, Vec<String>)]| {
            let _ = writeln!(
                md,
                "\n| | {} |\n|---|{}",
                heads.join(" | "),
                "---|".repeat(runs)
            );
            for (what, cells) in rows {
                let _ = writeln!(md, "| {what} | {} |", cells.join(" | "));
            }
        };
        let each = |f: &dyn Fn(&Run) -> String| self.runs.iter().map(f).collect::<Vec<_>>();

        let _ = writeln!(
            md,
            "\n## Registry\n\n2 048 signed DID creations in flight over every node, each answered once final; then proven resolves of DIDs so created from node 0, 64 in flight, each checked by the light client: first one DID a call (`Resolve`), then through the registry client's reader, which coalesces the reads in flight into `ResolveMany` calls of up to 64 DIDs proven against one certificate, as the verifier reads holders' DIDs.\n\n![](registry-writes.svg)\n\n![](registry-finality.svg)\n\n![](registry-reads.svg)"
        );
        table(
            &mut md,
            &[
                (
                    "committed DID creates",
                    each(&|r| {
                        format!(
                            "{} in {:.0} s = **{}/s**",
                            number(r.registry.writes.count as f64),
                            r.registry.writes.secs,
                            number(r.registry.writes.per_second)
                        )
                    }),
                ),
                (
                    "finality p50 / p99 / max",
                    each(&|r| {
                        let w = &r.registry.writes;
                        format!("{:.0} / {:.0} / {:.0} ms", w.p50_ms, w.p99_ms, w.max_ms)
                    }),
                ),
                (
                    "refused / transport errors",
                    each(&|r| format!("{} / {}", r.registry.rejected, r.registry.transport_errors)),
                ),
                (
                    "proven resolves, one DID a call",
                    each(&|r| {
                        format!(
                            "**{}/s**, p99 {:.1} ms, {} failed",
                            number(r.registry.reads.per_second),
                            r.registry.reads.p99_ms,
                            r.registry.read_failures
                        )
                    }),
                ),
                (
                    "proven resolves, coalesced by the client",
                    each(&|r| match &r.registry.coalesced_reads {
                        Some(c) => format!(
                            "**{}/s**, p99 {:.1} ms, {} failed, {:.1} DIDs a call",
                            number(c.reads.per_second),
                            c.reads.p99_ms,
                            c.failed,
                            c.dids_per_call,
                        ),
                        None => "not run".into(),
                    }),
                ),
            ],
        );

        let _ = writeln!(
            md,
            "\n## Issuer\n\nIn process, before the devnet starts: credentials signed (3 DIDs an enrolment, status slots allocated) on 2 threads, and person-index evaluations (Argon2id), one per enrolment."
        );
        table(
            &mut md,
            &[
                (
                    "credentials signed",
                    each(&|r| {
                        format!(
                            "**{}/s** ({} bytes each)",
                            number(r.issuer.credentials_per_second),
                            r.issuer.bytes_each
                        )
                    }),
                ),
                (
                    "person index",
                    each(&|r| {
                        format!(
                            "{:.1}/s, {:.1} ms each ({})",
                            r.issuer.index_per_second, r.issuer.index_ms_each, r.issuer.index_cost
                        )
                    }),
                ),
            ],
        );

        let _ = writeln!(
            md,
            "\n## Verifier\n\n`VerifyPresentation` over gRPC, 64 in flight over two connections, the load generator on the same machine. Repeated: 32 credentials presented again and again, so the verifier's signature memo, key memo and DID cache help. First-seen: each presentation from a holder the verifier has never seen, so nothing helps, sent at half the repeated rate, in chunks of {} alternating with chunks of as many repeated presentations sent at the pace the first-seen chunk kept: a verification's CPU depends on the rate and on how calls arrive (at a lower rate fewer calls share each system call and wake-up) and on the machine's speed of the moment, so a first-seen presentation is compared with a repeated one sent at the same pace and at the same time. CPU is the verifier process's, the sum of its threads' run times from /proc, over each phase or chunk.\n\n![](verifier-rate.svg)\n\n![](verifier-latency.svg)",
            super::bench_first_seen::CHUNK
        );
        let phase = |pick: fn(&VerifierFigures) -> Option<&VerifierPhase>| {
            move |r: &Run| {
                pick(&r.verifier)
                    .map(|p| {
                        format!(
                            "**{}/s**, p50 {:.1} / p99 {:.1} ms, {} failed, {}",
                            number(p.verified.per_second),
                            p.verified.p50_ms,
                            p.verified.p99_ms,
                            p.failed,
                            p.cpu_us_each
                                .map(|us| format!("{us:.0} µs CPU each"))
                                .unwrap_or_else(|| "CPU not read".into())
                        )
                    })
                    .unwrap_or_else(|| "left out".into())
            }
        };
        table(
            &mut md,
            &[
                ("repeated credentials", each(&phase(|v| Some(&v.repeated)))),
                (
                    "first-seen credentials",
                    each(&phase(|v| v.first_seen.as_ref())),
                ),
                (
                    "repeated credentials, alternating with the first-seen ones at their pace",
                    each(&phase(|v| v.repeated_at_first_seen_rate.as_ref())),
                ),
                (
                    "JavaScript `@sd-jwt/core`, same presentations, one process",
                    each(&|r| match &r.verifier.javascript {
                        Ok(js) => format!("{}/s", number(js.sd_jwt.per_second)),
                        Err(why) => format!("skipped: {why}"),
                    }),
                ),
                (
                    "JavaScript `@sd-jwt/sd-jwt-vc` (with its status check)",
                    each(&|r| match &r.verifier.javascript {
                        Ok(js) => format!("{}/s", number(js.sd_jwt_vc.per_second)),
                        Err(_) => "skipped".into(),
                    }),
                ),
            ],
        );

        let _ = writeln!(
            md,
            "\n## Memory\n\nResident memory (RSS, MiB) of the devnet's processes, from /proc: idle (10 s after the devnet is up), after the registry benchmark, after the verifier benchmark. For the validators, the largest of the four."
        );
        let memory = |prefix: &'static str| {
            move |r: &Run| {
                r.memory
                    .iter()
                    .map(|m| {
                        m.largest_mib(prefix)
                            .map(|mib| format!("{mib:.0}"))
                            .unwrap_or_else(|| "—".into())
                    })
                    .collect::<Vec<_>>()
                    .join(" → ")
            }
        };
        table(
            &mut md,
            &[
                ("validator", each(&memory("node-"))),
                ("issuer", each(&memory("issuer"))),
                ("verifier", each(&memory("verifier"))),
            ],
        );
        md
    }
}

/// A figure as the docs write it: whole above 100, thousands set apart by a space.
fn number(v: f64) -> String {
    if v.abs() < 100.0 {
        return format!("{v:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned();
    }
    let whole = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::super::bench_figures::{CoalescedReads, JsResult, JsResults, Throughput};
    use super::*;

    fn throughput(per_second: f64, p99_ms: f64) -> Throughput {
        Throughput {
            count: (per_second * 10.0) as u64,
            secs: 10.0,
            per_second,
            p50_ms: p99_ms / 2.0,
            p99_ms,
            max_ms: p99_ms * 2.0,
            seconds: vec![Second {
                at: 1,
                count: per_second as u64,
                p50_ms: p99_ms / 2.0,
                p99_ms,
            }],
        }
    }

    fn coalesced(per_second: f64) -> CoalescedReads {
        CoalescedReads {
            reads: throughput(per_second, 5.0),
            failed: 0,
            dids_per_call: 16.0,
        }
    }

    fn run(writes: f64, finality_p99: f64, first_seen_cpu: Option<f64>) -> Run {
        Run {
            calibration: 30_000.0,
            registry: RegistryFigures {
                writes: throughput(writes, finality_p99),
                rejected: 0,
                transport_errors: 0,
                reads: throughput(21_000.0, 9.0),
                read_failures: 0,
                coalesced_reads: Some(coalesced(40_000.0)),
            },
            issuer: IssuerFigures {
                credentials_per_second: 30_000.0,
                bytes_each: 900,
                index_per_second: 40.0,
                index_ms_each: 50.0,
                index_cost: "m=19456 KiB, t=2, p=1".into(),
            },
            verifier: VerifierFigures {
                // Cheaper at full speed than at the first-seen rate, as measured: the
                // first-seen ratio must be taken against the paced phase.
                repeated: VerifierPhase {
                    verified: throughput(16_000.0, 8.0),
                    failed: 0,
                    cpu_us_each: Some(80.0),
                    cores: Some(1.2),
                },
                first_seen: first_seen_cpu.map(|cpu| VerifierPhase {
                    verified: throughput(6_000.0, 20.0),
                    failed: 0,
                    cpu_us_each: Some(cpu),
                    cores: Some(1.3),
                }),
                repeated_at_first_seen_rate: first_seen_cpu.map(|_| VerifierPhase {
                    verified: throughput(6_000.0, 6.0),
                    failed: 0,
                    cpu_us_each: Some(100.0),
                    cores: Some(0.6),
                }),
                javascript: Ok(JsResults {
                    sd_jwt: JsResult {
                        verified: 1,
                        failed: 0,
                        seconds: 1.0,
                        per_second: 4_000.0,
                        first_error: None,
                    },
                    sd_jwt_vc: JsResult {
                        verified: 1,
                        failed: 0,
                        seconds: 1.0,
                        per_second: 200.0,
                        first_error: None,
                    },
                }),
            },
            memory: vec![
                Memory {
                    moment: "idle",
                    rss: vec![
                        ("node-0".into(), 130 << 20),
                        ("node-1".into(), 140 << 20),
                        ("issuer".into(), 60 << 20),
                    ],
                },
                Memory {
                    moment: "after the registry",
                    rss: vec![("node-0".into(), 600 << 20), ("issuer".into(), 61 << 20)],
                },
            ],
        }
    }

    fn report(runs: Vec<Run>) -> Report {
        Report {
            command: "realdid bench all".into(),
            machine: Machine {
                cpu: "a CPU".into(),
                cores: 2,
                memory_gib: 24.0,
                kernel: "Linux 6".into(),
            },
            commit: "0123456789ab".into(),
            profile: "release",
            took: Duration::from_secs(600),
            runs,
        }
    }

    fn target<'a>(targets: &'a [Target], what: &str) -> &'a Target {
        targets
            .iter()
            .find(|t| t.what.starts_with(what))
            .expect(what)
    }

    #[test]
    fn each_target_is_judged_on_its_slowest_run() {
        let r = report(vec![
            run(6_000.0, 800.0, Some(140.0)),
            run(4_900.0, 700.0, Some(120.0)),
            run(5_500.0, 1_200.0, Some(160.0)),
        ]);
        let targets = r.targets();
        let writes = target(&targets, "committed DID creates");
        assert_eq!((writes.worst(), writes.met()), (Some(4_900.0), Some(false)));
        let finality = target(&targets, "finality");
        assert_eq!(
            (finality.worst(), finality.met()),
            (Some(1_200.0), Some(false))
        );
        let first_seen = target(&targets, "verifier CPU");
        assert_eq!(first_seen.worst(), Some(1.6));
        assert_eq!(first_seen.met(), Some(false));
        let reads = target(&targets, "proven resolves per second, one DID");
        assert_eq!(reads.met(), Some(true));
        let core = target(&targets, "realdid over gRPC ÷ `@sd-jwt/core`");
        assert_eq!((core.worst(), core.met()), (Some(4.0), Some(false)));
    }

    #[test]
    fn a_figure_a_run_did_not_take_leaves_its_target_unjudged() {
        let r = report(vec![
            run(6_000.0, 800.0, Some(140.0)),
            run(6_000.0, 800.0, None),
        ]);
        let targets = r.targets();
        let first_seen = target(&targets, "verifier CPU");
        assert_eq!(first_seen.met(), None);
        assert_eq!(first_seen.verdict(), "not measured");
        // The coalesced reads are a target of their own, judged on their own figures.
        let mut slow = run(6_000.0, 800.0, Some(140.0));
        slow.registry.coalesced_reads = Some(coalesced(15_000.0));
        let mut without = run(6_000.0, 800.0, Some(140.0));
        without.registry.coalesced_reads = None;
        let targets = report(vec![run(6_000.0, 800.0, Some(140.0)), slow]).targets();
        let coalesced = target(&targets, "proven resolves per second, coalesced");
        assert_eq!(
            (coalesced.worst(), coalesced.met()),
            (Some(15_000.0), Some(false))
        );
        let targets = report(vec![without]).targets();
        assert_eq!(
            target(&targets, "proven resolves per second, one DID").met(),
            Some(true)
        );
        assert_eq!(
            target(&targets, "proven resolves per second, coalesced").met(),
            None
        );
        let mut skipped = run(6_000.0, 800.0, None);
        skipped.verifier.javascript = Err("no --js-modules".into());
        let md = report(vec![skipped]).markdown();
        assert!(md.contains("skipped: no --js-modules"), "{md}");
    }

    #[test]
    fn the_report_names_its_machine_commit_and_calibration_and_links_every_plot() {
        let r = report(vec![run(6_000.0, 800.0, Some(140.0))]);
        let md = r.markdown();
        for needed in [
            "0123456789ab",
            "a CPU, 2 cores, 24 GiB",
            "| 30 000 |",
            "release",
        ] {
            assert!(md.contains(needed), "{needed} in\n{md}");
        }
        for (name, svg) in r.plots() {
            assert!(md.contains(&format!("]({name})")), "{name} linked");
            assert!(svg.contains("<polyline"), "{name} draws a line");
        }
        assert!(
            md.contains(
                "| committed DID creates per second | 6 000/s | 6 000/s | ≥ 5 000/s | met |"
            ),
            "{md}"
        );
        // The largest validator at each moment; a process not running is a dash.
        assert!(md.contains("| validator | 140 → 600 |"), "{md}");
        assert!(md.contains("| verifier | — → — |"), "{md}");
    }

    #[test]
    fn numbers_are_grouped_by_thousands_and_small_ones_keep_their_decimals() {
        assert_eq!(number(17_989.4), "17 989");
        assert_eq!(number(1_234_567.0), "1 234 567");
        assert_eq!(number(867.0), "867");
        assert_eq!(number(1.25), "1.25");
        assert_eq!(number(4.0), "4");
    }
}
