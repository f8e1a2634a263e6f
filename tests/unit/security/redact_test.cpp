// Tests for server/security/redact: each secret format in the places secrets
// really sit (env files, JSON, YAML, shell, Python, HTTP), the look-alikes
// that must survive untouched, offsets, idempotence and hostile input.
// Every key here is generated with the right shape from a fixed seed; none is
// real.
#include "server/security/redact.hpp"

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "support/utf8.hpp"
#include "tests/support/catch.hpp"

using namespace cadre;
using namespace cadre::security;

namespace {

constexpr std::string_view kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kHex = "0123456789abcdef";
constexpr std::string_view kDigits = "0123456789";

// Fake credentials of the right shape. A fixed seed keeps every run (and every
// failure message) the same; `rng() % n` rather than a distribution, whose
// output the standard leaves to the library.
class Fake {
 public:
  explicit Fake(unsigned seed = 20240917) : rng_(seed) {}

  std::string from(std::string_view alphabet, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += alphabet[rng_() % alphabet.size()];
    return out;
  }
  std::string alnum(std::size_t n) { return from(kAlnum, n); }
  std::string b64url(std::size_t n) { return from(kBase64Url, n); }
  unsigned next() { return static_cast<unsigned>(rng_()); }

  std::string openai() { return "sk-" + alnum(48); }
  std::string openaiProject() { return "sk-proj-" + b64url(156); }
  std::string anthropic() { return "sk-ant-api03-" + b64url(93) + "AA"; }
  std::string awsAccessKey() { return "AKIA" + from(kUpperDigits, 16); }
  std::string awsSessionKey() { return "ASIA" + from(kUpperDigits, 16); }
  std::string awsSecretKey() { return from(std::string(kAlnum) + "+/", 40); }
  std::string github(std::string_view prefix = "ghp_") { return std::string(prefix) + alnum(36); }
  std::string githubPat() { return "github_pat_" + alnum(22) + "_" + alnum(59); }
  std::string slack(std::string_view prefix = "xoxb-") {
    return std::string(prefix) + from(kDigits, 12) + "-" + from(kDigits, 13) + "-" + alnum(24);
  }
  std::string google() { return "AIza" + b64url(35); }
  std::string stripe(std::string_view prefix = "sk_live_") { return std::string(prefix) + alnum(24); }
  std::string jwt();
  std::string pem(std::string_view label, std::size_t lines, std::size_t width = 64);
  std::string password() { return from(std::string(kAlnum) + "!#%^*-_+=~?", 18); }

