// Secret redaction: the last fence before text leaves cadre's control. Every
// log line and every prompt bound for a non-local model passes through here,
// so known credential formats and high-entropy values assigned to key-like
// names become "[REDACTED:<kind>]" before anyone else sees them.
//
// One hand-written linear pass over the bytes (no std::regex, no
// backtracking): cost grows with the input length and nothing else, including
// on adversarial input. Pure functions; safe to call from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cadre::security {

// One redacted span. `offset`/`length` are bytes in the *input* text; spans
// are delimited by ASCII bytes (quotes, separators, word boundaries), so they
// never split a UTF-8 sequence.
// Kinds: private-key, openai, anthropic, aws-access-key, aws-secret-key,
// github, gitlab, slack, google-api-key, google-oauth, stripe, huggingface,
// npm, pypi, jwt, url-password, bearer, basic-auth, password, secret
// (docs/security-redaction.md describes each).
struct SecretFinding {
  std::string kind;
  std::size_t offset = 0;
  std::size_t length = 0;
};

// `findings` are sorted by offset and never overlap: detections that overlap
// are merged into one span named after the most specific detector.
struct Redacted {
  std::string text;
  std::vector<SecretFinding> findings;
};

// Replaces each secret with "[REDACTED:<kind>]". Idempotent: the output holds
// nothing this detects (when something was found, the output is scanned again
// before it is returned), so redacting it again changes nothing. Any bytes
// are accepted (invalid UTF-8 included); bytes outside secrets are copied as
// is.
Redacted redactSecrets(std::string_view text);

// redactSecrets(text).text.
std::string redact(std::string_view text);

// True when redactSecrets would change `text`; stops at the first finding and
// does not allocate (unless `text` already holds markers), which makes it the
// cheap check for hot paths (logging).
bool containsSecret(std::string_view text);

}  // namespace cadre::security
