// `tcpsight stats --detail owners,listeners` built from synthetic details passes and owner scans:
// sockets per process as ss -tanp groups them, each listener's queues and connections, process
// names no JSON reader chokes on, and lists bounded with what was left out counted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/event_format.hpp"
#include "core/socket_rows.hpp"
#include "core/stats_detail.hpp"
#include "core_test_input.hpp"

namespace tcpsight {
namespace {

using test::detail_record;
using test::owner_record;

ts_sock_detail listening(const std::string& addr, uint16_t port, uint64_t cookie, uint32_t syn_queue,
                         uint32_t accept_queue, uint32_t backlog) {
  const std::string any = test::raw_address(addr).family == AF_INET ? "0.0.0.0" : "::";
  ts_sock_detail d = detail_record(TS_LISTEN, {addr, port, any, 0}, cookie);
  d.syn_queue = syn_queue;
  d.recv_q = accept_queue;
  d.send_q = backlog;
  return d;
}

struct Host {
  std::vector<ts_sock_detail> details;
  std::vector<ts_owner_record> owners;

  nlohmann::json json(const DetailRequest& request) const {
    const OwnerIndex index(owners, 1.0);
    const std::vector<SocketRow> rows = socket_rows(details, index, 0);
    return detail_json(rows, index, request);
  }
  std::string text(const DetailRequest& request) const {
    const OwnerIndex index(owners, 1.0);
    const std::vector<SocketRow> rows = socket_rows(details, index, 0);
    return detail_text(rows, index, request);
  }
};

// A pre-fork web server (parent 100 and child 101 share the listener on port 80; the parent leaks
// three CLOSE_WAIT connections), a client (200) with one connection to it, and two TIME_WAIT
// sockets nobody holds.
Host web_host() {
  Host h;
  h.details.push_back(listening("0.0.0.0", 80, 1, 0, 0, 511));
  h.owners.push_back(owner_record(1, 100, "web"));
  h.owners.push_back(owner_record(1, 101, "web"));
  for (uint16_t i = 0; i < 3; ++i) {
    h.details.push_back(detail_record(TS_CLOSE_WAIT, {"10.0.0.1", 80, "10.0.0.2", uint16_t(40000 + i)}, 10 + i));
    h.owners.push_back(owner_record(10 + i, 100, "web"));
  }
  h.details.push_back(detail_record(TS_ESTABLISHED, {"10.0.0.1", 80, "10.0.0.1", 50000}, 20));
  h.details.push_back(detail_record(TS_ESTABLISHED, {"10.0.0.1", 50000, "10.0.0.1", 80}, 21));
  h.owners.push_back(owner_record(20, 101, "web"));
  h.owners.push_back(owner_record(21, 200, "curl"));
  h.details.push_back(detail_record(TS_TIME_WAIT, {"10.0.0.1", 80, "10.0.0.9", 41000}, 30));
  h.details.push_back(detail_record(TS_TIME_WAIT, {"10.0.0.1", 41001, "10.0.0.9", 443}, 31));
  return h;
}

TEST(StatsDetail, OwnersCountEachSocketForEveryProcessHoldingItAndTheUnheldLast) {
  const nlohmann::json d = web_host().json({.owners = true});
  EXPECT_FALSE(d.contains("listeners"));
  EXPECT_EQ(d["owners_more"], 0);
  EXPECT_EQ(d["limit"], 100);
  const nlohmann::json expected = nlohmann::json::parse(R"([
    {"pid":100,"comm":"web","sockets":4,"states":{"CLOSE_WAIT":3,"LISTEN":1},"listening":[80]},
    {"pid":101,"comm":"web","sockets":2,"states":{"ESTABLISHED":1,"LISTEN":1},"listening":[80]},
    {"pid":200,"comm":"curl","sockets":1,"states":{"ESTABLISHED":1},"listening":[]},
    {"pid":null,"comm":null,"sockets":2,"states":{"TIME_WAIT":2},"listening":[]}
  ])");
  EXPECT_EQ(d["owners"], expected) << d.dump(2);
}

TEST(StatsDetail, ListenersShowQueuesHoldersAndTheConnectionsOfTheirPort) {
  Host h = web_host();
  h.details[0].syn_queue = 2;
  h.details[0].recv_q = 1;
  h.details.push_back(detail_record(TS_NEW_SYN_RECV, {"10.0.0.1", 80, "10.0.0.3", 42000}, 40));
  h.details.push_back(detail_record(TS_NEW_SYN_RECV, {"10.0.0.1", 80, "10.0.0.3", 42001}, 41));
  const nlohmann::json d = h.json({.listeners = true});
  EXPECT_FALSE(d.contains("owners"));
  ASSERT_EQ(d["listeners"].size(), 1u) << d.dump(2);
  const nlohmann::json expected = nlohmann::json::parse(R"(
    {"addr":"0.0.0.0","port":80,"syn_queue":2,"accept_queue":1,"backlog":511,"pids":[100,101],"sharing":1,
     "connections":{"ESTABLISHED":1,"SYN_RECV":2,"TIME_WAIT":1,"CLOSE_WAIT":3}})");
  EXPECT_EQ(d["listeners"][0], expected) << d.dump(2);
  EXPECT_EQ(d["listeners_more"], 0);
}

TEST(StatsDetail, AConnectionGoesToTheListenerOfItsOwnAddressBeforeTheWildcardOne) {
  Host h;
  h.details.push_back(listening("0.0.0.0", 8080, 1, 0, 0, 128));
  h.details.push_back(listening("127.0.0.1", 8080, 2, 0, 0, 16));
  h.details.push_back(detail_record(TS_ESTABLISHED, {"127.0.0.1", 8080, "127.0.0.1", 50001}, 10));
  h.details.push_back(detail_record(TS_ESTABLISHED, {"10.0.0.1", 8080, "10.0.0.2", 50002}, 11));
  // A dual-stack listener: an IPv4 request socket, an IPv4-mapped child, an IPv6 one.
  h.details.push_back(listening("::", 443, 3, 0, 0, 4096));
  h.details.push_back(detail_record(TS_NEW_SYN_RECV, {"10.0.0.1", 443, "10.0.0.2", 50003}, 12));
  h.details.push_back(detail_record(TS_ESTABLISHED, {"::ffff:10.0.0.1", 443, "::ffff:10.0.0.2", 50004}, 13));
  h.details.push_back(detail_record(TS_ESTABLISHED, {"fd00::1", 443, "fd00::2", 50005}, 14));
  // An outgoing connection from a port nobody listens on.
  h.details.push_back(detail_record(TS_ESTABLISHED, {"10.0.0.1", 5555, "10.0.0.2", 443}, 15));
  const nlohmann::json l = h.json({.listeners = true})["listeners"];
  ASSERT_EQ(l.size(), 3u) << l.dump(2);
  EXPECT_EQ(l[0]["addr"], "::");  // by port: 443 first
  EXPECT_EQ(l[0]["connections"], nlohmann::json::parse(R"({"ESTABLISHED":2,"SYN_RECV":1})"));
  EXPECT_EQ(l[1]["addr"], "0.0.0.0");
  EXPECT_EQ(l[1]["connections"], nlohmann::json::parse(R"({"ESTABLISHED":1})"));
  EXPECT_EQ(l[2]["addr"], "127.0.0.1");
  EXPECT_EQ(l[2]["backlog"], 16);
  EXPECT_EQ(l[2]["connections"], nlohmann::json::parse(R"({"ESTABLISHED":1})"));
  EXPECT_EQ(l[2]["pids"], nlohmann::json::array());
}

TEST(StatsDetail, ListenersSharingAPortShowTheirConnectionsTogether) {
  Host h;
  h.details.push_back(listening("0.0.0.0", 8080, 1, 0, 0, 128));  // SO_REUSEPORT: one per worker
  h.details.push_back(listening("0.0.0.0", 8080, 2, 0, 0, 128));
  h.details.push_back(detail_record(TS_ESTABLISHED, {"10.0.0.1", 8080, "10.0.0.2", 50001}, 10));
  const nlohmann::json l = h.json({.listeners = true})["listeners"];
  ASSERT_EQ(l.size(), 2u);
  for (const auto& one : l) {
    EXPECT_EQ(one["sharing"], 2);
    EXPECT_EQ(one["connections"], nlohmann::json::parse(R"({"ESTABLISHED":1})"));
  }
}

TEST(StatsDetail, AHostileProcessNameMakesValidJsonThatReadsAsTraceShowsIt) {
  // 16 bytes, no NUL: quote, backslash, newline, an ANSI escape, DEL, invalid and cut UTF-8.
  const char hostile[16] = {'"', '\\', '\n', '\x1b', '[', '3', '1', 'm', '\x7f', '\xff', '\xfe', 'a', '\xc3', 'x', '\xe2', '\x82'};
  Host h;
  h.details.push_back(detail_record(TS_ESTABLISHED, {"10.0.0.1", 50000, "10.0.0.2", 80}, 7));
  ts_owner_record o = owner_record(7, 42, "");
  std::memcpy(o.comm, hostile, sizeof o.comm);
  h.owners.push_back(o);

  std::string line;
  ASSERT_NO_THROW(line = h.json({.owners = true}).dump());
  const nlohmann::json back = nlohmann::json::parse(line);
  const std::string comm = back["owners"][0]["comm"];

  // trace --json names the same process the same way.
  ts_event e{};
  e.kind = TS_EV_STATE;
  e.family = AF_INET;
  Owner owner{.source = OwnerSource::scan, .tgid = 42, .comm = std::string(hostile, sizeof hostile), .holders = {42}};
  const nlohmann::json traced = nlohmann::json::parse(trace_json(e, owner, Clock{}));
  EXPECT_EQ(comm, traced["comm"].get<std::string>());
  EXPECT_EQ(comm, R"("\\x0a\x1b[31m\x7f\xff\xfea\xc3x\xe2\x82)");

  // Text: one line, no control character reaches the terminal.
  const std::string text = h.text({.owners = true});
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  for (const char c : text) EXPECT_FALSE((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == '\x7f') << text;
}

TEST(StatsDetail, ListsStopAtTheLimitAndCountWhatWasLeftOut) {
  Host h;
  for (uint32_t i = 0; i < 5; ++i) {
    h.details.push_back(listening("127.0.0.1", static_cast<uint16_t>(9000 + i), 100 + i, 0, 0, 128));
    h.owners.push_back(owner_record(100 + i, 500 + i, "worker"));
  }
  h.details.push_back(detail_record(TS_TIME_WAIT, {"127.0.0.1", 40000, "127.0.0.1", 9000}, 200));
  const nlohmann::json d = h.json({.owners = true, .listeners = true, .limit = 2});
  EXPECT_EQ(d["limit"], 2);
  ASSERT_EQ(d["owners"].size(), 3u) << d.dump(2);  // two processes, then the unheld sockets
  EXPECT_EQ(d["owners"][0]["pid"], 500);
  EXPECT_EQ(d["owners"][1]["pid"], 501);
  EXPECT_TRUE(d["owners"][2]["pid"].is_null());
  EXPECT_EQ(d["owners_more"], 3);
  ASSERT_EQ(d["listeners"].size(), 2u);
  EXPECT_EQ(d["listeners"][1]["port"], 9001);
  EXPECT_EQ(d["listeners_more"], 3);

  const std::string text = h.text({.owners = true, .listeners = true, .limit = 2});
  EXPECT_NE(text.find("owner       3 more processes not shown (--detail-limit 2)"), std::string::npos) << text;
  EXPECT_NE(text.find("listener    3 more not shown (--detail-limit 2)"), std::string::npos) << text;
}

TEST(StatsDetail, TextHasAnOwnerLineAndAListenerLineForPeople) {
  const std::string text = web_host().text({.owners = true, .listeners = true});
  EXPECT_NE(text.find("owner           100 web              sockets      4  CLOSE_WAIT 3 LISTEN 1  listening 80\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("owner             - -                sockets      2  TIME_WAIT 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("listener    0.0.0.0:80                     syn queue 0  accept queue 0/511  pids 100,101  "
                      "connections ESTABLISHED 1 TIME_WAIT 1 CLOSE_WAIT 3\n"),
            std::string::npos)
      << text;
}

TEST(StatsDetail, NoSocketsGiveEmptyLists) {
  const nlohmann::json d = Host{}.json({.owners = true, .listeners = true});
  EXPECT_EQ(d["owners"], nlohmann::json::array());
  EXPECT_EQ(d["listeners"], nlohmann::json::array());
  EXPECT_EQ(d["owners_more"], 0);
  EXPECT_EQ(d["listeners_more"], 0);
}

}  // namespace
}  // namespace tcpsight
