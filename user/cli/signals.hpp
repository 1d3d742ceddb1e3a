// SIGINT and SIGTERM end a run cleanly: loops check stop_requested() and return, so every
// destructor runs and nothing stays attached. SIGPIPE is ignored: a closed pipe ends output.
#pragma once

namespace tcpsight {

void install_stop_signals();
bool stop_requested();

// Sleeps up to `seconds`, returning early (false) when a stop is requested.
bool sleep_unless_stopped(double seconds);

// CLOCK_MONOTONIC in seconds.
double monotonic_seconds();
double wall_seconds();

}  // namespace tcpsight