 private:
  std::mt19937 rng_;
};

std::string base64(std::string_view in, bool url) {
  const std::string_view alphabet = url ? kBase64Url : kBase64;
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += alphabet[(v >> s) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (i + 1 < in.size()) out += alphabet[(v >> 6) & 63];
    if (!url) out.append(i + 1 < in.size() ? "=" : "==");
  }
  return out;
}

std::string Fake::jwt() {
  return base64(R"({"alg":"HS256","typ":"JWT"})", true) + "." +
         base64(R"({"sub":"user-)" + from(kDigits, 8) + R"(","scope":"repo","iat":1716239022})", true) + "." +
         b64url(43);
}

std::string Fake::pem(std::string_view label, std::size_t lines, std::size_t width) {
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (std::size_t i = 0; i < lines; ++i) out += from(kBase64, width) + "\n";
  out += from(kBase64, width / 2) + "==\n";
  return out + "-----END " + std::string(label) + "-----";
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string marker(std::string_view kind) { return "[REDACTED:" + std::string(kind) + "]"; }

// The properties every redaction must have, whatever the input.
void checkInvariants(std::string_view text, const Redacted& r) {
  std::size_t end = 0;
  std::string rebuilt;
  for (const auto& f : r.findings) {
    REQUIRE(f.offset >= end);  // sorted, never overlapping
    REQUIRE(f.length > 0);
    REQUIRE(f.offset + f.length <= text.size());
    rebuilt.append(text.substr(end, f.offset - end));
    rebuilt += marker(f.kind);
    end = f.offset + f.length;
  }
  rebuilt.append(text.substr(end));
  CHECK(rebuilt == r.text);  // bytes outside the findings are copied as they are
  CHECK(containsSecret(text) == !r.findings.empty());
  CHECK_FALSE(containsSecret(r.text));
  CHECK(redact(r.text) == r.text);  // idempotent
}

// `secret` occurs once in `text` and is reported exactly there, as `kind`.
void requireRedacted(const std::string& text, const std::string& secret, std::string_view kind) {
  INFO("text: " << text);
  const std::size_t at = text.find(secret);
  REQUIRE(at != std::string::npos);
  const Redacted r = redactSecrets(text);
  checkInvariants(text, r);
  const auto it = std::find_if(r.findings.begin(), r.findings.end(),
                               [&](const SecretFinding& f) { return f.offset == at; });
  REQUIRE(it != r.findings.end());
  CHECK(it->length == secret.size());
  CHECK(it->kind == kind);
  CHECK_FALSE(contains(r.text, secret));
  CHECK(contains(r.text, marker(kind)));
}

void requireUntouched(const std::string& text) {
  INFO("text: " << text);
  const Redacted r = redactSecrets(text);
  CHECK(r.findings.empty());
  CHECK(r.text == text);
  CHECK_FALSE(containsSecret(text));
}

}  // namespace

// ---- known formats --------------------------------------------------------

TEST_CASE("OpenAI and Anthropic keys are redacted in env files, shells and code", "[redact]") {
  Fake fake;
  const std::string legacy = fake.openai(), project = fake.openaiProject(), anthropic = fake.anthropic();
  requireRedacted("OPENAI_API_KEY=" + legacy + "\n", legacy, "openai");
  requireRedacted("export OPENAI_API_KEY=\"" + project + "\"\n", project, "openai");
  requireRedacted("client = OpenAI(api_key=\"" + project + "\")\n", project, "openai");
  requireRedacted("ANTHROPIC_API_KEY='" + anthropic + "'", anthropic, "anthropic");
  requireRedacted("curl -H 'x-api-key: " + anthropic + "' https://api.anthropic.com/v1/messages", anthropic,
                  "anthropic");
  // The same sk- shape is used by DeepSeek (32 hex) and OpenRouter (sk-or-v1-).
  const std::string deepseek = "sk-" + fake.from(kHex, 32), openrouter = "sk-or-v1-" + fake.from(kHex, 64);
  requireRedacted("key: " + deepseek, deepseek, "openai");
  requireRedacted("key: " + openrouter, openrouter, "openai");
}

TEST_CASE("AWS access key ids and secret access keys are redacted", "[redact]") {
  Fake fake;
  const std::string id = fake.awsAccessKey(), session = fake.awsSessionKey(), secret = fake.awsSecretKey();
  const std::string credentials = "[default]\naws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n";
  requireRedacted(credentials, id, "aws-access-key");
  requireRedacted(credentials, secret, "aws-secret-key");
  requireRedacted("export AWS_ACCESS_KEY_ID=" + session, session, "aws-access-key");
  const std::string sts = R"({"Credentials": {"AccessKeyId": ")" + session + R"(", "SecretAccessKey": ")" + secret +
                          R"(", "Expiration": "2024-05-01T00:00:00Z"}})";
  requireRedacted(sts, session, "aws-access-key");
  requireRedacted(sts, secret, "aws-secret-key");
  requireRedacted("AWS_SECRET_ACCESS_KEY: " + secret, secret, "aws-secret-key");
}

TEST_CASE("GitHub tokens of every prefix are redacted", "[redact]") {
  Fake fake;
  for (std::string_view prefix : {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}) {
    const std::string token = fake.github(prefix);
    requireRedacted("GITHUB_TOKEN=" + token, token, "github");
  }
  const std::string pat = fake.githubPat();
  requireRedacted("git remote add origin https://x-access-token:" + pat + "@github.com/org/repo.git", pat, "github");
  const std::string token = fake.github();
  requireRedacted("Authorization: token " + token, token, "github");
}

