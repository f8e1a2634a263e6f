// Secret redaction; see redact.hpp and docs/security-redaction.md (the
// detectors, their thresholds and why).
//
// Shape of the scanner: the text is cut into word runs ([A-Za-z0-9_-]+, the
// alphabet of nearly every token format) and each run is looked at once:
//  - its first bytes against the known prefixes (sk-, AKIA, ghp_, eyJ, -----BEGIN …);
//  - what follows it: "://" (credentials in a URL), "Bearer <token>", or a
//    separator (=, :, :=, =>) that makes the run a name whose value is judged.
// Every look-ahead is either bounded or covered by a memo ("nothing to find
// before X"), so a pathological input cannot make the pass quadratic.
#include "server/security/redact.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

namespace cadre::security {
namespace {

// ---------------------------------------------------------------------------
// Byte classes. A table rather than <cctype>: locale-free and branch-cheap on
// the hot loop, and bytes >= 0x80 simply belong to no class (invalid UTF-8 is
// just "not a word byte").
enum : std::uint8_t {
  kLower = 1 << 0,
  kUpper = 1 << 1,
  kDigit = 1 << 2,
  kUnderscore = 1 << 3,
  kDash = 1 << 4,
  kBase64Extra = 1 << 5,  // + / =
  kBlank = 1 << 6,        // space, tab
  kHexLetter = 1 << 7,    // a-f A-F
};
constexpr std::uint8_t kAlpha = kLower | kUpper;
constexpr std::uint8_t kAlnum = kAlpha | kDigit;
constexpr std::uint8_t kWord = kAlnum | kUnderscore | kDash;

constexpr std::array<std::uint8_t, 256> kClasses = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kLower;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kUpper;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kDigit;
  for (int c = 'a'; c <= 'f'; ++c) t[c] |= kHexLetter;
  for (int c = 'A'; c <= 'F'; ++c) t[c] |= kHexLetter;
  t['_'] |= kUnderscore;
  t['-'] |= kDash;
  t['+'] |= kBase64Extra;
  t['/'] |= kBase64Extra;
  t['='] |= kBase64Extra;
  t[' '] |= kBlank;
  t['\t'] |= kBlank;
  return t;
}();

inline bool is(char c, std::uint8_t mask) { return (kClasses[static_cast<unsigned char>(c)] & mask) != 0; }
inline char lower(char c) { return is(c, kUpper) ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool printableAscii(char c) { return c > ' ' && c < 0x7f; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && lower(haystack[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// ---------------------------------------------------------------------------
// Kinds, most specific first. A lower rank wins when detections overlap.
constexpr std::string_view kPrivateKey = "private-key";
constexpr std::string_view kOpenAi = "openai";
constexpr std::string_view kAnthropic = "anthropic";
constexpr std::string_view kAwsAccessKey = "aws-access-key";
constexpr std::string_view kAwsSecretKey = "aws-secret-key";
constexpr std::string_view kGitHub = "github";
constexpr std::string_view kGitLab = "gitlab";
constexpr std::string_view kSlack = "slack";
constexpr std::string_view kGoogleApiKey = "google-api-key";
constexpr std::string_view kGoogleOAuth = "google-oauth";
constexpr std::string_view kStripe = "stripe";
constexpr std::string_view kHuggingFace = "huggingface";
constexpr std::string_view kNpm = "npm";
constexpr std::string_view kPypi = "pypi";
constexpr std::string_view kJwt = "jwt";
constexpr std::string_view kUrlPassword = "url-password";
constexpr std::string_view kBearer = "bearer";
constexpr std::string_view kBasicAuth = "basic-auth";
constexpr std::string_view kPassword = "password";
constexpr std::string_view kSecret = "secret";

constexpr int kRankBlock = 0;     // a whole PEM block
constexpr int kRankFormat = 1;    // a prefix or structure that only secrets have
constexpr int kRankContext = 2;   // a value made a secret by where it sits (URL userinfo, Authorization)
constexpr int kRankAssigned = 3;  // a value made a secret by the name it is assigned to

constexpr std::string_view kMarker = "[REDACTED:";

// Limits, each a bound on a look-ahead so the pass stays linear.
// A URL authority longer than this is not one a person or a tool wrote.
constexpr std::size_t kMaxAuthority = 2048;
// An RSA-8192 key in PEM is ~6.5 KB; 64 KB leaves room for chains and escapes.
constexpr std::size_t kMaxPemBody = 64 * 1024;
// PEM bodies are lines of 64 (OpenSSH: 70) base64 characters; prose between
// BEGIN/END markers in documentation never has a run this long.
constexpr std::size_t kMinPemLine = 32;
// Names longer than this are not names people give credentials; only the tail
// is classified (keywords sit at the end: DATABASE_PASSWORD).
constexpr std::size_t kMaxName = 64;

// ---------------------------------------------------------------------------
// Is a value random? Two measurements, both justified by simulation over
// uniformly random strings (docs/security-redaction.md has the table):
//  - Shannon entropy of the value's own byte distribution, against a
//    length-aware threshold: a string of n distinct bytes has at most log2(n)
//    bits per byte, so a flat threshold would reject every short secret.
//    T(n) = min(3.5, log2(n) - 0.8) for base62/64 values, min(3.0, log2(n) -
//    1.3) for hex ones: ~98-99% of random strings of every length >= 12 pass,
//    while repetitive values ("aaaa1111aaaa", "123412341234") do not.
//  - identifier shape: entropy alone cannot tell "SyntaxKind.EndOfFileToken"
//    (4.1 bits) from a secret, but identifiers switch character class rarely
//    (only at word and number boundaries) while random strings switch about
//    every other byte. An identifier-shaped value with at most one class
//    switch per 8 bytes is treated as code.

double shannonEntropy(std::string_view v) {
  std::array<std::uint32_t, 256> counts{};
  for (char c : v) ++counts[static_cast<unsigned char>(c)];
  const double n = static_cast<double>(v.size());
  double h = 0;
  for (std::uint32_t c : counts) {
    if (c == 0) continue;
    const double p = c / n;
    h -= p * std::log2(p);
  }
  return h;
}

double entropyThreshold(std::size_t n, bool hex) {
  const double bits = std::log2(static_cast<double>(n));
  return hex ? std::min(3.0, bits - 1.3) : std::min(3.5, bits - 0.8);
}

// A name, or a dotted/dashed path of names: what code and config keys look like.
bool identifierShaped(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (!(is(c, kWord) || c == '.' || c == ':' || c == '$')) return false;
  }
  return true;
}

// Words joined by the separators of names, key chords and paths: the values
// the class-switch test below applies to ("ctrl+shift+p", "win32api.RegOpenKeyEx").
bool wordShaped(std::string_view v) {
  return std::all_of(v.begin(), v.end(),
                     [](char c) { return is(c, kWord) || c == '.' || c == ':' || c == '$' || c == '+' || c == '/'; });
}

// Adjacent alphanumerics of different classes, except where words join: a
// capital starting a lowercase word ("Token", "getToken") is not a switch.
std::size_t classSwitches(std::string_view v) {
  auto cls = [](char c) -> int { return is(c, kLower) ? 1 : is(c, kUpper) ? 2 : is(c, kDigit) ? 3 : 0; };
  std::size_t switches = 0;
  for (std::size_t i = 0; i + 1 < v.size(); ++i) {
    const int a = cls(v[i]), b = cls(v[i + 1]);
    if (a == 0 || b == 0 || a == b) continue;
    if (a == 2 && b == 1) continue;
    if (b == 2 && i + 3 < v.size() && cls(v[i + 2]) == 1 && cls(v[i + 3]) == 1) continue;
    ++switches;
  }
  return switches;
}

bool looksRandom(std::string_view v) {
  if (v.size() < 8) return false;
  bool digit = false, hexLetter = false, lowerHex = false, upperHex = false, hexOnly = true;
  for (char c : v) {
    if (!printableAscii(c)) return false;
    if (is(c, kDigit)) {
      digit = true;
    } else if (is(c, kHexLetter)) {
      hexLetter = true;
      (is(c, kLower) ? lowerHex : upperHex) = true;
    } else if (c != '-') {
      hexOnly = false;
    }
  }
  // Hex (digests, UUID-like keys): one case, both digits and letters.
  if (hexOnly && digit && hexLetter && !(lowerHex && upperHex)) {
    return shannonEntropy(v) >= entropyThreshold(v.size(), true);
  }
  if (wordShaped(v) && classSwitches(v) * 8 <= v.size()) return false;
  return shannonEntropy(v) >= entropyThreshold(v.size(), false);
}

// A body of a prefixed token that is not a placeholder ("ghp_xxxx…",
// "AKIAXXXXXXXXXXXXXXXX"): random bodies of these lengths use many symbols.
bool diverse(std::string_view body) {
  std::array<bool, 128> seen{};
  std::size_t distinct = 0;
  for (char c : body) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 128 && !seen[u]) {
      seen[u] = true;
      ++distinct;
    }
  }
  return distinct >= std::min<std::size_t>(10, body.size() / 3);
}

// Values that stand for a secret rather than being one: template and shell
// references, documentation placeholders, masks.
bool isReference(std::string_view v, bool quoted) {
  if (v.empty()) return true;
  // $VAR, ${VAR}, $(cmd), %VAR%
  if (v[0] == '$' && v.size() > 1 && (is(v[1], kAlpha | kUnderscore) || v[1] == '{' || v[1] == '(')) return true;
  if (v[0] == '%' && v.size() > 1 && v.back() == '%') return true;
  // Unquoted, a leading sigil is syntax: YAML anchors, aliases and tags
  // (&a, *a, !vault), Ruby symbols, C++ scopes, shell and template markers.
  // Quoted, it is just the first character of a password.
  if (!quoted && v[0] != '\0' && std::strchr("$%{<@*&!#:", v[0]) != nullptr) return true;
  if (v.substr(0, 4) == "arn:") return true;  // AWS resource names
  for (std::string_view m : {"${", "{{", "}}", "%(", "#{", "{%", "%}"}) {
    if (contains(v, m)) return true;
  }
  // Format strings ("{}", "{name}"); no token alphabet has braces.
  const std::size_t open = v.find('{');
  return open != std::string_view::npos && v.find('}', open) != std::string_view::npos;
}

// Regular expressions and code assigned to key-like names (token_pattern =
// r"[^\s]+"): sequences no credential alphabet produces.
bool isPatternOrCode(std::string_view v, bool quoted) {
  for (std::string_view m : {"(?", "\\s", "\\d", "\\w", "\\b", "[^", "]+", "]*", "]{", ")+", ")*", "\\."}) {
    if (contains(v, m)) return true;
  }
  // Unquoted values only: a quoted random password may hold anything.
  if (quoted) return false;
  // '_' is base64url, '+' standard base64: a value with both is an expression.
  if (contains(v, "_") && contains(v, "+")) return true;
  // '=' only pads the end of base64; inside a value it assigns (k=v,k2=v2).
  const std::size_t eq = v.find('=');
  return eq != std::string_view::npos && v.find_first_not_of('=', eq) != std::string_view::npos;
}

bool isPlaceholder(std::string_view v) {
  for (std::string_view m : {"example", "placeholder", "changeme", "change_me", "change-me", "dummy", "your", "_here",
                             "-here", "xxxx", "***", "...", "<", ">", "redacted", "replace", "insert", "sample",
                             "fake", "todo", "fixme"}) {
    if (icontains(v, m)) return true;
  }
  return false;
}

// Words people put in a password field of a sample, a schema or a form.
bool isPlaceholderPassword(std::string_view v) {
  for (std::string_view w : {"password", "passwd", "secret", "string", "none", "null", "empty", "required", "optional",
                             "hidden", "masked", "undefined"}) {
    if (iequals(v, w)) return true;
  }
  return isPlaceholder(v);
}

bool isPathOrUrl(std::string_view v) {
  if (v.empty()) return false;
  for (std::string_view prefix : {"./", "../", "~/", "~\\"}) {
    if (v.substr(0, prefix.size()) == prefix) return true;
  }
  // An absolute path has a second segment or an extension; base64 may start
  // with '/' too, but then it usually holds '+' or '='.
  if ((v[0] == '/' || v[0] == '\\') && v.find_first_of("/\\.", 1) != std::string_view::npos &&
      v.find_first_of("+=") == std::string_view::npos) {
    return true;
  }
  if (v.size() >= 3 && is(v[0], kAlpha) && v[1] == ':' && (v[2] == '\\' || v[2] == '/')) return true;
  if (contains(v, "://")) return true;
  // Slash-separated words without digits: MIME types, cipher names
  // (AES/GCM/NoPadding), relative directories.
  if (contains(v, "/") && std::all_of(v.begin(), v.end(), [](char c) {
        return is(c, kAlpha | kUnderscore | kDash) || c == '/' || c == '.';
      })) {
    return true;
  }
  // A file name or a host name: ends in a short extension after a dot. No
  // token alphabet has dots except JWTs and ya29 tokens, whose parts are long.
  const std::size_t dot = v.rfind('.');
  if (dot == std::string_view::npos || contains(v, "+") || contains(v, "=")) return false;
  const std::string_view ext = v.substr(dot + 1);
  return !ext.empty() && ext.size() <= 5 && std::all_of(ext.begin(), ext.end(), [](char c) { return is(c, kAlnum); }) &&
         std::any_of(ext.begin(), ext.end(), [](char c) { return is(c, kAlpha); });
}

// Numbers, dates, versions, ports, hex literals.
bool isNumberLike(std::string_view v) {
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    return std::all_of(v.begin() + 2, v.end(), [](char c) { return is(c, kDigit | kHexLetter) || c == '_'; });
  }
  return std::all_of(v.begin(), v.end(),
                     [](char c) { return is(c, kDigit) || (c != '\0' && std::strchr("-_.:/+", c) != nullptr); });
}

// ---------------------------------------------------------------------------
// Names. Only the name a value is assigned to makes an unknown-format value a
// secret, so the vocabulary is matched on word boundaries (camelCase humps,
// _ - . separators): "apiKey" and "DB_PASSWORD" are key-like, "monkey",
// "keyboard", "author" and "tokenizer" are not.

enum class NameKind { None, Password, Secret, Authorization };

struct NameInfo {
  NameKind kind = NameKind::None;
  bool awsSecret = false;  // aws_secret_access_key, SecretAccessKey, …
};

class Name {
 public:
  explicit Name(std::string_view original) : original_(original) {
    if (original_.size() > kMaxName) original_ = original_.substr(original_.size() - kMaxName);
    while (!original_.empty() && original_[0] == '-') original_.remove_prefix(1);
    for (std::size_t i = 0; i < original_.size(); ++i) buffer_[i] = lower(original_[i]);
    lower_ = std::string_view(buffer_.data(), original_.size());
  }

