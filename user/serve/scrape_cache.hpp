// Gathers what a scrape shows at most once per `max_age`: scrapes arriving together wait for one
// gathering and share it, so many scrapers cost about as much as one. Gathering is serialized.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "serve/scrape_input.hpp"

namespace tcpsight {

class ScrapeCache {
 public:
  using Gather = std::function<ScrapeInput()>;
  using Clock = std::function<double()>;  // monotonic seconds
  using Warn = std::function<void(const std::string&)>;

  // `warn` hears of a failing gathering once, until one succeeds or the error changes.
  ScrapeCache(Gather gather, double max_age_s, Clock clock, Warn warn = {});

  // The latest input, gathered now when the cached one is older than max_age. Throws what
  // gathering throws (the next call tries again).
  std::shared_ptr<const ScrapeInput> get();

  // Whether the last gathering succeeded (true before the first); never waits for a gathering.
  bool healthy() const { return healthy_.load(); }
  std::string last_error() const;

 private:
  Gather gather_;
  double max_age_s_;
  Clock clock_;
  Warn warn_;

  std::mutex gather_mutex_;  // held while gathering
  std::shared_ptr<const ScrapeInput> latest_;
  double gathered_at_ = 0;
  uint64_t gathers_ = 0;
  uint64_t listener_series_dropped_ = 0;
  uint64_t destination_series_dropped_ = 0;

  std::atomic<bool> healthy_{true};
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

}  // namespace tcpsight
