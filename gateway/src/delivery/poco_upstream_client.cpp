#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "notebridge/gateway/upstream_client.h"

namespace notebridge::gateway {

std::string_view toString(UpstreamError value) {
  switch (value) {
    case UpstreamError::kNone:
      return "none";
    case UpstreamError::kConnect:
      return "connect";
    case UpstreamError::kTimeout:
      return "timeout";
    case UpstreamError::kConnection:
      return "connection";
    case UpstreamError::kTls:
      return "tls";
    case UpstreamError::kRequest:
      return "request";
  }
  return "unknown";
}

UpstreamOptions UpstreamOptions::from(const DestinationConfig& destination) {
  UpstreamOptions options;
  options.connectTimeoutSeconds = destination.connectTimeoutSeconds;
  options.timeoutSeconds = destination.timeoutSeconds;
  options.caFile = destination.caFile;
  options.clientCertFile = destination.clientCertFile;
  options.clientKeyFile = destination.clientKeyFile;
  options.insecureSkipVerify = destination.insecureSkipVerify;
  options.maxIdleConnections = std::max(2, destination.concurrency * 2);
  return options;
}

struct PocoUpstreamClient::Impl {
  UpstreamOptions options;
  Poco::Net::Context::Ptr tls;  // null until an https URL needs it
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>>> idle;

  std::unique_ptr<Poco::Net::HTTPClientSession> take(const Poco::URI& uri, bool& reused) {
    const std::string key =
        uri.getScheme() + "://" + uri.getHost() + ":" + std::to_string(uri.getPort());
    {
      std::lock_guard lock(mutex);
      auto& sessions = idle[key];
      if (!sessions.empty()) {
        auto session = std::move(sessions.back());
        sessions.pop_back();
        reused = true;
        return session;
      }
    }
    reused = false;
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), tls);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    session->setTimeout(Poco::Timespan(options.connectTimeoutSeconds, 0),
                        Poco::Timespan(options.timeoutSeconds, 0),
                        Poco::Timespan(options.timeoutSeconds, 0));
    session->setKeepAlive(true);
    return session;
  }

  void give(const Poco::URI& uri, std::unique_ptr<Poco::Net::HTTPClientSession> session) {
    const std::string key =
        uri.getScheme() + "://" + uri.getHost() + ":" + std::to_string(uri.getPort());
    std::lock_guard lock(mutex);
    auto& sessions = idle[key];
    if (static_cast<int>(sessions.size()) < options.maxIdleConnections) {
      sessions.push_back(std::move(session));
    }
  }
};

namespace {

// Poco reports an untrusted certificate through the global SSLManager's handler; without one
// it would look for an Application configuration. Reject, never prompt or accept.
void installRejectingHandler(Poco::Net::Context::Ptr context) {
  static std::once_flag once;
  std::call_once(once, [&] {
    Poco::Net::SSLManager::instance().initializeClient(
        nullptr, new Poco::Net::RejectCertificateHandler(false), context);
  });
}

UpstreamResult failure(UpstreamError error, std::string reason) {
  UpstreamResult result;
  result.error = error;
  result.reason = std::move(reason);
  return result;
}

}  // namespace

fhir::Result<std::shared_ptr<PocoUpstreamClient>> PocoUpstreamClient::create(
    UpstreamOptions options) {
  using R = fhir::Result<std::shared_ptr<PocoUpstreamClient>>;
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  const UpstreamOptions& o = impl->options;
  try {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Params params;
    if (!o.caFile.empty()) {
      params.caLocation = o.caFile.string();
      params.loadDefaultCAs = false;
    } else {
      params.loadDefaultCAs = true;
    }
    params.certificateFile = o.clientCertFile.string();
    params.privateKeyFile = o.clientKeyFile.string();
    // RELAXED on a client verifies the server's chain (and fails the handshake when it does
    // not chain to a trusted CA); NONE only when a destination says so explicitly.
    params.verificationMode =
        o.insecureSkipVerify ? Poco::Net::Context::VERIFY_NONE : Poco::Net::Context::VERIFY_RELAXED;
    impl->tls = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    impl->tls->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    impl->tls->enableExtendedCertificateVerification(!o.insecureSkipVerify);
    installRejectingHandler(impl->tls);
  } catch (const Poco::Exception& e) {
    return R::failure(fhir::Severity::kFatal, "exception",
                      "cannot set up TLS for the receiver: " + e.displayText());
  }
  return R(std::shared_ptr<PocoUpstreamClient>(new PocoUpstreamClient(std::move(impl))));
}

PocoUpstreamClient::PocoUpstreamClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PocoUpstreamClient::~PocoUpstreamClient() = default;

UpstreamResult PocoUpstreamClient::send(const UpstreamRequest& request) {
  Poco::URI uri;
  try {
    uri = Poco::URI(request.url);
  } catch (const Poco::Exception& e) {
    return failure(UpstreamError::kRequest, "bad URL: " + e.displayText());
  }
  if (uri.getScheme() != "http" && uri.getScheme() != "https") {
    return failure(UpstreamError::kRequest, "not an http(s) URL: " + request.url);
  }
  std::string target = uri.getPathEtc();
  if (target.empty()) target = "/";

  // A kept-alive connection may have been closed by the receiver while idle; one fresh retry
  // of the same (idempotent) request hides that from the retry policy.
  for (int round = 0; round < 2; ++round) {
    bool reused = false;
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    try {
      session = impl_->take(uri, reused);
      Poco::Net::HTTPRequest out(request.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
      out.setHost(uri.getHost(), uri.getPort());
      for (const auto& [name, value] : request.headers) out.set(name, value);
      if (!request.contentType.empty()) out.setContentType(request.contentType);
      if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
        out.setContentLength(static_cast<std::streamsize>(request.body.size()));
      }
      out.setKeepAlive(true);
      std::ostream& body = session->sendRequest(out);
      body.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
      Poco::Net::HTTPResponse in;
      std::istream& stream = session->receiveResponse(in);
      UpstreamResponse response;
      response.status = static_cast<int>(in.getStatus());
      for (const auto& [name, value] : in) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        response.headers[lower] = value;
      }
      std::ostringstream text;
      Poco::StreamCopier::copyStream(stream, text);
      response.body = text.str();
      if (in.getKeepAlive()) impl_->give(uri, std::move(session));
      UpstreamResult result;
      result.response = std::move(response);
      return result;
    } catch (const Poco::TimeoutException& e) {
      return failure(UpstreamError::kTimeout, "timed out: " + e.displayText());
    } catch (const Poco::Net::SSLException& e) {
      return failure(UpstreamError::kTls, "TLS handshake failed: " + e.displayText());
    } catch (const Poco::Net::ConnectionRefusedException& e) {
      return failure(UpstreamError::kConnect, "connection refused: " + e.displayText());
    } catch (const Poco::Net::HostNotFoundException& e) {
      return failure(UpstreamError::kConnect, "host not found: " + e.displayText());
    } catch (const Poco::Net::NoAddressFoundException& e) {
      return failure(UpstreamError::kConnect, "no address: " + e.displayText());
    } catch (const Poco::Exception& e) {
      if (reused && round == 0) continue;
      return failure(UpstreamError::kConnection, "connection failed: " + e.displayText());
    } catch (const std::exception& e) {
      if (reused && round == 0) continue;
      return failure(UpstreamError::kConnection, std::string("connection failed: ") + e.what());
    }
  }
  return failure(UpstreamError::kConnection, "connection failed");
}

}  // namespace notebridge::gateway