  std::string_view lowered() const { return lower_; }
  bool has(std::string_view word) const { return contains(lower_, word); }

  // `word` as a whole word of the name.
  bool hasWord(std::string_view word) const {
    for (std::size_t p = lower_.find(word); p != std::string_view::npos; p = lower_.find(word, p + 1)) {
      if (wordStartsAt(p) && wordEndsAt(p + word.size())) return true;
    }
    return false;
  }

  // `word` (or a compound like "apikey") ending a word of the name.
  bool hasWordEnding(std::string_view word) const {
    for (std::size_t p = lower_.find(word); p != std::string_view::npos; p = lower_.find(word, p + 1)) {
      if (wordEndsAt(p + word.size())) return true;
    }
    return false;
  }

  // The name's last word ("KeyArn" → "arn", "SESSION_TOKEN_PREFIX" → "prefix").
  std::string_view lastWord() const {
    std::size_t end = lower_.size();
    while (end > 0 && !is(original_[end - 1], kAlpha)) --end;
    std::size_t begin = end;
    while (begin > 0 && is(original_[begin - 1], kAlpha)) {
      --begin;
      if (wordStartsAt(begin)) break;
    }
    return lower_.substr(begin, end - begin);
  }

  bool wordStartsAt(std::size_t p) const {
    if (p == 0) return true;
    const char prev = original_[p - 1], cur = original_[p];
    return !is(prev, kAlpha) || (is(prev, kLower) && is(cur, kUpper));
  }

