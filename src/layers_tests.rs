//! The crate's layering, checked on the source: a `crate::` path may only point at the same
//! layer or one below it, and sibling modules may not import each other in a circle.
//!
//! ```text
//! text, demo  ->  cluster  ->  audit  ->  model  ->  state  ->  config  ->  app  ->  ui
//!     ->  console, tui  ->  cli  ->  commands
//! ```
//!
//! Test code (`#[cfg(test)] mod …` blocks, `*_tests.rs`, `testkit.rs`) is not production
//! dependency and may drive a module from above (a state test may use the reducer's test kit).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Rank of each top-level module. A module may use a module of lower or equal rank.
const LAYERS: &[(&str, u8)] = &[
    ("text", 0),
    ("demo", 0),
    ("cluster", 1),
    ("audit", 2),
    ("model", 3),
    ("state", 4),
    ("config", 5),
    ("app", 6),
    ("ui", 7),
    ("console", 8),
    ("tui", 8),
    ("cli", 9),
    ("commands", 10),
];

fn rank(top: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == top).map(|(_, r)| *r)
}

/// One source file: its module path and the production code it holds (test code cut off).
struct Source {
    file: PathBuf,
    module: Vec<String>,
    code: Vec<(usize, String)>,
}

fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn is_test_file(file: &Path) -> bool {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    name.ends_with("_tests.rs") || name == "testkit.rs"
}

/// Lines of production code: comments dropped, everything from an inline
/// `#[cfg(test)] mod x {` to the end of the file dropped (test modules sit at the end).
fn production_lines(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
            if next.starts_with("mod ") && next.ends_with('{') {
                break;
            }
        }
        if t.starts_with("//") {
            continue;
        }
        out.push((i + 1, line.to_string()));
    }
    out
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read src").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && !is_test_file(&p) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).expect("read source");
            Source {
                module: module_of(&src, &file),
                code: production_lines(&text),
                file,
            }
        })
        .collect()
}

/// Every module path a line names: `crate::a::b`, `super::x`, `self::y`, also inside
/// `use` groups (`crate::a::{b, c}` counts as `a`; the group's members are items or modules
/// of `a`, resolved below against the real module tree).
fn paths_in(line: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (start, _) in line.match_indices("crate::") {
        if start > 0 {
            let before = line.as_bytes()[start - 1];
            if before.is_ascii_alphanumeric() || before == b'_' || before == b':' {
                continue;
            }
        }
        out.push(segments(&line[start + "crate::".len()..]));
    }
    for (prefix, base) in [
        ("super::", module.get(..module.len().saturating_sub(1))),
        ("self::", Some(module)),
    ] {
        let Some(base) = base else { continue };
        for (start, _) in line.match_indices(prefix) {
            if start > 0 {
                let before = line.as_bytes()[start - 1];
                if before.is_ascii_alphanumeric() || before == b'_' || before == b':' {
                    continue;
                }
            }
            let mut p = base.to_vec();
            p.extend(segments(&line[start + prefix.len()..]));
            out.push(p);
        }
    }
    out
}

fn segments(rest: &str) -> Vec<String> {
    let mut segs = Vec::new();
    let mut cur = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphanumeric() || c == '_' {
            cur.push(c);
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            segs.push(std::mem::take(&mut cur));
        } else {
            break;
        }
    }
    if !cur.is_empty() {
        segs.push(cur);
    }
    segs
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    let mut wrong = Vec::new();
    for s in sources() {
        let Some(own) = s.module.first() else {
            continue;
        };
        let Some(own_rank) = rank(own) else {
            wrong.push(format!(
                "{}: top-level module `{own}` has no layer",
                s.file.display()
            ));
            continue;
        };
        for (n, line) in &s.code {
            for p in paths_in(line, &s.module) {
                let Some(top) = p.first() else { continue };
                match rank(top) {
                    Some(r) if r > own_rank => wrong.push(format!(
                        "{}:{n}: `{own}` (layer {own_rank}) uses `{}` (layer {r})",
                        s.file.display(),
                        p.join("::")
                    )),
                    _ => {}
                }
            }
        }
    }
    assert!(wrong.is_empty(), "upward imports:\n{}", wrong.join("\n"));
}

#[test]
fn sibling_modules_form_no_cycle() {
    let srcs = sources();
    let modules: BTreeSet<Vec<String>> = srcs.iter().map(|s| s.module.clone()).collect();
    // Edges between siblings: a file in module `p::a::…` naming `p::b…` is an edge a -> b.
    let mut edges: BTreeMap<Vec<String>, BTreeSet<(String, String)>> = BTreeMap::new();
    for s in &srcs {
        for (_, line) in &s.code {
            for p in paths_in(line, &s.module) {
                let common = s.module.iter().zip(&p).take_while(|(a, b)| a == b).count();
                let (Some(from), Some(to)) = (s.module.get(common), p.get(common)) else {
                    continue;
                };
                let parent = p[..common].to_vec();
                let mut sibling = parent.clone();
                sibling.push(to.clone());
                if modules.contains(&sibling) {
                    edges
                        .entry(parent)
                        .or_default()
                        .insert((from.clone(), to.clone()));
                }
            }
        }
    }
    let mut cycles = Vec::new();
    for (parent, es) in &edges {
        for (a, b) in es {
            if a < b && reaches(es, b, a) {
                cycles.push(format!("{}: {a} <-> {b}", parent.join("::")));
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

fn reaches(edges: &BTreeSet<(String, String)>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(n) = todo.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n.clone()) {
            todo.extend(
                edges
                    .iter()
                    .filter(|(a, _)| *a == n)
                    .map(|(_, b)| b.clone()),
            );
        }
    }
    false
}

#[test]
fn the_checker_sees_an_upward_path_and_a_cycle() {
    let m = vec!["state".to_string(), "inject".to_string()];
    assert_eq!(
        paths_in("use crate::app::msg::{Msg, Effect};", &m),
        vec![vec!["app".to_string(), "msg".to_string()]]
    );
    assert_eq!(
        paths_in("use super::chooser::Plan;", &m),
        vec![vec![
            "state".to_string(),
            "chooser".to_string(),
            "Plan".to_string()
        ]]
    );
    let es: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert!(reaches(&es, "b", "a"));
    assert!(!reaches(&es, "a", "d"));
    assert!(production_lines("use a;\n#[cfg(test)]\nmod tests {\nuse crate::ui;\n}\n").len() == 1);
}
