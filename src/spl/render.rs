//! The renderer: a planned relation as SPL text, one command a line.

use super::plan::{Calc, Combine, Grain, Head, Rel};
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

    /// Point 3: each series' `latest` at the lookback grain made its last
    /// sample in the 5 minutes before each bucket's end, for each
    /// aggregation `fields` of the scan (`stats latest` of a field skips the
    /// rows without it, so each keeps its own last sample).
    fn lookback_stages(&self, fields: &[String], by: &[String], cmds: &mut Vec<String>) {
        let s = self.span().seconds();
        let lb = super::LOOKBACK_S;
        // A row too early in its bucket to reach the bucket's window (S > 300).
        cmds.push(format!(
            "where _time + {lb} >= floor(_time / {s}) * {s} + {s}"
        ));
        cmds.push("addinfo".into());
        // Buckets B with B <= m < B + S and B + S - 300 <= m, inside the search.
        cmds.push(format!(
            "eval lookback_bucket=mvrange(floor(_time / {s}) * {s}, min(_time + {lb} - {s} + 1, if(isnum(info_max_time), info_max_time, now())), {s})"
        ));
        cmds.push("mvexpand lookback_bucket".into());
        let latest: Vec<String> = fields
            .iter()
            .map(|f| format!("latest({f}) AS {f}"))
            .collect();
        cmds.push(format!(
            "stats {} BY lookback_bucket {}",
            latest.join(" "),
            by.join(" ")
        ));
        cmds.push("rename lookback_bucket AS _time".into());
    }

    fn commands(&self, rel: &Rel, depth: usize, cmds: &mut Vec<String>) {
        match &rel.head {
            Head::Mstats {
                filters,
                by,
                grain,
                calc,
            } => {
                // A series without one of the BY labels keeps its rows
                // (super::ABSENT); host is always there.
                let fill = if by.iter().any(|b| b != "host") {
                    format!("fillnull_value={} ", super::quote(super::ABSENT))
                } else {
                    String::new()
                };
                let mut aggs = Vec::new();
                aggregations(calc, "value", &mut aggs);
                let mut s = format!(
                    "mstats {fill}{} WHERE `{}`",
                    aggs.join(" "),
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
                if *grain == Grain::Lookback && !self.instant {
                    let fields: Vec<String> = aggs
                        .iter()
                        .filter_map(|a| a.rsplit(" AS ").next().map(str::to_string))
                        .collect();
                    self.lookback_stages(&fields, by, cmds);
                }
                calculate(calc, "value", cmds);
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
                        combined(combine, "lhs", "rhs", "value", cmds);
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
                    set @ (Combine::And | Combine::Unless) => {
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
                            if *set == Combine::And { "==" } else { "!=" }
                        ));
                        cmds.push("fields - has_side has_other".into());
                    }
                }
            }
        }
        cmds.extend(rel.stages.iter().cloned());
    }
}

/// The operands' fields of a match whose result is `field`: `lhs` and `rhs`
/// at the top, `<field>_lhs` and `<field>_rhs` below.
fn operand_fields(field: &str) -> (String, String) {
    if field == "value" {
        ("lhs".into(), "rhs".into())
    } else {
        (format!("{field}_lhs"), format!("{field}_rhs"))
    }
}

/// `FUNC(metric) AS field` for every aggregation of `calc`, left to right.
fn aggregations(calc: &Calc, field: &str, out: &mut Vec<String>) {
    match calc {
        Calc::Metric { func, metric, .. } => out.push(format!("{func}({metric}) AS {field}")),
        Calc::Match { lhs, rhs, .. } => {
            let (l, r) = operand_fields(field);
            aggregations(lhs, &l, out);
            aggregations(rhs, &r, out);
        }
    }
}

/// The commands that turn the aggregations of `calc` into `field`: each
/// operand's stages, written over `value`, run on its own field renamed.
fn calculate(calc: &Calc, field: &str, cmds: &mut Vec<String>) {
    let stages = match calc {
        Calc::Metric { stages, .. } => stages,
        Calc::Match {
            lhs,
            rhs,
            combine,
            stages,
        } => {
            let (l, r) = operand_fields(field);
            calculate(lhs, &l, cmds);
            calculate(rhs, &r, cmds);
            combined(combine, &l, &r, field, cmds);
            stages
        }
    };
    if stages.is_empty() {
        return;
    }
    if field != "value" {
        cmds.push(format!("rename {field} AS value"));
    }
    cmds.extend(stages.iter().cloned());
    if field != "value" {
        cmds.push(format!("rename value AS {field}"));
    }
}

/// A match of the fields `l` and `r` of each row into `field` (rows missing
/// either are dropped), the operand fields removed.
fn combined(combine: &Combine, l: &str, r: &str, field: &str, cmds: &mut Vec<String>) {
    cmds.push(format!("where isnotnull({l}) AND isnotnull({r})"));
    match combine {
        Combine::Arith(_) => {
            cmds.push(format!("eval {field}={}", combine.expr(l, r)));
            cmds.push(format!("fields - {l} {r}"));
            cmds.push(format!("where isnotnull({field})"));
        }
        Combine::Filter(_) => {
            cmds.push(format!("where {}", combine.expr(l, r)));
            cmds.push(format!("eval {field}={l}"));
            cmds.push(format!("fields - {l} {r}"));
        }
        Combine::Or | Combine::And | Combine::Unless => {
            unreachable!("set operators are not combined in a row")
        }
    }
}
