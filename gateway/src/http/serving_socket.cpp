#include "http/serving_socket.h"

#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocketImpl.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>

namespace notebridge::gateway {
namespace {

using Poco::Net::SocketAddress;

// An accepted connection. Only the calls Poco's HTTP server makes per request are changed.
class ConnectionImpl final : public Poco::Net::StreamSocketImpl {
 public:
  // The local address is asked here, once, before any other thread sees the connection: Poco's
  // TCPServer asks for it first on the acceptor thread, then on the worker thread.
  ConnectionImpl(poco_socket_t fd, const SocketAddress& peer)
      : StreamSocketImpl(fd), peer_(peer), local_(StreamSocketImpl::address()) {}

  // One poll() instead of an epoll set made and closed per call; same contract: true when the
  // socket is ready in `mode` (or has an error or hang-up to report) within `timeout`.
  bool poll(const Poco::Timespan& timeout, int mode) override {
    const poco_socket_t fd = sockfd();
    if (fd == POCO_INVALID_SOCKET) throw Poco::Net::InvalidSocketException();
    pollfd entry{fd, 0, 0};
    if (mode & SELECT_READ) entry.events |= POLLIN;
    if (mode & SELECT_WRITE) entry.events |= POLLOUT;
    // SELECT_ERROR adds nothing: poll() always reports errors and hang-ups (Poco asks for
    // EPOLLERR, which epoll also always reports).
    using Clock = std::chrono::steady_clock;
    const Clock::time_point deadline =
        Clock::now() + std::chrono::microseconds(
                           std::max<Poco::Timespan::TimeDiff>(timeout.totalMicroseconds(), 0));
    for (;;) {
      // Rounded up: never give up before the timeout.
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      const int rc = ::poll(&entry, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
      if (rc >= 0) return rc > 0;
      if (errno != EINTR) error(errno);
    }
  }

  // A connection's addresses cannot change: the peer's comes from accept(), the local one from
  // getsockname() at construction. Both are const, so any thread may read them.
  SocketAddress peerAddress() override { return peer_; }
  SocketAddress address() override { return local_; }

 private:
  const SocketAddress peer_;
  const SocketAddress local_;
};

class ListeningImpl final : public Poco::Net::ServerSocketImpl {
 public:
  Poco::Net::SocketImpl* acceptConnection(SocketAddress& clientAddr) override {
    if (sockfd() == POCO_INVALID_SOCKET) throw Poco::Net::InvalidSocketException();
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    int fd = -1;
    do {
      length = sizeof peer;
      fd = ::accept(sockfd(), reinterpret_cast<sockaddr*>(&peer), &length);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) error(errno);
    clientAddr = SocketAddress(reinterpret_cast<const sockaddr*>(&peer), length);
    return new ConnectionImpl(fd, clientAddr);
  }
};

}  // namespace

ServingSocket::ServingSocket() : Poco::Net::ServerSocket(new ListeningImpl, true) {}

}  // namespace notebridge::gateway