  bool wordEndsAt(std::size_t q) const {
    if (q >= original_.size()) return true;
    const char last = original_[q - 1], next = original_[q];
    return !is(next, kAlpha) || (is(last, kLower) && is(next, kUpper));
  }

 private:
  std::string_view original_;
  std::array<char, kMaxName> buffer_{};
  std::string_view lower_;
};

// Cheap first look, one pass without copying: does the name hold any of the
// vocabulary's stems at all? Nearly every name in code does not.
bool mayBeKeyLike(std::string_view name) {
  for (std::size_t i = 0; i + 2 < name.size(); ++i) {
    const char stem[3] = {lower(name[i]), lower(name[i + 1]), lower(name[i + 2])};
    for (const char* known : {"key", "pas", "pwd", "sec", "tok", "cre", "aut"}) {
      if (std::memcmp(stem, known, 3) == 0) return true;
    }
  }
  return false;
}

NameInfo classifyName(std::string_view raw) {
  if (!mayBeKeyLike(raw)) return {};
  const Name name(raw);
  const std::string_view low = name.lowered();
  if (low.empty()) return {};
  // Public halves of key pairs and publishable keys are meant to be shared.
  if (name.has("public") || name.has("publishable") || name.has("pubkey")) return {};
  if (endsWith(low, "authorization")) return {NameKind::Authorization, false};

  // A name that *is* a password (DB_PASSWORD, passwd, mysql_pass), not one
  // about a password (password_field, PASSWORD_HASHERS, password_min_length).
  std::string_view tail = low;
  while (!tail.empty() && (is(tail.back(), kDigit) || tail.back() == '_' || tail.back() == '-')) tail.remove_suffix(1);
  const bool shellPwd = low == "pwd" || low == "oldpwd";  // the working directory, not a password
  for (std::string_view w : {"password", "passwd", "passphrase", "passwords"}) {
    if (endsWith(tail, w)) return {NameKind::Password, false};
  }
  if (!shellPwd && (endsWith(tail, "pwd") || endsWith(tail, "pass"))) {
    const std::size_t p = tail.size() - (endsWith(tail, "pwd") ? 3 : 4);
    if (name.wordStartsAt(p)) return {NameKind::Password, false};
  }

  bool secret = name.has("password") || name.has("passwd") || name.has("passphrase") ||
                (name.has("secret") && !name.has("secretar")) || (name.has("token") && !name.has("tokeniz")) ||
                name.has("credential") || name.hasWord("creds") || name.hasWord("auth") || name.hasWord("key") ||
                (!shellPwd && name.hasWord("pwd"));
  if (!secret) {
    for (std::string_view compound : {"apikey", "accesskey", "secretkey", "privatekey", "privkey", "signingkey",
                                      "masterkey", "clientkey", "encryptionkey", "licensekey", "authkey", "sshkey",
                                      "appkey", "sessionkey", "subscriptionkey", "accountkey"}) {
      if (name.hasWordEnding(compound)) {
        secret = true;
        break;
      }
    }
  }
  if (!secret) return {};
  // The last word says what the value is: KeyArn, AccessKeyId, token_url,
  // SESSION_TOKEN_PREFIX, password_hash name things *about* a secret.
  const std::string_view last = name.lastWord();
  for (std::string_view w :
       {"id", "ids", "arn", "arns", "name", "names", "type", "types", "kind", "url", "uri", "urls", "endpoint", "path",
        "paths", "file", "files", "filename", "dir", "folder", "store", "ring", "length", "len", "size", "bits",
        "count",
        "version", "prefix", "suffix", "format", "alg", "algo", "algorithm", "header", "field", "fields", "param",
        "params", "env", "var", "ref", "hint", "label", "policy", "usage", "spec", "state", "status", "mode", "level",
        "expiry", "expires", "expiration", "ttl", "timeout", "lifetime", "location", "region", "provider", "source",
        "pair", "pattern", "regex", "index", "idx", "map", "list", "set", "table", "column", "class", "manager",
        "handler", "factory", "builder", "loader", "reader", "parser", "generator", "validator", "event", "error",
        "exception", "rotation", "tag", "tags", "enabled", "required", "hash", "hashes", "hasher", "hashers", "digest",
        "salt", "reset", "confirmation", "buf", "buffer", "limit", "limits", "fingerprint", "method", "scheme", "scope",
        "scopes", "audience", "issuer", "template", "description", "desc", "help", "message", "msg", "cache", "user",
        "username", "login", "email", "host", "port", "domain", "server", "flag", "flags", "option", "options",
        "config", "conf", "settings", "schema", "number", "serial"}) {
    if (last == w) return {};
  }
  return {NameKind::Secret, name.has("secret") && (name.has("aws") || name.has("access"))};
}

// ---------------------------------------------------------------------------

struct Hit {
  std::size_t begin;
  std::size_t end;
  std::string_view kind;
  int rank;
};

struct Value {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t next = 0;  // just past the value, closing quote included
  bool quoted = false;
  bool interpolated = false;  // f"…": the text is a template, not the value
  bool raw = false;           // r"…": in practice a regular expression
};

// Terminators of an unquoted value: whitespace, quotes and the punctuation
// that closes a value in code, query strings and flow-style YAML.
bool endsBareValue(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' || u == 0x7f || std::strchr("\"'`,;&|()<>[]{}\\", c) != nullptr;
}

// RFC 6750 b64token, the alphabet of a bearer credential.
bool isB64TokenChar(char c) { return is(c, kWord | kBase64Extra) || c == '.' || c == '~'; }

bool endsAuthority(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' || u == 0x7f || std::strchr("/?#\"'`<>\\", c) != nullptr;
}

// First bytes of the known formats (knownFormat's cases).
constexpr std::array<bool, 256> kStartsFormat = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : std::string_view("-srAgxehnyp")) t[c] = true;
  return t;
}();

