#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "providers/cloud/speech_wire.hpp"
#include "ringoverbot/audio.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers::cloud;
using namespace std::string_literals;

TEST_CASE("providers: cloud speech multipart body is byte-exact") {
    const std::vector<FormPart> parts = {
        {"file", "turn.wav", "audio/wav", "RIFF\0\x01\r\n"s},
        {"model", "", "", "whisper-1"},
        {"we\"ird\r\nname", "", "", ""},
    };
    CHECK(build_multipart("XyZ", parts) ==
          "--XyZ\r\n"
          "Content-Disposition: form-data; name=\"file\"; filename=\"turn.wav\"\r\n"
          "Content-Type: audio/wav\r\n"
          "\r\n"
          "RIFF\0\x01\r\n\r\n"
          "--XyZ\r\n"
          "Content-Disposition: form-data; name=\"model\"\r\n"
          "\r\n"
          "whisper-1\r\n"
          "--XyZ\r\n"
          "Content-Disposition: form-data; name=\"we%22ird%0D%0Aname\"\r\n"
          "\r\n"
          "\r\n"
          "--XyZ--\r\n"s);
    CHECK(build_multipart("b", {}) == "--b--\r\n");
}

TEST_CASE("providers: cloud speech multipart boundary never occurs in the parts") {
    const std::vector<FormPart> none;
    const auto b1 = multipart_boundary(none, 1);
    CHECK(b1 == multipart_boundary(none, 1));  // deterministic
    CHECK(b1 != multipart_boundary(none, 2));
    CHECK(b1.size() <= 70);
    CHECK(b1.find_first_not_of("-abcdefghijklmnopqrstuvwxyz0123456789") == std::string::npos);

    // Data that holds the boundary the seed would give: another one is chosen.
    std::vector<FormPart> parts = {{"file", "a.wav", "audio/wav", "xx" + b1 + "yy"}};
    const auto b2 = multipart_boundary(parts, 1);
    CHECK(b2 != b1);
    CHECK(parts[0].data.find(b2) == std::string::npos);
    CHECK(b2.size() <= 70);
    parts[0].data += b2;
    const auto b3 = multipart_boundary(parts, 1);
    CHECK(parts[0].data.find(b3) == std::string::npos);
}

