#pragma once

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <sstream>
#include <string>
#include <vector>

#include "test_paths.h"

namespace notebridge::testing {

// The outcome of running the `notebridge` program to completion.
struct ProcessResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

// Runs `notebridge ARGS...` with `input` on stdin and waits for it to exit.
inline ProcessResult runNotebridge(const std::vector<std::string>& args,
                                   const std::string& input = {},
                                   const std::string& workingDir = {}) {
  Poco::Pipe inPipe, outPipe, errPipe;
  Poco::ProcessHandle handle = Poco::Process::launch(notebridgeBinary().string(), args, workingDir,
                                                     &inPipe, &outPipe, &errPipe);
  {
    Poco::PipeOutputStream in(inPipe);
    in << input;
    in.close();
  }
  ProcessResult result;
  // stderr is drained after stdout; outputs in these tests are small enough not to fill a pipe.
  Poco::PipeInputStream out(outPipe);
  Poco::PipeInputStream err(errPipe);
  std::ostringstream outText, errText;
  Poco::StreamCopier::copyStream(out, outText);
  Poco::StreamCopier::copyStream(err, errText);
  result.exitCode = handle.wait();
  result.out = outText.str();
  result.err = errText.str();
  return result;
}

}  // namespace notebridge::testing
