// syn_flood: SYNs from spoofed IPv4 sources, for the integration tests.
//
// usage: syn_flood --dst A --port P --first-source S --count N
//
// Sends one TCP SYN to A:P from each of N consecutive IPv4 source addresses starting at S (through
// a raw IP_HDRINCL socket, so the sources need not be this host's), each from its own random source
// port. Prints "sent SOURCE:PORT" per SYN and "done N", exits 0. Needs CAP_NET_RAW; run it in a
// namespace with `ip netns exec NS syn_flood ...`. Exit 2 on bad usage, 1 on a socket error.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Options {
  in_addr dst{};
  uint16_t port = 0;
  in_addr first_source{};
  long count = 0;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "syn_flood: %s\nusage: syn_flood --dst A --port P --first-source S --count N\n", why.c_str());
  std::exit(2);
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "syn_flood: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

Options parse(int argc, char** argv) {
  Options o;
  bool dst = false, source = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage("missing value for " + flag);
    const char* value = argv[++i];
    char* end = nullptr;
    if (flag == "--dst") {
      dst = inet_pton(AF_INET, value, &o.dst) == 1;
      if (!dst) usage(std::string("not an IPv4 address: ") + value);
    } else if (flag == "--first-source") {
      source = inet_pton(AF_INET, value, &o.first_source) == 1;
      if (!source) usage(std::string("not an IPv4 address: ") + value);
    } else if (flag == "--port") {
      const long p = std::strtol(value, &end, 10);
      if (*end || p < 1 || p > 65535) usage(std::string("bad port: ") + value);
      o.port = static_cast<uint16_t>(p);
    } else if (flag == "--count") {
      o.count = std::strtol(value, &end, 10);
      if (*end || o.count < 1 || o.count > 65536) usage(std::string("bad count: ") + value);
    } else {
      usage("unknown option " + flag);
    }
  }
  if (!dst || !source || !o.port || !o.count) usage("--dst, --port, --first-source and --count are required");
  return o;
}

// The Internet checksum over the TCP pseudo-header and segment.
uint16_t tcp_checksum(in_addr src, in_addr dst, const uint8_t* segment, size_t length) {
  uint32_t sum = 0;
  const auto add16 = [&](uint16_t v) { sum += v; };
  const auto add_bytes = [&](const uint8_t* p, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2) add16(static_cast<uint16_t>(p[i] << 8 | p[i + 1]));
    if (n % 2) add16(static_cast<uint16_t>(p[n - 1] << 8));
  };
  add_bytes(reinterpret_cast<const uint8_t*>(&src.s_addr), 4);
  add_bytes(reinterpret_cast<const uint8_t*>(&dst.s_addr), 4);
  add16(IPPROTO_TCP);
  add16(static_cast<uint16_t>(length));
  add_bytes(segment, length);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum));
}

uint32_t random32() {
  uint32_t v = 0;
  if (getrandom(&v, sizeof v, 0) != sizeof v) fail("getrandom");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const int s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);  // IPPROTO_RAW: the IP header is ours (IP_HDRINCL)
  if (s < 0) fail("socket(AF_INET, SOCK_RAW)");

  constexpr size_t kOptions = 4;  // MSS
  struct Packet {
    iphdr ip;
    tcphdr tcp;
    uint8_t options[kOptions];
  } __attribute__((packed));

  for (long i = 0; i < o.count; ++i) {
    in_addr source{htonl(ntohl(o.first_source.s_addr) + static_cast<uint32_t>(i))};
    const auto sport = static_cast<uint16_t>(20000 + random32() % 40000);
    Packet p{};
    p.ip.version = 4;
    p.ip.ihl = 5;
    p.ip.ttl = 64;
    p.ip.protocol = IPPROTO_TCP;
    p.ip.saddr = source.s_addr;
    p.ip.daddr = o.dst.s_addr;
    p.ip.tot_len = htons(sizeof p);  // the kernel fills in the length, the id and the checksum anyway
    p.tcp.source = htons(sport);
    p.tcp.dest = htons(o.port);
    p.tcp.seq = htonl(random32());
    p.tcp.doff = (sizeof(tcphdr) + kOptions) / 4;
    p.tcp.syn = 1;
    p.tcp.window = htons(64240);
    p.options[0] = 2;  // MSS 1460
    p.options[1] = 4;
    p.options[2] = 1460 >> 8;
    p.options[3] = 1460 & 0xff;
    p.tcp.check = tcp_checksum(source, o.dst, reinterpret_cast<const uint8_t*>(&p.tcp), sizeof p.tcp + kOptions);

    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr = o.dst;
    if (sendto(s, &p, sizeof p, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) != sizeof p) fail("sendto");
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &source, text, sizeof text);
    std::printf("sent %s:%u\n", text, sport);
  }
  close(s);
  std::printf("done %ld\n", o.count);
  return 0;
}
