//! A benchmark's frame or latency figures in one line (shared by the benches that time frames).

/// "median 1.03 ms, p90 1.12 ms, max 1.83 ms (n=300)" of times in milliseconds.
pub fn stats(mut v: Vec<f64>) -> String {
    if v.is_empty() {
        return "no samples".to_string();
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    format!(
        "median {:.2} ms, p90 {:.2} ms, max {:.2} ms (n={n})",
        v[n / 2],
        v[n * 9 / 10],
        v[n - 1]
    )
}
