#include <gtest/gtest.h>

#include "top/glyphs.hpp"
#include "top/human_units.hpp"
#include "top/screen.hpp"

namespace tcpsight {
namespace {

TEST(TopScreen, CountsColumnsNotBytes) {
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("→█…"), 3u);
  EXPECT_EQ(display_width(""), 0u);
}

TEST(TopScreen, ClipsAndPadsOnCodePointBoundaries) {
  EXPECT_EQ(clip("██████", 2), "██");
  EXPECT_EQ(clip("abc", 5), "abc");
  EXPECT_EQ(pad_right("ab", 4), "ab  ");
  EXPECT_EQ(pad_left("ab", 4), "  ab");
  EXPECT_EQ(pad_left("abcdef", 3), "abc");
  EXPECT_EQ(display_width(pad_right("→x", 5)), 5u);
}

TEST(TopScreen, ShortensLongAddressesInTheMiddle) {
  const std::string v6 = "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:443";
  const std::string s = shorten_middle(v6, 20, "…");
  EXPECT_EQ(display_width(s), 20u);
  EXPECT_EQ(s.substr(0, 5), "[2001");
  EXPECT_EQ(s.substr(s.size() - 4), ":443");
  EXPECT_EQ(shorten_middle("10.0.0.1:80", 20, "…"), "10.0.0.1:80");
}

TEST(TopScreen, FitLineMakesExactWidthKeepingStyles) {
  Line l;
  l.add("TIME_WAIT", Style::Title).add("  5000");
  const Line wide = fit_line(l, 20);
  EXPECT_EQ(wide.width(), 20u);
  EXPECT_EQ(wide.spans[0].style, Style::Title);
  const Line narrow = fit_line(l, 5);
  EXPECT_EQ(narrow.text(), "TIME_");
}

TEST(TopScreen, BesidePutsTwoColumnsOnOneRow) {
  const std::vector<Line> left = {Line{}.add("a"), Line{}.add("b")};
  const std::vector<Line> right = {Line{}.add("x"), Line{}.add("y"), Line{}.add("z")};
  const auto rows = beside(left, 4, right, 1);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].text(), "a    x");
  EXPECT_EQ(rows[2].text(), "     z");
}

TEST(TopScreen, WrapsWordsAndCutsOverlongOnes) {
  const auto lines = wrap_words("Terminal too small: 60x20. Enlarge it", 12);
  for (const auto& l : lines) EXPECT_LE(display_width(l), 12u) << l;
  EXPECT_EQ(lines.front(), "Terminal too");
  const auto cut = wrap_words("abcdefghij", 4);
  EXPECT_EQ(cut, (std::vector<std::string>{"abcd", "efgh", "ij"}));
}

TEST(TopGlyphs, BarsScaleWithTheFraction) {
  EXPECT_EQ(bar(1.0, 10, Glyphs::ascii()), "##########");
  EXPECT_EQ(bar(0.5, 10, Glyphs::ascii()), "#####");
  EXPECT_EQ(bar(0.001, 10, Glyphs::ascii()), "#");  // visible as soon as it is non-zero
  EXPECT_EQ(bar(0, 10, Glyphs::ascii()), "");
  EXPECT_EQ(bar(2.0, 4, Glyphs::ascii()), "####");  // never longer than its columns
  EXPECT_EQ(display_width(bar(1.0, 10, Glyphs::utf8())), 10u);
  EXPECT_EQ(bar(0.55, 10, Glyphs::utf8()), "█████▌");
}

TEST(TopGlyphs, LevelsNeverHideNonZero) {
  EXPECT_EQ(level(0, Glyphs::ascii()), " ");
  EXPECT_EQ(level(0.0001, Glyphs::ascii()), ".");
  EXPECT_EQ(level(1, Glyphs::ascii()), "@");
  EXPECT_EQ(level(1, Glyphs::utf8()), "█");
}

TEST(TopHumanUnits, FractionsOnlyWhereTheyMatter) {
  EXPECT_EQ(human_rate(2.5), "2.5/s");
  EXPECT_EQ(human_rate(300.2), "300/s");
  EXPECT_EQ(human_rate(99.96), "100/s");
  EXPECT_EQ(human_rate(999.7), "1.0k/s");
}

TEST(TopHumanUnits, SignedRatesAndUptimes) {
  EXPECT_EQ(human_signed_rate(12), "+12/s");
  EXPECT_EQ(human_signed_rate(-3.5), "-3.5/s");
  EXPECT_EQ(human_signed_rate(0), "0/s");
  EXPECT_EQ(human_signed_rate(1500), "+1.5k/s");
  EXPECT_EQ(human_uptime(42.7), "42s");
  EXPECT_EQ(human_uptime(307), "5m07s");
  EXPECT_EQ(human_uptime(3 * 3600 + 5 * 60), "3h05m");
  EXPECT_EQ(human_uptime(2 * 86400 + 3 * 3600), "2d03h");
}

}  // namespace
}  // namespace tcpsight