TEST_CASE("providers: cloud speech OpenAI transcription form and answer") {
    TranscriptionParams p;
    p.language = "fr";
    p.prompt = "Ringover, SIP";
    const auto parts = transcription_form(p, "WAVDATA");
    REQUIRE(parts.size() == 5);
    CHECK(parts[0].name == "file");
    CHECK(parts[0].filename == "turn.wav");
    CHECK(parts[0].content_type == "audio/wav");
    CHECK(parts[0].data == "WAVDATA");
    CHECK(parts[1].name == "model");
    CHECK(parts[1].data == "whisper-1");
    CHECK(parts[2].name == "response_format");
    CHECK(parts[2].data == "verbose_json");  // whisper's segments carry its confidence
    CHECK(parts[3].name == "language");
    CHECK(parts[3].data == "fr");
    CHECK(parts[4].name == "prompt");
    CHECK(parts[4].data == "Ringover, SIP");
    CHECK(transcription_form(TranscriptionParams{}, "").size() == 3);

    const auto t = parse_transcription(
        R"({"text":"I'd like to speak to sales, please.","usage":{"type":"duration","seconds":3}})");
    REQUIRE(t.ok());
    CHECK(t->text == "I'd like to speak to sales, please.");
    CHECK(t->confidence == -1);  // a plain json answer says nothing of it
    CHECK(parse_transcription(R"({"text":""})").value().text.empty());
    CHECK(parse_transcription("").code() == Errc::protocol);
    CHECK(parse_transcription(R"({"txt":"a"})").code() == Errc::protocol);
    CHECK(parse_transcription(R"(["a"])").code() == Errc::protocol);
    const auto err = parse_transcription(
        R"({"error":{"message":"Invalid file format.","type":"invalid_request_error","param":null,"code":null}})");
    CHECK(err.code() == Errc::protocol);
    CHECK(err.error().message.find("Invalid file format.") != std::string::npos);
}

TEST_CASE("providers: cloud speech OpenAI transcription asks each model for its confidence") {
    CHECK(transcription_confidence_of("whisper-1") == TranscriptionConfidence::segments);
    CHECK(transcription_confidence_of("whisper-large-v3") == TranscriptionConfidence::segments);
    CHECK(transcription_confidence_of("gpt-4o-transcribe") == TranscriptionConfidence::logprobs);
    CHECK(transcription_confidence_of("gpt-4o-mini-transcribe") ==
          TranscriptionConfidence::logprobs);
    CHECK(transcription_confidence_of("gpt-4o-mini-transcribe-2025-03-20") ==
          TranscriptionConfidence::logprobs);
    CHECK(transcription_confidence_of("gpt-4o-transcribe-diarize") ==
          TranscriptionConfidence::none);
    CHECK(transcription_confidence_of("my-local-asr") == TranscriptionConfidence::none);

    const auto names = [](const std::vector<FormPart>& parts) {
        std::string out;
        for (const auto& p : parts) out += p.name + "=" + (p.filename.empty() ? p.data : "") + ";";
        return out;
    };
    TranscriptionParams p;
    p.model = "gpt-4o-mini-transcribe";
    CHECK(names(transcription_form(p, "W")) ==
          "file=;model=gpt-4o-mini-transcribe;response_format=json;include[]=logprobs;");
    p.model = "whisper-1";
    CHECK(names(transcription_form(p, "W")) ==
          "file=;model=whisper-1;response_format=verbose_json;");
    p.model = "other";
    CHECK(names(transcription_form(p, "W")) == "file=;model=other;response_format=json;");
}

TEST_CASE("providers: cloud speech OpenAI transcription confidence from logprobs") {
    // gpt-4o-mini-transcribe with include[]=logprobs, as the API answers it.
    const auto t = parse_transcription(
        R"({"text":"Sales, please.","logprobs":[{"token":"Sales","logprob":-0.2,)"
        R"("bytes":[83,97,108,101,115]},{"token":",","logprob":-0.4,"bytes":[44]},)"
        R"({"token":" please","logprob":0.0,"bytes":[32,112,108,101,97,115,101]},)"
        R"({"token":".","logprob":-0.2,"bytes":[46]}],"usage":{"type":"tokens",)"
        R"("input_tokens":14,"input_token_details":{"text_tokens":0,"audio_tokens":14},)"
        R"("output_tokens":4,"total_tokens":18}})");
    REQUIRE(t.ok());
    CHECK(t->text == "Sales, please.");
    CHECK(t->confidence == doctest::Approx(std::exp(-0.2)));  // exp of the mean, -0.8 / 4

    // Entries that are not numbers are skipped; a positive log probability counts as 0; none
    // at all is unknown; a hopeless one is 0, never negative.
    CHECK(parse_transcription(R"({"text":"a","logprobs":[{"logprob":"x"},{"logprob":-1},)"
                              R"(7,null,{"token":"b"}]})")
              ->confidence == doctest::Approx(std::exp(-1.0)));
    CHECK(parse_transcription(R"({"text":"a","logprobs":[{"logprob":3.5}]})")->confidence == 1.0);
    CHECK(parse_transcription(R"({"text":"a","logprobs":[]})")->confidence == -1);
    CHECK(parse_transcription(R"({"text":"a","logprobs":{"logprob":-1}})")->confidence == -1);
    CHECK(parse_transcription(R"({"text":"a","logprobs":[{"logprob":-1e308},{"logprob":-1e308}]})")
              ->confidence == 0.0);
}

TEST_CASE("providers: cloud speech OpenAI transcription confidence from verbose_json segments") {
    // whisper-1's verbose_json: two segments, 3 s and 1 s long.
    const auto t = parse_transcription(
        R"({"task":"transcribe","language":"english","duration":4.0,"text":"What are your )"
        R"(opening hours? Thanks.","segments":[{"id":0,"seek":0,"start":0.0,"end":3.0,)"
        R"("text":" What are your opening hours?","tokens":[50364,708,366,428,5193,2496,30,)"
        R"(50514],"temperature":0.0,"avg_logprob":-0.1,"compression_ratio":0.8,)"
        R"("no_speech_prob":0.02},{"id":1,"seek":300,"start":3.0,"end":4.0,"text":" Thanks.",)"
        R"("tokens":[50514,2561,13,50564],"temperature":0.0,"avg_logprob":-0.7,)"
        R"("compression_ratio":0.6,"no_speech_prob":0.5}],"usage":{"type":"duration",)"
        R"("seconds":4}})");
    REQUIRE(t.ok());
    CHECK(t->text == "What are your opening hours? Thanks.");
    const double first = std::exp(-0.1) * 0.98, second = std::exp(-0.7) * 0.5;
    CHECK(t->confidence == doctest::Approx((3 * first + 1 * second) / 4));

    // Whisper's words over silence: likely tokens, but most likely no speech at all.
    CHECK(parse_transcription(
              R"({"text":" Thank you.","segments":[{"start":0.0,"end":2.0,"avg_logprob":-0.05,)"
              R"("no_speech_prob":0.97}]})")
              ->confidence < 0.05);
    // No segments (silence), or segments without avg_logprob: unknown. Without times the
    // segments weigh alike; a missing no_speech_prob counts as 0; hostile values stay bounded.
    CHECK(parse_transcription(R"({"text":"","segments":[]})")->confidence == -1);
    CHECK(parse_transcription(R"({"text":"a","segments":[{"start":0,"end":1}]})")->confidence ==
          -1);
    CHECK(parse_transcription(R"({"text":"a","segments":[{"avg_logprob":0},)"
                              R"({"avg_logprob":-1e300,"no_speech_prob":0}]})")
              ->confidence == doctest::Approx(0.5));
    const double c =
        parse_transcription(R"({"text":"a","segments":[{"avg_logprob":2,"no_speech_prob":-3,)"
                            R"("start":-1e308,"end":1e308},{"avg_logprob":-1,"no_speech_prob":9,)"
                            R"("start":5,"end":4}]})")
            ->confidence;
    CHECK(c >= 0.0);
    CHECK(c <= 1.0);
    // Token logprobs win over segments when an answer has both.
    CHECK(parse_transcription(R"({"text":"a","logprobs":[{"logprob":0}],)"
                              R"("segments":[{"avg_logprob":-5}]})")
              ->confidence == 1.0);
}

TEST_CASE("providers: cloud speech WAV for the transcription upload") {
    const std::vector<std::int16_t> samples = {0, 1, -1, 32767, -32768};
    const auto wav = wav_bytes(samples, 8000);
    REQUIRE(wav.size() == 44 + 2 * samples.size());
    CHECK(wav.substr(0, 4) == "RIFF");
    CHECK(wav.substr(8, 4) == "WAVE");
    const auto parsed = audio::parse_wav(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(wav.data()), wav.size()));
    REQUIRE(parsed.ok());
    CHECK(parsed->sample_rate_hz == 8000);
    CHECK(parsed->channels == 1);
    CHECK(parsed->samples == samples);
}