TEST_CASE("Slack, Google, Stripe, GitLab, Hugging Face, npm and PyPI tokens are redacted", "[redact]") {
  Fake fake;
  for (std::string_view prefix : {"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"}) {
    const std::string token = fake.slack(prefix);
    requireRedacted("slack:\n  bot_token: " + token + "\n", token, "slack");
  }
  const std::string google = fake.google();
  requireRedacted("https://maps.googleapis.com/maps/api/geocode/json?address=Paris&key=" + google, google,
                  "google-api-key");
  const std::string oauth = "ya29." + fake.b64url(120);
  requireRedacted("Authorization: Bearer " + oauth, oauth, "google-oauth");
  for (std::string_view prefix : {"sk_live_", "rk_live_", "sk_test_"}) {
    const std::string key = fake.stripe(prefix);
    requireRedacted("stripe.api_key = \"" + key + "\"", key, "stripe");
  }
  const std::string gitlab = "glpat-" + fake.b64url(20);
  requireRedacted("CI_TOKEN: " + gitlab, gitlab, "gitlab");
  const std::string hf = "hf_" + fake.alnum(34);
  requireRedacted("huggingface-cli login --token " + hf, hf, "huggingface");
  const std::string npm = "npm_" + fake.alnum(36);
  requireRedacted("//registry.npmjs.org/:_authToken=" + npm, npm, "npm");
  const std::string pypi = "pypi-AgEIcHlwaS5vcmc" + fake.b64url(120);
  requireRedacted("[pypi]\n  username = __token__\n  password = " + pypi + "\n", pypi, "pypi");
}

TEST_CASE("PEM private key blocks are redacted whole, in every variant and wrapping", "[redact]") {
  Fake fake;
  for (std::string_view label : {"RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
                                 "DSA PRIVATE KEY", "PGP PRIVATE KEY BLOCK"}) {
    const std::string block = fake.pem(label, 12);
    requireRedacted("# key\n" + block + "\nafter", block, "private-key");
  }
  const std::string openssh = fake.pem("OPENSSH PRIVATE KEY", 7, 70);
  requireRedacted(openssh + "\n", openssh, "private-key");

  // Legacy encrypted PEM carries RFC 1421 headers inside the block.
  const std::string legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC," +
                             fake.from("0123456789ABCDEF", 32) + "\n\n" + fake.from(kBase64, 64) + "\n" +
                             fake.from(kBase64, 40) + "\n-----END RSA PRIVATE KEY-----";
  requireRedacted(legacy, legacy, "private-key");

  // A service-account JSON keeps the block in one string with \n escapes.
  std::string escaped = "-----BEGIN PRIVATE KEY-----";
  for (int i = 0; i < 6; ++i) escaped += "\\n" + fake.from(kBase64, 64);
  escaped += "\\n-----END PRIVATE KEY-----";
  const std::string serviceAccount =
      R"({"type": "service_account", "private_key_id": ")" + fake.from(kHex, 40) + R"(", "private_key": ")" + escaped +
      R"(\n", "client_email": "bot@proj.iam.gserviceaccount.com"})";
  requireRedacted(serviceAccount, escaped, "private-key");

  // Indented in a YAML block scalar.
  std::string yamlBlock = "-----BEGIN EC PRIVATE KEY-----\n";
  for (int i = 0; i < 3; ++i) yamlBlock += "    " + fake.from(kBase64, 64) + "\n";
  yamlBlock += "    -----END EC PRIVATE KEY-----";
  requireRedacted("tls:\n  key: |\n    " + yamlBlock + "\n", yamlBlock, "private-key");

  // Cut off (a truncated log line): the key material that is there still goes.
  const std::string head = "-----BEGIN RSA PRIVATE KEY-----\n" + fake.from(kBase64, 64) + "\n" + fake.from(kBase64, 20);
  requireRedacted("log: " + head, head, "private-key");
}

TEST_CASE("JWTs are redacted wherever they appear", "[redact]") {
  Fake fake;
  const std::string jwt = fake.jwt();
  requireRedacted("Authorization: Bearer " + jwt, jwt, "jwt");
  requireRedacted(R"({"access_token":")" + jwt + R"(","token_type":"Bearer"})", jwt, "jwt");
  requireRedacted("session cookie was " + jwt + ", expired", jwt, "jwt");
  const std::string unsignedJwt = base64(R"({"alg":"none"})", true) + "." + base64(R"({"sub":"admin"})", true) + ".";
  requireRedacted("token=" + unsignedJwt, unsignedJwt, "jwt");
}

