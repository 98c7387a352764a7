// "Did you mean": the closest of some words to a mistyped one.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace meshctl {

// The candidate nearest to `typed` by edit distance (insertions, deletions,
// substitutions, and swaps of two neighbours), when it is close enough to be a
// typo: at most a third of the longer word's letters differ (and at least one
// may). Ties go to the earlier candidate.
std::optional<std::string> closest_word(const std::string& typed, const std::vector<std::string>& candidates);

}  // namespace meshctl
