// Gathering at scrape time: scrapes close together share one gathering, failures reach the
// scraper and /healthz, and the HTTP workers stay bounded in number and queue length.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "serve/bounded_task_queue.hpp"
#include "serve/scrape_cache.hpp"

namespace tcpsight {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  double now = 100;
  ScrapeCache::Clock fn() {
    return [this] { return now; };
  }
};

TEST(ScrapeCache, ScrapesWithinMaxAgeShareOneGathering) {
  FakeClock clock;
  int gathered = 0;
  ScrapeCache cache([&] { ++gathered; clock.now += 0.01; return ScrapeInput{}; }, 0.25, clock.fn());
  const auto first = cache.get();
  clock.now += 0.1;
  const auto second = cache.get();
  EXPECT_EQ(gathered, 1);
  EXPECT_EQ(first, second);
  EXPECT_EQ(first->gathers_total, 1u);
  EXPECT_NEAR(first->gather_seconds, 0.01, 1e-9) << "timed with the cache's clock";

  clock.now += 0.2;  // 0.3 s after the gathering ended
  const auto third = cache.get();
  EXPECT_EQ(gathered, 2);
  EXPECT_EQ(third->gathers_total, 2u);
}

TEST(ScrapeCache, SeriesDroppedAddUpOverGatherings) {
  FakeClock clock;
  ScrapeCache cache(
      [] {
        ScrapeInput in;
        in.listeners.dropped = 3;
        in.destinations.dropped = 5;
        return in;
      },
      0.25, clock.fn());
  const auto first = cache.get();
  EXPECT_EQ(first->listener_series_dropped_total, 3u);
  EXPECT_EQ(first->destination_series_dropped_total, 5u);
  clock.now += 1;
  const auto second = cache.get();
  EXPECT_EQ(second->listener_series_dropped_total, 6u);
  EXPECT_EQ(second->destination_series_dropped_total, 10u);
}

TEST(ScrapeCache, AFailedGatheringReachesTheCallerAndHealthUntilOneSucceeds) {
  FakeClock clock;
  bool fail = true;
  ScrapeCache cache([&]() -> ScrapeInput { if (fail) throw std::runtime_error("snapshot failed"); return {}; },
                    0.25, clock.fn());
  EXPECT_TRUE(cache.healthy()) << "healthy before the first gathering";
  EXPECT_THROW(cache.get(), std::runtime_error);
  EXPECT_FALSE(cache.healthy());
  EXPECT_EQ(cache.last_error(), "snapshot failed");
  fail = false;
  EXPECT_NO_THROW(cache.get()) << "a failure is not cached: the next scrape tries again";
  EXPECT_TRUE(cache.healthy());
}

TEST(ScrapeCache, AFailingGatheringIsToldOnceUntilItSucceedsOrItsErrorChanges) {
  FakeClock clock;
  std::string error = "snapshot failed";
  std::vector<std::string> warned;
  ScrapeCache cache([&]() -> ScrapeInput { if (!error.empty()) throw std::runtime_error(error); return {}; },
                    0.25, clock.fn(), [&](const std::string& e) { warned.push_back(e); });
  for (int i = 0; i < 3; ++i) EXPECT_THROW(cache.get(), std::runtime_error);
  error = "map read failed";
  EXPECT_THROW(cache.get(), std::runtime_error);
  error.clear();
  EXPECT_NO_THROW(cache.get());
  error = "map read failed";
  clock.now += 1;  // past max_age: the next call gathers again
  EXPECT_THROW(cache.get(), std::runtime_error);
  EXPECT_EQ(warned, (std::vector<std::string>{"snapshot failed", "map read failed", "map read failed"}));
}

TEST(ScrapeCache, ConcurrentScrapersWaitForOneGathering) {
  std::atomic<int> gathered{0}, running{0}, most_running{0};
  ScrapeCache cache(
      [&] {
        const int now = ++running;
        most_running = std::max(most_running.load(), now);
        ++gathered;
        std::this_thread::sleep_for(30ms);
        --running;
        return ScrapeInput{};
      },
      0.25, [] { return 0.0; });  // time stands still: whoever waited gets the one gathering
  std::vector<std::thread> scrapers;
  for (int i = 0; i < 16; ++i) scrapers.emplace_back([&] { cache.get(); });
  for (auto& t : scrapers) t.join();
  EXPECT_EQ(gathered, 1);
  EXPECT_EQ(most_running, 1) << "gathering is serialized";
  EXPECT_EQ(cache.get()->gathers_total, 1u);
}

TEST(BoundedTaskQueue, RunsEveryTaskOnAtMostItsThreads) {
  std::atomic<int> done{0}, running{0}, most_running{0};
  {
    BoundedTaskQueue queue(3, 100);
    for (int i = 0; i < 40; ++i)
      queue.enqueue([&] {
        const int now = ++running;
        int seen = most_running.load();
        while (now > seen && !most_running.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(2ms);
        --running;
        ++done;
      });
    queue.shutdown();
  }
  EXPECT_EQ(done, 40) << "shutdown runs what was queued";
  EXPECT_LE(most_running, 3);
  EXPECT_GE(most_running, 2) << "the threads do work in parallel";
}

TEST(BoundedTaskQueue, EnqueueWaitsWhileTheQueueIsFull) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  BoundedTaskQueue queue(1, 2);
  std::atomic<int> done{0};
  const auto blocked_task = [&] { released.wait(); ++done; };
  std::promise<void> started;
  queue.enqueue([&] { started.set_value(); blocked_task(); });  // taken by the one worker
  started.get_future().wait();
  queue.enqueue(blocked_task);  // queued 1
  queue.enqueue(blocked_task);  // queued 2: full
  auto fourth = std::async(std::launch::async, [&] { queue.enqueue(blocked_task); });
  EXPECT_EQ(fourth.wait_for(100ms), std::future_status::timeout) << "a full queue holds the acceptor back";
  release.set_value();
  EXPECT_EQ(fourth.wait_for(2s), std::future_status::ready);
  queue.shutdown();
  EXPECT_EQ(done, 4);
}

TEST(BoundedTaskQueue, ATaskThatThrowsDoesNotTakeItsWorkerDown) {
  std::atomic<int> done{0};
  BoundedTaskQueue queue(1, 4);
  queue.enqueue([] { throw std::runtime_error("boom"); });
  queue.enqueue([&] { ++done; });
  queue.shutdown();
  EXPECT_EQ(done, 1);
}

}  // namespace
}  // namespace tcpsight