TEST_CASE("Passwords in URLs are redacted and the user name kept", "[redact]") {
  Fake fake;
  const std::string pw = fake.alnum(16);
  for (std::string url : {"postgres://app_user:" + pw + "@db.internal:5432/app",
                          "mongodb+srv://svc:" + pw + "@cluster0.mongodb.net/?retryWrites=true",
                          "redis://:" + pw + "@cache:6379/0", "https://deploy:" + pw + "@git.example.com/org/repo.git",
                          "amqp://guest:" + pw + "@rabbit/vhost"}) {
    requireRedacted("DATABASE_URL=" + url, pw, "url-password");
  }
  CHECK(redact("postgres://app_user:" + pw + "@db/app") == "postgres://app_user:[REDACTED:url-password]@db/app");
}

TEST_CASE("Authorization headers and bearer tokens are redacted", "[redact]") {
  Fake fake;
  const std::string opaque = fake.b64url(40);
  requireRedacted("GET /v1/models HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Bearer " + opaque + "\r\n\r\n",
                  opaque, "bearer");
  requireRedacted("curl -H \"Authorization: Bearer " + opaque + "\" https://api.example.com", opaque, "bearer");
  requireRedacted(R"(headers = {"Authorization": "Bearer )" + opaque + R"("})", opaque, "bearer");
  const std::string basic = base64("deploy:" + fake.alnum(14), false);
  requireRedacted("Authorization: Basic " + basic + "\r\n", basic, "basic-auth");
  const std::string apiKey = fake.alnum(32);
  requireRedacted("X-Api-Key: " + apiKey + "\r\n", apiKey, "secret");
}

// ---- values assigned to key-like names ------------------------------------

TEST_CASE("High-entropy values assigned to key-like names are redacted in every syntax", "[redact]") {
  Fake fake;
  const std::string v = fake.alnum(32);
  requireRedacted("MY_SERVICE_API_KEY=" + v + "\n", v, "secret");                   // .env
  requireRedacted("export CLIENT_SECRET=" + v, v, "secret");                         // shell
  requireRedacted("auth_token: " + v + "\n", v, "secret");                           // YAML
  requireRedacted("auth_token: \"" + v + "\"\n", v, "secret");                       // YAML, quoted
  requireRedacted(R"({"clientSecret": ")" + v + R"("})", v, "secret");               // JSON
  requireRedacted(R"({"apiKey":")" + v + R"("})", v, "secret");                      // minified JSON
  requireRedacted("SECRET_KEY = '" + v + "'\n", v, "secret");                        // Python
  requireRedacted("signing_key = b\"" + v + "\"\n", v, "secret");                    // Python bytes
  requireRedacted("api_key: str = \"" + v + "\"\n", v, "secret");                    // annotated
  requireRedacted("apiKey := \"" + v + "\"", v, "secret");                           // Go
  requireRedacted("'access_token' => '" + v + "',", v, "secret");                    // PHP
  requireRedacted("const authToken = `" + v + "`;", v, "secret");                    // JS template
  requireRedacted("[service]\nauth_key = \"" + v + "\"\n", v, "secret");             // TOML
  requireRedacted("<apiKey>" + v + "</apiKey>", v, "secret");                        // XML
  requireRedacted("deploy --auth-token " + v, v, "secret");                          // CLI flag
  requireRedacted("https://api.example.com/v2?api_key=" + v + "&q=1", v, "secret");  // query string
  requireRedacted("AccountName=acct;AccountKey=" + base64(v, false) + ";EndpointSuffix=core.windows.net",
                  base64(v, false), "secret");
  // JSON inside a log line, quotes escaped.
  requireRedacted(R"(--> {"params":"{\"api_key\": \")" + v + R"(\"}"})", v, "secret");
  const std::string hexKey = fake.from(kHex, 32), uuidKey = "5f0c2a9e-8d1b-4c7e-9a3f-" + fake.from(kHex, 12);
  requireRedacted("DATADOG_API_KEY=" + hexKey, hexKey, "secret");
  requireRedacted("HEROKU_API_KEY=" + uuidKey, uuidKey, "secret");
}

