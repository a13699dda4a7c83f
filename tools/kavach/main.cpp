// kavach: run untrusted code in real isolation, and say how strongly it was contained.
#include <string>
#include <vector>

#include "app.hpp"

int main(int argc, char** argv) {
  return kavach::cli::run_main(std::vector<std::string>(argv + 1, argv + argc));
}
