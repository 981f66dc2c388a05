//! The renderer: a planned relation as SPL text, one command a line.

use super::plan::{Combine, Grain, Head, Rel};
use super::{Options, SpanSpec};

pub fn render(rel: &Rel, opts: &Options, instant: bool) -> String {
    let r = Renderer { opts, instant };
    let mut out = String::new();
    r.write(rel, 0, &mut out);
    out
}

struct Renderer<'a> {
    opts: &'a Options,
    instant: bool,
}

impl Renderer<'_> {
    /// Writes `rel` starting with its generating command (`| mstats` or
    /// `| makeresults`); each later command on its own line, indented by
    /// `depth` inside subsearches.
    fn write(&self, rel: &Rel, depth: usize, out: &mut String) {
        let mut cmds: Vec<String> = Vec::new();
        self.commands(rel, depth, &mut cmds);
        let sep = format!("\n{}| ", "  ".repeat(depth));
        out.push_str("| ");
        out.push_str(&cmds.join(&sep));
    }

    fn subsearch(&self, rel: &Rel, extra: &[String], depth: usize) -> String {
        let mut inner = rel.clone();
        inner.stages.extend(extra.iter().cloned());
        let mut s = String::from("append [");
        self.write(&inner, depth + 1, &mut s);
        s.push(']');
        s
    }

    fn by_time(&self, fields: &[String]) -> String {
        let mut all: Vec<&str> = Vec::new();
        if !self.instant {
            all.push("_time");
        }
        all.extend(fields.iter().map(String::as_str));
        if all.is_empty() {
            String::new()
        } else {
            format!(" BY {}", all.join(" "))
        }
    }

    fn span(&self) -> &SpanSpec {
        &self.opts.span
    }

    /// The `span=` of an `mstats` reading at `grain`.
    fn span_at(&self, grain: Grain) -> String {
        match grain {
            Grain::Bucket => self.span().span_arg(),
            Grain::Lookback => self.span().lookback_arg(),
        }
    }

    fn commands(&self, rel: &Rel, depth: usize, cmds: &mut Vec<String>) {
        match &rel.head {
            Head::Mstats {
                func,
                metric,
                filters,
                by,
                grain,
            } => {
                // A series without one of the BY labels keeps its rows
                // (super::ABSENT); host is always there.
                let fill = if by.iter().any(|b| b != "host") {
                    format!("fillnull_value={} ", super::quote(super::ABSENT))
                } else {
                    String::new()
                };
                let mut s = format!(
                    "mstats {fill}{func}({metric}) AS value WHERE `{}`",
                    self.opts.index_macro
                );
                if let Some(node) = &self.opts.node_filter {
                    s.push_str(" AND ");
                    s.push_str(node);
                }
                for f in filters {
                    s.push_str(" AND ");
                    s.push_str(f);
                }
                if !by.is_empty() {
                    s.push_str(" BY ");
                    s.push_str(&by.join(" "));
                }
                if !self.instant {
                    s.push_str(" span=");
                    s.push_str(&self.span_at(*grain));
                }
                cmds.push(s);
            }
            Head::Steps { value } => {
                if self.instant {
                    cmds.push("makeresults".into());
                    cmds.push(format!("eval value={value}"));
                    cmds.push("fields value".into());
                } else {
                    // Every bucket mstats would make over the search range:
                    // starts on multiples of the span (Search Reference,
                    // mstats span and bin), from the range's first.
                    let s = self.span().seconds();
                    cmds.push("makeresults".into());
                    cmds.push("addinfo".into());
                    cmds.push(format!(
                        "eval _time=mvrange(floor(info_min_time / {s}) * {s}, info_max_time, {s})"
                    ));
                    cmds.push("mvexpand _time".into());
                    cmds.push(format!("eval value={value}"));
                    cmds.push("fields _time value".into());
                }
            }
            Head::Join {
                lhs,
                rhs,
                on,
                carry,
                combine,
            } => {
                self.commands(lhs, depth, cmds);
                match combine {
                    Combine::Arith(_) | Combine::Filter(_) => {
                        cmds.push("rename value AS lhs".into());
                        cmds.push(self.subsearch(rhs, &["rename value AS rhs".to_string()], depth));
                        let mut st = String::from("stats first(lhs) AS lhs first(rhs) AS rhs");
                        for c in carry {
                            st.push_str(&format!(" first({c}) AS {c}"));
                        }
                        st.push_str(&self.by_time(on));
                        cmds.push(st);
                        cmds.push("where isnotnull(lhs) AND isnotnull(rhs)".into());
                        match combine {
                            Combine::Arith(e) => {
                                cmds.push(format!("eval value={e}"));
                                cmds.push("fields - lhs rhs".into());
                                cmds.push("where isnotnull(value)".into());
                            }
                            Combine::Filter(c) => {
                                cmds.push(format!("where {c}"));
                                cmds.push("eval value=lhs".into());
                                cmds.push("fields - lhs rhs".into());
                            }
                            _ => unreachable!(),
                        }
                    }
                    Combine::Or => {
                        cmds.push("eval or_side=1".into());
                        cmds.push(self.subsearch(rhs, &["eval or_side=2".to_string()], depth));
                        cmds.push(format!(
                            "eventstats min(or_side) AS or_first{}",
                            self.by_time(&rel.labels)
                        ));
                        cmds.push("where or_side == or_first".into());
                        cmds.push("fields - or_side or_first".into());
                    }
                    Combine::Has(keep_matched) => {
                        let mut keep: Vec<String> = Vec::new();
                        if !self.instant {
                            keep.push("_time".into());
                        }
                        keep.extend(on.iter().cloned());
                        keep.push("has_side".into());
                        cmds.push("eval has_side=1".into());
                        cmds.push(self.subsearch(
                            rhs,
                            &[
                                "eval has_side=2".to_string(),
                                format!("fields {}", keep.join(" ")),
                            ],
                            depth,
                        ));
                        cmds.push(format!(
                            "eventstats max(has_side) AS has_other{}",
                            self.by_time(on)
                        ));
                        cmds.push(format!(
                            "where has_side == 1 AND has_other {} 2",
                            if *keep_matched { "==" } else { "!=" }
                        ));
                        cmds.push("fields - has_side has_other".into());
                    }
                }
            }
        }
        cmds.extend(rel.stages.iter().cloned());
    }
}