TEST_CASE("providers: cloud speech OpenAI speech request") {
    OpenAiSpeechParams p;
    CHECK(
        openai_speech_request(p, "Hello \"there\"") ==
        R"({"model":"gpt-4o-mini-tts","input":"Hello \"there\"","voice":"alloy","response_format":"pcm"})");
    p.speed = 1.25;
    p.instructions = "Speak calmly.";
    p.voice = "coral";
    CHECK(
        openai_speech_request(p, "Hi") ==
        R"({"model":"gpt-4o-mini-tts","input":"Hi","voice":"coral","response_format":"pcm","speed":1.25,"instructions":"Speak calmly."})");
    CHECK(kOpenAiPcmRate == 24000);
}

TEST_CASE("providers: cloud speech ElevenLabs request, path and format") {
    ElevenLabsParams p;
    CHECK(elevenlabs_request(p, "Bonjour\n") ==
          R"({"text":"Bonjour\n","model_id":"eleven_flash_v2_5"})");
    p.stability = 0.5;
    CHECK(elevenlabs_request(p, "a") ==
          R"({"text":"a","model_id":"eleven_flash_v2_5","voice_settings":{"stability":0.5}})");
    p.similarity_boost = 0.75;
    CHECK(
        elevenlabs_request(p, "a") ==
        R"({"text":"a","model_id":"eleven_flash_v2_5","voice_settings":{"stability":0.5,"similarity_boost":0.75}})");

    CHECK(elevenlabs_stream_path(p, "ulaw_8000") ==
          "/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream?output_format=ulaw_8000");
    p.voice_id = "../x y";
    CHECK(elevenlabs_stream_path(p, "pcm_16000") ==
          "/text-to-speech/..%2Fx%20y/stream?output_format=pcm_16000");

    CHECK(elevenlabs_output_format(8000) == "ulaw_8000");
    CHECK(elevenlabs_output_format(16000) == "pcm_16000");
    CHECK(elevenlabs_output_format(24000) == "pcm_24000");
    CHECK(elevenlabs_output_format(44100) == "pcm_44100");
    CHECK(elevenlabs_output_format(12000) == "pcm_16000");  // nearest above
    CHECK(elevenlabs_output_format(96000) == "pcm_48000");  // the highest
}

