//! A UI-neutral tree: the model says what a node shows and how loud it is; the view maps
//! tones to theme roles.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Muted,
    Accent,
    Ok,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Unique among siblings; the path of ids identifies a node (tui-tree-widget's rule).
    pub id: String,
    pub spans: Vec<(String, Tone)>,
    pub children: Vec<Node>,
}

impl Node {
    pub fn new(id: impl Into<String>) -> Self {
        Node {
            id: id.into(),
            spans: Vec::new(),
            children: Vec::new(),
        }
    }

    pub fn span(mut self, text: impl Into<String>, tone: Tone) -> Self {
        self.spans.push((text.into(), tone));
        self
    }

    pub fn child(mut self, n: Node) -> Self {
        self.children.push(n);
        self
    }

    pub fn text(&self) -> String {
        self.spans.iter().map(|(t, _)| t.as_str()).collect()
    }

    /// Number of nodes in this subtree, itself included.
    pub fn count(&self) -> usize {
        1 + self.children.iter().map(Node::count).sum::<usize>()
    }
}

/// A `True`/`False`/`Unknown` condition as a short word with its tone.
pub fn cond_span(type_: &str, status: Option<&str>) -> (String, Tone) {
    match status {
        Some("True") => (format!("{type_} ✓"), Tone::Ok),
        Some("False") => (format!("{type_} ✗"), Tone::Error),
        Some(_) => (format!("{type_} ?"), Tone::Warn),
        None => (format!("{type_} -"), Tone::Muted),
    }
}
