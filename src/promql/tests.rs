//! The parser against the dashboards' PromQL (a fixture copied from the
//! reference files, so no test reads outside the repository), exact trees
//! for the cases that decide a translation, the rest of the subset, and
//! an error naming each unsupported construct at the right place.

use super::ast::*;
use super::{parse, ParseError};

const FIXTURE: &str = include_str!("../../tests/fixtures/grafana_promql.txt");

fn fixture() -> Vec<&'static str> {
    FIXTURE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect()
}

fn ok(src: &str) -> Expr {
    parse(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn err(src: &str) -> ParseError {
    match parse(src) {
        Ok(e) => panic!("{src}: parsed as {e:?}"),
        Err(e) => e,
    }
}

/// The tree with every span zeroed, to compare shapes.
fn strip(mut e: Expr) -> Expr {
    fn sel(s: &mut Selector) {
        for m in &mut s.matchers {
            m.span = Span::default();
        }
    }
    e.span = Span::default();
    e.kind = match e.kind {
        ExprKind::Selector(mut s) => {
            sel(&mut s);
            ExprKind::Selector(s)
        }
        ExprKind::Matrix {
            mut selector,
            range,
        } => {
            sel(&mut selector);
            ExprKind::Matrix { selector, range }
        }
        ExprKind::Call { func, args } => ExprKind::Call {
            func,
            args: args.into_iter().map(strip).collect(),
        },
        ExprKind::Aggregate {
            op,
            param,
            grouping,
            expr,
        } => ExprKind::Aggregate {
            op,
            param: param.map(|p| Box::new(strip(*p))),
            grouping,
            expr: Box::new(strip(*expr)),
        },
        ExprKind::Binary {
            op,
            lhs,
            rhs,
            matching,
            return_bool,
        } => ExprKind::Binary {
            op,
            lhs: Box::new(strip(*lhs)),
            rhs: Box::new(strip(*rhs)),
            matching,
            return_bool,
        },
        ExprKind::Negate(x) => ExprKind::Negate(Box::new(strip(*x))),
        ExprKind::Paren(x) => ExprKind::Paren(Box::new(strip(*x))),
        k => k,
    };
    e
}

fn shape(src: &str) -> Expr {
    strip(ok(src))
}

// ---- builders for expected trees (spans zero) ----

fn e(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}
fn num(v: f64) -> Expr {
    e(ExprKind::Number(v))
}
fn var(name: &str) -> Expr {
    e(ExprKind::Variable(name.into()))
}
fn text(s: &str) -> TemplatePart {
    TemplatePart::Text(s.into())
}
fn tvar(s: &str) -> TemplatePart {
    TemplatePart::Var(s.into())
}
fn m(label: &str, op: MatchOp, parts: Vec<TemplatePart>) -> Matcher {
    Matcher {
        label: label.into(),
        op,
        value: Template { parts },
        span: Span::default(),
    }
}
fn selector(metric: &str, matchers: Vec<Matcher>) -> Selector {
    Selector {
        metric: metric.into(),
        matchers,
    }
}
fn sel(metric: &str, matchers: Vec<Matcher>) -> Expr {
    e(ExprKind::Selector(selector(metric, matchers)))
}
fn matrix(metric: &str, matchers: Vec<Matcher>, range: Range) -> Expr {
    e(ExprKind::Matrix {
        selector: selector(metric, matchers),
        range,
    })
}
fn fixed(millis: u64) -> Range {
    Range::Fixed { millis }
}
fn call(func: Function, args: Vec<Expr>) -> Expr {
    e(ExprKind::Call { func, args })
}
fn by(labels: &[&str]) -> Option<Grouping> {
    Some(Grouping {
        without: false,
        labels: labels.iter().map(|s| s.to_string()).collect(),
    })
}
fn without(labels: &[&str]) -> Option<Grouping> {
    Some(Grouping {
        without: true,
        labels: labels.iter().map(|s| s.to_string()).collect(),
    })
}
fn agg(op: AggOp, param: Option<Expr>, grouping: Option<Grouping>, expr: Expr) -> Expr {
    e(ExprKind::Aggregate {
        op,
        param: param.map(Box::new),
        grouping,
        expr: Box::new(expr),
    })
}
fn bin(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    e(ExprKind::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
        matching: None,
        return_bool: false,
    })
}
fn bin_with(
    op: BinOp,
    lhs: Expr,
    rhs: Expr,
    matching: Option<Matching>,
    return_bool: bool,
) -> Expr {
    e(ExprKind::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
        matching,
        return_bool,
    })
}
fn neg(x: Expr) -> Expr {
    e(ExprKind::Negate(Box::new(x)))
}
fn paren(x: Expr) -> Expr {
    e(ExprKind::Paren(Box::new(x)))
}
fn x(name: &str) -> Expr {
    sel(name, vec![])
}

// ---- (1) every dashboard expression ----

