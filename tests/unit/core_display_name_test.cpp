// visible_text() and visible_ascii(): what a process or a container may name itself reaches a
// terminal or a JSON line as visible text, never as something the terminal acts on.
#include <gtest/gtest.h>

#include <string>

#include "core/display_name.hpp"

namespace tcpsight {
namespace {

// No byte a terminal acts on: nothing below 0x20, no DEL.
bool inert(const std::string& s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

TEST(VisibleText, OrdinaryNamesStayAsTheyAre) {
  for (const std::string name : {"nginx", "curl", "kworker/0:1", "a\"b'c\\d", "café", "東京-🚀", ""})
    EXPECT_EQ(visible_text(name), name);
}

TEST(VisibleText, TerminalSequencesBecomeVisibleEscapes) {
  EXPECT_EQ(visible_text("\x1b[2J"), R"(\x1b[2J)");                       // clear the screen
  EXPECT_EQ(visible_text("\x1b]0;pwned\x07"), R"(\x1b]0;pwned\x07)");       // set the window title
  EXPECT_EQ(visible_text("a\rb\nc\td"), R"(a\x0db\x0ac\x09d)");
  EXPECT_EQ(visible_text("del\x7f"), R"(del\x7f)");
  EXPECT_EQ(visible_text("\x9b" "2J"), R"(\x9b2J)");                       // a lone C1 CSI byte
  EXPECT_EQ(visible_text("\xc2\x9b" "2J"), R"(\xc2\x9b2J)");               // CSI as UTF-8 (U+009B)
  EXPECT_EQ(visible_text("x\xe2\x80\xae" "exe"), R"(x\xe2\x80\xaeexe)");   // right-to-left override
}

TEST(VisibleText, InvalidUtf8BecomesOneEscapePerByte) {
  EXPECT_EQ(visible_text("\xff\xfe"), R"(\xff\xfe)");
  EXPECT_EQ(visible_text("\xc0\xaf"), R"(\xc0\xaf)");  // overlong '/'
  EXPECT_EQ(visible_text("\xed\xa0\x80"), R"(\xed\xa0\x80)");  // a surrogate
  // The kernel keeps 15 bytes of a name: "ééééééé" and the first byte of the eighth é.
  const std::string cut = std::string("éééééééé").substr(0, 15);
  ASSERT_EQ(cut.size(), 15u);
  EXPECT_EQ(visible_text(cut), R"(ééééééé\xc3)");
}

TEST(VisibleText, TheResultIsItsOwnVisibleForm) {
  for (const std::string hostile : {"\x1b[2J\x1b]0;x\x07", "a\\x1b", "\xff\x9b\x7f", "ok"}) {
    const std::string once = visible_text(hostile);
    EXPECT_TRUE(inert(once)) << once;
    EXPECT_EQ(visible_text(once), once);
    EXPECT_EQ(visible_ascii(once), visible_ascii(hostile));
  }
}

TEST(VisibleAscii, EveryByteAboveAsciiIsEscapedToo) {
  EXPECT_EQ(visible_ascii("café"), R"(caf\xc3\xa9)");
  EXPECT_EQ(visible_ascii("\x1b[2J"), R"(\x1b[2J)");
  EXPECT_EQ(visible_ascii("nginx"), "nginx");
  for (int b = 0; b < 256; ++b) {
    const std::string out = visible_ascii(std::string(1, static_cast<char>(b)));
    for (const char c : out) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << b;
  }
}

}  // namespace
}  // namespace tcpsight
