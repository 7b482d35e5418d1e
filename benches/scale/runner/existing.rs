//! The generator and the churn driver on a cluster of your own (any API server your
//! kubeconfig reaches), without measuring anything:
//!
//! ```sh
//! cargo bench --bench scale -- generate --pods 10000 [--crds] [--kubeconfig F] [--context C]
//! cargo bench --bench scale -- churn --pods 10000 --rate 50 --seconds 60 [--kubeconfig F]
//! ```
//!
//! `generate` creates the demo's base assets and a synthetic cluster of that many pods
//! (`meshctl_tui::demo::synthetic`); `--crds` first installs the demo's CRDs (Gateway API,
//! Istio, AGC, cert-manager) with status subresources. `churn` changes that cluster at a rate
//! for a time (same `--pods` as `generate`: it picks objects by the shape). Then run the
//! console against it and watch.

use std::path::PathBuf;

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};
use meshctl_tui::demo::synthetic::{self, Churn, Size};

use super::cluster;
use crate::support::kube_env::{self, install_crd_documents_on};

/// `generate` or `churn`, with where and how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub what: What,
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub pods: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    Generate { crds: bool },
    Churn { rate: u32, seconds: u32 },
}

pub const USAGE: &str = "cargo bench --bench scale -- generate --pods N [--crds] \
[--kubeconfig FILE] [--context NAME]\n       cargo bench --bench scale -- churn --pods N \
--rate PER_SECOND --seconds S [--kubeconfig FILE] [--context NAME]";

impl Task {
    /// `args` after the word `generate` or `churn`; None when the first word is neither.
    pub fn parse(args: &[String]) -> Option<Result<Task, String>> {
        let start = args.iter().take_while(|a| *a == "--bench").count();
        let (first, rest) = args[start..].split_first()?;
        let what = match first.as_str() {
            "generate" => What::Generate { crds: false },
            "churn" => What::Churn {
                rate: 0,
                seconds: 0,
            },
            _ => return None,
        };
        Some(Task::parse_flags(what, rest))
    }

    fn parse_flags(mut what: What, args: &[String]) -> Result<Task, String> {
        let mut task = Task {
            what: What::Generate { crds: false },
            kubeconfig: None,
            context: None,
            pods: 0,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value\nusage: {USAGE}"))
            };
            let number = |v: String| -> Result<u64, String> {
                v.parse()
                    .map_err(|_| format!("{flag}: {v:?} is not a number\nusage: {USAGE}"))
            };
            match (flag.as_str(), &mut what) {
                ("--bench", _) => {}
                ("--pods", _) => task.pods = number(value()?)? as usize,
                ("--kubeconfig", _) => task.kubeconfig = Some(value()?.into()),
                ("--context", _) => task.context = Some(value()?),
                ("--crds", What::Generate { crds }) => *crds = true,
                ("--rate", What::Churn { rate, .. }) => *rate = number(value()?)? as u32,
                ("--seconds", What::Churn { seconds, .. }) => *seconds = number(value()?)? as u32,
                _ => return Err(format!("unknown flag {flag}\nusage: {USAGE}")),
            }
        }
        if task.pods == 0 {
            return Err(format!("--pods is required\nusage: {USAGE}"));
        }
        if let What::Churn { rate, seconds } = what
            && (rate == 0 || seconds == 0)
        {
            return Err(format!("churn needs --rate and --seconds\nusage: {USAGE}"));
        }
        task.what = what;
        Ok(task)
    }

    /// Runs it; the text says what was done.
    pub async fn run(&self) -> Result<String, String> {
        let client = self.client().await?;
        let size = Size { pods: self.pods };
        match self.what {
            What::Generate { crds } => {
                if crds {
                    let path = cluster::assets_dir().join("00-crds.yaml");
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("read {}: {e}", path.display()))?;
                    let origin = path.display().to_string();
                    let docs = kube_env::parse_yaml_documents(&text, &origin)
                        .into_iter()
                        .map(|d| (d, origin.clone()))
                        .collect();
                    let names = install_crd_documents_on(&client, docs).await;
                    eprintln!("{} CRDs installed and established", names.len());
                }
                cluster::populate(&client, self.pods).await
            }
            What::Churn { rate, seconds } => {
                let r = synthetic::churn(&client, &size, Churn { rate, seconds }).await?;
                Ok(format!(
                    "{} changes issued in {:.1} s, {} failed, {} skipped{}",
                    r.issued,
                    r.elapsed.as_secs_f64(),
                    r.failed,
                    r.skipped,
                    r.first_error
                        .map(|e| format!("; first error: {e}"))
                        .unwrap_or_default()
                ))
            }
        }
    }

    /// The kubeconfig's client: `--kubeconfig`, else `$KUBECONFIG` or `~/.kube/config`
    /// (or in-cluster), as kubectl would.
    async fn client(&self) -> Result<Client, String> {
        kube_env::ensure_crypto_provider();
        let options = KubeConfigOptions {
            context: self.context.clone(),
            ..Default::default()
        };
        let config = match &self.kubeconfig {
            Some(path) => {
                let kc = Kubeconfig::read_from(path)
                    .map_err(|e| format!("read {}: {e}", path.display()))?;
                kube::Config::from_custom_kubeconfig(kc, &options).await
            }
            None => kube::Config::from_kubeconfig(&options).await,
        }
        .map_err(|e| format!("kubeconfig: {e}"))?;
        Client::try_from(config).map_err(|e| format!("client: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_benchmark_flags_are_not_a_task() {
        assert_eq!(Task::parse(&args("--pods 1000 --demo")), None);
        assert_eq!(Task::parse(&args("")), None);
    }

    #[test]
    fn generate_and_churn_read_their_flags() {
        let t = Task::parse(&args("--bench generate --pods 500 --crds --context c"))
            .unwrap()
            .unwrap();
        assert_eq!(t.what, What::Generate { crds: true });
        assert_eq!((t.pods, t.context.as_deref()), (500, Some("c")));
        let t = Task::parse(&args(
            "churn --pods 500 --rate 50 --seconds 9 --kubeconfig k",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            t.what,
            What::Churn {
                rate: 50,
                seconds: 9
            }
        );
        assert_eq!(t.kubeconfig, Some(PathBuf::from("k")));
    }

    #[test]
    fn a_flag_of_the_other_task_or_a_missing_value_is_refused() {
        let err = |s| Task::parse(&args(s)).unwrap().unwrap_err();
        assert!(err("generate --pods 5 --rate 3").contains("unknown flag --rate"));
        assert!(err("churn --pods 5 --crds").contains("unknown flag --crds"));
        assert!(err("churn --pods 5 --rate 3").contains("--rate and --seconds"));
        assert!(err("generate --crds").contains("--pods is required"));
        assert!(err("generate --pods x").contains("not a number"));
        assert!(err("generate --pods").contains("needs a value"));
    }
}
