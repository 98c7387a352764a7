// Per-cluster work runs concurrently: one worker per item, the calling thread
// among them. The number of items
// is the number of clusters (a handful to a few dozen), so a pool would only
// add machinery. Work within one cluster (its links) takes a bound, so one
// API server never sees more than a few requests at once from meshctl.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <optional>
#include <thread>
#include <vector>

namespace meshctl {

// Calls fn(i) for i in [0, count) on at most max_threads threads (0: one per
// item) and returns the results in index order. fn must not throw.
template <class T, class Fn>
std::vector<T> parallel_map(std::size_t count, Fn&& fn, std::size_t max_threads = 0) {
  std::vector<std::optional<T>> slots(count);  // T need not be default-constructible
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++)
      slots[i].emplace(fn(i));
  };
  std::size_t n_threads = max_threads == 0 ? count : std::min(count, max_threads);
  // The calling thread is one of the workers: it would only wait otherwise,
  // and each thread costs a stack and, in glibc, possibly a malloc arena.
  std::vector<std::thread> threads;
  threads.reserve(n_threads > 0 ? n_threads - 1 : 0);
  for (std::size_t t = 1; t < n_threads; ++t)
    threads.emplace_back(worker);
  if (n_threads > 0)
    worker();
  for (auto& t : threads)
    t.join();
  std::vector<T> results;
  results.reserve(count);
  for (auto& slot : slots)
    results.push_back(std::move(*slot));
  return results;
}

}  // namespace meshctl
