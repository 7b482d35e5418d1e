//! One markdown table per scale: a row per figure, the measured value, the issue's target.
//! Values are written so that [`check_value`] can read them back (the CI smoke run checks
//! every figure is there and parsable, never how fast it is).

use std::collections::BTreeMap;
use std::time::Duration;

/// The views measured under churn, with the keys that show them.
pub const CHURN_VIEWS: [(&str, &str); 5] = [
    ("Gateways fully expanded", "1E"),
    ("Routes", "2"),
    ("Mesh", "4"),
    ("Certificates", "5"),
    ("Diagnostics", "6"),
];
/// Churn rates, events per second.
pub const CHURN_RATES: [u32; 2] = [50, 500];
/// The rate the latency under churn is measured at.
pub const LATENCY_CHURN_RATE: u32 = 500;

/// Figure names, shared by the runner and the check.
pub const FIRST_FRAME: &str = "first frame (process start to the header on screen)";
pub const LIVE: &str = "all kinds live (process start to header `● live`)";
pub const RAW_LIST: &str = "raw parallel LIST of the same kinds, same run (median of 3)";
pub const LIVE_RATIO: &str = "live / raw LIST";
pub const RSS_STEADY: &str = "RSS steady (VmRSS after the idle window)";
pub const RSS_PEAK: &str = "RSS peak (VmHWM after the idle window)";
pub const RSS_AFTER_CHURN: &str = "RSS / peak after all churn (VmRSS / VmHWM)";
pub const IDLE_REQUESTS: &str = "API requests in the idle window (audit log, console user)";
pub const IDLE_CPU: &str = "CPU in the idle window";
pub const LATENCY_IDLE: &str = "key to screen, idle (j/k in Routes)";
pub const SELECTION_BYTES: &str = "bytes for one selection move (Routes, median)";
pub const REPAINT_BYTES: &str = "bytes for a full repaint at 200x50 (resize)";
pub const REPAINT_SYNC: &str = "full repaint in synchronized output (`ESC[?2026h`)";

pub fn churn_figure(rate: u32, view: &str) -> String {
    format!("CPU under {rate} ev/s churn, {view}")
}

pub fn latency_churn_figure() -> String {
    format!("key to screen under {LATENCY_CHURN_RATE} ev/s churn (j/k in Routes)")
}

/// Every figure a report has, in order.
pub fn figures() -> Vec<String> {
    let mut all: Vec<String> = [
        FIRST_FRAME,
        LIVE,
        RAW_LIST,
        LIVE_RATIO,
        RSS_STEADY,
        RSS_PEAK,
        RSS_AFTER_CHURN,
    ]
    .map(String::from)
    .to_vec();
    all.extend([IDLE_REQUESTS, IDLE_CPU].map(String::from));
    for rate in CHURN_RATES {
        for (view, _) in CHURN_VIEWS {
            all.push(churn_figure(rate, view));
        }
    }
    all.push(LATENCY_IDLE.into());
    all.push(latency_churn_figure());
    all.extend([SELECTION_BYTES, REPAINT_BYTES, REPAINT_SYNC].map(String::from));
    all
}

/// The issue's number (1..8) of a figure, for the table's first column.
fn issue_item(figure: &str) -> u8 {
    match figure {
        FIRST_FRAME => 1,
        LIVE | RAW_LIST | LIVE_RATIO => 2,
        RSS_STEADY | RSS_PEAK | RSS_AFTER_CHURN => 3,
        IDLE_REQUESTS => 4,
        IDLE_CPU => 5,
        f if f.starts_with("CPU under") => 6,
        f if f.starts_with("key to screen") => 7,
        _ => 8,
    }
}

/// One table: a heading, lines of context above it, then the rows.
#[derive(Debug, Default)]
pub struct Report {
    pub title: String,
    pub context: Vec<String>,
    pub rows: BTreeMap<String, (String, String)>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn new(title: impl Into<String>) -> Report {
        Report {
            title: title.into(),
            ..Report::default()
        }
    }

    /// Records a figure's value and its target (replacing an earlier one).
    pub fn set(&mut self, figure: impl Into<String>, value: String, target: impl Into<String>) {
        self.rows.insert(figure.into(), (value, target.into()));
    }

    /// The markdown: heading, context lines, the table in [`figures`] order (a figure never
    /// measured reads `missing`), then notes.
    pub fn markdown(&self) -> String {
        let mut out = format!("### {}\n\n", self.title);
        for line in &self.context {
            out.push_str(&format!("- {line}\n"));
        }
        out.push_str("\n| # | figure | measured | target |\n|---|---|---|---|\n");
        for figure in figures() {
            let (value, target) = self
                .rows
                .get(&figure)
                .cloned()
                .unwrap_or_else(|| ("missing".into(), String::new()));
            let cell = |s: &str| s.replace('|', "\\|");
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                issue_item(&figure),
                cell(&figure),
                cell(&value),
                cell(&target)
            ));
        }
        if !self.notes.is_empty() {
            out.push('\n');
        }
        for note in &self.notes {
            out.push_str(&format!("{note}\n"));
        }
        out
    }
}

// Value formats, each readable by `check_value`.

pub fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

