// Typed access to a trusted Ringover envelope: the field traps of src/webhook/README.md (uint64
// call ids as numbers or strings, numbers-or-strings, 0/1 booleans, camelCase variants,
// ISO timestamps, nulls) are absorbed here so the host sees one text form per field.
#include <charconv>
#include <cstdint>
#include <string>

#include "common/json_writer.hpp"
#include "common/text.hpp"
#include "ringoverbot/webhook.hpp"
#include "webhook/json_engine_impl.hpp"

namespace ringoverbot::webhook {

namespace od = simdjson::ondemand;

namespace {

constexpr std::string_view field_names[field_count] = {"resource",
                                                       "event",
                                                       "timestamp",
                                                       "attempt",
                                                       "id",
                                                       "call_id",
                                                       "channel_id",
                                                       "user_id",
                                                       "direction",
                                                       "from_number",
                                                       "to_number",
                                                       "status",
                                                       "start_time",
                                                       "answered_time",
                                                       "hangup_time",
                                                       "duration_in_seconds",
                                                       "reason",
                                                       "code",
                                                       "query_search",
                                                       "body",
                                                       "message_id",
                                                       "conversation_id",
                                                       "record",
                                                       "record_link",
                                                       "voicemail_link",
                                                       "transcription_link",
                                                       "summary",
                                                       "comments",
                                                       "is_internal",
                                                       "is_anonymous",
                                                       "is_ivr",
                                                       "ivr_number",
                                                       "ivr_scenario_name",
                                                       "ivr_name",
                                                       "user_firstname",
                                                       "user_lastname",
                                                       "user_email"};

struct KindName {
    std::string_view resource, event, name;
    Kind kind;
};
constexpr KindName kinds[] = {
    {"call", "ringing", "call_ringing", Kind::call_ringing},
    {"call", "answered", "call_answered", Kind::call_answered},
    {"call", "hangup", "call_hangup", Kind::call_hangup},
    {"call", "missed", "call_missed", Kind::call_missed},
    {"call", "voicemail", "call_voicemail", Kind::call_voicemail},
    {"call", "contact", "call_contact", Kind::call_contact},
    {"call", "routing", "call_routing", Kind::call_routing},
    {"call", "ivr_response_code", "call_ivr_response_code", Kind::call_ivr_response_code},
    {"aftercall", "comments_updated", "aftercall_comments_updated",
     Kind::aftercall_comments_updated},
    {"aftercall", "tags_updated", "aftercall_tags_updated", Kind::aftercall_tags_updated},
    {"aftercall", "aftercall", "aftercall_aftercall", Kind::aftercall_aftercall},
    {"aftercall", "record_available", "aftercall_record_available",
     Kind::aftercall_record_available},
    {"aftercall", "voicemail_available", "aftercall_voicemail_available",
     Kind::aftercall_voicemail_available},
    {"aftercall", "transcription_available", "aftercall_transcription_available",
     Kind::aftercall_transcription_available},
    {"aftercall", "summary_available", "aftercall_summary_available",
     Kind::aftercall_summary_available},
    {"search", "contact", "search_contact", Kind::search_contact},
    {"sms", "sent", "sms_sent", Kind::sms_sent},
    {"sms", "received", "sms_received", Kind::sms_received},
};

std::string_view strip_plus(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '+')) s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

// Fills one event from a document already validated by JsonEngine::canonicalize.
class EventReader {
  public:
    explicit EventReader(Event& out) : out_(out) {}

    void root(od::object o) {
        for (auto member : o) {
            std::string_view key;
            od::value v;
            if (member.unescaped_key().get(key) || member.value().get(v)) return;
            if (key == "resource") {
                text(v, Field::resource);
            } else if (key == "event") {
                text(v, Field::event);
            } else if (key == "timestamp") {
                text(v, Field::timestamp);
                double d = 0;
                if (is(v, od::json_type::number) && !v.get_double().get(d)) out_.set_timestamp(d);
            } else if (key == "attempt") {
                text(v, Field::attempt);
            } else if (key == "data") {
                od::object data;
                if (is(v, od::json_type::object) && !v.get_object().get(data)) this->data(data);
            }
        }
        if (!out_.field(Field::user_id) && !user_id_.empty())
            out_.set_field(Field::user_id, user_id_);
    }