// Bytes that can follow a run for onRun to have anything to do: a separator
// (= : > and the closing quote or escape of a quoted name), a blank (before a
// separator, after "Bearer" or a --flag).
constexpr std::array<bool, 256> kMayFollowName = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : std::string_view("=:>\"'\\ \t")) t[c] = true;
  return t;
}();

class Scanner {
 public:
  Scanner(std::string_view text, bool firstOnly) : s_(text), n_(text.size()), firstOnly_(firstOnly) {
    // Markers left by an earlier pass are opaque: nothing found may overlap
    // one, which is what makes redaction idempotent.
    for (std::size_t p = s_.find(kMarker); p != std::string_view::npos; p = s_.find(kMarker, p + 1)) {
      if (const std::size_t end = markerEnd(p)) markers_.push_back({p, end});
    }
  }

  bool found() const { return found_; }
  std::vector<Hit>& hits() { return hits_; }

  void scan() {
    const char* data = s_.data();
    std::size_t i = 0;
    while (i < n_) {
      while (i < n_ && !is(data[i], kWord)) ++i;
      if (i == n_) break;
      std::size_t end = i + 1;
      while (end < n_ && is(data[end], kWord)) ++end;
      // Most runs are plain words followed by punctuation that starts nothing
      // (a call, a member access, a comma): skip them without the full look.
      if (!kStartsFormat[static_cast<unsigned char>(data[i])] && !kMayFollowName[static_cast<unsigned char>(at(end))] &&
          !(i > 0 && data[i - 1] == '\\')) {
        i = end;
        continue;
      }
      i = onRun(i, end);
      if (firstOnly_ && found_) break;
    }
  }

 private:
  std::string_view s_;
  std::size_t n_;
  bool firstOnly_;
  bool found_ = false;
  std::vector<Hit> hits_;
  std::vector<std::pair<std::size_t, std::size_t>> markers_;
  // Memos that keep look-aheads linear: nothing more to learn before these.
  std::size_t genericCover_ = 0;  // end of the last value judged by the name rule
  std::size_t urlCover_ = 0;      // end of the last URL authority scanned
  std::size_t pemFailFrom_ = 0, pemFailTo_ = 0;

  char at(std::size_t i) const { return i < n_ ? s_[i] : '\0'; }

  // A literal's length is known here, so the compare is inlined (no strlen,
  // no memcmp call): this runs for most word runs.
  template <std::size_t N>
  bool startsWith(std::size_t i, const char (&p)[N]) const {
    return i <= n_ && n_ - i >= N - 1 && std::memcmp(s_.data() + i, p, N - 1) == 0;
  }
  bool startsWith(std::size_t i, std::string_view p) const {
    return i <= n_ && n_ - i >= p.size() && std::memcmp(s_.data() + i, p.data(), p.size()) == 0;
  }