TEST_CASE("Passwords assigned to password names are redacted without an entropy test", "[redact]") {
  // People choose passwords; "hunter2hunter2" has little entropy and is still one.
  requireRedacted("DB_PASSWORD=hunter2hunter2\n", "hunter2hunter2", "password");
  requireRedacted("spring.datasource.password=Winter2024!\n", "Winter2024!", "password");
  requireRedacted("  password: \"correcthorse\"\n", "correcthorse", "password");
  requireRedacted("mysql -u root --password=S3cure#Pass", "S3cure#Pass", "password");
  requireRedacted("Server=db;User Id=app;Password=Tr0ub4dor&3x;", "Tr0ub4dor&3x", "password");
  requireRedacted("<password>m0ngoP@ssw0rd</password>", "m0ngoP@ssw0rd", "password");
  requireRedacted("conn = connect(user='app', passwd='p@55w0rd!')", "p@55w0rd!", "password");
}

TEST_CASE("Several secrets in one text are all found, with exact offsets", "[redact]") {
  Fake fake;
  const std::string openai = fake.openai(), github = fake.github(), aws = fake.awsAccessKey(), jwt = fake.jwt(),
                    pw = fake.alnum(12), secret = fake.alnum(40);
  const std::string text = "# .env for staging\nOPENAI_API_KEY=" + openai + "\nGITHUB_TOKEN=" + github +
                           "\nAWS_ACCESS_KEY_ID=" + aws + "\nDATABASE_URL=postgres://app:" + pw +
                           "@db:5432/app\nSESSION_JWT=" + jwt + "\nWEBHOOK_SECRET=" + secret + "\nDEBUG=true\n";
  const Redacted r = redactSecrets(text);
  checkInvariants(text, r);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {openai, "openai"}, {github, "github"}, {aws, "aws-access-key"}, {pw, "url-password"}, {jwt, "jwt"},
      {secret, "secret"}};
  REQUIRE(r.findings.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(r.findings[i].offset == text.find(expected[i].first));
    CHECK(r.findings[i].length == expected[i].first.size());
    CHECK(r.findings[i].kind == expected[i].second);
  }
  CHECK(contains(r.text, "DEBUG=true\n"));
  CHECK(contains(r.text, "DATABASE_URL=postgres://app:[REDACTED:url-password]@db:5432/app\n"));
}

TEST_CASE("Detections that overlap become one span named by the most specific detector", "[redact]") {
  Fake fake;
  const std::string token = fake.github();
  // A GitHub token that is also a URL password and the value of GH_TOKEN.
  const std::string text = "GH_REMOTE=https://bot:" + token + "@github.com/o/r.git";
  const Redacted r = redactSecrets(text);
  checkInvariants(text, r);
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].kind == "github");
  CHECK(r.text == "GH_REMOTE=https://bot:[REDACTED:github]@github.com/o/r.git");
}

// ---- what must stay ---------------------------------------------------------

TEST_CASE("Hashes, ids and lockfile integrity strings are left alone", "[redact]") {
  Fake fake;
  requireUntouched("commit " + fake.from(kHex, 40) + "\nMerge: 9fceb02 d0ae598\nAuthor: Jane <jane@example.com>\n");
  requireUntouched("git checkout " + fake.from(kHex, 40) + " && git log -1 " + fake.from(kHex, 7));
  requireUntouched("request_id=123e4567-e89b-12d3-a456-426614174000 trace=" + fake.from(kHex, 32));
  requireUntouched("[[package]]\nname = \"serde\"\nversion = \"1.0.197\"\nsource = "
                   "\"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"" +
                   fake.from(kHex, 64) + "\"\n");
  requireUntouched(R"({file = "requests-2.31.0-py3-none-any.whl", hash = "sha256:)" + fake.from(kHex, 64) + R"("})");
  requireUntouched(R"(    "node_modules/typescript": {
      "version": "5.9.3",
      "resolved": "https://registry.npmjs.org/typescript/-/typescript-5.9.3.tgz",
      "integrity": "sha512-)" + fake.from(kBase64, 86) +
                   R"(==",
      "dev": true
    })");
  requireUntouched("typescript@^5.9.3:\n  version \"5.9.3\"\n  integrity sha512-" + fake.from(kBase64, 86) + "==\n");
  requireUntouched("golang.org/x/text v0.14.0 h1:" + fake.from(kBase64, 43) + "=\n");
  requireUntouched("digest: sha256:" + fake.from(kHex, 64) + "\nimage: ghcr.io/org/app@sha256:" + fake.from(kHex, 64));
}

