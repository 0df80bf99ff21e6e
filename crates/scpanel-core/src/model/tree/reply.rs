//! `/g_queryTree.reply` into a tree: every count and depth checked against what the reply
//! holds, since the reply comes from the network.

use super::*;

impl NodeTree {
    /// Parses a `/g_queryTree.reply` (with or without controls).
    pub fn from_query_reply(m: &OscMessage) -> Result<NodeTree, TreeParseError> {
        let mut p = ReplyParser {
            args: &m.args,
            at: 0,
        };
        let with_controls = p.int("flag")? != 0;
        let root = p.int("root id")?;
        let count = p.int("child count")?;
        let mut tree = NodeTree::new(root);
        p.children(&mut tree, root, count, with_controls)?;
        Ok(tree)
    }
}

struct ReplyParser<'a> {
    args: &'a [OscType],
    at: usize,
}

impl ReplyParser<'_> {
    fn err(&self, what: impl Into<String>) -> TreeParseError {
        TreeParseError {
            at: self.at,
            what: what.into(),
        }
    }

    fn int(&mut self, what: &str) -> Result<i32, TreeParseError> {
        let m = OscMessage {
            addr: String::new(),
            args: self
                .args
                .get(self.at..self.at + 1)
                .unwrap_or_default()
                .to_vec(),
        };
        let v = int_arg(&m, 0).ok_or_else(|| self.err(format!("expected {what} (an int)")))?;
        self.at += 1;
        Ok(v)
    }

    fn value(&mut self) -> Result<ControlValue, TreeParseError> {
        let v = match self.args.get(self.at) {
            Some(OscType::Float(f)) => ControlValue::Value(*f),
            Some(OscType::Double(f)) => ControlValue::Value(*f as f32),
            Some(OscType::Int(i)) => ControlValue::Value(*i as f32),
            Some(OscType::String(s)) => ControlValue::Bus(s.clone()),
            _ => return Err(self.err("expected a control value")),
        };
        self.at += 1;
        Ok(v)
    }

    fn name(&mut self) -> Result<String, TreeParseError> {
        let v = match self.args.get(self.at) {
            Some(OscType::String(s)) => s.clone(),
            Some(OscType::Int(i)) => i.to_string(),
            _ => return Err(self.err("expected a control name or index")),
        };
        self.at += 1;
        Ok(v)
    }

    fn children(
        &mut self,
        tree: &mut NodeTree,
        parent: i32,
        count: i32,
        with_controls: bool,
    ) -> Result<(), TreeParseError> {
        // An explicit stack: a deep chain of groups must not overflow ours.
        let mut stack: Vec<(i32, i32)> = vec![(parent, count)];
        while let Some((parent, remaining)) = stack.pop() {
            if remaining <= 0 {
                continue;
            }
            stack.push((parent, remaining - 1));
            let id = self.int("node id")?;
            let n = self.int("child count")?;
            if tree.contains(id) {
                return Err(self.err(format!("node {id} appears twice")));
            }
            if n >= 0 {
                tree.push_child(parent, Node::new(id, parent, NodeKind::Group));
                stack.push((id, n));
            } else {
                let def = match self.args.get(self.at) {
                    Some(OscType::String(s)) => s.clone(),
                    _ => return Err(self.err("expected a SynthDef name")),
                };
                self.at += 1;
                let mut node = Node::new(id, parent, NodeKind::Synth { def: Some(def) });
                if with_controls {
                    let c = self.int("control count")?;
                    for _ in 0..c.max(0) {
                        let name = self.name()?;
                        let value = self.value()?;
                        node.controls.push((name, value));
                    }
                }
                tree.push_child(parent, node);
            }
        }
        Ok(())
    }
}
