// The one place that talks to ncurses: owns the terminal while `top` runs (restored by the
// destructor, so every exit path restores it), draws a Screen, reads keys with a timeout.
#pragma once

#include <optional>

#include "top/screen.hpp"
#include "top/view_state.hpp"

struct screen;  // ncurses' SCREEN

namespace tcpsight {

class CursesTerminal {
 public:
  // Takes over the terminal on stdin/stdout. Throws UserError when the terminal cannot be used.
  CursesTerminal();
  ~CursesTerminal();
  CursesTerminal(const CursesTerminal&) = delete;
  CursesTerminal& operator=(const CursesTerminal&) = delete;

  TermSize size() const;
  bool unicode() const { return unicode_; }
  bool colour() const { return colour_; }

  // Draws the screen; does nothing when it equals what is already shown.
  void draw(const Screen& screen);
  // Waits up to timeout_ms for a key; nullopt on timeout, on a signal, or for a key the view ignores.
  std::optional<Key> read_key(int timeout_ms);

 private:
  int attributes(Style style) const;

  ::screen* screen_ = nullptr;
  bool unicode_ = false;
  bool colour_ = false;
  Screen shown_;
};

}  // namespace tcpsight
