//! Every built-in secret rule against one true positive and one near miss. All tokens are
//! made up here from a fixed pseudo-random sequence; none is a real credential.

use drydock_inspect::secrets::{AllowSpec, RuleSpec, SecretScanner, SecretsConfig, Severity};
use std::collections::BTreeSet;

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwyz";
const DIGITS: &str = "0123456789";
const HEX: &str = "0123456789abcdef";
const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWYZabcdefghijklmnopqrstuvwyz0123456789";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWYZabcdefghijklmnopqrstuvwyz0123456789+/";

/// A deterministic string of `n` characters from `alphabet` (no `x`, so no masking runs).
fn gen(alphabet: &str, n: usize, seed: u64) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            chars[((s >> 33) % chars.len() as u64) as usize]
        })
        .collect()
}

fn an(n: usize, seed: u64) -> String {
    gen(ALNUM, n, seed)
}
fn hex(n: usize, seed: u64) -> String {
    gen(HEX, n, seed)
}
fn up(n: usize, seed: u64) -> String {
    gen(&format!("{UPPER}{DIGITS}"), n, seed)
}
fn b64(n: usize, seed: u64) -> String {
    gen(B64, n, seed)
}
fn letters(n: usize, seed: u64) -> String {
    gen(&format!("{UPPER}{LOWER}"), n, seed)
}
fn uuid(seed: u64) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        hex(8, seed),
        hex(4, seed + 1),
        hex(4, seed + 2),
        hex(4, seed + 3),
        hex(12, seed + 4)
    )
}
fn pem(label: &str, seed: u64) -> String {
    let body: Vec<String> = (0..4).map(|i| b64(64, seed + i)).collect();
    format!(
        "-----BEGIN {label}PRIVATE KEY-----\n{}\n-----END {label}PRIVATE KEY-----\n",
        body.join("\n")
    )
}

struct Case {
    rule: &'static str,
    path: &'static str,
    positive: String,
    negative: String,
}

fn c(rule: &'static str, positive: String, negative: String) -> Case {
    Case {
        rule,
        path: "/app/settings.env",
        positive,
        negative,
    }
}

fn cp(rule: &'static str, path: &'static str, positive: String, negative: String) -> Case {
    Case {
        rule,
        path,
        positive,
        negative,
    }
}

/// A prefixed token: positive with the right body, negative with one character too few.
fn pre(rule: &'static str, prefix: &str, body: String) -> Case {
    let short = &body[..body.len() / 2];
    c(
        rule,
        format!("token: {prefix}{body}\n"),
        format!("token: {prefix}{short}\n"),
    )
}

