// Reply bodies for call/contact, search/contact and call/routing (src/webhook/README.md §Replies).
#include <string>

#include "common/json_writer.hpp"
#include "common/text.hpp"
#include "ringoverbot/webhook.hpp"

namespace ringoverbot::webhook {

namespace {

void optional_field(json::Writer& w, std::string_view key, const std::optional<std::string>& v) {
    if (v) w.field(key, *v);
}

bool all_valid_utf8(std::initializer_list<const std::optional<std::string>*> fields) {
    for (const auto* f : fields)
        if (*f && !json::valid_utf8(**f)) return false;
    return true;
}

}  // namespace

std::optional<std::string> phone_digits(std::string_view number) {
    number = text::trim(number, " ");
    if (!number.empty() && number.front() == '+') number.remove_prefix(1);
    if (number.empty() || number.size() > 19 || number.front() == '0') return std::nullopt;
    for (char c : number)
        if (c < '0' || c > '9') return std::nullopt;
    return std::string(number);
}

Result<std::string> build_contact_reply(const Contact& c) {
    if (!all_valid_utf8({&c.uuid, &c.firstname, &c.lastname, &c.company, &c.url}))
        return Error{Errc::invalid_argument, "contact text is not valid UTF-8"};
    std::string out;
    json::Writer w(out);
    w.begin_object();
    optional_field(w, "uuid", c.uuid);
    optional_field(w, "firstname", c.firstname);
    optional_field(w, "lastname", c.lastname);
    optional_field(w, "company", c.company);
    optional_field(w, "url", c.url);
    w.key("data").begin_object();
    for (const auto& [k, v] : c.data) {
        if (!json::valid_utf8(k) || !json::valid_utf8(v))
            return Error{Errc::invalid_argument, "contact data is not valid UTF-8"};
        w.field(k, v);
    }
    w.end_object();
    w.field_bool("is_shared", c.is_shared);
    w.end_object();
    return out;
}

Result<std::string> build_search_reply(std::span<const SearchHit> hits) {
    std::string out;
    json::Writer w(out);
    w.begin_array();
    for (const SearchHit& h : hits) {
        if (!all_valid_utf8({&h.firstname, &h.lastname, &h.company, &h.url}))
            return Error{Errc::invalid_argument, "search hit text is not valid UTF-8"};
        w.begin_object();
        optional_field(w, "firstname", h.firstname);
        optional_field(w, "lastname", h.lastname);
        optional_field(w, "company", h.company);
        optional_field(w, "url", h.url);
        w.key("numbers").begin_array();
        for (const ContactNumber& n : h.numbers) {
            const auto digits = phone_digits(n.number);
            if (!digits) return Error{Errc::invalid_argument, "not an E.164 number: " + n.number};
            if (!json::valid_utf8(n.type))
                return Error{Errc::invalid_argument, "number type is not valid UTF-8"};
            w.begin_object().key("number").raw(*digits).field("type", n.type).end_object();
        }
        w.end_array();
        w.end_object();
    }
    w.end_array();
    return out;
}

Result<std::string> build_routing_reply(std::span<const RoutingAgent> agents,
                                        std::string_view dispatch) {
    if (dispatch.empty()) dispatch = "ringall";
    if (dispatch != "ringall" && dispatch != "sequential")
        return Error{Errc::invalid_argument, "dispatch must be ringall or sequential"};
    if (agents.empty())
        return Error{Errc::invalid_argument, "a routing plan needs an agent (answer 204)"};
    std::string out;
    json::Writer w(out);
    w.begin_object()
        .field("name", "redirections")
        .field("dispatch", dispatch)
        .field_int("max_attempts", 1)
        .field_int("start_delay", 0)
        .field_int("is_stay_not_connected", 1)
        .field_int("is_stay_in_call", 0)
        .field_int("is_stay_planned_snoozed", 1)
        .field_int("is_stay_snoozed", 0)
        .field_int("ring_overlap", 0)
        .key("agents")
        .begin_array();
    std::int64_t order = 1;
    for (const RoutingAgent& a : agents) {
        const auto digits = phone_digits(a.number);
        if (!digits) return Error{Errc::invalid_argument, "not an E.164 number: " + a.number};
        w.begin_object()
            .field("agent_type", "agent_external")
            .field_int("ring_duration", a.ring_duration_s == 0 ? 25 : a.ring_duration_s)
            .field_int("ring_delay", a.ring_delay_s)
            .field_int("order", order++)
            .key("number")
            .raw(*digits)
            .field_int("is_pre_answer", 0)
            .field_int("is_caller_id", a.is_caller_id ? 1 : 0)
            .field_int("is_head_line", 0)
            .end_object();
    }
    w.end_array().end_object();
    return out;
}

}  // namespace ringoverbot::webhook
