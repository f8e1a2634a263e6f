// Finding a server's process by the port it listens on, and its memory:
// this test listens on a port itself and must find its own pid.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/eval/process_memory.hpp"
#include "tests/support/catch.hpp"

using namespace cadre::eval;

TEST_CASE("process memory: /proc/net/tcp lines in LISTEN state for a port", "[eval][memory]") {
  const std::string table =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n"
      "   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1\n"
      "   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0\n";
  CHECK(listeningInodes(table, 8080) == std::vector<unsigned long>{4242});  // the established one is not listening
  CHECK(listeningInodes(table, 22) == std::vector<unsigned long>{99});
  CHECK(listeningInodes(table, 9).empty());
}

TEST_CASE("process memory: this process found by its listening port", "[eval][memory]") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  auto pid = pidListeningOn(port);
  REQUIRE(pid);
  CHECK(*pid == ::getpid());
  ::close(fd);
  CHECK_FALSE(pidListeningOn(port));

  auto m = processMemory(::getpid());
  REQUIRE(m);
  CHECK(m->rssBytes > 1024 * 1024);
  CHECK(m->treeBytes >= m->rssBytes);
  CHECK(m->processes >= 1);
  CHECK_FALSE(m->name.empty());
  CHECK_FALSE(processMemory(0));
}