fn cases() -> Vec<Case> {
    let aws_secret = b64(40, 2);
    vec![
        c(
            "aws-access-key-id",
            format!("id = AKIA{}\n", gen("ABCDEFGHIJKLMNOPQRSTUVWYZ234567", 16, 1)),
            format!("id = AKIA{}\n", gen("ABCDEFGHIJKLMNOPQRSTUVWYZ234567", 12, 1)),
        ),
        c(
            "aws-secret-access-key",
            format!("aws_secret_access_key = {aws_secret}\n"),
            format!("aws_secret_access_key = {}\n", &aws_secret[..36]),
        ),
        c(
            "aws-session-token",
            format!("AWS_SESSION_TOKEN={}\n", b64(200, 3)),
            format!("AWS_SESSION_TOKEN={}\n", b64(60, 3)),
        ),
        c(
            "aws-mws-key",
            format!("mws amzn.mws.{}\n", uuid(4)),
            format!("mws amzn.mws.{}\n", hex(30, 4)),
        ),
        cp(
            "gcp-service-account",
            "/app/sa.json",
            format!(
                "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n\"\n}}\n",
                b64(64, 5)
            ),
            format!(
                "{{\n  \"type\": \"authorized_user\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{}\\n\"\n}}\n",
                b64(64, 5)
            ),
        ),
        pre("gcp-api-key", "AIza", gen(&format!("{ALNUM}_-"), 35, 6)),
        pre("gcp-oauth-client-secret", "GOCSPX-", an(28, 7)),
        c(
            "gcp-oauth-access-token",
            format!("bearer ya29.{}\n", an(60, 8)),
            format!("bearer ya29.{}\n", an(20, 8)),
        ),
        c(
            "azure-storage-connection-string",
            format!(
                "DefaultEndpointsProtocol=https;AccountName=demo;AccountKey={}==;EndpointSuffix=core.windows.net\n",
                b64(86, 9)
            ),
            format!("DefaultEndpointsProtocol=https;AccountName=demo;AccountKey={}==\n", b64(40, 9)),
        ),
        c(
            "azure-storage-account-key",
            format!("AZURE_STORAGE_KEY=\"{}==\"\n", b64(86, 10)),
            format!("AZURE_STORAGE_KEY=\"{}==\"\n", b64(50, 10)),
        ),
        c(
            "azure-sas-token",
            format!(
                "https://demo.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=o&sp=r&sig={}%3D\n",
                an(44, 11)
            ),
            format!("https://demo.blob.core.windows.net/c?sv=2022-11-02&ss=b&sp=r&sig={}\n", an(10, 11)),
        ),
        c(
            "azure-ad-client-secret",
            format!("client_secret: {}7Q~{}\n", an(3, 12), an(32, 13)),
            format!("client_secret: {}7Q~{}\n", an(3, 12), an(12, 13)),
        ),
        pre("alibaba-access-key-id", "LTAI", an(20, 14)),
        c(
            "alibaba-secret-key",
            format!("alibaba_access_secret = \"{}\"\n", an(30, 15)),
            format!("alibaba_access_secret = \"{}\"\n", an(20, 15)),
        ),
        pre("digitalocean-pat", "dop_v1_", hex(64, 16)),
        pre("digitalocean-oauth-token", "doo_v1_", hex(64, 17)),
        pre("digitalocean-refresh-token", "dor_v1_", hex(64, 18)),
        c(
            "heroku-api-key",
            format!("HEROKU_API_KEY={}\n", uuid(19)),
            format!("HEROKU_APP_NAME={}\n", hex(20, 19)),
        ),
        c(
            "cloudflare-api-token",
            format!("CLOUDFLARE_API_TOKEN={}\n", an(40, 20)),
            format!("CLOUDFLARE_API_TOKEN={}\n", an(30, 20)),
        ),
        c(
            "cloudflare-origin-ca-key",
            format!("v1.0-{}-{}\n", hex(24, 21), hex(146, 22)),
            format!("v1.0-{}-{}\n", hex(24, 21), hex(100, 22)),
        ),
        c(
            "fastly-api-token",
            format!("FASTLY_API_TOKEN={}\n", an(32, 23)),
            format!("FASTLY_API_TOKEN={}\n", an(20, 23)),
        ),
        c(
            "linode-api-token",
            format!("LINODE_TOKEN={}\n", hex(64, 24)),
            format!("LINODE_TOKEN={}\n", hex(40, 24)),
        ),
        pre("scaleway-access-key", "SCW", up(17, 25)),
        cp("private-key-rsa", "/app/key.pem", pem("RSA ", 26), "-----BEGIN RSA PRIVATE KEY-----\n...\n".into()),
        cp("private-key-ec", "/app/key.pem", pem("EC ", 27), "-----BEGIN EC PRIVATE KEY-----\n\n".into()),
        cp("private-key-dsa", "/app/key.pem", pem("DSA ", 28), "-----BEGIN DSA PUBLIC KEY-----\n".into()),
        cp(
            "private-key-openssh",
            "/root/.ssh/id_ed25519",
            pem("OPENSSH ", 29),
            "see -----BEGIN OPENSSH PRIVATE KEY----- in the docs\n".into(),
        ),
        cp(
            "private-key-pkcs8",
            "/app/key.pem",
            pem("", 30),
            format!("-----BEGIN PUBLIC KEY-----\n{}\n", b64(64, 30)),
        ),
        cp(
            "private-key-pkcs8-encrypted",
            "/app/key.pem",
            pem("ENCRYPTED ", 31),
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\n-----END ENCRYPTED PRIVATE KEY-----\n".into(),
        ),
        cp(
            "private-key-ssh2",
            "/app/key",
            pem("SSH2 ENCRYPTED ", 32),
            "-----BEGIN SSH2 PUBLIC KEY-----\n".into(),
        ),
        cp(
            "private-key-pgp",
            "/app/key.asc",
            format!(
                "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n{}\n{}\n-----END PGP PRIVATE KEY BLOCK-----\n",
                b64(64, 33),
                b64(64, 34)
            ),
            format!("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n{}\n", b64(64, 33)),
        ),
        cp(
            "private-key-putty",
            "/app/key.ppk",
            format!(
                "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: k\nPublic-Lines: 1\n{}\nPrivate-Lines: 1\n{}\n",
                b64(64, 35),
                b64(64, 36)
            ),
            format!(
                "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPublic-Lines: 1\n{}\n",
                b64(64, 35)
            ),
        ),
        pre("age-secret-key", "AGE-SECRET-KEY-1", gen("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58, 37)),
        pre("github-pat", "ghp_", an(36, 38)),
        pre("github-oauth-token", "gho_", an(36, 39)),
        pre("github-user-to-server-token", "ghu_", an(36, 40)),
        pre("github-server-to-server-token", "ghs_", an(36, 41)),
        pre("github-refresh-token", "ghr_", an(36, 42)),
        c(
            "github-fine-grained-pat",
            format!("github_pat_{}_{}\n", an(22, 43), an(59, 44)),
            format!("github_pat_{}_{}\n", an(22, 43), an(40, 44)),
        ),
        pre("gitlab-pat", "glpat-", an(20, 45)),
        pre("gitlab-pipeline-trigger-token", "glptt-", hex(40, 46)),
        pre("gitlab-runner-token", "glrt-", an(20, 47)),
        pre("gitlab-deploy-token", "gldt-", an(20, 48)),
        pre("gitlab-feed-token", "glft-", an(20, 49)),
        pre("bitbucket-access-token", "ATCTT3xFfGN0", an(180, 50)),
        c(
            "circleci-token",
            format!("CIRCLE_TOKEN={}\n", hex(40, 51)),
            format!("CIRCLE_TOKEN={}\n", hex(30, 51)),
        ),
        pre("sonarqube-token", "squ_", hex(40, 52)),
        pre("sonarqube-project-token", "sqp_", hex(40, 53)),
        pre("sonarqube-analysis-token", "sqa_", hex(40, 54)),
        c(
            "snyk-token",
            format!("SNYK_TOKEN={}\n", uuid(55)),
            format!("SNYK_ORG={}\n", uuid(55)),
        ),
        c(
            "slack-bot-token",
            format!("xoxb-{}-{}-{}\n", gen(DIGITS, 12, 56), gen(DIGITS, 12, 57), an(24, 58)),
            format!("xoxb-{}-{}-{}\n", gen(DIGITS, 12, 56), gen(DIGITS, 12, 57), an(12, 58)),
        ),
        c(
            "slack-user-token",
            format!(
                "xoxp-{}-{}-{}-{}\n",
                gen(DIGITS, 12, 59),
                gen(DIGITS, 12, 60),
                gen(DIGITS, 12, 61),
                hex(32, 62)
            ),
            format!("xoxp-{}-{}-{}\n", gen(DIGITS, 12, 59), gen(DIGITS, 12, 60), hex(32, 62)),
        ),
        c(
            "slack-app-token",
            format!("xapp-1-{}-{}-{}\n", up(11, 63), gen(DIGITS, 13, 64), hex(64, 65)),
            format!("xapp-1-{}-{}-{}\n", up(11, 63), gen(DIGITS, 13, 64), hex(30, 65)),
        ),
        c(
            "slack-legacy-token",
            format!("xoxs-{}-{}\n", gen(DIGITS, 10, 66), an(40, 67)),
            format!("xoxs-{}\n", an(6, 67)),
        ),
        c(
            "slack-webhook",
            format!("https://hooks.slack.com/services/T{}/B{}/{}\n", up(10, 68), up(10, 69), an(24, 70)),
            format!("https://hooks.slack.com/services/T{}/B{}/\n", up(10, 68), up(10, 69)),
        ),
        c(
            "discord-webhook",
            format!("https://discord.com/api/webhooks/{}/{}\n", gen(DIGITS, 18, 71), an(68, 72)),
            format!("https://discord.com/api/webhooks/{}/{}\n", gen(DIGITS, 18, 71), an(20, 72)),
        ),
        c(
            "discord-bot-token",
            format!("DISCORD_BOT_TOKEN=M{}.{}.{}\n", an(23, 73), an(6, 74), an(27, 75)),
            format!("DISCORD_BOT_TOKEN=M{}.{}\n", an(23, 73), an(6, 74)),
        ),
        c(
            "telegram-bot-token",
            format!("bot {}:AA{}\n", gen(DIGITS, 10, 76), an(33, 77)),
            format!("bot {}:AA{}\n", gen(DIGITS, 10, 76), an(20, 77)),
        ),
        c(
            "twilio-api-key",
            format!("TWILIO_API_KEY=SK{}\n", hex(32, 78)),
            format!("TWILIO_API_KEY=SK{}\n", hex(20, 78)),
        ),
        c(
            "twilio-auth-token",
            format!("TWILIO_AUTH_TOKEN={}\n", hex(32, 79)),
            format!("TWILIO_AUTH_TOKEN={}\n", hex(16, 79)),
        ),
        c(
            "sendgrid-api-key",
            format!("SG.{}.{}\n", an(22, 80), an(43, 81)),
            format!("SG.{}.{}\n", an(22, 80), an(20, 81)),
        ),
        pre("mailgun-api-key", "key-", hex(32, 82)),
        pre("mailgun-public-key", "pubkey-", hex(32, 83)),
        c(
            "mailchimp-api-key",
            format!("{}-us14\n", hex(32, 84)),
            format!("{}-us14\n", hex(20, 84)),
        ),
        c(
            "brevo-api-key",
            format!("xkeysib-{}-{}\n", hex(64, 85), an(16, 86)),
            format!("xkeysib-{}\n", hex(64, 85)),
        ),
        pre("stripe-secret-key", "sk_live_", an(30, 87)),
        pre("stripe-restricted-key", "rk_live_", an(30, 88)),
        pre("stripe-test-secret-key", "sk_test_", an(30, 89)),
        pre("stripe-webhook-secret", "whsec_", an(36, 90)),
        pre("square-access-token", "sq0atp-", an(22, 91)),
        pre("square-oauth-secret", "sq0csp-", an(43, 92)),
        pre("square-production-token", "EAAA", an(60, 93)),
        c(
            "braintree-access-token",
            format!("access_token$production${}${}\n", gen("abcdefghijklmnopqrstuvwyz0123456789", 16, 94), hex(32, 95)),
            format!("access_token$sandbox${}${}\n", gen("abcdefghijklmnopqrstuvwyz0123456789", 16, 94), hex(32, 95)),
        ),
        pre("shopify-access-token", "shpat_", hex(32, 96)),
        pre("shopify-shared-secret", "shpss_", hex(32, 97)),
        pre("shopify-custom-app-token", "shpca_", hex(32, 98)),
        pre("shopify-private-app-token", "shppa_", hex(32, 99)),
        pre("shippo-api-token", "shippo_live_", hex(40, 100)),
        pre("easypost-api-key", "EZAK", an(54, 101)),
        pre("duffel-api-token", "duffel_live_", an(43, 102)),
        pre("npm-access-token", "npm_", an(36, 103)),
        cp(
            "npmrc-auth-token",
            "/root/.npmrc",
            format!("//registry.npmjs.org/:_authToken={}\n", an(36, 104)),
            "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n".into(),
        ),
        pre("pypi-upload-token", "pypi-AgEIcHlwaS5vcmc", an(70, 105)),
        pre("rubygems-api-key", "rubygems_", hex(48, 106)),
        pre("nuget-api-key", "oy2", gen("abcdefghijklmnopqrstuvwyz0123456789", 43, 107)),
        c(
            "clojars-token",
            format!("CLOJARS_{}\n", gen("abcdefghijklmnopqrstuvwyz0123456789", 60, 108)),
            format!("CLOJARS_{}\n", gen("abcdefghijklmnopqrstuvwyz0123456789", 40, 108)),
        ),
        pre("dockerhub-pat", "dckr_pat_", an(27, 109)),
        cp(
            "docker-config-auth",
            "/root/.docker/config.json",
            format!("{{\"auths\": {{\"r.io\": {{\"auth\": \"{}=\"}}}}}}\n", b64(31, 110)),
            "{\"auths\": {\"r.io\": {\"auth\": \"\"}}}\n".to_string(),
        ),
        c(
            "openai-api-key",
            format!("sk-{}T3BlbkFJ{}\n", an(20, 111), an(20, 112)),
            format!("sk-{}T3BlbkFJ{}\n", an(20, 111), an(8, 112)),
        ),
        pre("openai-project-key", "sk-proj-", an(60, 113)),
        c(
            "anthropic-api-key",
            format!("sk-ant-api03-{}\n", an(90, 114)),
            format!("sk-ant-api03-{}\n", an(30, 114)),
        ),
        pre("huggingface-token", "hf_", letters(34, 115)),
        pre("huggingface-org-token", "api_org_", letters(34, 116)),
        pre("groq-api-key", "gsk_", an(52, 117)),
        pre("replicate-api-token", "r8_", an(37, 118)),
        pre("perplexity-api-key", "pplx-", an(48, 119)),
        pre("databricks-token", "dapi", hex(32, 120)),
        c(
            "algolia-api-key",
            format!("ALGOLIA_API_KEY={}\n", hex(32, 121)),
            format!("ALGOLIA_APP_ID={}\n", hex(10, 121)),
        ),
        c(
            "airtable-api-key",
            format!("airtable token pat{}.{}\n", an(14, 122), hex(64, 123)),
            format!("airtable token pat{}\n", an(14, 122)),
        ),
        pre("supabase-token", "sbp_", hex(40, 124)),
        pre("planetscale-password", "pscale_pw_", an(43, 125)),
        pre("planetscale-token", "pscale_tkn_", an(43, 126)),
        pre("prefect-api-key", "pnu_", gen("abcdefghijklmnopqrstuvwyz0123456789", 36, 127)),
        pre("readme-api-key", "rdme_", gen("abcdefghijklmnopqrstuvwyz0123456789", 70, 128)),
        c(
            "datadog-api-key",
            format!("DD_API_KEY={}\n", hex(32, 129)),
            format!("DD_API_KEY={}\n", hex(20, 129)),
        ),
        c(
            "datadog-app-key",
            format!("DATADOG_APP_KEY={}\n", hex(40, 130)),
            format!("DATADOG_APP_KEY={}\n", hex(32, 130)),
        ),
        pre("newrelic-user-api-key", "NRAK-", up(27, 131)),
        pre("newrelic-insert-key", "NRII-", an(32, 132)),
        pre("newrelic-browser-key", "NRJS-", hex(19, 133)),
        c(
            "sentry-dsn",
            format!("SENTRY_DSN=https://{}@o12345.ingest.sentry.io/67890\n", hex(32, 134)),
            "SENTRY_DSN=https://o12345.ingest.sentry.io/67890\n".into(),
        ),
        pre("sentry-org-token", "sntrys_eyJ", an(80, 135)),
        pre("sentry-user-token", "sntryu_", hex(64, 136)),
        pre("grafana-api-key", "eyJrIjoi", an(80, 137)),
        pre("grafana-cloud-token", "glc_", an(60, 138)),
        c(
            "grafana-service-account-token",
            format!("glsa_{}_{}\n", an(32, 139), hex(8, 140)),
            format!("glsa_{}\n", an(32, 139)),
        ),
        c(
            "dynatrace-token",
            format!("dt0c01.{}.{}\n", up(24, 141), up(64, 142)),
            format!("dt0c01.{}\n", up(24, 141)),
        ),
        pre("atlassian-api-token", "ATATT3", an(180, 143)),
        pre("linear-api-key", "lin_api_", an(40, 144)),
        c(
            "postman-api-key",
            format!("PMAK-{}-{}\n", hex(24, 145), hex(34, 146)),
            format!("PMAK-{}\n", hex(24, 145)),
        ),
        c(
            "asana-pat",
            format!("asana: 1/{}:{}\n", gen(DIGITS, 16, 147), hex(32, 148)),
            format!("asana: 1/{}\n", gen(DIGITS, 16, 147)),
        ),
        c(
            "dropbox-api-token",
            format!("DROPBOX_TOKEN=sl.{}\n", an(140, 149)),
            format!("DROPBOX_TOKEN=sl.{}\n", an(40, 149)),
        ),
        pre("contentful-pat", "CFPAT-", an(43, 150)),
        pre("frameio-token", "fio-u-", an(64, 151)),
        pre("facebook-access-token", "EAACEdEose0cBA", an(30, 152)),
        c(
            "twitter-bearer-token",
            format!("AAAAAAAAAAAAAAAAAAAAA{}\n", an(90, 153)),
            format!("AAAAAAAAAAAAAAAAAAAAA{}\n", an(10, 153)),
        ),
        c(
            "mapbox-secret-token",
            format!("sk.eyJ{}.{}\n", an(60, 154), an(22, 155)),
            format!("pk.eyJ{}.{}\n", an(60, 154), an(22, 155)),
        ),
        c(
            "okta-api-token",
            format!("OKTA_API_TOKEN=00{}\n", an(40, 156)),
            format!("OKTA_API_TOKEN=00{}\n", an(20, 156)),
        ),
        c(
            "adobe-client-id",
            format!("ADOBE_CLIENT_ID={}\n", hex(32, 157)),
            format!("ADOBE_CLIENT_ID={}\n", hex(16, 157)),
        ),
        pre("adobe-client-secret", "p8e-", an(32, 158)),
        pre("pulumi-access-token", "pul-", hex(40, 159)),
        c(
            "terraform-cloud-token",
            format!("{}.atlasv1.{}\n", an(14, 160), an(67, 161)),
            format!("{}.atlasv1.{}\n", an(14, 160), an(30, 161)),
        ),
        pre("vault-service-token", "hvs.", an(100, 162)),
        pre("vault-batch-token", "hvb.", an(150, 163)),
        pre("doppler-token", "dp.pt.", an(43, 164)),
        pre("doppler-service-token", "dp.st.", an(50, 165)),
        pre("onepassword-service-token", "ops_eyJ", an(280, 166)),
        pre("flyio-token", "fo1_", an(43, 167)),
        c(
            "jwt",
            format!("Authorization: Bearer eyJ{}.eyJ{}.{}\n", an(30, 168), an(40, 169), an(43, 170)),
            format!("Authorization: Bearer eyJ{}.{}\n", an(30, 168), an(43, 170)),
        ),
        c(
            "postgres-url-password",
            format!("DATABASE_URL=postgres://app:{}@db:5432/app\n", an(16, 171)),
            "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app\n".into(),
        ),
        c(
            "mysql-url-password",
            format!("mysql://root:{}@mysql/app\n", an(16, 172)),
            "mysql://root@mysql/app\n".into(),
        ),
        c(
            "mongodb-url-password",
            format!("mongodb+srv://app:{}@cluster0.mongodb.net/db\n", an(16, 173)),
            "mongodb+srv://app:<password>@cluster0.mongodb.net/db\n".into(),
        ),
        c(
            "redis-url-password",
            format!("REDIS_URL=redis://:{}@cache:6379/0\n", an(16, 174)),
            "REDIS_URL=redis://cache:6379/0\n".into(),
        ),
        c(
            "amqp-url-password",
            format!("amqp://guest:{}@rabbit:5672/\n", an(16, 175)),
            "amqp://guest:password@rabbit:5672/\n".into(),
        ),
        c(
            "jdbc-url-password",
            format!("jdbc:db2://app:{}@db/app\n", an(16, 176)),
            "jdbc:db2://db/app?user=app\n".into(),
        ),
        c(
            "url-credentials",
            format!("https://deploy:{}@git.corp.test/repo.git\n", an(16, 177)),
            "https://deploy:pass@git.corp.test/repo.git\n".into(),
        ),
        cp(
            "netrc-password",
            "/root/.netrc",
            format!("machine api.corp.test login bot password {}\n", an(16, 178)),
            "machine api.corp.test login bot\n".into(),
        ),
        cp(
            "pgpass-password",
            "/root/.pgpass",
            format!("db.corp.test:5432:app:app:{}\n", an(16, 179)),
            "db.corp.test:5432:app:app:*\n".into(),
        ),
        cp(
            "htpasswd-hash",
            "/etc/nginx/.htpasswd",
            format!("admin:$apr1${}${}\n", an(8, 180), an(22, 181)),
            "admin:\n".into(),
        ),
        c(
            "generic-password",
            format!("DB_PASSWORD=\"{}\"\n", an(16, 182)),
            "DB_PASSWORD=\"aaaaaaaaaa\"\n".into(),
        ),
        c(
            "generic-secret",
            format!("client_secret = \"{}\"\n", an(32, 183)),
            "client_secret = \"aaaaaaaaaaaaaaaaaaaa\"\n".into(),
        ),
        c(
            "generic-token",
            format!("auth_token: {}\n", an(32, 184)),
            "auth_token: aaaabbbbaaaabbbbaaaa\n".into(),
        ),
        c(
            "generic-api-key",
            format!("api_key = '{}'\n", an(32, 185)),
            format!("api_key = '{}'\n", an(8, 185)),
        ),
    ]
}

fn scanner() -> SecretScanner {
    SecretScanner::new().expect("built-in rules compile")
}

#[test]
fn at_least_100_rules() {
    let s = scanner();
    eprintln!("{} built-in secret rules", s.rule_count());
    assert!(s.rule_count() >= 100, "only {} rules", s.rule_count());
    let ids: BTreeSet<&str> = s.rules().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), s.rule_count(), "rule ids are unique");
    for r in s.rules() {
        assert!(!r.title.is_empty() && !r.keywords.is_empty(), "{}", r.id);
        for k in &r.keywords {
            assert_eq!(k, &k.to_ascii_lowercase(), "{}: keywords are lower case", r.id);
        }
    }
}

