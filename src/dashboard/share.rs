//! Each scan once per load (issue 17): how the searches of one dashboard
//! share the `mstats` scans they have in common.
//!
//! A compiled target is one scan (its first line, `| mstats ...`) and the
//! pipeline after it. Two levels of sharing, both plain text operations on
//! what [`crate::spl`] wrote, so that the compiler knows nothing of
//! dashboards:
//!
//! - **Targets of one panel** with the same scan (Grafana's p99 and p50 of
//!   one histogram; "Used", "Idle" and "Used (pct)" of one idle CPU series)
//!   run as one search: the scan once, then each target's pipeline on a
//!   copy of its rows through `appendpipe` ([`fork`]). Search Reference,
//!   appendpipe: "Appends the result of the subpipeline to the search
//!   results. Unlike a subsearch, the subpipeline is not run first. The
//!   subpipeline is run when the search reaches the appendpipe command." So
//!   no second scan, and no subsearch row limit either.
//! - **Searches of one dashboard** (panels, hidden variable searches) whose
//!   scans differ only in what they aggregate, over the same WHERE, BY,
//!   span and time range, dispatch one base search whose `mstats` computes
//!   the union of the aggregations, and each becomes a post-process search
//!   on its results ([`share`]). A post-process search dispatches no job:
//!   the dashboard framework runs the base job's results through it
//!   (splunkjs `postprocessmanager`; reference:
//!   `splunk-search-semantics.md` 5.6), so the data is read once per load.

use std::collections::BTreeMap;

use once_cell::sync::Lazy;
use regex::Regex;

/// A search's scan, when its first line is a plain `mstats` (no subsearch
/// in it), and the rest of the search (starting with a newline, or empty).
pub fn split_scan(search: &str) -> Option<(&str, &str)> {
    let (head, rest) = match search.find('\n') {
        Some(i) => (&search[..i], &search[i..]),
        None => (search, ""),
    };
    (head.starts_with("| mstats ") && !head.contains('[')).then_some((head, rest))
}

/// Targets that share one scan, as one search: the scan, then each
/// target's pipeline (`rests`, each as [`split_scan`] returns it and ending
/// with the target's `series` field set) over the scan's own rows, appended
/// by `appendpipe`, then only the targets' rows. The scan's rows have no
/// `series` field (`mstats` names none), which is how each branch finds
/// them among the rows earlier branches appended.
pub fn fork(scan: &str, rests: &[&str]) -> String {
    let mut out = scan.to_string();
    for r in rests {
        out.push_str("\n| appendpipe [where isnull(series)");
        out.push_str(&r.replace('\n', "\n  "));
        out.push(']');
    }
    out.push_str("\n| where isnotnull(series)");
    out
}

/// An `mstats` line taken apart: options, aggregations (`func(metric)`,
/// alias) and the WHERE clause to the end (WHERE, BY, span).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mstats {
    options: String,
    aggs: Vec<(String, String)>,
    tail: String,
}

static MSTATS: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r#"^\| mstats (?P<opts>(?:[a-z_]+=(?:"[^"]*"|[^ "]+) )*)(?P<aggs>(?:[a-z_0-9]+\([^()"]*\) AS [A-Za-z_0-9]+ )+)(?P<tail>WHERE .*)$"#,
    )
    .expect("mstats regex")
});

static AGG: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"([a-z_0-9]+\([^()]*\)) AS ([A-Za-z_0-9]+) ").expect("aggregation regex")
});

fn parse(head: &str) -> Option<Mstats> {
    let c = MSTATS.captures(head)?;
    let aggs = AGG
        .captures_iter(&c["aggs"])
        .map(|a| (a[1].to_string(), a[2].to_string()))
        .collect();
    Some(Mstats {
        options: c["opts"].to_string(),
        aggs,
        tail: c["tail"].to_string(),
    })
}

fn render(m: &Mstats) -> String {
    let aggs: String = m.aggs.iter().map(|(f, a)| format!("{f} AS {a} ")).collect();
    format!("| mstats {}{aggs}{}", m.options, m.tail)
}

/// How one search of a dashboard is dispatched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shared {
    /// On its own: this search.
    Alone(String),
    /// A post-process search (this text, starting with `|`) on the results
    /// of base search number `base` of [`share`]'s list.
    Post { base: usize, query: String },
}

