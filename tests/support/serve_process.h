#pragma once

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>

#include "test_paths.h"

namespace notebridge::testing {

// `notebridge serve --config CONFIG` as a separate process, started and waited for until it
// logs "listening on" (port stays 0 when it did not start; `log` says why). The log is read up
// to that line; stop() reads the rest.
struct ServeProcess {
  ServeProcess(const std::filesystem::path& config, const std::filesystem::path& workingDir) {
    handle.emplace(Poco::Process::launch(notebridgeBinary().string(),
                                         {"serve", "--config", config.string()},
                                         workingDir.string(), nullptr, nullptr, &errPipe));
    static const std::regex kListening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
    std::string line;
    while (port == 0 && std::getline(err, line)) {
      log += line + "\n";
      std::smatch match;
      if (std::regex_search(line, match, kListening))
        port = static_cast<std::uint16_t>(std::stoi(match[1]));
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  ~ServeProcess() {
    if (handle) stop(SIGTERM);
  }
  // Sends `signal`, reads the rest of the log, and returns the exit code.
  int stop(int signal) {
    ::kill(handle->id(), signal);
    std::string line;
    while (std::getline(err, line)) log += line + "\n";
    const int code = handle->wait();
    handle.reset();
    return code;
  }

  Poco::Pipe errPipe;
  Poco::PipeInputStream err{errPipe};
  std::optional<Poco::ProcessHandle> handle;
  std::string log;
  std::uint16_t port = 0;
};

}  // namespace notebridge::testing
