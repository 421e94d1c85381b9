// simdjson side of JsonEngine, shared by the .cpp files that walk documents.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "webhook/json_engine.hpp"

namespace ringoverbot::webhook::detail {

struct JsonEngine::Impl {
    simdjson::ondemand::parser parser;
    std::string padded;  // input copy with SIMDJSON_PADDING spare bytes, reused

    // Copies `json` into the padded buffer and starts a document. The views the document
    // gives out die at the next load().
    simdjson::error_code load(std::string_view json, simdjson::ondemand::document& doc) {
        if (padded.capacity() < json.size() + simdjson::SIMDJSON_PADDING)
            padded.reserve(json.size() + simdjson::SIMDJSON_PADDING);
        padded.assign(json.data(), json.size());
        return parser
            .iterate(simdjson::padded_string_view(padded.data(), padded.size(), padded.capacity()))
            .get(doc);
    }
};

}  // namespace ringoverbot::webhook::detail
