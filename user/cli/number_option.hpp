// Numeric options, checked as text before CLI11 converts them. CLI11's own checks let through what
// a typo or a script's empty variable gives: "nan" and "inf" pass CLI::Range (a NaN compares false)
// and CLI::PositiveNumber, "-1" becomes 2^64-1 for an unsigned option, 99999999999999999999 becomes
// 2^64-1, "010" is octal. Every numeric option of every command takes one of these instead; a bad
// value is a usage error (exit 2) naming the option: "--interval: 'nan' is not a finite number".
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace tcpsight {

// Bounds shared by several commands. Beyond them a value is a mistake, not a wish: a year of
// --duration, a billion --count reports, Linux's largest pid (PID_MAX_LIMIT, 2^22).
inline constexpr double kMinDuration = 0.001, kMaxDuration = 365 * 86400.0;
inline constexpr uint64_t kMaxCount = 1'000'000'000;
inline constexpr uint64_t kMaxPid = 4'194'304;

// Add them with ->transform(), which lets a validator rewrite the text (->check() does not).

// A finite decimal number (1, 0.5, 2e-1) from min to max. The text is kept as given.
CLI::Validator real_in(double min, double max);
// Decimal digits only, no sign, exponent or fraction, from min to max. The text is rewritten
// without leading zeros, so that CLI11 does not read "010" as octal.
CLI::Validator whole_in(uint64_t min, uint64_t max);

}  // namespace tcpsight