  std::size_t span(std::size_t p, std::size_t limit, std::uint8_t mask) const {
    std::size_t q = p;
    while (q < limit && is(s_[q], mask)) ++q;
    return q - p;
  }

  std::size_t skipBlanks(std::size_t p) const {
    while (p < n_ && is(s_[p], kBlank)) ++p;
    return p;
  }

  // End of the "[REDACTED:<kind>]" marker at p, or 0.
  std::size_t markerEnd(std::size_t p) const {
    if (!startsWith(p, kMarker)) return 0;
    const std::size_t kind = p + kMarker.size();
    std::size_t q = kind;
    while (q < n_ && q - kind <= 32 && (is(s_[q], kLower) || s_[q] == '-')) ++q;
    return q > kind && at(q) == ']' ? q + 1 : 0;
  }

  bool overlapsMarker(std::size_t begin, std::size_t end) const {
    const auto it = std::lower_bound(markers_.begin(), markers_.end(), begin,
                                     [](const auto& m, std::size_t b) { return m.second <= b; });
    return it != markers_.end() && it->first < end;
  }

  void add(std::size_t begin, std::size_t end, std::string_view kind, int rank) {
    if (end <= begin || (!markers_.empty() && overlapsMarker(begin, end))) return;
    found_ = true;
    if (!firstOnly_) hits_.push_back({begin, end, kind, rank});
  }

  // Returns where scanning resumes: past a token that spans several runs, or
  // right after one that ends inside its run (whose rest starts a new token,
  // as it will once the token is replaced by a marker).
  std::size_t onRun(std::size_t start, std::size_t end) {
    // Logs and JSON carry escaped text: in "…\nsk-proj-…" the key starts one
    // byte into the run "nsk-proj-…".
    const bool escaped = start > 0 && s_[start - 1] == '\\' && end - start > 1 &&
                         (s_[start] == 'n' || s_[start] == 't' || s_[start] == 'r');
    std::size_t matched = knownFormat(start, end);
    if (matched == 0 && escaped) matched = knownFormat(start + 1, end);
    if (matched != 0) return matched;

    if (at(end) == ':' && at(end + 1) == '/' && at(end + 2) == '/') {
      urlCredentials(end + 3);
      return end;
    }
    const std::size_t word = escaped ? start + 1 : start;
    if (end - word == 6 && iequals(s_.substr(word, 6), "bearer")) bearer(end);
    assignment(start, end);
    return end;
  }

  // ---- formats recognised by their own shape --------------------------------

  // Returns the end of a match starting at p, or 0.
  std::size_t knownFormat(std::size_t p, std::size_t runEnd) {
    switch (s_[p]) {
      case '-':
        return pem(p);
      case 's':
        if (startsWith(p, "sk-ant-")) return randomBody(p, 7, runEnd, kWord, 32, kAnthropic);
        if (startsWith(p, "sk-")) return randomBody(p, 3, runEnd, kWord, 32, kOpenAi);
        if (startsWith(p, "sk_live_") || startsWith(p, "sk_test_")) return body(p, 8, runEnd, kAlnum, 24, kStripe);
        return 0;
      case 'r':
        if (startsWith(p, "rk_live_") || startsWith(p, "rk_test_")) return body(p, 8, runEnd, kAlnum, 24, kStripe);
        return 0;
      case 'A':
        if (startsWith(p, "AKIA") || startsWith(p, "ASIA")) return awsAccessKey(p);
        if (startsWith(p, "AIza") && runEnd - p == 39) return body(p, 4, runEnd, kWord, 35, kGoogleApiKey);
        return 0;
      case 'g':
        if (startsWith(p, "ghp_") || startsWith(p, "gho_") || startsWith(p, "ghu_") || startsWith(p, "ghs_") ||
            startsWith(p, "ghr_")) {
          return body(p, 4, runEnd, kAlnum, 36, kGitHub);
        }
        if (startsWith(p, "github_pat_")) return body(p, 11, runEnd, kAlnum | kUnderscore, 82, kGitHub);
        if (startsWith(p, "glpat-")) return body(p, 6, runEnd, kWord, 20, kGitLab);
        return 0;
      case 'x':
        if (startsWith(p, "xox") && std::strchr("baprs", at(p + 3)) != nullptr && at(p + 3) != '\0' &&
            at(p + 4) == '-') {
          return slack(p, runEnd);
        }
        return 0;
      case 'e':
        return startsWith(p, "eyJ") ? jwt(p, runEnd) : 0;
      case 'h':
        return startsWith(p, "hf_") ? body(p, 3, runEnd, kAlnum, 34, kHuggingFace) : 0;
      case 'n':
        return startsWith(p, "npm_") ? body(p, 4, runEnd, kAlnum, 36, kNpm) : 0;
      case 'y':
        // Google OAuth access tokens: "ya29." then base64url.
        return startsWith(p, "ya29.") && runEnd - p == 4 ? body(p, 5, n_, kWord, 20, kGoogleOAuth) : 0;
      case 'p':
        // Every PyPI token is a macaroon whose base64 starts with this location.
        return startsWith(p, "pypi-AgEIcHlwaS5vcmc") ? body(p, 20, runEnd, kWord, 50, kPypi) : 0;
      default:
        return 0;
    }
  }

  // prefix + at least `minLen` bytes of `mask`, not a placeholder.
  std::size_t body(std::size_t p, std::size_t prefix, std::size_t runEnd, std::uint8_t mask, std::size_t minLen,
                   std::string_view kind) {
    const std::size_t len = span(p + prefix, runEnd, mask);
    if (len < minLen || !diverse(s_.substr(p + prefix, len))) return 0;
    add(p, p + prefix + len, kind, kRankFormat);
    return p + prefix + len;
  }

  // sk- is also the start of ordinary kebab-case words ("sk-learn-…"), so
  // its body must also look random.
  std::size_t randomBody(std::size_t p, std::size_t prefix, std::size_t runEnd, std::uint8_t mask, std::size_t minLen,
                         std::string_view kind) {
    const std::size_t len = span(p + prefix, runEnd, mask);
    if (len < minLen || !looksRandom(s_.substr(p + prefix, len))) return 0;
    add(p, p + prefix + len, kind, kRankFormat);
    return p + prefix + len;
  }

