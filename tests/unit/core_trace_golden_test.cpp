// trace's lines, byte for byte, against golden files written and reviewed by hand
// (tests/unit/golden/trace_*.txt): scripts parse these lines, so any change to them, however small,
// must show up as a failing test and a reviewed diff of a golden file. The test only reads them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/event_format.hpp"
#include "core/trace_fields.hpp"
#include "trace_golden_events.hpp"

namespace tcpsight {
namespace {

using test::golden_events;
using test::kGoldenClock;
using test::kGoldenResetReasons;

const std::string kNetnsName = "web-frontend-production";  // longer than the text column's 20

// Times are printed in local time: the golden files hold UTC.
class TraceGolden : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    if (tz) saved_tz_ = tz;
    had_tz_ = tz != nullptr;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_tz_)
      setenv("TZ", saved_tz_.c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }

 private:
  bool had_tz_ = false;
  std::string saved_tz_;
};

std::string read_golden(const std::string& name) {
  const std::string path = std::string(TCPSIGHT_GOLDEN_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read golden file " << path;
    return {};
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// A line with its control and non-ASCII bytes shown as \xNN, so a diff of invisible bytes is visible.
std::string visible(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// Byte for byte; on a mismatch, every line that differs as "-golden" / "+actual", like a diff.
void expect_golden(const std::string& name, const std::string& actual) {
  const std::string golden = read_golden(name);
  if (golden == actual) return;
  const auto want = split_lines(golden), got = split_lines(actual);
  std::ostringstream diff;
  for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    const std::string* w = i < want.size() ? &want[i] : nullptr;
    const std::string* g = i < got.size() ? &got[i] : nullptr;
    if (w && g && *w == *g) continue;
    diff << "line " << i + 1 << ":\n";
    if (w) diff << "-" << visible(*w) << "\n";
    if (g) diff << "+" << visible(*g) << "\n";
  }
  if (diff.str().empty()) diff << "(the lines agree: a difference in the final newline)\n";
  ADD_FAILURE() << "output differs from golden file tests/unit/golden/" << name << " (-golden +actual):\n"
                << diff.str();
}

template <class Format>
std::string render(const std::string& header, const Format& line_of) {
  std::string out = header.empty() ? std::string() : header + "\n";
  for (const auto& g : golden_events()) out += line_of(g.event, g.owner) + "\n";
  return out;
}

TEST_F(TraceGolden, TextLines) {
  expect_golden("trace_text.txt", render(trace_header(), [](const ts_event& e, const Owner& o) {
                  return format_trace_line(e, o, kGoldenClock, kGoldenResetReasons);
                }));
}

TEST_F(TraceGolden, TextLinesWithNamespaceNames) {
  expect_golden("trace_text_netns.txt", render(trace_header(true), [](const ts_event& e, const Owner& o) {
                  return format_trace_line(e, o, kGoldenClock, kGoldenResetReasons, &kNetnsName);
                }));
}

TEST_F(TraceGolden, JsonLines) {
  expect_golden("trace_json.txt", render("", [](const ts_event& e, const Owner& o) {
                  return trace_json(e, o, kGoldenClock, kGoldenResetReasons);
                }));
}

TEST_F(TraceGolden, JsonLinesWithNamespaceNames) {
  expect_golden("trace_json_netns.txt", render("", [](const ts_event& e, const Owner& o) {
                  return trace_json(e, o, kGoldenClock, kGoldenResetReasons, &kNetnsName);
                }));
}

// What a script asking for a few fields, in its own order, gets.
const std::vector<TraceField> kSome = {TraceField::kind,  TraceField::pid,    TraceField::comm,
                                       TraceField::local, TraceField::remote, TraceField::new_state,
                                       TraceField::state, TraceField::segs,   TraceField::reason};

TEST_F(TraceGolden, TextWithSomeFields) {
  expect_golden("trace_fields_some.txt", render(trace_header(kSome), [](const ts_event& e, const Owner& o) {
                  return format_trace_line(kSome, e, o, kGoldenClock, kGoldenResetReasons);
                }));
}

TEST_F(TraceGolden, JsonWithSomeFields) {
  expect_golden("trace_fields_some_json.txt", render("", [](const ts_event& e, const Owner& o) {
                  return trace_json(kSome, e, o, kGoldenClock, kGoldenResetReasons);
                }));
}

TEST_F(TraceGolden, TextWithEveryField) {
  const auto all = all_trace_fields();
  expect_golden("trace_fields_all.txt", render(trace_header(all), [&](const ts_event& e, const Owner& o) {
                  return format_trace_line(all, e, o, kGoldenClock, kGoldenResetReasons, &kNetnsName);
                }));
}

TEST_F(TraceGolden, JsonWithEveryField) {
  const auto all = all_trace_fields();
  expect_golden("trace_fields_all_json.txt", render("", [&](const ts_event& e, const Owner& o) {
                  return trace_json(all, e, o, kGoldenClock, kGoldenResetReasons, &kNetnsName);
                }));
}

}  // namespace
}  // namespace tcpsight
