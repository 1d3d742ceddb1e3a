// The per-request limits of an HTTP connection, over a socketpair: a request may bring at most
// max_request_bytes, must arrive within its deadline, and bytes read ahead are kept for the next one.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "serve/bounded_socket_stream.hpp"

namespace tcpsight {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct SocketPair {
  int server = -1, client = -1;
  SocketPair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) throw std::runtime_error("socketpair");
    server = fds[0];
    client = fds[1];
  }
  ~SocketPair() {
    close(server);
    close(client);
  }
  void send(const std::string& s) const { ASSERT_EQ(::write(client, s.data(), s.size()), static_cast<ssize_t>(s.size())); }
};

std::string read_all(BoundedSocketStream& stream, size_t chunk = 1000) {
  std::string got;
  char buf[1000];
  for (ssize_t n; (n = stream.read(buf, std::min(chunk, sizeof buf))) > 0;) got.append(buf, static_cast<size_t>(n));
  return got;
}

TEST(BoundedSocketStream, ReadsWhatArrivesAndWritesBack) {
  SocketPair pair;
  BoundedSocketStream stream(pair.server, {.read_timeout_s = 0.2});
  pair.send("GET / HTTP/1.1\r\n\r\n");
  char buf[4];
  ASSERT_EQ(stream.read(buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "GET ");
  EXPECT_TRUE(stream.is_readable()) << "the rest is buffered";
  EXPECT_EQ(read_all(stream), "/ HTTP/1.1\r\n\r\n");
  EXPECT_EQ(stream.write("HTTP/1.1 200 OK\r\n", 17), 17);
  char back[17];
  EXPECT_EQ(::read(pair.client, back, sizeof back), 17);
}

TEST(BoundedSocketStream, ARequestBringsAtMostMaxRequestBytes) {
  SocketPair pair;
  BoundedSocketStream stream(pair.server, {.read_timeout_s = 0.2, .max_request_bytes = 4096});
  pair.send(std::string(10000, 'x'));
  EXPECT_EQ(read_all(stream).size(), 4096u);
  char byte;
  EXPECT_EQ(stream.read(&byte, 1), -1) << "the budget is spent although more is waiting";

  stream.begin_request();  // the next request gets a budget of its own
  EXPECT_EQ(read_all(stream).size(), 4096u);
}

TEST(BoundedSocketStream, ARequestMustArriveWithinItsDeadline) {
  SocketPair pair;
  BoundedSocketStream stream(pair.server, {.read_timeout_s = 5, .request_deadline_s = 0.3});
  std::thread trickle([&] {
    for (int i = 0; i < 20; ++i) {
      if (::write(pair.client, "x", 1) != 1) break;
      std::this_thread::sleep_for(50ms);
    }
  });
  const auto start = Clock::now();
  const std::string got = read_all(stream, 1);
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  trickle.join();
  EXPECT_LT(took, 1.0) << "cut at the 0.3 s deadline, not after the 5 s read timeout";
  EXPECT_GE(took, 0.25);
  EXPECT_LT(got.size(), 20u);
}

TEST(BoundedSocketStream, AReadWaitsNoLongerThanTheReadTimeout) {
  SocketPair pair;
  BoundedSocketStream stream(pair.server, {.read_timeout_s = 0.2});
  const auto start = Clock::now();
  char byte;
  EXPECT_EQ(stream.read(&byte, 1), -1);
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_GE(took, 0.19);
  EXPECT_LT(took, 1.0);
}

TEST(BoundedSocketStream, BytesTheReactorReadComeFirstAndWhatIsLeftIsHandedBack) {
  SocketPair pair;
  BoundedSocketStream stream(pair.server, {.read_timeout_s = 0.2, .max_request_bytes = 64}, nullptr,
                             "GET / HTTP/1.1\r\n\r\nGET /next");
  char buf[18];
  ASSERT_EQ(stream.read(buf, sizeof buf), 18);
  EXPECT_EQ(std::string(buf, 18), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(stream.take_unread(), "GET /next") << "the start of a pipelined request goes back with the connection";
  pair.send("more");
  EXPECT_EQ(read_all(stream), "more");
}

TEST(BoundedSocketStream, BytesAlreadyReadCountAgainstTheRequestsBudget) {
  SocketPair pair;
  BoundedSocketStream stream(pair.server, {.read_timeout_s = 0.2, .max_request_bytes = 10}, nullptr, "12345678");
  pair.send("abcdef");
  EXPECT_EQ(read_all(stream), "12345678ab");
}

}  // namespace
}  // namespace tcpsight