  std::size_t awsAccessKey(std::size_t p) {
    if (span(p + 4, std::min(n_, p + 20), kUpper | kDigit) != 16) return 0;
    if (is(at(p + 20), kAlnum | kUnderscore)) return 0;  // part of a longer identifier
    if (!diverse(s_.substr(p + 4, 16))) return 0;
    add(p, p + 20, kAwsAccessKey, kRankFormat);
    return p + 20;
  }

  std::size_t slack(std::size_t p, std::size_t runEnd) {
    const std::size_t len = span(p + 5, runEnd, kAlnum | kDash);
    const std::string_view b = s_.substr(p + 5, len);
    if (len < 20 || std::none_of(b.begin(), b.end(), [](char c) { return is(c, kDigit); }) || !diverse(b)) return 0;
    add(p, p + 5 + len, kSlack, kRankFormat);
    return p + 5 + len;
  }

  // header.payload.signature, each base64url; the header is JSON, so it
  // starts "eyJ" ('{"'). JWE has five segments; an unsigned JWT ends in '.'.
  std::size_t jwt(std::size_t p, std::size_t runEnd) {
    if (runEnd - p < 10 || at(runEnd) != '.') return 0;
    const std::size_t payload = span(runEnd + 1, n_, kWord);
    if (payload < 8) return 0;
    std::size_t e = runEnd + 1 + payload;
    if (at(e) != '.') return 0;
    e += 1 + span(e + 1, n_, kWord);
    for (int extra = 0; extra < 2 && at(e) == '.' && is(at(e + 1), kWord); ++extra) e += 1 + span(e + 1, n_, kWord);
    add(p, e, kJwt, kRankFormat);
    return e;
  }

  // -----BEGIN <label> PRIVATE KEY----- … -----END <label>-----, whole block.
  // The body may sit in a JSON string ("\n" escapes), a YAML block or a C
  // string concatenation, so quotes, commas and backslashes pass; anything
  // else (code, prose punctuation) means the markers were only mentioned.
  std::size_t pem(std::size_t p) {
    constexpr std::string_view kBegin = "-----BEGIN ";
    if (!startsWith(p, kBegin)) return 0;
    if (p >= pemFailFrom_ && p < pemFailTo_) return 0;
    const std::size_t label = p + kBegin.size();
    const std::size_t labelLen = span(label, std::min(n_, label + 48), kUpper | kDigit | kBlank);
    if (!startsWith(label + labelLen, "-----")) return 0;
    if (!contains(s_.substr(label, labelLen), "PRIVATE KEY")) return 0;

    const std::size_t bodyStart = label + labelLen + 5;
    const std::size_t limit = std::min(n_, bodyStart + kMaxPemBody);
    std::size_t r = bodyStart, run = 0, longestRun = 0, lastBase64 = bodyStart;
    while (r < limit) {
      const char c = s_[r];
      if (is(c, kAlnum | kBase64Extra)) {
        longestRun = std::max(longestRun, ++run);
        lastBase64 = ++r;
        continue;
      }
      run = 0;
      if (c == '-' && startsWith(r, "-----END ")) {
        const std::size_t endLabel = r + 9;
        const std::size_t endLabelLen = span(endLabel, std::min(n_, endLabel + 48), kUpper | kDigit | kBlank);
        if (startsWith(endLabel + endLabelLen, "-----") && longestRun >= kMinPemLine) {
          const std::size_t end = endLabel + endLabelLen + 5;
          add(p, end, kPrivateKey, kRankBlock);
          return end;
        }
        break;
      }
      if (c == '\0' || std::strchr(" \t\r\n\\\"',:-", c) == nullptr) break;
      ++r;
    }
    // No END (a truncated log line, a pasted fragment): the key material
    // that is there is still secret.
    if (longestRun >= kMinPemLine) {
      add(p, lastBase64, kPrivateKey, kRankBlock);
      return lastBase64;
    }
    pemFailFrom_ = p;
    pemFailTo_ = r;
    return 0;
  }

  // ---- values made secret by their context ----------------------------------

  // scheme://user:password@host — the password goes, the user stays.
  void urlCredentials(std::size_t authority) {
    if (authority < urlCover_) return;
    const std::size_t limit = std::min(n_, authority + kMaxAuthority);
    std::size_t q = authority, lastAt = std::string_view::npos;
    while (q < limit && !endsAuthority(s_[q])) {
      if (s_[q] == '@') lastAt = q;
      ++q;
    }
    urlCover_ = q;
    if (lastAt == std::string_view::npos) return;
    const std::size_t colon = s_.substr(authority, lastAt - authority).find(':');
    if (colon == std::string_view::npos) return;
    const std::size_t begin = authority + colon + 1;
    const std::string_view password = s_.substr(begin, lastAt - begin);
    if (password.empty() || contains(password, kMarker) || isReference(password, true) ||
        isPlaceholderPassword(password) || iequals(password, "pass")) {
      return;
    }
    add(begin, lastAt, kUrlPassword, kRankContext);
  }

  // "Bearer <token>" anywhere (a header in a curl command, a log of one).
  void bearer(std::size_t runEnd) {
    const std::size_t q = skipBlanks(runEnd);
    if (q == runEnd) return;
    std::size_t t = q;
    while (t < n_ && isB64TokenChar(s_[t])) ++t;
    const std::string_view token = s_.substr(q, t - q);
    if (token.size() < 16 || isPlaceholder(token) || !looksRandom(token)) return;
    add(q, t, kBearer, kRankContext);
  }

  // ---- values made secret by the name they are assigned to ------------------

