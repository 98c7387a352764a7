#include "cli.h"

int main(int argc, char** argv) {
  return meshctl::cli::run(argc, argv);
}
