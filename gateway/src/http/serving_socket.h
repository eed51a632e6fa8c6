#pragma once

#include <Poco/Net/ServerSocket.h>

namespace notebridge::gateway {

// The plain (non-TLS) listening socket of the gateway. Its accepted connections answer
// Poco's per-request questions with fewer system calls: Poco's HTTP server waits for each
// keep-alive request with SocketImpl::poll, which (Poco 1.11 on Linux) creates, fills, waits on
// and closes an epoll set every time (four system calls; here one poll()), and reads the client
// and server addresses of every request (getpeername and getsockname; here read once per
// connection, as they cannot change). Behaviour is Poco's: the same timeouts and results.
class ServingSocket final : public Poco::Net::ServerSocket {
 public:
  // An unbound socket (bind and listen as with a ServerSocket).
  ServingSocket();
};

}  // namespace notebridge::gateway