  // NAME=value, NAME: value, "name": "value", name = 'value', name := "value",
  // 'name' => 'value', <name>value</name>, --name value.
  void assignment(std::size_t nameStart, std::size_t nameEnd) {
    if (nameStart < genericCover_) return;  // inside a value already judged
    // A name right after a quote opened a string; if the quote does not close
    // right after it, the separator is inside that string ('Password :').
    const char before = nameStart > 0 ? s_[nameStart - 1] : '\0';
    const char openQuote = before == '"' || before == '\'' ? before : '\0';
    const bool closed = at(nameEnd) == openQuote || (at(nameEnd) == '\\' && at(nameEnd + 1) == openQuote);
    const bool labelInString = openQuote != 0 && !closed;
    std::size_t k = nameEnd;
    if (at(k) == '\\' && at(k + 1) == '"') {
      k += 2;  // "…{\"api_key\": \"…\"}…": JSON inside a log line
    } else if (at(k) == '"' || at(k) == '\'') {
      ++k;
    }
    k = skipBlanks(k);
    bool flagForm = false, xml = false;
    const char sep = at(k);
    switch (sep) {
      case '=':
        if (at(k + 1) == '=') return;
        k += at(k + 1) == '>' ? 2 : 1;
        break;
      case ':':
        if (at(k + 1) == ':' || (at(k + 1) == '/' && at(k + 2) == '/')) return;
        if (at(k + 1) == '=') {
          k += 2;
          break;
        }
        // name:value with nothing between is a URN, a scope or an ARN part
        // (secretsmanager:ResourceTag); mappings put a blank or a quote there.
        if (!is(at(k + 1), kBlank) && at(k + 1) != '"' && at(k + 1) != '\'' && k == nameEnd) return;
        ++k;
        break;
      case '>':
        if (k != nameEnd || nameStart == 0 || s_[nameStart - 1] != '<') return;
        xml = true;
        ++k;
        break;
      default:
        // --password hunter2 (a command line)
        if (!(s_[nameStart] == '-' && at(nameStart + 1) == '-' && k == nameEnd + 1 && s_[nameEnd] == ' ' &&
              at(k) != '-' && (!endsBareValue(at(k)) || markerEnd(k) != 0))) {
          return;
        }
        flagForm = true;
        break;
    }
    const NameInfo name = classifyName(s_.substr(nameStart, nameEnd - nameStart));
    if (name.kind == NameKind::None) return;
    if (!xml && !flagForm) k = skipBlanks(k);

    Value v = readValue(k);
    if (labelInString && v.quoted && v.begin > 0 && s_[v.begin - 1] == openQuote) return;
    // <password>value</password>: the closing tag must follow, or this was
    // something else in angle brackets (a placeholder in a usage line).
    if (xml && !(at(v.end) == '<' && at(v.end + 1) == '/')) return;
    // api_key: str = "…" (a type annotation between the name and the value)
    if (sep == ':' && !v.quoted && v.end > v.begin && identifierShaped(slice(v))) {
      const std::size_t eq = skipBlanks(v.end);
      if (at(eq) == '=' && at(eq + 1) != '=') v = readValue(skipBlanks(eq + 1));
    }
    genericCover_ = std::max(genericCover_, v.next);

    // Authorization: Bearer <token> / Basic <credentials> / token <t>
    std::string_view schemeKind;
    const std::size_t blank = s_.substr(v.begin, v.end - v.begin).find_first_of(" \t");
    const std::string_view first = v.quoted && blank != std::string_view::npos ? s_.substr(v.begin, blank) : slice(v);
    if (iequals(first, "bearer") || iequals(first, "token") || iequals(first, "bot")) schemeKind = kBearer;
    if (iequals(first, "basic")) schemeKind = kBasicAuth;
    if (!schemeKind.empty()) {
      if (v.quoted) {
        v.begin = std::min(v.end, skipBlanks(v.begin + first.size()));
      } else if (is(at(v.end), kBlank)) {
        const Value token = readValue(skipBlanks(v.end));
        v.begin = token.begin;
        v.end = token.end;
        genericCover_ = std::max(genericCover_, token.next);
      } else {
        schemeKind = {};
      }
    }
    judge(v, name, schemeKind);
  }

  std::string_view slice(const Value& v) const { return s_.substr(v.begin, v.end - v.begin); }

  // "name=" at p: '&' before it separates query parameters; any other '&' is
  // part of the value (Password=Tr0ub4dor&3x in a connection string).
  bool startsParameter(std::size_t p) const {
    const std::size_t len = span(p, std::min(n_, p + kMaxName), kWord | kBase64Extra);
    return len > 0 && len < kMaxName && std::memchr(s_.data() + p, '=', len) != nullptr;
  }

  Value readValue(std::size_t k) const {
    bool interpolated = false, raw = false;
    if (std::strchr("bBrRuUfF", at(k)) != nullptr && at(k) != '\0' && (at(k + 1) == '"' || at(k + 1) == '\'')) {
      interpolated = at(k) == 'f' || at(k) == 'F';
      raw = at(k) == 'r' || at(k) == 'R';
      ++k;  // Python string prefixes: b"…", r'…', f"…"
    }
    const char q = at(k);
    if (q == '"' || q == '\'' || q == '`') {
      std::size_t e = k + 1;
      while (e < n_ && s_[e] != q && s_[e] != '\n') e += (s_[e] == '\\' && q != '\'') ? 2 : 1;
      e = std::min(e, n_);
      return {k + 1, e, e < n_ && s_[e] == q ? e + 1 : e, true, interpolated, raw};
    }
    if (q == '\\' && at(k + 1) == '"') {
      std::size_t e = k + 2;
      while (e < n_ && s_[e] != '\n' && !(s_[e] == '\\' && at(e + 1) == '"')) e += startsWith(e, "\\\\") ? 2 : 1;
      e = std::min(e, n_);
      return {k + 2, e, e < n_ && s_[e] == '\\' ? e + 2 : e, true, false, false};
    }
    std::size_t e = k;
    while (e < n_) {
      if (s_[e] == '[') {
        // A marker is part of the value it was cut from.
        if (const std::size_t m = markerEnd(e)) {
          e = m;
          continue;
        }
      }
      if (endsBareValue(s_[e]) && !(s_[e] == '&' && !startsParameter(e + 1))) break;
      ++e;
    }
    return {k, e, e, false, false, false};
  }

