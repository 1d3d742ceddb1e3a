// trace --fields takes the --json keys as its names: the list must be exactly the keys full JSON
// lines have, so that a field chosen means the same in both formats.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event_format.hpp"
#include "core/trace_fields.hpp"
#include "core_test_input.hpp"

namespace tcpsight {
namespace {

const test::Ends kEnds{"10.0.0.1", 40000, "10.0.0.2", 80};
const Clock kClock{1'700'000'000.0};

// The keys, in order, of a full JSON line for an event of each kind (and a namespace name).
std::vector<std::vector<std::string>> keys_of_full_lines() {
  const std::string name = "web";
  const std::vector<ts_event> events = {
      test::state_change(kEnds, TS_FIN_WAIT2, TS_CLOSE).timing(1, 2),  // the only kind with lifetime_ms
      test::state_change(kEnds, TS_SYN_SENT, TS_ESTABLISHED),
      test::flow_event(TS_EV_RETRANSMIT, kEnds, TS_ESTABLISHED),
      test::flow_event(TS_EV_SYNACK_RETRANSMIT, kEnds, TS_NEW_SYN_RECV),
      test::flow_event(TS_EV_RESET_SENT, kEnds, TS_ESTABLISHED),
      test::flow_event(TS_EV_RESET_RECEIVED, kEnds, TS_ESTABLISHED),
  };
  std::vector<std::vector<std::string>> lines;
  for (const ts_event& e : events) {
    // ordered_json keeps the keys in the order the line has them.
    const auto j = nlohmann::ordered_json::parse(trace_json(e, Owner{}, kClock, {}, &name));
    auto& keys = lines.emplace_back();
    for (const auto& item : j.items()) keys.push_back(item.key());
  }
  return lines;
}

TEST(TraceFields, AreTheKeysOfFullJsonLinesInTheirOrder) {
  std::vector<std::string> names;
  for (const TraceField f : all_trace_fields()) names.emplace_back(trace_field_name(f));
  std::set<std::string> seen;
  for (const auto& keys : keys_of_full_lines()) {
    seen.insert(keys.begin(), keys.end());
    // Each line's keys come in the fields' order: a subsequence of the list.
    auto at = names.begin();
    for (const auto& k : keys) {
      at = std::find(at, names.end(), k);
      ASSERT_NE(at, names.end()) << k << " is missing from the fields, or out of their order";
    }
  }
  EXPECT_EQ(seen, std::set<std::string>(names.begin(), names.end()));
}

TEST(TraceFields, ParseEveryNameAndRejectTheRest) {
  for (const TraceField f : all_trace_fields()) EXPECT_EQ(parse_trace_field(trace_field_name(f)), f);
  EXPECT_FALSE(parse_trace_field("saddr"));
  EXPECT_FALSE(parse_trace_field("TIME")) << "names are the JSON keys, lower case";
  EXPECT_FALSE(parse_trace_field(""));
  EXPECT_EQ(parse_trace_field("new"), TraceField::new_state) << "the JSON key, not the enum's name";
  EXPECT_FALSE(parse_trace_field("new_state"));
  EXPECT_EQ(trace_field_list().rfind("time, kind, pid, comm, ", 0), 0u) << trace_field_list();
  EXPECT_NE(trace_field_list().find(", reset"), std::string::npos) << trace_field_list();
}

TEST(TraceFields, JsonHasEveryFieldChosenInTheOrderChosenNullWhereItDoesNotApply) {
  const std::vector<TraceField> chosen = {TraceField::reason, TraceField::old_state, TraceField::pid, TraceField::kind};
  const auto j = nlohmann::ordered_json::parse(
      trace_json(chosen, test::flow_event(TS_EV_RETRANSMIT, kEnds, TS_ESTABLISHED), Owner{}, kClock));
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"reason", "old", "pid", "kind"}));
  EXPECT_TRUE(j["reason"].is_null());
  EXPECT_TRUE(j["old"].is_null()) << "a retransmit has a state, not a transition";
  EXPECT_TRUE(j["pid"].is_null());
  EXPECT_EQ(j["kind"], "retransmit");
}

}  // namespace
}  // namespace tcpsight