namespace {

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return b;
}

std::vector<std::int16_t> decode_chunks(AudioBodyDecoder dec, std::span<const std::uint8_t> all,
                                        const std::vector<std::size_t>& cuts) {
    std::vector<std::int16_t> got, out;
    std::size_t at = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        const std::size_t end = i < cuts.size() ? cuts[i] : all.size();
        dec.feed(all.subspan(at, end - at), out);
        got.insert(got.end(), out.begin(), out.end());
        at = end;
    }
    return got;
}

}  // namespace

TEST_CASE("providers: cloud speech s16le body decodes the same across any split") {
    const auto bytes = random_bytes(101, 7);  // odd: the last byte stays pending
    const std::span<const std::uint8_t> all(bytes);
    std::vector<std::int16_t> expected(50);
    for (std::size_t i = 0; i < 50; ++i)
        expected[i] = static_cast<std::int16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));

    AudioBodyDecoder whole(AudioBodyDecoder::Format::pcm_s16le, 24000);
    std::vector<std::int16_t> out;
    whole.feed(all, out);
    CHECK(out == expected);
    CHECK(whole.has_partial());

    for (std::size_t i = 0; i <= all.size(); ++i) {
        CAPTURE(i);
        REQUIRE(decode_chunks(whole, all, {i}) == decode_chunks(whole, all, {}));
        AudioBodyDecoder d(AudioBodyDecoder::Format::pcm_s16le, 24000);
        REQUIRE(decode_chunks(d, all, {i}) == expected);
    }
    // One byte at a time, and random three-way splits.
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < all.size(); ++i) every.push_back(i);
    AudioBodyDecoder d(AudioBodyDecoder::Format::pcm_s16le, 24000);
    CHECK(decode_chunks(d, all, every) == expected);
    std::mt19937 rng(3);
    for (int k = 0; k < 200; ++k) {
        std::size_t a = rng() % 102, b = rng() % 102;
        if (a > b) std::swap(a, b);
        REQUIRE(decode_chunks(d, all, {a, b}) == expected);
    }

    // The odd byte waits for its partner across an empty chunk.
    AudioBodyDecoder e(AudioBodyDecoder::Format::pcm_s16le, 16000);
    const std::uint8_t lo[] = {0x34}, hi[] = {0x12, 0xff};
    e.feed(lo, out);
    CHECK(out.empty());
    CHECK(e.has_partial());
    e.feed({}, out);
    CHECK(out.empty());
    CHECK(e.has_partial());
    e.feed(hi, out);
    CHECK(out == std::vector<std::int16_t>{0x1234});
    CHECK(e.has_partial());
}