#[test]
fn every_rule_has_a_case() {
    let s = scanner();
    let covered: BTreeSet<&str> = cases().iter().map(|c| c.rule).collect();
    let missing: Vec<&str> = s
        .rules()
        .map(|r| r.id.as_str())
        .filter(|id| !covered.contains(id))
        .collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");
}

#[test]
fn every_rule_true_positive_and_near_miss() {
    let s = scanner();
    let mut failures = Vec::new();
    for case in cases() {
        let found = s.scan(case.path, case.positive.as_bytes());
        if !found.iter().any(|f| f.rule_id == case.rule) {
            failures.push(format!("{}: positive not found; got {found:?}", case.rule));
        }
        for f in &found {
            // The clear value never shows: at most 6 characters survive.
            let kept = f.redacted.chars().filter(|c| *c != '*').count();
            assert!(kept <= 6, "{}: {}", case.rule, f.redacted);
        }
        let found = s.scan(case.path, case.negative.as_bytes());
        if found.iter().any(|f| f.rule_id == case.rule) {
            failures.push(format!("{}: near miss reported: {found:?}", case.rule));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fixture_style_credentials() {
    let s = scanner();
    let key = format!("{}{}", "AKIA", gen("ABCDEFGHIJKLMNOPQRSTUVWYZ234567", 16, 500));
    let secret = b64(40, 501);
    let text = format!(
        "# deployment settings\nAWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY={secret}\nK<<EOF\n{}EOF\n",
        pem("", 502)
    );
    let found = s.scan("/app/config/credentials.txt", text.as_bytes());
    let got: Vec<(&str, usize)> = found.iter().map(|f| (f.rule_id.as_str(), f.line)).collect();
    assert_eq!(
        got,
        vec![
            ("aws-access-key-id", 2),
            ("aws-secret-access-key", 3),
            ("private-key-pkcs8", 5)
        ]
    );
    assert_eq!(
        found[0].redacted,
        format!("{}{}{}", &key[..4], "*".repeat(14), &key[18..])
    );
    assert_eq!(found[0].severity, Severity::High);
    for f in &found {
        assert!(!text.contains(&f.redacted), "redacted value must not be the clear one");
    }
    let ini = format!("[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n");
    let found = s.scan("/root/.aws/credentials", ini.as_bytes());
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn binary_large_and_allowed_content_skipped() {
    let s = scanner();
    let token = format!("ghp_{}", an(36, 600));
    let mut bin = b"\x7fELF\0\0".to_vec();
    bin.extend_from_slice(token.as_bytes());
    assert!(s.scan("/usr/bin/tool", &bin).is_empty());
    assert!(s.scan("/usr/share/doc/pkg/README", token.as_bytes()).is_empty());
    assert_eq!(s.scan("/app/README.md", token.as_bytes()).len(), 1);
    let big = format!("{token}\n{}", "a".repeat(11 << 20));
    assert!(s.scan("/app/big.txt", big.as_bytes()).is_empty());
    assert!(s
        .scan("/app/a.env", format!("{token} # drydock:ignore\n").as_bytes())
        .is_empty());
    assert!(s
        .scan(
            "/app/a.env",
            b"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        )
        .is_empty());
}

#[test]
fn huge_lines_are_examined_around_hits_only() {
    let s = scanner();
    let token = format!("ghp_{}", an(36, 700));
    let text = format!("{} {token} {}\n", "z".repeat(3 << 20), "q".repeat(3 << 20));
    let found = s.scan("/app/bundle.js", text.as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 1);
}

#[test]
fn user_rules_and_allow_rules() {
    let config: SecretsConfig = SecretsConfig {
        rules: vec![RuleSpec {
            id: "acme-token".into(),
            title: "ACME internal token".into(),
            severity: Severity::Critical,
            keywords: vec!["acme_".into()],
            regex: r"\b(acme_[a-z0-9]{20})\b".into(),
            entropy: None,
            allow: vec!["acme_test".into()],
            path: None,
            multiline: false,
            generic: false,
        }],
        allow: vec![AllowSpec {
            id: "vendored".into(),
            regex: None,
            path: Some("^/opt/vendor/".into()),
            rules: vec![],
        }],
        disable: vec!["jwt".into()],
        ..Default::default()
    };
    let s = SecretScanner::with_config(&config).unwrap();
    let tok = format!("acme_{}", gen("abcdefghijklmnopqrstuvwyz0123456789", 20, 800));
    let found = s.scan("/app/x", tok.as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule_id, "acme-token");
    assert_eq!(found[0].severity, Severity::Critical);
    assert!(s.scan("/app/x", b"acme_testaaaaaaaaaaaaaaa").is_empty());
    let ghp = format!("ghp_{}", an(36, 801));
    assert!(s.scan("/opt/vendor/lib.js", ghp.as_bytes()).is_empty());
    let jwt = format!("eyJ{}.eyJ{}.{}", an(30, 802), an(30, 803), an(30, 804));
    assert!(s.scan("/app/x", jwt.as_bytes()).is_empty());
    assert_ne!(s.fingerprint(), scanner().fingerprint());
    let bad = SecretsConfig {
        rules: vec![RuleSpec {
            keywords: vec![],
            ..config.rules[0].clone()
        }],
        ..Default::default()
    };
    assert!(SecretScanner::with_config(&bad).is_err());
}
