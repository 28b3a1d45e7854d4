//! Prometheus metrics in the text exposition format: HTTP requests by route and status,
//! analyses by result, an analysis duration histogram and the queue depth; for admins also
//! the findings totals of every account.

use axum::http::Method;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds (seconds) of the analysis duration histogram.
const BUCKETS: &[f64] = &[0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];

/// Counters shared by the API and the workers of this process.
#[derive(Default)]
pub struct Metrics {
    http: Mutex<BTreeMap<(String, String, u16), u64>>,
    analyses: Mutex<BTreeMap<String, u64>>,
    durations: Mutex<(Vec<u64>, f64, u64)>,
}

impl Metrics {
    /// Counts one HTTP request.
    pub fn http(&self, method: &Method, route: &str, status: u16) {
        let mut m = self.http.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
    }

    /// Counts one analysis with its result (`stored`, `dropped`, `failed`) and duration.
    pub fn analysis(&self, result: &str, seconds: Option<f64>) {
        *self
            .analyses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(result.to_string())
            .or_default() += 1;
        if let Some(s) = seconds {
            let mut d = self.durations.lock().unwrap_or_else(|e| e.into_inner());
            if d.0.is_empty() {
                d.0 = vec![0; BUCKETS.len()];
            }
            for (i, b) in BUCKETS.iter().enumerate() {
                if s <= *b {
                    d.0[i] += 1;
                }
            }
            d.1 += s;
            d.2 += 1;
        }
    }

    /// The exposition text: this process's counters plus the fleet-wide figures read
    /// from the store (queue depth, findings by severity) and the database age.
    pub fn render(
        &self,
        queued: i64,
        running: i64,
        severities: Option<&BTreeMap<String, i64>>,
        db_age_seconds: Option<u64>,
    ) -> String {
        let mut out = String::new();
        if let Some(severities) = severities {
            let _ = writeln!(
                out,
                "# HELP drydock_vulnerabilities Findings by severity across all analysed images."
            );
            let _ = writeln!(out, "# TYPE drydock_vulnerabilities gauge");
            for (sev, n) in severities {
                let _ = writeln!(out, "drydock_vulnerabilities{{severity=\"{sev}\"}} {n}");
            }
        }
        if let Some(age) = db_age_seconds {
            let _ = writeln!(
                out,
                "# HELP drydock_vulndb_age_seconds Age of the vulnerability database."
            );
            let _ = writeln!(out, "# TYPE drydock_vulndb_age_seconds gauge");
            let _ = writeln!(out, "drydock_vulndb_age_seconds {age}");
        }
        let _ = writeln!(
            out,
            "# HELP drydock_http_requests_total HTTP requests by route and status."
        );
        let _ = writeln!(out, "# TYPE drydock_http_requests_total counter");
        for ((m, r, s), n) in self.http.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                out,
                "drydock_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{s}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP drydock_analyses_total Analyses finished by this process, by result."
        );
        let _ = writeln!(out, "# TYPE drydock_analyses_total counter");
        for (r, n) in self.analyses.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "drydock_analyses_total{{result=\"{r}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP drydock_analysis_duration_seconds Wall time of analyses.");
        let _ = writeln!(out, "# TYPE drydock_analysis_duration_seconds histogram");
        let d = self.durations.lock().unwrap_or_else(|e| e.into_inner());
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "drydock_analysis_duration_seconds_bucket{{le=\"{b}\"}} {}",
                d.0.get(i).copied().unwrap_or(0)
            );
        }
        let _ = writeln!(out, "drydock_analysis_duration_seconds_bucket{{le=\"+Inf\"}} {}", d.2);
        let _ = writeln!(out, "drydock_analysis_duration_seconds_sum {}", d.1);
        let _ = writeln!(out, "drydock_analysis_duration_seconds_count {}", d.2);
        let _ = writeln!(out, "# HELP drydock_queue_jobs Analysis jobs by state.");
        let _ = writeln!(out, "# TYPE drydock_queue_jobs gauge");
        let _ = writeln!(out, "drydock_queue_jobs{{state=\"queued\"}} {queued}");
        let _ = writeln!(out, "drydock_queue_jobs{{state=\"running\"}} {running}");
        out
    }
}
