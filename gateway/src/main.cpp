// The `notebridge` program: one binary, one subcommand per task.
#include "notebridge/gateway/cli.h"

int main(int argc, char** argv) { return notebridge::gateway::runCli(argc, argv); }