TEST_CASE("Look-alike identifiers, words and paths are left alone", "[redact]") {
  requireUntouched("static void free_skb(struct sk_buff *skb); int sk_buff_len;");
  requireUntouched("risk-level: high\ntask-1234: done\ndesk-lamp, ask-questions-first, whisk-proj-notes");
  requireUntouched("pip install scikit-learn  # a.k.a. sk-learn-compat-layer-for-python-tools");
  requireUntouched("antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis "
                   "internationalization incomprehensibilities");
  requireUntouched("/home/user/.ssh/id_rsa ~/.aws/credentials C:\\Users\\me\\AppData\\Roaming\\gcloud\\credentials.db "
                   "src/auth/token_store.cpp");
  requireUntouched("AKIAbc is not a key, nor is MYAKIAIOSFODNN7EXAMPLEX or xoxo or eyJustKidding");
  requireUntouched("The token expires after 3600 seconds; rotate the API key every 90 days.");
}

TEST_CASE("Obvious non-secrets assigned to key-like names are left alone", "[redact]") {
  requireUntouched("password = None\ntoken = get_token()\napi_key = os.environ[\"OPENAI_API_KEY\"]\n");
  requireUntouched("API_KEY=${OPENAI_API_KEY}\nexport TOKEN=$GITHUB_TOKEN\nsecret: {{ vault_secret }}\n");
  requireUntouched("api_key: your-api-key-here\nSECRET_KEY = \"changeme\"\npassword: \"********\"\n");
  requireUntouched(R"({"apiKey": "<YOUR_API_KEY>", "token": "xxxxxxxxxxxxxxxxxxxxxxxx"})");
  requireUntouched("token = SyntaxKind.EndOfFileToken\nsecret = config.client_secret\nkey = self._cache_key\n");
  requireUntouched("auth_url = \"https://oauth2.googleapis.com/token\"\nkey_file = \"certs/server.key\"\n");
  requireUntouched("public_key = \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0wKjKQ9aqv8J3a2o9c7c6n0l0h2kqSx7iYw5rQd8bZ "
                   "jane@laptop\"\npublishable_key = \"pk_live_51HxYzAbCdEfGhIjKlMnOpQr\"\n");
  requireUntouched("author = \"Jane Doe\"\nkeywords = [\"auth\", \"token\"]\nmax_tokens = 4096\n");
  requireUntouched("tokenizer = \"bert-base-uncased-v2\"\nmonkey = \"banana-split-2024\"\n");
  requireUntouched(R"({"key": "ctrl+shift+p", "command": "workbench.action.showCommands"})");
  requireUntouched("password_field = \"password_confirmation\"\n"
                   "PASSWORD_HASHERS = [\"django.contrib.auth.hashers.PBKDF2PasswordHasher\"]\n");
  requireUntouched("SESSION_TOKEN_PREFIX = \"FQoGZXIvYXdzEBYaD\"\nAccessKeyId = \"" + Fake().from(kHex, 20) + "\"\n");
  requireUntouched(R"("KeyArn": "arn:aws:kms:us-east-2:111122223333:key/0d990263-018e-4e65-a703-eff731de951e")");
  requireUntouched("headers = {\"Authorization\": f\"Bearer {token}\"}\nAuthorization: Bearer <token>\n"
                   "Authorization: Bearer $TOKEN\n");
  requireUntouched("token_pattern = r\"[^\\s]+\"\nkey = f\"user:{user_id}:profile\"\n");
  requireUntouched("export PWD=/home/user/project\nOLDPWD=/tmp\n");
  requireUntouched("kUrlPassword = \"url-password\";\nPASS8 = 0x08000000;\n");
}