  private:
    static bool is(od::value& v, od::json_type want) {
        od::json_type t;
        return !v.type().get(t) && t == want;
    }

    // Any scalar as text; objects/arrays as raw JSON; null leaves the field absent.
    bool scalar_text(od::value& v, std::string& dst) {
        od::json_type t;
        if (v.type().get(t)) return false;
        std::string_view s;
        switch (t) {
            case od::json_type::string:
                if (v.get_string().get(s)) return false;
                dst.assign(s);
                return true;
            case od::json_type::number:
                dst.assign(text::trim_right(v.raw_json_token(), text::kJsonBlanks));
                return true;
            case od::json_type::boolean: {
                bool b = false;
                if (v.get_bool().get(b)) return false;
                dst.assign(b ? "1" : "0");
                return true;
            }
            case od::json_type::object: {
                od::object o;
                if (v.get_object().get(o) || o.raw_json().get(s)) return false;
                dst.assign(text::trim_right(s, text::kJsonBlanks));
                return true;
            }
            case od::json_type::array: {
                od::array a;
                if (v.get_array().get(a) || a.raw_json().get(s)) return false;
                dst.assign(text::trim_right(s, text::kJsonBlanks));
                return true;
            }
            case od::json_type::null:
                return false;
        }
        return false;
    }

    void text(od::value& v, Field f) {
        if (scalar_text(v, scratch_)) out_.set_field(f, scratch_);
    }

    void phone(od::value& v, Field f) {
        if (scalar_text(v, scratch_)) out_.set_field(f, strip_plus(scratch_));
    }

    // true/false, 0/1, "0"/"1"/"true"/"false"; anything else is left absent.
    void boolean(od::value& v, Field f) {
        if (!scalar_text(v, scratch_)) return;
        if (scratch_ == "1" || scratch_ == "true")
            out_.set_field(f, "1");
        else if (scratch_ == "0" || scratch_ == "false")
            out_.set_field(f, "0");
    }

    // uint64 exactly: get_uint64 on numbers, from_chars on digit strings; anything else
    // (fraction, > 2^64-1, not digits) is kept as its text and call_id() stays empty.
    void call_id(od::value& v) {
        od::json_type t;
        if (v.type().get(t)) return;
        std::uint64_t id = 0;
        if (t == od::json_type::number && !v.get_uint64().get(id)) {
            scratch_.clear();
            json::append_uint(scratch_, id);
            out_.set_field(Field::call_id, scratch_);
            out_.set_call_id(id);
            return;
        }
        if (!scalar_text(v, scratch_)) return;
        const char* first = scratch_.data();
        const char* last = first + scratch_.size();
        const bool all_digits =
            !scratch_.empty() && scratch_.find_first_not_of("0123456789") == std::string::npos;
        if (all_digits) {
            auto [end, ec] = std::from_chars(first, last, id);
            if (ec == std::errc() && end == last) {
                scratch_.clear();
                json::append_uint(scratch_, id);
                out_.set_call_id(id);
            }
        }
        out_.set_field(Field::call_id, scratch_);
    }

    void data(od::object o) {
        for (auto member : o) {
            std::string_view key;
            od::value v;
            if (member.unescaped_key().get(key) || member.value().get(v)) return;
            if (key == "call_id") {
                call_id(v);
            } else if (key == "from_number" || key == "to_number") {
                phone(v, key == "from_number" ? Field::from_number : Field::to_number);
            } else if (key == "is_internal" || key == "is_anonymous" || key == "is_ivr") {
                boolean(v, key == "is_internal"    ? Field::is_internal
                           : key == "is_anonymous" ? Field::is_anonymous
                                                   : Field::is_ivr);
            } else if (key == "userId") {
                text(v, Field::user_id);
            } else if (key == "ivr_data" || key == "ivrData") {
                od::object sub;
                if (is(v, od::json_type::object) && !v.get_object().get(sub)) ivr_data(sub);
            } else if (key == "user") {
                od::object sub;
                if (is(v, od::json_type::object) && !v.get_object().get(sub)) user(sub);
            } else if (key == "tags") {
                tags(v);
            } else if (auto f = field_from_name(key);
                       f && static_cast<int>(*f) > static_cast<int>(Field::attempt) &&
                       static_cast<int>(*f) < static_cast<int>(Field::is_internal)) {
                text(v, *f);
            }
        }
    }

