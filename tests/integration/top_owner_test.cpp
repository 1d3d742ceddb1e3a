// `tcpsight top`'s flow table names the process holding each flow's socket, found by an owner
// scan: the pre-fork child that accepted a connection, never its parent; `-` once nobody holds it.
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "top_tmux.hpp"

namespace tcpsight::itest {
namespace {

// The flow table row whose first column (local endpoint) or second (remote) is `endpoint`, or "".
std::string flow_row(const std::string& screen, const std::string& endpoint, bool remote = false) {
  const size_t table = screen.find("TOP FLOWS");
  if (table == std::string::npos) return "";
  std::istringstream in(screen.substr(table));
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string local, peer;
    if (words >> local >> peer && (remote ? peer : local) == endpoint) return line;
  }
  return "";
}

std::string last_word(const std::string& line) {
  std::istringstream words(line);
  std::string w, last;
  while (words >> w) last = w;
  return last;
}

TEST(TopOwners, FlowTableNamesTheChildHoldingAResetConnection) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("top-owner");
  // The child keeps the connection open for 60 s after the client's reset.
  Child server({test_tool("prefork_server"), "--children", "2", "--linger-ms", "60000", "--max-seconds", "120"},
               ns.inside());
  const auto listening = server.wait_for_line(Child::Stream::out, "listening ", 20s);
  const auto children = server.wait_for_line(Child::Stream::out, "children ", 20s);
  ASSERT_TRUE(listening && children) << server.err();
  const auto port = static_cast<uint16_t>(std::stoul(listening->substr(10)));

  TopInTmux top(ns.name(), 140, 60, {"--interval", "0.5"});
  ASSERT_TRUE(top.wait_for_text("STATES", 20s)) << top.screen();

  Fd client;
  run_in_netns(ns.name(), [&] { client = tcp_connect("127.0.0.1", port); });
  const uint16_t client_port = local_port(client);
  const auto accepted = server.wait_for_line(Child::Stream::out, "accepted peer=" + std::to_string(client_port) + " ", 20s);
  ASSERT_TRUE(accepted) << server.out();
  const std::string child = accepted->substr(accepted->find("pid=") + 4);
  close_with_reset(client);  // the child's socket receives the reset and stays open in the child

  // The client end's row: its reset went out after close() had released the local port, so the
  // row may show port 0; it is the one whose remote is the server.
  const std::string server_end = "127.0.0.1:" + std::to_string(port);
  const auto screen = top.wait_for(
      [&](const std::string& s) {
        return last_word(flow_row(s, server_end)) == child + "/prefork_server" &&
               last_word(flow_row(s, server_end, true)) == "-";
      },
      20s);
  ASSERT_TRUE(screen) << "the server end should name child " << child << " (parent " << server.pid()
                      << "), the closed client end nobody:\n"
                      << top.screen();
}

}  // namespace
}  // namespace tcpsight::itest
