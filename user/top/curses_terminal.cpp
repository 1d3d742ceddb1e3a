#include "top/curses_terminal.hpp"

#include <curses.h>
#include <langinfo.h>

#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/errors.hpp"

namespace tcpsight {

namespace {

// Colour pairs, one per style that has a colour.
enum Pair : short { kHeaderPair = 1, kTitlePair, kGoodPair, kWarnPair, kAlertPair, kBarPair };

bool wants_colour() {
  const char* no_colour = std::getenv("NO_COLOR");  // https://no-color.org
  return (no_colour == nullptr || *no_colour == '\0') && has_colors();
}

}  // namespace

CursesTerminal::CursesTerminal() {
  std::setlocale(LC_ALL, "");
  unicode_ = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  screen_ = newterm(nullptr, stdout, stdin);
  if (!screen_)
    throw UserError(
        "cannot use this terminal (TERM=" + std::string(std::getenv("TERM") ? std::getenv("TERM") : "") + ")",
        "set TERM to your terminal's type, or use `tcpsight stats`");
  set_term(screen_);
  // A terminal that cannot move its cursor (TERM=dumb) would show nothing useful.
  const char* move_cursor = tigetstr("cup");
  if (move_cursor == nullptr || move_cursor == reinterpret_cast<char*>(-1)) {
    endwin();
    delscreen(screen_);
    throw UserError("this terminal (TERM=" + std::string(std::getenv("TERM") ? std::getenv("TERM") : "") +
                        ") cannot position the cursor, which tcpsight top needs",
                    "use a full-screen terminal type (e.g. TERM=xterm), or `tcpsight stats`");
  }
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  colour_ = wants_colour();
  if (colour_) {
    start_color();
    const short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
    init_pair(kHeaderPair, COLOR_BLACK, COLOR_CYAN);
    init_pair(kTitlePair, COLOR_CYAN, bg);
    init_pair(kGoodPair, COLOR_GREEN, bg);
    init_pair(kWarnPair, COLOR_YELLOW, bg);
    init_pair(kAlertPair, COLOR_WHITE, COLOR_RED);
    init_pair(kBarPair, COLOR_GREEN, bg);
  }
}

CursesTerminal::~CursesTerminal() {
  endwin();
  delscreen(screen_);
}

TermSize CursesTerminal::size() const {
  int rows = 0, cols = 0;
  getmaxyx(stdscr, rows, cols);
  return {cols, rows};
}

int CursesTerminal::attributes(Style style) const {
  const auto c = [](short pair) { return static_cast<int>(COLOR_PAIR(pair)); };
  switch (style) {
    case Style::Normal:
      return A_NORMAL;
    case Style::Header:
      return colour_ ? c(kHeaderPair) : static_cast<int>(A_REVERSE);
    case Style::Title:
      return static_cast<int>(A_BOLD) | (colour_ ? c(kTitlePair) : 0);
    case Style::Label:
      return colour_ ? static_cast<int>(A_BOLD) : static_cast<int>(A_UNDERLINE);
    case Style::Dim:
      return static_cast<int>(A_DIM);
    case Style::Good:
      return colour_ ? c(kGoodPair) : A_NORMAL;
    case Style::Warn:
      return static_cast<int>(A_BOLD) | (colour_ ? c(kWarnPair) : 0);
    case Style::Alert:
      return static_cast<int>(A_BOLD) | (colour_ ? c(kAlertPair) : static_cast<int>(A_REVERSE));
    case Style::Bar:
      return colour_ ? c(kBarPair) : A_NORMAL;
    case Style::Selected:
      return static_cast<int>(A_REVERSE);
  }
  return A_NORMAL;
}

void CursesTerminal::draw(const Screen& screen) {
  if (screen == shown_) return;
  for (size_t r = 0; r < screen.rows.size(); ++r) {
    if (r < shown_.rows.size() && screen.rows[r] == shown_.rows[r] && screen.rows.size() == shown_.rows.size())
      continue;  // curses sends only changes anyway; this saves the work of building them
    move(static_cast<int>(r), 0);
    for (const Span& s : screen.rows[r].spans) {
      attrset(attributes(s.style));
      addstr(s.text.c_str());  // the bottom-right cell reports ERR but is drawn
    }
  }
  attrset(A_NORMAL);
  refresh();
  shown_ = screen;
}

std::optional<Key> CursesTerminal::read_key(int timeout_ms) {
  timeout(timeout_ms < 0 ? 0 : timeout_ms);
  const int ch = getch();
  switch (ch) {
    case ERR:
      return std::nullopt;
    case KEY_UP:
      return Key::of(Key::Kind::Up);
    case KEY_DOWN:
      return Key::of(Key::Kind::Down);
    case KEY_PPAGE:
      return Key::of(Key::Kind::PageUp);
    case KEY_NPAGE:
      return Key::of(Key::Kind::PageDown);
    case KEY_HOME:
      return Key::of(Key::Kind::Home);
    case KEY_END:
      return Key::of(Key::Kind::End);
    case KEY_RESIZE:
      shown_ = {};  // after a resize everything is drawn again
      clear();
      return Key::of(Key::Kind::Resize);
    case KEY_ENTER:
    case '\n':
    case '\r':
      return Key::of(Key::Kind::Enter);
    case 27:
      return Key::of(Key::Kind::Escape);
    case KEY_BACKSPACE:
    case 127:
    case 8:
      return Key::of(Key::Kind::Backspace);
    default:
      if (ch >= 0x20 && ch < 0x7f) return Key::character(static_cast<char>(ch));
      return std::nullopt;
  }
}

}  // namespace tcpsight
