//! Counting a console's requests from the API server's audit log (Metadata level, one JSON
//! event per line, see `KubeEnv`'s `Options::audit_console`): the server's word, not the
//! client's.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use jiff::Timestamp;
use serde_json::Value;

/// Requests of `user` received in `[from, to)`, by "verb resource" (`list pods`,
/// `watch httproutes`, `get /readyz` for a request that names no resource). A request
/// logged at several stages (a watch: started, then complete) counts once.
pub fn requests_by_verb(
    log: &Path,
    user: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<BTreeMap<String, usize>, String> {
    let text = std::fs::read_to_string(log).map_err(|e| format!("read {}: {e}", log.display()))?;
    Ok(count(&text, user, from, to))
}

fn count(text: &str, user: &str, from: Timestamp, to: Timestamp) -> BTreeMap<String, usize> {
    let mut seen = HashSet::new();
    let mut by = BTreeMap::new();
    for line in text.lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let s = |ptr: &str| event.pointer(ptr).and_then(Value::as_str).unwrap_or("");
        if s("/user/username") != user || !seen.insert(s("/auditID").to_string()) {
            continue;
        }
        let Ok(at) = s("/requestReceivedTimestamp").parse::<Timestamp>() else {
            continue;
        };
        if at < from || at >= to {
            continue;
        }
        let what = match (s("/objectRef/resource"), s("/objectRef/subresource")) {
            ("", _) => s("/requestURI").split('?').next().unwrap_or("").to_string(),
            (r, "") => r.to_string(),
            (r, sub) => format!("{r}/{sub}"),
        };
        *by.entry(format!("{} {what}", s("/verb"))).or_insert(0) += 1;
    }
    by
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_request_of_the_user_once_inside_the_window() {
        let line = |id: &str, user: &str, at: &str, verb: &str, extra: &str| {
            format!(
                r#"{{"auditID":"{id}","stage":"ResponseComplete","verb":"{verb}","user":{{"username":"{user}"}},"requestReceivedTimestamp":"{at}"{extra}}}"#
            )
        };
        let pods = r#","objectRef":{"resource":"pods"},"requestURI":"/api/v1/pods?watch=1""#;
        let log = [
            line("a", "console", "2026-01-01T00:00:01.5Z", "watch", pods),
            // The same watch, logged again when it ended: one request.
            line("a", "console", "2026-01-01T00:00:01.5Z", "watch", pods),
            line(
                "b",
                "console",
                "2026-01-01T00:00:02Z",
                "get",
                r#","requestURI":"/readyz""#,
            ),
            line("c", "admin", "2026-01-01T00:00:02Z", "list", pods),
            line("d", "console", "2026-01-01T00:00:09Z", "list", pods),
            "not json".to_string(),
        ]
        .join("\n");
        let from: Timestamp = "2026-01-01T00:00:01Z".parse().unwrap();
        let to: Timestamp = "2026-01-01T00:00:05Z".parse().unwrap();
        let got = count(&log, "console", from, to);
        let want: BTreeMap<String, usize> = [
            ("get /readyz".to_string(), 1),
            ("watch pods".to_string(), 1),
        ]
        .into();
        assert_eq!(got, want);
    }
}
