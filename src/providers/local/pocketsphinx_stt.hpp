// What the pocketsphinx provider's decoder pool holds (for tests and diagnostics); the
// provider itself is made by make_pocketsphinx_stt() in ringoverbot/providers.hpp.
#pragma once

#include <optional>

#include "providers/local/pocketsphinx_decoders.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::providers::local {

// nullopt when `stt` is not a pocketsphinx provider.
std::optional<DecoderPoolStats> pocketsphinx_decoder_stats(const SttProvider& stt);

}  // namespace ringoverbot::providers::local
