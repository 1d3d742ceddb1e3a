#include "serve/scrape_cache.hpp"

#include <cmath>
#include <exception>
#include <utility>

namespace tcpsight {

ScrapeCache::ScrapeCache(Gather gather, double max_age_s, Clock clock, Warn warn)
    : gather_(std::move(gather)), max_age_s_(max_age_s), clock_(std::move(clock)), warn_(std::move(warn)) {}

std::shared_ptr<const ScrapeInput> ScrapeCache::get() {
  std::lock_guard lock(gather_mutex_);
  const double start = clock_();
  if (latest_ && start - gathered_at_ < max_age_s_) return latest_;
  try {
    auto input = std::make_shared<ScrapeInput>(gather_());
    const double end = clock_();
    input->gather_seconds = std::round((end - start) * 1e6) / 1e6;  // microseconds are plenty
    input->gathers_total = ++gathers_;
    listener_series_dropped_ += input->listener_series_dropped();
    input->listener_series_dropped_total = listener_series_dropped_;
    destination_series_dropped_ += input->destination_series_dropped();
    input->destination_series_dropped_total = destination_series_dropped_;
    latest_ = std::move(input);
    gathered_at_ = end;
    healthy_ = true;
    return latest_;
  } catch (const std::exception& e) {
    std::lock_guard error_lock(error_mutex_);
    if (warn_ && (healthy_ || last_error_ != e.what())) warn_(e.what());
    last_error_ = e.what();
    healthy_ = false;
    throw;
  }
}

std::string ScrapeCache::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

}  // namespace tcpsight