#[test]
fn every_dashboard_expression_parses_and_prints_back() {
    let exprs = fixture();
    assert_eq!(
        exprs.len(),
        298,
        "294 panel targets + 4 template-variable queries"
    );
    let mut failures = Vec::new();
    for src in &exprs {
        match parse(src) {
            Ok(tree) => {
                let printed = tree.to_string();
                let again =
                    parse(&printed).unwrap_or_else(|e| panic!("{src}\nprinted {printed}\n{e}"));
                assert_eq!(
                    strip(again.clone()),
                    strip(tree),
                    "{src}\nprinted {printed}"
                );
                assert_eq!(again.to_string(), printed, "printing is stable");
            }
            Err(e) => failures.push(format!("{src}\n  {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fixture_covers_the_constructs_the_planner_must_handle() {
    let trees: Vec<String> = fixture().iter().map(|s| format!("{:?}", ok(s))).collect();
    for needle in [
        "Or",
        "Vector",
        "HistogramQuantile",
        "Topk",
        "Variable(\"__range\")",
        "Variable(\"__rate_interval\")",
        "Variable(\"decay\")",
        "Variable(\"percentile\")",
        "Paren",
        "Gt",
        "Irate",
        "Increase",
        "Avg",
        "Max",
    ] {
        assert!(
            trees.iter().any(|t| t.contains(needle)),
            "no fixture has {needle}"
        );
    }
}

/// Well under a millisecond per pass in a release build; the bound here is
/// loose (debug build, shared machine) and only catches a blow-up.
#[test]
fn parsing_the_fixture_is_fast() {
    let exprs = fixture();
    let best = (0..5)
        .map(|_| {
            let t = std::time::Instant::now();
            for src in &exprs {
                std::hint::black_box(parse(src).unwrap());
            }
            t.elapsed()
        })
        .min()
        .unwrap();
    assert!(best < std::time::Duration::from_millis(100), "{best:?}");
}

// ---- (2) exact trees ----

#[test]
fn grouping_before_or_after_the_arguments() {
    let want = agg(
        AggOp::Sum,
        None,
        by(&["le"]),
        call(Function::Rate, vec![matrix("x", vec![], fixed(300_000))]),
    );
    assert_eq!(shape("sum(rate(x[5m])) by (le)"), want);
    assert_eq!(shape("sum by (le) (rate(x[5m]))"), want);
    assert_eq!(shape("sum by(le)(rate(x[5m]))"), want);
    assert_eq!(
        shape("SUM BY (le) (rate(x[5m]))"),
        want,
        "keywords ignore case"
    );
    assert_eq!(
        shape("sum without (a, b,) (x)"),
        agg(AggOp::Sum, None, without(&["a", "b"]), x("x"))
    );
    assert_eq!(
        shape("count(x) by ()"),
        agg(AggOp::Count, None, by(&[]), x("x"))
    );
    assert_eq!(shape("avg(x)"), agg(AggOp::Avg, None, None, x("x")));
    let topk = agg(
        AggOp::Topk,
        Some(num(10.0)),
        None,
        bin(
            BinOp::Div,
            agg(
                AggOp::Sum,
                None,
                by(&["method"]),
                call(
                    Function::Increase,
                    vec![matrix("a", vec![], Range::Variable("__range".into()))],
                ),
            ),
            agg(
                AggOp::Sum,
                None,
                by(&["method"]),
                call(
                    Function::Increase,
                    vec![matrix("b", vec![], Range::Variable("__range".into()))],
                ),
            ),
        ),
    );
    assert_eq!(
        shape("topk(10, sum(increase(a[${__range_s}s])) by (method) / sum(increase(b[${__range_s}s])) by (method))"),
        topk
    );
}

#[test]
fn precedence_and_associativity() {
    let (a, b, c, d) = (x("a"), x("b"), x("c"), x("d"));
    assert_eq!(
        shape("a + b * c ^ d ^ 2"),
        bin(
            BinOp::Add,
            a.clone(),
            bin(
                BinOp::Mul,
                b.clone(),
                bin(BinOp::Pow, c.clone(), bin(BinOp::Pow, d.clone(), num(2.0)))
            )
        )
    );
    assert_eq!(
        shape("a - b - c"),
        bin(BinOp::Sub, bin(BinOp::Sub, a.clone(), b.clone()), c.clone())
    );
    assert_eq!(
        shape("a / b * c % d"),
        bin(
            BinOp::Mod,
            bin(BinOp::Mul, bin(BinOp::Div, a.clone(), b.clone()), c.clone()),
            d.clone()
        )
    );
    assert_eq!(
        shape("a or b and c unless d"),
        bin(
            BinOp::Or,
            a.clone(),
            bin(
                BinOp::Unless,
                bin(BinOp::And, b.clone(), c.clone()),
                d.clone()
            )
        )
    );
    assert_eq!(
        shape("a > b + 1"),
        bin(BinOp::Gt, a.clone(), bin(BinOp::Add, b.clone(), num(1.0)))
    );
    assert_eq!(
        shape("a == b and c"),
        bin(BinOp::And, bin(BinOp::Eq, a.clone(), b.clone()), c.clone())
    );
    // Unary minus: below `^`, at the level of `*`.
    assert_eq!(shape("-2^2"), neg(bin(BinOp::Pow, num(2.0), num(2.0))));
    assert_eq!(shape("-x ^ 2"), neg(bin(BinOp::Pow, x("x"), num(2.0))));
    assert_eq!(shape("-a * b"), bin(BinOp::Mul, neg(a.clone()), b.clone()));
    assert_eq!(
        shape("a * -b * c"),
        bin(
            BinOp::Mul,
            bin(BinOp::Mul, a.clone(), neg(b.clone())),
            c.clone()
        )
    );
    assert_eq!(
        shape("a ^ -b ^ c"),
        bin(
            BinOp::Pow,
            a.clone(),
            neg(bin(BinOp::Pow, b.clone(), c.clone()))
        )
    );
    assert_eq!(shape("2 ^ -1"), bin(BinOp::Pow, num(2.0), num(-1.0)));
    // A literal after a minus is folded, as Prometheus does.
    assert_eq!(shape("-2 * 3"), bin(BinOp::Mul, num(-2.0), num(3.0)));
    assert_eq!(shape("- -1"), num(1.0));
    assert_eq!(shape("-(1)"), neg(paren(num(1.0))));
    assert_eq!(shape("+x"), x("x"), "unary plus leaves no node");
    assert_eq!(
        shape("(a + b) * c"),
        bin(BinOp::Mul, paren(bin(BinOp::Add, a, b)), c)
    );
    assert_eq!(shape("((1))"), paren(paren(num(1.0))));
}

#[test]
fn or_vector_zero() {
    assert_eq!(
        shape(r#"sum(mattermost_notifications_total{type="websocket"}) OR vector(0)"#),
        bin(
            BinOp::Or,
            agg(
                AggOp::Sum,
                None,
                None,
                sel(
                    "mattermost_notifications_total",
                    vec![m("type", MatchOp::Eq, vec![text("websocket")])]
                )
            ),
            call(Function::Vector, vec![num(0.0)]),
        )
    );
}

#[test]
fn histogram_quantile_of_a_variable() {
    let src = r#"histogram_quantile($percentile / 100, sum by(le) (increase(mattermost_webapp_channel_switch_bucket{agent=~"$agent",platform=~"$platform"}[$decay])))"#;
    let tree = ok(src);
    assert_eq!(
        strip(tree.clone()),
        call(
            Function::HistogramQuantile,
            vec![
                bin(BinOp::Div, var("percentile"), num(100.0)),
                agg(
                    AggOp::Sum,
                    None,
                    by(&["le"]),
                    call(
                        Function::Increase,
                        vec![matrix(
                            "mattermost_webapp_channel_switch_bucket",
                            vec![
                                m("agent", MatchOp::Re, vec![tvar("agent")]),
                                m("platform", MatchOp::Re, vec![tvar("platform")])
                            ],
                            Range::Variable("decay".into()),
                        )],
                    ),
                ),
            ],
        )
    );
    let ExprKind::Call { args, .. } = &tree.kind else {
        unreachable!()
    };
    assert_eq!(args[0].value_type(), ValueType::Scalar);
    assert_eq!(args[1].value_type(), ValueType::Vector);
    assert_eq!(tree.value_type(), ValueType::Vector);
}

#[test]
fn ranges() {
    let r = |src: &str| match shape(&format!("rate(x[{src}])")).kind {
        ExprKind::Call { args, .. } => match &args[0].kind {
            ExprKind::Matrix { range, .. } => range.clone(),
            k => panic!("{k:?}"),
        },
        k => panic!("{k:?}"),
    };
    assert_eq!(r("5m"), fixed(300_000));
    assert_eq!(r("1h30m"), fixed(5_400_000));
    assert_eq!(r("90s"), fixed(90_000));
    assert_eq!(r("2d"), fixed(172_800_000));
    assert_eq!(r("500ms"), fixed(500));
    assert_eq!(r(" 5m "), fixed(300_000));
    assert_eq!(r("${__range_s}s"), Range::Variable("__range".into()));
    assert_eq!(r("${__range_ms}ms"), Range::Variable("__range".into()));
    assert_eq!(
        r("${__interval_ms}ms"),
        Range::Variable("__interval".into())
    );
    assert_eq!(r("$__range"), Range::Variable("__range".into()));
    assert_eq!(
        r("$__rate_interval"),
        Range::Variable("__rate_interval".into())
    );
    assert_eq!(r("$__interval"), Range::Variable("__interval".into()));
    assert_eq!(r("$decay"), Range::Variable("decay".into()));
    assert_eq!(r("${decay}"), Range::Variable("decay".into()));
    assert_eq!(r("${decay:text}"), Range::Variable("decay".into()));
    assert_eq!(r("[[decay]]"), Range::Variable("decay".into()));
}

#[test]
fn templates_in_label_values() {
    let matchers = |src: &str| match shape(src).kind {
        ExprKind::Selector(s) => s.matchers,
        k => panic!("{k:?}"),
    };
    assert_eq!(
        matchers(r#"go_goroutines{instance=~"$calls:$calls_metrics_port", job="calls"}"#),
        vec![
            m(
                "instance",
                MatchOp::Re,
                vec![tvar("calls"), text(":"), tvar("calls_metrics_port")]
            ),
            m("job", MatchOp::Eq, vec![text("calls")]),
        ]
    );
    assert_eq!(
        matchers(r#"x{platform=~"$platform|no_platform", b!="${x}y", c!~'[[z]]\'', d=`$`, e=""}"#),
        vec![
            m(
                "platform",
                MatchOp::Re,
                vec![tvar("platform"), text("|no_platform")]
            ),
            m("b", MatchOp::Ne, vec![tvar("x"), text("y")]),
            m("c", MatchOp::Nre, vec![tvar("z"), text("'")]),
            m("d", MatchOp::Eq, vec![text("$")]),
            m("e", MatchOp::Eq, vec![]),
        ]
    );
    assert_eq!(
        matchers(r#"x{a=~"$calls:9100"}"#),
        vec![m("a", MatchOp::Re, vec![tvar("calls"), text(":9100")])]
    );
    assert_eq!(
        matchers(r#"x{a=~"a\\.b$"}"#),
        vec![m("a", MatchOp::Re, vec![text("a\\.b$")])]
    );
    assert_eq!(
        matchers("x{a=\"x\",}"),
        vec![m("a", MatchOp::Eq, vec![text("x")])],
        "trailing comma"
    );
    let t = Template {
        parts: vec![tvar("calls"), text(":"), tvar("port")],
    };
    assert!(t.has_vars());
    assert_eq!(t.as_literal(), None);
    assert_eq!(Template::literal("a").as_literal().as_deref(), Some("a"));
    assert_eq!(Template::literal("").as_literal().as_deref(), Some(""));
}

#[test]
fn vector_matching_and_bool() {
    assert_eq!(
        shape("a / on(instance) b"),
        bin_with(
            BinOp::Div,
            x("a"),
            x("b"),
            Some(Matching {
                on: true,
                labels: vec!["instance".into()]
            }),
            false
        )
    );
    assert_eq!(
        shape("a + IGNORING (x, y) b"),
        bin_with(
            BinOp::Add,
            x("a"),
            x("b"),
            Some(Matching {
                on: false,
                labels: vec!["x".into(), "y".into()]
            }),
            false
        )
    );
    assert_eq!(
        shape("a > bool on() b"),
        bin_with(
            BinOp::Gt,
            x("a"),
            x("b"),
            Some(Matching {
                on: true,
                labels: vec![]
            }),
            true
        )
    );
    assert_eq!(
        shape("1 < bool 2"),
        bin_with(BinOp::Lt, num(1.0), num(2.0), None, true)
    );
    assert_eq!(ok("1 < bool 2").value_type(), ValueType::Scalar);
}

#[test]
fn numbers() {
    for (src, v) in [
        ("1", 1.0),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("0x1F", 31.0),
        (".5", 0.5),
        ("1000.0", 1000.0),
        ("Inf", f64::INFINITY),
        ("-inf", f64::NEG_INFINITY),
        ("+Inf", f64::INFINITY),
        ("$p", f64::NAN),
    ] {
        let t = shape(src);
        if src == "$p" {
            assert_eq!(t, var("p"));
        } else {
            assert_eq!(t, num(v), "{src}");
        }
    }
    assert!(matches!(ok("NaN").kind, ExprKind::Number(v) if v.is_nan()));
    assert_eq!(
        shape("[[percentile]] / 100"),
        bin(BinOp::Div, var("percentile"), num(100.0))
    );
    assert_eq!(shape("${p:raw}"), var("p"));
}

#[test]
fn spans_point_into_the_source() {
    let src = r#"sum(rate(x{a="b"}[5m])) by (le) + -1"#;
    let tree = ok(src);
    let span = |s: Span| &src[s.start..s.end];
    assert_eq!(span(tree.span), src);
    let ExprKind::Binary { lhs, rhs, .. } = &tree.kind else {
        unreachable!()
    };
    assert_eq!(span(lhs.span), r#"sum(rate(x{a="b"}[5m])) by (le)"#);
    assert_eq!(span(rhs.span), "-1");
    let ExprKind::Aggregate { expr, .. } = &lhs.kind else {
        unreachable!()
    };
    assert_eq!(span(expr.span), r#"rate(x{a="b"}[5m])"#);
    let ExprKind::Call { args, .. } = &expr.kind else {
        unreachable!()
    };
    assert_eq!(span(args[0].span), r#"x{a="b"}[5m]"#);
    let ExprKind::Matrix { selector, .. } = &args[0].kind else {
        unreachable!()
    };
    assert_eq!(span(selector.matchers[0].span), r#"a="b""#);
    let p = ok("  (x)  ");
    assert_eq!((p.span.start, p.span.end), (2, 5));
}

// ---- (3) the rest of the subset ----

#[test]
fn time_is_a_scalar_function_without_arguments() {
    let t = ok("time()");
    assert_eq!(t.value_type(), ValueType::Scalar);
    assert_eq!(strip(t), call(Function::Time, vec![]));
    assert_eq!(ok("time() - x").value_type(), ValueType::Vector);
    assert!(
        err("time(x)")
            .to_string()
            .contains("expects 0 arguments, got 1"),
        "{}",
        err("time(x)")
    );
    assert!(err("rate(time())").to_string().contains("range vector"));
}

#[test]
fn subset_expressions_outside_the_dashboards() {
    for src in [
        "max without (handler) (irate(x[1m])) > bool 3",
        "topk(5, avg by (host)(y))",
        "bottomk by (a) (3, x)",
        "topk(5, x) by (a)",
        "topk($n, x)",
        "a / on(instance) b",
        "a * ignoring(code) b",
        "-x ^ 2",
        "count(x) without (a, b,)",
        "min(x) + max(x)",
        "0x1F + 1e3 * .5 - Inf",
        "NaN",
        "x{a='single', b=`raw`, c!=\"v\", d!~\"re\"}",
        "x{}",
        "x{on=\"a\", by=\"b\", group=\"c\"}",
        "sum by (group, bool, on) (x)",
        "rate{a=\"b\"}",
        "job:rate5m:sum{a=\"b\"}",
        "increase(x[1h30m])",
        "rate(x[90s])",
        "irate(x[2d])",
        "increase(x[500ms])",
        "rate(x[1y2w])",
        "rate(x[$__interval])",
        "rate(x[[[interval]]])",
        "rate(x[${__range_ms}ms])",
        "[[percentile]] / 100 * x",
        "x and y unless z or w",
        "x % 2 == bool 0",
        "x != y",
        "x >= 1 <= 2",
        "2 ^ 3 ^ 2",
        "SUM BY (le) (x) OR ON () vector(0)",
        "sum(x) # a comment\n + 1",
        "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))",
        "vector($x)",
        "vector(1 + 2)",
        "+x",
        "- -x",
        "(((x)))",
        "1 + 2 * 3",
        "-vector(1)",
        "sum(x) by (le) / ignoring() sum(y) by (le)",
        "x\n\t*\r\n2",
        "time() - x < 600",
        "vector(time())",
    ] {
        let tree = ok(src);
        let printed = tree.to_string();
        let again = parse(&printed).unwrap_or_else(|e| panic!("{src}\nprinted {printed}\n{e}"));
        if !src.contains("NaN") && !src.contains("Inf") {
            assert_eq!(strip(again), strip(tree), "{src} printed {printed}");
        }
    }
    assert_eq!(
        shape("max without (handler) (irate(x[1m])) > bool 3"),
        bin_with(
            BinOp::Gt,
            agg(
                AggOp::Max,
                None,
                without(&["handler"]),
                call(Function::Irate, vec![matrix("x", vec![], fixed(60_000))])
            ),
            num(3.0),
            None,
            true,
        )
    );
    assert_eq!(
        shape("topk(5, avg by (host)(y))"),
        agg(
            AggOp::Topk,
            Some(num(5.0)),
            None,
            agg(AggOp::Avg, None, by(&["host"]), x("y"))
        )
    );
    let deep = format!("{}x{}", "(".repeat(50), ")".repeat(50));
    ok(&deep);
}

#[test]
fn canonical_printing() {
    for (src, printed) in [
        ("sum(x) by (le)", "sum by (le) (x)"),
        ("sum by(le)(x)", "sum by (le) (x)"),
        ("topk(5,x)by(a)", "topk by (a) (5, x)"),
        ("a/on(instance)b", "a / on (instance) b"),
        ("a>bool ignoring(x)b", "a > bool ignoring (x) b"),
        ("x OR vector(0)", "x or vector(0)"),
        ("rate(x[90s])", "rate(x[1m30s])"),
        ("rate(x[5m])", "rate(x[5m])"),
        ("rate(x[120m])", "rate(x[2h])"),
        ("rate(x[14d])", "rate(x[2w])"),
        ("rate(x[${__range_s}s])", "rate(x[$__range])"),
        ("rate(x[[[d]]])", "rate(x[$d])"),
        ("1000.0 * x", "1000 * x"),
        ("0.50", "0.5"),
        ("1e20", "1e20"),
        ("0.00001", "1e-5"),
        ("-inf", "-Inf"),
        (
            "x{a=~\"$calls:$calls_metrics_port\", b='c'}",
            "x{a=~\"$calls:$calls_metrics_port\",b=\"c\"}",
        ),
        ("x{a=\"${a}b\"}", "x{a=\"${a}b\"}"),
        ("x{a=`q\"\\`}", "x{a=\"q\\\"\\\\\"}"),
        ("x{a=\"\\x24x [[y\"}", "x{a=\"\\x24x \\x5b[y\"}"),
        (
            "histogram_quantile (\n  0.99,\n  sum by (le, instance)(x)\n)",
            "histogram_quantile(0.99, sum by (le, instance) (x))",
        ),
        ("- -x", "- -x"),
        ("-(a + b)", "-(a + b)"),
    ] {
        assert_eq!(ok(src).to_string(), printed, "{src}");
        assert_eq!(shape(printed), shape(src), "{printed} parses back");
    }
}

#[test]
fn printing_hand_built_trees_keeps_their_shape() {
    for (tree, printed) in [
        (
            bin(BinOp::Mul, bin(BinOp::Add, x("a"), x("b")), x("c")),
            "(a + b) * c",
        ),
        (
            bin(BinOp::Sub, x("a"), bin(BinOp::Sub, x("b"), x("c"))),
            "a - (b - c)",
        ),
        (
            bin(BinOp::Pow, bin(BinOp::Pow, x("a"), x("b")), x("c")),
            "(a ^ b) ^ c",
        ),
        (bin(BinOp::Pow, num(-1.0), num(2.0)), "(-1) ^ 2"),
        (bin(BinOp::Pow, neg(x("a")), num(2.0)), "(-a) ^ 2"),
        (neg(bin(BinOp::Mul, x("a"), x("b"))), "-(a * b)"),
        (
            e(ExprKind::Selector(Selector {
                metric: "x".into(),
                matchers: vec![m("a", MatchOp::Eq, vec![text("$x")])],
            })),
            "x{a=\"\\x24x\"}",
        ),
        (
            e(ExprKind::Selector(Selector {
                metric: "x".into(),
                matchers: vec![m("a", MatchOp::Eq, vec![text("$"), tvar("v"), text("w\n")])],
            })),
            "x{a=\"$${v}w\\n\"}",
        ),
    ] {
        assert_eq!(tree.to_string(), printed);
        let back = shape(printed);
        assert_eq!(back.to_string(), printed);
    }
    let t = e(ExprKind::Selector(Selector {
        metric: "x".into(),
        matchers: vec![m("a", MatchOp::Eq, vec![text("$"), tvar("v"), text("w\n")])],
    }));
    assert_eq!(
        shape(&t.to_string()),
        t,
        "text that looks like a variable stays text"
    );
}

// ---- (4) errors ----

#[test]
fn unsupported_constructs_are_named_where_they_stand() {
    for (src, message, line, column) in [
        ("x offset 5m", "the `offset` modifier is not supported", 1, 3),
        ("rate(x[5m] offset 1m)", "the `offset` modifier is not supported", 1, 12),
        ("sum(x) OFFSET 1m", "the `offset` modifier is not supported", 1, 8),
        ("offset", "the `offset` modifier is not supported", 1, 1),
        ("x @ 1609746000", "the `@` modifier is not supported", 1, 3),
        ("rate(x[5m] @ end())", "the `@` modifier is not supported", 1, 12),
        ("rate(x[5m:1m])", "subqueries (`[5m:1m]`) are not supported", 1, 7),
        ("max(x[1h:])", "subqueries (`[1h:]`) are not supported", 1, 6),
        ("x[:1m]", "subqueries (`[:1m]`) are not supported", 1, 2),
        ("sum(x)[5m:1m]", "subqueries (`[5m:1m]`) are not supported", 1, 7),
        ("rate(x[5m])[1h:$__interval]", "subqueries (`[1h:$__interval]`) are not supported", 1, 12),
        ("sum(x)[5m]", "a range `[...]` can only follow a metric selector, as in `x[5m]`", 1, 7),
        ("a * on(x) group_left(y) b", "`group_left` is not supported", 1, 11),
        ("a * on(x) group_right b", "`group_right` is not supported", 1, 11),
        ("a * ignoring(x) GROUP_LEFT b", "`group_left` is not supported", 1, 17),
        ("a * group_left b", "`group_left` is not supported", 1, 5),
        ("label_replace(x, \"a\", \"$1\", \"b\", \"(.*)\")", "function `label_replace` is not supported", 1, 1),
        ("sum(clamp_max(x, 1))", "function `clamp_max` is not supported", 1, 5),
        ("1 + sum_over_time(x[5m])", "function `sum_over_time` is not supported", 1, 5),
        ("Rate(x[5m])", "function `Rate` is not supported", 1, 1),
        ("count_values(\"v\", x)", "aggregation `count_values` is not supported", 1, 1),
        ("quantile(0.9, x)", "aggregation `quantile` is not supported", 1, 1),
        ("a / stddev(x)", "aggregation `stddev` is not supported", 1, 5),
        ("stdvar by (a) (x)", "aggregation `stdvar` is not supported", 1, 1),
        ("group(x)", "aggregation `group` is not supported", 1, 1),
        ("{job=\"x\"}", "a selector needs a metric name: `{...}` without one is not supported", 1, 1),
        ("sum({job=\"x\"})", "a selector needs a metric name: `{...}` without one is not supported", 1, 5),
        ("x{__name__=\"y\"}", "`__name__` matchers are not supported", 1, 3),
        ("x{a=\"b\", __name__=~\"y.*\"}", "`__name__` matchers are not supported", 1, 10),
        ("x[5m]", "a range vector is only allowed as the argument of `rate`, `irate` or `increase`", 1, 1),
        ("sum(x[5m])", "a range vector is only allowed as the argument of `rate`, `irate` or `increase`", 1, 5),
        ("1 + x[5m]", "a range vector is only allowed as the argument of `rate`, `irate` or `increase`", 1, 5),
        ("x[5m] / 2", "a range vector is only allowed as the argument of `rate`, `irate` or `increase`", 1, 1),
        ("-x[5m]", "a range vector is only allowed as the argument of `rate`, `irate` or `increase`", 1, 2),
        ("histogram_quantile(0.9, x[5m])", "a range vector is only allowed as the argument of `rate`, `irate` or `increase`", 1, 25),
        ("rate((x[5m]))", "a range vector is only allowed as the argument of `rate`, `irate` or `increase`", 1, 7),
        ("topk(x[5m], y)", "a range vector is only allowed as the argument of `rate`, `irate` or `increase`", 1, 6),
        ("rate(x[5m], y[5m])", "function `rate` expects 1 argument, got 2", 1, 1),
        ("irate()", "function `irate` expects 1 argument, got 0", 1, 1),
        ("histogram_quantile(0.9)", "function `histogram_quantile` expects 2 arguments, got 1", 1, 1),
        ("vector(1, 2)", "function `vector` expects 1 argument, got 2", 1, 1),
        ("topk(x)", "aggregation `topk` expects 2 arguments (a scalar parameter and an instant vector), got 1", 1, 1),
        ("sum(1, x)", "aggregation `sum` expects 1 argument, got 2", 1, 1),
        ("sum()", "aggregation `sum` expects 1 argument, got 0", 1, 1),
        ("sum by (a) (x, y)", "aggregation `sum` expects 1 argument, got 2", 1, 1),
    ] {
        let e = err(src);
        assert_eq!((e.message.as_str(), e.line, e.column), (message, line, column), "{src}");
        assert_eq!(e.to_string(), format!("line {line}, column {column}: {message}"));
        assert_eq!(e.span.start, column - 1, "{src}: byte span on one ASCII line");
    }
}

#[test]
fn type_errors() {
    for (src, message, column) in [
        (
            "rate(x)",
            "function `rate` expects a range vector such as `x[5m]`, got an instant vector",
            6,
        ),
        (
            "increase(1)",
            "function `increase` expects a range vector such as `x[5m]`, got a scalar",
            10,
        ),
        (
            "histogram_quantile(x, y)",
            "function `histogram_quantile` expects a scalar as argument 1, got an instant vector",
            20,
        ),
        (
            "histogram_quantile(0.5, 1)",
            "function `histogram_quantile` expects an instant vector as argument 2, got a scalar",
            25,
        ),
        (
            "vector(x)",
            "function `vector` expects a scalar as argument 1, got an instant vector",
            8,
        ),
        (
            "sum(1)",
            "aggregation `sum` expects an instant vector, got a scalar",
            5,
        ),
        (
            "topk(x, y)",
            "the parameter of `topk` must be a scalar, got an instant vector",
            6,
        ),
        (
            "1 or x",
            "`or` needs instant vectors on both sides, not a scalar",
            1,
        ),
        (
            "x AND $v",
            "`AND` needs instant vectors on both sides, not a scalar",
            7,
        ),
        (
            "1 > 2",
            "a comparison of two scalars needs `bool` (`> bool`)",
            3,
        ),
        (
            "x + bool 1",
            "the `bool` modifier is only allowed on comparison operators",
            5,
        ),
        (
            "x or bool y",
            "the `bool` modifier is only allowed on comparison operators",
            6,
        ),
        (
            "1 + on(a) x",
            "`on(...)` is only allowed between two instant vectors",
            5,
        ),
        (
            "x / ignoring(a) 2",
            "`ignoring(...)` is only allowed between two instant vectors",
            5,
        ),
        (
            "\"str\"",
            "string literals are only supported as label matcher values",
            1,
        ),
        (
            "sum(x, \"a\")",
            "string literals are only supported as label matcher values",
            8,
        ),
    ] {
        let e = err(src);
        assert_eq!((e.message.as_str(), e.column), (message, column), "{src}");
    }
}

#[test]
fn syntax_errors() {
    for (src, message, column) in [
        ("sum(x", "expected `,` or `)`, found the end of the input", 6),
        ("sum(x) y", "expected an operator or the end of the expression, found `y`", 8),
        ("x y", "expected an operator or the end of the expression, found `y`", 3),
        ("rate(x[5m]) )", "expected an operator or the end of the expression, found `)`", 13),
        ("(x", "expected `)`, found the end of the input", 3),
        ("(x]", "expected `)`, found `]`", 3),
        ("sum(a, b", "expected `,` or `)`, found the end of the input", 9),
        ("rate(x[5m],)", "a trailing comma is not allowed in an argument list", 11),
        ("x{a=\"b\"", "expected `,` or `}`, found the end of the input", 8),
        ("x{a==\"b\"}", "expected a label matcher operator (`=`, `!=`, `=~`, `!~`), found `==`", 4),
        ("x{a=b}", "expected a quoted label value, found `b`", 5),
        ("x{\"a\"=\"b\"}", "expected a label name or `}`, found `\"a\"`", 3),
        ("x{a:b=\"c\"}", "`a:b` is not a valid label name", 3),
        ("sum by (a:b) (x)", "`a:b` is not a valid label name", 9),
        ("sum by a (x)", "expected `(` after `by`, found `a`", 8),
        ("sum by (a (x)", "expected `,` or `)`, found `(`", 11),
        ("sum x", "expected `(`, found `x`", 5),
        ("sum", "expected `(`, found the end of the input", 4),
        ("sum(x) by (a) by (b)", "`by` given twice: this aggregation already has a grouping", 15),
        ("sum by (a) (x) without (b)", "`without` given twice: this aggregation already has a grouping", 16),
        ("rate(x[5m]) by (a)", "`by` can only follow an aggregation such as `sum(...)`", 13),
        ("x[5]", "bad duration `5`: missing unit (ms, s, m, h, d, w, y)", 3),
        ("x[5m", "expected `]`, found the end of the input", 5),
        ("rate(x[0s])", "a range must be longer than zero", 8),
        ("rate(x[30m1h])", "bad duration `30m1h`: units must go from largest to smallest, each at most once", 8),
        ("rate(x[])", "expected a duration such as `5m` or a Grafana variable, found `]`", 8),
        ("rate(x[y])", "expected a duration such as `5m` or a Grafana variable, found `y`", 8),
        (
            "rate(x[${v}m])",
            "`${v}m`: only `${__range_s}s`, `${__range_ms}ms` and `${__interval_ms}ms` may carry a unit; write a variable alone, as `[$v]`",
            8,
        ),
        (
            "rate(x[${__range_s}])",
            "`${__range_s}`: `${__range_s}` is a bare number of `s`; write `[${__range_s}s]` or `[$__range]`",
            8,
        ),
        (
            "rate(x[${__range_ms}s])",
            "`${__range_ms}s`: `${__range_ms}` is a bare number of `ms`; write `[${__range_ms}ms]` or `[$__range]`",
            8,
        ),
        ("5m", "a duration (`5m`) is only allowed in a range `[...]`", 1),
        ("x > 5m", "a duration (`5m`) is only allowed in a range `[...]`", 5),
        ("x & y", "unexpected character `&`", 3),
        ("x || y", "unexpected character `|`", 3),
        ("$ 1", "unexpected character `$`", 1),
        ("1 +", "expected an expression, found the end of the input", 4),
        ("x or", "expected an expression, found the end of the input", 5),
        ("", "expected an expression, found the end of the input", 1),
        ("  ", "expected an expression, found the end of the input", 3),
        ("or x", "expected an expression, found `or`", 1),
        ("by (a) x", "expected an expression, found `by`", 1),
        ("a atan2 b", "the `atan2` operator is not supported", 3),
        ("x = 1", "expected an operator or the end of the expression, found `=`", 3),
        ("x{a=\"b\" c=\"d\"}", "expected `,` or `}`, found `c`", 9),
        ("x{a=\"\\q\"}", "unknown escape sequence `\\q`", 6),
        ("x{a=\"b}", "unterminated string", 5),
        ("x{a=\"${v.x}\"}", "Grafana variable field paths (`${name.path}`) are not supported", 6),
        ("${", "`${` must be followed by a variable name", 1),
        ("${abc", "unterminated `${`", 1),
        ("1e999", "number `1e999` is out of range", 1),
    ] {
        let e = err(src);
        assert_eq!((e.message.as_str(), e.column), (message, column), "{src}");
    }
}

#[test]
fn positions_on_later_lines() {
    let e = err("sum(\n  rate(x[5m] offset 1m)\n)");
    assert_eq!(
        (e.line, e.column, e.span.start, e.span.end),
        (2, 14, 18, 24)
    );
    assert_eq!(
        e.to_string(),
        "line 2, column 14: the `offset` modifier is not supported"
    );
    // Columns count characters, the span bytes.
    let e = err("x{a=\"é\"} @ 1");
    assert_eq!((e.line, e.column, e.span.start), (1, 10, 10));
    let e = err("histogram_quantile (\r\n  0.99,\r\n  sum by (le) (x{a=\"b\"}[5m])\r\n)");
    assert_eq!((e.line, e.column), (3, 16));
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(
        err(&deep).message.contains("too deeply nested"),
        "{}",
        err(&deep).message
    );
    let long = format!("x{}", " + x".repeat(1_000));
    assert!(err(&long).message.contains("too deeply nested"));
    let minus = format!("{}x", "-".repeat(10_000));
    assert!(err(&minus).message.contains("too deeply nested"));
    let pow = format!("x{}", " ^ x".repeat(10_000));
    assert!(err(&pow).message.contains("too deeply nested"));
}
