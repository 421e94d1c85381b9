#include <doctest/doctest.h>

#include <string>

#include "providers/cloud/deepgram_wire.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers::cloud;

TEST_CASE("providers: cloud deepgram query has the documented parameter names") {
    DeepgramParams p;
    CHECK(deepgram_listen_query(p) ==
          "?model=nova-2-phonecall&language=en-US&encoding=linear16&sample_rate=16000&channels=1"
          "&interim_results=true&endpointing=300&utterance_end_ms=1000&vad_events=true"
          "&punctuate=true&smart_format=false");

    // 8 kHz mu-law straight from the phone line; endpointing off; no utterance end.
    p.encoding = "mulaw";
    p.sample_rate = 8000;
    p.endpointing_ms = 0;
    p.utterance_end_ms = 0;
    p.vad_events = false;
    p.punctuate = false;
    p.smart_format = true;
    p.language = "fr";
    p.model = "nova-3";
    CHECK(deepgram_listen_query(p) ==
          "?model=nova-3&language=fr&encoding=mulaw&sample_rate=8000&channels=1"
          "&interim_results=true&endpointing=false&vad_events=false&punctuate=false"
          "&smart_format=true");

    // utterance_end_ms needs interim results; values are URL-encoded.
    p.interim_results = false;
    p.utterance_end_ms = 1500;
    p.model = "custom model/v1&x=1";
    p.language = "";
    const auto q = deepgram_listen_query(p);
    CHECK(q.find("utterance_end_ms") == std::string::npos);
    CHECK(q.find("interim_results=false") != std::string::npos);
    CHECK(q.rfind("?model=custom%20model%2Fv1%26x%3D1&encoding=", 0) == 0);
    CHECK(q.find("language") == std::string::npos);
}

