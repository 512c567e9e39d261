//! `realdid bench all` end to end, at a small size: a fresh devnet of its own, every part
//! measured, and a report that says what it measured, with the JavaScript library left out.

use std::path::Path;
use std::process::Command;

use realdid::supervisor::supervised;
use realdid_tests::realdid_binary;

/// The first cell of the table row that starts with `| {what} |`.
fn cell<'a>(report: &'a str, what: &str) -> &'a str {
    let row = report
        .lines()
        .find(|l| l.starts_with(&format!("| {what} |")))
        .unwrap_or_else(|| panic!("no row {what:?} in\n{report}"));
    row.split('|').nth(2).unwrap_or_default().trim()
}

/// The leading whole number of `text` ("197 in 5 s = …" → 197).
fn leading_number(text: &str) -> u64 {
    text.trim_start_matches("**")
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number at the start of {text:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_all_measures_every_part_and_reports_it_without_the_javascript_library() {
    let _serial = crate::serial().await;
    // A path that names the benchmark, as a user's would: the verifier's CPU must still be
    // told apart from the benchmark's own process.
    let out = tempfile::Builder::new()
        .prefix("bench-all-")
        .tempdir()
        .unwrap();
    let out_path = out.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        // Started outside the checkout, as a user may: the report still names the commit.
        supervised(&mut Command::new(realdid_binary()))
            .current_dir(&out_path)
            .args(["bench", "all", "--out"])
            .arg(&out_path)
            .args([
                "--write-secs",
                "3",
                "--read-secs",
                "2",
                "--coalesced-read-secs",
                "2",
                "--verifications",
                "200",
                "--first-seen",
                "12",
                "--credentials",
                "3000",
                "--js-modules",
                "/nonexistent",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bench all failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("report: "), "{stdout}");

    let report = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    // What makes the report comparable with another.
    for needed in [
        "| commit |",
        "| build profile |",
        "| machine |",
        "bare Ed25519 verifications per second",
    ] {
        assert!(report.contains(needed), "{needed:?} missing in\n{report}");
    }
    assert!(
        leading_number(cell(
            &report,
            "calibration: bare Ed25519 verifications per second, one core"
        )) > 0
    );
    let commit = cell(&report, "commit");
    assert!(
        commit.len() >= 12 && commit[..12].bytes().all(|b| b.is_ascii_hexdigit()),
        "the commit the binary was built from: {commit}"
    );
    // Every part measured something, and nothing failed.
    assert!(leading_number(cell(&report, "committed DID creates")) > 0);
    assert!(leading_number(cell(&report, "credentials signed")) > 0);
    for phase in [
        "proven resolves, one DID a call",
        "proven resolves, coalesced by the client",
        "repeated credentials",
        "first-seen credentials",
        "repeated credentials, alternating with the first-seen ones at their pace",
    ] {
        let row = cell(&report, phase);
        assert!(
            leading_number(row) > 0 && row.contains(" 0 failed"),
            "{phase}: {row}"
        );
    }
    // The coalesced phase coalesced: the reader's calls carried several DIDs each.
    let coalesced = cell(&report, "proven resolves, coalesced by the client");
    let per_call: f64 = coalesced
        .strip_suffix(" DIDs a call")
        .and_then(|rest| rest.rsplit(", ").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no DIDs a call in {coalesced:?}"));
    assert!(per_call > 1.5, "{coalesced}");
    // Each target is judged, or said not measured where it was left out.
    assert!(report.contains("| committed DID creates per second |"));
    let ratio = cell(
        &report,
        "verifier CPU, first-seen ÷ repeated credential at the same pace",
    );
    assert!(
        ratio.ends_with('×'),
        "the verifier's CPU is read in both phases: {ratio}"
    );
    let js = cell(
        &report,
        "JavaScript `@sd-jwt/core`, same presentations, one process",
    );
    assert!(
        js.contains("skipped") && js.contains("/nonexistent"),
        "the comparison left out is said so, with why: {js}"
    );
    for plot in [
        "registry-writes.svg",
        "registry-finality.svg",
        "registry-reads.svg",
        "verifier-rate.svg",
        "verifier-latency.svg",
    ] {
        let svg = std::fs::read_to_string(out.path().join(plot)).unwrap();
        assert!(report.contains(&format!("]({plot})")), "{plot} is linked");
        assert!(svg.contains("<polyline"), "{plot} draws its figures");
    }
    // The devnet's memory, read at three moments: a validator holds some at each.
    let validator = cell(&report, "validator");
    assert_eq!(validator.split(" → ").count(), 3, "{validator}");
    assert!(
        validator.split(" → ").all(|mib| leading_number(mib) > 0),
        "{validator}"
    );
    // The devnet it started is gone with it.
    assert_no_process_mentions(out.path());
}

fn assert_no_process_mentions(dir: &Path) {
    let needle = dir.display().to_string();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        assert!(!cmdline.contains(&needle), "still running: {cmdline}");
    }
}