TEST_CASE("PEM look-alikes are left alone: mentions, certificates and public keys", "[redact]") {
  Fake fake;
  requireUntouched("if line == \"-----BEGIN RSA PRIVATE KEY-----\":\n    in_key = True\n");
  requireUntouched("Paste the key between -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY----- markers.");
  requireUntouched(fake.pem("CERTIFICATE", 10));
  requireUntouched(fake.pem("PUBLIC KEY", 6));
  requireUntouched("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----");
}

TEST_CASE("URLs without real passwords are left alone", "[redact]") {
  requireUntouched("postgres://user:password@localhost/db redis://localhost:6379 ssh://git@github.com:22/org/repo.git");
  requireUntouched("https://user:${DB_PASSWORD}@db.example.com http://[::1]:8080/path https://***:***@proxy.com");
  requireUntouched("git@github.com:org/repo.git https://example.com/a:b@c");
}

TEST_CASE("A prefix inside a longer identifier is not a key", "[redact]") {
  Fake fake;
  const std::string body = fake.alnum(48);
  requireUntouched("mask-" + body);       // "sk-" preceded by a letter
  requireUntouched("task_" + fake.alnum(30));
  requireUntouched("myghp_" + fake.alnum(36));
  requireUntouched("AKIA" + fake.from(kUpperDigits, 16) + "X");  // 21 characters, not 20
  requireUntouched("xAIza" + fake.b64url(35));
  requireUntouched("AIza" + fake.b64url(40));  // too long for a Google key
}

TEST_CASE("Keys next to multi-byte text are redacted without cutting a character", "[redact]") {
  Fake fake;
  const std::string key = fake.openaiProject();
  const std::string text = "密钥是" + key + "，请勿泄露。 clé: «" + fake.github() + "» 🔑";
  const Redacted r = redactSecrets(text);
  checkInvariants(text, r);
  CHECK(r.findings.size() == 2);
  CHECK(utf8::isValid(r.text));
  CHECK(r.text == "密钥是[REDACTED:openai]，请勿泄露。 clé: «[REDACTED:github]» 🔑");
}

TEST_CASE("Invalid UTF-8 around secrets neither crashes nor hides them", "[redact]") {
  Fake fake;
  const std::string key = fake.github();
  const std::string text =
      std::string("\xFF\xFE garbage \xC3") + " " + key + " \xE2\x82 \x80\x80 tail \xF4\x90\x80\x80";
  const Redacted r = redactSecrets(text);
  checkInvariants(text, r);
  REQUIRE(r.findings.size() == 1);
  CHECK(r.text == std::string("\xFF\xFE garbage \xC3 [REDACTED:github] \xE2\x82 \x80\x80 tail \xF4\x90\x80\x80"));
  CHECK(r.findings[0].offset == text.find(key));
}

TEST_CASE("Empty and tiny inputs", "[redact]") {
  requireUntouched("");
  requireUntouched("a");
  requireUntouched("=");
  requireUntouched("key=");
  requireUntouched("password:");
  requireUntouched(std::string(1, '\0'));
  requireUntouched("-----BEGIN ");
  requireUntouched("https://");
  requireUntouched("eyJ");
}

TEST_CASE("Redaction is idempotent on a corpus of every format", "[redact]") {
  Fake fake;
  std::string corpus;
  corpus += "OPENAI_API_KEY=" + fake.openai() + "\nANTHROPIC=" + fake.anthropic() + "\n";
  corpus += "aws_access_key_id = " + fake.awsAccessKey() + "\naws_secret_access_key = " + fake.awsSecretKey() + "\n";
  corpus += "token: " + fake.github() + " " + fake.githubPat() + " " + fake.slack() + " " + fake.google() + "\n";
  corpus += "stripe: " + fake.stripe() + "\n" + fake.pem("RSA PRIVATE KEY", 5) + "\n";
  corpus += "Authorization: Bearer " + fake.jwt() + "\nAuthorization: Basic " + base64("u:p4ssw0rd!", false) + "\n";
  corpus += "url: https://u:" + fake.alnum(12) + "@h/x\nDB_PASSWORD=Kx9#mQ2!vL7p\n";
  corpus += "client_secret = \"" + fake.alnum(30) + "\"\n<password>p@55-w0rd=Z</password>\n";
  const Redacted once = redactSecrets(corpus);
  checkInvariants(corpus, once);
  CHECK(once.findings.size() >= 16);
  const Redacted twice = redactSecrets(once.text);
  CHECK(twice.findings.empty());
  CHECK(twice.text == once.text);
}