TEST_CASE("providers: cloud deepgram Results") {
    const std::string final_result =
        R"({"type":"Results","channel_index":[0,1],"duration":1.98,"start":5.99,"is_final":true,)"
        R"("speech_final":true,"channel":{"alternatives":[{"transcript":"I'd like to speak to )"
        R"(sales.","confidence":0.99707,"words":[{"word":"i'd","start":6.08,"end":6.32,)"
        R"("confidence":0.99,"punctuated_word":"I'd"},{"word":"like","start":6.32,"end":6.48,)"
        R"("confidence":0.998,"punctuated_word":"like"}]}]},"metadata":{"request_id":)"
        R"("52cc0efe-fa77-4aa7-b79c-0dda09de2f14","model_info":{"name":"2-phonecall-nova",)"
        R"("version":"2024-01-11.7429","arch":"nova-2"},"model_uuid":)"
        R"("3b7f4a2e-2b5d-4f6c-8a5e-6f1c2d3e4f5a"},"from_finalize":false})";
    const auto m = parse_deepgram_message(final_result);
    REQUIRE(m.ok());
    CHECK(m->kind == DeepgramKind::results);
    CHECK(m->transcript == "I'd like to speak to sales.");
    CHECK(m->is_final);
    CHECK(m->speech_final);
    CHECK_FALSE(m->from_finalize);
    CHECK(m->start_s == doctest::Approx(5.99));
    CHECK(m->duration_s == doctest::Approx(1.98));
    CHECK(m->confidence == doctest::Approx(0.99707));

    // An interim result (no speech_final, integer times) and a Finalize answer.
    const auto interim = parse_deepgram_message(
        R"({"type":"Results","channel_index":[0,1],"duration":1,"start":0,"is_final":false,)"
        R"("channel":{"alternatives":[{"transcript":"I'd like","confidence":0.9,"words":[]}]}})");
    REQUIRE(interim.ok());
    CHECK(interim->transcript == "I'd like");
    CHECK_FALSE(interim->is_final);
    CHECK_FALSE(interim->speech_final);
    CHECK(interim->duration_s == 1.0);
    CHECK(interim->confidence == doctest::Approx(0.9));
    const auto fin = parse_deepgram_message(
        R"({"type":"Results","is_final":true,"speech_final":false,"from_finalize":true,)"
        R"("start":3.5,"duration":0.25,"channel":{"alternatives":[{"transcript":""}]}})");
    REQUIRE(fin.ok());
    CHECK(fin->from_finalize);
    CHECK(fin->transcript.empty());
    CHECK(fin->confidence == -1);  // no confidence: unknown
    // Results without alternatives: an empty transcript, not an error.
    const auto none = parse_deepgram_message(R"({"type":"Results","channel":{"alternatives":[]}})");
    REQUIRE(none.ok());
    CHECK(none->transcript.empty());
}

TEST_CASE("providers: cloud deepgram confidence is a probability or unknown") {
    const auto with = [](std::string_view confidence) {
        const auto m = parse_deepgram_message(
            R"({"type":"Results","is_final":true,"channel":{"alternatives":[{"transcript":"yes",)"
            R"("confidence":)" +
            std::string(confidence) + "}]}}");
        REQUIRE(m.ok());
        CHECK(m->transcript == "yes");
        return m->confidence;
    };
    CHECK(with("0") == 0.0);
    CHECK(with("1") == 1.0);  // an integer is a number too
    CHECK(with("0.5e0") == 0.5);
    CHECK(with("1.0000001") == -1);
    CHECK(with("-0.1") == -1);
    CHECK(with("1e308") == -1);
    CHECK(with(R"("0.9")") == -1);
    CHECK(with("null") == -1);
    CHECK(with("true") == -1);
    CHECK(with("[0.9]") == -1);
    CHECK(with(R"({"value":0.9})") == -1);
    // Out of the number range of a double: the message is undecodable, as any bad JSON.
    CHECK(parse_deepgram_message(
              R"({"type":"Results","channel":{"alternatives":[{"confidence":1e999}]}})")
              .code() == Errc::protocol);
}

TEST_CASE("providers: cloud deepgram UtteranceEnd, SpeechStarted, Metadata") {
    const auto ue =
        parse_deepgram_message(R"({"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.395})");
    REQUIRE(ue.ok());
    CHECK(ue->kind == DeepgramKind::utterance_end);
    CHECK(ue->time_s == doctest::Approx(2.395));

    const auto ss =
        parse_deepgram_message(R"({"type":"SpeechStarted","channel":[0],"timestamp":9.54})");
    REQUIRE(ss.ok());
    CHECK(ss->kind == DeepgramKind::speech_started);
    CHECK(ss->time_s == doctest::Approx(9.54));

    const auto md = parse_deepgram_message(
        R"({"type":"Metadata","transaction_key":"deprecated","request_id":)"
        R"("8c8ebea9-dbec-45fa-a035-e4632cb05b5f","sha256":)"
        R"("154e291ecfa8be6ab8343560bcc109008fa7853eb5372533e8efdefc9b504c33","created":)"
        R"("2024-02-06T19:56:16.180Z","duration":25.933313,"channels":1,"models":)"
        R"(["30089e05-99d1-4376-b32e-c263170674af"],"model_info":{)"
        R"("30089e05-99d1-4376-b32e-c263170674af":{"name":"2-general-nova","version":)"
        R"("2024-01-09.29447","arch":"nova-2"}}})");
    REQUIRE(md.ok());
    CHECK(md->kind == DeepgramKind::metadata);

    const auto other = parse_deepgram_message(R"({"type":"Warning","description":"x"})");
    REQUIRE(other.ok());
    CHECK(other->kind == DeepgramKind::other);
}

TEST_CASE("providers: cloud deepgram error frames") {
    const auto ws = parse_deepgram_message(
        R"({"type":"Error","description":"Failed to process the audio: corrupt or unsupported )"
        R"(data.","message":"DATA-0000","variant":"data"})");
    REQUIRE(ws.ok());
    CHECK(ws->kind == DeepgramKind::error);
    CHECK(ws->error == "Failed to process the audio: corrupt or unsupported data.");

    const auto http = parse_deepgram_message(
        R"({"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"1c2d"})");
    REQUIRE(http.ok());
    CHECK(http->kind == DeepgramKind::error);
    CHECK(http->error == "Invalid credentials.");

    const auto bare = parse_deepgram_message(R"({"type":"Error"})");
    REQUIRE(bare.ok());
    CHECK(bare->kind == DeepgramKind::error);
    CHECK_FALSE(bare->error.empty());
}

TEST_CASE("providers: cloud deepgram hostile or foreign text is protocol") {
    for (const std::string_view bad :
         {"", "{", "[]", "\"Results\"", "{}", R"({"type":1})", R"({"channel":{}})", "null",
          "{\"type\":\"Results\",\"channel\":\"\xff\"}", R"({"type":"Results"}garbage)"}) {
        CAPTURE(bad);
        const auto m = parse_deepgram_message(bad);
        CHECK(m.code() == Errc::protocol);
        CHECK_FALSE(m.error().message.empty());
    }
    // Fields of the wrong type read as absent.
    const auto m = parse_deepgram_message(
        R"({"type":"Results","is_final":"yes","start":"1","channel":{"alternatives":[{"transcript":5}]}})");
    REQUIRE(m.ok());
    CHECK_FALSE(m->is_final);
    CHECK(m->start_s == 0);
    CHECK(m->transcript.empty());
}

TEST_CASE("providers: cloud deepgram client messages") {
    CHECK(kDeepgramKeepAlive == R"({"type":"KeepAlive"})");
    CHECK(kDeepgramFinalize == R"({"type":"Finalize"})");
    CHECK(kDeepgramCloseStream == R"({"type":"CloseStream"})");
}
