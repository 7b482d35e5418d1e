//! The benchmark's flags: `--pods 1000,10000 --demo --idle-secs 60 --churn-secs 10
//! --samples 100 --out FILE`.

use std::path::PathBuf;

/// What to measure and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// One real-API-server run per entry (pods in the synthetic cluster).
    pub pods: Vec<usize>,
    /// Also run each size on the embedded demo (`MESHCTL_DEMO_PODS=N meshctl-tui --demo`).
    pub demo: bool,
    /// The idle window (API requests, CPU).
    pub idle_secs: u32,
    /// Each churn window (per rate and view, and for the latency under churn).
    pub churn_secs: u32,
    /// Keystrokes per latency figure.
    pub samples: usize,
    /// Also write the report there.
    pub out: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pods: vec![1000, 10_000],
            demo: false,
            idle_secs: 60,
            churn_secs: 10,
            samples: 100,
            out: None,
        }
    }
}

pub const USAGE: &str = "cargo bench --bench scale -- [--pods 1000,10000] [--demo] \
[--idle-secs 60] [--churn-secs 10] [--samples 100] [--out FILE]";

impl Options {
    /// Parses the flags; `--bench` (which `cargo bench` passes) is ignored.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
        let mut o = Options::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f.to_string(), Some(v.to_string())),
                None => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--bench" => {}
                "--demo" => o.demo = true,
                "--pods" => {
                    o.pods = value()?
                        .split(',')
                        .map(|p| p.trim().parse().map_err(|_| format!("--pods: {p:?}")))
                        .collect::<Result<_, _>>()?
                }
                "--idle-secs" => o.idle_secs = number(&flag, &value()?)?,
                "--churn-secs" => o.churn_secs = number(&flag, &value()?)?,
                "--samples" => o.samples = number(&flag, &value()?)?,
                "--out" => o.out = Some(PathBuf::from(value()?)),
                "-h" | "--help" => return Err(USAGE.into()),
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        if o.pods.is_empty() || o.idle_secs == 0 || o.churn_secs == 0 || o.samples == 0 {
            return Err(format!("empty --pods or a zero window\n{USAGE}"));
        }
        Ok(o)
    }
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{flag}: not a number: {v:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        Options::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_as_cargo_bench_passes_them() {
        assert_eq!(parse(&["--bench"]), Ok(Options::default()));
        let o = parse(&[
            "--bench",
            "--pods",
            "1000",
            "--demo",
            "--idle-secs=20",
            "--churn-secs",
            "5",
            "--out",
            "x.md",
        ])
        .unwrap();
        assert_eq!(
            (o.pods, o.demo, o.idle_secs, o.churn_secs),
            (vec![1000], true, 20, 5)
        );
        assert_eq!(o.out, Some(PathBuf::from("x.md")));
        assert!(parse(&["--pods", "1k"]).is_err());
        assert!(parse(&["--idle-secs", "0"]).is_err());
        assert!(parse(&["--frobnicate"]).is_err());
    }
}
