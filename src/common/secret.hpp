// Comparing secrets (tokens, MACs) so that the time taken does not tell where they differ.
#pragma once

#include <string_view>

namespace ringoverbot::secret {

// True when `a` and `b` hold the same bytes. It never returns early: it reads every byte of
// both, up to the longer length (a side past its end reads as 0), with no branch on their
// content, and folds the length difference into the result. Its time therefore depends on the
// longer length alone: neither on where the first difference is nor on whether the lengths
// match. The lengths themselves are not hidden.
bool equal(std::string_view a, std::string_view b) noexcept;

}  // namespace ringoverbot::secret