pub fn ratio(x: f64) -> String {
    format!("{x:.2} x")
}

pub fn megabytes(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

pub fn percent(p: f64, detail: &str) -> String {
    if detail.is_empty() {
        format!("{p:.1} % of a core")
    } else {
        format!("{p:.1} % of a core ({detail})")
    }
}

pub fn bytes(n: usize) -> String {
    format!("{n} B")
}

pub fn yes_no(b: bool) -> String {
    if b { "yes".into() } else { "no".into() }
}

/// `p50 3.1 ms / p99 9.8 ms (n=100)`; `None` when there is no sample.
pub fn percentiles(samples: &[Duration]) -> Option<String> {
    let mut s = samples.to_vec();
    s.sort();
    let at = |q: f64| s[((s.len() as f64 * q).ceil() as usize).clamp(1, s.len()) - 1];
    (!s.is_empty()).then(|| {
        format!(
            "p50 {} / p99 {} (n={})",
            millis(at(0.50)),
            millis(at(0.99)),
            s.len()
        )
    })
}

/// `3 requests: get /readyz 1, watch pods 2` (`0 requests` when there were none).
pub fn requests(by: &BTreeMap<String, usize>) -> String {
    let total: usize = by.values().sum();
    if by.is_empty() {
        return "0 requests".into();
    }
    let parts: Vec<String> = by.iter().map(|(k, n)| format!("{k} {n}")).collect();
    format!("{total} requests: {}", parts.join(", "))
}

pub const IN_PROCESS: &str = "n/a (in-process server)";

/// A figure the demo cannot give, with why.
pub fn not_available(why: &str) -> String {
    format!("{IN_PROCESS}: {why}")
}

/// A figure that could not be measured in this run (e.g. the process was gone).
pub fn failed(why: &str) -> String {
    format!("failed: {}", one_line(why, 300))
}

/// `text` on one line (a table cell), cut to `max` characters with `…`.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        flat.chars().take(max).chain(['…']).collect()
    }
}

/// Whether a value cell reads as one of the formats above (a number with its unit,
/// percentiles, yes/no, or n/a with a reason). `failed: …` and `missing` do not.
pub fn check_value(cell: &str) -> Result<(), String> {
    let cell = cell.trim();
    if cell.starts_with("n/a (") || cell == "yes" || cell == "no" {
        return Ok(());
    }
    let number = |s: &str| {
        s.parse::<f64>()
            .map_err(|_| format!("{s:?} is not a number"))
    };
    if let Some(rest) = cell.strip_prefix("p50 ") {
        let (p50, rest) = rest
            .split_once(" ms / p99 ")
            .ok_or_else(|| format!("no p99 in {cell:?}"))?;
        let p99 = rest
            .split_once(" ms (n=")
            .ok_or_else(|| format!("no n in {cell:?}"))?
            .0;
        return number(p50).and(number(p99)).map(drop);
    }
    let mut words = cell.split_whitespace();
    let (Some(n), Some(unit)) = (words.next(), words.next()) else {
        return Err(format!("{cell:?} is not a number with a unit"));
    };
    number(n)?;
    match unit {
        "ms" | "x" | "MB" | "%" | "B" | "requests" | "requests:" => Ok(()),
        _ => Err(format!("unknown unit {unit:?} in {cell:?}")),
    }
}

/// Reads a rendered table back: figure → measured value.
pub fn parse_table(markdown: &str) -> BTreeMap<String, String> {
    markdown
        .lines()
        .filter_map(|l| l.strip_prefix("| ")?.strip_suffix(" |"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            (cells.len() == 4 && cells[0].parse::<u8>().is_ok())
                .then(|| (cells[1].replace("\\|", "|"), cells[2].replace("\\|", "|")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_reads_back_and_a_failure_does_not() {
        let ms = Duration::from_millis;
        let by: BTreeMap<String, usize> = [("get /readyz".to_string(), 1)].into();
        for v in [
            millis(ms(12)),
            ratio(1.5),
            megabytes(61_440),
            percent(0.25, ""),
            percent(12.0, "achieved 49.9/s"),
            bytes(420),
            yes_no(false),
            percentiles(&[ms(3), ms(9)]).unwrap(),
            requests(&by),
            requests(&BTreeMap::new()),
            not_available("the audit log is the API server's"),
        ] {
            assert_eq!(check_value(&v), Ok(()), "{v}");
        }
        assert!(check_value(&failed("gone")).is_err());
        assert!(check_value("missing").is_err());
        assert_eq!(percentiles(&[]), None);
    }

    #[test]
    fn a_rendered_table_parses_back_with_every_figure() {
        let mut r = Report::new("t");
        r.set(FIRST_FRAME, millis(Duration::from_millis(7)), "<= 100 ms");
        r.set(IDLE_REQUESTS, "1 requests: get a|b 1".into(), "0 LIST");
        let back = parse_table(&r.markdown());
        assert_eq!(back.len(), figures().len());
        assert_eq!(back[FIRST_FRAME], "7.0 ms");
        assert_eq!(back[IDLE_REQUESTS], "1 requests: get a|b 1");
        assert_eq!(back[RSS_PEAK], "missing");
    }
}