/// How a member's aggregations read the union's: for each of the member's
/// (function, alias), the union's alias of the same function, or None when
/// the member cannot join (its alias names another function there, or two
/// renames would collide).
fn mapping(union: &[(String, String)], member: &[(String, String)]) -> Option<Vec<Option<String>>> {
    let mut map: Vec<Option<String>> = Vec::new();
    for (f, a) in member {
        // The union's own alias of this function if it is the member's
        // (no rename), else the first alias of the function there.
        let exact = union.iter().any(|(uf, ua)| uf == f && ua == a);
        match union.iter().find(|(uf, _)| uf == f) {
            _ if exact => map.push(Some(a.clone())),
            Some((_, ua)) => map.push(Some(ua.clone())),
            None if union.iter().any(|(_, ua)| ua == a) => return None,
            None => map.push(None),
        }
    }
    // Each union field goes to one of the member's fields (a rename moves
    // it), and a rename's target is not the source of another rename.
    let sources: Vec<&String> = map.iter().flatten().collect();
    for (k, s) in sources.iter().enumerate() {
        if sources[..k].contains(s) {
            return None;
        }
    }
    for (k, (_, a)) in member.iter().enumerate() {
        let renamed = map[k].as_deref().is_some_and(|ua| ua != a);
        if renamed && sources.contains(&a) {
            return None;
        }
    }
    Some(map)
}

/// Scans that one `mstats` can read for several searches: searches (with a
/// key: different keys never group) whose scans have the same options,
/// WHERE, BY and span and whose aggregations can be read from one `mstats`
/// (an alias never names two functions). Returns, per group, its key, the
/// union scan (each function once) and per member its index and what it
/// runs on the union's rows: it drops the aggregations it does not use
/// (`fields -`), names the ones it uses as its own scan did (`rename`), and
/// drops the rows where none of its own has a value (the rows its own
/// `mstats` would not have written), then its own rest. `rest_ok` says
/// which rests may run on shared rows.
/// A group of [`union_groups`]: its key, the union scan, and per member
/// its index and what it runs on the union's rows.
type UnionGroup<K> = (K, String, Vec<(usize, String)>);

fn union_groups<K: Ord + Clone>(
    searches: &[(K, &str)],
    rest_ok: impl Fn(&str) -> bool,
) -> Vec<UnionGroup<K>> {
    struct Group<K> {
        key: K,
        scan: Mstats,
        members: Vec<usize>,
    }
    let mut groups: Vec<Group<K>> = Vec::new();
    let mut parsed: BTreeMap<usize, (Mstats, String)> = BTreeMap::new();
    for (i, (key, s)) in searches.iter().enumerate() {
        let Some((head, rest)) = split_scan(s) else {
            continue;
        };
        if !rest_ok(rest) {
            continue;
        }
        let Some(m) = parse(head) else { continue };
        let joined = groups.iter_mut().find(|g| {
            g.key == *key
                && g.scan.options == m.options
                && g.scan.tail == m.tail
                && mapping(&g.scan.aggs, &m.aggs).is_some()
        });
        match joined {
            Some(g) => {
                for agg in &m.aggs {
                    if !g.scan.aggs.iter().any(|(f, _)| *f == agg.0) {
                        g.scan.aggs.push(agg.clone());
                    }
                }
                g.members.push(i);
            }
            None => groups.push(Group {
                key: key.clone(),
                scan: m.clone(),
                members: vec![i],
            }),
        }
        parsed.insert(i, (m, rest.to_string()));
    }
    groups
        .into_iter()
        .map(|g| {
            let members = g
                .members
                .iter()
                .map(|&i| {
                    let (m, rest) = &parsed[&i];
                    let map = mapping(&g.scan.aggs, &m.aggs).expect("checked when joining");
                    let used: Vec<&str> = map.iter().flatten().map(String::as_str).collect();
                    let unused: Vec<&str> = g
                        .scan
                        .aggs
                        .iter()
                        .map(|(_, a)| a.as_str())
                        .filter(|a| !used.contains(a))
                        .collect();
                    let mut post = String::new();
                    if !unused.is_empty() {
                        post.push_str(&format!("| fields - {}\n", unused.join(" ")));
                    }
                    for ((_, a), ua) in m.aggs.iter().zip(&map) {
                        if let Some(ua) = ua.as_deref().filter(|ua| ua != a) {
                            post.push_str(&format!("| rename {ua} AS {a}\n"));
                        }
                    }
                    if !unused.is_empty() {
                        let any: Vec<String> = m
                            .aggs
                            .iter()
                            .map(|(_, a)| format!("isnotnull({a})"))
                            .collect();
                        post.push_str(&format!("| where {}\n", any.join(" OR ")));
                    }
                    post.push_str(rest.trim_start_matches('\n'));
                    (i, post)
                })
                .collect();
            (g.key, render(&g.scan), members)
        })
        .collect()
}

