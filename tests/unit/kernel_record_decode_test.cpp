// The bytes of an iterator pass and of a ring buffer record as records (kernel/record_decode.hpp).
#include "kernel/record_decode.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tcpsight {
namespace {

// An empty pass (a namespace without sockets) into a vector that never held a record: no copy
// from or to a null pointer (UBSan's nonnull-attribute check fails the ASan build's run otherwise).
TEST(RecordDecode, AnEmptyPassGivesNoRecords) {
  std::vector<char> bytes;
  std::vector<ts_sock_record> records;
  decode_records(bytes.data(), 0, records);
  EXPECT_TRUE(records.empty());
}

TEST(RecordDecode, APartialRecordAtTheEndIsLeftOut) {
  std::vector<char> bytes(2 * sizeof(ts_sock_record) + 7);
  bytes[sizeof(ts_sock_record) + 32] = 0x50;  // the second record's sport, low byte
  std::vector<ts_sock_record> records(5);
  decode_records(bytes.data(), bytes.size(), records);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].sport, 0x50);
}

TEST(RecordDecode, ASampleShorterThanAnEventIsNone) {
  std::vector<char> bytes(sizeof(ts_event) - 1);
  EXPECT_FALSE(decode_event(bytes.data(), bytes.size()));
}

TEST(RecordDecode, ALongerSampleIsReadUpToAnEvent) {
  std::vector<char> bytes(sizeof(ts_event) + 16, 0);
  bytes[0] = 7;  // ts_ns, low byte
  const auto e = decode_event(bytes.data(), bytes.size());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->ts_ns, 7u);
}

}  // namespace
}  // namespace tcpsight