TEST_CASE("providers: cloud speech ulaw body and no allocation with capacity") {
    const auto bytes = random_bytes(160, 11);
    AudioBodyDecoder d(AudioBodyDecoder::Format::ulaw, 8000);
    std::vector<std::int16_t> out;
    out.reserve(160);
    const auto* before = out.data();
    d.feed(bytes, out);
    CHECK(out.data() == before);
    REQUIRE(out.size() == 160);
    for (std::size_t i = 0; i < 160; ++i) REQUIRE(out[i] == audio::ulaw_decode(bytes[i]));
    CHECK_FALSE(d.has_partial());
    CHECK(audio::ulaw_decode(std::uint8_t{0xFF}) == 0);  // µ-law silence

    AudioBodyDecoder p(AudioBodyDecoder::Format::pcm_s16le, 16000);
    std::vector<std::int16_t> pcm;
    pcm.reserve(80);
    const auto* pb = pcm.data();
    p.feed(std::span<const std::uint8_t>(bytes).subspan(0, 159), pcm);
    p.feed(std::span<const std::uint8_t>(bytes).subspan(159), pcm);
    CHECK(pcm.data() == pb);
    CHECK(pcm.size() == 1);
}

TEST_CASE("providers: cloud speech decoder from an output format name") {
    const auto u = AudioBodyDecoder::for_output_format("ulaw_8000");
    REQUIRE(u.ok());
    CHECK(u->format() == AudioBodyDecoder::Format::ulaw);
    CHECK(u->sample_rate_hz() == 8000);
    const auto p = AudioBodyDecoder::for_output_format("pcm_16000");
    REQUIRE(p.ok());
    CHECK(p->format() == AudioBodyDecoder::Format::pcm_s16le);
    CHECK(p->sample_rate_hz() == 16000);
    const auto o = AudioBodyDecoder::for_output_format("pcm");
    REQUIRE(o.ok());
    CHECK(o->sample_rate_hz() == kOpenAiPcmRate);
    for (const std::string_view bad : {"mp3_44100_128", "alaw_8000", "pcm_", "pcm_16000x", "pcm_-1",
                                       "pcm_0", "pcm_99999999999", "", "opus_48000"}) {
        CAPTURE(bad);
        CHECK(AudioBodyDecoder::for_output_format(bad).code() == Errc::invalid_argument);
    }
}

TEST_CASE("providers: cloud speech error bodies") {
    CHECK(
        error_body_message(
            R"({"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})") ==
        "Incorrect API key provided: sk-abc***xyz.");
    CHECK(
        error_body_message(
            R"({"detail":{"status":"quota_exceeded","message":"This request exceeds your quota."}})") ==
        "This request exceeds your quota.");
    CHECK(error_body_message(R"({"detail":"Not Found"})") == "Not Found");
    CHECK(
        error_body_message(
            R"({"detail":[{"loc":["body","text"],"msg":"field required","type":"value_error.missing"}]})") ==
        "field required");
    CHECK(error_body_message(
              R"({"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"x"})") ==
          "Invalid credentials.");
    CHECK(error_body_message(R"({"error":"model not found"})") == "model not found");
    // Not a known form: the raw start, control characters replaced.
    CHECK(error_body_message("<html>\r\n<h1>502 Bad Gateway</h1>\n</html>") ==
          "<html>  <h1>502 Bad Gateway</h1> </html>");
    CHECK(error_body_message(R"({"message":"x"})") == R"({"message":"x"})");
    CHECK(error_body_message("").empty());
    const std::string big(5000, 'z');
    CHECK(error_body_message(big).size() == 200);
    CHECK(error_body_message(R"({"error":{"message":")" + big + "\"}}") == std::string(300, 'z'));
    // A multi-byte character at the cut is not split.
    const std::string euros = std::string(199, 'a') + "\xe2\x82\xac" + "tail";
    CHECK(error_body_message(euros) == std::string(199, 'a'));
    const std::string msg_nl = R"({"detail":"line1\nline2"})";
    CHECK(error_body_message(msg_nl) == "line1 line2");
}
