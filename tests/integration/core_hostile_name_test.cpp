// A process that names itself with terminal escapes cannot reach the operator's terminal through
// tcpsight: `trace` shows the name's visible form (\x1b...) in text and JSON alike, and no line holds
// a control byte.
#include <csignal>
#include <string>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

// Clears the screen, then sets the window title.
const std::string kHostileName = "\x1b[2J\x1b]0;x\x07";
// How tcpsight shows it.
const std::string kVisibleName = R"(\x1b[2J\x1b]0;x\x07)";

// The first byte a terminal would act on (below 0x20 but '\n', or DEL), or npos.
size_t first_control_byte(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7f) return i;
  }
  return std::string::npos;
}

TEST(CoreHostileName, TraceShowsAProcessNameOfTerminalEscapesAsVisibleText) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("hostile-name");
  Child text({tcpsight_binary(), "trace"}, ns.inside());
  Child json({tcpsight_binary(), "trace", "--json"}, ns.inside());
  ASSERT_TRUE(text.wait_for_line(Child::Stream::err, "tracing", 20s)) << text.err();
  ASSERT_TRUE(json.wait_for_line(Child::Stream::err, "tracing", 20s)) << json.err();

  const CommandResult peer = ns.run({test_tool("tcp_peer"), "--count", "3", "--comm", kHostileName});
  ASSERT_EQ(peer.exit_code, 0) << peer.err;

  // The connecting process's events name it: wait for them, then stop both.
  EXPECT_TRUE(text.wait_for_line(Child::Stream::out, kVisibleName, 10s)) << text.out();
  // In JSON the backslashes are escaped once more.
  EXPECT_TRUE(json.wait_for_line(Child::Stream::out, R"(\\x1b[2J\\x1b]0;x\\x07)", 10s)) << json.out();
  text.signal(SIGTERM);
  json.signal(SIGTERM);
  ASSERT_EQ(text.wait(10s), 0) << text.err();
  ASSERT_EQ(json.wait(10s), 0) << json.err();

  for (const Child* c : {&text, &json}) {
    const std::string out = c->out();
    const size_t bad = first_control_byte(out);
    EXPECT_EQ(bad, std::string::npos) << "control byte at " << bad << " of:\n" << out;
  }
  size_t named = 0;
  for (const nlohmann::json& line : json_lines(json.out()))  // fails the test on a line that is not JSON
    if (line.value("comm", nlohmann::json()).is_string() && line["comm"] == kVisibleName) ++named;
  EXPECT_GE(named, 1u) << json.out();
}

}  // namespace
}  // namespace tcpsight::itest