  void judge(const Value& v, const NameInfo& name, std::string_view schemeKind) {
    const std::string_view value = slice(v);
    if (value.empty() || v.interpolated || contains(value, kMarker) || isReference(value, v.quoted)) return;
    const bool ascii = std::all_of(value.begin(), value.end(), printableAscii);
    // The AWS secret's shape is exact; test it before the filters below, which
    // a random base64 string starting with '/' could trip.
    if (name.awsSecret && value.size() == 40 &&
        std::all_of(value.begin(), value.end(), [](char c) { return is(c, kAlnum) || c == '+' || c == '/'; }) &&
        !isPlaceholder(value)) {
      add(v.begin, v.end, kAwsSecretKey, kRankContext);
      return;
    }
    if (isPathOrUrl(value) || isPatternOrCode(value, true)) return;
    // An unquoted value followed by ( or [ is code: get_token(), os.environ["…"].
    // So is an unquoted dotted name: config.api_key, win32api.RegOpenKeyEx.
    if (!v.quoted && (at(v.end) == '(' || at(v.end) == '[' || dottedName(value))) return;

    if (!schemeKind.empty()) {
      if (value.size() >= 8 && ascii && !isPlaceholder(value) && !plainIdentifier(value)) {
        add(v.begin, v.end, schemeKind, kRankContext);
      }
      return;
    }
    if (name.kind == NameKind::Password) {
      // People choose passwords: no entropy test, but a bare value must not
      // be a variable (password = user_password) and a quoted one must not
      // contain blanks (prose) or be a sample.
      const std::size_t minLen = v.quoted ? 6 : 8;
      if (value.size() < minLen || isPlaceholderPassword(value)) return;
      // PASS8 = 0x08000000, 'Pass' => '1.302103': numbers, not passwords
      // (a quoted run of digits may well be a PIN-like password).
      const bool digitsOnly = std::all_of(value.begin(), value.end(), [](char c) { return is(c, kDigit); });
      if (isNumberLike(value) && (!v.quoted || !digitsOnly)) return;
      if (std::any_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) <= ' '; })) return;
      if (plainIdentifier(value)) {
        // password = user_password is a variable; "url-password" is a label.
        if (!v.quoted) return;
        for (std::string_view w : {"pass", "pwd", "secret", "token", "key", "auth", "cred"}) {
          if (icontains(value, w)) return;
        }
      }
      add(v.begin, v.end, kPassword, kRankAssigned);
      return;
    }
    if (!ascii || value.size() < 12 || v.raw || isNumberLike(value) || isPatternOrCode(value, v.quoted) ||
        isPlaceholder(value)) {
      return;
    }
    // @handle, $var, :symbol quoted: a name with a sigil, not a secret; and
    // punctuation soup (a charset, a separator line) is not one either.
    if (std::strchr("$%@&*!#:", value[0]) != nullptr && plainIdentifier(value.substr(1))) return;
    if (3 * static_cast<std::size_t>(std::count_if(value.begin(), value.end(), [](char c) { return is(c, kAlnum); })) <
        value.size()) {
      return;
    }
    if (looksRandom(value)) add(v.begin, v.end, kSecret, kRankAssigned);
  }

  // A name or dotted name without digits: what a variable reference looks like.
  static bool plainIdentifier(std::string_view v) {
    return identifierShaped(v) && std::none_of(v.begin(), v.end(), [](char c) { return is(c, kDigit); });
  }

  // name.name[.name…], each part starting with a letter: a member access.
  static bool dottedName(std::string_view v) {
    if (!identifierShaped(v) || !contains(v, ".")) return false;
    for (std::size_t i = 0; i + 1 < v.size(); ++i) {
      if (v[i] == '.' && !is(v[i + 1], kAlpha | kUnderscore)) return false;
    }
    return v.back() != '.';
  }
};

// Sorts and merges overlapping detections (a github token that is also a URL
// password) into their union, named by the most specific detector: never less
// redacted than any one detector wanted.
void mergeHits(std::vector<Hit>& hits) {
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::vector<Hit> merged;
  for (const Hit& h : hits) {
    if (!merged.empty() && h.begin < merged.back().end) {
      Hit& m = merged.back();
      m.end = std::max(m.end, h.end);
      if (h.rank < m.rank) {
        m.kind = h.kind;
        m.rank = h.rank;
      }
    } else {
      merged.push_back(h);
    }
  }
  hits = std::move(merged);
}

// Where a stretch of the output was copied from.
struct Segment {
  std::size_t out;
  std::size_t in;
  std::size_t length;
};

std::string applyHits(std::string_view text, const std::vector<Hit>& hits, std::vector<Segment>& segments) {
  std::string out;
  out.reserve(text.size());
  segments.clear();
  std::size_t copied = 0;
  for (const Hit& h : hits) {
    segments.push_back({out.size(), copied, h.begin - copied});
    out.append(text.substr(copied, h.begin - copied));
    out.append(kMarker);
    out.append(h.kind);
    out.push_back(']');
    copied = h.end;
  }
  segments.push_back({out.size(), copied, text.size() - copied});
  out.append(text.substr(copied));
  return out;
}

}  // namespace

Redacted redactSecrets(std::string_view text) {
  Scanner scanner(text, false);
  scanner.scan();
  std::vector<Hit> hits = std::move(scanner.hits());
  Redacted out;
  if (hits.empty()) {
    out.text.assign(text);
    return out;
  }
  // Idempotence by construction: a detector that read across text now
  // replaced by a marker (a bearer token running into a PEM header) may judge
  // the output differently. So the output is scanned again and whatever that
  // finds (never overlapping a marker, so always inside one copied stretch)
  // is mapped back and merged, until a scan of the output finds nothing. In
  // practice the second scan finds nothing; it costs one more pass, and only
  // over text that held a secret.
  std::vector<Segment> segments;
  for (;;) {
    mergeHits(hits);
    out.text = applyHits(text, hits, segments);
    Scanner again(out.text, false);
    again.scan();
    if (again.hits().empty()) break;
    for (const Hit& h : again.hits()) {
      const auto seg = std::upper_bound(segments.begin(), segments.end(), h.begin,
                                        [](std::size_t at, const Segment& s) { return at < s.out; }) - 1;
      const std::size_t begin = seg->in + (h.begin - seg->out);
      hits.push_back({begin, begin + (h.end - h.begin), h.kind, h.rank});
    }
  }
  out.findings.reserve(hits.size());
  for (const Hit& h : hits) out.findings.push_back({std::string(h.kind), h.begin, h.end - h.begin});
  return out;
}

std::string redact(std::string_view text) { return redactSecrets(text).text; }

bool containsSecret(std::string_view text) {
  Scanner scanner(text, true);
  scanner.scan();
  return scanner.found();
}

}  // namespace cadre::security