    void ivr_data(od::object o) {
        for (auto member : o) {
            std::string_view key;
            od::value v;
            if (member.unescaped_key().get(key) || member.value().get(v)) return;
            if (key == "number")
                phone(v, Field::ivr_number);
            else if (key == "scenario_name" || key == "scenarioName")
                text(v, Field::ivr_scenario_name);
            else if (key == "ivr_name" || key == "ivrName")
                text(v, Field::ivr_name);
        }
    }

    void user(od::object o) {
        for (auto member : o) {
            std::string_view key;
            od::value v;
            if (member.unescaped_key().get(key) || member.value().get(v)) return;
            if (key == "user_id" || key == "userId") {
                if (!scalar_text(v, user_id_)) user_id_.clear();
            } else if (key == "firstname") {
                text(v, Field::user_firstname);
            } else if (key == "lastname") {
                text(v, Field::user_lastname);
            } else if (key == "email") {
                text(v, Field::user_email);
            }
        }
    }

    void tags(od::value& v) {
        od::array a;
        if (!is(v, od::json_type::array) || v.get_array().get(a)) return;
        auto& tags = out_.mutable_tags();
        for (auto element : a) {
            od::value e;
            if (element.get(e)) return;
            if (scalar_text(e, scratch_)) tags.push_back(scratch_);
        }
    }

    Event& out_;
    std::string scratch_;
    std::string user_id_;
};

}  // namespace

std::string_view field_name(Field f) noexcept {
    const auto i = static_cast<std::size_t>(f);
    return i < field_count ? field_names[i] : std::string_view{};
}

std::optional<Field> field_from_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < field_count; ++i)
        if (field_names[i] == name) return static_cast<Field>(i);
    return std::nullopt;
}

Kind kind_of(std::string_view resource, std::string_view event) noexcept {
    for (const auto& k : kinds)
        if (k.resource == resource && k.event == event) return k.kind;
    return Kind::unknown;
}

std::string_view kind_name(Kind kind) noexcept {
    if (kind == Kind::none) return "none";
    if (kind == Kind::unknown) return "unknown";
    for (const auto& k : kinds)
        if (k.kind == kind) return k.name;
    return "invalid";
}

std::optional<std::string_view> Event::field(Field f) const noexcept {
    const auto i = static_cast<std::size_t>(f);
    if (i >= field_count || !present_[i]) return std::nullopt;
    return std::string_view(values_[i]);
}

std::optional<std::string_view> Event::field(std::string_view name) const noexcept {
    if (auto f = field_from_name(name)) return field(*f);
    return std::nullopt;
}

const char* Event::field_c_str(Field f) const noexcept {
    const auto i = static_cast<std::size_t>(f);
    if (i >= field_count || !present_[i]) return nullptr;
    return values_[i].c_str();
}

void Event::set_field(Field f, std::string_view text) {
    const auto i = static_cast<std::size_t>(f);
    if (i >= field_count) return;
    values_[i].assign(text);
    present_[i] = true;
}

void Event::clear() noexcept {
    kind_ = Kind::none;
    for (auto& v : values_) v.clear();
    present_.fill(false);
    call_id_.reset();
    timestamp_.reset();
    tags_.clear();
    raw_.clear();
}

namespace detail {

Status JsonEngine::parse_event(std::string_view json, Event& out) {
    out.clear();
    od::document doc;
    if (auto e = impl_->load(json, doc)) return {Errc::bad_json, simdjson::error_message(e)};
    od::object root;
    if (doc.get_object().get(root)) return {Errc::bad_json, "not a JSON object"};
    EventReader reader(out);
    reader.root(root);
    out.mutable_raw().assign(json);
    out.set_kind(kind_of(out.resource(), out.event()));
    return {};
}

}  // namespace detail

Status parse_event(std::string_view json, Event& out) {
    detail::JsonEngine engine;
    std::string canonical;
    if (auto st = engine.canonicalize(json, canonical, nullptr, false); !st) {
        out.clear();
        return st;
    }
    return engine.parse_event(json, out);
}

}  // namespace ringoverbot::webhook
