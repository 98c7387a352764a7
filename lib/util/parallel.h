// Per-cluster work runs concurrently: one thread per item. The number of items
// is the number of clusters (a handful to a few dozen), so a pool would only
// add machinery.
#pragma once

#include <cstddef>
#include <optional>
#include <thread>
#include <vector>

namespace meshctl {

// Calls fn(i) for i in [0, count) on separate threads and returns the results
// in index order. fn must not throw.
template <class T, class Fn>
std::vector<T> parallel_map(std::size_t count, Fn&& fn) {
  std::vector<std::optional<T>> slots(count);  // T need not be default-constructible
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    threads.emplace_back([&slots, &fn, i] { slots[i].emplace(fn(i)); });
  }
  for (auto& t : threads)
    t.join();
  std::vector<T> results;
  results.reserve(count);
  for (auto& slot : slots)
    results.push_back(std::move(*slot));
  return results;
}

}  // namespace meshctl
