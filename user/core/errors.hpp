// The one error type for what the user must fix (privilege, BTF, port in use, bad input).
// `main` catches it and prints one line, plus a hint when there is one; exit status 1.
#pragma once

#include <stdexcept>
#include <string>

namespace tcpsight {

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& what, std::string hint = {})
      : std::runtime_error(what), hint_(std::move(hint)) {}
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

}  // namespace tcpsight