// Random texts stitched from secrets, names, separators, quotes and broken
// bytes: whatever the mix, the invariants hold (sorted findings, bytes outside
// them untouched, nothing detectable left, idempotent).
TEST_CASE("Random mixtures of secrets and syntax keep every invariant", "[redact]") {
  Fake fake(7);
  const std::vector<std::string> pieces = {
      fake.openai(), fake.github(), fake.awsAccessKey(), fake.jwt(), fake.slack(), fake.google(), fake.stripe(),
      fake.pem("PRIVATE KEY", 3), fake.alnum(24), fake.from(kHex, 40), fake.password(), "password", "api_key",
      "AUTH_TOKEN", "secret", "Bearer", "Authorization", "https://", "u:", "@host", "=", ": ", " = ", "\"", "'", "`",
      "\\\"", "\\n", "\n", " ", "\t", ",", ";", "&", "(", ")", "[", "]", "{", "}", "<", ">", "</password>", ".", "-",
      "_", "$", "${X}", "[REDACTED:", "eyJ", "sk-", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
      "\xFF", "\xC3", "\xE2\x82", "é", "漢", std::string(1, '\0')};
  for (int round = 0; round < 400; ++round) {
    std::string text;
    const unsigned count = 1 + fake.next() % 40;
    for (unsigned i = 0; i < count; ++i) text += pieces[fake.next() % pieces.size()];
    INFO("round " << round << ": " << text);
    checkInvariants(text, redactSecrets(text));
  }
}

// ---- size and hostile shapes ---------------------------------------------------

TEST_CASE("A 10 MB input is scanned completely and correctly", "[redact]") {
  Fake fake;
  const std::string line =
      "    result = compute_checksum(path, algorithm=\"sha256\")  # sk_buff risk-level task-1234\n";
  std::string text;
  std::vector<std::string> keys;
  text.reserve(10u << 20);
  while (text.size() < (10u << 20)) {
    for (int i = 0; i < 1200; ++i) text += line;
    keys.push_back(fake.github());
    text += "GITHUB_TOKEN=" + keys.back() + "\n";
  }
  const Redacted r = redactSecrets(text);
  REQUIRE(r.findings.size() == keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    CHECK(r.findings[i].offset == text.find(keys[i]));
    CHECK(r.findings[i].kind == "github");
  }
  CHECK(r.text.size() == text.size() - keys.size() * (40 - marker("github").size()));
  CHECK(containsSecret(text));
  CHECK_FALSE(containsSecret(r.text));
}

// Inputs shaped to make a naive scanner rescan: the pass must still finish
// (linear by construction; speed itself is measured in bench/).
TEST_CASE("Hostile repetitions finish and stay correct", "[redact]") {
  const std::size_t size = 4u << 20;
  auto repeat = [&](std::string_view unit) {
    std::string s;
    s.reserve(size + unit.size());
    while (s.size() < size) s += unit;
    return s;
  };
  for (std::string_view unit :
       {"key=", "password: \"", "a://", "x://u:p", "\"", "\\\"", "api_key = '", "-----BEGIN PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY----- a ", "eyJabcdefghij.", "Bearer ", "<password>", "--token ", "sk-", "AKIA",
        "\xFF", "ab:cd@", "\\n"}) {
    const std::string text = repeat(unit);
    INFO("unit: " << unit);
    const Redacted r = redactSecrets(text);
    CHECK(redact(r.text) == r.text);
    CHECK(containsSecret(text) == !r.findings.empty());
  }
}
