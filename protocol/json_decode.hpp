// Decoding typed params from JSON with errors that name the field that failed
// ("params.textDocument.uri: expected string, got number"). Protocol structs
// write their from_json with ObjectMapper; the dispatcher catches DecodeError
// and answers InvalidParams with its text.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cadre::protocol {

using json = nlohmann::json;

class DecodeError : public std::runtime_error {
 public:
  DecodeError(std::string path, std::string problem)
      : std::runtime_error(path.empty() ? problem : path + ": " + problem), path_(std::move(path)), problem_(std::move(problem)) {}
  const std::string& path() const { return path_; }
  const std::string& problem() const { return problem_; }
  // The same error one level further out: "uri" inside "textDocument".
  DecodeError within(const std::string& outer) const {
    return DecodeError(path_.empty() ? outer : (path_.front() == '[' ? outer + path_ : outer + "." + path_), problem_);
  }

 private:
  std::string path_;
  std::string problem_;
};

// Converts `j` to T, turning nlohmann's type errors into DecodeError.
template <class T>
void decodeValue(const json& j, T& out) {
  try {
    out = j.get<T>();
  } catch (const DecodeError&) {
    throw;
  } catch (const json::exception&) {
    std::string expected;
    if constexpr (std::is_same_v<T, bool>) {
      expected = "boolean";
    } else if constexpr (std::is_integral_v<T>) {
      expected = "integer";
    } else if constexpr (std::is_floating_point_v<T>) {
      expected = "number";
    } else if constexpr (std::is_convertible_v<T, std::string>) {
      expected = "string";
    } else {
      expected = "a different type";
    }
    throw DecodeError("", "expected " + expected + ", got " + std::string(j.type_name()));
  }
}

// Arrays decode element by element so the failing index is named ("items[3].uri").
template <class T>
void decodeValue(const json& j, std::vector<T>& out) {
  if (!j.is_array()) throw DecodeError("", std::string("expected array, got ") + j.type_name());
  out.clear();
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    T value{};
    try {
      decodeValue(j[i], value);
    } catch (const DecodeError& e) {
      throw e.within("[" + std::to_string(i) + "]");
    }
    out.push_back(std::move(value));
  }
}

class ObjectMapper {
 public:
  explicit ObjectMapper(const json& j) : j_(j) {
    if (!j.is_object()) throw DecodeError("", std::string("expected object, got ") + j.type_name());
  }

  template <class T>
  ObjectMapper& required(const char* key, T& out) {
    auto it = j_.find(key);
    if (it == j_.end()) throw DecodeError(key, "missing required field");
    decodeField(key, *it, out);
    return *this;
  }

  // Absent or null leaves `out` at its default.
  template <class T>
  ObjectMapper& optional(const char* key, T& out) {
    auto it = j_.find(key);
    if (it != j_.end() && !it->is_null()) decodeField(key, *it, out);
    return *this;
  }

  template <class T>
  ObjectMapper& optional(const char* key, std::optional<T>& out) {
    auto it = j_.find(key);
    if (it != j_.end() && !it->is_null()) {
      T value{};
      decodeField(key, *it, value);
      out = std::move(value);
    }
    return *this;
  }

 private:
  template <class T>
  static void decodeField(const char* key, const json& value, T& out) {
    try {
      decodeValue(value, out);
    } catch (const DecodeError& e) {
      throw e.within(key);
    }
  }

  const json& j_;
};

}  // namespace cadre::protocol