/// The targets of one panel, as few scans as [`union_groups`] allows: each
/// group of targets on one scan as one search ([`fork`]; a group of one is
/// its target), the other targets as they are. In the targets' order of
/// first appearance.
pub fn fork_targets(parts: &[String]) -> Vec<String> {
    let items: Vec<((), &str)> = parts.iter().map(|p| ((), p.as_str())).collect();
    let groups = union_groups(&items, |_| true);
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut grouped = vec![false; parts.len()];
    for (_, head, members) in groups {
        for (i, _) in &members {
            grouped[*i] = true;
        }
        let first = members[0].0;
        let text = match members.as_slice() {
            [(i, _)] => parts[*i].clone(),
            many => {
                let rests: Vec<String> = many.iter().map(|(_, post)| format!("\n{post}")).collect();
                let rests: Vec<&str> = rests.iter().map(String::as_str).collect();
                fork(&head, &rests)
            }
        };
        out.push((first, text));
    }
    for (i, p) in parts.iter().enumerate() {
        if !grouped[i] {
            out.push((i, p.clone()));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, t)| t).collect()
}

/// Shares scans among `searches` (each with a key: searches of different
/// keys, e.g. other time ranges, never share). Returns the base searches to
/// dispatch and, per search, how it runs.
///
/// Identical searches (Grafana draws some panels twice) share all but their
/// last command. Otherwise searches share a base when [`union_groups`]
/// groups at least two of them and their rest holds no subsearch (a
/// post-process search only transforms the base's results).
pub fn share<K: Ord + Clone>(searches: &[(K, String)]) -> (Vec<(K, String)>, Vec<Shared>) {
    let mut same: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, (key, s)) in searches.iter().enumerate() {
        match same
            .iter_mut()
            .find(|(j, _)| searches[*j].0 == *key && searches[*j].1 == *s)
        {
            Some((_, members)) => members.push(i),
            None => same.push((i, vec![i])),
        }
    }
    same.retain(|(j, m)| m.len() > 1 && searches[*j].1.rfind("\n| ").is_some());
    let in_same = |i: usize| same.iter().any(|(_, m)| m.contains(&i));
    let mut bases = Vec::new();
    let mut out: Vec<Shared> = searches
        .iter()
        .map(|(_, s)| Shared::Alone(s.clone()))
        .collect();
    for (j, members) in &same {
        let (key, text) = &searches[*j];
        let cut = text.rfind("\n| ").expect("kept only with a last command");
        let base = bases.len();
        bases.push((key.clone(), text[..cut].to_string()));
        for i in members {
            out[*i] = Shared::Post {
                base,
                query: text[cut + 1..].to_string(),
            };
        }
    }
    // Searches not shared whole, by index into `searches`.
    let rest: Vec<usize> = (0..searches.len()).filter(|i| !in_same(*i)).collect();
    let items: Vec<(K, &str)> = rest
        .iter()
        .map(|&i| (searches[i].0.clone(), searches[i].1.as_str()))
        .collect();
    let groups = union_groups(&items, |r| !r.trim().is_empty() && !r.contains("[| "));
    for (key, head, members) in groups.into_iter().filter(|g| g.2.len() > 1) {
        let base = bases.len();
        bases.push((key, head));
        for (k, post) in members {
            out[rest[k]] = Shared::Post { base, query: post };
        }
    }
    (bases, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_split_and_parse() {
        let s = "| mstats fillnull_value=\"-\" rate_sum(a_count) AS value WHERE `idx` AND $host$ BY host span=$span$\n| eval x=1";
        let (head, rest) = split_scan(s).unwrap();
        assert_eq!(rest, "\n| eval x=1");
        let m = parse(head).unwrap();
        assert_eq!(m.options, "fillnull_value=\"-\" ");
        assert_eq!(
            m.aggs,
            vec![("rate_sum(a_count)".to_string(), "value".to_string())]
        );
        assert_eq!(render(&m), head);
        assert!(split_scan("| makeresults\n| eval x=1").is_none());
    }

    #[test]
    fn forks_targets_of_one_scan() {
        let f = fork(
            "| mstats x",
            &["\n| eval series=\"a\"", "\n| eval series=\"b\""],
        );
        assert_eq!(
            f,
            "| mstats x\n| appendpipe [where isnull(series)\n  | eval series=\"a\"]\n| appendpipe [where isnull(series)\n  | eval series=\"b\"]\n| where isnotnull(series)"
        );
    }

    #[test]
    fn forks_targets_one_scan_can_read() {
        // "Used" = Total - Available (one scan of both) and "Total": one scan.
        let used = "| mstats latest(t) AS lhs latest(a) AS rhs WHERE i BY host span=1m\n| eval value=lhs - rhs\n| eval series=\"Used\"".to_string();
        let total = "| mstats latest(t) AS value WHERE i BY host span=1m\n| eval series=\"Total\""
            .to_string();
        let other =
            "| mstats latest(x) AS value WHERE j BY host span=1m\n| eval series=\"X\"".to_string();
        let out = fork_targets(&[used, total, other.clone()]);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0],
            "| mstats latest(t) AS lhs latest(a) AS rhs WHERE i BY host span=1m\n| appendpipe [where isnull(series)\n  | eval value=lhs - rhs\n  | eval series=\"Used\"]\n| appendpipe [where isnull(series)\n  | fields - rhs\n  | rename lhs AS value\n  | where isnotnull(value)\n  | eval series=\"Total\"]\n| where isnotnull(series)"
        );
        assert_eq!(out[1], other);
    }

    #[test]
    fn a_member_reading_one_metric_twice_keeps_both_fields() {
        // logins / (logins + fails) beside sum(logins): the first reads
        // `logins` under two names; the second takes one of them, renamed.
        let ratio = "| mstats latest(l) AS lhs latest(l) AS rhs_lhs latest(f) AS rhs_rhs WHERE i BY host span=1m\n| eval series=\"r\"".to_string();
        let sum =
            "| mstats latest(l) AS value WHERE i BY host span=1m\n| eval series=\"s\"".to_string();
        let out = fork_targets(&[ratio, sum]);
        assert_eq!(out.len(), 1);
        assert!(
            out[0].contains("[where isnull(series)\n  | eval series=\"r\"]"),
            "{}",
            out[0]
        );
        assert!(
            out[0].contains("| fields - rhs_lhs rhs_rhs\n  | rename lhs AS value\n"),
            "{}",
            out[0]
        );
    }

    #[test]
    fn shares_superset_scans() {
        let a = "| mstats rate_sum(c) AS value WHERE i BY method\n| sort 0 value".to_string();
        let b = "| mstats rate_sum(s) AS lhs rate_sum(c) AS rhs WHERE i BY method\n| eval value=lhs / rhs".to_string();
        let other = "| mstats rate_sum(c) AS value WHERE i BY handler\n| sort 0 value".to_string();
        let (bases, uses) = share(&[(0, a), (0, b), (0, other.clone())]);
        assert_eq!(
            bases,
            vec![(
                0,
                "| mstats rate_sum(c) AS value rate_sum(s) AS lhs WHERE i BY method".to_string()
            )]
        );
        assert_eq!(
            uses[0],
            Shared::Post {
                base: 0,
                query: "| fields - lhs\n| where isnotnull(value)\n| sort 0 value".into()
            }
        );
        assert_eq!(
            uses[1],
            Shared::Post {
                base: 0,
                query: "| rename value AS rhs\n| eval value=lhs / rhs".into()
            }
        );
        assert_eq!(uses[2], Shared::Alone(other));
    }

    #[test]
    fn identical_searches_share_all_but_their_last_command() {
        let a = "| mstats x\n| append [| mstats y]\n| xyseries _time series value".to_string();
        let (bases, uses) = share(&[(0, a.clone()), (0, a)]);
        assert_eq!(
            bases,
            vec![(0, "| mstats x\n| append [| mstats y]".to_string())]
        );
        let post = Shared::Post {
            base: 0,
            query: "| xyseries _time series value".into(),
        };
        assert_eq!(uses, vec![post.clone(), post]);
    }

    #[test]
    fn conflicting_aliases_or_keys_do_not_share() {
        let a = "| mstats rate_sum(c) AS value WHERE i BY m\n| x".to_string();
        let b = "| mstats rate_sum(d) AS value WHERE i BY m\n| y".to_string();
        let (bases, _) = share(&[(0, a.clone()), (0, b)]);
        assert!(bases.is_empty());
        let (bases, _) = share(&[(0, a.clone()), (1, a)]);
        assert!(bases.is_empty());
    }
}
