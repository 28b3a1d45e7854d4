//! The built-in secret rules and allow rules.

use super::{AllowSpec, RuleSpec, Severity};
use Severity::{Critical, High, Low, Medium};

fn r(id: &str, title: &str, severity: Severity, keywords: &[&str], regex: &str) -> RuleSpec {
    RuleSpec {
        id: id.into(),
        title: title.into(),
        severity,
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        regex: regex.into(),
        entropy: None,
        allow: Vec::new(),
        path: None,
        multiline: false,
        generic: false,
    }
}

/// A token that starts with a fixed prefix: `\b(PREFIX BODY)\b`.
fn prefixed(id: &str, title: &str, severity: Severity, prefix: &str, body: &str) -> RuleSpec {
    let re = format!(r"\b({}{body})(?:[^A-Za-z0-9_-]|$)", regex_escape(prefix));
    r(id, title, severity, &[&prefix.to_ascii_lowercase()], &re)
}

/// A value assigned to a name containing `context` (e.g. `DATADOG_API_KEY = "..."`).
fn assigned(id: &str, title: &str, severity: Severity, context: &[&str], name: &str, value: &str) -> RuleSpec {
    let re = format!(r#"(?i){name}["']?\s*(?:[:=]|:=|=>)\s*["']?({value})(?:[^A-Za-z0-9_/+=-]|$)"#);
    r(id, title, severity, context, &re)
}

fn private_key(id: &str, title: &str, label: &str) -> RuleSpec {
    let header = if label.is_empty() {
        "BEGIN PRIVATE KEY".to_string()
    } else {
        format!("BEGIN {label} PRIVATE KEY")
    };
    r(
        id,
        title,
        Critical,
        &[&header.to_ascii_lowercase()],
        &format!(r"-----{header}-----\s*(?:[A-Za-z-]+: [^\n]*\n)*\s*([A-Za-z0-9+/=\r\n]{{64,}})"),
    )
    .multiline()
}

fn regex_escape(s: &str) -> String {
    regex::escape(s)
}

trait Tweak {
    fn entropy(self, bits: f64) -> Self;
    fn allow(self, re: &str) -> Self;
    fn path(self, re: &str) -> Self;
    fn multiline(self) -> Self;
    fn generic(self) -> Self;
}

impl Tweak for RuleSpec {
    fn entropy(mut self, bits: f64) -> Self {
        self.entropy = Some(bits);
        self
    }
    fn allow(mut self, re: &str) -> Self {
        self.allow.push(re.into());
        self
    }
    fn path(mut self, re: &str) -> Self {
        self.path = Some(re.into());
        self
    }
    fn multiline(mut self) -> Self {
        self.multiline = true;
        self
    }
    fn generic(mut self) -> Self {
        self.generic = true;
        self
    }
}

const UUID: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// Values of generic assignments that are code, not secrets: no digit at all (identifiers,
/// words), dotted names (`self.password`), or `@`/`$` references.
const CODE_NOT_SECRET: &str = r"^[^0-9]*$|^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$|^[@$%]";

/// Passwords in URLs that are obviously not real.
const PLACEHOLDER_PASSWORD: &str = r"(?i)^(?:pass(?:word)?|pwd|secret|changeme|\*+|x+|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%\(.*\)s|%[sd]|\{\{.*\}\}|\{[^}]*\}|#\{.*\}|\$\(.*\)|:?[a-z_]*pass[a-z_]*)$";

fn db_url(id: &str, title: &str, keywords: &[&str], scheme_re: &str) -> RuleSpec {
    r(
        id,
        title,
        High,
        keywords,
        &format!(r#"(?i)\b(?:{scheme_re})://[^\s:/@"'<>]*:([^\s@/"'<>]{{3,}})@[^\s"'<>/]+"#),
    )
    .allow(PLACEHOLDER_PASSWORD)
}

/// Every built-in rule.
pub fn builtin() -> Vec<RuleSpec> {
    vec![
        // --- cloud providers ---
        r(
            "aws-access-key-id",
            "AWS access key ID",
            High,
            &["akia", "asia", "abia", "acca", "a3t"],
            r"\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b",
        ),
        assigned(
            "aws-secret-access-key",
            "AWS secret access key",
            Critical,
            &["secret_access_key", "secretaccesskey", "secret-access-key", "aws_secret_key", "awssecretkey"],
            r"(?:aws)?[_.-]?secret[_.-]?(?:access)?[_.-]?key",
            "[A-Za-z0-9/+]{40}",
        )
        .entropy(3.5),
        assigned(
            "aws-session-token",
            "AWS session token",
            High,
            &["session_token", "sessiontoken"],
            r"aws[_.-]?session[_.-]?token",
            "[A-Za-z0-9/+=]{100,1200}",
        ),
        r(
            "aws-mws-key",
            "Amazon MWS auth token",
            High,
            &["amzn.mws."],
            &format!(r"\b(amzn\.mws\.{UUID})\b"),
        ),
        r(
            "gcp-service-account",
            "GCP service account key (JSON)",
            Critical,
            &["service_account"],
            r#"(?s)"type"\s*:\s*"service_account".{0,3000}?"private_key"\s*:\s*"-----BEGIN PRIVATE KEY-----(?:\\n|\s)*([A-Za-z0-9+/=]{40,})"#,
        )
        .multiline(),
        prefixed("gcp-api-key", "Google API key", High, "AIza", "[0-9A-Za-z_-]{35}"),
        prefixed("gcp-oauth-client-secret", "Google OAuth client secret", High, "GOCSPX-", "[A-Za-z0-9_-]{28}"),
        prefixed("gcp-oauth-access-token", "Google OAuth access token", Medium, "ya29.", "[0-9A-Za-z_-]{30,}"),
        r(
            "azure-storage-connection-string",
            "Azure storage connection string",
            Critical,
            &["accountkey="],
            r"(?i)DefaultEndpointsProtocol=https?;AccountName=[a-z0-9]+;AccountKey=([A-Za-z0-9+/]{86}==)",
        ),
        assigned(
            "azure-storage-account-key",
            "Azure storage account key",
            Critical,
            &["azure", "storage_key", "storagekey", "account_key", "accountkey"],
            r"(?:azure|storage|account)[a-z_.-]{0,20}key",
            "[A-Za-z0-9+/]{86}==",
        ),
        r(
            "azure-sas-token",
            "Azure shared access signature",
            High,
            &["sv=20"],
            r"\bsv=20\d\d-\d\d-\d\d&[^\s\x22']*?\bsig=([A-Za-z0-9%+/]{40,}(?:%3D|=)?)",
        ),
        r(
            "azure-ad-client-secret",
            "Azure AD client secret",
            High,
            &["q~"],
            r"(?:^|[^A-Za-z0-9_~.-])([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)",
        ),
        prefixed("alibaba-access-key-id", "Alibaba Cloud access key ID", High, "LTAI", "[A-Za-z0-9]{20}"),
        assigned(
            "alibaba-secret-key",
            "Alibaba Cloud access key secret",
            Critical,
            &["alibaba", "aliyun"],
            r"(?:alibaba|aliyun)[a-z_.-]{0,20}secret[a-z_.-]{0,10}",
            "[A-Za-z0-9]{30}",
        ),
        prefixed("digitalocean-pat", "DigitalOcean personal access token", Critical, "dop_v1_", "[a-f0-9]{64}"),
        prefixed("digitalocean-oauth-token", "DigitalOcean OAuth token", Critical, "doo_v1_", "[a-f0-9]{64}"),
        prefixed("digitalocean-refresh-token", "DigitalOcean refresh token", High, "dor_v1_", "[a-f0-9]{64}"),
        assigned("heroku-api-key", "Heroku API key", High, &["heroku"], r"heroku[a-z_.-]{0,20}", UUID),
        assigned(
            "cloudflare-api-token",
            "Cloudflare API token",
            High,
            &["cloudflare", "cf_api"],
            r"(?:cloudflare|cf)[a-z_.-]{0,20}(?:token|key)",
            "[A-Za-z0-9_-]{40}",
        ),
        r(
            "cloudflare-origin-ca-key",
            "Cloudflare origin CA key",
            High,
            &["v1.0-"],
            r"\b(v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b",
        ),
        assigned(
            "fastly-api-token",
            "Fastly API token",
            High,
            &["fastly"],
            r"fastly[a-z_.-]{0,20}(?:token|key)",
            "[A-Za-z0-9_-]{32}",
        ),
        assigned(
            "linode-api-token",
            "Linode API token",
            High,
            &["linode"],
            r"linode[a-z_.-]{0,20}(?:token|key)",
            "[a-f0-9]{64}",
        ),
        prefixed("scaleway-access-key", "Scaleway access key ID", High, "SCW", "[A-Z0-9]{17}")
            .allow(r"^SCW[A-Z]+$"),
        // --- private keys ---
        private_key("private-key-rsa", "RSA private key", "RSA"),
        private_key("private-key-ec", "EC private key", "EC"),
        private_key("private-key-dsa", "DSA private key", "DSA"),
        private_key("private-key-openssh", "OpenSSH private key", "OPENSSH"),
        private_key("private-key-pkcs8", "PKCS#8 private key", ""),
        {
            let mut k = private_key("private-key-pkcs8-encrypted", "Encrypted PKCS#8 private key", "ENCRYPTED");
            k.severity = High;
            k
        },
        private_key("private-key-ssh2", "SSH2 encrypted private key", "SSH2 ENCRYPTED"),
        r(
            "private-key-pgp",
            "PGP private key block",
            Critical,
            &["begin pgp private key block"],
            r"-----BEGIN PGP PRIVATE KEY BLOCK-----\s*(?:[A-Za-z-]+: [^\n]*\n)*\s*([A-Za-z0-9+/=\r\n]{64,})",
        )
        .multiline(),
        r(
            "private-key-putty",
            "PuTTY private key",
            Critical,
            &["putty-user-key-file-"],
            r"PuTTY-User-Key-File-\d: [^\n]*\n(?:[^\n]*\n){0,8}?Private-Lines: \d+\s*\n([A-Za-z0-9+/=\r\n]{40,})",
        )
        .multiline(),
        prefixed(
            "age-secret-key",
            "age secret key",
            Critical,
            "AGE-SECRET-KEY-1",
            "[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        ),
        // --- source forges and CI ---
        prefixed("github-pat", "GitHub personal access token", Critical, "ghp_", "[A-Za-z0-9]{36}"),
        prefixed("github-oauth-token", "GitHub OAuth access token", Critical, "gho_", "[A-Za-z0-9]{36}"),
        prefixed("github-user-to-server-token", "GitHub user-to-server token", Critical, "ghu_", "[A-Za-z0-9]{36}"),
        prefixed("github-server-to-server-token", "GitHub server-to-server token", Critical, "ghs_", "[A-Za-z0-9]{36}"),
        prefixed("github-refresh-token", "GitHub refresh token", Critical, "ghr_", "[A-Za-z0-9]{36,76}"),
        prefixed(
            "github-fine-grained-pat",
            "GitHub fine-grained personal access token",
            Critical,
            "github_pat_",
            "[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        ),
        prefixed("gitlab-pat", "GitLab personal access token", Critical, "glpat-", "[A-Za-z0-9_-]{20}"),
        prefixed("gitlab-pipeline-trigger-token", "GitLab pipeline trigger token", High, "glptt-", "[a-f0-9]{40}"),
        prefixed("gitlab-runner-token", "GitLab runner authentication token", High, "glrt-", "[A-Za-z0-9_-]{20}"),
        prefixed("gitlab-deploy-token", "GitLab deploy token", High, "gldt-", "[A-Za-z0-9_-]{20}"),
        prefixed("gitlab-feed-token", "GitLab feed token", Medium, "glft-", "[A-Za-z0-9_-]{20}"),
        prefixed("bitbucket-access-token", "Bitbucket access token", High, "ATCTT3xFfGN0", "[A-Za-z0-9_=-]{170,200}"),
        assigned(
            "circleci-token",
            "CircleCI API token",
            High,
            &["circle"],
            r"circle[a-z_.-]{0,20}token",
            "[a-f0-9]{40}",
        ),
        prefixed("sonarqube-token", "SonarQube token", High, "squ_", "[a-f0-9]{40}"),
        prefixed("sonarqube-project-token", "SonarQube project token", High, "sqp_", "[a-f0-9]{40}"),
        prefixed("sonarqube-analysis-token", "SonarQube global analysis token", High, "sqa_", "[a-f0-9]{40}"),
        assigned("snyk-token", "Snyk API token", High, &["snyk"], r"snyk[a-z_.-]{0,20}(?:token|key)", UUID),
        // --- chat and messaging ---
        r(
            "slack-bot-token",
            "Slack bot token",
            Critical,
            &["xoxb-"],
            r"\b(xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24})\b",
        ),
        r(
            "slack-user-token",
            "Slack user token",
            Critical,
            &["xoxp-", "xoxe-"],
            r"\b(xox[pe]-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32})\b",
        ),
        r(
            "slack-app-token",
            "Slack app-level token",
            High,
            &["xapp-"],
            r"\b(xapp-\d-[A-Z0-9]{9,12}-\d{10,13}-[a-f0-9]{64})\b",
        ),
        r(
            "slack-legacy-token",
            "Slack legacy token",
            High,
            &["xoxa-", "xoxo-", "xoxr-", "xoxs-"],
            r"\b(xox[aors]-\d{8,13}-[0-9A-Za-z-]{10,80})\b",
        ),
        r(
            "slack-webhook",
            "Slack incoming webhook",
            High,
            &["hooks.slack.com"],
            r"https://hooks\.slack\.com/(?:services|workflows)/(T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24})",
        ),
        r(
            "discord-webhook",
            "Discord webhook",
            High,
            &["discord"],
            r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/([A-Za-z0-9_-]{60,68})",
        ),
        assigned(
            "discord-bot-token",
            "Discord bot token",
            High,
            &["discord"],
            r"discord[a-z_.-]{0,20}(?:token|key)",
            r"[MN][A-Za-z0-9]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}",
        ),
        r(
            "telegram-bot-token",
            "Telegram bot token",
            High,
            &[":aa"],
            r"(?:^|[^0-9])([0-9]{8,10}:AA[A-Za-z0-9_-]{33})(?:[^A-Za-z0-9_-]|$)",
        ),
        assigned(
            "twilio-api-key",
            "Twilio API key",
            High,
            &["twilio"],
            r"twilio[a-z_.-]{0,20}(?:key|sid)",
            "SK[0-9a-fA-F]{32}",
        ),
        assigned(
            "twilio-auth-token",
            "Twilio auth token",
            Critical,
            &["twilio"],
            r"twilio[a-z_.-]{0,20}(?:auth)?[a-z_.-]{0,5}token",
            "[0-9a-f]{32}",
        ),
        prefixed(
            "sendgrid-api-key",
            "SendGrid API key",
            High,
            "SG.",
            "[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}",
        ),
        prefixed("mailgun-api-key", "Mailgun API key", High, "key-", "[0-9a-f]{32}"),
        prefixed("mailgun-public-key", "Mailgun public validation key", Low, "pubkey-", "[0-9a-f]{32}"),
        r(
            "mailchimp-api-key",
            "Mailchimp API key",
            High,
            &["-us"],
            r"\b([0-9a-f]{32}-us[0-9]{1,2})\b",
        ),
        prefixed(
            "brevo-api-key",
            "Brevo (Sendinblue) API key",
            High,
            "xkeysib-",
            "[a-f0-9]{64}-[A-Za-z0-9]{16}",
        ),
        // --- payments and commerce ---
        prefixed("stripe-secret-key", "Stripe live secret key", Critical, "sk_live_", "[A-Za-z0-9]{24,99}"),
        prefixed("stripe-restricted-key", "Stripe live restricted key", Critical, "rk_live_", "[A-Za-z0-9]{24,99}"),
        prefixed("stripe-test-secret-key", "Stripe test secret key", Low, "sk_test_", "[A-Za-z0-9]{24,99}"),
        prefixed("stripe-webhook-secret", "Stripe webhook signing secret", Medium, "whsec_", "[A-Za-z0-9]{32,}"),
        prefixed("square-access-token", "Square access token", Critical, "sq0atp-", "[0-9A-Za-z_-]{22}"),
        prefixed("square-oauth-secret", "Square OAuth secret", Critical, "sq0csp-", "[0-9A-Za-z_-]{43}"),
        prefixed("square-production-token", "Square production access token", Critical, "EAAA", "[A-Za-z0-9_-]{60}"),
        r(
            "braintree-access-token",
            "PayPal Braintree access token",
            Critical,
            &["access_token$production$"],
            r"\b(access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})\b",
        ),
        prefixed("shopify-access-token", "Shopify access token", Critical, "shpat_", "[a-fA-F0-9]{32}"),
        prefixed("shopify-shared-secret", "Shopify shared secret", Critical, "shpss_", "[a-fA-F0-9]{32}"),
        prefixed("shopify-custom-app-token", "Shopify custom app token", Critical, "shpca_", "[a-fA-F0-9]{32}"),
        prefixed("shopify-private-app-token", "Shopify private app token", Critical, "shppa_", "[a-fA-F0-9]{32}"),
        prefixed("shippo-api-token", "Shippo API token", High, "shippo_live_", "[a-f0-9]{40}"),
        prefixed("easypost-api-key", "EasyPost API key", High, "EZAK", "[A-Za-z0-9]{54}"),
        prefixed("duffel-api-token", "Duffel API token", High, "duffel_live_", "[A-Za-z0-9_=-]{43}"),
        // --- package registries ---
        prefixed("npm-access-token", "npm access token", Critical, "npm_", "[A-Za-z0-9]{36}"),
        r(
            "npmrc-auth-token",
            "npm registry auth token (.npmrc)",
            High,
            &["_authtoken"],
            r"(?i)//[^\s]+/:_authToken\s*=\s*([A-Za-z0-9_.-]{20,})",
        ),
        prefixed(
            "pypi-upload-token",
            "PyPI upload token",
            Critical,
            "pypi-AgEIcHlwaS5vcmc",
            "[A-Za-z0-9_-]{50,}",
        ),
        prefixed("rubygems-api-key", "RubyGems API key", High, "rubygems_", "[a-f0-9]{48}"),
        prefixed("nuget-api-key", "NuGet API key", High, "oy2", "[a-z0-9]{43}"),
        r(
            "clojars-token",
            "Clojars deploy token",
            High,
            &["clojars_"],
            r"(?i)\b(CLOJARS_[a-z0-9]{60})\b",
        ),
        prefixed("dockerhub-pat", "Docker Hub personal access token", Critical, "dckr_pat_", "[A-Za-z0-9_-]{27}"),
        r(
            "docker-config-auth",
            "Registry credentials in a Docker config.json",
            High,
            &["\"auth\""],
            r#""auth"\s*:\s*"([A-Za-z0-9+/]{8,}={0,2})""#,
        )
        .path(r"(?:^|/)(?:config\.json|\.dockercfg|auth\.json)$"),
        // --- AI and data platforms ---
        r(
            "openai-api-key",
            "OpenAI API key",
            Critical,
            &["t3blbkfj"],
            r"\b(sk-(?:[A-Za-z0-9_-]{0,40}-)?[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})\b",
        ),
        prefixed("openai-project-key", "OpenAI project key", Critical, "sk-proj-", "[A-Za-z0-9_-]{40,200}"),
        r(
            "anthropic-api-key",
            "Anthropic API key",
            Critical,
            &["sk-ant-"],
            r"\b(sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,100})(?:[^A-Za-z0-9_-]|$)",
        ),
        prefixed("huggingface-token", "Hugging Face access token", High, "hf_", "[A-Za-z]{34}"),
        prefixed("huggingface-org-token", "Hugging Face organization token", High, "api_org_", "[A-Za-z]{34}"),
        prefixed("groq-api-key", "Groq API key", High, "gsk_", "[A-Za-z0-9]{52}"),
        prefixed("replicate-api-token", "Replicate API token", High, "r8_", "[A-Za-z0-9]{37}"),
        prefixed("perplexity-api-key", "Perplexity API key", High, "pplx-", "[A-Za-z0-9]{48}"),
        prefixed("databricks-token", "Databricks access token", High, "dapi", "[a-f0-9]{32}(?:-[0-9])?"),
        assigned(
            "algolia-api-key",
            "Algolia API key",
            High,
            &["algolia"],
            r"algolia[a-z_.-]{0,20}key",
            "[a-f0-9]{32}",
        ),
        r(
            "airtable-api-key",
            "Airtable API key or personal access token",
            High,
            &["airtable"],
            r"(?i)airtable[\s\S]{0,40}?\b(pat[A-Za-z0-9]{14}\.[a-f0-9]{64}|key[A-Za-z0-9]{14})\b",
        ),
        prefixed("supabase-token", "Supabase access token", High, "sbp_", "[a-f0-9]{40}"),
        prefixed("planetscale-password", "PlanetScale password", High, "pscale_pw_", "[A-Za-z0-9_.-]{43}"),
        prefixed("planetscale-token", "PlanetScale API token", High, "pscale_tkn_", "[A-Za-z0-9_.-]{43}"),
        prefixed("prefect-api-key", "Prefect API key", High, "pnu_", "[a-z0-9]{36}"),
        prefixed("readme-api-key", "ReadMe API key", Medium, "rdme_", "[a-z0-9]{70}"),
        // --- monitoring ---
        assigned(
            "datadog-api-key",
            "Datadog API key",
            High,
            &["datadog", "dd_api", "ddapi"],
            r"(?:datadog|dd)[_.-]?api[_.-]?key",
            "[a-f0-9]{32}",
        ),
        assigned(
            "datadog-app-key",
            "Datadog application key",
            High,
            &["datadog", "dd_app", "ddapp"],
            r"(?:datadog|dd)[_.-]?app(?:lication)?[_.-]?key",
            "[a-f0-9]{40}",
        ),
        prefixed("newrelic-user-api-key", "New Relic user API key", High, "NRAK-", "[A-Z0-9]{27}"),
        prefixed("newrelic-insert-key", "New Relic insert key", High, "NRII-", "[A-Za-z0-9_-]{32}"),
        prefixed("newrelic-browser-key", "New Relic browser API key", Medium, "NRJS-", "[a-f0-9]{19}"),
        r(
            "sentry-dsn",
            "Sentry DSN",
            Medium,
            &["sentry"],
            r"\bhttps?://([a-f0-9]{32})(?::[a-f0-9]{32})?@[A-Za-z0-9.-]*sentry[A-Za-z0-9.-]*/[0-9]+",
        ),
        prefixed("sentry-org-token", "Sentry organization token", High, "sntrys_eyJ", "[A-Za-z0-9+/=_-]{60,}"),
        prefixed("sentry-user-token", "Sentry user token", High, "sntryu_", "[a-f0-9]{64}"),
        prefixed("grafana-api-key", "Grafana API key", High, "eyJrIjoi", "[A-Za-z0-9]{70,400}={0,2}"),
        prefixed("grafana-cloud-token", "Grafana Cloud token", High, "glc_", "[A-Za-z0-9+/]{32,400}={0,2}"),
        prefixed(
            "grafana-service-account-token",
            "Grafana service account token",
            High,
            "glsa_",
            "[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
        ),
        prefixed("dynatrace-token", "Dynatrace API token", High, "dt0c01.", "[A-Z0-9]{24}\\.[A-Z0-9]{64}"),
        // --- collaboration and SaaS ---
        prefixed("atlassian-api-token", "Atlassian API token", High, "ATATT3", "[A-Za-z0-9_=-]{100,200}"),
        prefixed("linear-api-key", "Linear API key", High, "lin_api_", "[A-Za-z0-9]{40}"),
        r(
            "postman-api-key",
            "Postman API key",
            High,
            &["pmak-"],
            r"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b",
        ),
        r(
            "asana-pat",
            "Asana personal access token",
            High,
            &["asana"],
            r"(?i)asana[\s\S]{0,40}?\b([0-9]/[0-9]{16}:[a-f0-9]{32})\b",
        ),
        r(
            "dropbox-api-token",
            "Dropbox API token",
            High,
            &["dropbox"],
            r"(?i)dropbox[\s\S]{0,40}?\b(sl\.[A-Za-z0-9_-]{130,152}|[a-z0-9]{11}AAAAAAAAAA[a-z0-9_=-]{43})",
        ),
        prefixed("contentful-pat", "Contentful personal access token", High, "CFPAT-", "[A-Za-z0-9_-]{43}"),
        prefixed("frameio-token", "Frame.io API token", High, "fio-u-", "[A-Za-z0-9_=-]{64}"),
        prefixed("facebook-access-token", "Facebook access token", High, "EAACEdEose0cBA", "[0-9A-Za-z]{20,}"),
        r(
            "twitter-bearer-token",
            "Twitter/X bearer token",
            High,
            &["aaaaaaaaaaaaaaaaaaaaa"],
            r"(?:^|[^A-Za-z0-9+/%])(A{21,23}[A-Za-z0-9%]{80,120})(?:[^A-Za-z0-9+/%=]|$)",
        ),
        prefixed("mapbox-secret-token", "Mapbox secret token", High, "sk.eyJ", "[A-Za-z0-9_-]{50,}\\.[A-Za-z0-9_-]{20,}"),
        assigned(
            "okta-api-token",
            "Okta API token",
            High,
            &["okta"],
            r"okta[a-z_.-]{0,20}(?:token|key)",
            "00[A-Za-z0-9_-]{40}",
        ),
        assigned(
            "adobe-client-id",
            "Adobe client ID",
            Medium,
            &["adobe"],
            r"adobe[a-z_.-]{0,20}client[_.-]?id",
            "[a-f0-9]{32}",
        ),
        prefixed("adobe-client-secret", "Adobe client secret", High, "p8e-", "[A-Za-z0-9-]{32}"),
        // --- infrastructure as code and secret stores ---
        prefixed("pulumi-access-token", "Pulumi access token", High, "pul-", "[a-f0-9]{40}"),
        r(
            "terraform-cloud-token",
            "Terraform Cloud / Enterprise API token",
            High,
            &[".atlasv1."],
            r"\b([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})\b",
        ),
        prefixed("vault-service-token", "HashiCorp Vault service token", Critical, "hvs.", "[A-Za-z0-9_-]{90,120}"),
        prefixed("vault-batch-token", "HashiCorp Vault batch token", High, "hvb.", "[A-Za-z0-9_-]{138,300}"),
        prefixed("doppler-token", "Doppler personal token", High, "dp.pt.", "[A-Za-z0-9]{43}"),
        prefixed("doppler-service-token", "Doppler service token", High, "dp.st.", "[A-Za-z0-9_.-]{40,100}"),
        prefixed("onepassword-service-token", "1Password service account token", Critical, "ops_eyJ", "[A-Za-z0-9+/]{250,}={0,3}"),
        prefixed("flyio-token", "Fly.io access token", High, "fo1_", "[A-Za-z0-9_-]{43}"),
        r(
            "jwt",
            "JSON Web Token",
            Medium,
            &["eyj"],
            r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})",
        ),
        // --- databases and URLs ---
        db_url("postgres-url-password", "PostgreSQL URL with a password", &["postgres://", "postgresql://"], "postgres(?:ql)?"),
        db_url("mysql-url-password", "MySQL URL with a password", &["mysql://", "mariadb://"], "mysql|mariadb"),
        db_url("mongodb-url-password", "MongoDB URL with a password", &["mongodb://", "mongodb+srv://"], r"mongodb(?:\+srv)?"),
        db_url("redis-url-password", "Redis URL with a password", &["redis://", "rediss://"], "rediss?"),
        db_url("amqp-url-password", "AMQP URL with a password", &["amqp://", "amqps://"], "amqps?"),
        db_url("jdbc-url-password", "JDBC URL with a password", &["jdbc:"], r"jdbc:[a-z0-9]+").generic(),
        {
            let mut u = db_url("url-credentials", "URL with embedded credentials", &["http://", "https://", "ftp://"], "https?|ftp");
            u.severity = Medium;
            u.entropy(2.5).generic()
        },
        r(
            "netrc-password",
            "Password in a .netrc file",
            High,
            &["password"],
            r"(?m)(?:^|\s)password\s+(\S{4,})",
        )
        .path(r"(?:^|/)[._]netrc$")
        .allow(PLACEHOLDER_PASSWORD),
        r(
            "pgpass-password",
            "Password in a .pgpass file",
            High,
            &[":"],
            r"(?m)^[^:#\s]+:[0-9*]+:[^:\s]+:[^:\s]+:(\S{4,})$",
        )
        .path(r"(?:^|/)\.pgpass$")
        .allow(PLACEHOLDER_PASSWORD),
        r(
            "htpasswd-hash",
            "Password hash in an htpasswd file",
            Medium,
            &["$apr1$", "$2y$", "{sha}"],
            r"(?m)^[^:\s]+:((?:\$apr1\$|\$2y\$|\{SHA\})[./A-Za-z0-9$+=]{20,})$",
        )
        .path(r"(?:^|/)\.?htpasswd[^/]*$"),
        // --- generic assignments ---
        assigned(
            "generic-password",
            "Password assignment",
            Medium,
            &["password", "passwd", "pwd"],
            r"\b[a-z0-9_.-]{0,20}(?:password|passwd|pwd)",
            r"[A-Za-z0-9/+_.=~!@#%^&*-]{8,64}",
        )
        .entropy(3.0)
        .allow(PLACEHOLDER_PASSWORD)
        .allow(CODE_NOT_SECRET)
        .generic(),
        assigned(
            "generic-secret",
            "Secret assignment",
            Medium,
            &["secret"],
            r"\b[a-z0-9_.-]{0,20}secret(?:[_.-]?key)?",
            r"[A-Za-z0-9/+_.=-]{16,128}",
        )
        .entropy(3.5)
        .allow(CODE_NOT_SECRET)
        .generic(),
        assigned(
            "generic-token",
            "Token assignment",
            Medium,
            &["token"],
            r"\b[a-z0-9_.-]{0,20}token",
            r"[A-Za-z0-9/+_.=-]{16,128}",
        )
        .entropy(3.5)
        .allow(CODE_NOT_SECRET)
        .generic(),
        assigned(
            "generic-api-key",
            "API key assignment",
            Medium,
            &["apikey", "api_key", "api-key"],
            r"\b[a-z0-9_.-]{0,20}api[_-]?key",
            r"[A-Za-z0-9/+_.=-]{16,128}",
        )
        .entropy(3.5)
        .allow(CODE_NOT_SECRET)
        .generic(),
    ]
}

/// The built-in allow rules: placeholders and documentation paths.
pub fn default_allow() -> Vec<AllowSpec> {
    let re = |id: &str, regex: &str| AllowSpec {
        id: id.into(),
        regex: Some(regex.into()),
        path: None,
        rules: Vec::new(),
    };
    let path = |id: &str, p: &str| AllowSpec {
        id: id.into(),
        regex: None,
        path: Some(p.into()),
        rules: Vec::new(),
    };
    vec![
        re("example", r"(?i)example"),
        re("masked", r"(?i)x{5,}|\*{5,}|0{12,}"),
        re("template-variable", r"\$\{[^}]*\}|\{\{[^}]*\}\}"),
        re(
            "placeholder",
            r"(?i)placeholder|changeme|change_me|your[_-](?:api[_-]?)?(?:key|token|secret|password)|redacted",
        ),
        re("inline-ignore", r"drydock:ignore"),
        AllowSpec {
            id: "source-code-comments".into(),
            regex: Some(r"^\s*(?:#|//|/?\*)".into()),
            path: Some(
                r"\.(?:rb|rbs|py|pyi|js|mjs|cjs|ts|go|java|kt|scala|c|h|cc|cpp|hpp|rs|php|pl|pm|lua|sh)$".into(),
            ),
            rules: [
                "generic-password",
                "generic-secret",
                "generic-token",
                "generic-api-key",
                "url-credentials",
            ]
            .map(String::from)
            .to_vec(),
        },
        path(
            "docs",
            r"^/usr/share/(?:doc|man|info|locale|i18n|zoneinfo|common-licenses|help)/",
        ),
        path("headers", r"^/usr/(?:local/)?include/"),
        path(
            "python-test-suite",
            r"^/usr/(?:local/)?lib/python[0-9.]+/(?:test|lib2to3/tests|idlelib/idle_test)/",
        ),
        path("go-test-data", r"/(?:testdata|test/fixtures)/"),
    ]
}
